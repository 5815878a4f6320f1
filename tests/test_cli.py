"""Does the `autograder` command behave as a container and a student expect?"""

import json
import subprocess
import sys

import pytest

GRADESCOPE_TEST_FIELDS = {"name": str, "score": (int, float), "max_score": (int, float), "status": str, "output": str, "tags": list, "visibility": str}


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def validate_gradescope(data):
    assert isinstance(data["score"], (int, float)) and isinstance(data["execution_time"], (int, float))
    assert isinstance(data["output"], str) and isinstance(data["tests"], list)
    total_max = 0
    for test in data["tests"]:
        for field, kind in GRADESCOPE_TEST_FIELDS.items():
            assert isinstance(test[field], kind), (field, test)
        assert 0 <= test["score"] <= test["max_score"]
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] in ("visible", "hidden", "after_due_date", "after_published")
        assert any(tag.startswith("function:") for tag in test["tags"])
        total_max += test["max_score"]
    assert 0 <= data["score"] <= total_max
    assert abs(data["score"] - sum(t["score"] for t in data["tests"])) < 1e-6


def test_grade_prints_only_json_on_stdout(course):
    result = run("grade", str(course.solution), cwd=course.root)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    validate_gradescope(data)
    assert data["score"] == 100 and "results" in data


def test_gradescope_format_to_a_file(course, tmp_path):
    out = tmp_path / "results" / "results.json"
    result = run("grade", str(course.release_dir / "backprop.py"), "--format", "gradescope", "--output", str(out), cwd=course.root)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    data = json.loads(out.read_text())
    validate_gradescope(data)
    assert data["score"] == 0
    assert all("mistake:not_implemented" in t["tags"] for t in data["tests"])


def test_text_format_for_a_terminal(course):
    result = run("grade", str(course.solution), "--format", "text", cwd=course.root)
    assert "100.00 / 100" in result.stdout and "25 of 25 functions pass" in result.stdout


def test_check_runs_public_checks_without_a_course(course, tmp_path):
    """A student's machine has the release only: no solutions/, no grading.toml."""
    target = tmp_path / "backprop.py"
    target.write_text(course.solution.read_text())
    result = run("check", str(target), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "public checks" in result.stdout and "25 of 25 functions pass" in result.stdout


def test_check_exit_code_says_something_failed(course, tmp_path):
    result = run("check", str(course.release_dir / "backprop.py"), "--only", "softmax,dJ_dW2", cwd=tmp_path)
    assert result.returncode == 1
    assert "not implemented" in result.stdout and "dJ_dW2" in result.stdout and "sigmoid " not in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (("grade", "nowhere.py"), "does not exist"),
        (("grade", "README.md"), "submissions are .py or .ipynb"),
        (("check", "--only", "no_such_function", "assignment/backprop.py"), "unknown functions"),
        (("grade-all", "assignment", "--output", "out", "--mode", "9"), "not an octal file mode"),
    ],
)
def test_bad_input_gets_a_clear_error(course, args, message):
    result = run(*args, cwd=course.root)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
