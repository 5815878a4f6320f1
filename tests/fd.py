"""An independent forward pass, for checking the reference's gradients in tests.

Nothing here calls the reference: the losses are written out again from their definitions,
so a wrong reference cannot confirm itself.
"""

import numpy as np

from autograder import gradcheck as gc


def rel_err(a, b):
    a, b = np.ravel(a), np.ravel(b)
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denominator == 0 else float(np.linalg.norm(a - b) / denominator)


def log_softmax(Z):
    shifted = Z - Z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def logistic(Z):
    # 1 / (1 + e^-z) = exp(-log(1 + e^-z)), with log(1 + e^-z) computed without overflow
    return np.exp(-np.logaddexp(0.0, -Z))


def mean_ce_from_logits(Z2, Y):
    return float(-np.sum(Y * log_softmax(Z2)) / len(Y))


def two_layer_loss(X, Y, W1, b1, W2, b2):
    return mean_ce_from_logits(logistic(X @ W1 + b1) @ W2 + b2, Y)


def n_layer_loss(X, Y, params):
    L = sum(1 for key in params if key.startswith("W"))
    A = X
    for layer in range(1, L):
        A = logistic(A @ params[f"W{layer}"] + params[f"b{layer}"])
    Z = A @ params[f"W{L}"] + params[f"b{L}"]
    if Z.shape[1] == 1:
        # binary cross-entropy from the logit: log(1 + e^-z) for y = 1, log(1 + e^z) for y = 0
        return float(np.mean(Y * np.logaddexp(0, -Z) + (1 - Y) * np.logaddexp(0, Z)))
    return mean_ce_from_logits(Z, Y)


def problem(seed, N, D, H, C):
    """Random inputs of a two-layer problem with non-trivial, non-saturated values."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D))
    Y = np.eye(C)[rng.integers(0, C, size=N)]
    W1 = rng.standard_normal((D, H)) / np.sqrt(D)
    b1 = 0.1 * rng.standard_normal((1, H))
    W2 = rng.standard_normal((H, C)) / np.sqrt(H)
    b2 = 0.1 * rng.standard_normal((1, C))
    return X, Y, W1, b1, W2, b2


def check_gradient(f, x, grad, rng):
    """Relative error between ``grad`` and central differences of f() at x: every entry of
    a small array; a few random directions and a random sample of entries of a large one
    (the engine's difference routine, gradcheck.probe, which is not the code under test)."""
    assert grad.shape == x.shape, f"gradient shape {grad.shape} != {x.shape}"
    return gc.compare(gc.probe(f, x, int(rng.integers(2**31)), exact_limit=400), grad)


# --- modular_layers: the losses written out again from the notebook's contract ----------------


def sigmoid(Z):
    return logistic(Z)


def mean_softmax_ce(scores, y):
    """Mean over the rows of -log softmax(scores)[n, y[n]] (y: class indices)."""
    return float(-np.mean(log_softmax(scores)[np.arange(len(y)), y]))


def mean_logistic_ce(scores, y):
    """Mean binary cross-entropy of sigmoid(scores) (N, 1) against y (N,) in {0, 1}."""
    s = scores[:, 0]
    return float(np.mean(y * np.logaddexp(0, -s) + (1 - y) * np.logaddexp(0, s)))


def chain_losses(x, w, y):
    """L_n = (a_K - y_n)^2 / 2 with a_0 = x_n, a_k = sigmoid(w_k a_{k-1}): the (N,) losses."""
    a = np.asarray(x, dtype=np.float64)
    for weight in w:
        a = logistic(weight * a)
    return 0.5 * (a - y) ** 2


def relu_mlp_loss(params, X, y):
    """ReLU hidden layers, an affine output layer, mean softmax cross-entropy."""
    L = sum(1 for key in params if key.startswith("W"))
    A = X
    for layer in range(1, L):
        A = np.maximum(A @ params[f"W{layer}"] + params[f"b{layer}"], 0.0)
    return mean_softmax_ce(A @ params[f"W{L}"] + params[f"b{L}"], y)


def jacobian_rows(f, x, eps=1e-6):
    """The Jacobian of a vector function f at x by central differences, one column per entry
    of x (written here, not the engine's)."""
    x = np.array(x, dtype=np.float64)
    columns = []
    for i in range(x.size):
        step = np.zeros_like(x)
        step.flat[i] = eps
        columns.append((np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * eps))
    return np.stack(columns, axis=-1)
