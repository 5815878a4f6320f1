"""Does the grader survive hostile submissions, give them no more than they earned, keep its
secrets and leave the machine as it was?

Every attack of tools/adversarial.py is graded once, by one Grader for the whole module with
short limits (2 s per call, 2 s per top-level statement, 60 s per submission, 1024 MB), and
the results are shared by the tests below. Right after each grade the state of the machine is
recorded: processes the attack started, files it left, the course's files, connections to a
server listening on 127.0.0.1 (and on an abstract unix socket), signals the grader received.

What these tests assume about isolation (autograder.sandbox.isolation_mode()): an attack runs
only in the modes where the README promises to contain it (``Attack.modes``): hunting for
files, the network and vandalism need namespaces ("root" or "userns"); processes that leave
their process group are killed only with a dedicated uid ("root"). Elsewhere it is skipped.

Submissions are laid out like a Gradescope container in a temporary folder
(``autograder/submission``, ``autograder/results``, with $AUTOGRADER_ROOT pointing there).

Known grader problems are strict xfails in GRADER_PROBLEMS, test by test, until fixed.
"""

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # tools/ is not installed
    sys.path.insert(0, str(ROOT))

from autograder.config import load_config  # noqa: E402
from autograder.course import Course  # noqa: E402
from autograder.factory import make_grader  # noqa: E402
from autograder.sandbox import isolation_mode  # noqa: E402
from tools.adversarial import ABSTRACT_SOCKET, ATTACKS, LOOPBACK_PORT, MARKER, Attack, write  # noqa: E402
from tools.mutants import HOMEWORK, NAMES, load  # noqa: E402

MODE = isolation_mode()
COURSE = Course(ROOT)
FILES = COURSE.homework(HOMEWORK)
REFERENCE_SOURCE = FILES.reference.read_text()
WATCHDOG_SECONDS = 20  # the slowest attack takes about 9 s here; a grade still running then is stuck
MAX_REPORT_CHARS = 1_000_000  # a normal report is about 20,000 characters
SHARED_FOLDERS = ("/tmp", "/dev/shm", "/var/tmp", "/run/lock", "/dev/mqueue")

# /dev/null should be a character device. Where it is a regular file (as on some VM images),
# RLIMIT_FSIZE caps what a worker may write to its stdout and stderr at the fd level.
DEVNULL_IS_A_FILE = not Path("/dev/null").is_char_device()

# (test, attack id) -> why the grader does not do what the test expects yet (strict xfail).
# test is one of "returns", "others", "honest", "says", "report", "machine".
GRADER_PROBLEMS = {}
# (test, attack id) -> (condition, reason): problems of this machine, not of the grader.
ENVIRONMENT_PROBLEMS = {
    ("others", "fd-write-200mb-in-function"): (
        DEVNULL_IS_A_FILE,
        "/dev/null is a regular file on this machine: writes to it count against the worker's 64 MB RLIMIT_FSIZE and fail with EFBIG",
    ),
}


def _params(test):
    out = []
    for attack in ATTACKS:
        marks = []
        if (test, attack.id) in GRADER_PROBLEMS:
            marks.append(pytest.mark.xfail(strict=True, reason=GRADER_PROBLEMS[(test, attack.id)]))
        if (test, attack.id) in ENVIRONMENT_PROBLEMS:
            condition, reason = ENVIRONMENT_PROBLEMS[(test, attack.id)]
            marks.append(pytest.mark.xfail(condition, strict=True, reason=reason))
        if MODE not in attack.modes:
            marks.append(pytest.mark.skip(reason=f"the README does not promise to contain {attack.id} in isolation mode {MODE!r}"))
        if attack.slow:
            marks.append(pytest.mark.slow)
        out.append(pytest.param(attack, id=attack.id, marks=marks))
    return out


# --- what secrets look like -------------------------------------------------------------------


def secrets():
    """Text of the reference's solutions and of grading.toml that no report may contain."""
    needles = ["BEGIN SOLUTION", "END SOLUTION"]
    for line in REFERENCE_SOURCE.splitlines():
        if "out[positive] = " in line or "out[~positive] = " in line:
            needles.append(line.strip())
    config = load_config(FILES.grading_config, load())
    needles.append(", ".join(str(seed) for seed in config.seeds))
    for line in FILES.grading_config.read_text().splitlines():
        if line.strip().startswith("seeds") or "change them each term" in line:
            needles.append(line.strip())
    assert len(needles) >= 6, needles
    return needles


SECRETS = secrets()


def report_text(results):
    """What a student reads: fatal message, load problems, findings, summaries, warnings."""
    parts = [results.fatal or ""]
    parts += list(results.load.get("problems", [])) + list(results.load.get("skipped", []))
    for f in results.functions:
        parts += [f.summary, f.output] + list(f.warnings)
        parts += [x.message for x in f.findings] + [x.fix or "" for x in f.findings]
    return "\n".join(parts)


def losses(results):
    return "\n".join(
        f"{f.name}: {f.score}/{f.max_score} {f.mistakes} {f.findings[0].message[:300] if f.findings else ''}"
        for f in results.functions
        if f.score < f.max_score
    )


# --- watching the machine ----------------------------------------------------------------------


def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def attack_processes(uids=range(0)):
    """Live processes that carry MARKER or run as one of ``uids``: [(pid, what)]. This
    process and its ancestors are never among them, whatever their command line says."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) in ANCESTORS:
            continue
        stat = _read(f"/proc/{entry.name}/stat")
        if not stat or stat.rsplit(b")", 1)[-1].split()[0] in (b"Z", b"X"):
            continue  # gone, or a zombie waiting to be collected: holds nothing
        text = (_read(f"/proc/{entry.name}/cmdline").replace(b"\0", b" ") + b" " + _read(f"/proc/{entry.name}/comm")).decode(errors="replace")
        try:
            uid = entry.stat().st_uid
        except OSError:
            continue
        if MARKER in text or uid in uids:
            found.append((int(entry.name), f"uid {uid}: {text.strip()[:120]}"))
    return found


def _ancestors():
    pids, pid = set(), os.getpid()
    while pid > 1 and pid not in pids:
        pids.add(pid)
        status = _read(f"/proc/{pid}/status").decode(errors="replace")
        pid = int(next((line.split()[1] for line in status.splitlines() if line.startswith("PPid:")), 0))
    return pids


ANCESTORS = _ancestors()


def our_workers():
    """Pids of the workers this process started (children running `python -I -c`)."""
    me = str(os.getpid())
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            status = _read(f"/proc/{entry.name}/status").decode(errors="replace")
            parent = next((line.split()[1] for line in status.splitlines() if line.startswith("PPid:")), None)
            if parent == me and b"-I\0-c\0" in _read(f"/proc/{entry.name}/cmdline"):
                pids.append(int(entry.name))
    return pids


def marker_files(folders):
    found = []
    for folder in folders:
        try:
            found += [str(Path(folder) / name) for name in os.listdir(folder) if MARKER in name]
        except OSError:
            pass
    return found


def clean_up(folders):
    """End the processes and remove the files that carry the attacks' marker (nothing else)."""
    for pid, _ in attack_processes():
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for path in marker_files(folders):
        try:
            os.remove(path)
        except OSError:
            pass


def tree_digest(folder):
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def file_state(paths):
    out = {}
    for path in paths:
        try:
            st = os.stat(path)
            out[str(path)] = (st.st_size, st.st_mtime_ns)
        except OSError:
            out[str(path)] = None
    return out


class Listener:
    """A TCP and a UDP server on 127.0.0.1:LOOPBACK_PORT and an abstract unix socket that
    record whatever reaches them."""

    def __init__(self):
        self.events = []
        self.running = True
        self.sockets = []
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            tcp.bind(("127.0.0.1", LOOPBACK_PORT))
            udp.bind(("127.0.0.1", LOOPBACK_PORT))
            unix.bind(ABSTRACT_SOCKET)
        except OSError as err:
            for s in (tcp, udp, unix):
                s.close()
            pytest.fail(f"cannot listen on 127.0.0.1:{LOOPBACK_PORT} or the abstract socket ({err}); change LOOPBACK_PORT in tools/adversarial.py")
        for s, kind in ((tcp, "tcp"), (unix, "unix")):
            s.listen(16)
            s.settimeout(0.2)
            self._watch(s, kind, lambda s=s: s.accept()[1])
        udp.settimeout(0.2)
        self._watch(udp, "udp", lambda: udp.recvfrom(4096)[1])

    def _watch(self, sock, kind, receive):
        self.sockets.append(sock)

        def loop():
            while self.running:
                try:
                    self.events.append((kind, str(receive())))
                except (socket.timeout, OSError):
                    continue

        threading.Thread(target=loop, daemon=True).start()

    def close(self):
        self.running = False
        time.sleep(0.3)
        for s in self.sockets:
            s.close()


@dataclass
class World:
    """Everything the attacks might touch, and how it was before."""

    container: Path
    listener: Listener
    signals: list
    course_digest: str
    course_listing: list
    results_paths: list
    results_before: dict
    scanned: list
    site_packages: list = field(default_factory=list)

    def aftermath(self, grader, submission_folder, submission):
        uids = set(grader.sandbox.uids_used)  # the dedicated uids its workers ran as (root and uid modes)
        time.sleep(0.05)  # the sweep of the worker's uid is synchronous; this is only for signals in flight
        state = {
            "processes": attack_processes(uids),
            "course_changed": tree_digest(COURSE.root / "solutions") != self.course_digest or sorted(os.listdir(COURSE.root)) != self.course_listing,
            "marker_files": marker_files(self.scanned + [submission_folder]),
            "results_files": {p: v for p, v in file_state(self.results_paths).items() if v != self.results_before.get(p)},
            "submission_folder": sorted(os.listdir(submission_folder)) == [submission.name],
            "connections": list(self.listener.events),
            "signals": len(self.signals),
        }
        self.listener.events.clear()
        self.signals.clear()
        clean_up(self.scanned)  # what one attack left must not be blamed on the next
        return state


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    container = tmp_path_factory.mktemp("gradescope") / "autograder"
    for folder in ("source", "submission", "results"):
        (container / folder).mkdir(parents=True)
    os.chmod(container / "results", 0o777)  # writable by anyone who can see it: only the sandbox protects it
    saved_root = os.environ.get("AUTOGRADER_ROOT")
    os.environ["AUTOGRADER_ROOT"] = str(container)
    listener = Listener()
    signals = []
    try:
        previous = signal.signal(signal.SIGWINCH, lambda number, frame: signals.append(number))
    except ValueError:  # not the main thread
        previous = None
    here = Path.cwd()
    results_paths = [p / "results.json" for p in (here, *here.parents)]
    results_paths += [Path(p) / "results.json" for p in ("/autograder/results", "/autograder", "/tmp", "/results", COURSE.root, container, container / "results")]
    site_packages = [p for p in sys.path if p.endswith("site-packages")]
    scanned = [
        *SHARED_FOLDERS, str(here), str(COURSE.root), *(str(COURSE.root / d) for d in ("solutions", "tests", "autograder", "tools")),
        *site_packages, str(container), *(str(container / d) for d in ("source", "submission", "results")), "/",
    ]
    world = World(
        container=container, listener=listener, signals=signals,
        course_digest=tree_digest(COURSE.root / "solutions"), course_listing=sorted(os.listdir(COURSE.root)),
        results_paths=[str(p) for p in results_paths], results_before=file_state(results_paths), scanned=scanned,
        site_packages=site_packages,
    )  # fmt: skip
    yield world
    listener.close()
    if previous is not None:
        signal.signal(signal.SIGWINCH, previous)
    if saved_root is None:
        os.environ.pop("AUTOGRADER_ROOT", None)
    else:
        os.environ["AUTOGRADER_ROOT"] = saved_root
    clean_up(scanned)  # leave the machine clean even when a test failed


@pytest.fixture(scope="module")
def grader():
    grader = make_grader(COURSE, HOMEWORK, limits={"call_seconds": 2, "import_seconds": 2, "total_seconds": 60, "memory_mb": 1024})
    yield grader
    grader.close()


@dataclass
class Outcome:
    attack: Attack
    text: str
    results: object = None
    error: BaseException = None
    hung: bool = False
    seconds: float = 0.0
    machine: dict = field(default_factory=dict)

    def get(self):
        """The results, or a failure that says why there are none."""
        if self.error is not None:
            pytest.fail(f"the grader raised {type(self.error).__name__}: {self.error}")
        return self.results


@pytest.fixture(scope="module")
def graded(grader, world):
    """Grade each attack once (with a watchdog); attack -> Outcome, shared by the tests."""
    cache = {}

    def grade(attack):
        if attack.id in cache:
            return cache[attack.id]
        folder = world.container / "submission" / attack.id
        path = write(attack, folder, REFERENCE_SOURCE)
        outcome = Outcome(attack, path.read_text())
        box = {}

        def run():
            try:
                box["results"] = grader.grade(path)
            except Exception as err:  # noqa: BLE001 - recorded; the tests say what it was
                box["error"] = err

        started = time.monotonic()
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        thread.join(WATCHDOG_SECONDS)
        if thread.is_alive():
            outcome.hung = True  # unblock the grader: end the workers this process started
            for pid in our_workers():
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            thread.join(60)
        outcome.seconds = time.monotonic() - started
        outcome.results, outcome.error = box.get("results"), box.get("error")
        outcome.machine = world.aftermath(grader, folder, path)
        cache[attack.id] = outcome
        return outcome

    return grade


# --- the catalogue and the checks themselves ----------------------------------------------------


def test_is_every_attack_a_well_formed_submission_without_secrets():
    """Does every attack build a parseable submission that holds none of the reference's
    solution text, so that any secret found in a report came from somewhere else?"""
    names = set(NAMES)
    for attack in ATTACKS:
        text, suffix = attack.build(REFERENCE_SOURCE)
        assert suffix in (".py", ".ipynb"), attack.id
        if suffix == ".py":
            compile(text, "backprop.py", "exec")
        else:
            assert isinstance(json.loads(text)["cells"], list), attack.id
        assert not [s for s in SECRETS if s in text], attack.id
        assert MARKER not in attack.id
        assert attack.attacked | attack.also <= names, attack.id
        assert set(attack.honest) <= attack.attacked | attack.also, attack.id
        assert all(0.0 <= bound <= 1.0 for bound in attack.honest.values()), attack.id
        assert set(attack.mistakes) | set(attack.only_fails) <= attack.attacked, attack.id
        assert attack.modes <= {"root", "userns", "none"} and attack.modes, attack.id
    assert len({a.id for a in ATTACKS}) == len(ATTACKS)


def test_would_a_breach_be_noticed(world):
    """Do the watchers work: would a connection, a signal, a marked process or a marked file
    be seen? (Otherwise 'nothing happened' would prove nothing.)"""
    with socket.create_connection(("127.0.0.1", LOOPBACK_PORT), timeout=2):
        pass
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.sendto(b"hello", ("127.0.0.1", LOOPBACK_PORT))
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as unix:
        unix.connect(ABSTRACT_SOCKET)
    deadline = time.monotonic() + 3
    while len({kind for kind, _ in world.listener.events}) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert {kind for kind, _ in world.listener.events} == {"tcp", "udp", "unix"}
    world.listener.events.clear()
    if threading.current_thread() is threading.main_thread():
        os.kill(os.getpid(), signal.SIGWINCH)
        time.sleep(0.05)
        assert world.signals
        world.signals.clear()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", f"{MARKER}-probe"])
    try:
        time.sleep(0.2)
        assert sleeper.pid in [pid for pid, _ in attack_processes()]
    finally:
        sleeper.kill()
        sleeper.wait()
    probe = Path("/dev/shm" if os.access("/dev/shm", os.W_OK) else "/tmp") / f"{MARKER}-probe"
    probe.write_text("probe")
    try:
        assert str(probe) in marker_files(SHARED_FOLDERS)
    finally:
        probe.unlink()


def test_does_the_grader_run_in_the_isolation_mode_these_tests_assume(grader, graded):
    """Is the mode the grader reports the one isolation_mode() gives, which decides what is skipped?"""
    assert MODE in ("root", "userns", "none")
    assert grader.sandbox.mode == MODE
    results = graded(next(a for a in ATTACKS if a.id == "print-200mb-at-import")).get()
    assert results.sandbox["isolation"] == MODE
    if MODE == "root":
        assert results.sandbox["dedicated_uid"] and results.sandbox["network"] == "none"


# --- every attack -------------------------------------------------------------------------------


@pytest.mark.parametrize("attack", _params("returns"))
def test_does_the_grader_return_a_bounded_score(graded, attack):
    """Does grade() return (no exception, no hang) a score between 0 and the maximum?"""
    outcome = graded(attack)
    assert not outcome.hung, f"grade() was still running after {WATCHDOG_SECONDS} s; its workers had to be killed"
    results = outcome.get()
    assert 0 <= results.score <= results.max_score
    for f in results.functions:
        assert 0 <= f.score <= f.max_score, f.name
    assert abs(results.score - sum(f.score for f in results.functions)) < 1e-3
    assert [f.name for f in results.functions] == list(NAMES)


@pytest.mark.parametrize("attack", _params("others"))
def test_do_the_functions_outside_the_attack_keep_full_marks(graded, attack):
    """Does an attack cost nothing outside its hostile functions and their callers?"""
    results = graded(attack).get()
    allowed = attack.attacked | attack.also
    hit = [f.name for f in results.functions if f.name not in allowed and f.score < f.max_score - 1e-9]
    assert hit == [], losses(results)


@pytest.mark.parametrize("attack", _params("honest"))
def test_do_the_hostile_functions_get_no_more_than_they_earned(graded, attack):
    """Does each hostile function stay within its bound, fail exactly the checks it should and
    have its mistake named?"""
    results = graded(attack).get()
    for name, bound in attack.honest.items():
        f = results.function(name)
        assert f.score <= bound * f.max_score + 1e-9, f"{name}: {f.score}/{f.max_score} > {bound:.0%}\n{losses(results)}"
    for name, wanted in attack.mistakes.items():
        f = results.function(name)
        assert set(wanted) <= set(f.mistakes), f"{name}: mistakes {f.mistakes}, expected {sorted(wanted)}"
    for name, failing in attack.only_fails.items():
        f = results.function(name)
        assert 0 < f.score < f.max_score, f"{name}: {f.score}/{f.max_score}"
        failed = {c.name for c in f.checks if c.passed < c.total}
        assert failed == set(failing), f"{name}: failed checks {sorted(failed)}, expected {sorted(failing)}"


@pytest.mark.parametrize("attack", _params("says"))
def test_does_the_report_say_what_happened(graded, attack):
    """Does the report name what the attack did (a time limit, a MemoryError, an exit...)?"""
    results = graded(attack).get()
    text = report_text(results)
    missing = [s for s in attack.says if s not in text]
    assert missing == [], f"{missing} not in the report:\n{text[:3000]}"


@pytest.mark.parametrize("attack", _params("report"))
def test_does_the_report_stay_small_and_keep_the_secrets(graded, attack):
    """Is the whole results record small, and free of the reference's solution text and of
    grading.toml's hidden values, whatever the attack printed, raised or returned?"""
    outcome = graded(attack)
    text = json.dumps(outcome.get().to_dict())
    assert len(text) <= MAX_REPORT_CHARS, f"the results are {len(text):,} characters"
    leaked = [s for s in SECRETS if s in text and s not in outcome.text]
    assert leaked == [], f"the report contains {leaked}"


@pytest.mark.parametrize("attack", _params("machine"))
def test_is_the_machine_left_as_it_was(graded, attack):
    """After the grade: no process of the attack alive, the course's files unchanged, no
    results.json forged, no file left behind, no connection made, no signal received?"""
    machine = graded(attack).machine
    assert machine["processes"] == [], f"still running: {machine['processes'][:5]}"
    assert not machine["course_changed"], "the course's solutions/ folder or top-level listing changed"
    assert machine["results_files"] == {}, f"results.json written or changed: {machine['results_files']}"
    assert machine["marker_files"] == [], f"files left behind: {machine['marker_files']}"
    assert machine["submission_folder"], "the submission's folder holds other files than the submission"
    assert machine["connections"] == [], f"the loopback server was reached: {machine['connections']}"
    assert machine["signals"] == 0, "the grader's process received a signal from the submission"


# --- issue 11: cheats -------------------------------------------------------------------------


def test_do_hidden_inputs_stay_out_of_exception_and_warning_text(grader, graded):
    """dJ_dW2 raises ValueError(repr(dZ2)) and dJ_db2 warns with dZ2's first entries: the
    report keeps the exception's type and the student's line, never the hidden numbers."""
    attack = next(a for a in ATTACKS if a.id == "hidden-values-in-exception-and-warning")
    results = graded(attack).get()
    text = json.dumps(results.to_dict())
    assert "ValueError" in text and "raise ValueError(repr(dZ2)" in text
    assert any("UserWarning" in w for w in results.function("dJ_db2").warnings)
    assert results.function("dJ_db2").score == results.function("dJ_db2").max_score  # warnings cost nothing
    shown = []
    for case in grader.plan["dJ_dW2"] + grader.plan["dJ_db2"]:
        dZ2 = case.args[-1]
        for value in dZ2.ravel()[:4]:
            for form in (repr(float(value)), f"{value:.8f}", f"{value:.4e}", float(value).hex()):
                if form in text:
                    shown.append(form)
    assert shown == [], shown


# --- issue 13: the sandbox holds --------------------------------------------------------------
# The attacks of tools/adversarial.py's issue-13 block run through every test above; these
# watch what the generic checks cannot: a unix socket of the host under /run, System V
# segments left on the host, and a batch in which one student's crashes and endless loops
# must not reach the next student's worker.

from tools.adversarial import CORRECT, HOST_SOCKET_NAME, SHM_KEY, hostile, py  # noqa: E402


def _host_socket_folder():
    for folder in ("/run", f"/run/user/{os.getuid()}"):
        if os.access(folder, os.W_OK):
            return Path(folder)
    return None


@pytest.fixture(scope="module", autouse=True)
def host_socket():
    """A unix socket of the host under /run, listening from before the first attack is graded
    (like dbus, journald or docker.sock): [connections accepted]."""
    folder = _host_socket_folder()
    if folder is None:
        yield None
        return
    path = folder / f"{os.getpid()}-{HOST_SOCKET_NAME}"  # test runs side by side do not meet
    path.unlink(missing_ok=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    os.chmod(path, 0o777)  # reachable by any uid that can see it: only the sandbox protects it
    server.listen(8)
    accepted = []

    def accept():
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            accepted.append(connection.recv(64))
            connection.close()

    threading.Thread(target=accept, daemon=True).start()
    yield accepted
    server.close()
    path.unlink(missing_ok=True)


def _shm_keys():
    try:
        lines = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    except OSError:
        return set()
    return {int(line.split()[0]) for line in lines if line.split()}


def _attack_named(attack_id):
    return next(a for a in ATTACKS if a.id == attack_id)


def test_does_a_host_socket_under_run_stay_out_of_reach(graded, host_socket):
    """The control first: this process reaches the socket; then the worker must not."""
    if MODE not in ("root", "userns"):
        pytest.skip(f"only namespaces cover /run (mode {MODE!r})")
    if host_socket is None:
        pytest.skip("no writable folder under /run for the host's socket")
    folder = _host_socket_folder()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.connect(str(folder / f"{os.getpid()}-{HOST_SOCKET_NAME}"))
        probe.sendall(b"probe")
    deadline = time.monotonic() + 2
    while b"probe" not in host_socket and time.monotonic() < deadline:
        time.sleep(0.02)
    assert host_socket == [b"probe"]
    host_socket.clear()
    results = graded(_attack_named("host-unix-socket-under-run")).get()
    assert host_socket == []
    f = results.function("dJ_dX2")
    assert f.score <= 0.7 * f.max_score + 1e-9  # right only if the socket answered


def test_does_a_sysv_segment_die_with_its_worker(graded):
    """A mode-666 System V segment made by a worker is gone from the host after grading (a
    private IPC namespace); the control: the host can make and see one with another key."""
    if MODE not in ("root", "userns"):
        pytest.skip(f"only namespaces give a private IPC namespace (mode {MODE!r})")
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    control_key = SHM_KEY + 1
    shmid = libc.shmget(ctypes.c_int(control_key), ctypes.c_size_t(4096), ctypes.c_int(0o1000 | 0o600))
    assert shmid >= 0 and control_key in _shm_keys()
    libc.shmctl(shmid, 0, None)  # IPC_RMID
    assert SHM_KEY not in _shm_keys()
    results = graded(_attack_named("sysv-shared-memory-left-behind")).get()
    assert results.function("dJ_dW1").score == results.function("dJ_dW1").max_score  # it ran: the call returned
    assert SHM_KEY not in _shm_keys()


@pytest.mark.slow
def test_does_one_students_batch_of_crashes_leave_the_next_student_alone(tmp_path):
    """grade-all --workers 1: eight submissions whose every function but sigmoid (and its own
    helpers) crashes its worker (SIGKILL to itself, os._exit, an endless loop), so each
    submission takes a dozen workers and uids while the next submission's worker waits; then
    a correct one. The old pool of eight uids per process came round again and its sweep
    killed that waiting worker ("the file's definitions could not be run"). Here every
    submission's definitions load, sigmoid keeps its points and the correct one keeps 100."""
    if MODE == "none":
        pytest.skip("without a dedicated uid or pid namespace the kill sweeps do not exist")
    folder = tmp_path / "submissions"
    folder.mkdir()
    crashes = (
        "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
        "import os\nos._exit(3)",
        "while True:\n    pass",
    )
    for index in range(8):
        crash = crashes[2] if index == 7 else crashes[index % 2]  # one endless loop: each costs a call limit
        functions = {name: hostile(name, before=crash) for name in CORRECT}
        text, _ = py(functions=functions)(REFERENCE_SOURCE)
        (folder / f"a{index:02d}-crashes.py").write_text(text)
    (folder / "z-correct.py").write_text(py()(REFERENCE_SOURCE)[0])
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "autograder", "grade-all", str(folder), "--output", str(out), "--workers", "1",
         "--no-progress", "--call-seconds", "0.5", "--total-seconds", "60", "--course", str(COURSE.root), "--assignment", HOMEWORK],
        capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    records = {Path(r["file"]).name: r["results"] for r in (json.loads(p.read_text()) for p in (out / "results").glob("*.json"))}
    assert len(records) == 9
    correct = records.pop("z-correct.py")
    assert correct["score"] == 100, [(f["name"], f["summary"]) for f in correct["functions"] if f["score"] < f["max_score"]]
    for name, results in records.items():
        assert not results.get("fatal"), (name, results.get("fatal"))
        sigmoid = next(f for f in results["functions"] if f["name"] == "sigmoid")
        assert sigmoid["score"] == sigmoid["max_score"], (name, sigmoid["summary"])
        assert results["score"] < 50, name  # the control: the crashes really cost points
