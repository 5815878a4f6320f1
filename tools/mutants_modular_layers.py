"""A catalogue of student mistakes for the modular_layers homework (see tools/mutants.py).

Each mutant is the source of one top-level function of ``solutions/modular_layers/
modular_layers.py`` as a student might have written it; ``apply`` (tools/mutants.py) swaps it
into the reference. ``mistake`` is the id the grader must name for it (None: no specific
diagnosis expected; the function must still lose points); ``also`` the functions allowed to
lose points with it (its callers in the reference, derived from the call graph); ``correct``
marks right answers written differently (full marks everywhere). Every graded function has
at least one named mutant (tests/test_homeworks.py checks it).
"""

import textwrap

from tools.mutants import ROOT, Mutant, callers, load

HOMEWORK = "modular_layers"
REFERENCE_PATH = ROOT / "solutions" / HOMEWORK / f"{HOMEWORK}.py"
STUB_PATH = ROOT / "assignment" / HOMEWORK / f"{HOMEWORK}.py"
NAMES = load(HOMEWORK).names
CALLERS = callers(REFERENCE_PATH.read_text(), NAMES)


def _m(id, function, source, mistake, *, also=None, correct=False):
    source = textwrap.dedent(source).strip("\n")
    return Mutant(
        id=id,
        function=function,
        source=source + "\n" if source else "",
        mistake=mistake,
        also=CALLERS.get(function, frozenset()) if also is None else frozenset(also),
        correct=correct,
    )


def _ok(id, function, source):
    return _m(id, function, source, None, correct=True)


_LAYERS = [
    # affine_forward
    _m("affine_forward-star-for-matmul", "affine_forward", """
        def affine_forward(X, W, b):
            out = X * W + b
            return out, (X, W, b)
    """, "elementwise_for_matmul"),
    _m("affine_forward-operand-order", "affine_forward", """
        def affine_forward(X, W, b):
            out = W @ X + b
            return out, (X, W, b)
    """, "wrong_operand_order"),
    # affine_backward
    _m("affine_backward-db-not-summed", "affine_backward", """
        def affine_backward(dout, cache):
            X, W, b = cache
            return dout @ W.T, X.T @ dout, dout
    """, "bias_not_summed"),
    _m("affine_backward-db-no-keepdims", "affine_backward", """
        def affine_backward(dout, cache):
            X, W, b = cache
            return dout @ W.T, X.T @ dout, np.sum(dout, axis=0)
    """, "bias_keepdims"),
    _m("affine_backward-dW-transposed", "affine_backward", """
        def affine_backward(dout, cache):
            X, W, b = cache
            return dout @ W.T, dout.T @ X, np.sum(dout, axis=0, keepdims=True)
    """, "transposed"),
    # sigmoid_forward
    _m("sigmoid_forward-exp-over-one-plus-exp", "sigmoid_forward", """
        def sigmoid_forward(Z):
            S = np.exp(Z) / (1 + np.exp(Z))
            return S, S
    """, "unstable_sigmoid"),
    _m("sigmoid_forward-caches-input", "sigmoid_forward", """
        def sigmoid_forward(Z):
            S = 0.5 * (1.0 + np.tanh(0.5 * Z))
            return S, Z
    """, "sigmoid_cache_is_input"),
    # sigmoid_backward
    _m("sigmoid_backward-sigmoid-of-cache", "sigmoid_backward", """
        def sigmoid_backward(dout, cache):
            s = 1.0 / (1.0 + np.exp(-cache))
            return dout * s * (1 - s)
    """, "cache_treated_as_input"),
    _m("sigmoid_backward-no-dout", "sigmoid_backward", """
        def sigmoid_backward(dout, cache):
            return cache * (1 - cache)
    """, "missing_upstream"),
    # relu_forward
    _m("relu_forward-caches-output", "relu_forward", """
        def relu_forward(Z):
            A = np.maximum(Z, 0)
            return A, A
    """, "relu_cache_is_output"),
    # relu_backward
    _m("relu_backward-mask-from-dout", "relu_backward", """
        def relu_backward(dout, cache):
            return dout * (dout > 0)
    """, "mask_from_dout"),
    _m("relu_backward-ge-at-zero", "relu_backward", """
        def relu_backward(dout, cache):
            return np.where(cache >= 0, dout, 0.0)
    """, "relu_mask_at_zero"),
    _m("relu_backward-mask-on-cache", "relu_backward", """
        def relu_backward(dout, cache):
            return cache * (cache > 0)
    """, "mask_applied_to_cache"),
    # softmax_loss
    _m("softmax_loss-no-max-shift", "softmax_loss", """
        def softmax_loss(scores, y):
            N = scores.shape[0]
            exps = np.exp(scores)
            probs = exps / np.sum(exps, axis=1, keepdims=True)
            loss = float(-np.mean(np.log(probs[np.arange(N), y])))
            probs[np.arange(N), y] -= 1
            return loss, probs / N
    """, "unstable_softmax"),
    _m("softmax_loss-one-hot-assumed", "softmax_loss", """
        def softmax_loss(scores, y):
            N = scores.shape[0]
            shifted = scores - scores.max(axis=1, keepdims=True)
            probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
            loss = float(-np.sum(y * np.log(probs)) / N)
            return loss, (probs - y) / N
    """, "one_hot_assumed"),
    _m("softmax_loss-label-not-subtracted", "softmax_loss", """
        def softmax_loss(scores, y):
            N = scores.shape[0]
            shifted = scores - scores.max(axis=1, keepdims=True)
            probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
            loss = float(-np.mean(np.log(probs[np.arange(N), y])))
            return loss, probs / N
    """, "label_not_subtracted"),
    _m("softmax_loss-rows-indexed", "softmax_loss", """
        def softmax_loss(scores, y):
            N = scores.shape[0]
            shifted = scores - scores.max(axis=1, keepdims=True)
            probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
            loss = float(-np.mean(np.log(probs[np.arange(N), y])))
            probs[y] -= 1
            return loss, probs / N
    """, "label_rows_indexed"),
    _m("softmax_loss-summed-loss", "softmax_loss", """
        def softmax_loss(scores, y):
            N = scores.shape[0]
            shifted = scores - scores.max(axis=1, keepdims=True)
            log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            loss = float(-np.sum(log_probs[np.arange(N), y]))
            dscores = np.exp(log_probs)
            dscores[np.arange(N), y] -= 1
            return loss, dscores / N
    """, "loss_not_averaged"),
    # logistic_loss
    _m("logistic_loss-sign-flipped", "logistic_loss", """
        def logistic_loss(scores, y):
            N = scores.shape[0]
            t = y.reshape(-1, 1)
            loss = float(np.mean(np.logaddexp(0, scores) - t * scores))
            p = 0.5 * (1 + np.tanh(0.5 * scores))
            return loss, (t - p) / N
    """, "logistic_sign_flipped"),
    _m("logistic_loss-log-of-sigmoid", "logistic_loss", """
        def logistic_loss(scores, y):
            N = scores.shape[0]
            t = y.reshape(-1, 1)
            p = 1 / (1 + np.exp(-scores))
            loss = float(-np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)))
            return loss, (p - t) / N
    """, "unstable_logistic"),
    _m("logistic_loss-y-not-a-column", "logistic_loss", """
        def logistic_loss(scores, y):
            N = scores.shape[0]
            loss = float(np.mean(np.logaddexp(0, scores[:, 0]) - y * scores[:, 0]))
            p = 0.5 * (1 + np.tanh(0.5 * scores))
            return loss, (p - y) / N
    """, "label_broadcast"),
    # chain_backward_loop
    _m("chain_backward_loop-returns-mean", "chain_backward_loop", """
        def chain_backward_loop(x, w, y):
            N, K = x.shape[0], w.shape[0]
            G = np.zeros((N, K))
            for n in range(N):
                a = [x[n]]
                for k in range(K):
                    a.append(1 / (1 + np.exp(-w[k] * a[k])))
                g = a[K] - y[n]
                for k in range(K, 0, -1):
                    G[n, k - 1] = g * a[k] * (1 - a[k]) * a[k - 1]
                    g = g * a[k] * (1 - a[k]) * w[k - 1]
            return G.mean(axis=0)
    """, "chain_returns_mean"),
    _m("chain_backward_loop-no-input-factor", "chain_backward_loop", """
        def chain_backward_loop(x, w, y):
            N, K = x.shape[0], w.shape[0]
            G = np.zeros((N, K))
            for n in range(N):
                a = [x[n]]
                for k in range(K):
                    a.append(1 / (1 + np.exp(-w[k] * a[k])))
                g = a[K] - y[n]
                for k in range(K, 0, -1):
                    G[n, k - 1] = g * a[k] * (1 - a[k])
                    g = g * a[k] * (1 - a[k]) * w[k - 1]
            return G
    """, "chain_missing_input_factor"),
    _m("chain_backward_loop-own-weight-in-product", "chain_backward_loop", """
        def chain_backward_loop(x, w, y):
            N, K = x.shape[0], w.shape[0]
            G = np.zeros((N, K))
            for n in range(N):
                a = [x[n]]
                for k in range(K):
                    a.append(1 / (1 + np.exp(-w[k] * a[k])))
                g = a[K] - y[n]
                for k in range(K, 0, -1):
                    g = g * a[k] * (1 - a[k]) * w[k - 1]
                    G[n, k - 1] = g * a[k - 1]
            return G
    """, "chain_product_wrong_range"),
    # chain_backward
    _m("chain_backward-per-example", "chain_backward", """
        def chain_backward(x, w, y):
            K = w.shape[0]
            a = [x]
            for k in range(K):
                a.append(1 / (1 + np.exp(-w[k] * a[k])))
            g = a[K] - y
            G = np.zeros((x.shape[0], K))
            for k in range(K, 0, -1):
                G[:, k - 1] = g * a[k] * (1 - a[k]) * a[k - 1]
                g = g * a[k] * (1 - a[k]) * w[k - 1]
            return G
    """, "chain_per_example"),
    _m("chain_backward-no-sigmoid-derivative", "chain_backward", """
        def chain_backward(x, w, y):
            K = w.shape[0]
            a = [x]
            for k in range(K):
                a.append(1 / (1 + np.exp(-w[k] * a[k])))
            g = a[K] - y
            grad = np.zeros(K)
            for k in range(K, 0, -1):
                grad[k - 1] = np.mean(g * a[k - 1])
                g = g * a[k] * (1 - a[k]) * w[k - 1]
            return grad
    """, "chain_missing_sigmoid_derivative"),
    _m("chain_backward-sum-not-mean", "chain_backward", """
        def chain_backward(x, w, y):
            K = w.shape[0]
            a = [x]
            for k in range(K):
                a.append(1 / (1 + np.exp(-w[k] * a[k])))
            g = a[K] - y
            grad = np.zeros(K)
            for k in range(K, 0, -1):
                grad[k - 1] = np.sum(g * a[k] * (1 - a[k]) * a[k - 1])
                g = g * a[k] * (1 - a[k]) * w[k - 1]
            return grad
    """, "missing_mean"),
    # he_init
    _m("he_init-lecun-scale", "he_init", """
        def he_init(layer_sizes, seed=0):
            rng = np.random.default_rng(seed)
            params = {}
            for l in range(1, len(layer_sizes)):
                params[f"W{l}"] = rng.standard_normal((layer_sizes[l - 1], layer_sizes[l])) / np.sqrt(layer_sizes[l - 1])
                params[f"b{l}"] = np.zeros((1, layer_sizes[l]))
            return params
    """, "he_lecun_scale"),
    _m("he_init-rng-per-layer", "he_init", """
        def he_init(layer_sizes, seed=0):
            params = {}
            for l in range(1, len(layer_sizes)):
                rng = np.random.default_rng(seed)
                params[f"W{l}"] = rng.standard_normal((layer_sizes[l - 1], layer_sizes[l])) * np.sqrt(2 / layer_sizes[l - 1])
                params[f"b{l}"] = np.zeros((1, layer_sizes[l]))
            return params
    """, "he_rng_per_layer"),
    _m("he_init-drawn-transposed", "he_init", """
        def he_init(layer_sizes, seed=0):
            rng = np.random.default_rng(seed)
            params = {}
            for l in range(1, len(layer_sizes)):
                params[f"W{l}"] = rng.standard_normal((layer_sizes[l], layer_sizes[l - 1])).T * np.sqrt(2 / layer_sizes[l - 1])
                params[f"b{l}"] = np.zeros((1, layer_sizes[l]))
            return params
    """, "he_drawn_transposed"),
    # mlp_loss
    _m("mlp_loss-relu-mask-from-upstream", "mlp_loss", """
        def mlp_loss(params, X, y):
            L = len(params) // 2
            caches, A = [], X
            for l in range(1, L):
                Z, c = affine_forward(A, params[f"W{l}"], params[f"b{l}"])
                A = np.maximum(Z, 0)
                caches.append(c)
            scores, last = affine_forward(A, params[f"W{L}"], params[f"b{L}"])
            loss, dscores = softmax_loss(scores, y)
            grads = {}
            dA, grads[f"W{L}"], grads[f"b{L}"] = affine_backward(dscores, last)
            for l in range(L - 1, 0, -1):
                dZ = dA * (dA > 0)
                dA, grads[f"W{l}"], grads[f"b{l}"] = affine_backward(dZ, caches[l - 1])
            return loss, grads
    """, "relu_mask_from_dout"),
    _m("mlp_loss-gradient-times-N", "mlp_loss", """
        def mlp_loss(params, X, y):
            L = len(params) // 2
            caches, A = [], X
            for l in range(1, L):
                Z, c = affine_forward(A, params[f"W{l}"], params[f"b{l}"])
                A, r = relu_forward(Z)
                caches.append((c, r))
            scores, last = affine_forward(A, params[f"W{L}"], params[f"b{L}"])
            loss, dscores = softmax_loss(scores, y)
            dscores = dscores * X.shape[0]
            grads = {}
            dA, grads[f"W{L}"], grads[f"b{L}"] = affine_backward(dscores, last)
            for l in range(L - 1, 0, -1):
                c, r = caches[l - 1]
                dA, grads[f"W{l}"], grads[f"b{l}"] = affine_backward(relu_backward(dA, r), c)
            return loss, grads
    """, "loss_gradient_not_averaged"),
    # sgd_step
    _m("sgd_step-sign-flipped", "sgd_step", """
        def sgd_step(params, grads, learning_rate):
            return {k: params[k] + learning_rate * grads[k] for k in params}
    """, "sgd_sign_flipped"),
    _m("sgd_step-no-learning-rate", "sgd_step", """
        def sgd_step(params, grads, learning_rate):
            return {k: params[k] - grads[k] for k in params}
    """, "learning_rate_missing"),
    _m("sgd_step-in-place", "sgd_step", """
        def sgd_step(params, grads, learning_rate):
            for k in params:
                params[k] -= learning_rate * grads[k]
            return params
    """, "input_mutation"),
    # make_circles
    _m("make_circles-radii-swapped", "make_circles", """
        def make_circles(N, noise=0.1, seed=0):
            rng = np.random.default_rng(seed)
            y = np.arange(N) % 2
            t = rng.uniform(0, 2 * np.pi, N)
            r = np.where(y == 1, 1.0, 0.5)
            X = np.column_stack([r * np.cos(t), r * np.sin(t)]) + noise * rng.standard_normal((N, 2))
            return X, y
    """, "circles_labels_swapped"),
    _m("make_circles-degrees", "make_circles", """
        def make_circles(N, noise=0.1, seed=0):
            rng = np.random.default_rng(seed)
            y = np.arange(N) % 2
            t = rng.uniform(0, 360, N)
            r = np.where(y == 0, 1.0, 0.5)
            X = np.column_stack([r * np.cos(t), r * np.sin(t)]) + noise * rng.standard_normal((N, 2))
            return X, y
    """, "degrees_for_radians"),
    _m("make_circles-noise-first", "make_circles", """
        def make_circles(N, noise=0.1, seed=0):
            rng = np.random.default_rng(seed)
            y = np.arange(N) % 2
            e = noise * rng.standard_normal((N, 2))
            t = rng.uniform(0, 2 * np.pi, N)
            r = np.where(y == 0, 1.0, 0.5)
            return np.column_stack([r * np.cos(t), r * np.sin(t)]) + e, y
    """, "noise_drawn_first"),
    # train_sgd
    _m("train_sgd-no-shuffle", "train_sgd", """
        def train_sgd(X, y, layer_sizes, learning_rate=0.5, epochs=20, batch_size=32, seed=0):
            params = he_init(layer_sizes, seed)
            losses = []
            for _ in range(epochs):
                for i in range(0, X.shape[0], batch_size):
                    loss, grads = mlp_loss(params, X[i:i + batch_size], y[i:i + batch_size])
                    losses.append(loss)
                    params = sgd_step(params, grads, learning_rate)
            return params, losses
    """, "no_shuffle"),
    _m("train_sgd-rng-per-epoch", "train_sgd", """
        def train_sgd(X, y, layer_sizes, learning_rate=0.5, epochs=20, batch_size=32, seed=0):
            params = he_init(layer_sizes, seed)
            losses = []
            for _ in range(epochs):
                order = np.random.default_rng(seed + 1).permutation(X.shape[0])
                for i in range(0, X.shape[0], batch_size):
                    batch = order[i:i + batch_size]
                    loss, grads = mlp_loss(params, X[batch], y[batch])
                    losses.append(loss)
                    params = sgd_step(params, grads, learning_rate)
            return params, losses
    """, "rng_per_epoch"),
    _m("train_sgd-seed-not-offset", "train_sgd", """
        def train_sgd(X, y, layer_sizes, learning_rate=0.5, epochs=20, batch_size=32, seed=0):
            params = he_init(layer_sizes, seed)
            rng = np.random.default_rng(seed)
            losses = []
            for _ in range(epochs):
                order = rng.permutation(X.shape[0])
                for i in range(0, X.shape[0], batch_size):
                    batch = order[i:i + batch_size]
                    loss, grads = mlp_loss(params, X[batch], y[batch])
                    losses.append(loss)
                    params = sgd_step(params, grads, learning_rate)
            return params, losses
    """, "shuffle_seed_not_offset"),
]

_CORRECT = [
    _ok("affine_backward-einsum", "affine_backward", """
        def affine_backward(dout, cache):
            X, W, b = cache
            dX = np.einsum("nm,dm->nd", dout, W)
            dW = np.einsum("nd,nm->dm", X, dout)
            return dX, dW, dout.sum(axis=0)[None, :]
    """),
    _ok("sigmoid_forward-tanh", "sigmoid_forward", """
        def sigmoid_forward(Z):
            S = 0.5 * (1.0 + np.tanh(0.5 * np.asarray(Z, dtype=np.float64)))
            return S, S
    """),
    _ok("relu_backward-where", "relu_backward", """
        def relu_backward(dout, cache):
            return np.where(cache > 0, dout, 0.0)
    """),
    _ok("softmax_loss-one-hot-built", "softmax_loss", """
        def softmax_loss(scores, y):
            N, C = scores.shape
            Y = np.eye(C)[y]
            shifted = scores - scores.max(axis=1, keepdims=True)
            log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            return float(-np.sum(Y * log_probs) / N), (np.exp(log_probs) - Y) / N
    """),
    _ok("chain_backward-from-the-loop", "chain_backward", """
        def chain_backward(x, w, y):
            return chain_backward_loop(x, w, y).mean(axis=0)
    """),
    _ok("sgd_step-copies", "sgd_step", """
        def sgd_step(params, grads, learning_rate):
            new = {}
            for key, value in params.items():
                new[key] = value.copy()
                new[key] -= learning_rate * grads[key]
            return new
    """),
]

MUTANTS = _LAYERS + _CORRECT
