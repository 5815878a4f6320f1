"""Does our otter-grader export work with the real otter: assign, then run?"""

import json
import subprocess

import pytest
from conftest import fill_notebook, tool_env

from autograder.integrations.otter import export

DIAGONAL_ONLY = "def softmax_jacobian(z):\n    s = softmax(z[None])[0]\n    return np.diag(s * (1 - s))\n"


@pytest.fixture(scope="module")
def assigned(course, tmp_path_factory):
    folder = tmp_path_factory.mktemp("otter")
    master = export(course, folder)
    # otter assign runs the solution through its own grader and fails below 100%
    result = subprocess.run(["otter", "assign", master.name, "dist"], cwd=folder, env=tool_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    zips = list((folder / "dist" / "autograder").glob("backprop-autograder_*.zip"))
    assert len(zips) == 1
    return folder, zips[0]


def otter_run(assigned, notebook, name):
    folder, zip_path = assigned
    out = folder / "out" / name
    out.mkdir(parents=True)
    result = subprocess.run(["otter", "run", "--no-logo", "-a", str(zip_path), "-o", str(out), str(notebook)], env=tool_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout, json.loads((out / "results.json").read_text())


def test_student_notebook_has_no_solution_and_no_hidden_test(assigned):
    folder, _ = assigned
    text = (folder / "dist" / "student" / "backprop.ipynb").read_text()
    assert "BEGIN SOLUTION" not in text and "autograder_course" not in text
    assert "out[positive] = 1.0 / (1.0 + np.exp(-Z[positive]))" not in text  # a line of the sigmoid solution


def test_reference_gets_full_marks(assigned, tmp_path):
    folder, _ = assigned
    notebook = fill_notebook(folder / "dist" / "student" / "backprop.ipynb", tmp_path / "backprop.ipynb")
    stdout, _ = otter_run(assigned, notebook, "reference")
    assert "Total Score: 100.000 / 100.000" in stdout


def test_one_broken_function_loses_only_its_question_and_shows_our_diagnosis(assigned, tmp_path):
    folder, _ = assigned
    notebook = fill_notebook(folder / "dist" / "student" / "backprop.ipynb", tmp_path / "backprop.ipynb", {"softmax_jacobian": DIAGONAL_ONLY})
    stdout, results = otter_run(assigned, notebook, "broken")
    assert "Total Score: 96.000 / 100.000" in stdout  # softmax_jacobian is worth 4 points
    questions = {t["name"]: t for t in results["tests"] if t["name"] != "Public Tests"}
    assert questions["softmax_jacobian"]["score"] == 0
    assert all(t["score"] == t["max_score"] for name, t in questions.items() if name != "softmax_jacobian")
    output = questions["softmax_jacobian"]["output"]
    assert "jacobian_diagonal_only" in output and "np.diag(s) - np.outer(s, s)" in output
