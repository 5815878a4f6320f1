"""Does our nbgrader export work with the real nbgrader, with the same scores as ours?"""

import subprocess

import pytest
from conftest import fill_notebook, tool_env

from autograder.integrations.nbgrader import export

TRANSPOSED = "def dJ_dW2(X2, dZ2):\n    return dZ2.T @ X2\n"


def nbgrader(folder, *args):
    result = subprocess.run(["nbgrader", *args], cwd=folder, env=tool_env(), capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def course_dir(course, tmp_path_factory):
    folder = export(course, tmp_path_factory.mktemp("nbgrader") / "course")
    nbgrader(folder, "generate_assignment", "backprop", "--force")
    release = folder / "release" / "backprop" / "backprop.ipynb"
    fill_notebook(release, folder / "submitted" / "alice" / "backprop" / "backprop.ipynb")
    fill_notebook(release, folder / "submitted" / "bob" / "backprop" / "backprop.ipynb", {"dJ_dW2": TRANSPOSED})
    nbgrader(folder, "autograde", "backprop", "--force")
    nbgrader(folder, "generate_feedback", "backprop", "--force")
    return folder


def test_release_strips_solutions_and_hidden_tests(course_dir):
    text = (course_dir / "release" / "backprop" / "backprop.ipynb").read_text()
    assert "BEGIN HIDDEN TESTS" not in text and "AUTOGRADER_COURSE" not in text and "BEGIN SOLUTION" not in text
    assert "out[positive] = 1.0 / (1.0 + np.exp(-Z[positive]))" not in text  # a line of the sigmoid solution
    assert (course_dir / "release" / "backprop" / "data" / "mnist.py").exists()


@pytest.mark.parametrize("student", ["alice", "bob"])
def test_gradebook_scores_match_autograder_grade(course_dir, hidden_grader, student):
    from nbgrader.api import Gradebook

    ours = hidden_grader.grade(course_dir / "submitted" / student / "backprop" / "backprop.ipynb")
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission("backprop", student)
        assert abs(submission.score - ours.score) < 1e-3
        grades = {g.name: g.score for nb in submission.notebooks for g in nb.grades}
    for f in ours.functions:
        assert abs(grades[f"{f.name}_test"] - f.score) < 1e-3, f.name
    if student == "bob":
        assert ours.function("dJ_dW2").score < ours.function("dJ_dW2").max_score


def test_feedback_shows_the_diagnosis_but_not_the_hidden_tests(course_dir):
    import html

    page = html.unescape((course_dir / "feedback" / "bob" / "backprop" / "backprop.html").read_text())
    assert "mistake: transposed" in page and "X2.T @ dZ2" in page
    assert "BEGIN HIDDEN TESTS" not in page and "AUTOGRADER_COURSE" not in page
