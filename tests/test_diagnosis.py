"""Is a mistake given its right name, or none?

Each submission is the reference solution with one function rewritten the way a student
might (tests/conftest.py's replace_function), graded with the hidden tests. The tests assert
the mistake id the grader gives and that the fix it suggests is not one that would leave the
function failing. Then the reference's own values are fed through diagnose(): a correct
result is never diagnosed. The last tests drive the engine with a one-function homework
built in the test: its known mistakes (impl, swap, tests at a stage) are tried before the
generic diagnoses, and its Hints word the generic fix lines, which are neutral without them.
"""

import textwrap

import numpy as np
import pytest
from conftest import replace_function

from autograder import diagnosis
from autograder.checks import CallOutcome, Verdict
from autograder.structure import flatten
from tools.mutants import MUTANTS


@pytest.fixture(scope="module")
def graded(hidden_grader, reference_source, tmp_path_factory):
    """function, source -> that function's FunctionResult (each submission graded once)."""
    folder = tmp_path_factory.mktemp("diagnosis")
    cache = {}

    def grade(function, source):
        source = textwrap.dedent(source).strip("\n") + "\n"
        key = (function, source)
        if key not in cache:
            path = folder / f"s{len(cache)}" / "backprop.py"
            path.parent.mkdir()
            path.write_text(replace_function(reference_source, function, source))
            cache[key] = hidden_grader.grade(path).function(function)
        return cache[key]

    return grade


def _text(result):
    return "\n".join(f"{f.message} | fix: {f.fix}" for f in result.findings)


def _finding(result, mistake):
    found = [f for f in result.findings if f.mistake == mistake]
    assert found, f"no finding tagged {mistake}: {result.mistakes}\n{_text(result)}"
    return found[0]


# --- the mislabels of issue 12 --------------------------------------------------------------


@pytest.mark.parametrize("keepdims", [False, True])
def test_is_a_dJ_dZ2_averaged_over_rows_named_a_wrong_axis_not_a_bias_mistake(graded, keepdims):
    """np.mean(Y_hat - Y, axis=0) collapses the rows: not a bias mistake, and the fix is to
    divide by N, not np.sum(dZ, axis=0, keepdims=True) (which still fails)."""
    result = graded("dJ_dZ2", f"""
        def dJ_dZ2(Y_hat, Y):
            return np.mean(Y_hat - Y, axis=0, keepdims={keepdims})
    """)
    assert result.score < result.max_score
    assert result.mistakes == ["wrong_axis"], _text(result)
    finding = _finding(result, "wrong_axis")
    assert "axis 0" in finding.message
    for f in result.findings:
        assert "bias" not in f.message and "keepdims=True" not in (f.fix or ""), _text(result)
    assert "(Y_hat - Y) / N" in finding.fix


@pytest.mark.parametrize("function", ["cross_entropy", "cost_n"])
def test_is_a_loss_returned_per_row_told_the_mean_is_missing_not_to_use_float(graded, function):
    """A loss of shape (N,): the missing step is the mean over the rows; float() of an (N,)
    array fails, so it must not be suggested there."""
    if function == "cross_entropy":
        source = """
            def cross_entropy(Y_hat, Y):
                return -np.sum(Y * np.log(Y_hat), axis=1)
        """
    else:
        source = """
            def cost_n(Y_hat, Y):
                if Y_hat.shape[1] == 1:
                    return -(Y * np.log(Y_hat) + (1 - Y) * np.log(1 - Y_hat))[:, 0]
                return -np.sum(Y * np.log(Y_hat), axis=1)
        """
    result = graded(function, source)
    assert result.score < result.max_score
    assert result.mistakes == ["missing_mean"], _text(result)
    finding = _finding(result, "missing_mean")
    assert "mean" in finding.message and "mean" in finding.fix
    assert "float(...)" not in finding.message
    for f in result.findings:  # "use float(...)" only where the array has one entry (N = 1)
        if "float(...)" in f.message:
            assert "shape (1,)" in f.message, _text(result)


def test_is_a_loss_averaged_over_the_classes_named_with_its_factor_1_over_C(graded):
    """np.mean over the (N, C) array divides by N * C: the loss is 1/C of the right one."""
    result = graded("cross_entropy", """
        def cross_entropy(Y_hat, Y):
            return float(-np.mean(Y * np.log(Y_hat)))
    """)
    assert result.mistakes == ["scaled_by_constant"], _text(result)
    finding = _finding(result, "scaled_by_constant")
    assert "C = 4" in finding.message and "classes" in finding.message
    assert "/ N" in finding.fix and "np.mean" not in finding.fix


@pytest.mark.parametrize("function, source", [
    ("dJ_dW2", """
        def dJ_dW2(X2, dZ2):
            return np.zeros((X2.shape[1], dZ2.shape[1]))
    """),
    ("dJ_dZ2", """
        def dJ_dZ2(Y_hat, Y):
            grad = np.zeros_like(Y_hat)
            for n in range(len(Y), len(Y)):  # a loop that never runs
                grad[n] = (Y_hat[n] - Y[n]) / len(Y)
            return grad
    """),
    ("backprop", """
        def backprop(X, Y, W1, b1, W2, b2):
            return {"W1": np.zeros_like(W1), "b1": np.zeros_like(b1), "W2": np.zeros_like(W2), "b2": np.zeros_like(b2)}
    """),
], ids=["dJ_dW2", "dJ_dZ2-loop-never-runs", "backprop"])
def test_is_an_all_zeros_gradient_called_all_zeros(graded, function, source):
    """A gradient of zeros is named as such, whatever the function."""
    result = graded(function, source)
    assert result.mistakes == ["all_zeros"], _text(result)
    assert "0" in _finding(result, "all_zeros").message


def _softmax_finding(graded, shift):
    result = graded("softmax", f"""
        def softmax(Z):
            exps = np.exp(Z{shift})
            return exps / np.sum(exps, axis=1, keepdims=True)
    """)
    assert result.mistakes == ["unstable_softmax"], _text(result)
    return _finding(result, "unstable_softmax")


def test_does_a_softmax_shifted_by_the_whole_arrays_maximum_report_underflow(graded):
    """Shifted by the global maximum, a row of logits near -1000 underflows: 0 / 0, not inf / inf."""
    finding = _softmax_finding(graded, " - np.max(Z)")
    assert "0 / 0" in finding.message and "inf / inf" not in finding.message
    assert "axis=1" in finding.fix


def test_does_a_softmax_shifted_by_each_rows_minimum_report_overflow(graded):
    """Shifted by the row minimum, only overflow happens: inf / inf, not 0 / 0."""
    finding = _softmax_finding(graded, " - np.min(Z, axis=1, keepdims=True)")
    assert "inf / inf" in finding.message and "0 / 0" not in finding.message


def test_does_an_unshifted_softmax_report_both_overflow_and_underflow(graded):
    """Without a shift the +-1000 logits overflow in some rows and underflow in another."""
    finding = _softmax_finding(graded, "")
    assert "inf / inf" in finding.message and "0 / 0" in finding.message


# --- generic diagnoses ----------------------------------------------------------------------


@pytest.mark.parametrize("function, source, mistake, words", [
    ("dJ_dW2", "def dJ_dW2(X2, dZ2):\n    return 2 * X2.T @ dZ2\n", "scaled_by_constant", ["2 times", "factor 2"]),
    ("dJ_dX2", "def dJ_dX2(dZ2, W2):\n    return 0.5 * dZ2 @ W2.T\n", "scaled_by_constant", ["0.5 times", "1/2"]),
    ("dJ_dW1", "def dJ_dW1(X, dZ1):\n    return X.T @ dZ1 / dZ1.shape[1]\n", "scaled_by_constant", ["1/H = 1/3"]),
    ("dJ_dZ2", "def dJ_dZ2(Y_hat, Y):\n    return (Y_hat - Y) / Y.shape[1]\n", "scaled_by_constant", ["1/C = 1/4"]),
    ("dJ_dW1", "def dJ_dW1(X, dZ1):\n    return 1.37 * (X.T @ dZ1)\n", "scaled_by_constant", ["1.37 times"]),
    ("dJ_dX2", "def dJ_dX2(dZ2, W2):\n    return -(dZ2 @ W2.T)\n", "sign_flipped", ["opposite sign"]),
    ("dJ_dW2", "def dJ_dW2(X2, dZ2):\n    return X2.T @ dZ2 * X2.shape[0]\n", "missing_mean", ["N = 7"]),
    ("dJ_dW1", "def dJ_dW1(X, dZ1):\n    return X.T @ dZ1 / len(X)\n", "sum_vs_mean", ["N = 7"]),
], ids=["times-2", "times-half", "over-H", "over-C", "general-factor", "times-minus-1", "times-N", "over-N"])
def test_is_a_constant_factor_named_and_printed(graded, function, source, mistake, words):
    """A result that is c times the correct one is named, with the factor it found."""
    result = graded(function, source)
    assert result.mistakes[0] == mistake, _text(result)
    assert set(result.mistakes) <= {mistake, "missing_mean", "sum_vs_mean", "scaled_by_constant"}, _text(result)
    text = _text(result)
    for word in words:
        assert word in text, text


def test_is_a_bias_summed_over_every_axis_named_a_wrong_axis(graded):
    """np.sum(dZ1, keepdims=True) adds up the columns too: shape (1, 1) for (1, H)."""
    result = graded("dJ_db1", """
        def dJ_db1(dZ1):
            return np.sum(dZ1, keepdims=True)
    """)
    assert result.mistakes == ["wrong_axis"], _text(result)
    finding = _finding(result, "wrong_axis")
    assert "all axes" in finding.message and "axis 0" in finding.fix


def test_is_a_gradient_left_one_per_row_told_to_add_up_the_rows(graded):
    """Per-example outer products (N, H, C) whose sum over the rows is dW2."""
    result = graded("dJ_dW2", """
        def dJ_dW2(X2, dZ2):
            return np.einsum("nh,nc->nhc", X2, dZ2)
    """)
    assert result.mistakes == ["wrong_axis"], _text(result)
    finding = _finding(result, "wrong_axis")
    assert "one entry per row" in finding.message and "sum over axis 0" in finding.message


def test_is_a_dropped_size_one_axis_named_keepdims(graded):
    """forward_n returning Y_hat as (N,) for one output unit: the (N, 1) axis was dropped."""
    flattened = next(m for m in MUTANTS if m.id == "forward_n-one-output-flattened")
    result = graded("forward_n", flattened.source)
    assert result.mistakes == ["keepdims"], _text(result)
    assert "(7, 1)" in _finding(result, "keepdims").fix


def test_is_a_result_with_the_transposed_shape_but_other_values_not_called_transposed(graded):
    """(C, H) for (H, C) whose values are not the transpose: the name is absent."""
    result = graded("dJ_dW2", """
        def dJ_dW2(X2, dZ2):
            return (X2.T @ dZ2).reshape(dZ2.shape[1], X2.shape[1])
    """)
    assert result.score < result.max_score
    assert "transposed" not in result.mistakes, _text(result)


# --- correct code is never diagnosed ---------------------------------------------------------


@pytest.mark.parametrize("function, source", [
    ("dJ_dZ2", "def dJ_dZ2(Y_hat, Y):\n    return np.subtract(Y_hat, Y) / len(Y)\n"),
    ("cross_entropy", "def cross_entropy(Y_hat, Y):\n    return float(np.mean(-np.sum(Y * np.log(Y_hat), axis=1)))\n"),
    ("cost_n", "def cost_n(Y_hat, Y):\n    per_row = -np.sum(Y * np.log(Y_hat) + (1 - Y) * np.log(1 - Y_hat), axis=1) if Y.shape[1] == 1 else -np.sum(Y * np.log(Y_hat), axis=1)\n    return float(per_row.mean())\n"),
    ("dJ_db2", "def dJ_db2(dZ2):\n    return dZ2.sum(0)[None, :]\n"),
    ("dJ_dW2", "def dJ_dW2(X2, dZ2):\n    return np.einsum('nh,nc->hc', X2, dZ2)\n"),
    ("softmax", "def softmax(Z):\n    e = np.exp(Z - Z.max(axis=-1, keepdims=True))\n    return e / e.sum(axis=-1, keepdims=True)\n"),
], ids=["dJ_dZ2", "cross_entropy", "cost_n", "dJ_db2", "dJ_dW2", "softmax"])
def test_does_a_correct_variant_keep_its_points_with_no_name(graded, function, source):
    result = graded(function, source)
    assert result.score == result.max_score and result.mistakes == [], _text(result)


def test_is_the_reference_value_never_diagnosed(hidden_grader):
    """Fed the reference's own result as if a check had failed, does diagnose() name nothing,
    for every case of every function? (Every rebuilt mistake must differ from the correct value.)"""
    named, checked = [], 0
    for function, cases in hidden_grader.plan.items():
        for case in cases:
            if case.expected is None:
                continue
            checked += 1
            leaves = flatten(case.expect, case.expected)
            outcome = CallOutcome("ok", value=case.expected, args_after=list(case.args))
            for check in ("value", "finite_differences"):
                found = diagnosis.diagnose(case, outcome, [Verdict(check, "fail")], leaves, "hidden", hidden_grader.reference, homework=hidden_grader.homework)
                if found:
                    named.append((function, case.label, check, found.mistake))
    assert checked >= 50 and named == []


def test_is_a_zero_result_not_called_all_zeros_when_zero_is_right(hidden_grader):
    """diagnose() on a case whose correct value is zero (both inputs of relative_error zero)
    does not call a zero result all_zeros."""
    case = next(c for c in hidden_grader.plan["relative_error"] if c.label == "both zero")
    leaves = flatten(case.expect, np.float64(0.0))
    found = diagnosis.diagnose(case, CallOutcome("ok", value=0.0, args_after=list(case.args)), [Verdict("value", "fail")], leaves, "hidden", homework=hidden_grader.homework)
    assert found is None or found.mistake != "all_zeros"


def test_is_a_gradient_equal_to_finite_differences_never_diagnosed_in_the_public_checks(public_grader):
    """Public checks compare with finite differences: a gradient equal to them (as a correct
    one is, to rounding) is never named, whatever the function."""
    named, checked = [], 0
    for function, cases in public_grader.plan.items():
        for case in cases:
            exact = {path: case.probes(path) for path in case.fd}
            if not exact or not all(p.exact for p in exact.values()) or set(exact) != {""}:
                continue
            checked += 1
            value = exact[""].numeric.reshape(exact[""].shape)
            leaves = flatten(case.expect, value)
            outcome = CallOutcome("ok", value=value, args_after=list(case.args))
            found = diagnosis.diagnose(case, outcome, [Verdict("finite_differences", "fail")], leaves, "public", homework=public_grader.homework)
            if found:
                named.append((function, case.label, found.mistake))
    assert checked >= 20 and named == []


# --- the engine: a homework's known mistakes and wording, tried before the generic ones -------


def _toy(mistakes=(), hints=None, **flags):
    """A one-function homework, ``twice(x) = 2 * x``, with the given known mistakes and hints."""
    from dataclasses import replace

    from autograder.spec import Arr, Function, Homework

    function = Function("twice", ("x",), Arr(like="x"), cases=lambda ctx: [], **flags)
    return replace(Homework("toy", (function,)), mistake_table={"twice": tuple(mistakes)}, hint_table=dict(hints or {}))


def _toy_case():
    from autograder.plan import Case
    from autograder.structure import Arr

    x = np.random.default_rng(0).standard_normal((3, 5))
    return Case("twice", "a (3, 5) array", [x], Arr((3, 5)), dims={"N": 3}, expected=2 * x)


def _toy_diagnose(homework, case, value, check="value", reference=None, outcome=None):
    leaves = flatten(case.expect, value)
    outcome = outcome or CallOutcome("ok", value=value, args_after=[a.copy() for a in case.args])
    return diagnosis.diagnose(case, outcome, [Verdict(check, "fail")], leaves, "hidden", reference, homework=homework)


def test_is_a_homeworks_wrong_implementation_named_before_the_generic_diagnosis():
    """-2x is a sign flip to the engine; a homework that knows the mistake names it first."""
    from autograder.spec import Mistake

    case = _toy_case()
    value = -2 * case.args[0]
    generic = _toy_diagnose(_toy(), case, value)
    assert generic.mistake == "sign_flipped"
    own = _toy_diagnose(_toy([Mistake("subtracted_twice", impl=lambda x: -x - x, explain="x was subtracted", fix="add x to itself")]), case, value)
    assert (own.mistake, own.explanation, own.fix) == ("subtracted_twice", "x was subtracted", "add x to itself")


def test_is_a_wrong_implementation_equal_to_the_right_answer_never_named():
    """An impl that computes the correct value (on this case) cannot tell a mistake apart."""
    from autograder.spec import Mistake

    case = _toy_case()
    homework = _toy([Mistake("same_thing", impl=lambda x: x * 2.0)])
    assert _toy_diagnose(homework, case, 2 * case.args[0]) is None


def test_is_a_swap_mistake_named_from_the_reference_with_a_helper_swapped_back_after():
    """The reference run with its helper swapped gives the mistaken whole result (hidden
    grading only); the helper is put back afterwards."""
    import types

    from autograder.spec import Mistake

    reference = types.ModuleType("toy_reference")
    exec("def helper(x):\n    return x\n\ndef twice(x):\n    return 2 * helper(x)\n", reference.__dict__)
    original = reference.helper
    homework = _toy([Mistake("squared_helper", swap={"helper": lambda x: x * x}, explain="the helper squared x", fix="return x")])
    case = _toy_case()
    value = 2 * case.args[0] ** 2
    found = _toy_diagnose(homework, case, value, reference=reference)
    assert found.mistake == "squared_helper" and found.fix == "return x"
    assert reference.helper is original
    public = _toy_diagnose(homework, case, value)  # no reference: no swap is tried
    assert public is None or public.mistake != "squared_helper"


def test_does_a_homeworks_hint_word_the_generic_fix():
    """N times the correct value is missing_mean either way; the fix line is the homework's
    own when it gives one, and neutral (no formula) otherwise."""
    from autograder.spec import Hints

    case = _toy_case()
    value = 3 * 2 * case.args[0]
    neutral = _toy_diagnose(_toy(), case, value)
    worded = _toy_diagnose(_toy(hints={"*": Hints(fixes={"missing_mean": "divide the sum by the batch size"})}), case, value)
    assert neutral.mistake == worded.mistake == "missing_mean"
    assert worded.fix == "divide the sum by the batch size" and neutral.fix != worded.fix
    transposed = _toy_diagnose(_toy(hints={"twice": Hints(shape="x is (N, D)")}), case, (2 * case.args[0]).T, check="shape")
    assert transposed.mistake == "transposed" and transposed.fix.endswith("x is (N, D)")


def test_does_a_shape_stage_test_see_the_misshapen_part():
    from autograder.spec import Mistake

    seen = []

    def flattened(case, found):
        seen.append((found.path, found.shape, found.want))
        return found.shape == (15,)

    homework = _toy([Mistake("flattened", stage="shape", test=flattened, explain="the result was raveled", fix="keep its shape")])
    case = _toy_case()
    found = _toy_diagnose(homework, case, (2 * case.args[0]).ravel(), check="shape")
    assert found.mistake == "flattened" and seen == [("", (15,), (3, 5))]


def test_does_a_function_with_its_own_mutation_mistakes_replace_input_mutation():
    """A changed input is input_mutation, unless the function's mutation-stage mistakes
    decide (and then a test that says nothing names nothing)."""
    from autograder.spec import Mistake

    case = _toy_case()
    outcome = CallOutcome("ok", value=2 * case.args[0], args_after=[case.args[0] + 1])
    assert _toy_diagnose(_toy(), case, outcome.value, "inputs_unchanged", outcome=outcome).mistake == "input_mutation"
    silent = _toy([Mistake("kept_a_copy", stage="mutation", test=lambda case, found: None)])
    assert _toy_diagnose(silent, case, outcome.value, "inputs_unchanged", outcome=outcome) is None
    said = _toy([Mistake("moved_x", stage="mutation", test=lambda case, found: "x moved by 1", fix="copy x first")])
    found = _toy_diagnose(said, case, outcome.value, "inputs_unchanged", outcome=outcome)
    assert (found.mistake, found.explanation, found.fix) == ("moved_x", "x moved by 1", "copy x first")


def test_is_a_numpy_false_from_a_test_read_as_no_match():
    """A test returning np.False_ (np.all(...) and ...) claims nothing."""
    from autograder.spec import Mistake

    case = _toy_case()
    homework = _toy([Mistake("never", stage="structure", test=lambda case, found: np.all(found.values[""] > 1e9))])
    assert _toy_diagnose(homework, case, 0 * case.args[0]).mistake == "all_zeros"


def test_does_the_backprop_homework_keep_its_formula_in_its_fix_lines(hidden_grader):
    """dJ_dZ2 N times too large: the fix states dJ/dZ2 = (Y_hat - Y) / N from the homework's
    HINTS; the engine alone says the same thing without the formula."""
    case = next(c for c in hidden_grader.plan["dJ_dZ2"] if c.dims.get("N", 1) > 1)
    value = np.asarray(case.expected) * case.dims["N"]
    leaves = flatten(case.expect, value)
    outcome = CallOutcome("ok", value=value, args_after=list(case.args))
    worded = diagnosis.diagnose(case, outcome, [Verdict("value", "fail")], leaves, "hidden", homework=hidden_grader.homework)
    neutral = diagnosis.diagnose(case, outcome, [Verdict("value", "fail")], leaves, "hidden")
    assert worded.mistake == neutral.mistake == "missing_mean"
    assert worded.fix == "divide by N: dJ/dZ2 = (Y_hat - Y) / N, where N = Y.shape[0]"
    assert "Y_hat" not in neutral.fix and "dJ" not in neutral.fix
