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
# when the grader runs your file. The grader runs your imports, your function and class
# definitions and your constants (assignments that call nothing, such as `EPS = 1e-12`). Any
# other top-level statement runs only if a graded function reads a name it sets (for example
# `EPS = np.finfo(np.float64).eps`). It never runs `if __name__ == "__main__":` blocks, nor
# prints, plots, training loops or experiments outside them; its report lists what it
# skipped, so grading never trains anything. Keep your own experiments under the same guard.
#
# **Run All works at every stage.** The cells that train networks or draw plots call your
# functions. While one of them still raises `NotImplementedError`, such a cell prints which
# function to write first and moves on, so the later cells still run.
#
# **Conventions used everywhere.** One example per row: a batch of N inputs is an (N, D) array.
# Weights are (n_in, n_out), biases are (1, n_out), so a layer computes `Z = A @ W + b` and the
# bias row is broadcast down the N rows. All arrays are float64. `J` is the cost: the *mean*
# loss over the N rows of the batch. Other references you may read (Nielsen's *Neural
# Networks and Deep Learning*, most course notes) store one example as a column and the weights
# as n_out x n_in, computing `z = W a + b`. Every equation there is the transpose of the one
# here, so derive in this notebook's convention rather than translating formulas.
#
# **Rules the grader relies on.** Return float64 numpy arrays of exactly the shapes stated in
# each docstring (a plain float where it says float). Never change an argument in place (the
# one exception is `numerical_gradient`, which must restore what it changes). Do not rely on
# global variables set by another cell: each function may be called on its own, in a fresh
# process. Each step of Part 2 is graded on its own with correct inputs, so a mistake in one
# step costs points only there (and in `backprop`, which calls all of them). Values are
# compared with a relative error of at most 1e-6. Warnings, such as numpy's overflow
# warning, cost no points (the report lists them); wrong values, shapes, types and changed
# arguments do. Rules that concern one function are in its docstring.
#
# **Checking your work.** The "Check Part N" cells run the public checks on your functions as
# this notebook holds them now (no need to save), on any system, with numpy alone: they come
# with the homework in the `checks/` folder, which must stay next to this notebook (on Colab,
# upload it too). They say, function by function, what is wrong and which rule to revisit,
# and the points the public checks give. The hidden tests run the same kinds of checks on
# other inputs and also compare your values with the reference solution.

# %%
import numpy as np


def run_public_checks(functions):
    """Run the public checks on these functions as they are now (not graded; see README.md)."""
    import os
    import sys

    checks = os.path.join(os.path.dirname(os.path.abspath(globals().get("__file__", "backprop.ipynb"))), "checks")
    if os.path.isdir(checks) and checks not in sys.path:
        sys.path.insert(0, checks)  # the public checks shipped with the homework (numpy only)
    try:
        from autograder import check
    except ImportError:
        print("The checks/ folder of the homework is missing: put it next to this notebook.")
        return None
    return check(globals(), functions, homework="backprop")


# %%
import contextlib
import traceback


@contextlib.contextmanager
def skip_if_not_written():
    """Not graded: the guard of the cells that train and plot (`with skip_if_not_written():`).

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
# $\sigma(z) = 1 / (1 + e^{-z})$ squashes any real number into (0, 1). Its derivative can be
# written with the function itself: differentiate $1 / (1 + e^{-z})$, then express the result
# using $\sigma(z)$ only (no exponential left). `d_sigmoid` takes the pre-activation Z, not
# $\sigma(Z)$.
#
# Careful with large inputs: for z = -1000, `np.exp(-z)` overflows to `inf`. The answer
# `1 / (1 + inf) = 0` happens to come out right, but numpy warns, and the mirror-image
# formula `exp(z) / (1 + exp(z))` gives `inf / inf = nan` for z = +1000. The grader checks
# the values at +-1000: a nan there costs points, a warning does not. A version that never
# overflows uses `1 / (1 + exp(-z))` where z >= 0 and `exp(z) / (1 + exp(z))` where z < 0,
# so the exponent is never positive.

# %%
def sigmoid(Z):
    """Logistic function, elementwise.

    Z: array of any shape. Returns an array of Z's shape with entries in [0, 1]. Graded
    also at entries of +-1000, where the values must be right (no nan); a numpy overflow
    warning costs nothing.
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
# Jacobian with entry [i, j] equal to $\partial s_i / \partial z_j$. Derive it: differentiate
# $s_i = e^{z_i} / \sum_k e^{z_k}$ with respect to $z_j$ (the quotient rule), once for j = i
# and once for j != i, and write each result in terms of the s's only. Then write both cases
# as one expression (the Kronecker delta $\delta_{ij}$, 1 when i = j and 0 otherwise, helps),
# and that expression as one numpy expression without a Python loop.
#
# Three checks on your answer, each true of any correct Jacobian:
#
# * every **column** sums to zero: column j holds the changes of all the probabilities when
#   $z_j$ moves, and the probabilities always add up to 1, so their total cannot change;
# * every **row** sums to zero, for another reason: row i, summed, is the change of $s_i$
#   when every logit moves by the same amount, and adding the same constant to every logit
#   does not change softmax at all (the shift used above against overflow);
# * the matrix is symmetric, which gives the row sums from the column sums too.

# %%
def softmax(Z):
    """Row-wise softmax.

    Z: (N, C) logits. Returns (N, C) probabilities; every row sums to 1, with no nan or
    inf for logits as large as +-1000.
    """
    raise NotImplementedError("replace this line with your code")


def softmax_jacobian(z):
    """Jacobian of softmax at a single logit vector.

    z: (C,) logits. Returns (C, C) with entry [i, j] = d s_i / d z_j, where s = softmax(z).
    """
    raise NotImplementedError("replace this line with your code")


# %% [markdown]
# ### Cross-entropy, and its gradient through softmax
#
# For one example with one-hot label y and prediction s = softmax(z), the loss is
# $\ell = -\sum_k y_k \log s_k$. Derive $\partial \ell / \partial z_j$ with the chain rule
# through the Jacobian you just derived,
#
# $$\frac{\partial \ell}{\partial z_j} = \sum_k \frac{\partial \ell}{\partial s_k}
#   \frac{\partial s_k}{\partial z_j},$$
#
# and use the fact that the labels of one example add up to 1. Watch what the derivative of
# the logarithm does to the Jacobian's factor: the result is much simpler than either piece.
# `d_softmax` returns it row by row: the gradient of each row's *own* loss with respect to its
# own logits, written with `Y_hat` and `Y`. The cost J is the mean of N such losses, so its
# gradient carries an extra 1/N; that factor belongs to Part 2's `dJ_dZ2`, not here.

# %%
def cross_entropy(Y_hat, Y):
    """Mean cross-entropy of a batch.

    Y_hat: (N, C) predicted probabilities (every entry > 0). Y: (N, C) one-hot labels.
    Returns a float: the mean over the N rows of -sum_k Y[n, k] log Y_hat[n, k].
    """
    raise NotImplementedError("replace this line with your code")


def d_softmax(Y_hat, Y):
    """Gradient of each row's own cross-entropy loss with respect to that row's logits.

    Y_hat: (N, C) softmax outputs. Y: (N, C) one-hot labels. Returns (N, C): row n is the
    gradient of row n's loss -sum_k Y[n, k] log Y_hat[n, k] with respect to row n's logits
    (no 1/N here).
    """
    raise NotImplementedError("replace this line with your code")


# %% [markdown]
# **Check Part 1.** Run the cell below: it runs the public checks on your functions as
# they are now (no need to save) and says, function by function, what is wrong.

# %%
if __name__ == "__main__":
    run_public_checks(['sigmoid', 'd_sigmoid', 'softmax', 'softmax_jacobian', 'cross_entropy', 'd_softmax'])

# %% [markdown]
# ## Part 2: the two-layer network, one step of the chain rule at a time
#
# The forward pass computes four arrays; the backward pass walks the same path in reverse,
# and each step multiplies the gradient that arrives from above by the local derivative of
# one operation. With `dQ` short for $\partial J/\partial Q$ (the same shape as Q), derive
# each step below on paper before you write it. The method is the same every time: write one
# entry of the gradient as a sum, over the entries the variable changes, of "gradient
# arriving from above times local derivative", then recognise the sum as one numpy
# expression.
#
# | step | forward | derive | result |
# |---|---|---|---|
# | output | `Y_hat = softmax(Z2)`, J = mean over the N rows of Part 1's loss | `dZ2`: Part 1 gave the gradient of each row's own loss; what does the mean change? | (N, C) |
# | second layer, weights | `Z2 = X2 @ W2 + b2` | `dW2`: which entries of Z2 does W2[i, j] change, and by how much? Write dJ/dW2[i, j] as a sum over the examples n, then as one matrix product | (H, C) |
# | second layer, bias | | `db2`: b2 is added to every row; write dJ/db2[0, j] as a sum over n, then as one numpy call that keeps the (1, C) shape | (1, C) |
# | second layer, input | | `dX2`: X2[n, i] enters every Z2[n, j] of its row; write dJ/dX2[n, i] as a sum over the outputs j, then as one matrix product | (N, H) |
# | hidden activation | `X2 = sigmoid(Z1)` | `dZ1`: Z1[n, i] changes X2[n, i] and nothing else, so there is no sum; which operation, and the sigmoid's derivative at which argument? | (N, H) |
# | first layer, weights | `Z1 = X @ W1 + b1` | `dW1`: the same derivation as `dW2`, one layer down | (D, H) |
# | first layer, bias | | `db1`: the same derivation as `db2` | (1, H) |
#
# Your seven steps are the four backprop equations of the textbooks, written for a batch: the
# error at the output, the error one layer down, a layer's weight gradient from its input and
# its error, and its bias gradient from its error. (Textbooks write them for one example as a
# column and weights of shape n_out x n_in, so their versions are transposed.)
#
# **Shapes are a first check, not a proof.** A gradient has its variable's shape, and a
# product whose shapes do not fit is certainly wrong, so match shapes first. But many wrong
# answers have valid shapes: a missing sigmoid', a missing (or doubled) 1/N, a wrong sign, a
# transposed square matrix. The derivation decides, and Part 3's gradient check confirms; the
# grader uses non-square sizes so that no shape coincidence hides a transpose.
#
# **Why the batch gradient is the mean of the per-example gradients.** J is the mean of the N
# per-example losses, and differentiation is linear, so $\partial J/\partial W$ is the mean of
# the N per-example gradients. When you write dJ/dW2[i, j] as a sum over the examples n, each
# term is one example's own contribution, and the 1/N already sits in `dZ2`. The matrix
# product you find computes that whole sum: one `@` replaces a Python loop over the batch. The
# cell after `backprop` checks this numerically.

# %%
def forward(X, W1, b1, W2, b2):
    """Forward pass of the two-layer network.

    X: (N, D), W1: (D, H), b1: (1, H), W2: (H, C), b2: (1, C).
    Returns the tuple (Z1, X2, Z2, Y_hat) with shapes (N, H), (N, H), (N, C), (N, C).
    """
    raise NotImplementedError("replace this line with your code")


def dJ_dZ2(Y_hat, Y):
    """dJ/dZ2 for the mean cross-entropy J.

    Y_hat: (N, C), Y: (N, C) one-hot. Returns (N, C), where J is the mean over the N rows.
    This is the only place the 1/N of the mean appears; the steps below are graded with a
    correct dZ2 and use it as given.
    """
    raise NotImplementedError("replace this line with your code")


def dJ_dW2(X2, dZ2):
    """dJ/dW2, from Z2 = X2 @ W2 + b2.

    X2: (N, H) hidden activations, dZ2: (N, C) = dJ/dZ2. Returns (H, C).
    """
    raise NotImplementedError("replace this line with your code")


def dJ_db2(dZ2):
    """dJ/db2, from Z2 = X2 @ W2 + b2, where b2 is added to every row.

    dZ2: (N, C) = dJ/dZ2. Returns (1, C), a row like b2.
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
    """dJ/db1, from Z1 = X @ W1 + b1, where b1 is added to every row.

    dZ1: (N, H) = dJ/dZ1. Returns (1, H), a row like b1.
    """
    raise NotImplementedError("replace this line with your code")


def backprop(X, Y, W1, b1, W2, b2):
    """All four parameter gradients of the mean cross-entropy J.

    X: (N, D), Y: (N, C) one-hot, W1: (D, H), b1: (1, H), W2: (H, C), b2: (1, C).
    Returns {"W1": (D, H), "b1": (1, H), "W2": (H, C), "b2": (1, C)}. Graded as a whole, so
    it also loses points when a step it calls is wrong.
    """
    raise NotImplementedError("replace this line with your code")


# %% [markdown]
# **Check Part 2.** Run the cell below: it runs the public checks on your functions as
# they are now (no need to save) and says, function by function, what is wrong.

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
    with skip_if_not_written():
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
    Graded rule: x must hold exactly its old values afterwards (save each entry and assign it
    back; adding and subtracting eps again can change the last bit).
    """
    raise NotImplementedError("replace this line with your code")


def relative_error(a, b):
    """norm(a - b) / (norm(a) + norm(b)) with 2-norms of the flattened arrays; 0.0 if both are 0."""
    raise NotImplementedError("replace this line with your code")


def gradient_check(X, Y, W1, b1, W2, b2, eps=1e-5):
    """Compare backprop with numerical gradients of the mean cross-entropy.

    Arguments as for backprop. Returns {"W1": float, "b1": float, "W2": float, "b2": float},
    each the relative error between backprop's gradient and numerical_gradient's. The
    parameters are left unchanged.

    Graded rule: call backprop(X, Y, W1, b1, W2, b2) for the analytic gradients, and
    numerical_gradient (with eps) on each of the four parameter arrays as it is shaped, with
    an f that returns the mean cross-entropy. The grader swaps both functions for versions
    that plant known errors in what they return, and checks that your relative errors report
    them; a gradient_check that gets its gradients any other way loses these points.
    """
    raise NotImplementedError("replace this line with your code")


if __name__ == "__main__":
    with skip_if_not_written():
        for name, error in gradient_check(*tiny_problem(seed=1)).items():
            print(f"relative error for {name}: {error:.2e}")

# %% [markdown]
# **Check Part 3.** Run the cell below: it runs the public checks on your functions as
# they are now (no need to save) and says, function by function, what is wrong.

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
# Derive $\partial J/\partial Z_L$ for the one-unit output: differentiate the binary
# cross-entropy with respect to $\hat y_n$, multiply by the sigmoid's derivative, simplify, and
# compare with what you found for `dZ2` in Part 2. (What you find is why these output
# functions and losses come in pairs.) From there the steps of Part 2 repeat, for l = L down
# to 1: write $\partial J/\partial W_l$, $\partial J/\partial b_l$ and, for l > 1,
# $\partial J/\partial Z_{l-1}$ from $\partial J/\partial Z_l$, $W_l$ and the cache's
# $A_{l-1}$ and $Z_{l-1}$.
#
# **Initialisation.** Draw each weight from a standard normal divided by $\sqrt{n_{in}}$, the
# number of inputs to the layer, and start the biases at zero: LeCun initialisation. Two
# different things happen here. The *randomness* breaks the symmetry: if every weight started
# equal, every hidden unit would compute the same thing, receive the same gradient and stay
# identical forever. The *scale* sets the size of the pre-activations: a unit sums $n_{in}$
# terms $a_i w_i$ with independent weights of variance $1/n_{in}$, so the variance of its
# pre-activation is about $E[a^2]$, the mean square of the layer's inputs, whatever the width.
# That is not 1: on the training images used below, pixels in [0, 1] have $E[x^2] = 0.117$,
# and the first layer's pre-activations have variance 0.11; sigmoid outputs sit near 1/2, so the layers
# after a sigmoid layer get $E[a^2] \approx 1/4$ and pre-activations of variance about 0.24.
# So the sigmoids start in their nearly linear middle, far from saturation. (For a deep
# sigmoid stack that is in fact too small; the experiment at the end of this notebook measures
# what it costs.) Use exactly `rng = np.random.default_rng(seed)` and draw `W1` first, then
# `W2`, and so on, so that your initial parameters match the reference bit for bit.
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
    Graded bit for bit: rng = np.random.default_rng(seed), then for W1, W2, ... in that order
    one draw rng.standard_normal((n_in, n_out)) divided by sqrt(n_in).
    """
    raise NotImplementedError("replace this line with your code")


def forward_n(X, params):
    """Forward pass of an L-layer network: sigmoid hidden layers, sigmoid or softmax output.

    X: (N, n0). Returns (Y_hat, cache): Y_hat (N, nL) and
    cache = {"A0": X, "Z1": (N, n1), "A1": (N, n1), ..., "ZL": (N, nL), "AL": Y_hat}.
    Graded rule: the cache has exactly these keys and no others (A0 may be X itself); the
    grader compares the whole dict, so an extra entry, such as a copy of W1, costs most of
    forward_n's points even when every array is right.
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
    Graded with a correct cache holding exactly forward_n's keys, so read only those.
    """
    raise NotImplementedError("replace this line with your code")


def update(params, grads, learning_rate):
    """One gradient-descent step. Returns a new dict params - learning_rate * grads;
    neither input dict nor its arrays are changed."""
    raise NotImplementedError("replace this line with your code")


def fit(X, Y, layer_sizes, learning_rate=0.1, iterations=1000, seed=1):
    """Full-batch gradient descent from initialize_parameters(layer_sizes, seed).

    X: (N, n0), Y: (N, nL). Returns (params, costs) where costs is a list of `iterations`
    floats and costs[i] is the cost before step i. Get the starting point by calling
    initialize_parameters(layer_sizes, seed) (the experiments at the end lend fit other
    starting points through that name). Graded as a whole, so it also loses points when a
    function it calls is wrong.
    """
    raise NotImplementedError("replace this line with your code")


def predict(X, params):
    """Labels for the rows of X: (N,) int64. With one output unit, 1 where Y_hat > 0.5
    (else 0); with several, the index of each row's largest output."""
    raise NotImplementedError("replace this line with your code")


# %% [markdown]
# **Check Part 4.** Run the cell below: it runs the public checks on your functions as
# they are now (no need to save) and says, function by function, what is wrong.

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
    """The folder holding mnist.py and the IDX files: ./data, else ../data, else ../../data."""
    from pathlib import Path

    for candidate in (Path("data"), Path("..") / "data", Path("..") / ".." / "data"):
        if (candidate / "mnist.py").exists():
            return candidate.resolve()
    raise FileNotFoundError("cannot find data/mnist.py next to this notebook or above it")


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

    with skip_if_not_written():
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
    with skip_if_not_written():
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
# Stack more sigmoid layers, 784-392-196-98-1, and train it the same way, 1,000 steps with
# learning rate 0.1. The cell below measures three things per layer, at the start and after
# training (layer 1 is next to the input):
#
# * $|\partial J/\partial Z_l|$, the size of the error that reaches layer l. This is the clean
#   measure of vanishing gradients. The weight gradient $\partial J/\partial W_l$ would mix in
#   the size of the layer's input $A_{l-1}$ and the layer's width, which differ from layer to
#   layer (pixels are not sigmoid outputs, 784 is not 98).
# * the relative update $\mathrm{lr}\,|\partial J/\partial W_l| / |W_l|$: the fraction by which
#   one step changes the layer's weights. This decides whether a layer learns.
# * the spread of $A_l$ between images: for each unit, the standard deviation of its output
#   over the training images, averaged over the units. It measures how much of the
#   difference between images a layer passes on.
#
# It trains in ten stretches of 100 steps (`fit_from` lends your `fit` a starting point) to
# print the cost and the test accuracy along the way.
#
# **Backward, the error shrinks about 4 times per layer.** Going down one layer, the error
# passes back through the layer's weights and then through the slope of each sigmoid unit
# below, as in your `backward_n`. With $1/\sqrt{n_{in}}$ weights the first roughly keeps its
# size; the slope is at most 1/4, and close to 1/4 here, because the pre-activations are
# small. So each layer closer to the input receives an error about 4 times smaller than the
# layer above it, and the first layer's weights move by a far smaller fraction per step than
# the top layer's: the layers next to the input barely learn while the top learns. That is
# the vanishing-gradient problem.
#
# **Forward, the signal shrinks too.** A sigmoid in its middle passes on about a quarter of
# the variation of its input, so the differences between images also shrink about 4 times per
# layer, and at the output all the images get nearly the same probability. The first steps
# move that common probability to about 1/2, and the cost then sits near
# $\ln 2 \approx 0.693$, the cost of answering 1/2 for every image, for about 500 steps. The
# test accuracy climbs all the same, to about 0.93 in that stretch: it only asks on which side
# of 1/2 each output falls, and small differences that already order the images correctly
# are enough. The cost asks for confident outputs, which come only once the lower layers have
# grown enough to pass larger differences up; then it falls quickly. After 1,000 steps the
# deep network's cost is still above the shallow network's, although it has many more
# parameters.
#
# Activations whose derivative is 1 wherever the unit is active, such as the ReLU, are the
# usual cure. But they are not the only one, as the cell after this one shows.

# %%
def layer_count(params):
    """Not graded: the number L of layers of a parameter dict."""
    return sum(1 for key in params if key.startswith("W"))


def error_norms(X, Y, params):
    """Not graded: |dJ/dZ_l| (Frobenius norm) for each layer l, first layer first.

    It uses only your forward_n and backward_n, one example at a time, reading each example's
    dJ/dZ_l off the bias gradients of a batch of one (the bias rule you derived in Part 2 says
    why that works; the batch cost divides by N).
    """
    L = layer_count(params)
    squares = np.zeros(L)
    for n in range(len(X)):
        _, cache = forward_n(X[n : n + 1], params)
        grads = backward_n(Y[n : n + 1], params, cache)
        squares += [np.sum(grads[f"b{layer}"] ** 2) for layer in range(1, L + 1)]
    return list(np.sqrt(squares) / len(X))


def relative_updates(X, Y, params, learning_rate):
    """Not graded: learning_rate * |dJ/dW_l| / |W_l| for each layer l, first layer first."""
    _, cache = forward_n(X, params)
    grads = backward_n(Y, params, cache)
    names = [f"W{layer}" for layer in range(1, layer_count(params) + 1)]
    return [learning_rate * np.linalg.norm(grads[name]) / np.linalg.norm(params[name]) for name in names]


def spreads(X, params):
    """Not graded: for each layer l, the standard deviation of A_l over the rows of X,
    averaged over the units (how much layer l's outputs differ between examples)."""
    _, cache = forward_n(X, params)
    return [float(np.mean(np.std(cache[f"A{layer}"], axis=0))) for layer in range(1, layer_count(params) + 1)]


def fit_from(X, Y, start, learning_rate, iterations):
    """Not graded: your fit, started from the parameters `start` instead of from
    initialize_parameters. fit looks initialize_parameters up by name when it runs, so this
    puts a stand-in returning a copy of `start` under that name for the call, and the
    original back afterwards. Returns (params, costs) as fit does."""
    global initialize_parameters
    original = initialize_parameters

    def stand_in(layer_sizes, seed=1):
        return {key: value.copy() for key, value in start.items()}

    sizes = [start["W1"].shape[0]] + [start[f"W{layer}"].shape[1] for layer in range(1, layer_count(start) + 1)]
    initialize_parameters = stand_in
    try:
        return fit(X, Y, sizes, learning_rate=learning_rate, iterations=iterations)
    finally:
        initialize_parameters = original


def print_layers(title, values):
    """Not graded: one line of a per-layer table."""
    print(f"  {title:<34}" + "".join(f"{value:10.2e}" for value in values))


if __name__ == "__main__":
    deep_sizes = [784, 392, 196, 98, 1]
    with skip_if_not_written():
        deep_start = initialize_parameters(deep_sizes, seed=1)
        errors_at_start = error_norms(X_train, Y_train, deep_start)
        print("784-392-196-98-1 at the start; layers 1 to 4:")
        print_layers("|dJ/dZ_l|", errors_at_start)
        print_layers("relative update lr |g| / |W|", relative_updates(X_train, Y_train, deep_start, 0.1))
        print_layers("spread of A_l between images", spreads(X_train, deep_start))

        deep_params, deep_costs = deep_start, []
        print("  step    cost  test accuracy")
        for _ in range(10):
            deep_accuracy = np.mean(predict(X_test, deep_params) == Y_test[:, 0])
            deep_params, stretch = fit_from(X_train, Y_train, deep_params, 0.1, 100)
            print(f"  {len(deep_costs):4d}  {stretch[0]:.4f}  {deep_accuracy:.3f}")
            deep_costs += stretch
        deep_test_accuracy = np.mean(predict(X_test, deep_params) == Y_test[:, 0])
        print(f"784-392-196-98-1: final cost {deep_costs[-1]:.4f}, test accuracy {deep_test_accuracy:.3f}")
        errors_at_end = error_norms(X_train, Y_train, deep_params)
        print("after 1,000 steps; layers 1 to 4:")
        print_layers("|dJ/dZ_l|", errors_at_end)
        print_layers("relative update lr |g| / |W|", relative_updates(X_train, Y_train, deep_params, 0.1))
        print_layers("spread of A_l between images", spreads(X_train, deep_params))

        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
        left.plot(costs, label="784-196-1")
        left.plot(deep_costs, label="784-392-196-98-1")
        left.axhline(np.log(2), color="gray", linestyle=":", label="ln 2")
        left.set_xlabel("iteration")
        left.set_ylabel("cost")
        left.legend()
        layers = np.arange(1, len(deep_sizes))
        right.semilogy(layers, errors_at_start, "o-", label="at the start")
        right.semilogy(layers, errors_at_end, "s-", label="after training")
        right.set_xticks(layers)
        right.set_xlabel("layer (1 = next to the input)")
        right.set_ylabel("|dJ/dZ_l|")
        right.legend()
        plt.show()

# %% [markdown]
# **The initialisation is too small for sigmoid units.** The $1/\sqrt{n_{in}}$ scale keeps the
# size of a signal through a layer whose slope is about 1. A sigmoid's slope is at most 1/4,
# so every layer loses a factor of about 4 both ways, as measured above. Glorot and Bengio
# (2010) chose initial scales that keep these sizes from layer to layer, for units with slope
# 1 at zero such as tanh; the usual advice for sigmoid units, whose slope at zero is 1/4, is
# weights 4 times larger. The cell below starts the same deep stack from 4 times the same
# initial weights and trains it for 300 steps. The errors now shrink far less from layer to
# layer, the hidden layers pass on far more of the differences between images (the output
# unit starts saturated, which the first few steps undo), and after 300 steps the cost is far
# below that of the plain start, which is then still on its flat stretch near ln 2.

# %%
if __name__ == "__main__":
    with skip_if_not_written():
        scaled_start = {key: 4 * value if key.startswith("W") else value for key, value in deep_start.items()}
        print("784-392-196-98-1 from 4 times the initial weights; layers 1 to 4:")
        print_layers("|dJ/dZ_l|", error_norms(X_train, Y_train, scaled_start))
        print_layers("relative update lr |g| / |W|", relative_updates(X_train, Y_train, scaled_start, 0.1))
        print_layers("spread of A_l between images", spreads(X_train, scaled_start))
        scaled_params, scaled_costs = fit_from(X_train, Y_train, scaled_start, 0.1, 300)
        scaled_cost = cost_n(forward_n(X_train, scaled_params)[0], Y_train)
        scaled_accuracy = np.mean(predict(X_test, scaled_params) == Y_test[:, 0])
        print(f"cost after 300 steps: {scaled_cost:.3f} from 4 x the weights, {deep_costs[300]:.3f} from the plain start")
        print(f"test accuracy after 300 steps from 4 x the weights: {scaled_accuracy:.3f}")

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
    with skip_if_not_written():
        params10, costs10 = fit(X_all, Y_all, [784, 200, 10], learning_rate=1.0, iterations=200, seed=1)
        accuracy10 = np.mean(predict(X_all_test, params10) == labels_all_test)
        print(f"784-200-10 on digits 0-9: test accuracy {accuracy10:.3f}")
