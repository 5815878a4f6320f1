"""Is the reference solution right? Every gradient against finite differences of J."""

import numpy as np
import pytest

from fd import (
    check_gradient,
    log_softmax,
    logistic,
    mean_ce_from_logits,
    n_layer_loss,
    problem,
    rel_err,
    two_layer_loss,
)

SEEDS = (0, 1, 2)
SIZES = {
    "N=1 small": (1, 5, 3, 4),
    "N=7 small": (7, 5, 3, 4),
    "MNIST": (16, 784, 200, 10),
}
TOL = 1e-6


@pytest.fixture(params=[(seed, name) for seed in SEEDS for name in SIZES], ids=lambda p: f"seed{p[0]}-{p[1]}")
def point(request):
    seed, name = request.param
    return seed, problem(seed, *SIZES[name])


def test_backprop_matches_finite_differences_of_J(ref, point):
    seed, (X, Y, W1, b1, W2, b2) = point
    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    grads = ref.backprop(X, Y, W1, b1, W2, b2)
    rng = np.random.default_rng(100 + seed)
    for name, array in params.items():
        error = check_gradient(lambda: two_layer_loss(X, Y, **params), array, grads[name], rng)
        assert error < TOL, f"{name}: relative error {error:.2e}"


def test_each_chain_rule_step_matches_finite_differences_of_J(ref, point):
    """Each dJ_d* function, fed the correct upstream values, is dJ/dQ at that point."""
    seed, (X, Y, W1, b1, W2, b2) = point
    rng = np.random.default_rng(200 + seed)
    Z1 = X @ W1 + b1
    X2 = logistic(Z1)
    Z2 = X2 @ W2 + b2
    Y_hat = np.exp(log_softmax(Z2))

    dZ2 = ref.dJ_dZ2(Y_hat, Y)
    assert check_gradient(lambda: mean_ce_from_logits(Z2, Y), Z2, dZ2, rng) < TOL

    dW2 = ref.dJ_dW2(X2, dZ2)
    assert check_gradient(lambda: mean_ce_from_logits(X2 @ W2 + b2, Y), W2, dW2, rng) < TOL
    db2 = ref.dJ_db2(dZ2)
    assert check_gradient(lambda: mean_ce_from_logits(X2 @ W2 + b2, Y), b2, db2, rng) < TOL

    dX2 = ref.dJ_dX2(dZ2, W2)
    assert check_gradient(lambda: mean_ce_from_logits(X2 @ W2 + b2, Y), X2, dX2, rng) < TOL

    dZ1 = ref.dJ_dZ1(dX2, Z1)
    assert check_gradient(lambda: mean_ce_from_logits(logistic(Z1) @ W2 + b2, Y), Z1, dZ1, rng) < TOL

    dW1 = ref.dJ_dW1(X, dZ1)
    assert check_gradient(lambda: two_layer_loss(X, Y, W1, b1, W2, b2), W1, dW1, rng) < TOL
    db1 = ref.dJ_db1(dZ1)
    assert check_gradient(lambda: two_layer_loss(X, Y, W1, b1, W2, b2), b1, db1, rng) < TOL


def test_d_softmax_is_the_gradient_of_each_rows_own_loss(ref, point):
    seed, (X, Y, W1, b1, W2, b2) = point
    Z2 = logistic(X @ W1 + b1) @ W2 + b2
    Y_hat = np.exp(log_softmax(Z2))
    summed_loss = lambda: -float(np.sum(Y * log_softmax(Z2)))  # noqa: E731
    error = check_gradient(summed_loss, Z2, ref.d_softmax(Y_hat, Y), np.random.default_rng(seed))
    assert error < TOL


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("C", [1, 4, 10])
def test_softmax_jacobian_matches_finite_differences_of_softmax(ref, seed, C):
    z = np.random.default_rng(seed).standard_normal(C) * 3
    numeric = np.empty((C, C))
    for j in range(C):
        step = np.zeros(C)
        step[j] = 1e-5
        plus = np.exp(log_softmax((z + step)[None]))[0]
        minus = np.exp(log_softmax((z - step)[None]))[0]
        numeric[:, j] = (plus - minus) / 2e-5
    jacobian = ref.softmax_jacobian(z)
    assert jacobian.shape == (C, C)
    assert rel_err(jacobian, numeric) < TOL or np.abs(jacobian - numeric).max() < 1e-10
    assert np.allclose(jacobian.sum(axis=1), 0.0, atol=1e-15)


@pytest.mark.parametrize("seed", SEEDS)
def test_d_sigmoid_matches_finite_differences_of_sigmoid(ref, seed):
    Z = np.random.default_rng(seed).standard_normal((4, 6)) * 3
    numeric = (logistic(Z + 1e-5) - logistic(Z - 1e-5)) / 2e-5
    assert rel_err(ref.d_sigmoid(Z), numeric) < TOL


def test_sigmoid_is_exact_and_finite_at_plus_minus_1000(ref):
    Z = np.array([[-1000.0, -40.0, -1.0, 0.0, 1.0, 40.0, 1000.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = ref.sigmoid(Z)
    assert np.all(np.isfinite(out))
    assert np.allclose(out, logistic(Z), rtol=1e-14, atol=0)


def test_softmax_is_finite_and_exact_for_logits_near_plus_minus_1000(ref):
    Z = np.array([[1000.0, 999.0, 998.0], [-1000.0, -999.0, -998.0], [1000.0, -1000.0, 0.0]])
    with np.errstate(over="raise", invalid="raise"):
        S = ref.softmax(Z)
    assert np.all(np.isfinite(S))
    small = np.exp(log_softmax(np.array([[0.0, -1.0, -2.0]])))[0]
    assert np.allclose(S[0], small, rtol=1e-15, atol=0)
    assert np.allclose(S[1], small[::-1], rtol=1e-15, atol=0)
    assert S[2].tolist() == [1.0, 0.0, 0.0]
    assert np.allclose(S.sum(axis=1), 1.0, rtol=0, atol=1e-15)


@pytest.mark.parametrize("seed", SEEDS)
def test_batch_gradient_is_the_mean_of_per_example_gradients(ref, seed):
    X, Y, W1, b1, W2, b2 = problem(seed, 7, 5, 3, 4)
    batch = ref.backprop(X, Y, W1, b1, W2, b2)
    singles = [ref.backprop(X[n : n + 1], Y[n : n + 1], W1, b1, W2, b2) for n in range(len(X))]
    for name in batch:
        mean = np.mean([g[name] for g in singles], axis=0)
        assert np.allclose(batch[name], mean, rtol=1e-12, atol=1e-15)


def test_cross_entropy_is_a_float_equal_to_the_definition(ref):
    X, Y, W1, b1, W2, b2 = problem(3, 7, 5, 3, 4)
    Z2 = logistic(X @ W1 + b1) @ W2 + b2
    value = ref.cross_entropy(np.exp(log_softmax(Z2)), Y)
    assert isinstance(value, float)
    assert abs(value - mean_ce_from_logits(Z2, Y)) < 1e-12


def test_numerical_gradient_restores_x_exactly(ref):
    rng = np.random.default_rng(5)
    # Most of these values change in their last bit under "+= eps, -= 2 eps, += eps", so
    # only saving and assigning back passes.
    x = rng.standard_normal((3, 4))
    assert not np.array_equal(((x + 1e-5) - 2e-5) + 1e-5, x)
    before = x.copy()
    A = rng.standard_normal((3, 4))
    grad = ref.numerical_gradient(lambda: float(np.sum(np.sin(x) * A)), x)
    assert x.tobytes() == before.tobytes()
    assert rel_err(grad, np.cos(x) * A) < 1e-6


def test_relative_error_definition(ref):
    assert ref.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert ref.relative_error(np.array([1.0, 0.0]), np.array([-1.0, 0.0])) == 1.0
    a, b = np.array([3.0, 4.0]), np.array([3.0, 4.5])
    assert abs(ref.relative_error(a, b) - 0.5 / (5.0 + np.hypot(3, 4.5))) < 1e-15


def test_gradient_check_is_small_and_leaves_parameters_unchanged(ref):
    X, Y, W1, b1, W2, b2 = problem(4, 7, 5, 3, 4)
    copies = [a.copy() for a in (W1, b1, W2, b2)]
    errors = ref.gradient_check(X, Y, W1, b1, W2, b2)
    assert set(errors) == {"W1", "b1", "W2", "b2"}
    assert all(isinstance(e, float) and 0 <= e < 1e-6 for e in errors.values())
    for original, copy in zip((W1, b1, W2, b2), copies):
        assert original.tobytes() == copy.tobytes()


def test_initialize_parameters_follows_the_contract(ref):
    params = ref.initialize_parameters([6, 4, 3, 1], seed=7)
    rng = np.random.default_rng(7)
    assert list(params) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    for layer, (n_in, n_out) in enumerate([(6, 4), (4, 3), (3, 1)], start=1):
        assert np.array_equal(params[f"W{layer}"], rng.standard_normal((n_in, n_out)) / np.sqrt(n_in))
        assert np.array_equal(params[f"b{layer}"], np.zeros((1, n_out)))


@pytest.mark.parametrize("sizes", [[5, 1], [5, 4, 3, 3, 1], [5, 4], [5, 4, 3, 3, 4]], ids=str)
@pytest.mark.parametrize("seed", SEEDS)
def test_backward_n_matches_finite_differences(ref, sizes, seed):
    """1-unit sigmoid and softmax outputs, with 2 and 4 layers (counting the output)."""
    rng = np.random.default_rng(seed)
    N = 7
    X = rng.standard_normal((N, sizes[0]))
    if sizes[-1] == 1:
        Y = rng.integers(0, 2, size=(N, 1)).astype(np.float64)
    else:
        Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=N)]
    params = ref.initialize_parameters(sizes, seed=seed)
    for key in params:
        if key.startswith("b"):
            params[key] = params[key] + 0.1 * rng.standard_normal(params[key].shape)
    Y_hat, cache = ref.forward_n(X, params)
    assert abs(ref.cost_n(Y_hat, Y) - n_layer_loss(X, Y, params)) < 1e-12
    grads = ref.backward_n(Y, params, cache)
    assert set(grads) == set(params)
    for key, array in params.items():
        error = check_gradient(lambda: n_layer_loss(X, Y, params), array, grads[key], rng)
        assert error < TOL, f"{key}: {error:.2e}"


def test_forward_n_cache_has_every_layer(ref):
    params = ref.initialize_parameters([5, 4, 3], seed=1)
    X = np.random.default_rng(0).standard_normal((2, 5))
    Y_hat, cache = ref.forward_n(X, params)
    assert set(cache) == {"A0", "Z1", "A1", "Z2", "A2"}
    assert cache["A2"] is Y_hat and np.allclose(Y_hat.sum(axis=1), 1.0)


def test_update_leaves_its_inputs_unchanged(ref):
    params = ref.initialize_parameters([3, 2, 1], seed=2)
    grads = {k: np.ones_like(v) for k, v in params.items()}
    before = {k: v.copy() for k, v in params.items()}
    new = ref.update(params, grads, 0.5)
    for key in params:
        assert np.array_equal(params[key], before[key])
        assert np.array_equal(grads[key], np.ones_like(before[key]))
        assert np.array_equal(new[key], before[key] - 0.5)


def test_fit_records_the_cost_before_each_step_and_predict_returns_int_labels(ref):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((20, 4))
    Y = (X[:, :1] > 0).astype(np.float64)
    params, costs = ref.fit(X, Y, [4, 3, 1], learning_rate=0.5, iterations=30, seed=2)
    assert len(costs) == 30 and all(isinstance(c, float) for c in costs)
    start = ref.initialize_parameters([4, 3, 1], seed=2)
    assert abs(costs[0] - n_layer_loss(X, Y, start)) < 1e-12
    assert costs[-1] < costs[0]
    labels = ref.predict(X, params)
    assert labels.shape == (20,) and labels.dtype == np.int64
