"""Name the mistake: a catalogue of known errors tried against a failed result.

Each entry rebuilds what a specific mistake would have produced (the expected value
transposed, times N, with d_sigmoid applied to an activation, ...) and claims the failure
only if the submission matches that rebuilt value closely while the correct value does not.
No diagnosis is better than a wrong one, so every match is tight, and a correct result is
never diagnosed (checked in the tests).

The expected value is the reference's (hidden grading) or, for small arrays in the public
checks, the finite-difference gradient. Mistakes that need to re-run a computation with one
step done wrong do so by calling the reference with that one helper swapped (hidden grading
only); this module contains no gradient formula of its own beyond sigmoid' = s(1 - s).

The specific catalogue (one function's known mistakes) is tried first; generic diagnoses
that hold for any array result come after it, so a specific name wins: all zeros, a
constant factor the grader can name (2, 1/2, -1, N, 1/N, C, 1/C, a ratio of two sizes, or
any factor, printed), a sum or mean over the wrong axis (or over an axis the result keeps),
one value per row where their mean is needed, a size-1 axis dropped, a transpose.
"""

import contextlib
from dataclasses import dataclass

import numpy as np

from . import contract
from . import gradcheck as gc
from .checks import changed_entries
from .structure import Arr, Scalar, flatten

MATCH = 1e-6  # how closely a submission must equal a rebuilt mistake (hidden grading)
MATCH_FD = 2e-5  # the same, against a finite-difference gradient (public checks)
DISTINCT = 1e-3  # a rebuilt mistake must differ from the correct value by at least this much

MATMUL_FUNCTIONS = {
    "forward", "dJ_dW2", "dJ_dX2", "dJ_dW1", "backprop", "gradient_check", "forward_n",
    "backward_n", "fit", "predict",
}  # fmt: skip
BIAS_FUNCTIONS = {"dJ_db1": ("dZ1", "H"), "dJ_db2": ("dZ2", "C")}

SHAPE_RECIPES = {
    "forward": "Z1 = X @ W1 + b1 multiplies X (N, D) by W1 (D, H); Z2 = X2 @ W2 + b2 multiplies X2 (N, H) by W2 (H, C)",
    "dJ_dW2": "X2 is (N, H) and dZ2 is (N, C): the (H, C) gradient is X2.T @ dZ2",
    "dJ_dX2": "dZ2 is (N, C) and W2 is (H, C): the (N, H) gradient is dZ2 @ W2.T",
    "dJ_dW1": "X is (N, D) and dZ1 is (N, H): the (D, H) gradient is X.T @ dZ1",
    "backprop": "dW2 = X2.T @ dZ2 (H, C), dX2 = dZ2 @ W2.T (N, H), dW1 = X.T @ dZ1 (D, H)",
    "forward_n": "each layer computes A_prev @ W + b with A_prev (N, n_in) and W (n_in, n_out)",
    "backward_n": "dW_l = A_{l-1}.T @ dZ_l and dZ_{l-1} = (dZ_l @ W_l.T) * sigmoid'(Z_{l-1})",
    "predict": "the forward pass multiplies (N, n_in) activations by (n_in, n_out) weights",
    "fit": "the forward pass multiplies (N, n_in) activations by (n_in, n_out) weights",
    "gradient_check": "backprop and forward multiply (N, n_in) by (n_in, n_out)",
}


@dataclass
class Diagnosis:
    mistake: str
    explanation: str
    fix: str


def _close(got, candidate, expected, tight, distinct=DISTINCT):
    """The submission equals the candidate, and the candidate is not the correct value."""
    if candidate is None or np.shape(got) != np.shape(candidate):
        return False
    candidate = np.asarray(candidate, dtype=np.float64)
    if not np.all(np.isfinite(candidate)):
        return False
    if not gc.relative_error(got, candidate) <= tight:  # NaN: cannot decide, so no match
        return False
    return expected is None or gc.relative_error(candidate, expected) > distinct


def _expected_leaves(case, mode, reference):
    """path -> the correct array to compare mistakes against, where one is known."""
    out = {}
    if mode == "hidden" and case.expected is not None:
        for path, template, value in flatten(case.expect, case.expected):
            out[path] = np.asarray(value, dtype=np.float64)
        return out, MATCH
    for path in case.fd:
        probes = case.probes(path)
        if probes.exact:
            out[path] = probes.numeric.reshape(probes.shape)
    return out, MATCH_FD


def diagnose(case, outcome, verdicts, leaves, mode, reference=None):
    """A Diagnosis for the first failure of this case, or None when nothing matches."""
    failed = [v for v in verdicts if v.status == "fail"]
    if not failed:
        return None
    first = failed[0]
    if first.check == "returns":
        return _from_exception(case, outcome, first)
    if first.check == "type":
        # the type check already names returns_list / returns_none; an array where one float
        # is needed may be one value per row (or per class) that still needs reducing
        return None if first.mistake else _from_unreduced(case, outcome, mode)
    if first.check == "shape":
        expected, tight = _expected_leaves(case, mode, reference)
        return _from_shape(case, leaves, expected, tight) or _generic_shape(case, leaves, expected, tight)
    if first.check == "dtype":
        return None  # already tagged wrong_dtype with its fix
    if first.check == "finite":
        return _from_non_finite(case, leaves)
    expected, tight = _expected_leaves(case, mode, reference)
    found = None
    if first.check == "inputs_unchanged":
        found = _from_mutation(case, outcome)
        if found:
            return found
        later = [v for v in failed[1:] if v.check in ("value", "finite_differences", "properties")]
        if not later:
            return None
    # Mistakes recognised from the value's own structure (a softmax normalised over columns,
    # a diagonal-only Jacobian, weights at the wrong scale) come before generic rescalings.
    found = _from_properties(case, leaves, expected, tight)
    if found:
        return found
    return _from_values(case, leaves, expected, tight, mode, reference)


# --- exceptions ---------------------------------------------------------------------------


def _from_exception(case, outcome, verdict):
    exc = outcome.exception or {}
    message = exc.get("message", "")
    if exc.get("type") == "ZeroDivisionError" and _both_zero(case):
        return Diagnosis(*_ZERO_CASE)
    where = exc.get("where") or {}
    if where.get("function") not in (None, case.function):
        return None  # raised in a function it calls, which is graded (and diagnosed) on its own
    if exc.get("type") == "ValueError" and case.function in MATMUL_FUNCTIONS:
        if "could not be broadcast" in message:
            return Diagnosis(
                "elementwise_for_matmul",
                "`*` multiplies entry by entry and needs matching shapes; this step needs a matrix product",
                f"use `@` (matrix product) here. {SHAPE_RECIPES.get(case.function, '')}".strip(),
            )
        if "mismatch in its core dimension" in message or "not aligned" in message:
            return Diagnosis(
                "wrong_operand_order",
                "the inner sizes of a matrix product disagree: the operands are in the wrong order or the wrong one is transposed",
                f"line up the shapes so the inner sizes match. {SHAPE_RECIPES.get(case.function, '')}".strip(),
            )
    return None


# --- shapes -------------------------------------------------------------------------------


def _first_misshapen(leaves):
    for path, template, value in leaves or ():
        if isinstance(template, Arr) and value.shape != tuple(template.shape):
            return path, template, value
    return None


def _from_shape(case, leaves, expected=None, tight=MATCH):
    """Specific mistakes told by the shape of a misshapen part of the result."""
    for path, template, value in leaves or ():
        if not isinstance(template, Arr) or value.shape == tuple(template.shape):
            continue
        want, got = tuple(template.shape), value.shape
        N = case.dims.get("N")
        bias_key = case.function in BIAS_FUNCTIONS or path.startswith("['b") or "['b" in path
        # (C,) for (1, C) is a dropped axis only for a bias; elsewhere the 1 is N = 1, and a
        # result reduced over its rows looks the same there (the generic checks decide)
        if bias_key and len(want) == 2 and want[0] == 1 and got == (want[1],):
            return Diagnosis(
                "bias_keepdims",
                f"a bias gradient keeps its row shape (1, {want[1]}); summing dropped the axis",
                "sum with keepdims: np.sum(dZ, axis=0, keepdims=True)",
            )
        if bias_key and len(want) == 2 and want[0] == 1 and N is not None and got in ((N, want[1]), (N, 1), (N,)) and N != 1:
            axis_note = "" if got == (N, want[1]) else " (it was summed over the wrong axis)"
            return Diagnosis(
                "bias_not_summed",
                f"the bias is added to every one of the N rows, so its gradient adds up the N rows of dZ{axis_note}",
                "sum over the rows: np.sum(dZ, axis=0, keepdims=True)",
            )
        correct = (expected or {}).get(path)
        transposed_value = correct is None or _close(np.asarray(value, dtype=np.float64).T, correct, None, tight)
        if len(want) == 2 and got == want[::-1] and want[0] != want[1] and transposed_value:
            return Diagnosis(
                "transposed",
                "the result is transposed (or one of the operands was)",
                f"check which operand takes .T. {SHAPE_RECIPES.get(case.function, '')}".strip(),
            )
        if case.function == "backprop" and path == "['W1']" and "C" in case.dims:
            if got == (case.dims["D"], case.dims["C"]):
                return Diagnosis(
                    "wrong_upstream_gradient",
                    "W1's gradient has shape (D, C): it was built from dJ_dZ2 (N, C)",
                    "the chain rule for W1 needs dZ1: dW1 = X.T @ dJ_dZ1, with dZ1 = dJ_dZ1(dJ_dX2(dZ2, W2), Z1)",
                )
        if case.function == "predict" and got == (want[0], 1):
            return Diagnosis("predict_column", "the labels came back as an (N, 1) column", "return a flat (N,) array, e.g. labels[:, 0] or labels.ravel()")
    return None


# --- generic: shapes that a reduction, a dropped axis or one value per row explain --------


def _float(value):
    """A finite float64 array, or None."""
    array = gc.as_float64(value)
    if array is None or not np.all(np.isfinite(array)):
        return None
    return array


def _sizes(case):
    """The named sizes of a case (N, D, H, C); N and C from the labels when the case has none."""
    dims = {letter: int(size) for letter, size in case.dims.items()}
    Y = case.context.get("Y")
    if isinstance(Y, np.ndarray) and Y.ndim == 2:
        dims.setdefault("N", Y.shape[0])
        dims.setdefault("C", Y.shape[1])
    return dims


def _axis_text(axis, shape, dims):
    """ "axis 0 (the rows, N = 7)", "axis 1 (size 4 = C)", "all axes"."""
    if axis is None:
        return "all axes"
    size = shape[axis]
    letters = [letter for letter, value in dims.items() if value == size]
    if axis == 0 and len(shape) == 2 and letters == ["N"]:
        return f"axis 0 (the rows, N = {size})"
    named = f" = {letters[0]}" if len(letters) == 1 else ""
    return f"axis {axis} (size {size}{named})"


def _where(path):
    return "" if not path else f" ({'result' + path if path.startswith('[') else path})"


def _significant(candidate, reference):
    """The candidate is not just rounding noise of a reduction that cancels (rows of Y_hat - Y
    sum to 0): its largest entry is not negligible next to the reference's."""
    top = float(np.max(np.abs(reference))) if np.size(reference) else 0.0
    return top > 0 and np.size(candidate) > 0 and float(np.max(np.abs(candidate))) > 1e-6 * top


def _reductions(array, unit_axes=True):
    """(operation name, axis, keepdims, result) for every sum and mean of ``array``
    (``unit_axes=False``: none over an axis of size 1, which only drops the axis)."""
    axes = [None] + list(range(array.ndim))
    for name, op in (("sum", np.sum), ("mean", np.mean)):
        for axis in axes:
            for keep in (False, True):
                if not unit_axes and axis is not None and array.shape[axis] < 2:
                    continue
                yield name, axis, keep, op(array, axis=axis, keepdims=keep)


_KEEP_ROWS_FIX = {
    "dJ_dZ2": "keep one row per example: dJ/dZ2 = (Y_hat - Y) / N has shape (N, C); the mean over the batch is the division by N, not a mean over axis 0",
}


def _generic_shape(case, leaves, expected, tight):
    found = _first_misshapen(leaves)
    if not found:
        return None
    path, template, value = found
    want = expected.get(path)
    if want is None or template.dtype != "float64" or not np.any(want):
        return None
    got = _float(value)
    if got is None:
        return None
    where = _where(path)
    dims = _sizes(case)
    N = dims.get("N")

    # a size-1 axis dropped (or added); with N = 1 a result reduced over its one row looks
    # the same as one whose row axis was dropped, so nothing is said there
    if got.size == want.size and [d for d in got.shape if d != 1] == [d for d in want.shape if d != 1]:
        if _close(got.reshape(want.shape), want, None, tight):
            if N == 1 and (got.shape == (1, *want.shape) or (want.ndim and want.shape[0] == 1 and got.shape == want.shape[1:])):
                return None
            if got.ndim < want.ndim:
                return Diagnosis(
                    "keepdims",
                    f"the result{where} has the right values but shape {got.shape}: the size-1 axis of {want.shape} was dropped (a sum, mean or max without keepdims=True, or an index like [:, 0])",
                    f"keep the axis: keepdims=True in the reduction, or reshape the result to {want.shape}",
                )
            return Diagnosis(
                "keepdims",
                f"the result{where} has the right values but shape {got.shape}: it has an extra size-1 axis",
                f"drop the extra axis: return shape {want.shape} (e.g. without keepdims=True, or with reshape)",
            )
        return None

    # one value per row where their mean (or sum) is the result
    if N and N > 1 and got.ndim >= 1 and got.shape[0] == N:
        reductions = (
            (np.mean, "missing_mean", "mean", "the mean over the batch", "average over the rows (axis 0)"),
            (np.sum, "wrong_axis", "sum", "the sum over axis 0", "add up the rows (a sum over axis 0)"),
        )  # fmt: skip
        for keep in (False, True):
            for reduce, mistake, kind, missing, fix in reductions:
                reduced = reduce(got, axis=0, keepdims=keep)
                if reduced.shape == want.shape and _close(reduced, want, None, tight):
                    return Diagnosis(
                        mistake,
                        f"the result{where} has one entry per row (shape {got.shape}) and their {kind} over the N = {N} rows is the correct value: {missing} is missing",
                        f"{fix} so the result has shape {want.shape}",
                    )

    # an argument reduced over the wrong axis
    params = contract.spec(case.function).params if case.function in contract.NAMES else ()
    for index, argument in enumerate(case.args):
        if not isinstance(argument, np.ndarray) or argument.dtype.kind != "f" or argument.size < 2:
            continue
        reductions = list(_reductions(argument))
        right = [(op, axis) for op, axis, keep, r in reductions if r.shape == want.shape and _close(r, want, None, tight)]
        if not right:
            continue
        name = params[index] if index < len(params) else f"argument {index + 1}"
        right_op, right_axis = right[0]
        wrong = []  # with a size-1 axis (N = 1) several reductions give the same values
        for op, axis, keep, candidate in reductions:
            if axis != right_axis and candidate.shape == got.shape and _significant(candidate, want) and _close(got, candidate, None, tight):
                text = f"the {op} of {name} over {_axis_text(axis, argument.shape, dims)}"
                if text not in wrong:
                    wrong.append(text)
        if wrong:
            return Diagnosis(
                "wrong_axis",
                f"the result{where} is {' or '.join(wrong)}; the {right_op} over {_axis_text(right_axis, argument.shape, dims)} is needed",
                f"reduce {name} over {_axis_text(right_axis, argument.shape, dims)} only, so the result has shape {want.shape}",
            )

    # the correct result reduced over an axis it must keep
    for op, axis, keep, candidate in _reductions(want, unit_axes=False):
        if candidate.shape == got.shape and _significant(candidate, want) and _close(got, candidate, None, tight):
            kept = _axis_text(axis, want.shape, dims)
            how = "summed" if op == "sum" else "averaged"
            return Diagnosis(
                "wrong_axis",
                f"the result{where} is the correct one {how} over {kept}, an axis the result keeps",
                _KEEP_ROWS_FIX.get(case.function) if axis == 0 and case.function in _KEEP_ROWS_FIX else f"remove the sum or mean over {kept}: the result has shape {want.shape}",
            )
    return None


def _from_unreduced(case, outcome, mode):
    """An array where one float is needed: one loss per row whose mean is the loss, or a loss
    reduced over one axis only (hidden grading, where the correct value is known)."""
    value = outcome.value
    if mode != "hidden" or case.expected is None or not isinstance(case.expect, Scalar):
        return None
    if not isinstance(value, np.ndarray) or value.size < 2:
        return None
    got = _float(value)
    want = _float(case.expected)
    if got is None or want is None or want.size != 1 or not np.any(want):
        return None

    def same(number):
        return gc.relative_error(np.array([number]), want.reshape(1)) <= MATCH

    N = _sizes(case).get("N")
    if N and N > 1 and got.shape in ((N,), (N, 1)) and same(got.mean()):
        return Diagnosis(
            "missing_mean",
            f"one value per row came back (shape {got.shape}): the mean of those N = {N} values is the result, and that mean is missing",
            "average the per-row values over the N rows and return that one number, e.g. float(np.mean(per_row))",
        )
    if "Y" in case.context and same(got.sum()):
        return Diagnosis(
            "wrong_axis",
            f"an array of shape {got.shape} came back whose entries add up to the correct loss: it was reduced over one axis only",
            "reduce over both axes so one float comes back: the loss sums over the classes and averages over the N rows",
        )
    return None


# --- nan and inf --------------------------------------------------------------------------


def _both_zero(case):
    if case.function != "relative_error":
        return False
    a, b = case.args
    return not np.any(a) and not np.any(b)


_ZERO_CASE = (
    "relative_error_zero_case",
    "both arrays are zero, so norm(a - b) / (norm(a) + norm(b)) divides 0 by 0",
    "return 0.0 when norm(a) + norm(b) == 0",
)


def _from_non_finite(case, leaves=None):
    if _both_zero(case):
        return Diagnosis(*_ZERO_CASE)
    if not case.context.get("extreme"):
        return None
    if case.function == "softmax":
        values = {p: v for p, _, v in leaves or ()}
        return Diagnosis("unstable_softmax", *_softmax_breakdown(case.context["Z"], values.get("")))
    if case.function in ("sigmoid", "d_sigmoid"):
        return Diagnosis(
            "unstable_sigmoid",
            "exp() of +-1000 overflows; exp(z) / (1 + exp(z)) then gives inf / inf = nan",
            "use 1 / (1 + exp(-z)) for z >= 0 and exp(z) / (1 + exp(z)) for z < 0, so exp never sees a large positive number",
        )
    return None


def _softmax_breakdown(Z, S):
    """(explanation, fix) for a softmax with nan rows, telling overflow (inf / inf) from
    underflow (0 / 0) by which entries of each bad row are not finite: 0 / 0 makes a whole
    row nan; inf / inf only the entries whose exp overflowed (the others become 0)."""
    over = under = unclear = False
    Z = np.asarray(Z, dtype=np.float64)
    S = np.asarray(S) if S is not None else None
    if S is None or S.shape != Z.shape or S.ndim != 2 or S.dtype.kind not in "fc":
        unclear = True
    else:
        for z, s in zip(Z, S):
            bad = ~np.isfinite(s)
            if not bad.any():
                continue
            if not bad.all() or z.min() > 700:
                over = True
            elif z.max() < -700:
                under = True
            else:
                unclear = True
    fix = "subtract each row's own maximum before exponentiating: Z - Z.max(axis=1, keepdims=True)"
    if under:
        fix += "; then every row has an exp(0) = 1, so its sum is at least 1 (the whole array's maximum does not do this)"
    if unclear or not (over or under):
        return "exp() of logits near +-1000 overflows to inf or underflows to 0, and inf / inf or 0 / 0 is nan", fix
    if over and under:
        return "exp() overflows to inf for logits near +1000 (inf / inf is nan), and in a row whose logits are all near -1000 every exp() underflows to 0 (0 / 0 is nan)", fix
    if under:
        return "in a row whose logits are all near -1000 every exp() underflows to 0, and 0 / 0 is nan", fix
    return "exp() of a logit near 1000 overflows to inf, and inf / inf is nan", fix


# --- inputs changed -----------------------------------------------------------------------


def _from_mutation(case, outcome):
    if case.function != "numerical_gradient":
        return Diagnosis(
            "input_mutation",
            "a graded function must not change its arguments: the caller still uses them",
            "work on a copy (x = x.copy()) or use out-of-place operations (a = a - b, not a -= b)",
        )
    before = case.args[1]
    after = outcome.args_after[1]
    counted = changed_entries(before, after)
    if counted is None:
        return None
    count, largest = counted
    eps = case.context["eps"]
    if largest <= 1e-10 * max(1.0, float(np.max(np.abs(before)))):
        how = f"{count} entries differ from the original in their last bits: adding and subtracting eps does not give back exactly the old value"
    elif abs(largest - eps) < 0.5 * eps or abs(largest - 2 * eps) < eps:
        how = f"{count} entries were left moved by about eps"
    else:
        how = f"{count} entries were left changed"
    return Diagnosis(
        "numerical_gradient_not_restored",
        how,
        "save the entry first (old = x[i]), set x[i] = old + eps and old - eps, then put it back with x[i] = old",
    )


# --- wrong values -------------------------------------------------------------------------


@contextlib.contextmanager
def _swapped(module, name, replacement):
    original = getattr(module, name)
    setattr(module, name, replacement)
    try:
        yield
    finally:
        setattr(module, name, original)


def _sigmoid_prime(Z):
    s = gc.logistic(Z)
    return s * (1.0 - s)


def _whole_variants(case, reference):
    """(mistake, explanation, fix, result) for whole functions, from the reference with one
    helper swapped for its mistaken version."""
    if reference is None or case.function not in ("backprop", "backward_n"):
        return []
    out = []
    swaps = [
        ("d_sigmoid", lambda Z: _sigmoid_prime(gc.logistic(Z)), "activation_for_preactivation",
         "sigmoid' was applied to an activation (sigmoid(Z)) instead of the pre-activation Z",
         "use d_sigmoid(Z) with the pre-activation Z (Z1 in the cache), not X2 / A"),
        ("d_sigmoid", lambda Z: np.ones_like(Z), "missing_derivative_factor",
         "the error passed down a layer is missing the sigmoid' factor",
         "multiply by d_sigmoid(Z) after the matrix product: dZ_prev = (dZ @ W.T) * d_sigmoid(Z_prev)"),
    ]  # fmt: skip
    for name, replacement, mistake, explanation, fix in swaps:
        if not hasattr(reference, name):
            continue
        try:
            with _swapped(reference, name, replacement):
                result = getattr(reference, case.function)(*[_copy(a) for a in case.args])
        except Exception:  # noqa: BLE001 - a variant that cannot be built is simply not tried
            continue
        out.append((mistake, explanation, fix, result))
    return out


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _specific_variants(case, path, expected, reference):
    """(mistake, explanation, fix, candidate) built for one function's known mistakes."""
    f = case.function
    args = case.args
    out = []
    if f == "d_sigmoid":
        Z = args[0]
        out.append(("activation_for_preactivation", "s(1 - s) was computed with Z itself in place of s = sigmoid(Z)", "compute s = sigmoid(Z) first, then return s * (1 - s)", Z * (1 - Z)))
        out.append(("activation_for_preactivation", "sigmoid was applied twice: d_sigmoid received Z but treated sigmoid(Z) as its input", "d_sigmoid(Z) = s * (1 - s) with s = sigmoid(Z), applied once", _sigmoid_prime(gc.logistic(Z))))
    if f == "dJ_dZ1":
        dX2, Z1 = args
        out.append(("missing_derivative_factor", "the result equals dX2: the sigmoid' factor is missing", "multiply by the sigmoid's derivative at Z1: dX2 * d_sigmoid(Z1)", dX2))
        out.append(("activation_for_preactivation", "sigmoid' was applied to an activation: d_sigmoid expects the pre-activation Z1", "use d_sigmoid(Z1), not d_sigmoid(sigmoid(Z1)) or d_sigmoid(X2)", dX2 * _sigmoid_prime(gc.logistic(Z1))))
        out.append(("activation_for_preactivation", "Z1 * (1 - Z1) treats the pre-activation as if it were sigmoid(Z1)", "use d_sigmoid(Z1) = s * (1 - s) with s = sigmoid(Z1)", dX2 * Z1 * (1 - Z1)))
    if f == "dJ_dZ2":
        Y_hat, Y = args
        out.append(("sign_flipped", "the result is Y - Y_hat: the sign is flipped", "dJ/dZ2 = (Y_hat - Y) / N", (Y - Y_hat) / Y.shape[0]))
    if f == "numerical_gradient":
        x, A, B, eps = case.context["x"], case.context["A"], case.context["B"], case.context["eps"]
        def test_f(v):
            return np.sin(3.0 * v) * A + 0.5 * v * v * B
        forward = (test_f(x + eps) - test_f(x)) / eps
        backward = (test_f(x) - test_f(x - eps)) / eps
        out.append(("numerical_gradient_forward_diff", "the result matches the one-sided difference (f(x + eps) - f(x)) / eps, whose error shrinks only like eps", "use the central difference (f(x + eps) - f(x - eps)) / (2 * eps)", forward))
        out.append(("numerical_gradient_forward_diff", "the result matches the one-sided difference (f(x) - f(x - eps)) / eps", "use the central difference (f(x + eps) - f(x - eps)) / (2 * eps)", backward))
        out.append(("numerical_gradient_forward_diff", "the result is twice the derivative: the difference was divided by eps, not 2 * eps", "divide f(x + eps) - f(x - eps) by 2 * eps", 2 * case.context["exact"]))
    if f == "update":
        params, grads, lr = args
        key = path[2:-2]
        if key in params:
            out.append(("sign_flipped", "the step went uphill: the gradient was added", "subtract: params[k] - learning_rate * grads[k]", params[key] + lr * grads[key]))
            out.append(("scaled_by_constant", "the learning rate was not applied", "scale the gradient: params[k] - learning_rate * grads[k]", params[key] - grads[key]))
    return out


def _relative_error_variants(case):
    a, b = (np.ravel(np.asarray(v, dtype=np.float64)) for v in case.args)
    na, nb, nd = np.linalg.norm(a), np.linalg.norm(b), np.linalg.norm(a - b)
    out = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for label, value in (
            ("norm(a)", nd / na), ("norm(b)", nd / nb), ("max(norm(a), norm(b))", nd / max(na, nb)),
            ("norm(a + b)", nd / np.linalg.norm(a + b)), ("norm(a) * norm(b)", nd / (na * nb)),
        ):  # fmt: skip
            out.append((label, float(value)))
    return out


def _from_values(case, leaves, expected, tight, mode, reference):
    if leaves is None:
        return None
    values = {p: np.asarray(v, dtype=np.float64) for p, _, v in leaves}
    f = case.function

    if f == "relative_error":
        got = float(values[""])
        want = case.context["exact"]
        for label, value in _relative_error_variants(case):
            if np.isfinite(value) and abs(value - got) <= 1e-9 * max(1.0, abs(got)) and abs(value - want) > 1e-6 * max(1.0, want):
                return Diagnosis(
                    "relative_error_wrong_denominator",
                    f"the result is norm(a - b) / {label}",
                    "divide by norm(a) + norm(b), the sum of both norms (and return 0.0 when both are zero)",
                )
        return None

    for mistake, explanation, fix, result in _whole_variants(case, reference):
        try:
            variant = {p: np.asarray(v, dtype=np.float64) for p, _, v in flatten(case.expect, result)}
        except Exception:  # noqa: BLE001
            continue
        if set(variant) != set(values) or not all(values[p].shape == variant[p].shape for p in values):
            continue
        same = all(gc.relative_error(values[p], variant[p]) <= tight for p in values)
        distinct = any(p in expected and gc.relative_error(variant[p], expected[p]) > DISTINCT for p in values)
        if same and distinct:
            return Diagnosis(mistake, explanation, fix)

    # Diagnose the first part of the result that is wrong, and only that part.
    for path, got in values.items():
        want = expected.get(path)
        if want is not None and gc.relative_error(got, want) <= tight:
            continue
        # one-sided differences differ from the exact gradient by about eps, far less than
        # the other mistakes, so they are told apart with a finer threshold
        distinct = 5 * tight if case.function == "numerical_gradient" else DISTINCT
        for mistake, explanation, fix, candidate in _specific_variants(case, path, want, reference):
            if _close(got, candidate, want, tight, distinct):
                return Diagnosis(mistake, explanation, fix)
        templates = {p: t for p, t, _ in leaves}
        if isinstance(templates.get(path), Arr) and templates[path].dtype != "float64":
            return None  # labels: none of the generic diagnoses below applies
        if want is None:
            return _zeros_against_differences(case, path, got)
        return _generic(case, path, got, want, tight)
    return None


# --- generic: values that a constant factor, a transpose or zeros explain -----------------


def _zeros_against_differences(case, path, got):
    """Public checks of a large gradient: no exact finite-difference value to compare with,
    but an all-zero result that finite differences contradict is all zeros all the same."""
    if got.size == 0 or np.any(got) or path not in case.fd:
        return None
    if not gc.compare(case.probes(path), got) > 0.5:
        return None
    return Diagnosis(*_all_zeros(_where(path)))


def _all_zeros(where):
    return (
        "all_zeros",
        f"every entry of the result{where} is 0, and the correct one is not",
        "check that the computed values reach the returned array: a result created with np.zeros and returned before it is filled, a loop that never runs, or a factor that is 0 (such as an integer division 1 // N)",
    )


def _factor_names(case):
    """(value, name) of the sizes a factor may be named after: N = 7, 1/C = 1/4, N/C = 7/4."""
    dims = {letter: size for letter, size in _sizes(case).items() if size > 1}
    names = []
    for letter, size in dims.items():
        names.append((float(size), f"{letter} = {size}"))
        names.append((1.0 / size, f"1/{letter} = 1/{size}"))
    for top, a in dims.items():
        for bottom, b in dims.items():
            if top != bottom and a != b:
                names.append((a / b, f"{top}/{bottom} = {a}/{b}"))
    return names


def _named(c, names):
    return [name for value, name in names if abs(c - value) <= 1e-5 * abs(value)]


LOSS_FUNCTIONS = ("cross_entropy", "cost_n")


def _generic(case, path, got, want, tight):
    where = _where(path)
    N = case.dims.get("N")
    if got.size and not np.any(got) and np.any(want):
        return Diagnosis(*_all_zeros(where))
    if got.ndim == 2 and got.shape == want.shape and got.shape[0] == got.shape[1]:
        if _close(got, want.T, want, tight):
            return Diagnosis("transposed", f"the result{where} is the transpose of the correct one", f"check which operand takes .T. {SHAPE_RECIPES.get(case.function, '')}".strip())
    if N and N > 1:
        if _close(got, want * N, want, tight):
            return Diagnosis("missing_mean", f"the result{where} is N = {N} times too large: the mean over the batch is missing", _mean_fix(case.function, "missing"))
        if _close(got, want / N, want, tight):
            return Diagnosis("sum_vs_mean", f"the result{where} is N = {N} times too small: a mean was taken where a sum is needed", _mean_fix(case.function, "extra"))
    if _close(got, -want, want, tight):
        return Diagnosis("sign_flipped", f"the result{where} has the right size but the opposite sign", "check the order of a subtraction (Y_hat - Y, not Y - Y_hat) and the minus sign of the loss")
    # A single number is always some constant times another, so for small results only
    # constants with a known cause count; larger ones also get any factor, printed.
    for c, cause in ((1 / np.log(10), "np.log10 was used where the natural log np.log is needed"),
                     (1 / np.log(2), "np.log2 was used where the natural log np.log is needed")):  # fmt: skip
        if _close(got, c * want, want, tight):
            return Diagnosis("scaled_by_constant", f"{cause}{where}", "use the natural logarithm np.log")
    denominator = float(np.sum(want * want))
    if not denominator > 0:
        return None
    c = float(np.sum(got * want) / denominator)
    if not (abs(c) > 1e-12 and abs(c - 1) > 1e-3 and _close(got, c * want, want, tight)):
        return None
    sizes = _factor_names(case)
    names = _named(c, [(2.0, "2"), (0.5, "1/2")] + sizes)
    C = _sizes(case).get("C")
    if case.function in LOSS_FUNCTIONS and C and C > 1 and _named(c, [(1.0 / C, "1/C")]):
        return Diagnosis(
            "scaled_by_constant",
            f"the loss is the correct one divided by C = {C}: it was averaged over the C classes too (np.mean of the (N, C) array divides by N * C)",
            "sum over the classes and divide by N only: -np.sum(Y * np.log(Y_hat)) / N",
        )
    if names:
        return Diagnosis("scaled_by_constant", f"the result{where} is {c:.4g} times the correct one: a factor {' or '.join(names)}?", "look for that stray factor: a division or multiplication by the wrong size, an extra 2 or 1/2")
    if want.size >= 3:
        return Diagnosis("scaled_by_constant", f"the result{where} is {c:.4g} times the correct one", "look for a stray constant factor (a learning rate, an extra division or multiplication)")
    return None


def _mean_fix(function, kind):
    if kind == "missing":
        if function in ("cross_entropy", "cost_n"):
            return "divide the summed loss by N (the number of rows): J is a mean"
        if function == "dJ_dZ2":
            return "divide by N: dJ/dZ2 = (Y_hat - Y) / N, where N = Y.shape[0]"
        return "J is a mean over the N rows: the 1/N belongs in dZ = (Y_hat - Y) / N, exactly once"
    if function in ("dJ_db1", "dJ_db2"):
        return "sum over the rows (np.sum(dZ, axis=0, keepdims=True)); dZ already carries the 1/N"
    return "the 1/N of the mean appears once, in dJ_dZ2; the later steps apply the chain rule to dZ as given"


# --- properties ---------------------------------------------------------------------------


def _from_properties(case, leaves, expected, tight):
    values = {p: np.asarray(v, dtype=np.float64) for p, _, v in leaves} if leaves else {}
    f = case.function
    if f in ("softmax", "forward"):
        S = values.get("" if f == "softmax" else "Y_hat")
        if S is not None and S.ndim == 2:
            rows_ok = np.allclose(S.sum(axis=1), 1.0, atol=1e-9)
            if not rows_ok and np.allclose(S.sum(axis=0), 1.0, atol=1e-9):
                return Diagnosis("softmax_wrong_axis", "each column sums to 1: softmax was normalised over axis 0", "normalise each row: exps / exps.sum(axis=1, keepdims=True)")
            if not rows_ok and abs(S.sum() - 1.0) < 1e-9:
                return Diagnosis("softmax_wrong_axis", "the whole array sums to 1: softmax was normalised over all entries at once", "normalise each row: exps / exps.sum(axis=1, keepdims=True)")
    if f == "softmax_jacobian":
        J = values.get("")
        if J is not None and J.ndim == 2 and J.shape[0] == J.shape[1]:
            off = J - np.diag(np.diag(J))
            s = gc.softmax(case.args[0][None])[0]
            if np.all(off == 0) and np.allclose(np.diag(J), s * (1 - s), rtol=1e-6, atol=1e-12):
                return Diagnosis("jacobian_diagonal_only", "only the diagonal s_i(1 - s_i) is filled in; the off-diagonal entries -s_i s_j are missing", "every output depends on every logit: J = np.diag(s) - np.outer(s, s)")
    if f == "initialize_parameters":
        return _init_mistake(case, values)
    if _both_zero(case) and np.any(values.get("", 0.0)):  # 0.0 is the right answer there
        return Diagnosis(*_ZERO_CASE)
    return None


def _init_mistake(case, values):
    sizes, seed = case.context["sizes"], case.context["seed"]
    rng = np.random.default_rng(seed)
    draws = [rng.standard_normal((sizes[i - 1], sizes[i])) for i in range(1, len(sizes))]
    got = [values.get(f"['W{i}']") for i in range(1, len(sizes))]
    if any(g is None for g in got):
        return None
    ratios = []
    for g, d in zip(got, draws):
        c = float(np.sum(g * d) / np.sum(d * d))
        ratios.append(c if gc.relative_error(g, c * d) < 1e-9 else None)
    if all(r is not None for r in ratios):
        n_in = sizes[:-1]
        if all(abs(r - 1.0) < 1e-9 for r in ratios):
            hint = "the weights were not divided by sqrt(n_in)"
        elif all(abs(r * n - 1.0) < 1e-9 for r, n in zip(ratios, n_in)):
            hint = "the weights were divided by n_in instead of sqrt(n_in)"
        elif all(abs(r * np.sqrt(n) - 1.0) < 1e-9 for r, n in zip(ratios, n_in)):
            return None  # correct scale: not this mistake
        else:
            hint = "the weights are the right draws at the wrong scale"
        return Diagnosis("init_wrong_scale", hint, "divide each standard-normal draw by sqrt(n_in), the number of inputs to the layer")
    variants = []
    per_layer = [np.random.default_rng(seed).standard_normal((sizes[i - 1], sizes[i])) / np.sqrt(sizes[i - 1]) for i in range(1, len(sizes))]
    variants.append(("a new default_rng(seed) was created for every layer", per_layer))
    legacy = np.random.RandomState(seed)
    variants.append(("the legacy np.random.seed / np.random.randn generator was used", [legacy.standard_normal((sizes[i - 1], sizes[i])) / np.sqrt(sizes[i - 1]) for i in range(1, len(sizes))]))
    rng = np.random.default_rng(seed)
    flipped = [rng.standard_normal((sizes[i], sizes[i - 1])).T / np.sqrt(sizes[i - 1]) for i in range(1, len(sizes))]
    variants.append(("each draw was made with shape (n_out, n_in) and transposed", flipped))
    for explanation, candidate in variants:
        if all(gc.relative_error(g, c) < 1e-9 for g, c in zip(got, candidate)):
            return Diagnosis("init_wrong_rng", explanation, "create rng = np.random.default_rng(seed) once, then draw rng.standard_normal((n_in, n_out)) for W1, W2, ... in order")
    spreads = [float(np.std(g) * np.sqrt(n)) for g, n in zip(got, sizes[:-1])]
    if all(0.7 < s < 1.4 for s in spreads):
        return Diagnosis("init_wrong_rng", "the weights have the right scale but are not the contract's random draws", "create rng = np.random.default_rng(seed) once, then draw rng.standard_normal((n_in, n_out)) for W1, W2, ... in order; draw nothing for the biases")
    return None
