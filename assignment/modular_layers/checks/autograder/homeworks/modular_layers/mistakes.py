"""The modular_layers homework's known mistakes and the wording of its generic diagnoses.

Instructor-only material: the wrong implementations below are written out in full, and the
explanations and fixes state the homework's formulas; the public checks say a mistake's
``hint`` and the ``hint_shape`` / ``hint_fixes`` lines instead (what is wrong, which rule to
revisit, no finished backward formula). Each function's mistakes are tried in
the order listed, at their stage, before the engine's generic diagnoses of that stage (which
already name a transposed result, a missing 1/N, a flipped sign, a bias gradient not summed
or without keepdims, `*` where `@` is needed, a changed input, all zeros...). Mistakes
rebuilt by swapping a helper of the reference (``swap``) run in hidden grading only.
"""

import numpy as np

from autograder.mistakes import close
from autograder.spec import Hints, Mistake
from autograder.structure import flatten

from .spec import he_draws, log_softmax, logistic, mean_logistic_ce, mean_softmax_ce

# --- helpers the wrong implementations share --------------------------------------------------


def _extreme(case, found):
    return case.extreme


def _part_of(impl, path):
    """A value-stage test: the submission's result at ``path`` equals ``impl``'s there (run on
    copies of the arguments), and that is not the correct value. Unlike a plain ``impl``
    (matched at the first part with no known correct value, in the public checks the first
    part of a tuple), it looks at the part the mistake is in, whatever comes before it."""

    def test(case, found):
        got = found.values.get(path)
        if got is None:
            return None
        try:
            result = impl(*[a.copy() if isinstance(a, np.ndarray) else a for a in case.args])
            candidate = {p: v for p, _, v in flatten(case.expect, result)}.get(path)
        except Exception:  # noqa: BLE001 - a variant that cannot be built is not this mistake
            return None
        if candidate is None:
            return None
        return close(got, np.asarray(candidate, dtype=np.float64), found.expected.get(path), found.tight)

    return test


def _loss_times_n(definition):
    """A value-stage test: the loss part is N times the mean loss (a sum over the rows)."""

    def test(case, found):
        got = found.values.get("loss")
        N = case.args[0].shape[0]
        if got is None or N < 2:
            return None
        want = definition(*case.args)
        return close(got, N * want, want, found.tight)

    return test


def _times_n(prefix):
    """A value-stage test: every part whose path starts with ``prefix`` and whose correct value
    is known is N times that value (the 1/N of the mean is missing). It looks past a correct
    loss part, which the public checks cannot compare."""

    def test(case, found):
        N = case.dims.get("N", 0)
        paths = [p for p in found.values if p.startswith(prefix) and p in found.expected]
        if N < 2 or not paths:
            return None
        return all(close(found.values[p], N * found.expected[p], found.expected[p], found.tight) for p in paths)

    return test


def _scores_and_labels(case):
    """The shapes (N, C) and (N,) of softmax_loss's arguments, in both orders."""
    scores_shape, labels_shape = str(np.shape(case.args[0])), str(np.shape(case.args[1]))
    return [(scores_shape, labels_shape), (labels_shape, scores_shape)]


def _softmax_parts(scores, y):
    N = scores.shape[0]
    log_probs = log_softmax(scores)
    return float(-np.mean(log_probs[np.arange(N), y])), np.exp(log_probs), N


def _broadcast_error(shape_pairs):
    """An exception test: numpy could not broadcast one of the pairs of shapes
    ``shape_pairs(case)`` together."""

    def test(case, found):
        exception = (found.outcome.exception if found.outcome is not None else None) or {}
        message = exception.get("message", "").replace(" ", "")
        if exception.get("type") != "ValueError" or "broadcast" not in message:
            return False
        return any(f"{a}{b}".replace(" ", "") in message for a, b in shape_pairs(case))

    return test


# --- Part 1: layers -----------------------------------------------------------------------------


def sigmoid_cache_is_input(Z):
    S = logistic(np.asarray(Z, dtype=np.float64))
    return S, Z


def sigmoid_backward_reapplied(dout, cache):
    S = logistic(cache)  # the cache is S already: this takes the sigmoid twice
    return dout * S * (1.0 - S)


def sigmoid_backward_no_upstream(dout, cache):
    return cache * (1.0 - cache)


def relu_cache_is_output(Z):
    A = np.maximum(Z, 0.0)
    return A, A


def relu_mask_from_dout(dout, cache):
    return dout * (dout > 0)


def relu_ge_at_zero(dout, cache):
    return dout * (cache >= 0)


def relu_mask_on_cache(dout, cache):
    return np.maximum(cache, 0.0)


# --- Part 2: losses -----------------------------------------------------------------------------


def softmax_label_not_subtracted(scores, y):
    loss, probs, N = _softmax_parts(scores, y)
    return loss, probs / N


def softmax_label_rows(scores, y):
    loss, probs, N = _softmax_parts(scores, y)
    dscores = probs.copy()
    dscores[y] -= 1.0  # whole rows y, not the entries (n, y[n])
    return loss, dscores / N


def logistic_sign_flipped(scores, y):
    target = y.reshape(-1, 1).astype(np.float64)
    loss = float(np.mean(np.logaddexp(0.0, scores) - target * scores))
    return loss, (target - logistic(scores)) / scores.shape[0]


# --- Part 3: the chain --------------------------------------------------------------------------


def _chain_rows(x, w, y, variant):
    """Per-example gradients with one known mistake: "no_input" drops a_{k-1}, "no_local" drops
    sigma'(z_k) at unit k, "own_weight" multiplies by unit k's own weight too."""
    K = w.shape[0]
    a = [np.asarray(x, dtype=np.float64)]
    for k in range(K):
        a.append(logistic(w[k] * a[k]))
    g = a[K] - y
    G = np.zeros((x.shape[0], K))
    for k in range(K, 0, -1):
        local = a[k] * (1.0 - a[k])
        if variant == "own_weight":
            g = g * local * w[k - 1]
            G[:, k - 1] = g * a[k - 1]
            continue
        G[:, k - 1] = g * (1.0 if variant == "no_local" else local) * (1.0 if variant == "no_input" else a[k - 1])
        g = g * local * w[k - 1]
    return G


def _chain_impls(reduce):
    texts = {
        "no_input": ("chain_missing_input_factor", "the gradient of w_k lacks the factor a_{k-1}: z_k = w_k a_{k-1}, so dz_k/dw_k = a_{k-1}",
                     "record g * a_k (1 - a_k) * a_{k-1} for w_k (a_0 = x)"),
        "no_local": ("chain_missing_sigmoid_derivative", "the gradient of w_k lacks unit k's own sigmoid derivative a_k (1 - a_k)",
                     "record g * a_k (1 - a_k) * a_{k-1} for w_k, where g = dL/da_k"),
        "own_weight": ("chain_product_wrong_range", "the product for w_k includes unit k's own factor w_k: the product of w_j sigma'(z_j) runs over the units above k only",
                       "record the gradient of w_k before multiplying g by a_k (1 - a_k) w_k"),
    }  # fmt: skip
    out = []
    for variant, (mistake_id, explain, fix) in texts.items():
        hint = _CHAIN_HINTS[variant]
        out.append(Mistake(mistake_id, impl=lambda x, w, y, v=variant: reduce(_chain_rows(x, w, y, v)), explain=explain, fix=fix, hint=hint))
    return out


_CHAIN_HINTS = {
    "no_input": "z_k = w_k a_{k-1}: revisit dz_k/dw_k in the chain for w_k",
    "no_local": "the chain for w_k passes through unit k's own sigmoid: its derivative belongs in the product",
    "own_weight": "record w_k's gradient before passing g further down: the product for w_k covers the units above k only",
}


def _chain_mean_shape(case, found):
    K = case.dims["K"]
    return found.shape == (K,) and found.want != (K,)


def _chain_rows_shape(case, found):
    N, K = case.dims["N"], case.dims["K"]
    return N > 1 and found.shape == (N, K)


# --- Part 4: the ReLU network and SGD -----------------------------------------------------------


def he_lecun_scale(layer_sizes, seed=0):
    params = he_draws(layer_sizes, seed)
    return {k: v / np.sqrt(2.0) for k, v in params.items()}


def he_rng_per_layer(layer_sizes, seed=0):
    params = {}
    for layer in range(1, len(layer_sizes)):
        n_in, n_out = layer_sizes[layer - 1], layer_sizes[layer]
        rng = np.random.default_rng(seed)
        params[f"W{layer}"] = rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)
        params[f"b{layer}"] = np.zeros((1, n_out))
    return params


def he_drawn_transposed(layer_sizes, seed=0):
    rng = np.random.default_rng(seed)
    params = {}
    for layer in range(1, len(layer_sizes)):
        n_in, n_out = layer_sizes[layer - 1], layer_sizes[layer]
        params[f"W{layer}"] = rng.standard_normal((n_out, n_in)).T * np.sqrt(2.0 / n_in)
        params[f"b{layer}"] = np.zeros((1, n_out))
    return params


def _mlp_loss(params, X, y):
    """A correct mlp_loss, for the train_sgd variants."""
    L = sum(1 for key in params if key.startswith("W"))
    inputs, pre = [], []  # the input of layer l is inputs[l - 1]; pre[l - 1] = Z_l
    A = X
    for layer in range(1, L):
        inputs.append(A)
        Z = A @ params[f"W{layer}"] + params[f"b{layer}"]
        pre.append(Z)
        A = np.maximum(Z, 0.0)
    inputs.append(A)
    scores = A @ params[f"W{L}"] + params[f"b{L}"]
    loss, probs, N = _softmax_parts(scores, y)
    probs[np.arange(N), y] -= 1.0
    dZ = probs / N
    grads = {}
    for layer in range(L, 0, -1):
        grads[f"W{layer}"] = inputs[layer - 1].T @ dZ
        grads[f"b{layer}"] = dZ.sum(axis=0, keepdims=True)
        if layer > 1:
            dZ = (dZ @ params[f"W{layer}"].T) * (pre[layer - 2] > 0)
    return loss, grads


def _train(X, y, layer_sizes, learning_rate=0.5, epochs=20, batch_size=32, seed=0, order="once"):
    params = he_draws(layer_sizes, seed)
    rng = np.random.default_rng(seed if order == "seed" else seed + 1)
    N = X.shape[0]
    losses = []
    for _ in range(epochs):
        if order == "reseed":
            rng = np.random.default_rng(seed + 1)
        batches = np.arange(N) if order == "none" else rng.permutation(N)
        for start in range(0, N, batch_size):
            batch = batches[start : start + batch_size]
            loss, grads = _mlp_loss(params, X[batch], y[batch])
            losses.append(loss)
            params = {k: params[k] - learning_rate * grads[k] for k in params}
    return params, losses


def _train_variant(order):
    def impl(X, y, layer_sizes, learning_rate=0.5, epochs=20, batch_size=32, seed=0):
        return _train(X, y, layer_sizes, learning_rate, epochs, batch_size, seed, order)

    return impl


def circles_radii_swapped(N, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(N, dtype=np.int64) % 2
    angle = rng.uniform(0.0, 2.0 * np.pi, N)
    radius = np.where(y == 0, 0.5, 1.0)
    X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return X + noise * rng.standard_normal((N, 2)), y


def circles_degrees(N, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(N, dtype=np.int64) % 2
    angle = rng.uniform(0.0, 360.0, N)
    radius = np.where(y == 0, 1.0, 0.5)
    X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return X + noise * rng.standard_normal((N, 2)), y


def circles_noise_first(N, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(N, dtype=np.int64) % 2
    jitter = noise * rng.standard_normal((N, 2))
    angle = rng.uniform(0.0, 2.0 * np.pi, N)
    radius = np.where(y == 0, 1.0, 0.5)
    X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return X + jitter, y


MISTAKES = {
    "affine_forward": [],  # `*` for `@`, W.T, a transposed result: generic (matmul)
    "affine_backward": [],  # db not summed / without keepdims, dW transposed, W for W.T: generic
    "sigmoid_forward": [
        Mistake("unstable_sigmoid", stage="non_finite", test=_extreme,
                explain="exp() of +-1000 overflows; exp(z) / (1 + exp(z)) then gives inf / inf = nan",
                fix="keep every exponent non-positive: s = exp(-|z|), then 1 / (1 + s) where z >= 0 and s / (1 + s) where z < 0"),
        Mistake("sigmoid_cache_is_input", test=_part_of(sigmoid_cache_is_input, "cache"),
                explain="the cache holds Z, but sigmoid_backward expects the output S = sigmoid(Z)",
                fix="return (S, S): the derivative S (1 - S) needs only the output",
                hint="cache the output S: the sigmoid's derivative can be written through its output alone"),
    ],
    "sigmoid_backward": [
        Mistake("cache_treated_as_input", impl=sigmoid_backward_reapplied,
                explain="the sigmoid was applied to the cache, but the cache already is S = sigmoid(Z)",
                fix="dZ = dout * S * (1 - S) with S = cache, without calling sigmoid again",
                hint="the cache already is S = sigmoid(Z): write the derivative through S without calling sigmoid again"),
        Mistake("missing_upstream", impl=sigmoid_backward_no_upstream,
                explain="the result is the local derivative S (1 - S) alone: the upstream gradient dout is not multiplied in",
                fix="dZ = dout * S * (1 - S)",
                hint="the chain rule multiplies the local derivative by the upstream gradient dout"),
    ],
    "relu_forward": [
        Mistake("relu_cache_is_output", test=_part_of(relu_cache_is_output, "cache"),
                explain="the cache holds the output A = max(Z, 0) instead of the input Z",
                fix="return (A, Z): relu_backward builds its mask from Z"),
    ],
    "relu_backward": [
        Mistake("mask_from_dout", impl=relu_mask_from_dout,
                explain="the mask was taken from dout's sign; whether a unit was active depends on its input Z (the cache)",
                fix="dZ = dout * (Z > 0) with Z = cache",
                hint="which units pass the gradient depends on the forward input Z (the cache), not on dout"),
        Mistake("relu_mask_at_zero", impl=relu_ge_at_zero,
                explain="where Z is exactly 0 the gradient passed dout through; the contract uses the subgradient 0 there",
                fix="use a strict comparison: dout * (Z > 0)"),
        Mistake("mask_applied_to_cache", impl=relu_mask_on_cache,
                explain="the result is max(Z, 0), the forward pass, not dout masked by Z > 0",
                fix="dZ = dout * (Z > 0) with Z = cache",
                hint="the backward pass passes the upstream gradient dout through where the unit was active; it does not recompute the forward pass"),
    ],
    "softmax_loss": [
        Mistake("unstable_softmax", stage="non_finite", test=_extreme,
                explain="exp() of scores near 1000 overflows to inf (inf / inf is nan), or every exp() of a row near -1000 underflows to 0",
                fix="subtract each row's maximum first: scores - scores.max(axis=1, keepdims=True), and take logs of the shifted softmax"),
        Mistake("one_hot_assumed", stage="exception",
                test=_broadcast_error(_scores_and_labels),
                explain="y holds class indices (N,), not one-hot rows (N, C): an (N, C) array minus y cannot broadcast",
                fix="index the true class: probs[np.arange(N), y] -= 1 (or build np.eye(C)[y] first)"),
        Mistake("loss_not_averaged", test=_loss_times_n(mean_softmax_ce),
                explain="the loss is N times the mean: the losses of the rows were summed",
                fix="loss = -np.mean(log_probs[np.arange(N), y]): a mean over the rows"),
        Mistake("missing_mean", test=_times_n("dscores"),
                explain=lambda case, found: f"dscores is N = {case.dims['N']} times too large: the 1/N of the mean is missing",
                fix="divide dscores by N: the loss is a mean over the rows"),
        Mistake("label_not_subtracted", test=_part_of(softmax_label_not_subtracted, "dscores"),
                explain="dscores is softmax(scores) / N: the 1 at each row's true class was not subtracted",
                fix="dscores = probs; dscores[np.arange(N), y] -= 1; dscores /= N",
                hint="revisit the derivative of -log p[n, y[n]] with respect to the true class's score: it has a term the other classes do not"),
        Mistake("label_rows_indexed", test=_part_of(softmax_label_rows, "dscores"),
                explain="probs[y] -= 1 subtracts 1 from whole rows (row y[n]), not from the entry (n, y[n])",
                fix="index rows and classes together: probs[np.arange(N), y] -= 1"),
    ],
    "logistic_loss": [
        Mistake("unstable_logistic", stage="non_finite", test=_extreme,
                explain="log(sigmoid(s)) or log(1 - sigmoid(s)) of a score of +-1000 is log(0) = -inf, or exp(1000) overflows",
                fix="write the loss as log(1 + e^s) - y s with np.logaddexp(0, s), and a stable sigmoid for dscores"),
        Mistake("label_broadcast", stage="shape",
                test=lambda case, found: found.path == "dscores" and found.shape == (case.args[0].shape[0],) * 2,
                explain="scores are (N, 1) and y is (N,): scores - y broadcasts to an (N, N) array",
                fix="make y a column first: y.reshape(-1, 1), so sigmoid(scores) - y stays (N, 1)"),
        Mistake("loss_not_averaged", test=_loss_times_n(mean_logistic_ce),
                explain="the loss is N times the mean: the losses of the rows were summed",
                fix="take np.mean over the rows of log(1 + e^s) - y s"),
        Mistake("missing_mean", test=_times_n("dscores"),
                explain=lambda case, found: f"dscores is N = {case.dims['N']} times too large: the 1/N of the mean is missing",
                fix="divide dscores by N: the loss is a mean over the rows"),
        Mistake("logistic_sign_flipped", test=_part_of(logistic_sign_flipped, "dscores"),
                explain="dscores is (y - sigmoid(s)) / N: the sign is flipped",
                fix="dscores = (sigmoid(scores) - y) / N: prediction minus truth",
                hint="the sign is opposite: revisit the derivative of log(1 + e^s) - y s and which way round its difference goes"),
    ],
    "chain_backward_loop": [
        Mistake("chain_returns_mean", stage="shape", test=_chain_mean_shape,
                explain="the result has one entry per unit (K,): the per-example rows were averaged",
                fix="return every example's gradient, an (N, K) array with row n = dL_n/dw"),
        *_chain_impls(lambda G: G),
    ],
    "chain_backward": [
        Mistake("chain_per_example", stage="shape", test=_chain_rows_shape,
                explain="the result has one row per example (N, K): the mean over the examples is missing",
                fix="average the per-example gradients over n: a (K,) array"),
        *_chain_impls(lambda G: G.mean(axis=0)),
    ],
    "he_init": [
        Mistake("he_lecun_scale", impl=he_lecun_scale,
                explain="the weights are scaled by sqrt(1 / n_in) (LeCun), not sqrt(2 / n_in) (He)",
                fix="W = rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in): a ReLU zeroes half its inputs, so the variance doubles"),
        Mistake("he_rng_per_layer", impl=he_rng_per_layer,
                explain="a new default_rng(seed) was made for every layer, so each layer repeats the same draws",
                fix="make one rng = np.random.default_rng(seed) before the loop and draw W1, W2, ... from it in order"),
        Mistake("he_drawn_transposed", impl=he_drawn_transposed,
                explain="the weights were drawn with shape (n_out, n_in) and transposed, so the draws land in other places",
                fix="draw rng.standard_normal((n_in, n_out)) directly"),
    ],
    "mlp_loss": [
        Mistake("relu_mask_from_dout", swap={"relu_backward": relu_mask_from_dout},
                explain="the ReLU layers' gradients are masked by the sign of the upstream gradient, not by Z > 0",
                fix="mask each ReLU layer's gradient by that layer's input Z (its cache): dZ = dA * (Z > 0), as relu_backward does"),
        Mistake("loss_gradient_not_averaged", test=_times_n("grads["),
                explain="every gradient is N times too large: dscores was not divided by N",
                fix="softmax_loss returns dscores / N, the gradient of the mean loss"),
    ],
    "sgd_step": [
        Mistake("sgd_sign_flipped", impl=lambda params, grads, learning_rate: {k: params[k] + learning_rate * grads[k] for k in params},
                explain="the step goes up the gradient: params + learning_rate * grads",
                fix="new[key] = params[key] - learning_rate * grads[key]"),
        Mistake("learning_rate_missing", impl=lambda params, grads, learning_rate: {k: params[k] - grads[k] for k in params},
                explain="the step is params - grads: the learning rate was left out",
                fix="new[key] = params[key] - learning_rate * grads[key]"),
    ],
    "make_circles": [
        Mistake("circles_labels_swapped", impl=circles_radii_swapped,
                explain="class 0 is on the inner circle (radius 0.5) and class 1 on the outer one",
                fix="radius = np.where(y == 0, 1.0, 0.5)"),
        Mistake("degrees_for_radians", impl=circles_degrees,
                explain="the angles were drawn in degrees (0 to 360), but np.cos and np.sin take radians",
                fix="angle = rng.uniform(0, 2 * np.pi, N)"),
        Mistake("noise_drawn_first", impl=circles_noise_first,
                explain="the noise was drawn before the angles, so both come from other positions of the random stream",
                fix="draw the angles first, then noise * rng.standard_normal((N, 2))"),
    ],
    "train_sgd": [
        Mistake("no_shuffle", impl=_train_variant("none"),
                explain="the batches follow the data's own order: there is no shuffle",
                fix="each epoch draw order = rng.permutation(N) and take the batches from it"),
        Mistake("rng_per_epoch", impl=_train_variant("reseed"),
                explain="a new default_rng(seed + 1) was made in every epoch, so every epoch has the same order",
                fix="make rng = np.random.default_rng(seed + 1) once, before the epochs"),
        Mistake("shuffle_seed_not_offset", impl=_train_variant("seed"),
                explain="the shuffles come from default_rng(seed), the generator he_init uses; the contract uses seed + 1",
                fix="rng = np.random.default_rng(seed + 1) for the shuffles"),
    ],
}  # fmt: skip

HINTS = {
    "affine_forward": Hints(shape="X is (N, D) and W is (D, M): out = X @ W + b is (N, M)"),
    "affine_backward": Hints(
        shape="dout is (N, M), X (N, D), W (D, M): dX = dout @ W.T, dW = X.T @ dout, db = dout.sum(axis=0, keepdims=True)",
        hint_shape="dout is (N, M), X (N, D), W (D, M): each gradient has the shape of what it differentiates; write one entry as a sum over n (or over m), then as one matrix product",
        fixes={"sign_flipped": "each gradient is a product with dout as it is; no minus sign",
               "missing_mean": "dout already carries the 1/N of the mean; do not divide again or multiply by N"},
    ),  # fmt: skip
    "softmax_loss": Hints(fixes={
        "missing_mean": "divide both the loss and dscores by N: the loss is a mean over the rows",
        "sum_vs_mean": "divide by N once",
        "loss_over_classes": "take the mean over the N rows of -log p[n, y[n]] only",
    }),  # fmt: skip
    "logistic_loss": Hints(fixes={"missing_mean": "divide dscores by N: the loss is a mean over the rows"}),
    "chain_backward": Hints(fixes={"missing_mean": "the result is the mean of the per-example gradients: divide the sum over n by N"}),
    "mlp_loss": Hints(
        shape="a layer's input A is (N, n_in) and dZ (N, n_out): dW = A.T @ dZ is (n_in, n_out), dA = dZ @ W.T",
        hint_shape="a layer's input A is (N, n_in) and dZ (N, n_out): dW has W's shape (n_in, n_out) and dA has A's, as in affine_backward",
        fixes={"missing_mean": "softmax_loss's dscores carries the 1/N; no other step divides or multiplies by N"},
    ),
}
