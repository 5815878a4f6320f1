"""Do the public checks hint instead of printing the answer, and say truthfully what they count (issue 16)?

Public checks word a fix as a hint: what is wrong (shape, scale, sign, axis) and which rule to
revisit, never the finished backward formula (the patterns of tests/test_release_derive.py).
Hidden grading keeps the formula by default and says the hint with grading.toml's
``[feedback] hidden = "hint"``. The public report counts functions that pass, not points, and
folds the functions still left as stubs into one line.
"""

import ast
import re
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import FAST_LIMITS, ROOT, replace_function
from test_release_derive import finished_formulas

if str(ROOT) not in sys.path:  # tools/ is not installed
    sys.path.insert(0, str(ROOT))

from autograder.config import ConfigError, load_config  # noqa: E402
from autograder.exporters import text  # noqa: E402
from autograder.factory import make_grader  # noqa: E402
from tools.mutants import MUTANTS, REFERENCE_PATH, apply  # noqa: E402

REFERENCE_SOURCE = REFERENCE_PATH.read_text()
SLOW = {"predict-endless-loop"}  # waits for the per-call time limit
# dJ_dW2 with its product transposed: the transposed diagnosis, whose fix states dW2's formula
TRANSPOSED = "def dJ_dW2(X2, dZ2):\n    return dZ2.T @ X2\n"
# the submission's own code, quoted where it raised or returned: not the grader's words
QUOTED_CODE = re.compile(r"line \d+(?:, in \w+)?: `[^`]*`")


def _grade(grader, tmp_path, source, name="backprop.py"):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    return grader.grade(path)


def _texts(results):
    """(function, mistake, the grader's words) of every finding, the quoted code left out."""
    return [
        (f.name, x.mistake, QUOTED_CODE.sub("line: ``", f"{x.message} fix: {x.fix or ''}"))
        for f in results.functions
        for x in f.findings
    ]


def _finding(results, function, mistake):
    return next(x for x in results.function(function).findings if x.mistake == mistake)


@pytest.fixture(scope="module")
def hint_grader(hidden_config):
    grader = make_grader(ROOT, "backprop", config=replace(hidden_config, feedback="hint"), limits=FAST_LIMITS)
    yield grader
    grader.close()


# --- the wording ----------------------------------------------------------------------------


@pytest.mark.slow  # grades about 140 submissions
def test_does_no_public_diagnosis_of_any_mutant_print_a_finished_formula(public_grader, tmp_path):
    """Every mutant of tools/mutants.py, graded by the public checks: no message or fix says
    a finished backward formula (the code the submission itself wrote is quoted, and left out)."""
    printed, named = [], 0
    for mutant in MUTANTS:
        if mutant.correct or mutant.id in SLOW:
            continue
        results = _grade(public_grader, tmp_path / mutant.id, apply(REFERENCE_SOURCE, [mutant]))
        for function, mistake, words in _texts(results):
            named += mistake is not None
            printed += [(mutant.id, function, mistake, name, line) for name, line in finished_formulas(words)]
    assert printed == []
    assert named > 100  # the sweep did see diagnoses


def test_does_hidden_grading_keep_the_formula_by_default(hidden_grader, public_grader, tmp_path):
    source = replace_function(REFERENCE_SOURCE, "dJ_dW2", TRANSPOSED)
    hidden = _finding(_grade(hidden_grader, tmp_path / "hidden", source), "dJ_dW2", "transposed")
    public = _finding(_grade(public_grader, tmp_path / "public", source), "dJ_dW2", "transposed")
    assert "X2.T @ dZ2" in hidden.fix
    assert finished_formulas(public.fix) == [] and "(H, C)" in public.fix


def test_does_feedback_hint_give_the_hidden_tests_the_public_wording(hidden_grader, hint_grader, public_grader, tmp_path):
    source = replace_function(REFERENCE_SOURCE, "dJ_dW2", TRANSPOSED)
    default = _grade(hidden_grader, tmp_path / "fix", source)
    hinted = _grade(hint_grader, tmp_path / "hint", source)
    public = _grade(public_grader, tmp_path / "public", source)
    assert _finding(hinted, "dJ_dW2", "transposed").fix == _finding(public, "dJ_dW2", "transposed").fix
    assert _finding(hinted, "dJ_dW2", "transposed").fix != _finding(default, "dJ_dW2", "transposed").fix
    assert (hinted.score, hinted.function("dJ_dW2").mistakes) == (default.score, default.function("dJ_dW2").mistakes)


def test_does_a_function_keep_its_own_line_over_the_homework_wide_hint(homework):
    """cross_entropy words missing_mean itself (a loss, no formula): the homework-wide hint,
    written for the gradients, must not replace it in the public wording."""
    own = homework.hints("cross_entropy")
    assert own.hint_fixes["missing_mean"] == own.fixes["missing_mean"]
    assert homework.hints("dJ_dW1").hint_fixes["missing_mean"] != homework.hints("dJ_dW1").fixes["missing_mean"]


# --- the setting ----------------------------------------------------------------------------


def _config_with(tmp_path, homework, table):
    original = (ROOT / "solutions" / "backprop" / "grading.toml").read_text()
    kept = original.split("\n[feedback]")[0]
    path = tmp_path / "grading.toml"
    path.write_text(kept + ("\n" + table + "\n" if table else ""))
    return load_config(path, homework)


def test_are_the_settings_the_wordings_the_engine_knows():
    from autograder.config import FEEDBACK
    from autograder.diagnosis import WORDINGS

    assert FEEDBACK == WORDINGS


def test_is_the_default_feedback_the_fix(tmp_path, homework):
    assert _config_with(tmp_path, homework, "").feedback == "fix"
    assert load_config(ROOT / "solutions" / "backprop" / "grading.toml", homework).feedback == "fix"


def test_does_the_feedback_setting_read_hint(tmp_path, homework):
    assert _config_with(tmp_path, homework, '[feedback]\nhidden = "hint"').feedback == "hint"


@pytest.mark.parametrize("table", ['[feedback]\nhidden = "formula"', "[feedback]\nhidden = 1", '[feedback]\npublic = "fix"', 'feedback = "hint"'])
def test_does_the_config_refuse_other_feedback_settings(tmp_path, homework, table):
    with pytest.raises(ConfigError, match="feedback"):
        _config_with(tmp_path, homework, table)


# --- the report -----------------------------------------------------------------------------


def _stub_functions(stub_source):
    """name -> the release stub's source of each top-level function."""
    lines = stub_source.splitlines(keepends=True)
    return {
        node.name: "".join(lines[node.lineno - 1 : node.end_lineno])
        for node in ast.parse(stub_source).body
        if isinstance(node, ast.FunctionDef)
    }


def test_does_the_public_report_of_the_stub_count_functions_and_fold_the_stubs(public_grader, hw_files, tmp_path):
    stub = (hw_files.release_dir / "backprop.py").read_text()
    results = _grade(public_grader, tmp_path, stub)
    names = [f.name for f in results.functions]
    report = text.render(results)
    head = report.splitlines()[0]
    assert f"0 of {len(names)} functions pass the public checks" in head and " / " not in head
    flat = " ".join(report.split())  # the folded line is wrapped at 100 columns
    assert report.count("not written yet:") == 1
    assert f"not written yet: {', '.join(names)} ({len(names)} functions)" in flat
    assert "is not implemented yet" not in report  # one line, no block per function


def test_does_the_public_report_of_a_half_done_submission_say_what_passes_and_what_is_unwritten(public_grader, hw_files, tmp_path):
    stubs = _stub_functions((hw_files.release_dir / "backprop.py").read_text())
    names = [f.name for f in public_grader.homework.functions]
    written, unwritten = names[:10], names[10:]
    source = REFERENCE_SOURCE
    for name in unwritten:
        source = replace_function(source, name, stubs[name])
    source = replace_function(source, "dJ_dW2", TRANSPOSED)  # one written function is wrong
    results = _grade(public_grader, tmp_path, source)
    report = text.render(results)
    head = report.splitlines()[0]
    assert results.not_written == unwritten
    assert f"{len(written) - 1} of {len(names)} functions pass the public checks" in head and " / " not in head
    assert f"not written yet: {', '.join(unwritten)} ({len(unwritten)} functions)" in " ".join(report.split())
    assert "is not implemented yet" not in report
    assert "FAIL dJ_dW2" in report and "ok   sigmoid" in report
    assert report.rstrip().endswith(f"{len(written) - 1} of {len(names)} functions pass every check.")


def test_does_a_single_stub_keep_its_own_block(public_grader, hw_files, tmp_path):
    stubs = _stub_functions((hw_files.release_dir / "backprop.py").read_text())
    results = _grade(public_grader, tmp_path, replace_function(REFERENCE_SOURCE, "predict", stubs["predict"]))
    report = text.render(results)
    assert "not written yet" not in report and "is not implemented yet" in report


def test_does_hidden_grading_still_show_points(hidden_grader, hw_files, tmp_path):
    results = _grade(hidden_grader, tmp_path, (hw_files.release_dir / "backprop.py").read_text())
    head = text.render(results).splitlines()[0]
    assert f"0.00 / {results.max_score:g}  (hidden tests" in head
