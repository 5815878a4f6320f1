"""Does check() give feedback wherever the student works (issue 16, point 2)?

check() runs the public checks on the live functions of a namespace (a notebook's globals, a
dict, a module), in this process, with no sandbox, on any system; the release ships those
checks in assignment/<name>/checks/ (a numpy-only copy of the engine's public path), and the
released notebook's check cells use them on the kernel's functions without saving.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

import numpy as np
import pytest

from autograder import check
from autograder.live import CallTimeout, WatchdogLimit
from autograder.public import check as check_file

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "assignment" / "backprop"
POINTS = tomllib.loads((ROOT / "solutions" / "backprop" / "grading.toml").read_text())["points"]
PART_1 = ["sigmoid", "d_sigmoid", "softmax", "softmax_jacobian", "cross_entropy", "d_softmax"]


def _module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def stubs():
    return _module(RELEASE / "backprop.py", "_live_check_stubs")


def test_does_the_reference_earn_every_public_point_from_a_dict_and_from_a_module(ref):
    as_dict = check(vars(ref), homework="backprop", quiet=True)
    assert as_dict.max_score == POINTS["total"] == 100
    assert as_dict.score == as_dict.max_score
    assert all(f.passed for f in as_dict.functions)
    as_module = check(ref, functions=PART_1, homework="backprop", quiet=True)
    assert as_module.max_score == sum(POINTS[n] for n in PART_1) == as_module.score


def test_do_the_release_stubs_earn_nothing_and_say_so(stubs):
    result = check(stubs, homework="backprop", quiet=True)
    assert result.score == 0 and result.max_score == 100
    assert all("not_implemented" in f.mistakes for f in result.functions)


def test_is_a_broken_function_named_and_the_others_kept(ref, capsys):
    namespace = dict(vars(ref), softmax=lambda Z: np.exp(Z) / np.exp(Z).sum())  # over the whole array
    result = check(namespace, functions=PART_1, homework="backprop")
    shown = capsys.readouterr().out
    assert not result.function("softmax").passed
    assert [f.name for f in result.functions if not f.passed] == ["softmax"]
    assert result.function("softmax").score < POINTS["softmax"]  # a one-row case is still right
    assert result.score == sum(POINTS[n] for n in PART_1 if n != "softmax") + result.function("softmax").score
    assert "FAIL softmax" in shown and "ok   sigmoid" in shown and "FAIL sigmoid" not in shown


def test_does_check_with_no_argument_read_the_callers_globals(ref):
    namespace = {"sigmoid": ref.sigmoid, "np": np}
    exec("from autograder import check\nresult = check(functions=['sigmoid', 'd_sigmoid'], homework='backprop', quiet=True)", namespace)
    result = namespace["result"]
    assert result.function("sigmoid").passed and not result.function("d_sigmoid").passed
    assert "missing_function" in result.function("d_sigmoid").mistakes


def test_can_part_select_the_functions_of_one_part(ref):
    result = check(ref, part=1, homework="backprop", quiet=True)
    assert [f.name for f in result.functions] == PART_1


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_do_live_checks_run_on_macos_and_windows(ref, stubs, monkeypatch, platform):
    monkeypatch.setattr(sys, "platform", platform)
    assert check(ref, functions=PART_1, homework="backprop", quiet=True).score == sum(POINTS[n] for n in PART_1)
    assert check(stubs, functions=PART_1, homework="backprop", quiet=True).score == 0


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_does_checking_a_file_elsewhere_than_linux_run_unsandboxed_and_say_so(reference_source, tmp_path, monkeypatch, capsys, platform):
    monkeypatch.setattr(sys, "platform", platform)  # the sandbox refuses anything but Linux: it must not be reached
    path = tmp_path / "backprop.py"
    path.write_text(reference_source)
    result = check_file(path, PART_1, quiet=True, homework="backprop")
    assert result.score == result.max_score == sum(POINTS[n] for n in PART_1)
    assert "not sandboxed" in result.submission and result.sandbox["sandboxed"] is False
    assert "without a sandbox" in capsys.readouterr().err


def test_does_a_call_time_out_off_the_main_thread(ref):
    def endless(Z):
        while True:
            pass

    namespace = dict(vars(ref), sigmoid=endless)
    out = {}
    thread = threading.Thread(target=lambda: out.update(result=check(namespace, functions=["sigmoid"], homework="backprop", quiet=True)))
    thread.start()
    thread.join(60)
    finding = out["result"].function("sigmoid").findings[0]
    assert "timeout" in out["result"].function("sigmoid").mistakes, finding


def test_does_the_watchdog_leave_a_call_that_finishes_in_time_alone():
    with WatchdogLimit(0.2):
        total = sum(range(1000))
    threading.Event().wait(0.4)  # a raise taken back never arrives later
    assert total == 499500
    with pytest.raises(CallTimeout):
        with WatchdogLimit(0.1):
            while True:
                pass


def test_do_the_shipped_checks_hold_public_settings_only():
    shipped = RELEASE / "checks" / "autograder"
    settings = json.loads((shipped / "homeworks" / "backprop" / "public.json").read_text())
    assert settings["seeds"] == [11, 12, 13]
    assert settings["points"] == {k: float(v) for k, v in POINTS.items() if k != "total"}
    hidden = tomllib.loads((ROOT / "solutions" / "backprop" / "grading.toml").read_text())["hidden"]["seeds"]
    names = {p.relative_to(shipped).as_posix() for p in shipped.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert "homeworks/backprop/backprop.py" not in names and not any(n.endswith((".toml", "train.py")) for n in names)
    for path in shipped.rglob("*.py"):
        text = path.read_text()
        assert "# BEGIN SOLUTION" not in text, path
        assert not any(str(seed) in text for seed in hidden), path


NUMPY_ONLY = r"""
import importlib.abc, importlib.util, sys
BLOCKED = {"jinja2", "tqdm", "yaml", "jupytext", "nbformat", "tomllib", "tomli", "matplotlib", "IPython", "scipy"}
class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"blocked: {name}")
sys.meta_path.insert(0, Blocker())
sys.path.insert(0, sys.argv[1])
from autograder import check
import autograder
assert autograder.__file__.startswith(sys.argv[1]), autograder.__file__
spec = importlib.util.spec_from_file_location("stubs", sys.argv[2])
stubs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(stubs)
result = check(stubs, quiet=True)
foreign = sorted(m for m in sys.modules if m.split(".")[0] not in sys.stdlib_module_names
                 and not m.startswith(("autograder", "numpy", "_hw_", "_cython", "cython_runtime", "_distutils_hack", "__main__", "stubs")))
print(result.score, result.max_score, foreign)
"""


def test_do_the_shipped_checks_run_with_numpy_alone(tmp_path):
    folder = tmp_path / "backprop"
    shutil.copytree(RELEASE / "checks", folder / "checks")
    shutil.copy(RELEASE / "backprop.py", folder / "backprop.py")
    done = subprocess.run(
        [sys.executable, "-I", "-c", NUMPY_ONLY, str(folder / "checks"), str(folder / "backprop.py")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0.0", "100.0", "[]"], done.stdout


def test_do_the_released_notebooks_check_cells_run_on_the_live_functions_in_a_kernel(tmp_path):
    """One real kernel: Run All of the released stub notebook (every check cell reports, in
    points), then a sigmoid written in the kernel and never saved, checked by the notebook's
    own helper from the shipped checks/."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    folder = tmp_path / "backprop"
    shutil.copytree(RELEASE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    notebook = nbformat.read(folder / "backprop.ipynb", as_version=4)
    check_cells = [i for i, c in enumerate(notebook.cells) if c.cell_type == "code" and "run_public_checks([" in c.source]
    notebook.cells.append(nbformat.v4.new_code_cell("def sigmoid(Z):\n    return 0.5 * (1.0 + np.tanh(0.5 * Z))"))
    notebook.cells.append(nbformat.v4.new_code_cell(
        "import autograder\nresult = run_public_checks(['sigmoid', 'd_sigmoid'])\n"
        "print('RESULT', result.score, result.max_score, autograder.__file__)"
    ))  # fmt: skip
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    client.execute()
    texts = ["".join(o.get("text", "") for o in c.get("outputs", [])) for c in notebook.cells]
    parts = {}
    for index in check_cells:
        names = [f for f in POINTS if f"'{f}'" in notebook.cells[index].source]
        parts[index] = sum(POINTS[n] for n in names)
        assert f"0.00 / {parts[index]:g}" in texts[index], texts[index]  # a report, in points, for the stubs
    assert len(parts) == 4 and sum(parts.values()) == 100
    live = texts[-1]
    assert "ok   sigmoid" in live and "d_sigmoid" in live, live
    score, max_score, where = live.split("RESULT", 1)[1].split()
    assert (float(score), float(max_score)) == (POINTS["sigmoid"], POINTS["sigmoid"] + POINTS["d_sigmoid"])
    assert where.startswith(str(folder / "checks")), where  # the shipped checks, not an installed package
    saved = nbformat.read(folder / "backprop.ipynb", as_version=4)
    assert "NotImplementedError" in next(c.source for c in saved.cells if "def sigmoid(" in c.source)  # never saved


WINDOWS_LIKE = r"""
import importlib.abc, importlib.util, signal, sys
BLOCKED = {"fcntl", "resource", "termios", "pwd", "grp"}
class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"No module named {name!r}")
for name in BLOCKED:
    sys.modules.pop(name, None)
sys.meta_path.insert(0, Blocker())
sys.platform = "win32"
del signal.setitimer  # no SIGALRM timer either: calls are timed by the watchdog thread
from autograder import check
from autograder.cli import main
spec = importlib.util.spec_from_file_location("reference", sys.argv[1])
reference = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reference)
live = check(reference, homework="backprop", quiet=True)
print("LIVE", live.score, live.max_score)
sys.exit(main(["check", sys.argv[1], "--only", "sigmoid,softmax"]))
"""


def test_does_the_full_package_check_without_fcntl_resource_or_sigalrm(hw_files, tmp_path):
    """A Windows-like interpreter (no fcntl, resource, setitimer; sys.platform win32): the live
    check and `autograder check FILE`, unsandboxed and labelled so, both work."""
    path = tmp_path / "backprop.py"
    path.write_text(hw_files.reference.read_text())
    done = subprocess.run([sys.executable, "-c", WINDOWS_LIKE, str(path)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "LIVE 100.0 100.0" in done.stdout
    assert "not sandboxed on win32" in done.stdout and "without a sandbox" in done.stderr


def test_does_checking_a_file_on_linux_keep_the_sandbox_and_count_points(reference_source, tmp_path):
    path = tmp_path / "backprop.py"
    path.write_text(reference_source)
    result = check_file(path, PART_1, quiet=True, homework="backprop")
    assert result.sandbox["isolation"] in ("root", "userns", "uid", "none") and "not sandboxed" not in result.submission
    assert result.score == result.max_score == sum(POINTS[n] for n in PART_1)


def test_does_the_release_refuse_checks_that_would_not_import():
    from autograder.release import ReleaseError, _check_shipped_imports, _grading_part

    with pytest.raises(ReleaseError, match="imports sandbox"):
        _check_shipped_imports({"live.py": "from .sandbox import Limits\n", "errors.py": ""})
    source = "from .sandbox import WorkerGone\nfrom .checks import evaluate\n\n\ndef grade_cases():\n    raise WorkerGone('x')\n"
    with pytest.raises(ReleaseError, match="WorkerGone"):
        _grading_part(source)
    part = _grading_part(source.replace("raise WorkerGone('x')", "return evaluate"))
    assert "sandbox" not in part and "def grade_cases" in part and "from .checks import evaluate" in part


def test_does_run_all_of_the_second_homeworks_stub_notebook_finish_with_every_check_cell_reporting(tmp_path):
    """modular_layers' release, stubs only, Run All in a real kernel: no cell raises, every
    check cell reports zero in points, every experiment cell says which function to write."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    release = ROOT / "assignment" / "modular_layers"
    points = tomllib.loads((ROOT / "solutions" / "modular_layers" / "grading.toml").read_text())["points"]
    folder = tmp_path / "modular_layers"
    shutil.copytree(release, folder, ignore=shutil.ignore_patterns("__pycache__"))
    notebook = nbformat.read(folder / "modular_layers.ipynb", as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    code = [c for c in notebook.cells if c.cell_type == "code"]
    texts = ["".join(o.get("text", "") for o in c.get("outputs", [])) for c in code]
    checks = [(c, t) for c, t in zip(code, texts) if "run_public_checks([" in c.source]
    experiments = [t for c, t in zip(code, texts) if '__main__":\n    with skip_if_not_written():' in c.source]
    assert len(checks) == 3 and len(experiments) >= 4
    for cell, text in checks:
        total = sum(points[name] for name in points if f'"{name}"' in cell.source)
        assert f"0.00 / {total:g}" in text, text
    assert all(text.startswith("Skipped: ") for text in experiments), experiments
