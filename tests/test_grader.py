"""Does the grader score what is correct, and only that, whatever the submission looks like?"""

import json

import nbformat
import pytest
from conftest import replace_function


def write(tmp_path, text, name="backprop.py"):
    path = tmp_path / name
    path.write_text(text)
    return path


def full(result):
    return abs(result.score - result.max_score) < 1e-9


def assert_only(results, losers):
    """Every function outside ``losers`` keeps full marks; every one inside loses points."""
    for f in results.functions:
        if f.name in losers:
            assert f.score < f.max_score, f"{f.name} should lose points"
        else:
            assert full(f), f"{f.name} lost points: {f.findings}"


def test_reference_scores_full_marks_with_no_findings(hidden_grader, hw_files, homework):
    results = hidden_grader.grade(hw_files.reference)
    assert results.score == results.max_score == 100
    assert all(f.passed and not f.findings and not f.mistakes for f in results.functions)
    assert [f.name for f in results.functions] == list(homework.names)


def test_release_stubs_score_zero_with_one_not_implemented_message_each(hidden_grader, hw_files):
    results = hidden_grader.grade(hw_files.release_dir / "backprop.py")
    assert results.score == 0 and results.fatal is None
    for f in results.functions:
        assert f.score == 0
        assert f.mistakes == ["not_implemented"]
        not_implemented = [x for x in f.findings if x.mistake == "not_implemented"]
        assert len(not_implemented) == 1 and "not implemented" in not_implemented[0].message


def test_release_notebook_stubs_score_zero(hidden_grader, hw_files):
    results = hidden_grader.grade(hw_files.release_dir / "backprop.ipynb")
    assert results.score == 0 and all(f.mistakes == ["not_implemented"] for f in results.functions)


def test_reference_notebook_scores_full_marks(hidden_grader, hw_files, tmp_path):
    import jupytext

    notebook = jupytext.read(hw_files.reference, fmt="py:percent")
    path = tmp_path / "backprop.ipynb"
    nbformat.write(notebook, path)
    assert hidden_grader.grade(path).score == 100


@pytest.mark.parametrize("text, expected", [("", "defines nothing"), ("# only a comment\n", "defines nothing")])
def test_empty_file_scores_zero_with_a_message(hidden_grader, tmp_path, text, expected):
    results = hidden_grader.grade(write(tmp_path, text))
    assert results.score == 0 and expected in results.fatal


def test_syntax_error_names_the_line(hidden_grader, reference_source, tmp_path):
    broken = reference_source.replace("def dJ_db2(dZ2):", "def dJ_db2(dZ2)", 1)
    results = hidden_grader.grade(write(tmp_path, broken))
    assert results.score == 0
    assert "does not parse" in results.fatal and "line" in results.fatal


def test_missing_module_is_reported_and_the_rest_is_graded(hidden_grader, reference_source, tmp_path):
    results = hidden_grader.grade(write(tmp_path, "import not_a_real_module_xyz\n" + reference_source))
    assert results.score == 100
    assert any("ModuleNotFoundError" in p for p in results.load["problems"])


def test_missing_function_costs_that_function_and_its_callers(hidden_grader, reference_source, tmp_path):
    source = replace_function(reference_source, "dJ_db2", "def dJ_db2_renamed(dZ2):\n    return dZ2.sum(axis=0, keepdims=True)\n")
    results = hidden_grader.grade(write(tmp_path, source))
    f = results.function("dJ_db2")
    assert f.score == 0 and f.mistakes == ["missing_function"] and "not defined" in f.findings[0].message
    assert_only(results, {"dJ_db2", "backprop", "gradient_check"})


def test_wrong_signature_is_named(hidden_grader, reference_source, tmp_path):
    source = replace_function(reference_source, "relative_error", "def relative_error(a):\n    return 0.0\n")
    results = hidden_grader.grade(write(tmp_path, source))
    f = results.function("relative_error")
    assert f.score == 0 and f.mistakes == ["wrong_signature"]
    assert "relative_error(a, b)" in f.findings[0].message
    assert_only(results, {"relative_error", "gradient_check"})


def test_exception_at_import_is_reported_and_the_rest_still_runs(hidden_grader, reference_source, tmp_path):
    source = reference_source.replace("import numpy as np\n", "import numpy as np\nRATIO = 1 / 0\n", 1)
    results = hidden_grader.grade(write(tmp_path, source))
    assert results.score == 100
    assert any("ZeroDivisionError" in p and "RATIO = 1 / 0" in p for p in results.load["problems"])


def test_top_level_loop_is_skipped_not_run(hidden_grader, reference_source, tmp_path):
    results = hidden_grader.grade(write(tmp_path, reference_source + "\nwhile True:\n    pass\n"))
    assert results.score == 100
    assert any("a loop" in s for s in results.load["skipped"])


def test_endless_loop_in_a_kept_statement_is_cut_off_and_the_rest_graded(hidden_grader, reference_source, tmp_path):
    source = reference_source + "\n\nclass Spin:\n    while True:\n        pass\n"
    results = hidden_grader.grade(write(tmp_path, source))
    assert results.score == 100
    assert any("did not finish" in p for p in results.load["problems"])


def test_endless_loop_in_a_function_costs_that_function_and_its_callers(hidden_grader, reference_source, tmp_path):
    source = replace_function(reference_source, "relative_error", "def relative_error(a, b):\n    while True:\n        pass\n")
    results = hidden_grader.grade(write(tmp_path, source))
    f = results.function("relative_error")
    assert f.score == 0 and "timeout" in f.mistakes and "time limit" in f.findings[0].message
    assert_only(results, {"relative_error", "gradient_check"})


def test_huge_printing_is_capped_and_costs_nothing(hidden_grader, reference_source, tmp_path):
    source = replace_function(
        reference_source,
        "dJ_dX2",
        "def dJ_dX2(dZ2, W2):\n    print('x' * 50_000_000)\n    import sys\n    sys.stderr.write('y' * 10_000_000)\n    return dZ2 @ W2.T\n",
    )
    source = source.replace("import numpy as np\n", "import numpy as np\nclass Noisy:\n    print('z' * 20_000_000)\n", 1)
    results = hidden_grader.grade(write(tmp_path, source))
    assert results.score == 100
    assert results.load["printed_chars"] >= 20_000_000
    assert "printed" in results.function("dJ_dX2").output and len(results.function("dJ_dX2").output) < 500


def test_notebook_with_failing_cells_grades_the_others(hidden_grader, hw_files, tmp_path):
    import jupytext

    notebook = jupytext.read(hw_files.reference, fmt="py:percent")
    notebook.cells.insert(3, nbformat.v4.new_code_cell("value = undefined_name_in_this_notebook"))
    notebook.cells.insert(4, nbformat.v4.new_code_cell("def broken(:\n    pass"))
    notebook.cells.insert(5, nbformat.v4.new_code_cell("%matplotlib inline\n!pip list\nimport math"))
    path = tmp_path / "backprop.ipynb"
    nbformat.write(notebook, path)
    results = hidden_grader.grade(path)
    assert results.score == 100
    problems = " | ".join(results.load["problems"])
    assert "NameError" in problems and "cell 5" in problems and "does not parse" in problems


def test_exception_in_a_function_shows_the_students_line_not_the_grader(hidden_grader, reference_source, tmp_path):
    source = replace_function(reference_source, "dJ_dW2", "def dJ_dW2(X2, dZ2):\n    scale = dZ2.shape[5]\n    return X2.T @ dZ2\n")
    results = hidden_grader.grade(write(tmp_path, source))
    message = results.function("dJ_dW2").findings[0].message
    assert "IndexError" in message and "scale = dZ2.shape[5]" in message and "line" in message
    assert "autograder" not in message and "worker.py" not in message


def test_scores_stay_within_bounds_and_add_up(hidden_grader, reference_source, tmp_path):
    source = replace_function(reference_source, "softmax", "def softmax(Z):\n    e = np.exp(Z)\n    return e / e.sum(axis=0, keepdims=True)\n")
    results = hidden_grader.grade(write(tmp_path, source))
    assert 0 <= results.score <= results.max_score
    for f in results.functions:
        assert 0 <= f.score <= f.max_score
    assert abs(results.score - sum(f.score for f in results.functions)) < 1e-6
    assert results.max_score == sum(f.max_score for f in results.functions) == 100


def test_hidden_feedback_never_prints_inputs_or_reference_values(hidden_grader, reference_source, ref, tmp_path):
    """A wrong dJ_dW1 gets the relative error and where entries differ, not the values."""
    source = replace_function(reference_source, "dJ_dW1", "def dJ_dW1(X, dZ1):\n    return X.T @ dZ1 + 0.01\n")
    results = hidden_grader.grade(write(tmp_path, source))
    text = json.dumps(results.to_dict())
    assert "relative error" in text
    plan_case = hidden_grader.plan["dJ_dW1"][1]
    for value in list(plan_case.expected.ravel()[:5]) + list(plan_case.args[0].ravel()[:5]):
        assert f"{value:.6g}" not in text and f"{value:.4f}" not in text


def test_does_a_wrong_value_message_point_at_the_line_that_returns_it(hidden_grader, reference_source, tmp_path):
    source = replace_function(reference_source, "dJ_dZ2", "def dJ_dZ2(Y_hat, Y):\n    diff = Y_hat - Y\n    return diff * 2.0 / Y.shape[0]\n")
    lines = source.splitlines()
    line = next(i + 1 for i, text in enumerate(lines) if text.strip() == "return diff * 2.0 / Y.shape[0]")
    results = hidden_grader.grade(write(tmp_path, source))
    messages = [f.message for f in results.function("dJ_dZ2").findings if f.check == "value"]
    assert messages and all(f"(returned at line {line}: `return diff * 2.0 / Y.shape[0]`)" in m for m in messages)


def test_is_no_line_pointed_at_when_a_function_has_several_returns(hidden_grader, reference_source, tmp_path):
    body = "def dJ_dZ2(Y_hat, Y):\n    if Y.shape[0] > 0:\n        return 2.0 * (Y_hat - Y) / Y.shape[0]\n    return Y_hat\n"
    results = hidden_grader.grade(write(tmp_path, replace_function(reference_source, "dJ_dZ2", body)))
    findings = results.function("dJ_dZ2").findings
    assert findings and not any("returned at" in f.message for f in findings)


def test_does_the_grader_load_the_submission_under_the_homeworks_module_name(hidden_grader, reference_source, tmp_path):
    """A submission's functions see themselves as the module the homework names (the file a
    student imports), not as a name the engine chose."""
    source = replace_function(reference_source, "sigmoid", (
        "def sigmoid(Z):\n"
        "    if __name__ != 'backprop':\n"
        "        raise RuntimeError(f'loaded as {__name__}')\n"
        "    Z = np.asarray(Z, dtype=np.float64)\n"
        "    out = np.empty_like(Z)\n"
        "    positive = Z >= 0\n"
        "    out[positive] = 1.0 / (1.0 + np.exp(-Z[positive]))\n"
        "    exp_z = np.exp(Z[~positive])\n"
        "    out[~positive] = exp_z / (1.0 + exp_z)\n"
        "    return out\n"
    ))  # fmt: skip
    results = hidden_grader.grade(write(tmp_path, source, "renamed_by_student.py"))
    assert hidden_grader.assignment.module_name == "backprop"
    assert results.function("sigmoid").passed, results.function("sigmoid").findings
