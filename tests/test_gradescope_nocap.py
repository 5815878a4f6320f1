"""Does the Gradescope autograder.zip still grade where namespaces are refused?

Docker's default container has no CAP_SYS_ADMIN and a seccomp filter that refuses
unshare(2): the grader must then fall down the isolation ladder (sandbox.LADDER) to "uid" (a
dedicated unprivileged uid, the course readable by root only), grade the reference to 100 and
name the isolation it used in results.json; and ``require_isolation`` must turn that into a
results file with score 0 that says why, never into no results at all.

The container is laid out as tests/test_gradescope.py does, but in a folder every uid can
enter, with the system's Python (the worker's own uid must be able to start it), and
run_autograder runs (1) under ``capsh --drop=cap_sys_admin`` and (2) under a seccomp filter
that makes unshare(2) fail with EPERM, with an ``unshare`` on PATH that always fails.
"""

import ctypes
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
from conftest import HOMEWORK, replace_function

from autograder.integrations.gradescope import export

SYSTEM_PYTHON = next((p for p in ("/usr/bin/python3.11", "/usr/bin/python3") if Path(p).exists()), None)
pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="the 'uid' rung needs a grader running as root"),
    pytest.mark.skipif(shutil.which("capsh") is None, reason="needs capsh (libcap2-bin)"),
    pytest.mark.skipif(SYSTEM_PYTHON is None, reason="needs a system Python every uid can run"),
]

# Run a command with unshare(2) refused (EPERM), as Docker's default seccomp profile does
# for a container without CAP_SYS_ADMIN. x86_64 only (the syscall number).
NO_UNSHARE = r"""
import ctypes, os, struct, sys
NR_UNSHARE = 272  # x86_64
def insn(code, jt, jf, k):
    return struct.pack("HBBI", code, jt, jf, k)
program = b"".join([
    insn(0x20, 0, 0, 0),                         # A = seccomp_data.nr
    insn(0x15, 0, 1, NR_UNSHARE),                # if A == unshare: next, else skip one
    insn(0x06, 0, 0, 0x00050000 | 1),            # return SECCOMP_RET_ERRNO | EPERM
    insn(0x06, 0, 0, 0x7FFF0000),                # return SECCOMP_RET_ALLOW
])
buffer = ctypes.create_string_buffer(program)
class Prog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
prog = Prog(len(program) // 8, ctypes.addressof(buffer))
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
    sys.exit(f"seccomp: {os.strerror(ctypes.get_errno())}")
os.execvp(sys.argv[1], sys.argv[1:])
"""


@pytest.fixture(scope="module")
def container(course):
    top = Path(tempfile.mkdtemp(prefix="gradescope-nocap-"))
    try:
        top.chmod(0o755)  # the worker's uid must reach the venv's Python (never the course: setup.sh)
        root = top / "autograder"
        zip_path = export(course, HOMEWORK, top / "export")
        (root / "source").mkdir(parents=True)
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(root / "source")
        env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=SYSTEM_PYTHON)
        env.pop("CI", None)  # not the project's CI checks: the graded container itself
        setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True, timeout=900)
        assert setup.returncode == 0, setup.stdout + setup.stderr
        shim = top / "shim"
        shim.mkdir()
        (shim / "unshare").write_text("#!/bin/sh\necho 'unshare: unshare failed: Operation not permitted' >&2\nexit 1\n")
        (shim / "unshare").chmod(0o755)
        yield root, env, shim
    finally:
        shutil.rmtree(top, ignore_errors=True)


def run_without_namespaces(container, files, how, extra_env=None):
    root, env, shim = container
    for folder in ("submission", "results"):
        shutil.rmtree(root / folder, ignore_errors=True)
        (root / folder).mkdir()
    for name, text in files.items():
        (root / "submission" / name).write_text(text)
    env = dict(env, **(extra_env or {}))
    script = str(root / "source" / "run_autograder")
    if how == "capsh":
        command = ["capsh", "--drop=cap_sys_admin", "--", "-c", f"exec bash {script}"]
    else:
        env["PATH"] = f"{shim}:{env.get('PATH', '/usr/bin:/bin')}"
        command = [sys.executable, "-c", NO_UNSHARE, "bash", script]
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    data = json.loads((root / "results" / "results.json").read_text())
    return run, data


def test_the_control_namespaces_really_are_refused(container):
    """The two ways of refusing namespaces work: the `unshare` command fails under both."""
    _, env, shim = container
    dropped = subprocess.run(["capsh", "--drop=cap_sys_admin", "--", "-c", "unshare -m -n true"], capture_output=True, timeout=30)
    assert dropped.returncode != 0
    if platform.machine() == "x86_64":
        filtered = subprocess.run([sys.executable, "-c", NO_UNSHARE, "/usr/bin/unshare", "-m", "-n", "true"], capture_output=True, timeout=30)
        assert filtered.returncode != 0
    assert subprocess.run(["unshare", "-m", "-n", "true"], env=dict(env, PATH=f"{shim}:/usr/bin:/bin"), capture_output=True, timeout=30).returncode != 0


@pytest.mark.parametrize("how", ["capsh", "seccomp"])
def test_the_reference_scores_100_in_uid_mode_and_results_say_so(container, reference_source, how):
    if how == "seccomp" and platform.machine() != "x86_64":
        pytest.skip("the seccomp filter here knows x86_64's syscall numbers only")
    run, data = run_without_namespaces(container, {f"{HOMEWORK}.py": reference_source}, how)
    assert run.returncode == 0, run.stdout + run.stderr
    assert data["score"] == 100, data["output"]
    assert data["extra_data"]["isolation"] == "uid"


def test_uid_mode_keeps_the_course_from_the_worker(container, reference_source):
    """sigmoid stays right only while the worker's uid can neither read the reference nor
    write results.json (the reference is root's alone after setup.sh)."""
    root, _, _ = container
    folder = root / "source" / "solutions" / HOMEWORK
    targets = [str(folder / f"{HOMEWORK}.py"), str(folder / "grading.toml"), str(folder / "spec.py")]
    spy = replace_function(
        reference_source,
        "sigmoid",
        "def sigmoid(Z):\n"
        "    import os\n"
        "    found = 0\n"
        f"    for path in {targets!r}:\n"
        "        try:\n"
        "            open(path).read()\n"
        "            found += 1\n"
        "        except OSError:\n"
        "            pass\n"
        f"    try:\n"
        f"        open({str(root / 'results' / 'results.json')!r}, 'w').write('{{}}')\n"
        "        found += 1\n"
        "    except OSError:\n"
        "        pass\n"
        "    found += os.getuid() == 0\n"
        "    return 1.0 / (1.0 + np.exp(-Z)) + found\n",
    )
    run, data = run_without_namespaces(container, {f"{HOMEWORK}.py": spy}, "capsh")
    assert run.returncode == 0, run.stdout + run.stderr
    assert data["extra_data"]["isolation"] == "uid"
    sigmoid = next(t for t in data["tests"] if t["name"] == "sigmoid")
    assert sigmoid["score"] == sigmoid["max_score"], sigmoid["output"]


def test_a_required_isolation_that_is_missing_gives_results_with_its_reason(container, reference_source):
    """[sandbox] require_isolation = "root" in grading.toml, namespaces refused: results.json
    has score 0 and says why; the command fails."""
    root, _, _ = container
    config = root / "source" / "solutions" / HOMEWORK / "grading.toml"
    original = config.read_text()
    try:
        config.write_text(original + '\n[sandbox]\nrequire_isolation = "root"\n')
        run, data = run_without_namespaces(container, {f"{HOMEWORK}.py": reference_source}, "capsh")
    finally:
        config.write_text(original)
    assert run.returncode != 0
    assert data["score"] == 0
    assert "isolation 'uid'" in data["output"] and "'root' or stronger is required" in data["output"]
