"""Do points follow correct values? Golden scores of representative submissions, derived by hand.

The policy (README, "Points and seeds"): a test case is right when every value-type check
that applies to it passes (value, finite differences, properties); a case that is not right
earns 0; a right case earns the weights of the checks it passes over the weights of the
checks that apply; a function earns its points times the mean over its cases.

Every expected score below is written as arithmetic from that rule and from grading.toml's
points and weights, never by grading the same file. The hidden plan has, per function:
sigmoid 5 cases (N=1, N=7, N=6, MNIST sizes, logits of +-1000); softmax 5 (the same);
d_softmax, dJ_dZ2, dJ_dW2, backprop 4 (N=1, 7, 6, 16); the checks that apply to a d_softmax
case are signature, returns, type, shape, dtype, finite, inputs_unchanged, value and finite
differences (no property).
"""

import textwrap

import numpy as np
import pytest
from conftest import ROOT

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from tools.mutants import NAMES, REFERENCE_PATH, Mutant, apply

SETTINGS = tomllib.loads((ROOT / "solutions" / "backprop" / "grading.toml").read_text())
P = SETTINGS["points"]  # points per function
W = SETTINGS["weights"]  # check weights


def submission(tmp_path, name, **functions):
    """The reference with each named function replaced by the given source."""
    source = REFERENCE_PATH.read_text()
    mutants = [Mutant(f"golden-{f}", f, textwrap.dedent(code).strip("\n") + "\n", None) for f, code in functions.items()]
    path = tmp_path / name / "backprop.py"
    path.parent.mkdir(parents=True)
    path.write_text(apply(source, mutants))
    return path


def constant(value):
    """Right shape and dtype, filled with one number: for the step functions."""
    v = repr(float(value))
    return {
        "sigmoid": f"def sigmoid(Z):\n    return np.full(np.shape(Z), {v})\n",
        "d_sigmoid": f"def d_sigmoid(Z):\n    return np.full(np.shape(Z), {v})\n",
        "softmax": f"def softmax(Z):\n    return np.full(np.shape(Z), {v})\n",
        "softmax_jacobian": f"def softmax_jacobian(z):\n    return np.full((z.shape[0], z.shape[0]), {v})\n",
        "d_softmax": f"def d_softmax(Y_hat, Y):\n    return np.full(Y.shape, {v})\n",
        "dJ_dZ2": f"def dJ_dZ2(Y_hat, Y):\n    return np.full(Y.shape, {v})\n",
        "dJ_dW2": f"def dJ_dW2(X2, dZ2):\n    return np.full((X2.shape[1], dZ2.shape[1]), {v})\n",
        "dJ_db2": f"def dJ_db2(dZ2):\n    return np.full((1, dZ2.shape[1]), {v})\n",
        "dJ_dX2": f"def dJ_dX2(dZ2, W2):\n    return np.full((dZ2.shape[0], W2.shape[0]), {v})\n",
        "dJ_dZ1": f"def dJ_dZ1(dX2, Z1):\n    return np.full(Z1.shape, {v})\n",
        "dJ_dW1": f"def dJ_dW1(X, dZ1):\n    return np.full((X.shape[1], dZ1.shape[1]), {v})\n",
        "dJ_db1": f"def dJ_db1(dZ1):\n    return np.full((1, dZ1.shape[1]), {v})\n",
        "backprop": f"def backprop(X, Y, W1, b1, W2, b2):\n    return {{k: np.full(a.shape, {v}) for k, a in (('W1', W1), ('b1', b1), ('W2', W2), ('b2', b2))}}\n",
        "backward_n": f"def backward_n(Y, params, cache):\n    return {{k: np.full(a.shape, {v}) for k, a in params.items()}}\n",
        "update": f"def update(params, grads, learning_rate):\n    return {{k: np.full(a.shape, {v}) for k, a in params.items()}}\n",
    }


def scores(results):
    return {f.name: f.score for f in results.functions}


def assert_scores(results, expected, untouched=()):
    got = scores(results)
    for name, want in expected.items():
        assert got[name] == pytest.approx(want, abs=1e-3), (name, got[name], want, results.function(name).findings)
    for name in untouched:
        assert got[name] == P[name], (name, got[name], results.function(name).findings)


def test_the_plan_has_the_cases_the_arithmetic_counts(hidden_grader):
    plan = hidden_grader.plan
    assert [c.dims.get("N") for c in plan["dJ_dZ2"]] == [1, 7, 6, 16]
    assert [c.dims.get("N") for c in plan["backprop"]] == [1, 7, 6, 16]
    assert len(plan["sigmoid"]) == len(plan["softmax"]) == 5 and plan["sigmoid"][-1].extreme
    assert len(plan["d_softmax"]) == 4 and not any(c.properties for c in plan["d_softmax"])


@pytest.mark.parametrize("value", [0.0, 0.5, 1.0])
def test_does_a_right_shaped_constant_earn_nothing(hidden_grader, tmp_path, value):
    functions = constant(value)
    results = hidden_grader.grade(submission(tmp_path, f"constant-{value}", **functions))
    assert_scores(results, {name: 0.0 for name in functions})


def test_does_an_overflowing_gradient_earn_nothing(hidden_grader, tmp_path):
    """np.full(shape, 1e300): relative errors of 1e300 against 1e300 are computed, not NaN."""
    gradients = ("d_sigmoid", "softmax_jacobian", "d_softmax", "dJ_dZ2", "dJ_dW2", "dJ_db2", "dJ_dX2", "dJ_dZ1", "dJ_dW1", "dJ_db1", "backprop", "backward_n")
    functions = {name: code for name, code in constant(1e300).items() if name in gradients}
    results = hidden_grader.grade(submission(tmp_path, "overflow", **functions))
    assert_scores(results, {name: 0.0 for name in gradients}, untouched=("sigmoid", "softmax", "cross_entropy", "forward", "relative_error", "initialize_parameters", "forward_n", "cost_n", "update", "predict"))


def test_does_a_transposed_dJ_dW2_earn_nothing_and_cost_backprop_its_points(hidden_grader, tmp_path):
    results = hidden_grader.grade(submission(tmp_path, "transposed", dJ_dW2="def dJ_dW2(X2, dZ2):\n    return dZ2.T @ X2\n"))
    # no case has H == C: every shape is wrong, so no case is right; backprop calls dJ_dW2 (the contract)
    assert_scores(results, {"dJ_dW2": 0.0, "backprop": 0.0}, untouched=("dJ_dZ2", "dJ_db2", "dJ_dX2", "dJ_dZ1", "dJ_dW1", "dJ_db1", "forward", "fit"))


def test_does_a_missing_1_over_N_keep_only_the_N_equals_1_case(hidden_grader, tmp_path):
    results = hidden_grader.grade(submission(tmp_path, "off-by-N", dJ_dZ2="def dJ_dZ2(Y_hat, Y):\n    return Y_hat - Y\n"))
    # right only where N = 1 (one case of four); backprop, which calls it, likewise
    assert_scores(results, {"dJ_dZ2": P["dJ_dZ2"] * (1 + 0 + 0 + 0) / 4, "backprop": P["backprop"] * (1 + 0 + 0 + 0) / 4}, untouched=("dJ_dW2", "dJ_db2", "dJ_dX2", "fit"))


def test_does_a_wrong_sign_earn_nothing(hidden_grader, tmp_path):
    results = hidden_grader.grade(submission(tmp_path, "sign", dJ_dW1="def dJ_dW1(X, dZ1):\n    return -(X.T @ dZ1)\n"))
    assert_scores(results, {"dJ_dW1": 0.0, "backprop": 0.0}, untouched=("dJ_dW2", "dJ_db1", "dJ_dZ1", "fit"))


def test_does_a_function_that_raises_or_is_a_stub_earn_nothing(hidden_grader, tmp_path):
    results = hidden_grader.grade(
        submission(
            tmp_path, "raises",
            dJ_db2="def dJ_db2(dZ2):\n    raise ValueError('not sure about the axis')\n",
            update="def update(params, grads, learning_rate):\n    raise NotImplementedError\n",
        )  # fmt: skip
    )
    assert_scores(results, {"dJ_db2": 0.0, "update": 0.0, "backprop": 0.0, "fit": 0.0}, untouched=("dJ_dW2", "dJ_dX2", "backward_n", "predict"))


def test_does_a_sigmoid_right_except_at_1000_keep_four_cases_of_five(hidden_grader, tmp_path):
    results = hidden_grader.grade(submission(tmp_path, "unstable", sigmoid="def sigmoid(Z):\n    return np.exp(Z) / (1 + np.exp(Z))\n"))
    # nan at logits of +-1000 (inf / inf): four right cases of five, each with every check passed
    assert_scores(results, {"sigmoid": P["sigmoid"] * (1 + 1 + 1 + 1 + 0) / 5}, untouched=("softmax", "forward", "dJ_dZ1"))


def test_does_a_right_value_computed_in_place_lose_only_the_inputs_unchanged_share(hidden_grader, tmp_path):
    results = hidden_grader.grade(submission(tmp_path, "in-place", d_softmax="def d_softmax(Y_hat, Y):\n    np.subtract(Y_hat, Y, out=Y_hat)\n    return Y_hat\n"))
    applies = ("signature", "returns", "type", "shape", "dtype", "finite", "inputs_unchanged", "value", "finite_differences")
    total = sum(W[c] for c in applies)
    assert_scores(results, {"d_softmax": P["d_softmax"] * (total - W["inputs_unchanged"]) / total})
    assert "input_mutation" in results.function("d_softmax").mistakes


@pytest.mark.parametrize("reported", [1.0, 0.0])
def test_does_a_gradient_check_that_never_checks_earn_nothing(hidden_grader, tmp_path, reported):
    code = f"def gradient_check(X, Y, W1, b1, W2, b2, eps=1e-5):\n    return {{k: {reported!r} for k in ('W1', 'b1', 'W2', 'b2')}}\n"
    results = hidden_grader.grade(submission(tmp_path, f"gradient-check-{reported}", gradient_check=code))
    assert_scores(results, {"gradient_check": 0.0}, untouched=("backprop", "numerical_gradient", "relative_error"))


def test_does_a_bias_gradient_without_keepdims_earn_nothing(hidden_grader, tmp_path):
    results = hidden_grader.grade(submission(tmp_path, "keepdims", dJ_db1="def dJ_db1(dZ1):\n    return np.sum(dZ1, axis=0)\n"))
    assert_scores(results, {"dJ_db1": 0.0, "backprop": 0.0}, untouched=("dJ_dW1", "dJ_db2"))


# softmax and cross_entropy computed in float32, returned as float64
FLOAT32_INSIDE = {
    "softmax": """
        def softmax(Z):
            Z = np.asarray(Z, dtype=np.float32)
            e = np.exp(Z - Z.max(axis=1, keepdims=True))
            return (e / e.sum(axis=1, keepdims=True)).astype(np.float64)
    """,
    "cross_entropy": """
        def cross_entropy(Y_hat, Y):
            Y_hat, Y = Y_hat.astype(np.float32), Y.astype(np.float32)
            return float(-np.sum(Y * np.log(Y_hat)) / Y.shape[0])
    """,
}


def test_does_float32_inside_a_float64_result_keep_every_point(hidden_grader, tmp_path):
    """Within the one tolerance (1e-6) every check passes, the properties included (they
    held row sums to 1e-9 and the loss definition to 1e-9 before)."""
    path = submission(tmp_path, "float32", **FLOAT32_INSIDE)
    got = scores(hidden_grader.grade(path))
    # gradient_check differences a float32 loss with eps = 1e-5: its errors are noise (about
    # 1e-2), so it reports a correct backprop as wrong and rightly fails; everything else is full
    assert {name: got[name] for name in NAMES if name != "gradient_check"} == {name: P[name] for name in NAMES if name != "gradient_check"}


def test_float32_inside_passes_the_public_checks_too(public_grader, tmp_path):
    path = submission(tmp_path, "float32-public", **FLOAT32_INSIDE)
    results = public_grader.grade(path)
    for name in ("softmax", "cross_entropy", "forward"):
        assert results.function(name).passed, results.function(name).findings


def test_does_a_nearly_right_result_never_score_below_a_constant(hidden_grader, tmp_path):
    """The complaint of issue 11: zeros of the right shape outscored a transposed dJ_dW1."""
    nearly = hidden_grader.grade(submission(tmp_path, "nearly", dJ_dW2="def dJ_dW2(X2, dZ2):\n    return X2.T @ dZ2 * (1 + 1e-9)\n"))
    zeros = hidden_grader.grade(submission(tmp_path, "zeros", dJ_dW2=constant(0.0)["dJ_dW2"]))
    assert nearly.function("dJ_dW2").score == P["dJ_dW2"] and zeros.function("dJ_dW2").score == 0.0
