"""Does every comparison fail closed, every case get judged, and no hidden value reach the feedback?"""

import json
import math

import numpy as np
import pytest
from conftest import replace_function

from autograder import gradcheck as gc
from autograder import properties as P
from autograder.checks import VALUE_CHECKS, CallOutcome, Verdict, evaluate, hide_numbers
from autograder.grader import case_credit
from autograder.plan import Case
from autograder.spec import Property
from autograder.structure import Arr, FloatList, Mapping, Scalar, Seq, scalar_value

TOL = 1e-6

# --- relative_error: computed on scaled arrays, NaN when it cannot be computed ----------


@pytest.mark.parametrize(
    "a, b, want",
    [
        ([1e300, 1e300], [1e300, 1e300], 0.0),  # inf / inf before: NaN, which passed every check
        ([1e300], [-1e300], 1.0),  # mixed signs: |2| / (1 + 1)
        ([1e300], [0.0], 1.0),
        ([1e-300, 2e-300], [1e-300, 2e-300], 0.0),
        ([1e-300], [3e-300], 0.5),  # (2e-300) / (4e-300): no underflow to 0 / 0
        ([5e-324], [5e-324], 0.0),  # subnormals
        ([5e-324], [1e-323], 1 / 3),
        ([-0.0], [0.0], 0.0),  # both zero: 0.0 by definition
        ([], [], 0.0),  # empty arrays
        ([3.0, 4.0], [3.0, 4.0], 0.0),
        ([1.0, 0.0], [0.0, 1.0], math.sqrt(2) / 2),
    ],
)
def test_relative_error_of_finite_values_never_overflows(a, b, want):
    assert gc.relative_error(np.array(a), np.array(b)) == pytest.approx(want, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    "a, b",
    [([np.nan], [1.0]), ([1.0], [np.nan]), ([np.inf], [np.inf]), ([-np.inf], [1.0]), ([10**400], [1.0]), ([1.0, 2.0], [1.0]), (["x"], [1.0])],
)
def test_relative_error_that_cannot_be_computed_is_nan_and_fails_the_pass_condition(a, b):
    error = gc.relative_error(a, b)
    assert math.isnan(error)
    assert not error <= TOL  # the pass condition every check uses


def test_huge_python_integers_have_no_float_value():
    assert scalar_value(10**400) == math.inf and scalar_value(-(10**400)) == -math.inf
    assert scalar_value(3) == 3.0 and scalar_value(np.float32(0.5)) == 0.5 and scalar_value(np.array(2.0)) == 2.0
    assert math.isnan(scalar_value("1.0")) and math.isnan(scalar_value(np.zeros(2))) and math.isnan(scalar_value(1j))


def test_finite_differences_compare_a_huge_gradient_without_overflow():
    x = np.arange(6.0).reshape(2, 3)
    probes = gc.probe(lambda: float(np.sum(x**2)), x, seed=1)
    assert gc.compare(probes, 2 * x) < 1e-8
    assert gc.compare(probes, np.full(x.shape, 1e300)) == pytest.approx(1.0, abs=1e-3)  # wrong, and said so
    assert math.isnan(gc.compare(probes, np.full(x.shape, np.inf)))
    assert math.isnan(gc.compare(probes, np.zeros((3, 2))))  # a shape that differs cannot be compared


# --- the checks on one case ------------------------------------------------------------


def array_case(expected, **kw):
    expected = np.asarray(expected, dtype=np.float64)
    return Case("dJ_dW2", "a case", [], Arr(expected.shape), expected=expected, **kw)


@pytest.mark.parametrize("value", [np.full((2, 2), 1e300), np.full((2, 2), -1e300), np.full((2, 2), 5e-324), np.full((2, 2), 1e-300)])
def test_a_value_far_from_the_reference_fails_whatever_its_magnitude(value):
    verdicts, _ = evaluate(array_case([[1.0, 2.0], [3.0, 4.0]]), CallOutcome("ok", value=value), "hidden", TOL, [])
    value_verdict = next(v for v in verdicts if v.check == "value")
    assert value_verdict.status == "fail" and "relative error" in value_verdict.message


def test_the_right_value_at_1e300_passes():
    expected = np.full((2, 2), 1e300)
    verdicts, _ = evaluate(array_case(expected), CallOutcome("ok", value=expected.copy()), "hidden", TOL, [])
    assert all(v.status == "pass" for v in verdicts)


@pytest.mark.parametrize("value", [np.full((2, 2), np.nan), np.array([[1.0, np.inf], [3.0, 4.0]])])
def test_nan_and_inf_fail_the_finite_check_and_make_the_value_moot(value):
    verdicts = {v.check: v for v in evaluate(array_case([[1.0, 2.0], [3.0, 4.0]]), CallOutcome("ok", value=value), "hidden", TOL, [])[0]}
    assert verdicts["finite"].status == "fail" and verdicts["value"].status == "moot"


@pytest.mark.parametrize("value", [10**400, -(10**400), float("nan"), float("inf")])
def test_a_number_with_no_finite_float_value_fails_a_scalar_result(value):
    case = Case("cross_entropy", "a case", [], Scalar(), expected=1.5)
    verdicts = {v.check: v for v in evaluate(case, CallOutcome("ok", value=value), "hidden", TOL, [])[0]}
    assert verdicts["finite"].status == "fail" and verdicts["value"].status == "moot"


def test_a_scalar_off_by_a_little_fails_without_showing_the_number():
    case = Case("cross_entropy", "a case", [], Scalar(), expected=1.2345678)
    verdicts = {v.check: v for v in evaluate(case, CallOutcome("ok", value=1.3), "hidden", TOL, [])[0]}
    assert verdicts["value"].status == "fail" and "1.3" not in verdicts["value"].message


def float32_softmax(Z):
    Z = Z.astype(np.float32)
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float64)


def test_properties_use_the_one_tolerance_so_float32_internals_pass():
    Z = np.random.default_rng(3).standard_normal((9, 10)) * 4
    S = float32_softmax(Z)
    assert np.max(np.abs(S.sum(axis=1) - 1)) > 1e-9  # would have failed the old 1e-9 row-sum check
    properties = (Property("rows_sum_to_one", P.rows_sum_to_one), Property("in_unit_interval", P.in_unit_interval))
    case = Case("softmax", "a case", [Z], Arr(Z.shape), properties=properties)
    verdicts = {v.check: v for v in evaluate(case, CallOutcome("ok", value=S, args_after=[Z.copy()]), "public", TOL, ["Z"])[0]}
    assert verdicts["properties"].status == "pass"
    wrong = {v.check: v for v in evaluate(case, CallOutcome("ok", value=S * 1.01, args_after=[Z.copy()]), "public", TOL, ["Z"])[0]}
    assert wrong["properties"].status == "fail"


def test_loss_definition_uses_the_one_tolerance(homework):
    rng = np.random.default_rng(4)
    Y_hat = float32_softmax(rng.standard_normal((6, 5)))
    Y = np.eye(5)[rng.integers(0, 5, 6)]
    exact = float(-np.sum(Y * np.log(Y_hat)) / 6)
    f32 = float(-np.sum(Y.astype(np.float32) * np.log(Y_hat.astype(np.float32))) / 6)
    properties = homework.function("cross_entropy").properties
    assert [p.name for p in properties] == ["positive", "matches_loss_definition"]
    case = Case("cross_entropy", "a case", [Y_hat, Y], Scalar(), properties=properties)
    for got, status in ((f32, "pass"), (exact * (1 + 1e-4), "fail")):
        outcome = CallOutcome("ok", value=got, args_after=[Y_hat.copy(), Y.copy()])
        verdicts = {v.check: v for v in evaluate(case, outcome, "public", TOL, ["Y_hat", "Y"])[0]}
        assert verdicts["properties"].status == status, (got, exact)
    assert verdicts["properties"].message == f"returned {got:.6g}; the mean loss of the rows, as the contract defines it, is {exact:.6g} here"


# --- points follow correct values ------------------------------------------------------

WEIGHTS = {"signature": 0.05, "returns": 0.10, "type": 0.05, "shape": 0.10, "dtype": 0.05, "finite": 0.05, "inputs_unchanged": 0.10, "value": 0.30, "finite_differences": 0.15, "properties": 0.10}


def verdicts_of(**status):
    return [Verdict(check, s) for check, s in status.items()]


def test_a_case_whose_value_is_wrong_earns_nothing_however_good_its_form():
    assert case_credit(verdicts_of(returns="pass", type="pass", shape="pass", dtype="pass", finite="pass", value="fail"), True, WEIGHTS) == 0.0
    assert case_credit(verdicts_of(returns="pass", type="pass", shape="fail", dtype="moot", finite="moot", value="moot"), True, WEIGHTS) == 0.0
    assert case_credit(verdicts_of(returns="pass", type="pass", properties="fail"), True, WEIGHTS) == 0.0
    assert case_credit(verdicts_of(returns="fail", type="moot"), True, WEIGHTS) == 0.0


def test_a_right_case_earns_the_share_of_the_checks_it_passes():
    right = verdicts_of(returns="pass", type="pass", shape="pass", dtype="pass", finite="pass", inputs_unchanged="pass", value="pass", finite_differences="pass")
    assert case_credit(right, True, WEIGHTS) == 1.0
    mutated = verdicts_of(returns="pass", type="pass", shape="pass", dtype="pass", finite="pass", inputs_unchanged="fail", value="pass", finite_differences="pass")
    assert case_credit(mutated, True, WEIGHTS) == pytest.approx((0.95 - 0.10) / 0.95)
    assert case_credit(right, False, WEIGHTS) == pytest.approx((0.95 - 0.05) / 0.95)  # a wrong default


def test_a_public_case_with_no_value_check_earns_its_form():
    assert not set(VALUE_CHECKS) & {"returns", "type", "shape", "dtype", "finite", "inputs_unchanged"}
    form = verdicts_of(returns="pass", type="pass", shape="pass", dtype="fail", finite="pass")
    # signature 0.05 + returns 0.10 + type 0.05 + shape 0.10 + dtype 0.05 + finite 0.05 = 0.40
    assert case_credit(form, True, WEIGHTS) == pytest.approx((0.40 - 0.05) / 0.40)


# --- a result the checks cannot read fails its case, not the grading ---------------------


@pytest.mark.parametrize(
    "value",
    [np.array(5.0), ({"W1": 1}, np.array(2.0)), {1: 2}, [[1, [2]]], 10**400, "costs", ({}, [10**400] * 3), ({}, "abc")],
    ids=["0-d array", "0-d costs", "int keys", "nested lists", "huge int", "string", "huge costs", "string costs"],
)
def test_odd_results_of_fit_are_judged_and_fail(value):
    template = Seq((Mapping((("W1", Arr((2, 2))),)), FloatList(3)), ("params", "costs"))
    case = Case("fit", "a case", [], template, expected=({"W1": np.eye(2)}, [1.0, 0.9, 0.8]))
    verdicts, _ = evaluate(case, CallOutcome("ok", value=value), "hidden", TOL, [])
    assert any(v.status == "fail" for v in verdicts)
    assert case_credit(verdicts, True, WEIGHTS) == 0.0


def test_an_exception_inside_the_checks_becomes_a_failed_check_of_that_case(hidden_grader):
    import dataclasses

    from autograder.grader import grade_cases

    planned = hidden_grader.plan["cost_n"]
    assert "positive" in [p.name for p in planned[0].properties]
    first = planned[0].label

    def breaks_on_the_first_case(prop):
        def check(case, values):
            if case.label == first:
                raise TypeError("iteration over a 0-d array")
            return prop.check(case, values)

        return dataclasses.replace(prop, check=check) if prop.name == "positive" else prop

    cases = [dataclasses.replace(c, properties=tuple(map(breaks_on_the_first_case, c.properties))) for c in planned]
    calls = iter([CallOutcome("ok", value=c.expected, args_after=list(c.args)) for c in cases])
    info = {"defined": True, "callable": True, "params": None}
    result = grade_cases("cost_n", cases, info, lambda case: next(calls), hidden_grader.config, hidden_grader.reference, homework=hidden_grader.homework)
    assert result.score == pytest.approx(hidden_grader.config.points["cost_n"] * (len(cases) - 1) / len(cases))
    assert "the grader could not judge this result" in result.findings[0].message


# --- hidden values stay hidden ---------------------------------------------------------


def test_hide_numbers_keeps_shapes_and_dtypes_and_removes_values(homework):
    text = "operands could not be broadcast together with shapes (5,7) (7,3) "
    assert hide_numbers(text, {5, 7, 3}) == text
    raw = "array([[ 0.0123, -2.3e-05], [1e300, 17]]) float64 W1 dZ2 x0.25 0x1.8p-3 (99, 5)"
    hidden = hide_numbers(raw, {5}, names=homework.message_pattern)
    for number in ("0.0123", "2.3e-05", "1e300", "17", "25", "0x1.8p-3", "99"):
        assert number not in hidden
    assert "float64" in hidden and "W1" in hidden and "dZ2" in hidden and ", 5)" in hidden


def test_are_only_the_homeworks_names_kept_whole_in_hidden_messages():
    """The names a message keeps come from the homework (its ``message_pattern``): with none,
    W1 loses its digit like any other number; with a pattern, only the names it matches stay."""
    text = "W1 and dZ2 differ; Q7 too"
    assert hide_numbers(text) == "W… and dZ… differ; Q… too"
    assert hide_numbers(text, names=r"\b(?:W1|dZ2)\b") == "W1 and dZ2 differ; Q… too"


def test_do_hidden_checks_run_only_the_properties_marked_hidden():
    from autograder.checks import applicable

    S = np.full((2, 2), 0.5)
    shown_only = Property("shown_only", lambda case, values: "always fails", hidden=False)
    case = Case("softmax", "a case", [S], Arr(S.shape), properties=(shown_only,))
    assert "properties" not in applicable(case, "hidden") and "properties" in applicable(case, "public")
    public = {v.check: v for v in evaluate(case, CallOutcome("ok", value=S, args_after=[S.copy()]), "public", TOL, ["Z"])[0]}
    assert public["properties"].status == "fail" and public["properties"].message == "always fails"


def test_is_an_exception_in_another_graded_function_named_as_graded_on_its_own(homework):
    exception = {"type": "ValueError", "message": "bad", "where": {"line": 3, "function": "softmax", "text": "x"}}
    outcome = CallOutcome("raised", exception=exception)
    case = Case("cross_entropy", "a case", [], Scalar(), expected=1.0)
    graded = {v.check: v for v in evaluate(case, outcome, "hidden", TOL, [], homework=homework)[0]}
    assert graded["returns"].message.endswith("; softmax is graded on its own too") and graded["returns"].mistake is None
    alone = {v.check: v for v in evaluate(case, outcome, "hidden", TOL, [])[0]}
    assert alone["returns"].mistake == "raises" and "graded on its own" not in alone["returns"].message


def test_exception_text_and_warnings_do_not_leak_hidden_values(hidden_grader, reference_source, tmp_path):
    source = replace_function(reference_source, "dJ_dW2", "def dJ_dW2(X2, dZ2):\n    raise ValueError(repr(dZ2))\n")
    source = replace_function(
        source, "dJ_db2",
        "def dJ_db2(dZ2):\n    import warnings\n    warnings.warn(f'first entry {dZ2[0, 0]!r} and {dZ2.ravel()[:4]}')\n    return np.sum(dZ2, axis=0, keepdims=True)\n",
    )  # fmt: skip
    source = replace_function(source, "dJ_dX2", "def dJ_dX2(dZ2, W2):\n    return dZ2 @ W2\n")  # a broadcast error
    path = tmp_path / "backprop.py"
    path.write_text(source)
    results = hidden_grader.grade(path)
    text = json.dumps(results.to_dict())
    assert results.function("dJ_dW2").score == 0 and "ValueError" in text and "raise ValueError(repr(dZ2))" in text
    assert "UserWarning" in " ".join(results.function("dJ_db2").warnings)
    dX2 = results.function("dJ_dX2")
    assert dX2.score == 0 and "matmul" in dX2.findings[0].message  # numpy's words stay, its numbers go
    for case in hidden_grader.plan["dJ_dW2"]:
        for value in case.args[1].ravel()[:6]:
            for shown in (repr(float(value)), f"{value:.8f}", f"{value:.3e}"):
                assert shown not in text, shown


def test_public_checks_may_show_the_exception_text(public_grader, reference_source, tmp_path):
    source = replace_function(reference_source, "dJ_dW2", "def dJ_dW2(X2, dZ2):\n    raise ValueError('the value is 0.123456')\n")
    path = tmp_path / "backprop.py"
    path.write_text(source)
    assert "0.123456" in public_grader.grade(path).function("dJ_dW2").findings[0].message


@pytest.mark.parametrize(
    "ending, full",
    [
        ("return params, np.array(costs)", True),  # an array of floats is accepted where a list is asked
        ("return np.array(costs)", False),
        ("return params, np.array(costs[0])", False),  # a 0-d array: 'iteration over a 0-d array' before
        ("return params, [10**400] * iterations", False),
        ("return {1: params, (2, 3): costs}", False),
        ("return params, 'costs'", False),
    ],
)
def test_does_fit_returning_an_odd_value_get_a_result_not_a_crash(hidden_grader, reference_source, tmp_path, ending, full):
    fit = (
        "def fit(X, Y, layer_sizes, learning_rate=0.1, iterations=1000, seed=1):\n"
        "    params = initialize_parameters(layer_sizes, seed)\n"
        "    costs = []\n"
        "    for _ in range(iterations):\n"
        "        Y_hat, cache = forward_n(X, params)\n"
        "        costs.append(cost_n(Y_hat, Y))\n"
        "        params = update(params, backward_n(Y, params, cache), learning_rate)\n"
        f"    {ending}\n"
    )
    path = tmp_path / "backprop.py"
    path.write_text(replace_function(reference_source, "fit", fit))
    results = hidden_grader.grade(path)
    f = results.function("fit")
    assert results.fatal is None and f.score == (f.max_score if full else 0.0), f.findings
    assert all(g.score == g.max_score for g in results.functions if g.name != "fit")


def test_does_hiding_numbers_keep_the_public_tolerance_and_nothing_else():
    from autograder.checks import hide_numbers

    text = "every relative error should be below 1e-06; yours reports W1: 3.2e-01, b2: 0.25"
    hidden = hide_numbers(text, keep=("1e-06",))
    assert "below 1e-06" in hidden and "3.2e-01" not in hidden and "0.25" not in hidden
