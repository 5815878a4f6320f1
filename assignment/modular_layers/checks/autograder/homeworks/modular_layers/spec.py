"""The modular_layers homework as data: its contract, the inputs it is graded on, and what comes back.

Fifteen functions (the table in the notebook's first cell): forward/backward pairs with
fixed caches (affine, sigmoid, ReLU), two losses returning (loss, dscores) with integer labels,
a chain of scalar units (a per-example loop and its vectorised mean), He initialisation, a
ReLU network's loss and gradients, an SGD step, a data generator and mini-batch SGD.

The test inputs: layer points with N = 1 and non-square sizes (D=5, M=3; D=5, M=4; D=4, M=7)
and the MNIST sizes (N=16, D=784, M=10), plus cases aimed at one property (scores of +-1000,
pre-activations that are exactly 0). Hidden plans feed every backward function the
reference's own upstream gradient (softmax_loss's dscores at the layer's output) and cache;
public plans a random upstream gradient, and every gradient is checked against finite
differences of ``sum(dout * forward(x))`` or of the loss itself. Without a reference, the
public checks of the recipes compare with the recipe itself (``he_draws``, ``circle_points``),
and train_sgd's with the same training run made with finite-difference gradients.

This file holds no answer: only forward definitions (the finite differences are taken of
them), the recipes the contract states (He draws, the circles, the batch order), inputs and
properties.
"""

from dataclasses import dataclass, field

import numpy as np

from autograder import gradcheck as gc
from autograder.spec import Arr, FloatList, Function, Gradient, Homework, Mapping, Property, Scalar, Seq
from autograder.structure import scalar_value

# --- the forward definitions the differences are taken of ----------------------------------


def logistic(Z):
    """1 / (1 + e^-z) written with tanh: no overflow."""
    return 0.5 * (1.0 + np.tanh(0.5 * Z))


def log_softmax(Z):
    shifted = Z - Z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def mean_softmax_ce(scores, y):
    """Mean cross-entropy of softmax(scores) at the integer labels y."""
    return float(-np.mean(log_softmax(scores)[np.arange(scores.shape[0]), y]))


def mean_logistic_ce(scores, y):
    """Mean binary cross-entropy of sigmoid(scores) (N, 1) against y (N,) in {0, 1}."""
    target = np.asarray(y, dtype=np.float64).reshape(-1, 1)
    return float(np.mean(np.logaddexp(0.0, scores) - target * scores))


def chain_losses(x, W, y):
    """L_n of the chain of scalar sigmoid units, for weights W (K,) shared or (N, K) per example."""
    a = np.asarray(x, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    for k in range(W.shape[-1]):
        a = logistic(W[..., k] * a)
    return 0.5 * (a - y) ** 2


def mlp_scores(params, X):
    """The scores of an affine + ReLU network with an affine output layer."""
    L = sum(1 for key in params if key.startswith("W"))
    A = X
    for layer in range(1, L):
        A = np.maximum(A @ params[f"W{layer}"] + params[f"b{layer}"], 0.0)
    return A @ params[f"W{L}"] + params[f"b{L}"]


def mlp_mean_loss(params, X, y):
    return mean_softmax_ce(mlp_scores(params, X), y)


def he_draws(sizes, seed):
    """The contract's He initialisation: one default_rng(seed), W1 first, (n_in, n_out) each."""
    rng = np.random.default_rng(seed)
    params = {}
    for layer in range(1, len(sizes)):
        params[f"W{layer}"] = rng.standard_normal((sizes[layer - 1], sizes[layer])) * np.sqrt(2.0 / sizes[layer - 1])
        params[f"b{layer}"] = np.zeros((1, sizes[layer]))
    return params


def circle_points(N, noise, seed):
    """The contract's circles (make_circles), used to build train_sgd's inputs."""
    rng = np.random.default_rng(seed)
    y = np.arange(N, dtype=np.int64) % 2
    angle = rng.uniform(0.0, 2.0 * np.pi, N)
    radius = np.where(y == 0, 1.0, 0.5)
    X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return X + noise * rng.standard_normal((N, 2)), y


# --- the points the layer functions are evaluated at ---------------------------------------

LAYER_POINTS = (
    ("N=1, D=5, M=3", (1, 5, 3)),
    ("N=7, D=5, M=4", (7, 5, 4)),
    ("N=6, D=4, M=7", (6, 4, 7)),
)
MNIST_POINT = ("MNIST sizes N=16, D=784, M=10", (16, 784, 10))
EXTREME_Z = np.array([[-1000.0, -60.0, -1.0, 0.0, 1.0, 60.0, 1000.0]])
EXTREME_SCORES = np.array([[1000.0, 999.0, 998.0, 0.0], [-1000.0, -999.0, -998.0, -1001.0], [0.0, 1000.0, -1000.0, 500.0]])
EXTREME_LABELS = np.array([1, 3, 2], dtype=np.int64)
EXTREME_LOGITS = np.array([[1000.0], [-1000.0], [1000.0], [-1000.0], [0.0]])
EXTREME_BINARY = np.array([0, 0, 1, 1, 1], dtype=np.int64)


@dataclass
class Point:
    """An affine layer X @ W + b with labels y, at which the layer functions are evaluated."""

    label: str
    seed: int
    X: np.ndarray
    W: np.ndarray
    b: np.ndarray
    y: np.ndarray  # (N,) int64 in 0..M-1
    dims: dict
    values: dict = field(default_factory=dict)  # out, dout, S fed to the backward functions

    @property
    def binary(self):
        """Labels in {0, 1} for the logistic loss."""
        return self.y % 2


@dataclass
class Given:
    """What a case outside the shared points differentiates or checks."""

    y: np.ndarray = None
    Z: np.ndarray = None
    dout: np.ndarray = None
    sizes: list = None
    seed: int = None
    noise: float = None
    X: np.ndarray = None
    steps: int = None  # train_sgd: steps per epoch
    batch_size: int = None
    epochs: int = None
    expected_losses: np.ndarray = None  # train_sgd, public checks: computed by follows_recipe


@dataclass
class Chain:
    """A chain of K scalar sigmoid units and N examples."""

    label: str
    x: np.ndarray
    w: np.ndarray
    y: np.ndarray
    dims: dict


@dataclass
class Network:
    """A ReLU network's parameters and a batch (mlp_loss)."""

    label: str
    sizes: list
    params: dict
    X: np.ndarray
    y: np.ndarray
    dims: dict


def make_point(label, seed, dims, mnist_like=False):
    N, D, M = dims
    rng = np.random.default_rng(seed)
    X = rng.random((N, D)) if mnist_like else rng.standard_normal((N, D))
    W = rng.standard_normal((D, M)) / np.sqrt(D) * (3.0 if mnist_like else 1.5)
    b = 0.2 * rng.standard_normal((1, M))
    y = rng.integers(0, M, size=N).astype(np.int64)
    return Point(label, seed, X, W, b, y, {"N": N, "D": D, "M": M})


def derive(point, reference, rng):
    """The values the backward functions are fed: the reference's own in hidden plans (its
    softmax_loss dscores as the upstream gradient, its sigmoid cache); in public plans this
    module's forward pass and a random upstream gradient."""
    p = point
    if reference is not None:
        out = np.array(reference.affine_forward(p.X, p.W, p.b)[0], dtype=np.float64)
        dout = np.array(reference.softmax_loss(out.copy(), p.y.copy())[1], dtype=np.float64)
        S = np.array(reference.sigmoid_forward(out.copy())[1], dtype=np.float64)
    else:
        out = p.X @ p.W + p.b
        dout = rng.standard_normal(out.shape) / out.shape[0]
        S = logistic(out)
    p.values = {"out": out, "dout": dout, "S": S}
    return p


def layer_points(ctx):
    """The shared points: three small layers and one of the MNIST sizes, derived in order."""
    small = [make_point(label, ctx.seeds[i], dims) for i, (label, dims) in enumerate(LAYER_POINTS)]
    mnist = make_point(MNIST_POINT[0], ctx.seeds[2] * 7 + 1, MNIST_POINT[1], mnist_like=True)
    return [derive(p, ctx.reference, ctx.rng) for p in (*small, mnist)]


def away_from_zero(Z, margin=1e-3):
    """Z with entries closer to 0 than ``margin`` moved to +-0.5, so finite differences of
    the ReLU never straddle its kink."""
    return np.where(np.abs(Z) < margin, np.where(Z < 0, -0.5, 0.5), Z)


def param_template(sizes):
    entries = []
    for layer in range(1, len(sizes)):
        entries.append((f"W{layer}", Arr((sizes[layer - 1], sizes[layer]), label=f"W{layer}'s shape (n{layer - 1}, n{layer})")))
        entries.append((f"b{layer}", Arr((1, sizes[layer]), label=f"b{layer}'s shape (1, n{layer})")))
    return Mapping(tuple(entries))


# --- properties -----------------------------------------------------------------------------


def affine_definition(case, values, tolerance):
    """out is X @ W + b and the cache holds the three inputs, unchanged."""
    X, W, b = case.args
    if not gc.relative_error(values["out"], X @ W + b) <= tolerance:
        return "out does not follow the definition X @ W + b"
    for name, given in (("X", X), ("W", W), ("b", b)):
        if not gc.relative_error(values[f"cache[{name}]"], given) <= tolerance or values[f"cache[{name}]"].shape != given.shape:
            return f"the cache must be the tuple (X, W, b) of the inputs; its {name} is not the given {name}"
    return None


def output_in_unit_interval(case, values):
    S = values["S"]
    if np.all((S >= 0.0) & (S <= 1.0)):
        return None
    return f"sigmoid outputs must lie in [0, 1]; yours range from {S.min():.3g} to {S.max():.3g}"


def cache_is_output(case, values, tolerance):
    if values["cache"].shape != values["S"].shape or not gc.relative_error(values["cache"], values["S"]) <= tolerance:
        return "the cache must be S = sigmoid(Z) itself (the output), which the backward pass needs"
    return None


def relu_definition(case, values):
    Z = case.args[0]
    if not np.array_equal(values["A"], np.maximum(Z, 0.0)):
        return "A must be max(Z, 0), entry by entry"
    if not np.array_equal(values["cache"], Z):
        return "the cache must be the input Z"
    return None


def zero_where_inactive(case, values):
    """relu_backward: 0 wherever Z <= 0 (the subgradient 0 at Z == 0 exactly)."""
    Z = case.named_args["cache"]
    dZ = values[""]
    if dZ.shape != Z.shape:
        return None
    inactive = Z <= 0
    if np.any(dZ[inactive] != 0):
        at_zero = np.any(dZ[Z == 0] != 0)
        return "the gradient must be 0 where Z <= 0" + (" (also where Z is exactly 0)" if at_zero else "")
    return None


def loss_matches(definition):
    """The loss part equals ``definition(*arguments)``, the mean loss, within the tolerance."""

    def check(case, values, tolerance):
        want = definition(*case.args)
        got = scalar_value(values["loss"])
        if gc.relative_error([got], [want]) <= tolerance:
            return None
        return f"loss is {got:.6g}; the mean loss over the rows, as the contract defines it, is {want:.6g} here"

    return check


def he_matches(case, values, tolerance):
    given = case.given
    for key, want in he_draws(given.sizes, given.seed).items():
        got = values[f"[{key!r}]"]
        if got.shape != want.shape or not gc.relative_error(got, want) <= tolerance:
            if key.startswith("b"):
                return f"{key} must start at zeros"
            return (
                f"{key} is not the contract's draw: rng = np.random.default_rng(seed), then "
                "rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in) for each layer in order"
            )
    return None


def circles_labels(case, values):
    y = values["y"]
    if not np.array_equal(y, np.arange(y.shape[0]) % 2):
        return "the labels must alternate: y = np.arange(N) % 2"
    return None


def circles_radii(case, values):
    X, y = values["X"], values["y"]
    if X.shape[0] != y.shape[0] or not np.array_equal(y, np.arange(y.shape[0]) % 2):
        return None
    radius = np.hypot(X[:, 0], X[:, 1])
    if case.given.noise == 0.0:
        if not np.allclose(radius, np.where(y == 0, 1.0, 0.5), rtol=0.0, atol=1e-9):
            return "without noise, class 0 must lie on the circle of radius 1.0 and class 1 on radius 0.5"
        return None
    if y.size >= 2 and not radius[y == 0].mean() > radius[y == 1].mean():
        return "class 0 must be the outer circle (radius 1.0) and class 1 the inner one (radius 0.5)"
    return None


def follows_update_rule(case, values, tolerance):
    params, grads, rate = case.args
    for key in params:
        got = values[f"[{key!r}]"]
        if got.shape != params[key].shape or not gc.relative_error(got, params[key] - rate * grads[key]) <= tolerance:
            return f"{key} is not params[{key!r}] - learning_rate * grads[{key!r}]"
    return None


def circles_recipe(case, values, tolerance):
    X, y = circle_points(*[case.named_args.get(k, d) for k, d in (("N", None), ("noise", 0.1), ("seed", 0))])
    if values["X"].shape != X.shape or not gc.relative_error(values["X"], X) <= tolerance:
        return (
            "X is not the contract's draw: one rng = default_rng(seed), angles rng.uniform(0, 2 pi, N) first, "
            "radius 1.0 for y = 0 and 0.5 for y = 1, then noise * rng.standard_normal((N, 2))"
        )
    return None


def first_loss_matches_init(case, values, tolerance):
    given = case.given
    X, y = case.args[0], case.args[1]
    seed = given.seed
    order = np.random.default_rng(seed + 1).permutation(X.shape[0])
    first = order[: given.batch_size]
    want = mlp_mean_loss(he_draws(given.sizes, seed), X[first], y[first])
    losses = values["losses"]
    if not gc.relative_error([losses[0]], [want]) <= tolerance:
        return (
            f"losses[0] should be the loss of he_init(layer_sizes, seed) on the first batch of the first "
            f"shuffle, before any step ({want:.6g}); yours is {losses[0]:.6g}"
        )
    return None


def numeric_gradients(params, X, y, eps=1e-5):
    """Central differences of mlp_mean_loss with respect to every parameter entry."""
    grads = {}
    for key, value in params.items():
        moved = dict(params, **{key: value.copy()})
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            moved[key][index] = value[index] + eps
            plus = mlp_mean_loss(moved, X, y)
            moved[key][index] = value[index] - eps
            minus = mlp_mean_loss(moved, X, y)
            moved[key][index] = value[index]
            grad[index] = (plus - minus) / (2 * eps)
        grads[key] = grad
    return grads


def sgd_by_differences(X, y, given, learning_rate):
    """The contract's mini-batch SGD (he_draws, one default_rng(seed + 1), a permutation per
    epoch, consecutive batches) with gradients from central differences: the batch losses."""
    params = he_draws(given.sizes, given.seed)
    rng = np.random.default_rng(given.seed + 1)
    losses = []
    for _ in range(given.epochs):
        order = rng.permutation(X.shape[0])
        for start in range(0, X.shape[0], given.batch_size):
            batch = order[start : start + given.batch_size]
            losses.append(mlp_mean_loss(params, X[batch], y[batch]))
            grads = numeric_gradients(params, X[batch], y[batch])
            params = {k: params[k] - learning_rate * grads[k] for k in params}
    return np.array(losses)


def follows_recipe(case, values, tolerance):
    """train_sgd's losses are those of the contract's recipe (checked with numerical
    gradients, computed once per case)."""
    given = case.given
    if given.expected_losses is None:
        X, y = case.args[0], case.args[1]
        given.expected_losses = sgd_by_differences(X, y, given, case.named_args.get("learning_rate", 0.5))
    losses = np.asarray(values["losses"], dtype=np.float64)
    if losses.shape != given.expected_losses.shape:
        return None
    error = gc.relative_error(losses, given.expected_losses)
    if not error <= tolerance:
        first = int(np.argmax(np.abs(losses - given.expected_losses) > tolerance * np.abs(given.expected_losses)))
        return (
            f"the losses differ from those of the contract's recipe from step {first} on (relative error {error:.1e}): "
            "params = he_init(layer_sizes, seed), one rng = default_rng(seed + 1), order = rng.permutation(N) each "
            "epoch, consecutive batches order[i:i + batch_size], a step after each batch"
        )
    return None


def loss_goes_down(case, values):
    losses = values["losses"]
    steps = case.given.steps  # steps per epoch
    if len(losses) >= 2 * steps and not np.mean(losses[-steps:]) < np.mean(losses[:steps]):
        return "the mean batch loss of the last epoch is not below that of the first: training did not make progress"
    return None


AFFINE_DEFINITION = Property("affine_definition", affine_definition, hidden=False)
SIGMOID_RANGE = Property("in_unit_interval", output_in_unit_interval)
SIGMOID_CACHE = Property("cache_is_output", cache_is_output, hidden=False)
RELU_DEFINITION = Property("relu_definition", relu_definition, hidden=False)
ZERO_WHERE_INACTIVE = Property("zero_where_inactive", zero_where_inactive)
SOFTMAX_LOSS = Property("matches_loss_definition", loss_matches(mean_softmax_ce), hidden=False)
LOGISTIC_LOSS = Property("matches_loss_definition", loss_matches(mean_logistic_ce), hidden=False)
MLP_LOSS = Property("matches_loss_definition", loss_matches(mlp_mean_loss), hidden=False)
HE_MATCHES = Property("init_matches_contract", he_matches, hidden=False)
CIRCLE_LABELS = Property("labels_alternate", circles_labels)
CIRCLE_RADII = Property("radii", circles_radii)
CIRCLE_RECIPE = Property("matches_recipe", circles_recipe, hidden=False)
UPDATE_RULE = Property("follows_update_rule", follows_update_rule, hidden=False)
FIRST_LOSS = Property("first_loss_matches_init", first_loss_matches_init, hidden=False)
LOSS_DOWN = Property("loss_goes_down", loss_goes_down, hidden=False)
RECIPE = Property("follows_recipe", follows_recipe, hidden=False)


# --- Part 1: layers --------------------------------------------------------------------------


def affine_forward_cases(ctx):
    return [ctx.case(p, X=p.X, W=p.W, b=p.b) for p in ctx.points]


affine_forward = Function(
    "affine_forward", ("X", "W", "b"), part=1, matmul=True,
    result=Seq((Arr("N,M", "(N, M)"), Seq((Arr(like="X", label="X's shape"), Arr(like="W", label="W's shape"), Arr(like="b", label="b's shape")), ("X", "W", "b"))), ("out", "cache")),
    properties=(AFFINE_DEFINITION,), cases=affine_forward_cases,
)  # fmt: skip


def affine_backward_cases(ctx):
    return [ctx.case(p, dout=p.values["dout"], cache=(p.X, p.W, p.b)) for p in ctx.points]


affine_backward = Function(
    "affine_backward", ("dout", "cache"), part=1, matmul=True,
    result=Seq((Arr("N,D", "X's shape (N, D)"), Arr("D,M", "W's shape (D, M)"), Arr("1,M", "b's shape (1, M)")), ("dX", "dW", "db")),
    grad={
        "dX": Gradient(at=lambda p: p.X, vjp=lambda p: (p.values["dout"], lambda X: X @ p.W + p.b)),
        "dW": Gradient(at=lambda p: p.W, vjp=lambda p: (p.values["dout"], lambda W: p.X @ W + p.b)),
        "db": Gradient(at=lambda p: p.b, vjp=lambda p: (p.values["dout"], lambda b: p.X @ p.W + b)),
    },
    cases=affine_backward_cases,
)  # fmt: skip


def sigmoid_forward_cases(ctx):
    cases = [ctx.case(p, Z=p.values["out"]) for p in ctx.points]
    cases.append(ctx.case("inputs of +-1000", Z=EXTREME_Z, dims={"N": 1}, extreme=True))
    return cases


sigmoid_forward = Function(
    "sigmoid_forward", ("Z",), part=1,
    result=Seq((Arr(like="Z", label="Z's shape"), Arr(like="Z", label="Z's shape")), ("S", "cache")),
    properties=(SIGMOID_RANGE, SIGMOID_CACHE), cases=sigmoid_forward_cases,
)  # fmt: skip


def sigmoid_backward_cases(ctx):
    return [ctx.case(p, dout=p.values["dout"], cache=p.values["S"]) for p in ctx.points]


sigmoid_backward = Function(
    "sigmoid_backward", ("dout", "cache"), part=1,
    result=Arr(like="dout", label="dout's shape"),
    grad=Gradient(at=lambda p: p.values["out"], vjp=lambda p: (p.values["dout"], logistic)),
    cases=sigmoid_backward_cases,
)  # fmt: skip


def with_zeros(ctx):
    """Pre-activations of which about half are exactly 0, and an upstream gradient."""
    rng = np.random.default_rng((*ctx.seeds, 5))
    Z = rng.standard_normal((6, 5))
    Z[rng.random((6, 5)) < 0.5] = 0.0
    Z[0, 0] = 0.0
    return Z, rng.standard_normal((6, 5)) / 6


def relu_forward_cases(ctx):
    cases = [ctx.case(p, Z=p.values["out"]) for p in ctx.points]
    Z, _ = with_zeros(ctx)
    cases.append(ctx.case("pre-activations with exact zeros", Z=Z, dims={"N": 6}))
    return cases


relu_forward = Function(
    "relu_forward", ("Z",), part=1,
    result=Seq((Arr(like="Z", label="Z's shape"), Arr(like="Z", label="Z's shape")), ("A", "cache")),
    properties=(RELU_DEFINITION,), cases=relu_forward_cases,
)  # fmt: skip


def relu_backward_cases(ctx):
    cases = []
    for p in ctx.points:
        Z = away_from_zero(p.values["out"])
        cases.append(ctx.case(p, dout=p.values["dout"], cache=Z, given=Given(Z=Z, dout=p.values["dout"])))
    Z, dout = with_zeros(ctx)
    # no finite differences where Z is 0: the ReLU has no derivative there (the contract says 0)
    cases.append(ctx.case("pre-activations with exact zeros", dout=dout, cache=Z, dims={"N": 6}, given=Given(Z=Z, dout=dout), fd={}))
    return cases


relu_backward = Function(
    "relu_backward", ("dout", "cache"), part=1,
    result=Arr(like="dout", label="dout's shape"),
    grad=Gradient(at=lambda g: g.Z, vjp=lambda g: (g.dout, lambda Z: np.maximum(Z, 0.0))),
    properties=(ZERO_WHERE_INACTIVE,), cases=relu_backward_cases,
)  # fmt: skip


# --- Part 2: losses --------------------------------------------------------------------------


def softmax_loss_cases(ctx):
    cases = []
    for p in ctx.points:
        N, M = p.dims["N"], p.dims["M"]
        cases.append(ctx.case(p, scores=p.values["out"], y=p.y, sizes={"N": N, "C": M}))
    given = Given(y=EXTREME_LABELS)
    cases.append(ctx.case("scores of +-1000", scores=EXTREME_SCORES, y=EXTREME_LABELS, dims={"N": 3, "C": 4}, given=given, extreme=True))
    return cases


softmax_loss = Function(
    "softmax_loss", ("scores", "y"), part=2, loss=True,
    result=Seq((Scalar("the mean loss"), Arr(like="scores", label="scores' shape (N, C)")), ("loss", "dscores")),
    grad={"dscores": Gradient(at="scores", loss=lambda g: lambda S: mean_softmax_ce(S, g.y))},
    properties=(SOFTMAX_LOSS,), cases=softmax_loss_cases,
)  # fmt: skip


def logistic_loss_cases(ctx):
    cases = []
    for p in ctx.points:
        scores = p.values["out"][:, :1]
        cases.append(ctx.case(p, scores=scores, y=p.binary, dims={"N": p.dims["N"]}, given=Given(y=p.binary)))
    given = Given(y=EXTREME_BINARY)
    cases.append(ctx.case("scores of +-1000", scores=EXTREME_LOGITS, y=EXTREME_BINARY, dims={"N": 5}, given=given, extreme=True))
    return cases


logistic_loss = Function(
    "logistic_loss", ("scores", "y"), part=2, loss=True,
    result=Seq((Scalar("the mean loss"), Arr(like="scores", label="scores' shape (N, 1)")), ("loss", "dscores")),
    grad={"dscores": Gradient(at="scores", loss=lambda g: lambda s: mean_logistic_ce(s, g.y))},
    properties=(LOGISTIC_LOSS,), cases=logistic_loss_cases,
)  # fmt: skip


# --- Part 3: the chain -------------------------------------------------------------------------

CHAINS = (("N=1 example, K=3 units", 1, 3), ("N=5 examples, K=4 units", 5, 4), ("N=8 examples, K=2 units", 8, 2), ("N=40 examples, K=6 units", 40, 6))


def chains(ctx):
    for i, (label, N, K) in enumerate(CHAINS):
        rng = np.random.default_rng(ctx.seeds[i % len(ctx.seeds)] + 101 + i)
        x = rng.standard_normal(N)
        w = rng.standard_normal(K) * 1.5
        y = rng.random(N)
        yield Chain(label, x, w, y, {"N": N, "K": K})


def chain_cases(ctx):
    return [ctx.case(c, x=c.x, w=c.w, y=c.y) for c in chains(ctx)]


chain_backward_loop = Function(
    "chain_backward_loop", ("x", "w", "y"), part=3,
    result=Arr("N,K", "(N, K): one row per example"),
    # G[n, k] is the gradient of sum_n L_n(w_n) at w_n = w for every n: one weight row per example
    grad=Gradient(at=lambda c: np.tile(c.w, (c.x.shape[0], 1)), loss=lambda c: lambda W: float(np.sum(chain_losses(c.x, W, c.y)))),
    cases=chain_cases,
)  # fmt: skip

chain_backward = Function(
    "chain_backward", ("x", "w", "y"), part=3,
    result=Arr(like="w", label="w's shape (K,)"),
    grad=Gradient(at="w", loss=lambda c: lambda w: float(np.mean(chain_losses(c.x, w, c.y)))),
    cases=chain_cases,
)  # fmt: skip


# --- Part 4: the ReLU network and SGD ------------------------------------------------------------


def he_init_cases(ctx):
    specs = (
        ("layers [2, 16, 16, 2], default seed", [2, 16, 16, 2], None),
        ("layers [5, 4, 3, 2], seed", [5, 4, 3, 2], ctx.seeds[1] % 1000),
        ("layers [784, 32, 10], seed", [784, 32, 10], ctx.seeds[2] % 1000),
    )
    out = []
    for label, sizes, seed in specs:
        shown = label if seed is None or ctx.hidden else f"{label} {seed}"
        given = Given(sizes=sizes, seed=0 if seed is None else seed)
        args = {"layer_sizes": sizes} if seed is None else {"layer_sizes": sizes, "seed": seed}
        out.append(ctx.case(shown, given=given, **args))
    return out


he_init = Function(
    "he_init", ("layer_sizes", "seed"), part=4, defaults={"seed": 0},
    result=lambda case: param_template(case.given.sizes),
    properties=(HE_MATCHES,), cases=he_init_cases,
)  # fmt: skip

NETWORKS = (
    ("layers [5, 4, 3], N=6", [5, 4, 3], 6),
    ("layers [6, 5, 4, 3], N=7", [6, 5, 4, 3], 7),
    ("layers [4, 3] (no hidden layer), N=5", [4, 3], 5),
    ("layers [784, 32, 10], N=16", [784, 32, 10], 16),
)


def networks(ctx):
    for i, (label, sizes, N) in enumerate(NETWORKS):
        rng = np.random.default_rng(ctx.seeds[i % len(ctx.seeds)] + 202 + i)
        params = {}
        for layer in range(1, len(sizes)):
            params[f"W{layer}"] = rng.standard_normal((sizes[layer - 1], sizes[layer])) * np.sqrt(2.0 / sizes[layer - 1])
            params[f"b{layer}"] = 0.2 * rng.standard_normal((1, sizes[layer]))
        X = rng.random((N, sizes[0])) if sizes[0] > 100 else rng.standard_normal((N, sizes[0]))
        y = rng.integers(0, sizes[-1], size=N).astype(np.int64)
        yield Network(label, sizes, params, X, y, {"N": N})


def mlp_loss_cases(ctx):
    out = []
    for net in networks(ctx):
        fd = {}
        for key in net.params:
            def loss(x, key=key, net=net):
                return mlp_mean_loss(dict(net.params, **{key: x}), net.X, net.y)

            fd[f"grads[{key!r}]"] = ctx.fd(loss, net.params[key])
        out.append(ctx.case(net, params=net.params, X=net.X, y=net.y, sizes={"N": net.dims["N"], "C": net.sizes[-1]}, fd=fd))
    return out


mlp_loss = Function(
    "mlp_loss", ("params", "X", "y"), part=4, pipeline=True, matmul=True,
    result=lambda case: Seq((Scalar("the mean loss"), param_template(case.given.sizes)), ("loss", "grads")),
    properties=(MLP_LOSS,), cases=mlp_loss_cases,
)  # fmt: skip


def sgd_step_cases(ctx):
    out = []
    for i, (sizes, rate) in enumerate((([5, 4, 3], 0.3), ([2, 16, 16, 2], 0.05))):
        rng = np.random.default_rng(ctx.seeds[i] + 303)
        params = {k: v + 0.1 * rng.standard_normal(v.shape) for k, v in he_draws(sizes, int(ctx.seeds[i] % 1000)).items()}
        grads = {k: rng.standard_normal(v.shape) for k, v in params.items()}
        label = f"layers {sizes}, learning rate {rate}"
        out.append(ctx.case(label, params=params, grads=grads, learning_rate=rate, given=Given(sizes=sizes)))
    return out


sgd_step = Function(
    "sgd_step", ("params", "grads", "learning_rate"), part=4,
    result=lambda case: param_template(case.given.sizes),
    properties=(UPDATE_RULE,), cases=sgd_step_cases,
)  # fmt: skip


def make_circles_cases(ctx):
    specs = (
        ("N=10, default noise and seed", 10, None, None),
        ("N=7, no noise, seed", 7, 0.0, ctx.seeds[0] % 1000),
        ("N=50, noise 0.2, seed", 50, 0.2, ctx.seeds[1] % 1000),
    )
    out = []
    for label, N, noise, seed in specs:
        shown = label if seed is None or ctx.hidden else f"{label} {seed}"
        args = {"N": N} if noise is None else {"N": N, "noise": noise, "seed": seed}
        out.append(ctx.case(shown, dims={"N": N}, given=Given(noise=0.1 if noise is None else noise), **args))
    return out


make_circles = Function(
    "make_circles", ("N", "noise", "seed"), part=4, defaults={"noise": 0.1, "seed": 0},
    result=Seq((Arr("N,2", "(N, 2)"), Arr("N", "(N,)", dtype="int64")), ("X", "y")),
    properties=(CIRCLE_LABELS, CIRCLE_RADII, CIRCLE_RECIPE), cases=make_circles_cases,
)  # fmt: skip

TRAININGS = (
    # label, N, layer sizes, settings (learning_rate, epochs, batch_size) or None for the defaults
    ("20 points, layers [2, 5, 2], lr 0.5, 3 epochs, batches of 8", 20, [2, 5, 2], (0.5, 3, 8)),
    ("30 points, layers [2, 6, 6, 2], lr 0.2, 4 epochs, batches of 7", 30, [2, 6, 6, 2], (0.2, 4, 7)),
    ("64 points, layers [2, 8, 2], default settings and seed", 64, [2, 8, 2], None),
)


def train_sgd_cases(ctx):
    out = []
    for i, (label, N, sizes, settings) in enumerate(TRAININGS):
        X, y = circle_points(N, 0.1, ctx.seeds[i] + 404)
        if settings is None:
            args, seed, batch_size, epochs = {}, 0, 32, 20
        else:
            learning_rate, epochs, batch_size = settings
            seed = int(ctx.seeds[i] % 1000)
            args = {"learning_rate": learning_rate, "epochs": epochs, "batch_size": batch_size, "seed": seed}
            label = label if ctx.hidden else f"{label}, seed {seed}"
        steps = -(-N // batch_size)
        given = Given(sizes=sizes, seed=seed, steps=steps, batch_size=batch_size, epochs=epochs)
        out.append(ctx.case(label, X=X, y=y, layer_sizes=sizes, dims={"N": N}, given=given, **args))
    return out


train_sgd = Function(
    "train_sgd", ("X", "y", "layer_sizes", "learning_rate", "epochs", "batch_size", "seed"), part=4, pipeline=True,
    defaults={"learning_rate": 0.5, "epochs": 20, "batch_size": 32, "seed": 0}, matmul=True,
    result=lambda case: Seq((param_template(case.given.sizes), FloatList(case.given.epochs * case.given.steps, "losses", "one per SGD step", "one batch loss per step")), ("params", "losses")),
    properties=(FIRST_LOSS, RECIPE, LOSS_DOWN), cases=train_sgd_cases,
)  # fmt: skip


HOMEWORK = Homework(
    "modular_layers",
    functions=(
        affine_forward, affine_backward, sigmoid_forward, sigmoid_backward, relu_forward, relu_backward,
        softmax_loss, logistic_loss, chain_backward_loop, chain_backward, he_init, mlp_loss, sgd_step,
        make_circles, train_sgd,
    ),
    points=layer_points,
    message_names=r"\b(?:W|b)\d+\b",
    is_bias_path=lambda function, path: path == "db" or "['b" in path,
)  # fmt: skip
