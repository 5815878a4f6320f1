"""When the grader itself fails, does every entry point still write a results file with
score 0, the failure named as a grader error, and a non-zero exit status?

The failure is injected into Grader.grade (the core every entry point wraps) in this
process, so the guards are exercised exactly where a real grader bug would surface.
"""

import json
import tomllib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_cli import validate_gradescope

from autograder import cli
from autograder.grader import Grader
from autograder.guard import GRADER_ERROR_EXIT

BOOM = "internal grader error: RuntimeError: the grader broke here"


@pytest.fixture
def broken_grader(monkeypatch):
    def grade(self, path):
        raise RuntimeError("the grader broke here\nand a second line nobody needs")

    monkeypatch.setattr(Grader, "grade", grade)


def assert_zero_with_every_function_failed(data, functions, max_score):
    validate_gradescope(data)
    assert data["score"] == 0 and BOOM in data["output"]
    assert [t["name"] for t in data["tests"]] == functions
    assert sum(t["max_score"] for t in data["tests"]) == max_score
    assert all(t["status"] == "failed" and BOOM in t["output"] and "mistake:grader_error" in t["tags"] for t in data["tests"])


@pytest.mark.parametrize("fmt", ["json", "gradescope"])
def test_grade_writes_a_json_results_file_naming_the_grader_error(course, hw_files, homework, broken_grader, tmp_path, fmt, capsys):
    out = tmp_path / "results.json"
    status = cli.main(["grade", str(hw_files.reference), "--course", str(course.root), "--format", fmt, "--output", str(out)])
    assert status == GRADER_ERROR_EXIT
    assert_zero_with_every_function_failed(json.loads(out.read_text()), list(homework.names), 100)
    assert BOOM in capsys.readouterr().err


def test_grade_writes_a_text_report_naming_the_grader_error(course, hw_files, broken_grader, tmp_path):
    out = tmp_path / "report.txt"
    status = cli.main(["grade", str(hw_files.reference), "--course", str(course.root), "--format", "text", "--output", str(out)])
    text = out.read_text()
    assert status == GRADER_ERROR_EXIT
    assert "0.00 / 100" in text and BOOM in text


def test_grade_on_stdout_still_prints_a_score(course, hw_files, broken_grader, capsys):
    status = cli.main(["grade", str(hw_files.reference), "--course", str(course.root), "--only", "softmax,dJ_dW2"])
    captured = capsys.readouterr()
    assert status == GRADER_ERROR_EXIT
    assert_zero_with_every_function_failed(json.loads(captured.out), ["softmax", "dJ_dW2"], 8)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_check_reports_the_grader_error_and_exits_non_zero(hw_files, homework, broken_grader, tmp_path, fmt):
    out = tmp_path / f"check.{fmt}"
    status = cli.main(["check", str(hw_files.reference), "--format", fmt, "--output", str(out)])
    # the public checks count grading.toml's points (they are not secret), every function failed
    points = tomllib.loads(hw_files.grading_config.read_text())["points"]
    total = sum(points[name] for name in homework.names)
    assert status == GRADER_ERROR_EXIT
    if fmt == "json":
        assert_zero_with_every_function_failed(json.loads(out.read_text()), list(homework.names), total)
    else:
        assert BOOM in out.read_text() and f"0.00 / {total:g} points" in out.read_text()


def test_the_notebook_check_returns_a_report_instead_of_raising(hw_files, broken_grader, capsys):
    from autograder import check

    results = check(str(hw_files.reference), ["sigmoid"])
    assert results.score == 0 and results.fatal == BOOM
    assert BOOM in capsys.readouterr().out


def container(hw_files, tmp_path, submission):
    """A Gradescope container laid out in a temporary folder (as tests/test_gradescope.py):
    the homework's folder (reference, spec, mistakes, grading.toml) in source/solutions/."""
    root = tmp_path / "autograder"
    (root / "source" / "solutions").mkdir(parents=True)
    shutil.copytree(hw_files.folder, root / "source" / "solutions" / hw_files.name, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "submission").mkdir()
    (root / "submission" / "backprop.py").write_text(submission)
    (root / "results").mkdir()
    return root


def test_gradescope_run_writes_results_json_when_the_grader_fails(hw_files, homework, broken_grader, reference_source, tmp_path):
    root = container(hw_files, tmp_path, reference_source)
    status = cli.main(["gradescope-run", "--root", str(root)])
    assert status == GRADER_ERROR_EXIT
    assert_zero_with_every_function_failed(json.loads((root / "results" / "results.json").read_text()), list(homework.names), 100)


def test_gradescope_run_with_a_broken_config_still_writes_results_json(hw_files, reference_source, tmp_path):
    root = container(hw_files, tmp_path, reference_source)
    (root / "source" / "solutions" / hw_files.name / "grading.toml").write_text("[points]\nsigmoid = 'three'\n")
    status = cli.main(["gradescope-run", "--root", str(root)])
    data = json.loads((root / "results" / "results.json").read_text())
    assert status == 2  # the instructor's input, named as it is
    assert data["score"] == 0 and "grading.toml" in data["output"] and data["tests"] == []


def test_run_autograder_writes_results_json_when_python_cannot_even_start(tmp_path):
    """The shell script's own last resort: a broken venv still gives Gradescope a score."""
    from autograder.integrations.gradescope import RUN

    script = tmp_path / "run_autograder"
    script.write_text(RUN)
    env = dict(os.environ, AUTOGRADER_ROOT=str(tmp_path / "autograder"))  # no venv there at all
    run = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=60)
    data = json.loads((tmp_path / "autograder" / "results" / "results.json").read_text())
    assert run.returncode != 0
    assert data["score"] == 0 and data["tests"] == [] and "internal grader error" in data["output"]
    assert f"status {run.returncode}" in data["output"]


def test_a_grader_failure_in_a_batch_is_that_submissions_result_and_is_retried(course, hw_files, tmp_path, monkeypatch):
    from autograder import batch
    from autograder.factory import load_assignment

    assignment = load_assignment(course, hw_files.name)

    class Broken:
        config = assignment.config

        def grade(self, path):
            raise MemoryError("the grading process ran out")

    monkeypatch.setattr(batch, "_GRADER", Broken())
    entry = batch.Entry("ada", Path(hw_files.reference), [batch.Student("1815", "Ada")])
    key = batch.grading_key(assignment)
    name, score, error = batch._grade_one(entry, str(tmp_path), "digest", key)
    record = batch.load_record(tmp_path, "ada")
    assert (name, score) == ("ada", 0.0) and error == "internal grader error: MemoryError: the grading process ran out"
    assert record["grader_error"] and record["results"]["score"] == 0 and record["results"]["max_score"] == 100
    assert batch._why_grade(record, "digest", key, force=False) == "grader error before"


def test_bad_input_with_an_output_file_still_gets_a_results_file(course, homework, tmp_path, capsys):
    out = tmp_path / "results.json"
    status = cli.main(["grade", str(tmp_path / "nowhere.py"), "--course", str(course.root), "--assignment", homework.name, "--format", "gradescope", "--output", str(out)])
    data = json.loads(out.read_text())
    assert status == 2 and "does not exist" in capsys.readouterr().err
    assert data["score"] == 0 and "nowhere.py does not exist" in data["output"] and len(data["tests"]) == len(homework.names)
