"""Is the worker really apart from the grader: other uid, no network, no grader files, limits?"""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import replace_function

from autograder import wire
from autograder.sandbox import MID_CALL, Limits, Sandbox, SandboxError, WorkerGone, WorkerTimeout, isolation_mode, python_folders

ISOLATED = isolation_mode() != "none"


class Worker:
    """A worker with some code loaded, for calling functions directly."""

    def __init__(self, code, hide=(), limits=Limits(call_seconds=3, import_seconds=3, total_seconds=30)):
        self.sandbox = Sandbox(limits, hide=hide)
        self.handle = self.sandbox.start()
        self.handle.wait_ready(time.monotonic() + 30)
        header = {"op": "load", "init": True, "filename": "backprop.py", "source": code, "units": [{"source": code, "lineno": 1, "label": "all"}]}
        reply, _ = self.handle.request(header, deadline=time.monotonic() + 10)
        assert reply["units"][0]["ok"], reply

    def call(self, name, *args, seconds=5):
        blobs = []
        encoded = [wire.encode_value(a, blobs, 1 << 30) for a in args]
        deadline = time.monotonic() + seconds
        self.handle.send({"op": "call", "fn": name, "args": encoded}, blobs, deadline)
        reply, out = self.handle.receive_in_call(deadline)
        while reply.get("op") in MID_CALL:  # "the call started": the reply comes next
            reply, out = self.handle.receive_in_call(deadline)
        value = wire.decode_value(reply["result"], out) if reply["status"] == "ok" else None
        return reply, value

    def close(self):
        self.handle.stop()
        self.sandbox.close()


@pytest.fixture
def worker_for():
    made = []

    def make(code, **kw):
        made.append(Worker(code, **kw))
        return made[-1]

    yield make
    for w in made:
        w.close()


def test_worker_is_a_separate_process_with_none_of_the_graders_modules(worker_for):
    code = "import os, sys\ndef f():\n    return float(os.getpid()), float(any(m.startswith('autograder') for m in sys.modules))\n"
    _, (pid, has_grader_modules) = worker_for(code).call("f")
    assert pid != os.getpid()
    assert has_grader_modules == 0.0


@pytest.mark.skipif(os.geteuid() != 0, reason="a dedicated uid needs root")
def test_worker_runs_as_an_unprivileged_uid(worker_for):
    _, uid = worker_for("import os\ndef f():\n    return float(os.getuid())\n").call("f")
    assert uid >= 200_000


@pytest.mark.skipif(not ISOLATED, reason="needs root or user namespaces")
def test_grader_folders_are_hidden_from_the_worker(worker_for, course):
    code = (
        "import os\n"
        "def f(path):\n"
        "    try:\n"
        "        return float(len([n for n in os.listdir(path) if n != '.matplotlib']))\n"
        "    except OSError:\n"
        "        return -1.0\n"
        "def g(path):\n"
        "    try:\n"
        "        open(path).read()\n"
        "        return 1.0\n"
        "    except OSError:\n"
        "        return 0.0\n"
    )
    w = worker_for(code, hide=[course.root])
    assert w.call("g", str(course.homework("backprop").reference))[1] == 0.0
    assert w.call("f", str(course.root / "solutions"))[1] == -1.0
    # a fresh /tmp of its own: empty, but for matplotlib's read-only font cache and the way
    # to Python when the venv lives under /tmp
    on_the_way = float(len({Path(*f.parts[:3]) for f in python_folders() if f.is_relative_to("/tmp")}))
    assert w.call("f", "/tmp")[1] == on_the_way
    assert w.call("g", str(course.homework("backprop").grading_config))[1] == 0.0


@pytest.mark.skipif(not ISOLATED, reason="needs root or user namespaces")
def test_worker_has_no_network_even_to_loopback(worker_for):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True)
    thread.start()
    code = "import socket\ndef f(port):\n    s = socket.socket()\n    s.settimeout(1)\n    try:\n        s.connect(('127.0.0.1', int(port)))\n        return 1.0\n    except OSError:\n        return 0.0\n"
    _, connected = worker_for(code).call("f", port)
    assert connected == 0.0 and not accepted
    server.close()


def test_per_call_time_limit_kills_the_worker(worker_for):
    w = worker_for("def f():\n    while True:\n        pass\n")
    started = time.monotonic()
    with pytest.raises(WorkerTimeout):
        w.call("f", seconds=1)
    assert time.monotonic() - started < 3
    assert w.handle.process.poll() is not None


def test_exit_in_a_function_is_reported_as_a_dead_worker(worker_for):
    w = worker_for("import os\ndef f():\n    os._exit(0)\n")
    with pytest.raises(WorkerGone, match="exited with code 0"):
        w.call("f")


def test_memory_limit_turns_a_bomb_into_memory_error(worker_for):
    w = worker_for("import numpy as np\ndef f():\n    return np.ones((40_000, 100_000))\n", limits=Limits(memory_mb=1024))
    reply, _ = w.call("f")
    assert reply["status"] == "raised" and reply["exception"]["type"] == "MemoryError"


def test_results_over_the_size_cap_are_described_not_sent(worker_for):
    w = worker_for("import numpy as np\ndef f():\n    return np.zeros(20_000_000)\n", limits=Limits(result_mb=64, memory_mb=2048))
    reply, value = w.call("f")
    assert isinstance(value, wire.TooBig) and value.shape == (20_000_000,)


def test_total_time_limit_keeps_points_already_earned(course, reference_source, tmp_path):
    from autograder.factory import make_grader

    slow = "def {name}({args}):\n    import time\n    time.sleep(1.5)\n    return None\n"
    source = reference_source
    for name, args in (("backprop", "X, Y, W1, b1, W2, b2"), ("numerical_gradient", "f, x, eps=1e-5"), ("relative_error", "a, b")):
        source = replace_function(source, name, slow.format(name=name, args=args))
    path = tmp_path / "backprop.py"
    path.write_text(source)
    results = make_grader(course, "backprop", limits={"call_seconds": 5, "total_seconds": 4}).grade_one(path)
    by_name = {f.name: f for f in results.functions}
    assert all(by_name[n].score == by_name[n].max_score for n in ("sigmoid", "softmax", "dJ_dW1", "dJ_db1"))
    late = [by_name[n] for n in ("initialize_parameters", "fit", "predict")]
    assert all(f.score == 0 and "total time limit" in f.summary for f in late)


def test_a_warning_costs_nothing(hidden_grader, reference_source, tmp_path):
    source = replace_function(reference_source, "sigmoid", "def sigmoid(Z):\n    return 1.0 / (1.0 + np.exp(-Z))\n")
    path = tmp_path / "backprop.py"
    path.write_text(source)
    results = hidden_grader.grade(path)
    f = results.function("sigmoid")
    assert f.score == f.max_score
    assert any("overflow" in w for w in f.warnings)


def test_wire_refuses_pickles_and_reads_plain_arrays():
    blobs = []
    header = wire.encode_value({"a": np.arange(3.0), "b": [1, 2.5, None]}, blobs, 1 << 20)
    assert wire.decode_value(header, blobs)["b"] == [1, 2.5, None]
    assert wire.encode_value(np.array([object()]), [], 1 << 20)["t"] == "other"
    head = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"  # an object array's .npy, by hand
    head += " " * (-(10 + len(head) + 1) % 64) + "\n"
    blob = b"\x93NUMPY\x01\x00" + len(head).to_bytes(2, "little") + head.encode("latin1") + b"\x80\x04N."
    with pytest.raises(ValueError):
        wire.decode_value({"t": "arr", "i": 0}, [blob])


@pytest.mark.skipif(not ISOLATED, reason="needs root or user namespaces")
def test_a_jail_that_cannot_be_set_up_stops_grading_with_its_reason(monkeypatch, tmp_path):
    """Never a worker with less protection than the mode promises, never a silent zero."""
    sandbox = Sandbox(Limits())
    setup = sandbox._jail_setup

    def broken(*args):
        made = setup(*args)
        made["plan"].insert(0, [str(tmp_path / "no-such-folder"), [], "size=1m"])
        return made

    monkeypatch.setattr(sandbox, "_jail_setup", broken)
    handle = sandbox.start()
    with pytest.raises(SandboxError, match="could not be set up.*no-such-folder"):
        handle.wait_ready(time.monotonic() + 30)
    assert handle.process.wait(timeout=5) == 70
    sandbox.close()


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_other_systems_get_a_clear_error_not_a_crash(monkeypatch, platform):
    monkeypatch.setattr(sys, "platform", platform)
    with pytest.raises(SandboxError, match=f"Linux only \\(this is {platform}\\).*container or in WSL"):
        isolation_mode("auto")


def test_grading_works_when_python_was_started_through_a_hidden_folder(tmp_path, course):
    """`cd solutions && ../.venv/bin/python backprop.py` (the notebook's check cells) makes
    sys.executable a path through the course folder, which the worker cannot see."""
    detour = os.path.relpath(sys.executable, tmp_path)  # ../../..: Python keeps it as given
    check = subprocess.run([detour, "-c", "import sys; print(sys.executable)"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert check.stdout.strip() == os.path.join(str(tmp_path), detour)  # through tmp_path, which the worker cannot see
    run = subprocess.run(
        [detour, "-m", "autograder", "grade", str(course.homework("backprop").reference), "--format", "json", "--only", "sigmoid"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["score"] == 3


def test_python_folders_follow_the_interpreter_links(tmp_path):
    """A venv made by Python 3.10 from another venv links python -> that venv's python ->
    the real binary: every folder on the way must stay visible to the worker."""
    real = Path(sys.executable).resolve()
    hop = tmp_path / "first-venv" / "bin"
    hop.mkdir(parents=True)
    (hop / "python").symlink_to(real)
    outer = tmp_path / "second-venv" / "bin"
    outer.mkdir(parents=True)
    (outer / "python").symlink_to(hop / "python")
    (outer / "python3").symlink_to("python")
    folders = python_folders(outer / "python3")
    assert outer.resolve() in folders and hop.resolve() in folders
    assert any(f == real.parent or f in real.parent.parents for f in folders)
    assert not any(a in b.parents for a in folders for b in folders)  # nothing listed twice


@pytest.mark.skipif(not ISOLATED, reason="needs root or user namespaces")
def test_only_the_system_and_python_are_visible(worker_for, course):
    """Other checkouts, other courses, home folders, /opt, /srv: all hidden, not just this course."""
    code = "import os\ndef f(path):\n    try:\n        return float(len(os.listdir(path)))\n    except OSError:\n        return -1.0\n"
    w = worker_for(code)
    for top in Path("/").iterdir():
        if top.is_dir() and not top.is_symlink() and top.name not in {"bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "run", "sbin", "sys", "usr", "var", "tmp"}:
            inside = {Path(*f.parts[:3]) for f in python_folders() if f.is_relative_to(top)}
            assert w.call("f", str(top))[1] == float(len(inside)), top  # empty, but for the way to Python
    assert w.call("f", "/usr/lib")[1] > 0  # the system itself is there


# --- issue 13 / 14 / 12.7: pid namespace, uid leases, /run, the isolation ladder ------------


@pytest.mark.skipif(os.environ.get("CI") != "true", reason="CI only (CI=true): there the grader runs as root")
def test_does_ci_grade_in_root_mode():
    """CI runs as root with namespaces: a weaker mode there would skip the containment tests
    silently, so it fails here instead."""
    assert isolation_mode("auto") == "root"
    described = Sandbox(Limits()).describe()
    assert described["isolation"] == "root" and described["pid_namespace"] and described["dedicated_uid"]


@pytest.mark.skipif(not ISOLATED, reason="needs root or user namespaces")
def test_a_host_unix_socket_under_run_is_out_of_reach(worker_for, tmp_path):
    folder = next((Path(f) for f in ("/run", f"/run/user/{os.getuid()}") if os.access(f, os.W_OK)), None)
    if folder is None:
        pytest.skip("no writable folder under /run")
    path = folder / f"autograder-test-{os.getpid()}.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    os.chmod(path, 0o777)
    server.listen(1)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as control:  # the host reaches it
            control.connect(str(path))
        server.accept()[0].close()
        code = (
            "import socket\ndef f(path):\n    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n    try:\n"
            "        s.connect(path)\n        return 1.0\n    except OSError:\n        return 0.0\n"
        )
        _, connected = worker_for(code).call("f", str(path))
        assert connected == 0.0
    finally:
        server.close()
        path.unlink()


@pytest.mark.skipif(not ISOLATED, reason="needs root or user namespaces")
def test_a_worker_sees_only_its_own_processes_and_they_die_with_it(worker_for):
    code = (
        "import os, subprocess, sys\n"
        "def f():\n"
        "    child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', 'autograder-test-daemon'], start_new_session=True)\n"
        "    return [float(p) for p in sorted(int(n) for n in os.listdir('/proc') if n.isdigit())] + [float(os.getpid()), float(child.pid)]\n"
    )
    w = worker_for(code)
    _, seen = w.call("f")
    *pids, mine, child = seen
    assert pids == [1.0, mine, child]  # its jail's pid 1, itself, its child: nothing of the host
    w.handle.kill()
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and _processes_with("autograder-test-daemon"):
        time.sleep(0.05)
    assert _processes_with("autograder-test-daemon") == []


def _processes_with(marker):
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if marker.encode() in Path(entry.path, "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


@pytest.mark.skipif(os.geteuid() != 0 or isolation_mode() != "root", reason="dedicated uids need root")
def test_no_live_workers_uid_is_handed_to_another():
    """Two sandboxes (two grading processes' worth), many workers alive at once, and a uid
    another process holds: every live worker has a uid of its own, never the held one."""
    import fcntl

    from autograder.sandbox import UidLease, _uid_lock_folder

    limits = Limits(uid_first=2_100_070_000, uid_count=12)
    held = os.open(_uid_lock_folder() / str(limits.uid_first + 3), os.O_CREAT | os.O_RDWR, 0o600)
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; time.sleep(60)"], pass_fds=(held,))
    fcntl.flock(held, fcntl.LOCK_EX)  # the lock is the open file's: the child holds it too
    sandboxes = [Sandbox(limits), Sandbox(limits)]
    saved = UidLease._next
    handles = []
    try:
        UidLease._next = 0
        for _ in range(5):
            for sandbox in sandboxes:
                handles.append(sandbox.start())
        uids = [h.uid for h in handles]
        assert len(set(uids)) == 10 and limits.uid_first + 3 not in uids
        handles.append(sandboxes[0].start())  # 12 uids: 10 live workers and one held elsewhere leave one...
        with pytest.raises(SandboxError, match="no free worker uid"):
            sandboxes[0].start()  # ...and then none
    finally:
        UidLease._next = saved
        for h in handles:
            h.kill()
        for sandbox in sandboxes:
            sandbox.close()
        holder.kill()
        holder.wait()
        os.close(held)


def test_a_required_isolation_the_machine_lacks_is_refused():
    from autograder.sandbox import IsolationTooWeak

    with pytest.raises(IsolationTooWeak, match="isolation 'none' but 'uid' or stronger is required"):
        Sandbox(Limits(require_isolation="uid"), isolation="none")
    assert Sandbox(Limits(require_isolation="none"), isolation="none").mode == "none"


def test_the_sandbox_table_of_grading_toml_is_read_and_checked(tmp_path, hw_files, homework):
    from autograder.config import ConfigError, load_config

    text = hw_files.grading_config.read_text()
    path = tmp_path / "grading.toml"
    path.write_text(text + '\n[sandbox]\nrequire_isolation = "userns"\nuid_first = 3000000\nuid_count = 500\n')
    limits = load_config(path, homework).limits
    assert (limits.require_isolation, limits.uid_first, limits.uid_count) == ("userns", 3_000_000, 500)
    for bad in ('require_isolation = "chroot"', "uid_first = 10", "uid_count = -1", "colour = 1"):
        path.write_text(text + f"\n[sandbox]\n{bad}\n")
        with pytest.raises(ConfigError, match=r"\[sandbox\]"):
            load_config(path, homework)
