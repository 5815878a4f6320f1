"""The "userns" isolation mode, for real: the grader run by an ordinary user.

The rest of the suite runs as root here (and in CI), so it exercises the "root" mode only.
A grader run by a user who is not root takes the "userns" mode, which sets up its jail
differently (a user namespace, written maps). This test installs the project into a venv
an unprivileged uid can read, then grades as that uid.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from conftest import ROOT, replace_function

NOBODY = 65534
SYSTEM_PYTHON = next((p for p in ("/usr/bin/python3.11", "/usr/bin/python3") if Path(p).exists()), None)


def as_nobody(command, **kwargs):
    return subprocess.run(command, user=NOBODY, group=NOBODY, extra_groups=[], capture_output=True, text=True, **kwargs)


def readable_by_others(path):
    """Can a uid with no special rights read ``path`` (every folder on the way searchable)?"""
    path = Path(path).resolve()
    return all(p.stat().st_mode & 0o005 == 0o005 for p in [path, *path.parents] if p.is_dir()) and path.stat().st_mode & 0o004


@pytest.fixture(scope="module")
def ordinary_user_venv():
    if os.geteuid() != 0:
        pytest.skip("needs root to run a command as another uid (as an ordinary user, the whole suite already runs in userns mode)")
    if SYSTEM_PYTHON is None:
        pytest.skip("no system Python that every user can run")
    if not readable_by_others(ROOT / "solutions" / "backprop" / "backprop.py"):
        pytest.skip(f"the checkout {ROOT} is not readable by other users")
    if shutil.which("unshare") is None or as_nobody(["unshare", "-U", "-m", "-n", "true"], timeout=10).returncode != 0:
        pytest.skip("this kernel does not give ordinary users user namespaces")
    folder = Path(tempfile.mkdtemp(prefix="userns-venv-"))
    try:
        folder.chmod(0o755)
        subprocess.run([SYSTEM_PYTHON, "-m", "venv", str(folder / "venv")], check=True, timeout=120)
        install = subprocess.run([str(folder / "venv" / "bin" / "pip"), "install", "--quiet", str(ROOT)], capture_output=True, text=True, timeout=600)
        assert install.returncode == 0, install.stderr
        for home in ("home", "submission"):
            (folder / home).mkdir()
            shutil.chown(folder / home, NOBODY, NOBODY)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def grade_as_nobody(folder, source):
    submission = folder / "submission" / "backprop.py"
    submission.write_text(source)
    submission.chmod(0o644)
    run = as_nobody(
        [str(folder / "venv" / "bin" / "autograder"), "grade", str(submission), "--assignment", "backprop", "--format", "json", "--course", str(ROOT)],
        env={"PATH": "/usr/bin:/bin", "HOME": str(folder / "home"), "LANG": "C.UTF-8"},
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout), run.stdout


def test_an_ordinary_user_grades_in_userns_mode(ordinary_user_venv, reference_source):
    data, _ = grade_as_nobody(ordinary_user_venv, reference_source)
    assert data["results"]["sandbox"]["isolation"] == "userns"
    assert data["score"] == 100


def test_userns_mode_hides_the_course_and_the_grader(ordinary_user_venv, reference_source):
    """sigmoid stays correct only while the worker cannot read the reference or the grader's
    code, which the same uid reads fine outside the sandbox."""
    package = next((ordinary_user_venv / "venv" / "lib").glob("python3*/site-packages/autograder/grader.py"))
    targets = [str(ROOT / "solutions" / "backprop" / "backprop.py"), str(package)]
    for path in targets:  # the control: outside the sandbox this uid can read both
        assert as_nobody(["cat", path], timeout=10).returncode == 0, path
    spy = replace_function(
        reference_source,
        "sigmoid",
        "def sigmoid(Z):\n"
        "    readable = 0\n"
        f"    for path in {targets!r}:\n"
        "        try:\n"
        "            open(path).read()\n"
        "            readable += 1\n"
        "        except OSError:\n"
        "            pass\n"
        "    return 1.0 / (1.0 + np.exp(-Z)) + readable\n",
    )
    data, _ = grade_as_nobody(ordinary_user_venv, spy)
    assert data["results"]["sandbox"]["isolation"] == "userns"
    sigmoid = next(t for t in data["tests"] if t["name"] == "sigmoid")
    assert sigmoid["score"] == sigmoid["max_score"], sigmoid["output"]


def _live_processes_with(marker):
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"{entry.path}/cmdline", "rb") as f:
                    if marker.encode() in f.read():
                        found.append(int(entry.name))
            except OSError:
                pass
    return found


def test_a_userns_worker_sees_and_signals_only_its_own_processes(ordinary_user_venv, reference_source):
    """Same uid as its grader, but a pid namespace of its own: SIGKILL to every pid number
    and to -1 reaches nothing outside, so the grader finishes; and sigmoid, right only while
    no process but the worker and its jail's pid 1 is visible, keeps its points."""
    killer = replace_function(
        reference_source,
        "sigmoid",
        "def sigmoid(Z):\n"
        "    import os, signal\n"
        "    others = [int(p) for p in os.listdir('/proc') if p.isdigit() and int(p) not in (1, os.getpid())]\n"
        "    if not hasattr(sigmoid, 'done'):  # once per worker: 65,535 kills take a while\n"
        "        sigmoid.done = True\n"
        "        for pid in set(range(1, 65536)) - {os.getpid()}:  # every pid number, seen or not (the grader's among them)\n"
        "            try:\n"
        "                os.kill(pid, signal.SIGKILL)\n"
        "            except OSError:\n"
        "                pass\n"
        "        try:\n"
        "            os.kill(-1, signal.SIGKILL)\n"
        "        except OSError:\n"
        "            pass\n"
        "    return 1.0 / (1.0 + np.exp(-Z)) + len(others)\n",
    )
    data, _ = grade_as_nobody(ordinary_user_venv, killer)
    assert data["results"]["sandbox"]["isolation"] == "userns" and data["results"]["sandbox"]["pid_namespace"]
    assert data["score"] == 100


def test_a_userns_daemon_does_not_outlive_its_submission(ordinary_user_venv, reference_source):
    """A `setsid` daemon is in the worker's pid namespace: it dies with the worker, before
    the grader reports. sigmoid is right only while its daemon runs (so it did start)."""
    marker = "zqadv7-userns-daemon"
    daemon = replace_function(
        reference_source,
        "sigmoid",
        "def sigmoid(Z):\n"
        "    import subprocess, sys\n"
        "    if not hasattr(sigmoid, 'daemon'):\n"
        f"        sigmoid.daemon = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)', '{marker}'], start_new_session=True)\n"
        "    running = sigmoid.daemon.poll() is None\n"
        "    return 1.0 / (1.0 + np.exp(-Z)) + (0.0 if running else 1.0)\n",
    )
    try:
        data, _ = grade_as_nobody(ordinary_user_venv, daemon)
        assert data["results"]["sandbox"]["isolation"] == "userns"
        sigmoid = next(t for t in data["tests"] if t["name"] == "sigmoid")
        assert sigmoid["score"] == sigmoid["max_score"], sigmoid["output"]  # the daemon ran
        deadline = time.monotonic() + 2  # the kernel ends the namespace's processes as pid 1 dies
        while _live_processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _live_processes_with(marker) == []
    finally:
        for pid in _live_processes_with(marker):
            os.kill(pid, 9)
