"""Do the public checks (no reference values) tell a student what is wrong and how to fix it?"""

import pytest
from conftest import replace_function

from autograder.public import check


def grade(public_grader, tmp_path, source, name="backprop.py"):
    path = tmp_path / name
    path.write_text(source)
    return public_grader.grade(path)


def test_reference_passes_every_public_check(public_grader, hw_files):
    results = public_grader.grade(hw_files.reference)
    assert results.mode == "public"
    assert all(f.passed for f in results.functions), [f.findings for f in results.functions if not f.passed]


def test_public_checks_compare_with_no_reference_value(public_grader):
    assert public_grader.reference is None
    assert all(case.expected is None for cases in public_grader.plan.values() for case in cases)


@pytest.mark.parametrize(
    "function, body, mistake, words",
    [
        ("dJ_dW2", "def dJ_dW2(X2, dZ2):\n    return dZ2.T @ X2\n", "transposed", "must have shape"),
        ("dJ_dZ2", "def dJ_dZ2(Y_hat, Y):\n    return Y_hat - Y\n", "missing_mean", "finite differences"),
        ("dJ_db1", "def dJ_db1(dZ1):\n    return dZ1.sum(axis=0)\n", "bias_keepdims", "keepdims"),
        ("softmax", "def softmax(Z):\n    e = np.exp(Z - Z.max())\n    return e / e.sum(axis=0, keepdims=True)\n", "softmax_wrong_axis", "rows must each sum to 1"),
        ("dJ_dZ1", "def dJ_dZ1(dX2, Z1):\n    return dX2 * d_sigmoid(sigmoid(Z1))\n", "activation_for_preactivation", "finite differences"),
        ("softmax_jacobian", "def softmax_jacobian(z):\n    s = softmax(z[None])[0]\n    return np.diag(s * (1 - s))\n", "jacobian_diagonal_only", "off-diagonal"),
    ],
)
def test_public_checks_name_the_mistake(public_grader, reference_source, tmp_path, function, body, mistake, words):
    results = grade(public_grader, tmp_path, replace_function(reference_source, function, body))
    f = results.function(function)
    assert not f.passed and mistake in f.mistakes
    text = " ".join(x.message + " " + (x.fix or "") for x in f.findings)
    assert words in text


def test_check_prints_a_report_and_returns_results(hw_files, capsys):
    results = check(str(hw_files.release_dir / "backprop.py"), ["sigmoid"])
    printed = capsys.readouterr().out
    assert [f.name for f in results.functions] == ["sigmoid"]
    assert "sigmoid" in printed and "not implemented" in printed and "public checks" in printed


def test_the_notebook_helper_can_check_again_and_again(hw_files):
    """The notebook calls `from autograder import check` in one cell after another: the
    second import must still give the function (a submodule named `check` once replaced it)."""
    import autograder

    for functions in (["sigmoid"], ["softmax"]):
        from autograder import check as from_the_package

        assert from_the_package is autograder.check and callable(from_the_package)
        results = from_the_package(str(hw_files.reference), functions, quiet=True)
        assert [f.name for f in results.functions] == functions and results.functions[0].passed
