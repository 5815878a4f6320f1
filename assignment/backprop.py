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
# # Backpropagation by hand, in numpy
#
# In this homework you build the gradient of a small neural network one step of the chain
# rule at a time, check every step against finite differences, and then generalise it to a
# network with any number of layers that learns to tell handwritten fives from eights.
#
# **How this file works.** This notebook and `backprop.py` are the same file: every function
# you write lives at the top level, and the cells that train networks or draw plots sit under
# `if __name__ == "__main__":`. That condition is true when you run a cell in Jupyter and false
# when the grader runs your file. The grader runs your imports, functions, classes, constants
# and any top-level value a graded function reads; it skips training, prints, plots and
# experiments (its report lists them), so grading never trains anything. Keep your own
# experiments under the same guard.
#
# **Conventions used everywhere.** One example per row: a batch of N inputs is an (N, D) array.
# Weights are (n_in, n_out), biases are (1, n_out), so a layer computes `Z = A @ W + b` and the
# bias row is broadcast down the N rows. All arrays are float64. `J` is the cost: the *mean*
# loss over the N rows of the batch.
#
# **Rules the grader relies on.** Return float64 numpy arrays of exactly the shapes stated in
# each docstring (a plain float where it says float). Never change an argument in place (the
# one exception is `numerical_gradient`, which must restore what it changes). Do not rely on
# global variables set by another cell: each function may be called on its own, in a fresh
# process. Each step of Part 2 is graded on its own with correct inputs, so a mistake in one
# step costs points only there (and in `backprop`, which calls all of them).
#
# **Checking your work.** From a terminal, `autograder check backprop.py` (or
# `autograder check backprop.ipynb`) runs the public checks and tells you, function by
# function, what is wrong and how to fix it. The hidden tests run the same kinds of checks on
# other inputs and also compare your values with the reference solution.

# %%
import numpy as np


def run_public_checks(functions):
    """Run `autograder check` on this file as last saved (not graded; see README.md)."""
    try:
        from autograder import check
    except ImportError:
        print("The grader package is not installed; see README.md for `autograder check`.")
        return None
    return check(globals().get("__file__", "backprop.ipynb"), functions)

# %% [markdown]
# ## The network
#
# The network reads a 28 x 28 grey image flattened to 784 numbers, passes it through a hidden
# layer of 200 sigmoid units, and ends in 10 softmax units, one per digit:
#
# $$Z_1 = X W_1 + b_1,\quad X_2 = \sigma(Z_1),\quad Z_2 = X_2 W_2 + b_2,\quad
#   \hat Y = \mathrm{softmax}(Z_2),\quad J = -\frac{1}{N}\sum_{n}\sum_{k} Y_{nk}\log \hat Y_{nk}.$$
#
# `Y` is one-hot: row n has a single 1 in the column of the true digit. Every quantity, and
# the gradient of J with respect to it, has the same shape:
#
# | quantity | shape | what it is |
# |---|---|---|
# | `X` | (N, 784) | the inputs, one image per row |
# | `W1` | (784, 200) | first-layer weights |
# | `b1` | (1, 200) | first-layer bias |
# | `Z1` | (N, 200) | hidden pre-activations |
# | `X2` | (N, 200) | hidden activations `sigmoid(Z1)` (the second layer's input) |
# | `W2` | (200, 10) | second-layer weights |
# | `b2` | (1, 10) | second-layer bias |
# | `Z2` | (N, 10) | output logits |
# | `Y_hat` | (N, 10) | predicted probabilities, each row sums to 1 |
# | `Y` | (N, 10) | one-hot labels |
# | `J` | scalar | mean cross-entropy |
#
# Writing D = 784, H = 200 and C = 10 keeps the code honest: nothing below may assume that
# any two of them are equal, and the grader tries small non-square sizes such as D = 5,
# H = 3, C = 4 to make sure.

# %% [markdown]
# ## Part 1: activations and loss
#
# ### The sigmoid and its derivative
#
# $\sigma(z) = 1 / (1 + e^{-z})$ squashes any real number into (0, 1). Its derivative has a
# neat form in terms of the function itself: $\sigma'(z) = \sigma(z)(1 - \sigma(z))$.
#
# Careful with large inputs: for z = -1000, `np.exp(-z)` overflows to `inf`. The answer
# `1 / (1 + inf) = 0` happens to come out right, but numpy warns, and the mirror-image
# formula `exp(z) / (1 + exp(z))` gives `inf / inf = nan` for z = +1000. A safe version uses
# `1 / (1 + exp(-z))` where z >= 0 and `exp(z) / (1 + exp(z))` where z < 0, so the
# exponent is never positive.

# %%
def sigmoid(Z):
    """Logistic function, elementwise.

    Z: array of any shape. Returns an array of Z's shape with entries in [0, 1],
    without overflow or nan for entries as large as +-1000.
    """
    raise NotImplementedError("replace this line with your code")


def d_sigmoid(Z):
    """Derivative of the sigmoid at the pre-activation Z, elementwise.

    Z: array of any shape (a pre-activation, not sigmoid(Z)). Returns Z's shape.
    """
    raise NotImplementedError("replace this line with your code")


# %% [markdown]
# ### Softmax and its Jacobian
#
# Softmax turns a row of C logits into C probabilities:
# $s_i = e^{z_i} / \sum_j e^{z_j}$. Adding the same constant to every logit of a row does
# not change the result, so subtract the row's maximum first: then the largest exponent is
# $e^0 = 1$ and nothing overflows, even for logits near 1000. Normalise **each row** on its
# own (`axis=1, keepdims=True`), never a column and never the whole array.
#
# Each output depends on every input, so the derivative of softmax is a C x C matrix, the
# Jacobian $\partial s_i / \partial z_j$:
#
# * for i = j: $\partial s_i/\partial z_i = s_i - s_i^2 = s_i(1 - s_i)$
# * for i != j: $\partial s_i/\partial z_j = -s_i s_j$
#
# Both cases in one formula: $\partial s_i/\partial z_j = s_i(\delta_{ij} - s_j)$, which in
# numpy is `np.diag(s) - np.outer(s, s)`. Its rows sum to zero: the probabilities always add
# to 1, so nudging any logit cannot change their total.

# %%
def softmax(Z):
    """Row-wise softmax.

    Z: (N, C) logits. Returns (N, C) probabilities; every row sums to 1, with no nan or
    inf for logits as large as +-1000.
    """
    raise NotImplementedError("replace this line with your code")


def softmax_jacobian(z):
    """Jacobian of softmax at a single logit vector.

    z: (C,) logits. Returns (C, C) with entry [i, j] = d s_i / d z_j = s_i (delta_ij - s_j).
    """
    raise NotImplementedError("replace this line with your code")


# %% [markdown]
# ### Cross-entropy, and why softmax + cross-entropy gives `Y_hat - Y`
#
# For one example with one-hot label y and prediction s = softmax(z), the loss is
# $\ell = -\sum_k y_k \log s_k$. The chain rule through the Jacobian gives
#
# $$\frac{\partial \ell}{\partial z_j} = \sum_k \frac{\partial \ell}{\partial s_k}
#   \frac{\partial s_k}{\partial z_j} = \sum_k \left(-\frac{y_k}{s_k}\right) s_k(\delta_{kj} - s_j)
#   = -y_j + s_j \sum_k y_k = s_j - y_j,$$
#
# because the labels of one example add up to 1. The $1/s_k$ from the logarithm cancels the
# $s_k$ from the Jacobian, and what is left is the prediction minus the truth. Row by row,
# that is `Y_hat - Y`: the gradient of each row's *own* loss with respect to its own logits.
# The cost J is the mean of N such losses, so its gradient carries an extra 1/N; that factor
# belongs to Part 2's `dJ_dZ2`, not here.

# %%
def cross_entropy(Y_hat, Y):
    """Mean cross-entropy of a batch.

    Y_hat: (N, C) predicted probabilities (every entry > 0). Y: (N, C) one-hot labels.
    Returns a float: the mean over the N rows of -sum_k Y[n, k] log Y_hat[n, k].
    """
    raise NotImplementedError("replace this line with your code")


def d_softmax(Y_hat, Y):
    """Gradient of each row's own cross-entropy loss with respect to that row's logits.

    Y_hat: (N, C) softmax outputs. Y: (N, C) one-hot labels. Returns (N, C): Y_hat - Y.
    """
    raise NotImplementedError("replace this line with your code")


# %% [markdown]
# **Check Part 1.** Save the notebook, then run the cell below: it runs the public checks
# on the saved file and says, function by function, what is wrong and how to fix it.

# %%
if __name__ == "__main__":
    run_public_checks(['sigmoid', 'd_sigmoid', 'softmax', 'softmax_jacobian', 'cross_entropy', 'd_softmax'])

# %% [markdown]
# ## Part 2: the two-layer network, one step of the chain rule at a time
#
# The forward pass computes four arrays; the backward pass walks the same path in reverse,
# and each step multiplies the gradient that arrives from above by the local derivative of
# one operation. With `dQ` short for $\partial J/\partial Q$ (the same shape as Q):
#
# | step | forward | backward | shapes |
# |---|---|---|---|
# | output | `Y_hat = softmax(Z2)`, J = mean CE | `dZ2 = (Y_hat - Y) / N` | (N, C) |
# | second layer, weights | `Z2 = X2 @ W2 + b2` | `dW2 = X2.T @ dZ2` | (H, N) @ (N, C) -> (H, C) |
# | second layer, bias | | `db2 = dZ2.sum(axis=0, keepdims=True)` | (1, C) |
# | second layer, input | | `dX2 = dZ2 @ W2.T` | (N, C) @ (C, H) -> (N, H) |
# | hidden activation | `X2 = sigmoid(Z1)` | `dZ1 = dX2 * sigmoid'(Z1)` | (N, H), elementwise |
# | first layer, weights | `Z1 = X @ W1 + b1` | `dW1 = X.T @ dZ1` | (D, N) @ (N, H) -> (D, H) |
# | first layer, bias | | `db1 = dZ1.sum(axis=0, keepdims=True)` | (1, H) |
#
# These are the four backprop equations, written for a batch:
#
# 1. the error at the output: $\delta_2 = \partial J/\partial Z_2 = (\hat Y - Y)/N$;
# 2. the error one layer down: $\delta_1 = (\delta_2 W_2^\top) \odot \sigma'(Z_1)$;
# 3. the weight gradient of a layer is its input transposed times its error: $X_2^\top \delta_2$,
#    $X^\top \delta_1$;
# 4. the bias gradient is its error summed over the rows: the bias is added to every row, so
#    every row's error flows back into it.
#
# **Matching shapes is the best debugging tool you have.** A weight gradient must have the
# weight's shape, and there is only one way to multiply the available arrays to get it. If you
# find yourself needing a transpose that the table does not have, or using `*` where the table
# has `@`, stop and recheck the shapes.
#
# **Why the batch gradient is the mean of the per-example gradients.** J is the mean of the N
# per-example losses, and differentiation is linear, so $\partial J/\partial W$ is the mean of
# the N per-example gradients. The matrix products above compute that sum for you: the entry
# [i, j] of `X2.T @ dZ2` is $\sum_n X2_{ni}\, dZ2_{nj}$, a sum over examples of each example's
# own outer product, and the 1/N already sits in `dZ2`. One `@` replaces a Python loop over the
# batch. The cell after `backprop` checks this numerically.

# %%
def forward(X, W1, b1, W2, b2):
    """Forward pass of the two-layer network.

    X: (N, D), W1: (D, H), b1: (1, H), W2: (H, C), b2: (1, C).
    Returns the tuple (Z1, X2, Z2, Y_hat) with shapes (N, H), (N, H), (N, C), (N, C).
    """
    raise NotImplementedError("replace this line with your code")


def dJ_dZ2(Y_hat, Y):
    """dJ/dZ2 for the mean cross-entropy J.

    Y_hat: (N, C), Y: (N, C) one-hot. Returns (N, C): (Y_hat - Y) / N. This is the only
    place the 1/N of the mean appears; the steps below use dZ2 as given.
    """
    raise NotImplementedError("replace this line with your code")


def dJ_dW2(X2, dZ2):
    """dJ/dW2, from Z2 = X2 @ W2 + b2.

    X2: (N, H) hidden activations, dZ2: (N, C) = dJ/dZ2. Returns (H, C).
    """
    raise NotImplementedError("replace this line with your code")


def dJ_db2(dZ2):
    """dJ/db2: the bias is added to every row, so its gradient sums dZ2 over the rows.

    dZ2: (N, C). Returns (1, C).
    """
    raise NotImplementedError("replace this line with your code")


def dJ_dX2(dZ2, W2):
    """dJ/dX2, the gradient passed down to the hidden layer.

    dZ2: (N, C), W2: (H, C). Returns (N, H).
    """
    raise NotImplementedError("replace this line with your code")


def dJ_dZ1(dX2, Z1):
    """dJ/dZ1, through the sigmoid X2 = sigmoid(Z1).

    dX2: (N, H) = dJ/dX2, Z1: (N, H) pre-activations. Returns (N, H).
    """
    raise NotImplementedError("replace this line with your code")


def dJ_dW1(X, dZ1):
    """dJ/dW1, from Z1 = X @ W1 + b1.

    X: (N, D) inputs, dZ1: (N, H) = dJ/dZ1. Returns (D, H).
    """
    raise NotImplementedError("replace this line with your code")


def dJ_db1(dZ1):
    """dJ/db1, summed over the rows like dJ_db2.

    dZ1: (N, H). Returns (1, H).
    """
    raise NotImplementedError("replace this line with your code")


def backprop(X, Y, W1, b1, W2, b2):
    """All four parameter gradients of the mean cross-entropy J.

    X: (N, D), Y: (N, C) one-hot, W1: (D, H), b1: (1, H), W2: (H, C), b2: (1, C).
    Returns {"W1": (D, H), "b1": (1, H), "W2": (H, C), "b2": (1, C)}.
    """
    raise NotImplementedError("replace this line with your code")


# %% [markdown]
# **Check Part 2.** Save the notebook, then run the cell below: it runs the public checks
# on the saved file and says, function by function, what is wrong and how to fix it.

# %%
if __name__ == "__main__":
    run_public_checks(['forward', 'dJ_dZ2', 'dJ_dW2', 'dJ_db2', 'dJ_dX2', 'dJ_dZ1', 'dJ_dW1', 'dJ_db1', 'backprop'])

# %% [markdown]
# The cell below checks the batch argument on a tiny random network: the gradient of the
# batch cost equals the average of the N gradients computed one example at a time.

# %%
def tiny_problem(N=7, D=5, H=3, C=4, seed=0):
    """A small random two-layer problem with non-square layers: (X, Y, W1, b1, W2, b2)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D))
    Y = np.eye(C)[rng.integers(0, C, size=N)]
    W1 = rng.standard_normal((D, H)) / np.sqrt(D)
    b1 = 0.1 * rng.standard_normal((1, H))
    W2 = rng.standard_normal((H, C)) / np.sqrt(H)
    b2 = 0.1 * rng.standard_normal((1, C))
    return X, Y, W1, b1, W2, b2


if __name__ == "__main__":
    X, Y, W1, b1, W2, b2 = tiny_problem()
    batch = backprop(X, Y, W1, b1, W2, b2)
    per_example = [backprop(X[n : n + 1], Y[n : n + 1], W1, b1, W2, b2) for n in range(len(X))]
    for name in batch:
        mean_of_examples = np.mean([g[name] for g in per_example], axis=0)
        print(f"{name}: largest difference {np.max(np.abs(batch[name] - mean_of_examples)):.1e}")

# %% [markdown]
# ## Part 3: gradient checking
#
# A derivative is a limit of difference quotients, so we can estimate any gradient without
# knowing its formula. The **central difference**
#
# $$\frac{\partial f}{\partial x_i} \approx \frac{f(x + \varepsilon e_i) - f(x - \varepsilon e_i)}{2\varepsilon}$$
#
# has an error that shrinks like $\varepsilon^2$, while the one-sided
# $(f(x + \varepsilon e_i) - f(x))/\varepsilon$ only shrinks like $\varepsilon$. With
# $\varepsilon = 10^{-5}$ the central difference is off by about $10^{-10}$ in smooth
# problems. Making $\varepsilon$ much smaller does not help: the two values of f then agree in
# almost all their digits and the subtraction throws away the rest (float64 keeps about 16),
# so rounding error, roughly $10^{-16}/\varepsilon$, takes over.
#
# `numerical_gradient` perturbs one entry of x at a time **in place**, calls f (which reads x),
# and must then put the entry back exactly. Save the old value and assign it back; adding and
# subtracting eps again can leave the last bit changed, and a grader that compares your
# parameters before and after will notice.
#
# To compare two gradients use the **relative error**
# $\|a - b\| / (\|a\| + \|b\|)$, which does not care whether the gradient is large or small.
# As a rough guide in float64: below $10^{-7}$ the analytic gradient is right; around
# $10^{-4}$ something is suspicious (or the function has a kink nearby); above $10^{-2}$ it is
# wrong. A gradient that is off by a constant factor such as N shows up as a relative error
# of $(N-1)/(N+1)$; one with the wrong sign shows up as exactly 1.
#
# Checking every entry costs two evaluations of f per entry, which is fine for a tiny network
# and far too slow at 784 x 200: check small problems, or a random sample of entries.

# %%
def numerical_gradient(f, x, eps=1e-5):
    """Central-difference gradient of a scalar function with respect to the array x.

    f: a function of no arguments returning a float that reads x; x: array of any shape,
    changed in place during the call and restored exactly. Returns an array of x's shape.
    """
    raise NotImplementedError("replace this line with your code")


def relative_error(a, b):
    """norm(a - b) / (norm(a) + norm(b)) with 2-norms of the flattened arrays; 0.0 if both are 0."""
    raise NotImplementedError("replace this line with your code")


def gradient_check(X, Y, W1, b1, W2, b2, eps=1e-5):
    """Compare backprop with numerical gradients of the mean cross-entropy.

    Arguments as for backprop. Returns {"W1": float, "b1": float, "W2": float, "b2": float},
    each the relative error between backprop's gradient and numerical_gradient's. Call your
    own backprop, and your own numerical_gradient on each parameter array as it is shaped
    (the grader checks that both were called, and plants errors through them). The parameters are
    left unchanged.
    """
    raise NotImplementedError("replace this line with your code")


if __name__ == "__main__":
    for name, error in gradient_check(*tiny_problem(seed=1)).items():
        print(f"relative error for {name}: {error:.2e}")

# %% [markdown]
# **Check Part 3.** Save the notebook, then run the cell below: it runs the public checks
# on the saved file and says, function by function, what is wrong and how to fix it.

# %%
if __name__ == "__main__":
    run_public_checks(['numerical_gradient', 'relative_error', 'gradient_check'])

# %% [markdown]
# ## Part 4: a network with any number of layers
#
# The same four equations work for L layers. Store the parameters in a dict
# `{"W1": ..., "b1": ..., "WL": ..., "bL": ...}` and the forward pass's arrays in a cache
# `{"A0": X, "Z1": ..., "A1": ..., "ZL": ..., "AL": Y_hat}`, with `Z_l = A_{l-1} @ W_l + b_l`.
# Hidden layers use the sigmoid. The output layer depends on the task:
#
# * **one output unit** (two classes, here "is it an 8?"): sigmoid, labels Y of shape (N, 1)
#   in {0, 1}, and the binary cross-entropy
#   $-\frac{1}{N}\sum_n \left[y_n \log \hat y_n + (1 - y_n)\log(1 - \hat y_n)\right]$;
# * **several output units**: softmax and the cross-entropy of Part 1, Y one-hot.
#
# Both pairs were chosen because the output gradient comes out the same:
# $\partial J/\partial Z_L = (A_L - Y)/N$ (work it out for the sigmoid: the
# $\hat y(1 - \hat y)$ from the sigmoid cancels the denominators from the logarithms). From
# there, for l = L down to 1:
#
# $$\frac{\partial J}{\partial W_l} = A_{l-1}^\top \frac{\partial J}{\partial Z_l},\qquad
#   \frac{\partial J}{\partial b_l} = \textstyle\sum_{\text{rows}} \frac{\partial J}{\partial Z_l},\qquad
#   \frac{\partial J}{\partial Z_{l-1}} = \left(\frac{\partial J}{\partial Z_l} W_l^\top\right)
#   \odot \sigma'(Z_{l-1}).$$
#
# **Initialisation.** Draw each weight from a standard normal divided by $\sqrt{n_{in}}$, the
# number of inputs to the layer, and start the biases at zero. A unit then sums $n_{in}$ terms
# of variance about $1/n_{in}$ each, so its pre-activation has variance near 1 whatever the
# width: large enough to break symmetry, small enough that the sigmoid is not saturated. Use
# exactly `rng = np.random.default_rng(seed)` and draw `W1` first, then `W2`, and so on, so
# that your initial parameters match the reference bit for bit.
#
# **Training** is full-batch gradient descent: every iteration runs the forward pass on all N
# training examples, records the cost, computes the gradients and takes one step
# `params - learning_rate * grads`. `update` returns a new dict and leaves its inputs alone, so
# you can keep the old parameters around to compare.
#
# *A choice this homework makes:* `predict` turns the output into labels by thresholding at
# 0.5 for one output unit (exactly 0.5 counts as 0) and by taking the row's argmax otherwise;
# it returns a flat (N,) int64 array, not an (N, 1) column.

# %%
def initialize_parameters(layer_sizes, seed=1):
    """Random weights scaled by 1/sqrt(n_in) and zero biases.

    layer_sizes: list of layer widths including the input, e.g. [784, 196, 1].
    Returns {"W1": (n0, n1), "b1": (1, n1), ..., "WL": (n_{L-1}, nL), "bL": (1, nL)}.
    """
    raise NotImplementedError("replace this line with your code")


def forward_n(X, params):
    """Forward pass of an L-layer network: sigmoid hidden layers, sigmoid or softmax output.

    X: (N, n0). Returns (Y_hat, cache): Y_hat (N, nL) and
    cache = {"A0": X, "Z1": (N, n1), "A1": (N, n1), ..., "ZL": (N, nL), "AL": Y_hat}.
    """
    raise NotImplementedError("replace this line with your code")


def cost_n(Y_hat, Y):
    """Mean loss: binary cross-entropy for one output unit, cross-entropy otherwise.

    Y_hat: (N, nL) outputs, Y: (N, nL) labels (in {0, 1} for nL = 1, one-hot otherwise).
    Returns a float.
    """
    raise NotImplementedError("replace this line with your code")


def backward_n(Y, params, cache):
    """Gradients of cost_n with respect to every parameter.

    Y: (N, nL) labels, params as from initialize_parameters, cache as from forward_n.
    Returns {"W1": ..., "b1": ..., "WL": ..., "bL": ...}, each of its parameter's shape.
    """
    raise NotImplementedError("replace this line with your code")


def update(params, grads, learning_rate):
    """One gradient-descent step. Returns a new dict params - learning_rate * grads;
    neither input dict nor its arrays are changed."""
    raise NotImplementedError("replace this line with your code")


def fit(X, Y, layer_sizes, learning_rate=0.1, iterations=1000, seed=1):
    """Full-batch gradient descent from initialize_parameters(layer_sizes, seed).

    X: (N, n0), Y: (N, nL). Returns (params, costs) where costs is a list of `iterations`
    floats and costs[i] is the cost before step i.
    """
    raise NotImplementedError("replace this line with your code")


def predict(X, params):
    """Labels for the rows of X: (N,) int64. With one output unit, 1 where Y_hat > 0.5
    (else 0); with several, the index of each row's largest output."""
    raise NotImplementedError("replace this line with your code")


# %% [markdown]
# **Check Part 4.** Save the notebook, then run the cell below: it runs the public checks
# on the saved file and says, function by function, what is wrong and how to fix it.

# %%
if __name__ == "__main__":
    run_public_checks(['initialize_parameters', 'forward_n', 'cost_n', 'backward_n', 'update', 'fit', 'predict'])

# %% [markdown]
# ### Training on MNIST: fives against eights
#
# The data ships with the homework (no download): a 5,000-image subset of the MNIST training
# set (500 of each digit) and the 10,000-image MNIST test set, none of whose images appear in
# the training subset. `load_mnist(split, digits)` returns pixels scaled to [0, 1], one image
# per row, and integer labels. We keep the fives and eights (1,000 training images, 1,866 test
# images) and ask a 784-196-1 network whether each image is an eight.

# %%
def find_data_dir():
    """The folder holding mnist.py and the IDX files: ./data, else ../data."""
    from pathlib import Path

    for candidate in (Path("data"), Path("..") / "data"):
        if (candidate / "mnist.py").exists():
            return candidate.resolve()
    raise FileNotFoundError("cannot find data/mnist.py next to this notebook or one folder up")


if __name__ == "__main__":
    import sys

    import matplotlib.pyplot as plt

    sys.path.insert(0, str(find_data_dir()))
    from mnist import load_mnist

    X_train, labels_train = load_mnist("train", digits=(5, 8))
    X_test, labels_test = load_mnist("test", digits=(5, 8))
    Y_train = (labels_train == 8).astype(np.float64).reshape(-1, 1)
    Y_test = (labels_test == 8).astype(np.float64).reshape(-1, 1)
    print("train", X_train.shape, "test", X_test.shape)

    params, costs = fit(X_train, Y_train, [784, 196, 1], learning_rate=0.1, iterations=1000, seed=1)
    train_accuracy = np.mean(predict(X_train, params) == Y_train[:, 0])
    test_accuracy = np.mean(predict(X_test, params) == Y_test[:, 0])
    print(f"784-196-1: train accuracy {train_accuracy:.3f}, test accuracy {test_accuracy:.3f}")

    plt.figure(figsize=(6, 3.5))
    plt.plot(costs)
    plt.xlabel("iteration")
    plt.ylabel("binary cross-entropy")
    plt.title("784-196-1 on MNIST 5 vs 8")
    plt.show()

# %% [markdown]
# A picture of what the network gets right and wrong: the first test images, each titled with
# the network's answer. Red titles are mistakes.

# %%
if __name__ == "__main__":
    guesses = predict(X_test, params)
    fig, axes = plt.subplots(2, 8, figsize=(10, 3))
    for axis, image, guess, truth in zip(axes.ravel(), X_test, guesses, Y_test[:, 0]):
        axis.imshow(image.reshape(28, 28), cmap="gray_r")
        axis.set_title("8" if guess else "5", color="black" if guess == truth else "red")
        axis.axis("off")
    plt.show()

# %% [markdown]
# ### A deeper sigmoid stack: where do the gradients go?
#
# Stack more sigmoid layers, 784-392-196-98-1, and train it the same way, watching the size
# of each layer's weight gradient. Going down one layer multiplies the error by $W^\top$ and
# by $\sigma'(Z)$, and $\sigma'$ is at most 1/4 (at z = 0), usually less. With 1/sqrt(n_in)
# weights the multiplication by $W^\top$ roughly keeps the size, so each layer closer to the
# input receives an error a few times smaller than the layer above it. At the start of
# training the norm of dJ/dW1 comes out about 40 times smaller than that of dJ/dW4 (the cell
# prints the four norms): the layers next to the input barely move while the top layers
# learn. That is the vanishing-gradient problem. By the end of training the top layers have
# fitted most of what they can and their gradients have shrunk to the first layer's level,
# but the deep network's cost is still above the shallow network's after the same 1,000
# steps, although it has many more parameters. Activations whose derivative is 1 wherever the
# unit is active, such as the ReLU, are the usual cure.

# %%
def gradient_norms(X, Y, params):
    """Frobenius norm of each layer's weight gradient, first layer first."""
    _, cache = forward_n(X, params)
    grads = backward_n(Y, params, cache)
    L = sum(1 for key in params if key.startswith("W"))
    return [float(np.linalg.norm(grads[f"W{layer}"])) for layer in range(1, L + 1)]


if __name__ == "__main__":
    deep_sizes = [784, 392, 196, 98, 1]
    norms_at_start = gradient_norms(X_train, Y_train, initialize_parameters(deep_sizes, seed=1))
    deep_params, deep_costs = fit(X_train, Y_train, deep_sizes, learning_rate=0.1, iterations=1000, seed=1)
    norms_at_end = gradient_norms(X_train, Y_train, deep_params)
    deep_test_accuracy = np.mean(predict(X_test, deep_params) == Y_test[:, 0])
    print(f"784-392-196-98-1: final cost {deep_costs[-1]:.4f}, test accuracy {deep_test_accuracy:.3f}")
    for layer, (start, end) in enumerate(zip(norms_at_start, norms_at_end), start=1):
        print(f"  |dJ/dW{layer}|: {start:.2e} at the start, {end:.2e} after training")

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    left.plot(costs, label="784-196-1")
    left.plot(deep_costs, label="784-392-196-98-1")
    left.set_xlabel("iteration")
    left.set_ylabel("cost")
    left.legend()
    layers = np.arange(1, len(deep_sizes))
    right.semilogy(layers, norms_at_start, "o-", label="at the start")
    right.semilogy(layers, norms_at_end, "s-", label="after training")
    right.set_xticks(layers)
    right.set_xlabel("layer (1 = next to the input)")
    right.set_ylabel("norm of dJ/dW")
    right.legend()
    plt.show()

# %% [markdown]
# ### All ten digits
#
# With ten softmax outputs the same code classifies every digit. Training on all 5,000 images
# takes longer, so this cell runs fewer iterations with a larger step.

# %%
if __name__ == "__main__":
    X_all, labels_all = load_mnist("train")
    X_all_test, labels_all_test = load_mnist("test")
    Y_all = np.eye(10)[labels_all]
    params10, costs10 = fit(X_all, Y_all, [784, 200, 10], learning_rate=1.0, iterations=200, seed=1)
    accuracy10 = np.mean(predict(X_all_test, params10) == labels_all_test)
    print(f"784-200-10 on digits 0-9: test accuracy {accuracy10:.3f}")
