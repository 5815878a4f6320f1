"""Does our nbgrader export work with the real nbgrader, with the same scores as ours?

Every nbgrader command runs as an instructor types it in a fresh shell: ``.venv/bin/nbgrader``
with no activated venv (no VIRTUAL_ENV, ``.venv/bin`` not on PATH). ``export_and_autograde``
serves any homework (tests/test_homeworks.py calls it for the others); the tests here grade
the backprop homework."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import HOMEWORK, ROOT, fill_notebook

from autograder.course import Course
from autograder.integrations.nbgrader import export, source_notebook

TRANSPOSED = "def dJ_dW2(X2, dZ2):\n    return dZ2.T @ X2\n"
# ipykernel 7 says this once per kernel it starts, for any notebook: not about our cells.
KERNEL_TCP_NOTICE = "Kernel is running over TCP without encryption"


def fresh_shell_env():
    """os.environ as a new login shell has it: no venv activated, the venv's bin not on PATH."""
    venv_bin = os.path.realpath(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and os.path.realpath(p) != venv_bin]
    env["PATH"] = os.pathsep.join(path) or "/usr/bin:/bin"
    return env


def nbgrader(folder, *args):
    command = [str(Path(sys.executable).parent / "nbgrader"), *args]  # .venv/bin/nbgrader
    result = subprocess.run(command, cwd=folder, env=fresh_shell_env(), capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def export_and_autograde(course, homework, folder, students):
    """Export ``homework`` into ``folder``, generate the assignment, submit one notebook per
    student ({student: {function: replacement source}}, filled from the reference otherwise),
    autograde and generate feedback; returns (course folder, what each command printed)."""
    # the failure this guards against: nbgrader starts `alembic` through PATH
    assert shutil.which("alembic", path=fresh_shell_env()["PATH"]) is None, "an alembic outside the venv hides the fresh-shell case"
    folder = export(course, homework, folder)
    logs = {"generate_assignment": nbgrader(folder, "generate_assignment", homework)}
    release = folder / "release" / homework / f"{homework}.ipynb"
    for student, replace in students.items():
        fill_notebook(release, folder / "submitted" / student / homework / f"{homework}.ipynb", replace, homework=homework)
    logs["autograde"] = nbgrader(folder, "autograde", homework)
    logs["generate_feedback"] = nbgrader(folder, "generate_feedback", homework)
    return folder, logs


@pytest.mark.parametrize("name", Course(ROOT).homeworks())
def test_is_every_graded_function_followed_by_its_locked_test_cell(course, name):
    from autograder.release import homework_of

    notebook = source_notebook(course, name)
    meta = [cell.metadata.get("nbgrader", {}) for cell in notebook.cells]
    tests = [cell for cell, m in zip(notebook.cells, meta) if m.get("grade")]
    spec = homework_of(course, name)[1]
    assert [m["grade_id"] for m in meta if m.get("grade")] == [f"{f}_test" for f in spec.names]
    assert all(f'homework="{name}"' in cell.source and m.get("locked") for cell, m in zip(tests, (m for m in meta if m.get("grade"))))
    solutions = [cell.source for cell, m in zip(notebook.cells, meta) if m.get("solution")]
    assert [s.split("def ", 1)[1].split("(", 1)[0] for s in solutions] == list(spec.names)


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory):
    """The exported course after generate_assignment, autograde and generate_feedback, and
    what each command printed."""
    return export_and_autograde(course, HOMEWORK, tmp_path_factory.mktemp("nbgrader") / "course", {"alice": {}, "bob": {"dJ_dW2": TRANSPOSED}})


@pytest.fixture(scope="module")
def course_dir(graded):
    return graded[0]


def test_the_commands_from_a_fresh_shell_print_no_warning(graded):
    """No checksum warning per test cell, no "Cell 'code_13' does not exist in the database"."""
    _, logs = graded
    for command, log in logs.items():
        warnings = [line for line in log.splitlines() if "WARNING" in line and KERNEL_TCP_NOTICE not in line]
        assert warnings == [], (command, warnings[:5])
    assert "Converting notebook" in logs["autograde"]  # the log was captured at all


def test_release_strips_solutions_and_holds_no_hidden_test(course_dir):
    text = (course_dir / "release" / HOMEWORK / f"{HOMEWORK}.ipynb").read_text()
    assert "BEGIN SOLUTION" not in text and "autograder_course" not in text and "HIDDEN TESTS" not in text
    assert "out[positive] = 1.0 / (1.0 + np.exp(-Z[positive]))" not in text  # a line of the sigmoid solution
    assert (course_dir / "release" / HOMEWORK / "data" / "mnist.py").exists()
    assert (course_dir / "autograder_course" / "solutions" / HOMEWORK / "spec.py").exists()  # the hidden tests' course


@pytest.mark.parametrize("student", ["alice", "bob"])
def test_gradebook_scores_match_autograder_grade(course_dir, hidden_grader, student):
    from nbgrader.api import Gradebook

    ours = hidden_grader.grade(course_dir / "submitted" / student / HOMEWORK / f"{HOMEWORK}.ipynb")
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(HOMEWORK, student)
        assert abs(submission.score - ours.score) < 1e-3
        grades = {g.name: g.score for nb in submission.notebooks for g in nb.grades}
    for f in ours.functions:
        assert abs(grades[f"{f.name}_test"] - f.score) < 1e-3, f.name
    if student == "bob":
        assert ours.function("dJ_dW2").score < ours.function("dJ_dW2").max_score


def test_feedback_shows_the_diagnosis_but_not_where_the_reference_is(course_dir):
    import html

    page = html.unescape((course_dir / "feedback" / "bob" / HOMEWORK / f"{HOMEWORK}.html").read_text())
    assert "mistake: transposed" in page and "X2.T @ dZ2" in page
    assert "autograder_course" not in page
