# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Modular layers: forward and backward pairs, in numpy
#
# The backprop homework wrote one network's gradient out by hand. Here you write layers you
# can stack: each one is a pair of functions, a *forward* that computes its output and keeps
# what it will need later in a *cache*, and a *backward* that takes the gradient arriving from
# above plus that cache and returns the gradients of its inputs. A network is then a list of
# layers run forward, a loss, and the same list run backward.
#
# **The contract (what the grader calls).** One example per row; weights are (n_in, n_out),
# biases (1, n_out); every array is float64 unless it says int64. Labels are integer class
# indices, a flat (N,) int64 array, never one-hot. `dout` is always the gradient of the loss
# with respect to the function's output, with the output's shape.
#
# | # | function | arguments | returns |
# |---|---|---|---|
# | 1 | `affine_forward(X, W, b)` | X (N, D), W (D, M), b (1, M) | `(out, cache)`: out (N, M) = X @ W + b; cache = the tuple `(X, W, b)` |
# | 2 | `affine_backward(dout, cache)` | dout (N, M), cache from `affine_forward` | `(dX, dW, db)`: (N, D), (D, M), (1, M) |
# | 3 | `sigmoid_forward(Z)` | Z any shape | `(S, cache)`: S = sigmoid(Z), Z's shape, no overflow at +-1000; cache = S |
# | 4 | `sigmoid_backward(dout, cache)` | dout and cache (= S) of one shape | dZ, that shape |
# | 5 | `relu_forward(Z)` | Z any shape | `(A, cache)`: A = max(Z, 0); cache = Z |
# | 6 | `relu_backward(dout, cache)` | dout and cache (= Z) of one shape | dZ: dout where Z > 0, else 0 (also at Z = 0 exactly) |
# | 7 | `softmax_loss(scores, y)` | scores (N, C), y (N,) int64 in 0..C-1 | `(loss, dscores)`: float mean cross-entropy of softmax(scores), (N, C) |
# | 8 | `logistic_loss(scores, y)` | scores (N, 1), y (N,) int64 in {0, 1} | `(loss, dscores)`: float mean binary cross-entropy of sigmoid(scores), (N, 1) |
# | 9 | `chain_backward_loop(x, w, y)` | x (N,), w (K,), y (N,) | G (N, K): G[n, k] = dL_n / dw_k, computed with a Python loop over n |
# | 10 | `chain_backward(x, w, y)` | x (N,), w (K,), y (N,) | g (K,): the gradient of the mean of the L_n, without a loop over n |
# | 11 | `he_init(layer_sizes, seed=0)` | list of widths incl. the input | `{"W1": (n0, n1), "b1": (1, n1), ..., "bL": (1, nL)}` |
# | 12 | `mlp_loss(params, X, y)` | params as from `he_init`, X (N, n0), y (N,) int64 | `(loss, grads)`: float, a dict of params' keys and shapes |
# | 13 | `sgd_step(params, grads, learning_rate)` | two dicts of one set of keys, a float | a new dict params - learning_rate * grads |
# | 14 | `make_circles(N, noise=0.1, seed=0)` | ints and a float | `(X, y)`: (N, 2) float64, (N,) int64 |
# | 15 | `train_sgd(X, y, layer_sizes, learning_rate=0.5, epochs=20, batch_size=32, seed=0)` | X (N, n0), y (N,) int64 | `(params, losses)`: a dict as from `he_init`, a list of floats, one per step |
#
# **Rules the grader relies on.** Return exactly the types and shapes above (a tuple where it
# says tuple, a Python or numpy float where it says float). Never change an argument in place:
# copy before you modify. Each function may be called on its own in a fresh process, so none
# may read a global set by another cell. Each backward function is graded on its own with
# correct inputs; `mlp_loss` and `train_sgd` are graded as wholes, so they lose points too when
# a layer they call is wrong. Where a recipe is stated (the random draws of `he_init`,
# `make_circles` and `train_sgd`) the grader expects it exactly, number for number.
#
# **How this file works.** Every graded function sits at the top level. Training runs, plots and
# timings sit under `if __name__ == "__main__":`, which is true in Jupyter and false when the
# grader loads your file, so grading never trains anything. Keep your own experiments under the
# same guard. Until the functions a cell needs are written, the cell prints which one to write
# first and moves on, so Run All works at any stage. The "Check Part" cells run the public checks on your functions as they are now
# (no need to save), with numpy alone, from the `checks/` folder of the homework (keep it next
# to this notebook).

# %%
import contextlib
import traceback

import numpy as np


def run_public_checks(functions):
    """Run the public checks on these functions as they are now (not graded)."""
    import os
    import sys

    checks = os.path.join(os.path.dirname(os.path.abspath(globals().get("__file__", "modular_layers.ipynb"))), "checks")
    if os.path.isdir(checks) and checks not in sys.path:
        sys.path.insert(0, checks)  # the public checks shipped with the homework (numpy only)
    try:
        from autograder import check
    except ImportError:
        print("The checks/ folder of the homework is missing: put it next to this notebook.")
        return None
    return check(globals(), functions, homework="modular_layers")


@contextlib.contextmanager
def skip_if_not_written():
    """Not graded: the guard of the cells that train, time and plot (`with skip_if_not_written():`).

    If the block reaches a function that still raises NotImplementedError, print which one to
    write first and skip the rest of the block; if it needs a variable that a skipped cell
    above did not set, say so. Any other error is shown as usual.
    """
    try:
        yield
    except NotImplementedError as error:
        name = traceback.extract_tb(error.__traceback__)[-1].name
        print(f"Skipped: write {name} first, then run this cell again.")
    except NameError as error:
        if traceback.extract_tb(error.__traceback__)[-1].name != "<module>":
            raise  # raised inside one of your functions: a bug to see, not to skip
        print(f"Skipped: {error}, because a cell above was skipped.")


# %% [markdown]
# ## Part 1: layers as forward/backward pairs
#
# ### The affine layer
#
# `out = X @ W + b` maps each row of X (D numbers) to M numbers. Going backward we receive
# `dout`, the gradient of the loss L with respect to `out`, and need the gradients with respect
# to the three inputs. Every entry `out[n, m] = sum_d X[n, d] W[d, m] + b[0, m]`, so
#
# * `dX = dout @ W.T`: row n of X touched every output of row n, through the weights of W;
# * `dW = X.T @ dout`: W[d, m] met every row's X[n, d] on its way to out[n, m], a sum over n;
# * `db = dout.sum(axis=0, keepdims=True)`: the bias was added to every row.
#
# Each gradient has its variable's shape, and there is exactly one product of the arrays at
# hand with that shape; when in doubt, write the shapes down. The forward pass keeps
# `(X, W, b)` as its cache because the backward pass needs X (for dW) and W (for dX).

# %%
def affine_forward(X, W, b):
    """Affine layer: out = X @ W + b.

    X: (N, D), W: (D, M), b: (1, M). Returns (out, cache): out (N, M), cache = (X, W, b).
    """
    raise NotImplementedError("replace this line with your code")


def affine_backward(dout, cache):
    """Gradients of the affine layer.

    dout: (N, M) upstream gradient dL/dout; cache: (X, W, b) from affine_forward.
    Returns (dX, dW, db) with shapes (N, D), (D, M), (1, M).
    """
    raise NotImplementedError("replace this line with your code")


# %% [markdown]
# ### Sigmoid and ReLU layers
#
# Elementwise layers have elementwise backward passes: `dZ = dout * f'(Z)`, entry by entry.
#
# * **Sigmoid.** $\sigma'(z) = \sigma(z)(1 - \sigma(z))$ needs only the output, so the cache is
#   S = sigmoid(Z) itself, not Z. The backward pass must therefore not apply the sigmoid again:
#   it already holds the activations. For z = +-1000 keep every exponent non-positive (use
#   `exp(-|z|)`), as in the backprop homework.
# * **ReLU.** $\max(z, 0)$ has derivative 1 where z > 0 and 0 where z < 0. At z = 0 exactly it
#   has no derivative; we use 0 there (a choice, the usual one). The cache is Z, and the mask
#   comes from Z, never from `dout` (whose sign has nothing to do with the unit being active).

# %%
def sigmoid_forward(Z):
    """Sigmoid layer. Z: any shape. Returns (S, cache) with S = 1 / (1 + exp(-Z)) (Z's shape,
    no overflow or nan at +-1000) and cache = S."""
    raise NotImplementedError("replace this line with your code")


def sigmoid_backward(dout, cache):
    """dL/dZ of the sigmoid layer. dout: upstream gradient; cache: S = sigmoid(Z) from
    sigmoid_forward. Returns an array of dout's shape."""
    raise NotImplementedError("replace this line with your code")


def relu_forward(Z):
    """ReLU layer. Z: any shape. Returns (A, cache) with A = max(Z, 0) and cache = Z."""
    raise NotImplementedError("replace this line with your code")


def relu_backward(dout, cache):
    """dL/dZ of the ReLU layer. dout: upstream gradient; cache: Z from relu_forward.
    Returns dout where Z > 0 and 0 elsewhere (0 at Z == 0 too), dout's shape."""
    raise NotImplementedError("replace this line with your code")


# %% [markdown]
# ## Part 2: losses that return their own gradient
#
# A loss layer ends the forward pass and starts the backward one, so it returns both:
# `(loss, dscores)`, the mean loss over the N rows and its gradient with respect to the scores.
# The labels are class indices y (N,), not one-hot rows.
#
# **Softmax cross-entropy.** With $p = \mathrm{softmax}(s)$ for one row, the row's loss is
# $-\log p_{y}$ and its gradient is $p - e_{y}$: the probabilities, with 1 taken off at the
# true class. In numpy that is `p[np.arange(N), y] -= 1` (both index arrays are needed: `p[y]`
# alone picks whole rows). The mean over N rows divides both the loss and the gradient by N.
# Compute the log-probabilities from scores shifted by each row's maximum, so a score of 1000
# never reaches `exp`.
#
# **Logistic loss** is the one-output case: $p = \sigma(s)$ is the probability of class 1,
# the loss is $-[y \log p + (1 - y)\log(1 - p)]$, and the gradient with respect to s is again
# prediction minus truth, $\sigma(s) - y$. Written as $\log(1 + e^{s}) - y s$ the loss is safe
# for large |s| with `np.logaddexp(0, s)`. Mind the shapes: scores are (N, 1) and y is (N,), so
# `scores - y` would broadcast to (N, N); reshape y to a column first.

# %%
def softmax_loss(scores, y):
    """Mean softmax cross-entropy and its gradient.

    scores: (N, C), y: (N,) int64 class indices in 0..C-1.
    Returns (loss, dscores): a float, and (N, C) = dloss/dscores. Stable for scores of +-1000.
    """
    raise NotImplementedError("replace this line with your code")


def logistic_loss(scores, y):
    """Mean binary cross-entropy of sigmoid(scores) and its gradient.

    scores: (N, 1), y: (N,) int64 in {0, 1}.
    Returns (loss, dscores): a float, and (N, 1) = dloss/dscores. Stable for scores of +-1000.
    """
    raise NotImplementedError("replace this line with your code")


# %% [markdown]
# **Check Parts 1 and 2.** Run the cell below (no need to save).

# %%
if __name__ == "__main__":
    run_public_checks(["affine_forward", "affine_backward", "sigmoid_forward", "sigmoid_backward",
                       "relu_forward", "relu_backward", "softmax_loss", "logistic_loss"])

# %% [markdown]
# ## Part 3: the chain rule as a product
#
# Take the smallest deep network there is: K scalar units in a row, each with one weight.
# For one example (x_n, y_n):
#
# $$a_0 = x_n,\qquad z_k = w_k a_{k-1},\qquad a_k = \sigma(z_k)\ (k = 1..K),\qquad
#   L_n = \tfrac12 (a_K - y_n)^2.$$
#
# Every quantity is a number, so the chain rule is a plain product of local derivatives:
#
# $$\frac{\partial L_n}{\partial w_k} = (a_K - y_n)\,
#   \Big[\prod_{j=k+1}^{K} \sigma'(z_j)\, w_j\Big]\ \sigma'(z_k)\, a_{k-1},
#   \qquad \sigma'(z_j) = a_j (1 - a_j).$$
#
# Read it from the loss down: the error $a_K - y_n$, times, for every unit above unit k, how
# much its output moves when its input moves ($\sigma'(z_j) w_j$), times how much unit k's
# output moves when its own weight moves ($\sigma'(z_k) a_{k-1}$). Each $\sigma'$ is at most
# 1/4, so a long product of them shrinks fast: the vanishing gradient, visible in one line.
#
# Backward, the product is built one factor at a time: keep `g = dL/da_k`, start with
# `g = a_K - y_n`, and for k = K down to 1 record `g * a_k (1 - a_k) * a_{k-1}` as the gradient of
# w_k, then multiply g by `a_k (1 - a_k) w_k` to pass it to the unit below.
#
# `chain_backward_loop` does this for one example at a time in a Python loop and returns every
# example's gradient, a row each. `chain_backward` returns the gradient of the mean loss
# $\frac1N \sum_n L_n$: the mean of those rows. Write it without a loop over n, with every
# scalar above replaced by an (N,) array (the loop over the K units stays); the cell after them
# times the two.

# %%
def chain_backward_loop(x, w, y):
    """Per-example gradients of L_n = (a_K - y_n)^2 / 2 for a chain of K sigmoid units.

    x: (N,) inputs, w: (K,) weights, y: (N,) targets. a_0 = x[n], a_k = sigmoid(w[k-1] a_{k-1})
    (w[0] is the first unit's weight). Returns G (N, K) with G[n, k-1] = dL_n / dw_k, computed
    example by example with a Python loop over n.
    """
    raise NotImplementedError("replace this line with your code")


def chain_backward(x, w, y):
    """Gradient of the mean loss (1/N) sum_n L_n of chain_backward_loop, vectorised over n.

    x: (N,), w: (K,), y: (N,). Returns g (K,) with g[k-1] = d mean(L) / dw_k.
    """
    raise NotImplementedError("replace this line with your code")


# %%
if __name__ == "__main__":
    with skip_if_not_written():
        import time

        rng = np.random.default_rng(0)
        x_chain = rng.standard_normal(2000)
        y_chain = rng.random(2000)
        w_chain = rng.standard_normal(8) * 2.0
        start = time.perf_counter()
        G = chain_backward_loop(x_chain, w_chain, y_chain)
        loop_seconds = time.perf_counter() - start
        start = time.perf_counter()
        g = chain_backward(x_chain, w_chain, y_chain)
        vector_seconds = time.perf_counter() - start
        print(f"loop {loop_seconds * 1e3:.1f} ms, vectorised {vector_seconds * 1e3:.2f} ms; "
              f"same gradient: {np.allclose(G.mean(axis=0), g)}")
        print("mean |dL/dw_k| from the first unit to the last:", np.round(np.abs(G).mean(axis=0), 5))

# %% [markdown]
# **Check Part 3.** Run the cell below (no need to save).

# %%
if __name__ == "__main__":
    run_public_checks(["chain_backward_loop", "chain_backward"])

# %% [markdown]
# ## Part 4: a ReLU network trained with mini-batch SGD
#
# **He initialisation.** A ReLU zeroes about half of its inputs, so a layer's output has about
# half the second moment of its input. To keep the size of the activations steady through
# many layers, draw the weights with variance $2 / n_{in}$ instead of the $1 / n_{in}$ that
# suits the sigmoid: `rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in)`, biases zero.
# Use one `rng = np.random.default_rng(seed)` for the whole network and draw W1, then W2, and
# so on, each of shape (n_in, n_out) as drawn (not drawn (n_out, n_in) and transposed).
#
# **The network** stacks `affine -> relu` for every hidden layer and a last `affine` whose
# scores go to `softmax_loss`. `mlp_loss` runs it forward, keeping every cache, then walks
# back: `affine_backward` of the loss's `dscores`, then `relu_backward` and `affine_backward`
# for each hidden layer, from the top down.
#
# **Mini-batch SGD.** `sgd_step` returns a new dict `params - learning_rate * grads` and leaves
# both inputs alone. `train_sgd` starts from `he_init(layer_sizes, seed)` and makes one
# `rng = np.random.default_rng(seed + 1)` for the shuffles; each epoch draws
# `order = rng.permutation(N)` and takes consecutive batches `order[i:i + batch_size]`, the last
# one smaller when batch_size does not divide N (it is kept). Before each step it records the
# batch's loss, so `losses` has `epochs * ceil(N / batch_size)` entries.
#
# **The data** are two noisy concentric circles, a set no straight line separates:
# `make_circles` labels the points alternately (`y = np.arange(N) % 2`), draws the angles
# `rng.uniform(0, 2 * np.pi, N)` first, puts class 0 on radius 1.0 and class 1 on radius 0.5,
# and then adds `noise * rng.standard_normal((N, 2))`, all from one `default_rng(seed)`.

# %%
def he_init(layer_sizes, seed=0):
    """He-initialised parameters for a ReLU network.

    layer_sizes: widths [n0, n1, ..., nL] including the input. One rng = default_rng(seed);
    W_l = rng.standard_normal((n_{l-1}, n_l)) * sqrt(2 / n_{l-1}) in order l = 1..L, b_l zeros.
    Returns {"W1": (n0, n1), "b1": (1, n1), ..., "WL": (n_{L-1}, nL), "bL": (1, nL)}.
    """
    raise NotImplementedError("replace this line with your code")


def mlp_loss(params, X, y):
    """Loss and gradients of an L-layer network: affine + ReLU hidden layers, an affine output
    layer and softmax_loss.

    params: {"W1", "b1", ..., "WL", "bL"} as from he_init; X: (N, n0); y: (N,) int64.
    Returns (loss, grads): a float, and a dict with the keys and shapes of params.
    """
    raise NotImplementedError("replace this line with your code")


def sgd_step(params, grads, learning_rate):
    """One gradient step: a new dict {key: params[key] - learning_rate * grads[key]};
    neither input dict nor its arrays are changed."""
    raise NotImplementedError("replace this line with your code")


def make_circles(N, noise=0.1, seed=0):
    """Two concentric noisy circles.

    One rng = default_rng(seed). y = arange(N) % 2 (int64); angles rng.uniform(0, 2 pi, N);
    radius 1.0 for y = 0 and 0.5 for y = 1; X = radius * (cos, sin) + noise *
    rng.standard_normal((N, 2)), drawn after the angles. Returns (X, y): (N, 2), (N,).
    """
    raise NotImplementedError("replace this line with your code")


def train_sgd(X, y, layer_sizes, learning_rate=0.5, epochs=20, batch_size=32, seed=0):
    """Mini-batch SGD on mlp_loss from he_init(layer_sizes, seed).

    X: (N, n0), y: (N,) int64. rng = default_rng(seed + 1); each epoch order = rng.permutation(N)
    and batches order[i:i + batch_size] for i = 0, batch_size, ... (the last one may be
    smaller). Returns (params, losses): losses[i] is the batch loss before step i, one per
    step, epochs * ceil(N / batch_size) in all.
    """
    raise NotImplementedError("replace this line with your code")


# %% [markdown]
# **Check Part 4.** Run the cell below (no need to save).

# %%
if __name__ == "__main__":
    run_public_checks(["he_init", "mlp_loss", "sgd_step", "make_circles", "train_sgd"])

# %% [markdown]
# ### Logistic regression is a one-layer network
#
# An affine layer with one output followed by the logistic loss is logistic regression. The
# cell below trains it on the shipped MNIST subset to tell fives (0) from eights (1): the
# forward pass is `affine_forward` then `logistic_loss`, the backward pass is `affine_backward`
# of the returned `dscores`, and each step is `sgd_step`. No hidden layer, 785
# parameters; it reaches about 94 % test accuracy, close to the 784-196-1 sigmoid network of
# the backprop homework (95 %).

# %%
def find_data_dir():
    """The folder holding mnist.py and the IDX files: ./data, else ../data, else ../../data."""
    from pathlib import Path

    for candidate in (Path("data"), Path("..") / "data", Path("..") / ".." / "data"):
        if (candidate / "mnist.py").exists():
            return candidate.resolve()
    raise FileNotFoundError("cannot find data/mnist.py next to this notebook or above it")


def logistic_regression(X, y, learning_rate=0.5, iterations=300):
    """Full-batch gradient descent on affine_forward + logistic_loss from zero weights.
    X: (N, D), y: (N,) in {0, 1}. Returns (params, losses)."""
    params = {"W1": np.zeros((X.shape[1], 1)), "b1": np.zeros((1, 1))}
    losses = []
    for _ in range(iterations):
        scores, cache = affine_forward(X, params["W1"], params["b1"])
        loss, dscores = logistic_loss(scores, y)
        _, dW, db = affine_backward(dscores, cache)
        losses.append(loss)
        params = sgd_step(params, {"W1": dW, "b1": db}, learning_rate)
    return params, losses


def mnist_logistic_accuracy(iterations=300, learning_rate=0.5):
    """Train logistic regression on MNIST 5 vs 8 (the shipped subset); (train, test) accuracy."""
    import sys

    sys.path.insert(0, str(find_data_dir()))
    from mnist import load_mnist

    X_train, labels_train = load_mnist("train", digits=(5, 8))
    X_test, labels_test = load_mnist("test", digits=(5, 8))
    y_train = (labels_train == 8).astype(np.int64)
    y_test = (labels_test == 8).astype(np.int64)
    params, _ = logistic_regression(X_train, y_train, learning_rate, iterations)

    def accuracy(X, y):
        scores, _ = affine_forward(X, params["W1"], params["b1"])
        return float(np.mean((scores[:, 0] > 0).astype(np.int64) == y))

    return accuracy(X_train, y_train), accuracy(X_test, y_test)


if __name__ == "__main__":
    with skip_if_not_written():
        train_accuracy, test_accuracy = mnist_logistic_accuracy()
        print(f"logistic regression, MNIST 5 vs 8: train accuracy {train_accuracy:.3f}, test accuracy {test_accuracy:.3f}")

# %% [markdown]
# ### Circles: what the hidden layers learn
#
# A 2-16-16-2 ReLU network separates the two circles in a few dozen epochs. The first plot
# shows the decision boundary (the class the network picks at every point of the plane); the
# animation follows the 16 activations of the second hidden layer for every training point,
# projected onto the two directions along which they vary most at the end of training. At
# first the two classes are mixed; training pulls them apart until a straight line, which is
# all the last affine layer can draw, separates them.
#
# `train_sgd` with the same seed and `epochs=e` runs exactly the first e epochs of a longer
# run (its shuffles come from one rng in order), so the snapshots below are just shorter runs.

# %%
def predict_classes(params, X):
    """The class with the highest score for every row of X: (N,) int64."""
    L = sum(1 for key in params if key.startswith("W"))
    A = X
    for layer in range(1, L):
        A = np.maximum(A @ params[f"W{layer}"] + params[f"b{layer}"], 0.0)
    return np.argmax(A @ params[f"W{L}"] + params[f"b{L}"], axis=1).astype(np.int64)


def hidden_representation(params, X):
    """The last hidden layer's ReLU activations for every row of X."""
    L = sum(1 for key in params if key.startswith("W"))
    A = X
    for layer in range(1, L):
        A = np.maximum(A @ params[f"W{layer}"] + params[f"b{layer}"], 0.0)
    return A


CIRCLES = {"N": 400, "noise": 0.1, "seed": 0, "layer_sizes": [2, 16, 16, 2], "learning_rate": 0.2,
           "epochs": 60, "batch_size": 32}


if __name__ == "__main__":
    with skip_if_not_written():
        import matplotlib.pyplot as plt

        X_circles, y_circles = make_circles(CIRCLES["N"], CIRCLES["noise"], CIRCLES["seed"])
        circle_params, circle_losses = train_sgd(
            X_circles, y_circles, CIRCLES["layer_sizes"], CIRCLES["learning_rate"], CIRCLES["epochs"],
            CIRCLES["batch_size"], seed=0,
        )
        print(f"circles: training accuracy {np.mean(predict_classes(circle_params, X_circles) == y_circles):.3f}")
        grid = np.linspace(-1.6, 1.6, 200)
        gx, gy = np.meshgrid(grid, grid)
        regions = predict_classes(circle_params, np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
        left.contourf(gx, gy, regions, levels=[-0.5, 0.5, 1.5], colors=["#cfe0f5", "#f7d9c4"])
        left.scatter(*X_circles.T, c=y_circles, cmap="coolwarm", s=8)
        left.set_aspect("equal")
        left.set_title("decision boundary, 2-16-16-2 ReLU")
        right.plot(circle_losses)
        right.set_xlabel("step")
        right.set_ylabel("batch loss")
        plt.show()

# %% [markdown]
# The animation: one frame per epoch, the second hidden layer's 16 activations of every
# training point projected onto a fixed 2-D basis (the two main directions of the final
# activations, so the axes do not jump between frames). It is written to
# `circles_hidden.gif` next to the notebook.

# %%
def hidden_layer_frames(X, y, settings=CIRCLES, every=2):
    """The last hidden layer's activations of X after epochs 0, every, 2 * every, ..., projected
    onto the two principal directions of the final epoch's activations: [(epoch, (N, 2) array)]."""
    epochs = list(range(0, settings["epochs"] + 1, every))
    snapshots = [
        train_sgd(X, y, settings["layer_sizes"], settings["learning_rate"], e, settings["batch_size"], seed=0)[0]
        for e in epochs
    ]
    final = hidden_representation(snapshots[-1], X)
    center = final.mean(axis=0)
    _, _, Vt = np.linalg.svd(final - center, full_matrices=False)
    basis = Vt[:2].T
    return [(e, (hidden_representation(p, X) - center) @ basis) for e, p in zip(epochs, snapshots)]


def save_hidden_animation(X, y, path, settings=CIRCLES):
    """Write a GIF of hidden_layer_frames to path (matplotlib's PillowWriter)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation, PillowWriter

    frames = hidden_layer_frames(X, y, settings)
    everything = np.concatenate([points for _, points in frames])
    low, high = everything.min(axis=0), everything.max(axis=0)
    margin = 0.05 * (high - low)
    fig, axis = plt.subplots(figsize=(4, 4), dpi=80)
    points = axis.scatter(*frames[0][1].T, c=y, cmap="coolwarm", s=6)
    axis.set_xlim(low[0] - margin[0], high[0] + margin[0])
    axis.set_ylim(low[1] - margin[1], high[1] + margin[1])
    axis.set_xlabel("principal direction 1")
    axis.set_ylabel("principal direction 2")
    title = axis.set_title("")

    def show(index):
        epoch, projected = frames[index]
        points.set_offsets(projected)
        title.set_text(f"second hidden layer, epoch {epoch}")
        return points, title

    animation = FuncAnimation(fig, show, frames=len(frames), blit=False)
    animation.save(path, writer=PillowWriter(fps=5))
    plt.close(fig)
    return path


if __name__ == "__main__":
    with skip_if_not_written():
        save_hidden_animation(X_circles, y_circles, "circles_hidden.gif")
        print("wrote circles_hidden.gif")
