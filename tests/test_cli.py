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


def test_grade_prints_only_json_on_stdout(course, hw_files):
    result = run("grade", str(hw_files.reference), cwd=course.root)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    validate_gradescope(data)
    assert data["score"] == 100 and "results" in data


def test_gradescope_format_to_a_file(course, hw_files, tmp_path):
    out = tmp_path / "results" / "results.json"
    result = run("grade", str(hw_files.release_dir / "backprop.py"), "--assignment", "backprop", "--format", "gradescope", "--output", str(out), cwd=course.root)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    data = json.loads(out.read_text())
    validate_gradescope(data)
    assert data["score"] == 0
    assert all("mistake:not_implemented" in t["tags"] for t in data["tests"])


def test_text_format_for_a_terminal(course, hw_files, homework):
    result = run("grade", str(hw_files.reference), "--format", "text", cwd=course.root)
    n = len(homework.names)
    assert "100.00 / 100" in result.stdout and f"{n} of {n} functions pass" in result.stdout


def test_check_runs_public_checks_without_a_course(hw_files, homework, tmp_path):
    """A student's machine has the release only: no solutions/, no grading.toml."""
    target = tmp_path / "backprop.py"
    target.write_text(hw_files.reference.read_text())
    result = run("check", str(target), cwd=tmp_path)
    n = len(homework.names)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "public checks" in result.stdout and f"{n} of {n} functions pass" in result.stdout


def test_check_exit_code_says_something_failed(hw_files, tmp_path):
    result = run("check", str(hw_files.release_dir / "backprop.py"), "--only", "softmax,dJ_dW2", cwd=tmp_path)
    assert result.returncode == 1
    assert "not written yet: softmax, dJ_dW2 (2 functions)" in result.stdout and "sigmoid " not in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (("grade", "nowhere.py"), "does not exist"),
        (("grade", "README.md"), "submissions are .py or .ipynb"),
        (("check", "--only", "no_such_function", "assignment/backprop/backprop.py"), "unknown functions"),
        (("grade-all", "assignment", "--output", "out", "--mode", "9"), "not an octal file mode"),
        (("grade", "assignment/backprop/backprop.py", "--assignment", "no_such_homework"), "no homework 'no_such_homework'"),
        (("export", "otter", "--assignment", "no_such_homework", "--output", "out"), "no homework 'no_such_homework'"),
        (("new", "Bad-Name"), "is not a homework name"),
        (("new", "backprop"), "exists already"),
    ],
)
def test_bad_input_gets_a_clear_error(course, args, message):
    result = run(*args, cwd=course.root)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_is_training_no_longer_a_command_of_the_grader():
    """Training is the homework's own script (solutions/<name>/train.py), not the engine's."""
    result = run("train")
    assert result.returncode == 2 and "invalid choice: 'train'" in result.stderr


def test_does_grade_ask_which_homework_when_the_file_name_names_none(course, hw_files, tmp_path):
    """With several homeworks and a file named after none of them, the command lists them."""
    import shutil

    root = tmp_path / "course"
    for name in ("tanh_one", "tanh_two"):
        assert run("new", name, "--course", str(root)).returncode == 0
    shutil.copy(hw_files.reference, tmp_path / "answers.py")
    result = run("grade", str(tmp_path / "answers.py"), "--course", str(root))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "pass --assignment NAME" in result.stderr and "tanh_one, tanh_two" in result.stderr


def test_does_export_wheel_build_the_student_package_without_the_solution(course, hw_files, tmp_path):
    import zipfile

    result = run("export", "wheel", "--assignment", hw_files.name, "--output", str(tmp_path), cwd=course.root)
    assert result.returncode == 0, result.stderr[-2000:]
    [wheel] = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert f"autograder/homeworks/{hw_files.name}/spec.py" in names
    assert not any(n.endswith(f"/{hw_files.name}.py") or n.endswith("grading.toml") for n in names)


def test_does_new_in_an_empty_folder_write_there_and_not_into_the_installed_course(course, tmp_path):
    result = run("new", "tanh_here", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "solutions" / "tanh_here" / "spec.py").is_file()
    assert not (course.root / "solutions" / "tanh_here").exists()
