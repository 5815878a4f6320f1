"""Does our otter-grader export work with the real otter: assign, then run?

``otter assign`` runs in this project's venv (the instructor's). ``otter run`` runs in an
environment built from the autograder zip alone, as otter and Gradescope build it: a fresh
venv holding exactly what the zip's environment.yml installs (otter-grader, and our engine
from the wheel inside the zip), never this project's venv, started from a fresh shell (no
VIRTUAL_ENV, this venv's bin not on PATH) in a folder outside the project.

``assign``, ``zip_environment`` and ``otter_run`` serve any homework (tests/test_homeworks.py
calls them for the others); the tests here grade the backprop homework.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import HOMEWORK, ROOT, fill_notebook

from autograder.course import Course
from autograder.integrations.otter import export, master_notebook

DIAGONAL_ONLY = "def softmax_jacobian(z):\n    s = softmax(z[None])[0]\n    return np.diag(s * (1 - s))\n"


def assign(course, homework, folder):
    """Export ``homework`` for otter into ``folder`` and run ``otter assign`` there; returns
    (folder, the autograder zip)."""
    master = export(course, homework, folder)
    # otter assign runs the solution through its own grader and fails below 100%; it runs
    # in the instructor's venv, typed as README says: .venv/bin/otter from a fresh shell
    otter = str(Path(sys.executable).parent / "otter")
    result = subprocess.run([otter, "assign", master.name, "dist"], cwd=folder, env=fresh_shell_env(), capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    zips = list((folder / "dist" / "autograder").glob(f"{homework}-autograder_*.zip"))
    assert len(zips) == 1
    return folder, zips[0]


@pytest.fixture(scope="module")
def assigned(course, tmp_path_factory):
    return assign(course, HOMEWORK, tmp_path_factory.mktemp("otter"))


def fresh_shell_env(venv=None):
    """os.environ without any venv activated; ``venv``'s bin first on PATH if given."""
    venv_bin = os.path.realpath(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and os.path.realpath(p) != venv_bin]
    env["PATH"] = os.pathsep.join(([str(venv / "bin")] if venv else []) + (path or ["/usr/bin", "/bin"]))
    return env


def zip_environment(zip_path, folder):
    """A venv in ``folder`` built only from the zip's files: its environment.yml's packages
    (conda's and pip's; the pip lines run from the unzipped folder, as conda and mamba run
    them); returns (venv, env) for ``otter_run``."""
    source = folder / "source"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(source)
    environment = yaml.safe_load((source / "environment.yml").read_text())
    conda = [d for d in environment["dependencies"] if isinstance(d, str)]
    pip = [line for d in environment["dependencies"] if isinstance(d, dict) for line in d["pip"]]
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert f"python={python}" in conda  # the venv's Python is the one the zip asks for
    packages = [d for d in conda if d.split("=")[0] not in ("python", "pip")] + pip
    venv = folder / "venv"
    env = fresh_shell_env()
    base_python = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base_python, "-m", "venv", str(venv)], env=env, check=True, timeout=300)
    # --no-compile: the same packages, without byte-compiling all of them (half the time)
    install = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-compile", *packages],
        cwd=source, env=env, capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    env = fresh_shell_env(venv)
    probe = (
        "import autograder, sys\n"
        "from jupyter_client.kernelspec import KernelSpecManager\n"
        "print(autograder.__file__)\n"
        "print(KernelSpecManager().get_kernel_spec('python3').argv[0])\n"
    )
    where = subprocess.run([str(venv / "bin" / "python"), "-c", probe], cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    engine, kernel = where.stdout.split()
    assert Path(engine).is_relative_to(venv), engine  # our engine, from the zip's wheel
    assert kernel in ("python", "python3") or Path(kernel).is_relative_to(venv), kernel  # the kernel runs this venv's python
    return venv, env


@pytest.fixture(scope="module")
def zip_env(assigned, tmp_path_factory):
    return zip_environment(assigned[1], tmp_path_factory.mktemp("otter-env"))


def otter_run(assigned, zip_env, notebook, name):
    """``otter run`` of ``notebook`` with the zip, in the zip's own environment; returns
    (what it printed, its results.json)."""
    folder, zip_path = assigned
    venv, env = zip_env
    out = folder / "out" / name
    out.mkdir(parents=True)
    command = [str(venv / "bin" / "otter"), "run", "--no-logo", "-a", str(zip_path), "-o", str(out), str(notebook)]
    result = subprocess.run(command, cwd=out, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout, json.loads((out / "results.json").read_text())


def test_the_zip_carries_our_engine_and_installs_it(assigned):
    _, zip_path = assigned
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        environment = yaml.safe_load(archive.read("environment.yml"))
        config = json.loads(archive.read("otter_config.json"))
    pip = [line for d in environment["dependencies"] if isinstance(d, dict) for line in d["pip"]]
    wheels = [line for line in pip if line.endswith(".whl")]
    assert len(wheels) == 1 and wheels[0].startswith("./files/") and wheels[0][2:] in names
    with zipfile.ZipFile(zip_path) as archive, zipfile.ZipFile(archive.open(wheels[0][2:])) as wheel:
        packaged = set(wheel.namelist())
    # the student wheel: the public tests load the homework's spec without a course
    assert {f"autograder/homeworks/{HOMEWORK}/spec.py", f"autograder/homeworks/{HOMEWORK}/mistakes.py"} <= packaged
    assert f"autograder/homeworks/{HOMEWORK}/{HOMEWORK}.py" not in packaged
    assert f"files/autograder_course/solutions/{HOMEWORK}/spec.py" in names  # the hidden tests' course
    assert "otter-grader[grading,plugins]==7.0.0" in pip
    assert config["show_hidden"] is True  # the hidden tests carry our diagnosis


def test_otter_show_hidden_follows_grading_toml(course, hw_files, tmp_path):
    folder = tmp_path / "solutions" / HOMEWORK
    shutil.copytree(hw_files.folder, folder, ignore=shutil.ignore_patterns("__pycache__"))
    text = hw_files.grading_config.read_text().replace("otter_show_hidden = true", "otter_show_hidden = false")
    assert "otter_show_hidden = false" in text
    (folder / "grading.toml").write_text(text)
    config_cell = master_notebook(Course(tmp_path), HOMEWORK).cells[0].source
    assert "show_hidden: false" in config_cell and f"name: {HOMEWORK}" in config_cell
    assert "show_hidden: true" in master_notebook(course, HOMEWORK).cells[0].source


@pytest.mark.parametrize("name", Course(ROOT).homeworks())
def test_has_the_master_notebook_one_question_per_graded_function(course, name):
    from autograder.release import homework_of

    cells = master_notebook(course, name).cells
    assert f"name: {name}\n" in cells[0].source
    questions = [c.source.split("name: ", 1)[1].split("\n", 1)[0] for c in cells if c.cell_type == "raw" and c.source.startswith("# BEGIN QUESTION")]
    assert questions == list(homework_of(course, name)[1].names)
    tests = [c.source for c in cells if c.cell_type == "code" and "require_function" in c.source]
    assert len(tests) == 2 * len(questions) and all(f'homework="{name}"' in s for s in tests)


def test_student_notebook_has_no_solution_and_no_hidden_test(assigned):
    folder, _ = assigned
    text = (folder / "dist" / "student" / f"{HOMEWORK}.ipynb").read_text()
    assert "BEGIN SOLUTION" not in text and "autograder_course" not in text
    assert "out[positive] = 1.0 / (1.0 + np.exp(-Z[positive]))" not in text  # a line of the sigmoid solution


def test_reference_gets_full_marks_in_the_zips_own_environment(assigned, zip_env, tmp_path):
    folder, _ = assigned
    notebook = fill_notebook(folder / "dist" / "student" / f"{HOMEWORK}.ipynb", tmp_path / f"{HOMEWORK}.ipynb")
    stdout, _ = otter_run(assigned, zip_env, notebook, "reference")
    assert "Total Score: 100.000 / 100.000" in stdout


def test_one_broken_function_loses_only_its_question_and_shows_our_diagnosis_after_publishing(assigned, zip_env, tmp_path):
    folder, _ = assigned
    notebook = fill_notebook(folder / "dist" / "student" / f"{HOMEWORK}.ipynb", tmp_path / f"{HOMEWORK}.ipynb", {"softmax_jacobian": DIAGONAL_ONLY})
    stdout, results = otter_run(assigned, zip_env, notebook, "broken")
    assert "Total Score: 96.000 / 100.000" in stdout  # softmax_jacobian is worth 4 points
    questions = {t["name"]: t for t in results["tests"] if t["name"] != "Public Tests"}
    assert questions["softmax_jacobian"]["score"] == 0
    assert all(t["score"] == t["max_score"] for name, t in questions.items() if name != "softmax_jacobian")
    output = questions["softmax_jacobian"]["output"]
    assert "jacobian_diagonal_only" in output and "np.diag(s) - np.outer(s, s)" in output
    assert all(t["visibility"] == "after_published" for t in questions.values())  # otter_show_hidden = true
