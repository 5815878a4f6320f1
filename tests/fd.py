"""Finite differences and an independent forward pass, for checking gradients in tests.

Nothing here calls the code under test: the losses are written out again from their
definitions, so a wrong reference cannot confirm itself.
"""

import numpy as np


def central_diff(f, x, eps=1e-5):
    """Full central-difference gradient of f() w.r.t. the array x (perturbed in place)."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + eps
        plus = f()
        x[index] = saved - eps
        minus = f()
        x[index] = saved
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def directional(f, x, direction, eps=1e-5):
    """(f(x + eps v) - f(x - eps v)) / 2 eps, restoring x afterwards."""
    saved = x.copy()
    x += eps * direction
    plus = f()
    x[...] = saved - eps * direction
    minus = f()
    x[...] = saved
    return (plus - minus) / (2 * eps)


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


def check_gradient(f, x, grad, rng, exact_limit=400, directions=4, entries=30, eps=1e-5):
    """Relative error between ``grad`` and finite differences of f at x.

    Small arrays get every entry; large ones a few random directions and a random sample
    of single entries, compared as vectors.
    """
    assert grad.shape == x.shape, f"gradient shape {grad.shape} != {x.shape}"
    if x.size <= exact_limit:
        return rel_err(grad, central_diff(f, x, eps))
    numeric, analytic = [], []
    for _ in range(directions):
        v = rng.standard_normal(x.shape)
        v /= np.linalg.norm(v)
        numeric.append(directional(f, x, v, eps))
        analytic.append(float(np.sum(v * grad)))
    flat_indices = rng.choice(x.size, size=entries, replace=False)
    for flat in flat_indices:
        index = np.unravel_index(flat, x.shape)
        v = np.zeros_like(x)
        v[index] = 1.0
        numeric.append(directional(f, x, v, eps))
        analytic.append(float(grad[index]))
    return rel_err(np.array(analytic), np.array(numeric))
