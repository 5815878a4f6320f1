"""The backprop homework's known mistakes and the wording of its generic diagnoses.

Instructor-only material: the explanations and fixes state the homework's formulas; the
public checks (and hidden grading with ``[feedback] hidden = "hint"``) say a mistake's
``hint`` and the ``hint_shape`` / ``hint_fixes`` lines instead, which name what is wrong and
the rule to revisit without the finished backward formula (tests/test_hints.py). Each
function's mistakes are tried in the order listed, at their stage, before the engine's
generic diagnoses of that stage (autograder/mistakes.py, autograder/diagnosis.py).
Mistakes rebuilt by swapping a helper of the reference (``swap``) run in hidden grading only;
the other ones run in the public checks too.
"""

import numpy as np

from autograder import gradcheck as gc
from autograder.checks import changed_entries
from autograder.spec import Hints, Mistake

from .spec import logistic, softmax


def _sigmoid_prime(Z):
    s = logistic(Z)
    return s * (1.0 - s)


# --- nan and inf --------------------------------------------------------------------------


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


def _unstable_softmax(case, found):
    if not case.extreme:
        return None
    return _softmax_breakdown(case.args[0], found.values.get(""))


UNSTABLE_SIGMOID = Mistake(
    "unstable_sigmoid",
    stage="non_finite",
    test=lambda case, found: case.extreme,
    explain="exp() of +-1000 overflows; exp(z) / (1 + exp(z)) then gives inf / inf = nan",
    fix="use 1 / (1 + exp(-z)) for z >= 0 and exp(z) / (1 + exp(z)) for z < 0, so exp never sees a large positive number",
)


# --- structure of the value ---------------------------------------------------------------


def _columns_sum_to_one(path):
    def test(case, found):
        S = found.values.get(path)
        if S is None or S.ndim != 2:
            return None
        rows_ok = np.allclose(S.sum(axis=1), 1.0, atol=1e-9)
        return not rows_ok and np.allclose(S.sum(axis=0), 1.0, atol=1e-9)

    return test


def _whole_array_sums_to_one(path):
    def test(case, found):
        S = found.values.get(path)
        if S is None or S.ndim != 2:
            return None
        rows_ok = np.allclose(S.sum(axis=1), 1.0, atol=1e-9)
        return not rows_ok and abs(S.sum() - 1.0) < 1e-9

    return test


def _softmax_wrong_axis(path):
    return [
        Mistake("softmax_wrong_axis", stage="structure", test=_columns_sum_to_one(path),
                explain="each column sums to 1: softmax was normalised over axis 0",
                fix="normalise each row: exps / exps.sum(axis=1, keepdims=True)"),
        Mistake("softmax_wrong_axis", stage="structure", test=_whole_array_sums_to_one(path),
                explain="the whole array sums to 1: softmax was normalised over all entries at once",
                fix="normalise each row: exps / exps.sum(axis=1, keepdims=True)"),
    ]  # fmt: skip


def _jacobian_diagonal_only(case, found):
    J = found.values.get("")
    if J is None or J.ndim != 2 or J.shape[0] != J.shape[1]:
        return None
    off = J - np.diag(np.diag(J))
    return np.all(off == 0) and np.allclose(np.diag(J), _softmax_diagonal(case.args[0]), rtol=1e-6, atol=1e-12)


def _softmax_diagonal(z):
    """d s_i / d z_i of softmax at the logit vector z, by complex-step differentiation of the
    forward softmax (exact to rounding, no cancellation): the public copy of this file, which
    students can read, states no Jacobian formula (issue 16)."""
    z = np.asarray(z, dtype=np.float64)
    h = 1e-30
    return np.diag(softmax(z[None] + 1j * h * np.eye(z.size)).imag) / h


def _jacobian_diagonal_text(case, found):
    if found.wording == "hint":
        return "only the diagonal is filled in; the off-diagonal entries (i != j) are missing, though every s_i depends on every z_j"
    return "only the diagonal s_i(1 - s_i) is filled in; the off-diagonal entries -s_i s_j are missing"


def _init_mistake(case, values):
    """("scale" | "rng" | "spread", explanation) of initialize_parameters' weights, or None."""
    sizes = case.args[0]
    seed = case.args[1] if len(case.args) > 1 and case.args[1] is not None else 1
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
        return "scale", hint
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
            return "rng", explanation
    spreads = [float(np.std(g) * np.sqrt(n)) for g, n in zip(got, sizes[:-1])]
    if all(0.7 < s < 1.4 for s in spreads):
        return "spread", "the weights have the right scale but are not the contract's random draws"
    return None


def _init(kind):
    def test(case, found):
        said = _init_mistake(case, found.values)
        return said[1] if said and said[0] == kind else None

    return test


# --- relative_error -----------------------------------------------------------------------


def _both_zero(case):
    a, b = case.args
    return not np.any(a) and not np.any(b)


_ZERO_CASE = dict(
    explain="both arrays are zero, so norm(a - b) / (norm(a) + norm(b)) divides 0 by 0",
    fix="return 0.0 when norm(a) + norm(b) == 0",
)


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


def _wrong_denominator(case, found):
    got = float(found.values[""])
    want = gc.relative_error(*case.args)
    for label, value in _relative_error_variants(case):
        if np.isfinite(value) and abs(value - got) <= 1e-9 * max(1.0, abs(got)) and abs(value - want) > 1e-6 * max(1.0, want):
            return f"the result is norm(a - b) / {label}"
    return None


# --- numerical_gradient -------------------------------------------------------------------


def _test_f(case, v):
    o = case.oracle
    return np.sin(3.0 * v) * o.A + 0.5 * v * v * o.B


def _forward_difference(case, f, x, eps=None):
    eps = case.oracle.eps
    return (_test_f(case, x + eps) - _test_f(case, x)) / eps


def _backward_difference(case, f, x, eps=None):
    eps = case.oracle.eps
    return (_test_f(case, x) - _test_f(case, x - eps)) / eps


def _twice_the_derivative(case, f, x, eps=None):
    return 2 * case.oracle.gradient()


def _not_restored(case, found):
    before = case.args[1]
    after = found.outcome.args_after[1]
    counted = changed_entries(before, after)
    if counted is None:
        return None
    count, largest = counted
    eps = case.oracle.eps
    if largest <= 1e-10 * max(1.0, float(np.max(np.abs(before)))):
        how = f"{count} entries differ from the original in their last bits: adding and subtracting eps does not give back exactly the old value"
    elif abs(largest - eps) < 0.5 * eps or abs(largest - 2 * eps) < eps:
        how = f"{count} entries were left moved by about eps"
    else:
        how = f"{count} entries were left changed"
    return how


# one-sided differences differ from the exact gradient by about eps, far less than the other
# mistakes, so they are told apart with a finer threshold (5 times the hidden match)
_ONE_SIDED = 5e-6

# --- the table ----------------------------------------------------------------------------

# the reference run with d_sigmoid done wrong (hidden grading only)
_SWAPS = [
    Mistake("activation_for_preactivation", swap={"d_sigmoid": lambda Z: _sigmoid_prime(logistic(Z))},
            explain="sigmoid' was applied to an activation (sigmoid(Z)) instead of the pre-activation Z",
            fix="use d_sigmoid(Z) with the pre-activation Z (Z1 in the cache), not X2 / A"),
    Mistake("missing_derivative_factor", swap={"d_sigmoid": lambda Z: np.ones_like(Z)},
            explain="the error passed down a layer is missing the sigmoid' factor",
            fix="multiply by d_sigmoid(Z) after the matrix product: dZ_prev = (dZ @ W.T) * d_sigmoid(Z_prev)",
            hint="the error passed down a layer goes through that layer's sigmoid: the chain rule needs the sigmoid's derivative at the layer's pre-activation"),
]  # fmt: skip


MISTAKES = {
    "sigmoid": [UNSTABLE_SIGMOID],
    "d_sigmoid": [
        UNSTABLE_SIGMOID,
        Mistake("activation_for_preactivation", impl=lambda Z: Z * (1 - Z),
                explain="s(1 - s) was computed with Z itself in place of s = sigmoid(Z)",
                fix="compute s = sigmoid(Z) first, then return s * (1 - s)",
                hint="Z is the pre-activation, not sigmoid(Z): compute the sigmoid of Z first and write the derivative through it"),
        Mistake("activation_for_preactivation", impl=lambda Z: _sigmoid_prime(logistic(Z)),
                explain="sigmoid was applied twice: d_sigmoid received Z but treated sigmoid(Z) as its input",
                fix="d_sigmoid(Z) = s * (1 - s) with s = sigmoid(Z), applied once",
                hint="apply the sigmoid once: Z is the pre-activation, and the derivative is written through sigmoid(Z)"),
    ],
    "softmax": [
        *_softmax_wrong_axis(""),
        Mistake("unstable_softmax", stage="non_finite", test=_unstable_softmax),
    ],
    "softmax_jacobian": [
        Mistake("jacobian_diagonal_only", stage="structure", test=_jacobian_diagonal_only,
                explain=_jacobian_diagonal_text,
                fix="every output depends on every logit: J = np.diag(s) - np.outer(s, s)",
                hint="every output s_i depends on every logit z_j: work out d s_i / d z_j for i != j too (the quotient rule on exp(z_i) / sum_k exp(z_k))"),
    ],
    "forward": _softmax_wrong_axis("Y_hat"),
    "dJ_dZ2": [
        Mistake("sign_flipped", impl=lambda Y_hat, Y: (Y - Y_hat) / Y.shape[0],
                explain="the result is Y - Y_hat: the sign is flipped", fix="dJ/dZ2 = (Y_hat - Y) / N",
                hint="the sign is opposite: revisit the derivative of the loss's -log through the softmax, and which way round its subtraction goes"),
    ],
    "dJ_dZ1": [
        Mistake("missing_derivative_factor", impl=lambda dX2, Z1: dX2,
                explain="the result equals dX2: the sigmoid' factor is missing",
                fix="multiply by the sigmoid's derivative at Z1: dX2 * d_sigmoid(Z1)",
                hint="Z1 passes through the sigmoid on its way to X2: the chain rule needs the sigmoid's derivative at Z1 (your d_sigmoid)"),
        Mistake("activation_for_preactivation", impl=lambda dX2, Z1: dX2 * _sigmoid_prime(logistic(Z1)),
                explain="sigmoid' was applied to an activation: d_sigmoid expects the pre-activation Z1",
                fix="use d_sigmoid(Z1), not d_sigmoid(sigmoid(Z1)) or d_sigmoid(X2)"),
        Mistake("activation_for_preactivation", impl=lambda dX2, Z1: dX2 * Z1 * (1 - Z1),
                explain="Z1 * (1 - Z1) treats the pre-activation as if it were sigmoid(Z1)",
                fix="use d_sigmoid(Z1) = s * (1 - s) with s = sigmoid(Z1)",
                hint="Z1 is the pre-activation, not sigmoid(Z1): evaluate the derivative with your d_sigmoid, which takes Z"),
    ],
    "backprop": [
        *_SWAPS,
        Mistake("wrong_upstream_gradient", stage="shape",
                test=lambda case, found: found.path == "['W1']" and "C" in case.dims and found.shape == (case.dims["D"], case.dims["C"]),
                explain="W1's gradient has shape (D, C): it was built from dJ_dZ2 (N, C)",
                fix="the chain rule for W1 needs dZ1: dW1 = X.T @ dJ_dZ1, with dZ1 = dJ_dZ1(dJ_dX2(dZ2, W2), Z1)",
                hint="W1 acts on the hidden layer: its gradient needs the error at Z1, passed down from dZ2 through W2 and the sigmoid, not dZ2 itself"),
    ],
    "backward_n": _SWAPS,
    "numerical_gradient": [
        Mistake("numerical_gradient_not_restored", stage="mutation", test=_not_restored,
                fix="save the entry first (old = x[i]), set x[i] = old + eps and old - eps, then put it back with x[i] = old"),
        Mistake("numerical_gradient_forward_diff", impl=_forward_difference, distinct=_ONE_SIDED,
                explain="the result matches the one-sided difference (f(x + eps) - f(x)) / eps, whose error shrinks only like eps",
                fix="use the central difference (f(x + eps) - f(x - eps)) / (2 * eps)"),
        Mistake("numerical_gradient_forward_diff", impl=_backward_difference, distinct=_ONE_SIDED,
                explain="the result matches the one-sided difference (f(x) - f(x - eps)) / eps",
                fix="use the central difference (f(x + eps) - f(x - eps)) / (2 * eps)"),
        Mistake("numerical_gradient_forward_diff", impl=_twice_the_derivative, distinct=_ONE_SIDED,
                explain="the result is twice the derivative: the difference was divided by eps, not 2 * eps",
                fix="divide f(x + eps) - f(x - eps) by 2 * eps"),
    ],
    "relative_error": [
        Mistake("relative_error_zero_case", stage="exception",
                test=lambda case, found: (found.outcome.exception or {}).get("type") == "ZeroDivisionError" and _both_zero(case), **_ZERO_CASE),
        Mistake("relative_error_zero_case", stage="non_finite", test=lambda case, found: _both_zero(case), **_ZERO_CASE),
        Mistake("relative_error_zero_case", stage="structure",  # 0.0 is the right answer there
                test=lambda case, found: _both_zero(case) and np.any(found.values.get("", 0.0)), **_ZERO_CASE),
        Mistake("relative_error_wrong_denominator", test=_wrong_denominator,
                fix="divide by norm(a) + norm(b), the sum of both norms (and return 0.0 when both are zero)"),
    ],
    "initialize_parameters": [
        Mistake("init_wrong_scale", stage="structure", test=_init("scale"),
                fix="divide each standard-normal draw by sqrt(n_in), the number of inputs to the layer"),
        Mistake("init_wrong_rng", stage="structure", test=_init("rng"),
                fix="create rng = np.random.default_rng(seed) once, then draw rng.standard_normal((n_in, n_out)) for W1, W2, ... in order"),
        Mistake("init_wrong_rng", stage="structure", test=_init("spread"),
                fix="create rng = np.random.default_rng(seed) once, then draw rng.standard_normal((n_in, n_out)) for W1, W2, ... in order; draw nothing for the biases"),
    ],
    "update": [
        Mistake("sign_flipped", impl=lambda params, grads, learning_rate: {k: params[k] + learning_rate * grads[k] for k in params},
                explain="the step went uphill: the gradient was added", fix="subtract: params[k] - learning_rate * grads[k]"),
        Mistake("scaled_by_constant", impl=lambda params, grads, learning_rate: {k: params[k] - grads[k] for k in params},
                explain="the learning rate was not applied", fix="scale the gradient: params[k] - learning_rate * grads[k]"),
    ],
    "predict": [
        Mistake("predict_column", stage="shape", test=lambda case, found: found.shape == (found.want[0], 1),
                explain="the labels came back as an (N, 1) column", fix="return a flat (N,) array, e.g. labels[:, 0] or labels.ravel()"),
    ],
}

_MATMUL = "the forward pass multiplies (N, n_in) activations by (n_in, n_out) weights"
_LOSS_MEAN = "divide the summed loss by N (the number of rows): J is a mean"
_BIAS_SUM = "sum over the rows (np.sum(dZ, axis=0, keepdims=True)); dZ already carries the 1/N"
_BIAS_SUM_HINT = "the result is N times too small: dZ already carries the 1/N of the mean, so nothing divides again; revisit how a bias shared by every row collects their gradients"

HINTS = {
    "*": Hints(fixes={
        "missing_mean": "J is a mean over the N rows: the 1/N belongs in dZ = (Y_hat - Y) / N, exactly once",
        "sum_vs_mean": "the 1/N of the mean appears once, in dJ_dZ2; the later steps apply the chain rule to dZ as given",
        "sign_flipped": "check the order of a subtraction (Y_hat - Y, not Y - Y_hat) and the minus sign of the loss",
        "loss_over_classes": "sum over the classes and divide by N only: -np.sum(Y * np.log(Y_hat)) / N",
        "wrong_axis_loss": "reduce over both axes so one float comes back: the loss sums over the classes and averages over the N rows",
    }, hint_fixes={
        "missing_mean": "J is a mean over the N rows: its 1/N enters the backward pass exactly once, in the output layer's error; revisit where that factor goes",
        "sign_flipped": "the sign is opposite: revisit the order of the subtraction in the output error and the minus sign of the loss",
    }),
    "cross_entropy": Hints(fixes={"missing_mean": _LOSS_MEAN}),
    "cost_n": Hints(fixes={"missing_mean": _LOSS_MEAN}),
    "forward": Hints(shape="Z1 = X @ W1 + b1 multiplies X (N, D) by W1 (D, H); Z2 = X2 @ W2 + b2 multiplies X2 (N, H) by W2 (H, C)"),
    "dJ_dZ2": Hints(fixes={
        "missing_mean": "divide by N: dJ/dZ2 = (Y_hat - Y) / N, where N = Y.shape[0]",
        "wrong_axis_rows": "keep one row per example: dJ/dZ2 = (Y_hat - Y) / N has shape (N, C); the mean over the batch is the division by N, not a mean over axis 0",
    }, hint_fixes={
        "missing_mean": "the result is N times too large: J averages the N rows' losses, so every row's error carries the mean's 1/N (N = Y.shape[0])",
        "wrong_axis_rows": "keep one row per example: the result has shape (N, C); the mean over the batch shows up as a factor 1/N, not as a mean over axis 0",
    }),
    "dJ_dW2": Hints(shape="X2 is (N, H) and dZ2 is (N, C): the (H, C) gradient is X2.T @ dZ2",
                    hint_shape="X2 is (N, H), dZ2 is (N, C) and the gradient is (H, C): write dJ/dW2[i, j] as a sum over the examples n, then as one matrix product whose shapes line up"),
    "dJ_db2": Hints(fixes={"sum_vs_mean": _BIAS_SUM}, hint_fixes={"sum_vs_mean": _BIAS_SUM_HINT}),
    "dJ_dX2": Hints(shape="dZ2 is (N, C) and W2 is (H, C): the (N, H) gradient is dZ2 @ W2.T",
                    hint_shape="dZ2 is (N, C), W2 is (H, C) and the gradient is (N, H): write dJ/dX2[n, i] as a sum over the classes j, then as one matrix product whose shapes line up"),
    "dJ_dW1": Hints(shape="X is (N, D) and dZ1 is (N, H): the (D, H) gradient is X.T @ dZ1",
                    hint_shape="X is (N, D), dZ1 is (N, H) and the gradient is (D, H): the same rule as dJ_dW2, one layer down"),
    "dJ_db1": Hints(fixes={"sum_vs_mean": _BIAS_SUM}, hint_fixes={"sum_vs_mean": _BIAS_SUM_HINT}),
    "backprop": Hints(shape="dW2 = X2.T @ dZ2 (H, C), dX2 = dZ2 @ W2.T (N, H), dW1 = X.T @ dZ1 (D, H)",
                      hint_shape="each weight gradient has its weight's shape (dW2: (H, C), dW1: (D, H)) and dX2 is (N, H): build each product from the shapes, as in dJ_dW2, dJ_dX2 and dJ_dW1"),
    "gradient_check": Hints(shape="backprop and forward multiply (N, n_in) by (n_in, n_out)"),
    "forward_n": Hints(shape="each layer computes A_prev @ W + b with A_prev (N, n_in) and W (n_in, n_out)"),
    "backward_n": Hints(shape="dW_l = A_{l-1}.T @ dZ_l and dZ_{l-1} = (dZ_l @ W_l.T) * sigmoid'(Z_{l-1})",
                        hint_shape="each dW_l has W_l's shape (n_in, n_out) and the error passed down has the shape (N, n_in) of the layer's input: the same steps as dJ_dW2, dJ_dX2 and dJ_dZ1, layer by layer"),
    "fit": Hints(shape=_MATMUL),
    "predict": Hints(shape=_MATMUL),
}
