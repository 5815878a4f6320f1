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
"""

import contextlib
from dataclasses import dataclass

import numpy as np

from . import gradcheck as gc
from .checks import changed_entries
from .structure import Arr, flatten

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
    if gc.relative_error(got, candidate) > tight:
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
        return None  # the type check already names returns_list / returns_none
    if first.check == "shape":
        return _from_shape(case, leaves)
    if first.check == "dtype":
        return None  # already tagged wrong_dtype with its fix
    if first.check == "finite":
        return _from_non_finite(case)
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


def _from_shape(case, leaves):
    for path, template, value in leaves:
        if not isinstance(template, Arr) or value.shape == tuple(template.shape):
            continue
        want, got = tuple(template.shape), value.shape
        N = case.dims.get("N")
        bias_key = case.function in BIAS_FUNCTIONS or path.startswith("['b") or "['b" in path
        if len(want) == 2 and want[0] == 1 and got == (want[1],):
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
        if len(want) == 2 and got == want[::-1] and want[0] != want[1]:
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


def _from_non_finite(case):
    if _both_zero(case):
        return Diagnosis(*_ZERO_CASE)
    if not case.context.get("extreme"):
        return None
    if case.function == "softmax":
        return Diagnosis(
            "unstable_softmax",
            "exp() of a logit near 1000 overflows to inf, and inf / inf is nan",
            "subtract each row's maximum before exponentiating: Z - Z.max(axis=1, keepdims=True)",
        )
    if case.function in ("sigmoid", "d_sigmoid"):
        return Diagnosis(
            "unstable_sigmoid",
            "exp() of +-1000 overflows; exp(z) / (1 + exp(z)) then gives inf / inf = nan",
            "use 1 / (1 + exp(-z)) for z >= 0 and exp(z) / (1 + exp(z)) for z < 0, so exp never sees a large positive number",
        )
    return None


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
        if want is None:
            return None
        return _generic(case, path, got, want, tight)
    return None


def _generic(case, path, got, want, tight):
    where = "" if not path else f" ({'result' + path if path.startswith('[') else path})"
    N = case.dims.get("N")
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
    # constants with a known cause count.
    for c, cause in ((1 / np.log(10), "np.log10 was used where the natural log np.log is needed"),
                     (1 / np.log(2), "np.log2 was used where the natural log np.log is needed"),
                     (2.0, "the result is twice the correct one"), (0.5, "the result is half the correct one")):  # fmt: skip
        if _close(got, c * want, want, tight):
            return Diagnosis("scaled_by_constant", f"{cause}{where}", "look for a stray constant factor (a 2 or 1/2, the base of a logarithm)")
    denominator = float(np.sum(want * want))
    if denominator > 0 and want.size >= 3:
        c = float(np.sum(got * want) / denominator)
        if abs(c) > 1e-12 and abs(c - 1) > 1e-3 and _close(got, c * want, want, tight):
            return Diagnosis("scaled_by_constant", f"the result{where} is the correct one times {c:.4g}", "look for a stray constant factor (a 2 or 1/2, a learning rate, an extra division)")
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
    if _both_zero(case):
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
