"""The backprop homework as data: its contract, the inputs it is graded on, and what comes back.

Twenty-five functions of a two-layer sigmoid/softmax network (parts 1-3) and an L-layer
network (part 4), in the contract's order (../../shared/CONTRACT.md). The test inputs: small
networks with N=1 and non-square sizes (D=5, H=3, C=4 and D=4, H=7, C=3), the MNIST sizes
(D=784, H=200, C=10), plus cases aimed at one property (logits of +-1000, zero vectors, the
contract's defaults).

Hidden plans feed every step the reference's own upstream values (reference Z1, X2, dZ2, ...),
so a mistake in one step cannot spread to the next. Public plans have no reference: the
upstream gradient a step receives is random, and the step is checked against finite
differences of ``sum(upstream * forward_output)``, which has the same derivative rule.

This file holds no answer: only forward definitions (the finite differences are taken of
them), inputs and properties.
"""

import functools
from dataclasses import dataclass, field
from operator import attrgetter

import numpy as np

from autograder import gradcheck as gc
from autograder import properties as P
from autograder.oracle import Planted, TestFunction
from autograder.plan import copy_value
from autograder.spec import Arr, FloatList, Function, Gradient, Homework, Mapping, Property, Scalar, Seq
from autograder.structure import scalar_value

# --- the forward pass the differences are taken of -----------------------------------------


def logistic(Z):
    # 1 / (1 + e^-z) written with tanh: no overflow, and fast (the differences call it often)
    return 0.5 * (1.0 + np.tanh(0.5 * Z))


def log_softmax(Z):
    shifted = Z - Z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(Z):
    return np.exp(log_softmax(Z))


def mean_cross_entropy(Z2, Y):
    """Mean cross-entropy of softmax(Z2) against one-hot Y, from the logits."""
    return float(-np.sum(Y * log_softmax(Z2)) / Y.shape[0])


def forward_layers(X, params):
    """Activations of an L-layer sigmoid network: cache {"A0", "Z1", "A1", ...}."""
    L = sum(1 for key in params if key.startswith("W"))
    cache = {"A0": X}
    A = X
    for layer in range(1, L + 1):
        Z = A @ params[f"W{layer}"] + params[f"b{layer}"]
        A = logistic(Z) if layer < L or Z.shape[1] == 1 else softmax(Z)
        cache[f"Z{layer}"] = Z
        cache[f"A{layer}"] = A
    return cache


def layered_cost(X, Y, params):
    """cost_n of the contract: binary cross-entropy for one output unit, else cross-entropy."""
    return layered_cost_from(X, 1, Y, params)


def layered_cost_from(A, first, Y, params):
    """The cost, given the activations A entering layer ``first`` (A0 = X for layer 1)."""
    L = sum(1 for key in params if key.startswith("W"))
    for layer in range(first, L):
        A = logistic(A @ params[f"W{layer}"] + params[f"b{layer}"])
    Z = A @ params[f"W{L}"] + params[f"b{L}"]
    if Z.shape[1] == 1:
        return float(np.mean(Y * np.logaddexp(0.0, -Z) + (1 - Y) * np.logaddexp(0.0, Z)))
    return mean_cross_entropy(Z, Y)


# --- the points the functions are evaluated at ---------------------------------------------

SMALL_POINTS = (
    ("N=1, D=5, H=3, C=4", (1, 5, 3, 4)),
    ("N=7, D=5, H=3, C=4", (7, 5, 3, 4)),
    ("N=6, D=4, H=7, C=3", (6, 4, 7, 3)),
)
MNIST_POINT = ("MNIST sizes N=16, D=784, H=200, C=10", (16, 784, 200, 10))
LAYERED = (
    ("layers [5, 4, 3, 1], N=7", (5, 4, 3, 1), 7),
    ("layers [5, 4, 3], N=6", (5, 4, 3), 6),
    ("layers [784, 196, 1], N=16", (784, 196, 1), 16),
)
PARAMS = ("W1", "b1", "W2", "b2")
EXTREME_Z = np.array([[-1000.0, -60.0, -1.0, 0.0, 1.0, 60.0, 1000.0]])
EXTREME_LOGITS = np.array([[1000.0, 999.0, 998.0, 0.0], [-1000.0, -999.0, -998.0, -1001.0], [0.0, 1000.0, -1000.0, 500.0]])


@dataclass
class Point:
    """A two-layer network at which the functions are evaluated."""

    label: str
    seed: int
    X: np.ndarray
    Y: np.ndarray
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    dims: dict
    values: dict = field(default_factory=dict)  # Z1, X2, Z2, Y_hat, dZ2, dX2, dZ1 fed to steps


@dataclass
class Layered:
    """An L-layer case (part 4): the layer sizes and the data it was built from."""

    sizes: list
    X: np.ndarray = None
    Y: np.ndarray = None
    params: dict = None
    seed: int = None  # initialize_parameters: the seed the draws come from (1: the default)
    cache: dict = None  # backward_n: the cache it is given


@dataclass
class Pair:
    """relative_error's inputs and the value the definition gives."""

    a: np.ndarray
    b: np.ndarray
    exact: float


def make_point(label, seed, dims, mnist_like=False):
    N, D, H, C = dims
    rng = np.random.default_rng(seed)
    X = rng.random((N, D)) if mnist_like else rng.standard_normal((N, D))
    Y = np.eye(C)[rng.integers(0, C, size=N)]
    W1 = rng.standard_normal((D, H)) / np.sqrt(D) * (3.0 if mnist_like else 1.0)
    b1 = 0.2 * rng.standard_normal((1, H))
    W2 = rng.standard_normal((H, C)) / np.sqrt(H) * 2.0
    b2 = 0.2 * rng.standard_normal((1, C))
    return Point(label, seed, X, Y, W1, b1, W2, b2, {"N": N, "D": D, "H": H, "C": C})


def derive(point, reference, rng):
    """Fill the values each step is fed: the reference's in hidden plans; in public plans,
    forward values from this module's forward pass and random upstream gradients."""
    p = point
    if reference is not None:
        Z1, X2, Z2, Y_hat = (np.array(v, dtype=np.float64) for v in reference.forward(p.X, p.W1, p.b1, p.W2, p.b2))
        dZ2 = reference.dJ_dZ2(Y_hat, p.Y)
        dX2 = reference.dJ_dX2(dZ2, p.W2)
        dZ1 = reference.dJ_dZ1(dX2, Z1)
    else:
        Z1 = p.X @ p.W1 + p.b1
        X2 = logistic(Z1)
        Z2 = X2 @ p.W2 + p.b2
        Y_hat = softmax(Z2)
        dZ2 = rng.standard_normal(Z2.shape) / Z2.shape[0]
        dX2 = rng.standard_normal(X2.shape) / Z2.shape[0]
        dZ1 = rng.standard_normal(Z1.shape) / Z2.shape[0]
    p.values = {"Z1": Z1, "X2": X2, "Z2": Z2, "Y_hat": Y_hat, "dZ2": dZ2, "dX2": dX2, "dZ1": dZ1}
    return p


def networks(ctx):
    """The shared points: three small networks and one of the MNIST sizes, derived in order."""
    small = [make_point(label, ctx.seeds[i], dims) for i, (label, dims) in enumerate(SMALL_POINTS)]
    mnist = make_point(MNIST_POINT[0], ctx.seeds[2] * 7 + 1, MNIST_POINT[1], mnist_like=True)
    return [derive(p, ctx.reference, ctx.rng) for p in (*small, mnist)]


def layered_point(sizes, N, seed):
    rng = np.random.default_rng(seed)
    params = {}
    for layer in range(1, len(sizes)):
        params[f"W{layer}"] = rng.standard_normal((sizes[layer - 1], sizes[layer])) / np.sqrt(sizes[layer - 1]) * 2.0
        params[f"b{layer}"] = 0.2 * rng.standard_normal((1, sizes[layer]))
    X = rng.random((N, sizes[0])) if sizes[0] > 100 else rng.standard_normal((N, sizes[0]))
    if sizes[-1] == 1:
        Y = rng.integers(0, 2, size=(N, 1)).astype(np.float64)
    else:
        Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=N)]
    return X, Y, params


def layered(ctx):
    for i, (label, sizes, N) in enumerate(LAYERED):
        X, Y, params = layered_point(sizes, N, ctx.seeds[i % len(ctx.seeds)] + 404)
        yield label, sizes, N, X, Y, params


def param_template(sizes):
    entries = []
    for layer in range(1, len(sizes)):
        entries.append((f"W{layer}", Arr((sizes[layer - 1], sizes[layer]), label=f"W{layer}'s shape")))
        entries.append((f"b{layer}", Arr((1, sizes[layer]), label=f"b{layer}'s shape")))
    return Mapping(tuple(entries))


# --- properties of this homework's results ---------------------------------------------------


def jacobian_rows(case, values, tolerance):
    J = values[""]
    scale = float(np.max(np.abs(J), initial=0.0))
    if scale > 0.0:  # relative to the largest entry, so no sum of finite entries overflows
        J = J / scale
    # a sum that should cancel: held to the tolerance relative to the size of its terms
    if not np.all(np.abs(J.sum(axis=1)) <= tolerance * np.abs(J).sum(axis=1)):
        return "each row of the softmax Jacobian must sum to 0 (the probabilities always add to 1)"
    if not gc.relative_error(J, J.T) <= tolerance:
        return "the softmax Jacobian is symmetric (d s_i / d z_j equals d s_j / d z_i); yours is not"
    return None


def loss_definition(case):
    """cross_entropy / cost_n as the contract defines them, computed from Y_hat and Y."""
    Y_hat, Y = case.args[0], case.args[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        if Y_hat.shape[1] == 1:
            return float(-np.mean(Y * np.log(Y_hat) + (1 - Y) * np.log(1 - Y_hat)))
        return float(-np.sum(Y * np.log(Y_hat)) / Y.shape[0])


def all_small(case, values, tolerance):
    errors = {key: scalar_value(values[f"[{key!r}]"]) for key in PARAMS}
    bad = {k: v for k, v in errors.items() if not 0.0 <= v < tolerance}
    if bad:
        shown = ", ".join(f"{k}: {v:.1e}" for k, v in bad.items())
        return f"for a correct backprop every relative error should be below {tolerance:.0e}; yours reports {shown}"
    if all(v == 0.0 for v in errors.values()):
        return "every relative error is exactly 0: are backprop's gradients being compared with themselves?"
    return None


def detects_wrong_backprop(case, values, tolerance):
    """gradient_check where the grader planted errors (oracle.Planted, never sent to the
    worker): each parameter's error must be what comparing backprop with numerical_gradient
    gives, tiny where the planted factors cancel, |s - l| / (s + l) where they do not."""
    expected = case.oracle.expected_errors()
    errors = {key: scalar_value(values[f"[{key!r}]"]) for key in PARAMS}
    wrong = []
    for key, want in expected.items():
        got = errors[key]
        ok = 0.0 <= got < tolerance if want == 0.0 else abs(got - want) <= 1e-4 * want
        if not ok:
            wrong.append(key)
    if not wrong:
        return None
    shown = ", ".join(f"{k}: {errors[k]:.3g}" for k in wrong)
    return (
        f"in this case the grader changed some of backprop's gradients or the loss (which ones, and by how much, differs "
        f"from case to case), and the relative errors gradient_check reports for {', '.join(wrong)} are not what comparing "
        f"backprop with numerical_gradient gives here (yours: {shown})",
        None,
        "gradient_check must call backprop and numerical_gradient of the loss, and compare the two with relative_error",
    )


def performed_gradient_check(case, values, outcome, tolerance):
    """gradient_check called backprop, and numerical_gradient for every parameter, each
    result close to the true gradient of the loss (seen by the grader, oracle.py)."""
    evidence = outcome.evidence if outcome is not None else None
    calls = evidence.counts.get("scale_dict", 0) if evidence is not None else 0
    seen = evidence.gradients if evidence is not None else {}
    fix = "call backprop once, and numerical_gradient(cost, param, eps) for each parameter, with cost() computing the mean cross-entropy from the parameters"
    if calls < 1:
        return "gradient_check never called backprop", None, fix
    missing = [k for k in PARAMS if k not in seen]
    if missing:
        return f"gradient_check did not get a numerical gradient for {', '.join(missing)} from numerical_gradient", None, fix
    off = [k for k in PARAMS if not seen[k] <= tolerance]
    if off:
        return (
            f"the numerical gradients gradient_check computed for {', '.join(off)} are not those of the mean cross-entropy "
            f"at the given parameters (relative error {max(seen[k] for k in off):.1e})",
            None, fix,
        )  # fmt: skip
    return None


FORWARD_RULE = {"Z1": "X @ W1 + b1", "X2": "sigmoid(Z1)", "Z2": "X2 @ W2 + b2", "Y_hat": "softmax(Z2)"}


def forward_consistent(case, values, tolerance):
    p = case.given
    Z1 = p.X @ p.W1 + p.b1
    X2 = logistic(Z1)
    Z2 = X2 @ p.W2 + p.b2
    expected = {"Z1": Z1, "X2": X2, "Z2": Z2, "Y_hat": softmax(Z2)}
    for name in ("Z1", "X2", "Z2", "Y_hat"):
        error = gc.relative_error(values[name], expected[name])
        if not error <= tolerance:
            return f"{name} does not follow the definition ({FORWARD_RULE[name]}): relative error {error:.1e}"
    return None


def init_matches_contract(case, values, tolerance):
    sizes, seed = case.given.sizes, case.given.seed
    rng = np.random.default_rng(seed)
    for layer in range(1, len(sizes)):
        W = rng.standard_normal((sizes[layer - 1], sizes[layer])) / np.sqrt(sizes[layer - 1])
        if not gc.relative_error(values[f"['W{layer}']"], W) <= tolerance:
            return f"W{layer} is not the contract's draw: rng = np.random.default_rng(seed), then rng.standard_normal((n_in, n_out)) / sqrt(n_in) for each layer in order"
        if np.any(values[f"['b{layer}']"] != 0):
            return f"b{layer} must start at zeros"
    return None


def first_cost_matches_init(case, values, tolerance):
    X, Y, sizes = case.given.X, case.given.Y, case.given.sizes
    seed = case.args[5] if len(case.args) > 5 else 1
    rng = np.random.default_rng(seed)
    params = {}
    for layer in range(1, len(sizes)):
        params[f"W{layer}"] = rng.standard_normal((sizes[layer - 1], sizes[layer])) / np.sqrt(sizes[layer - 1])
        params[f"b{layer}"] = np.zeros((1, sizes[layer]))
    costs = values["costs"]
    first = layered_cost(X, Y, params)
    if not gc.relative_error([costs[0]], [first]) <= tolerance:
        return f"costs[0] should be the cost of initialize_parameters(layer_sizes, seed) before any step ({first:.6g}); yours is {costs[0]:.6g}"
    if not costs[-1] < costs[0]:
        return "the cost did not go down during training"
    return None


def output_classes(case):
    """The number of labels predict may give: 2 for one output unit, else the output size."""
    classes = case.given.sizes[-1]
    return 2 if classes == 1 else classes


ROWS_SUM_TO_ONE = Property("rows_sum_to_one", P.rows_sum_to_one)
IN_UNIT_INTERVAL = Property("in_unit_interval", P.in_unit_interval)
JACOBIAN_ROWS = Property("jacobian_rows_sum_to_zero", jacobian_rows)
POSITIVE = Property("positive", P.positive("a cross-entropy of probabilities below 1"))
LOSS_DEFINITION = Property("matches_loss_definition", P.matches(loss_definition, "the mean loss of the rows, as the contract defines it,"), hidden=False)
DEFINITION = Property("matches_definition", P.matches(lambda case: case.given.exact, "norm(a - b) / (norm(a) + norm(b))"), hidden=False)
EXACT_GRADIENT = Property("matches_exact_gradient", P.matches_exact_gradient, hidden=False)
CENTRAL_POINTS = Property("evaluated_at_x_plus_minus_eps", P.evaluated_at_x_plus_minus_eps)
ALL_SMALL = Property("all_small", all_small)
DETECTS_WRONG = Property("detects_wrong_backprop", detects_wrong_backprop)
PERFORMED_CHECK = Property("performed_gradient_check", performed_gradient_check)
LABELS_IN_RANGE = Property("labels_in_range", P.labels_in_range(output_classes))
FORWARD_CONSISTENT = Property("forward_consistent", forward_consistent, hidden=False)
INIT_MATCHES = Property("init_matches_contract", init_matches_contract, hidden=False)
FIRST_COST = Property("first_cost_matches_init", first_cost_matches_init, hidden=False)


# --- Part 1 ----------------------------------------------------------------------------------


def sigmoid_cases(ctx):
    cases = [ctx.case(p, Z=p.values["Z1"]) for p in ctx.points]
    cases.append(ctx.case("logits of +-1000", Z=EXTREME_Z, extreme=True))
    return cases


def d_sigmoid_cases(ctx):
    cases = [ctx.case(p, Z=p.values["Z1"]) for p in ctx.points]
    cases.append(ctx.case("inputs of +-1000", Z=EXTREME_Z, extreme=True))
    return cases


def softmax_cases(ctx):
    cases = [ctx.case(p, Z=p.values["Z2"]) for p in ctx.points]
    Z = EXTREME_LOGITS
    cases.append(ctx.case("logits of +-1000", Z=Z, dims={"N": Z.shape[0], "C": Z.shape[1]}, extreme=True))
    return cases


def softmax_jacobian_cases(ctx):
    return [ctx.case(p, z=p.values["Z2"][-1].copy()) for p in ctx.points]


def cross_entropy_cases(ctx):
    return [ctx.case(p, Y_hat=p.values["Y_hat"], Y=p.Y) for p in ctx.points]


def d_softmax_cases(ctx):
    return [ctx.case(p, Y_hat=p.values["Y_hat"], Y=p.Y) for p in ctx.points]


# --- Part 2 ----------------------------------------------------------------------------------


def forward_cases(ctx):
    return [ctx.case(p, X=p.X, W1=p.W1, b1=p.b1, W2=p.W2, b2=p.b2) for p in ctx.points]


def forward_result(case):
    N, H, C = case.dims["N"], case.dims["H"], case.dims["C"]
    return Seq(
        (Arr((N, H), label="(N, H)"), Arr((N, H), label="(N, H)"), Arr((N, C), label="(N, C)"), Arr((N, C), label="(N, C)")),
        ("Z1", "X2", "Z2", "Y_hat"),
    )


def step_cases(*names):
    """Cases of a step of the backward pass: one per point, the named values as arguments
    (a name of the point itself, X or W2, or of its derived values, dZ2 or Z1)."""

    def cases(ctx):
        return [ctx.case(p, **{n: getattr(p, n) if n in PARAMS or n in ("X", "Y") else p.values[n] for n in names}) for p in ctx.points]

    return cases


def backprop_loss(p, key):
    """The mean cross-entropy at p as a function of the parameter ``key`` (the others held).
    What stays constant while it moves is computed at the first evaluation (a plan read from
    the cache never evaluates it)."""

    @functools.cache
    def XW1():  # constant while b1, W2 or b2 moves
        return p.X @ p.W1

    @functools.cache
    def X2():
        return logistic(XW1() + p.b1)

    @functools.cache
    def X2W2():
        return X2() @ p.W2

    losses = {
        "W1": lambda W: mean_cross_entropy(logistic(p.X @ W + p.b1) @ p.W2 + p.b2, p.Y),
        "b1": lambda b: mean_cross_entropy(logistic(XW1() + b) @ p.W2 + p.b2, p.Y),
        "W2": lambda W: mean_cross_entropy(X2() @ W + p.b2, p.Y),
        "b2": lambda b: mean_cross_entropy(X2W2() + b, p.Y),
    }
    return losses[key]


def backprop_cases(ctx):
    return [ctx.case(p, X=p.X, Y=p.Y, W1=p.W1, b1=p.b1, W2=p.W2, b2=p.b2) for p in ctx.points]


# --- Part 3 ----------------------------------------------------------------------------------


def numerical_gradient_cases(ctx):
    out = []
    shapes = (((4, 3), None), ((6,), None), ((2, 3, 2), 1e-4))
    for i, (shape, eps) in enumerate(shapes):
        rng = np.random.default_rng(ctx.seeds[i] + 101)
        x = rng.standard_normal(shape)
        A = rng.standard_normal(shape)
        B = rng.standard_normal(shape)
        # The worker's f (a function of no arguments reading x) asks the grader for each
        # value: A and B, and so f's gradient, never leave the grader (oracle.py).
        used_eps = 1e-5 if eps is None else eps
        spec = TestFunction(x=x.copy(), A=A, B=B, eps=used_eps)
        exact = spec.gradient()
        label = f"x of shape {shape}" + ("" if eps is None else f", eps={eps}")
        passed = {} if eps is None else {"eps": eps}
        out.append(ctx.case(label, f=ctx.test_function("x"), x=x, **passed, expected=exact if ctx.hidden else None, oracle=spec))
    return out


def relative_error_cases(ctx):
    rng = np.random.default_rng(ctx.seeds[0] + 202)
    a = rng.standard_normal((4, 3))
    pairs = [
        ("two random (4, 3) arrays", a, rng.standard_normal((4, 3))),
        ("nearby vectors", a.ravel(), a.ravel() + 1e-3 * rng.standard_normal(12)),
        ("both zero", np.zeros(5), np.zeros(5)),
        ("one of them zero", np.zeros((2, 2)), rng.standard_normal((2, 2))),
    ]
    return [ctx.case(label, a=x, b=y, given=Pair(x, y, gc.relative_error(x, y))) for label, x, y in pairs]


def gradient_check_cases(ctx):
    """Two cases where backprop is left alone (every error tiny) and two where the grader
    plants errors (oracle.Planted): one scales numerical_gradient's results (as if the
    loss were scaled) and some of backprop's gradients (one of them by the same factor,
    which cancels), one scales some of backprop's gradients only. (The parameters' shapes
    differ from each other, so the grader tells which one a numerical gradient is for.) The factors come from the seeds and stay in
    the grader; the worker's backprop and numerical_gradient only pass their results
    through it, in every case alike."""
    out = []
    points = []
    for i, dims in enumerate(((4, 5, 3, 4), (3, 4, 6, 3))):
        points.append(derive(make_point(f"N={dims[0]}, D={dims[1]}, H={dims[2]}, C={dims[3]}", ctx.seeds[i] + 303, dims), ctx.reference, ctx.rng))
    rng = np.random.default_rng((*ctx.seeds, 303))

    def factor():
        low = rng.uniform(0.5, 0.8)
        return float(low if rng.random() < 0.5 else 1.0 / low)

    def gradients(p):
        """The mean cross-entropy's gradients at p: the reference's backprop in hidden plans,
        else central differences entry by entry."""
        if ctx.hidden:
            result = ctx.reference.backprop(*copy_value([p.X, p.Y, p.W1, p.b1, p.W2, p.b2]))
            return {k: np.asarray(result[k], dtype=np.float64) for k in PARAMS}
        params = {"W1": p.W1.copy(), "b1": p.b1.copy(), "W2": p.W2.copy(), "b2": p.b2.copy()}

        def loss():
            return mean_cross_entropy(logistic(p.X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"], p.Y)

        return {k: gc.probe(loss, v, 0, exact_limit=v.size).numeric.reshape(v.shape) for k, v in params.items()}

    true = [gradients(p) for p in points]

    loss = factor()
    keys = list(rng.permutation(PARAMS))
    # keys[0]'s factor cancels the loss's; the others differ from it by a factor in
    # [0.5, 0.8] or [1.25, 2], so their errors are at least 0.11
    both = {keys[0]: loss, keys[1]: loss * factor(), keys[2]: loss * factor()}
    alone = {str(k): factor() for k in rng.permutation(PARAMS)[: int(rng.integers(1, 4))]}
    plans = (
        (points[0], Planted(1.0, {}, true[0]), ""),
        (points[1], Planted(1.0, {}, true[1]), ""),
        (points[0], Planted(loss, {str(k): v for k, v in both.items()}, true[0]), ", with planted errors"),
        (points[1], Planted(1.0, alone, true[1]), ", with other planted errors"),
    )
    for p, planted, suffix in plans:
        properties = (DETECTS_WRONG if planted.planted else ALL_SMALL, PERFORMED_CHECK)
        out.append(
            ctx.case(
                p.label + suffix, dims=p.dims, given=p, X=p.X, Y=p.Y, W1=p.W1, b1=p.b1, W2=p.W2, b2=p.b2,
                properties=properties, patch={"backprop": "scale_dict", "numerical_gradient": "scale_array"}, oracle=planted,
            )  # fmt: skip
        )
    return out


# --- Part 4 ----------------------------------------------------------------------------------


def initialize_parameters_cases(ctx):
    out = []
    specs = (("layers [784, 196, 1], default seed", [784, 196, 1], None), ("layers [5, 4, 3, 2], seed", [5, 4, 3, 2], ctx.seeds[1]), ("layers [6, 3], seed", [6, 3], ctx.seeds[2]))
    for label, sizes, seed in specs:
        passed = {} if seed is None else {"seed": seed}
        shown = label if seed is None or ctx.hidden else f"{label} {seed}"
        out.append(ctx.case(shown, layer_sizes=sizes, **passed, given=Layered(sizes, seed=1 if seed is None else seed)))
    return out


def forward_n_cases(ctx):
    return [ctx.case(label, X=X, params=params, dims={"N": N}, given=Layered(sizes, X, Y, params)) for label, sizes, N, X, Y, params in layered(ctx)]


def forward_n_result(case):
    sizes, N = case.given.sizes, case.dims["N"]
    L = len(sizes) - 1
    cache_entries = [("A0", Arr((N, sizes[0]), label="X's shape"))]
    for layer in range(1, L + 1):
        cache_entries.append((f"Z{layer}", Arr((N, sizes[layer]), label=f"(N, n{layer})")))
        cache_entries.append((f"A{layer}", Arr((N, sizes[layer]), label=f"(N, n{layer})")))
    return Seq((Arr((N, sizes[-1]), label="(N, nL)"), Mapping(tuple(cache_entries))), ("Y_hat", "cache"))


def cost_n_cases(ctx):
    out = []
    for label, sizes, N, X, Y, params in layered(ctx):
        cache = forward_layers(X, params)
        Y_hat = cache[f"A{len(sizes) - 1}"]
        out.append(ctx.case(label, Y_hat=Y_hat, Y=Y, dims={"N": N}, sizes={"N": N, "C": Y.shape[1]}, given=Layered(sizes, X, Y, params)))
    return out


def backward_n_cases(ctx):
    out = []
    for label, sizes, N, X, Y, params in layered(ctx):
        # the reference's own cache is this step's input (isolation), so it is computed now
        cache = ctx.reference.forward_n(*copy_value([X, params]))[1] if ctx.hidden else forward_layers(X, params)
        reference_cache = functools.cache(functools.partial(forward_layers, X, params))  # at the first evaluation
        fd = {}
        for key in params:
            layer = int(key[1:])

            def loss(x, key=key, layer=layer, params=params, Y=Y, reference_cache=reference_cache):
                below = reference_cache()[f"A{layer - 1}"]  # constant while layer `layer` moves
                return layered_cost_from(below, layer, Y, dict(params, **{key: x}))

            fd[f"[{key!r}]"] = ctx.fd(loss, params[key])
        out.append(
            ctx.case(
                label, Y=Y, params=params, cache=cache, dims={"N": N}, sizes={"N": N, "C": Y.shape[1]}, fd=fd,
                given=Layered(sizes, X, Y, params, cache=cache),
            )  # fmt: skip
        )
    return out


def update_cases(ctx):
    out = []
    for label, sizes, N, X, Y, params in list(layered(ctx))[:2]:
        rng = np.random.default_rng(sum(sizes))
        grads = {k: rng.standard_normal(v.shape) for k, v in params.items()}
        out.append(ctx.case(label + ", learning rate 0.3", params=params, grads=grads, learning_rate=0.3, given=Layered(sizes, X, Y, params)))
    return out


def fit_cases(ctx):
    out = []
    specs = (
        ("20 examples, layers [6, 4, 1], lr 0.5, 25 iterations", [6, 4, 1], 20, (0.5, 25, ctx.seeds[0] % 1000)),
        ("12 examples, layers [6, 5, 3], lr 0.5, 25 iterations", [6, 5, 3], 12, (0.5, 25, ctx.seeds[1] % 1000)),
        ("10 examples, layers [4, 3, 1], lr 0.1, 40 iterations, seed 1", [4, 3, 1], 10, (0.1, 40, 1)),
    )
    for i, (label, sizes, N, (learning_rate, iterations, seed)) in enumerate(specs):
        X, Y, _ = layered_point(sizes, N, ctx.seeds[i % len(ctx.seeds)] + 505)
        out.append(
            ctx.case(
                label, X=X, Y=Y, layer_sizes=sizes, learning_rate=learning_rate, iterations=iterations, seed=seed,
                dims={"N": N}, sizes={"N": N, "C": Y.shape[1]}, given=Layered(sizes, X, Y),
            )  # fmt: skip
        )
    return out


def fit_result(case):
    return Seq((param_template(case.given.sizes), FloatList(case.args[4], "costs", "one per iteration", "one cost per iteration")), ("params", "costs"))


def predict_cases(ctx):
    return [ctx.case(label, X=X, params=params, dims={"N": N}, given=Layered(sizes, X, Y, params)) for label, sizes, N, X, Y, params in layered(ctx)]


# --- the contract ----------------------------------------------------------------------------

FUNCTIONS = (
    Function("sigmoid", ("Z",), Arr(like="Z", label="Z's shape"), sigmoid_cases, part=1, properties=(IN_UNIT_INTERVAL,)),
    Function("d_sigmoid", ("Z",), Arr(like="Z", label="Z's shape"), d_sigmoid_cases, part=1, grad=Gradient(at="Z", elementwise=logistic)),
    Function("softmax", ("Z",), Arr(like="Z", label="Z's shape (N, C)"), softmax_cases, part=1, properties=(ROWS_SUM_TO_ONE, IN_UNIT_INTERVAL)),
    Function(
        "softmax_jacobian", ("z",), Arr("C,C", label="(C, C)"), softmax_jacobian_cases, part=1,
        grad=Gradient(at="z", jacobian=lambda v: softmax(v[None])[0]), properties=(JACOBIAN_ROWS,),
    ),  # fmt: skip
    Function("cross_entropy", ("Y_hat", "Y"), Scalar("the mean cross-entropy"), cross_entropy_cases, part=1, properties=(POSITIVE, LOSS_DEFINITION), loss=True),
    Function(
        "d_softmax", ("Y_hat", "Y"), Arr(like="Y_hat", label="Y_hat's shape (N, C)"), d_softmax_cases, part=1,
        grad=Gradient(at=lambda p: p.values["Z2"], loss=lambda p: lambda Z, Y=p.Y: -float(np.sum(Y * log_softmax(Z)))),
    ),  # fmt: skip
    Function("forward", ("X", "W1", "b1", "W2", "b2"), forward_result, forward_cases, part=2, properties=(FORWARD_CONSISTENT,), matmul=True),
    Function(
        "dJ_dZ2", ("Y_hat", "Y"), Arr("N,C", label="Z2's shape (N, C)"), step_cases("Y_hat", "Y"), part=2,
        grad=Gradient(at=lambda p: p.values["Z2"], loss=lambda p: lambda Z, Y=p.Y: mean_cross_entropy(Z, Y)),
    ),  # fmt: skip
    Function(
        "dJ_dW2", ("X2", "dZ2"), Arr("H,C", label="W2's shape (H, C)"), step_cases("X2", "dZ2"), part=2, matmul=True,
        grad=Gradient(
            at=attrgetter("W2"),
            loss=lambda p: lambda W, v=p.values, p=p: mean_cross_entropy(v["X2"] @ W + p.b2, p.Y),
            vjp=lambda p: (p.values["dZ2"], lambda W, v=p.values: v["X2"] @ W),
        ),
    ),  # fmt: skip
    Function(
        "dJ_db2", ("dZ2",), Arr("1,C", label="b2's shape (1, C)"), step_cases("dZ2"), part=2,
        grad=Gradient(
            at=attrgetter("b2"),
            loss=lambda p: lambda b, v=p.values, p=p: mean_cross_entropy(v["X2"] @ p.W2 + b, p.Y),
            vjp=lambda p: (p.values["dZ2"], lambda b, v=p.values: v["Z2"] + b),
        ),
    ),  # fmt: skip
    Function(
        "dJ_dX2", ("dZ2", "W2"), Arr("N,H", label="X2's shape (N, H)"), step_cases("dZ2", "W2"), part=2, matmul=True,
        grad=Gradient(
            at=lambda p: p.values["X2"],
            loss=lambda p: lambda X2, p=p: mean_cross_entropy(X2 @ p.W2 + p.b2, p.Y),
            vjp=lambda p: (p.values["dZ2"], lambda X2, p=p: X2 @ p.W2),
        ),
    ),  # fmt: skip
    Function(
        "dJ_dZ1", ("dX2", "Z1"), Arr("N,H", label="Z1's shape (N, H)"), step_cases("dX2", "Z1"), part=2,
        grad=Gradient(
            at=lambda p: p.values["Z1"],
            loss=lambda p: lambda Z1, p=p: mean_cross_entropy(logistic(Z1) @ p.W2 + p.b2, p.Y),
            vjp=lambda p: (p.values["dX2"], logistic),
        ),
    ),  # fmt: skip
    Function(
        "dJ_dW1", ("X", "dZ1"), Arr("D,H", label="W1's shape (D, H)"), step_cases("X", "dZ1"), part=2, matmul=True,
        grad=Gradient(
            at=attrgetter("W1"),
            loss=lambda p: lambda W, p=p: mean_cross_entropy(logistic(p.X @ W + p.b1) @ p.W2 + p.b2, p.Y),
            vjp=lambda p: (p.values["dZ1"], lambda W, p=p: p.X @ W),
        ),
    ),  # fmt: skip
    Function(
        "dJ_db1", ("dZ1",), Arr("1,H", label="b1's shape (1, H)"), step_cases("dZ1"), part=2,
        grad=Gradient(
            at=attrgetter("b1"),
            loss=functools.partial(backprop_loss, key="b1"),
            vjp=lambda p: (p.values["dZ1"], lambda b, v=p.values: v["Z1"] + b),
        ),
    ),  # fmt: skip
    Function(
        "backprop", ("X", "Y", "W1", "b1", "W2", "b2"),
        Mapping.of(W1=Arr("D,H", label="W1's shape (D, H)"), b1=Arr("1,H", label="b1's shape (1, H)"), W2=Arr("H,C", label="W2's shape (H, C)"), b2=Arr("1,C", label="b2's shape (1, C)")),
        backprop_cases, part=2, pipeline=True, matmul=True,
        grad={f"[{key!r}]": Gradient(at=attrgetter(key), loss=functools.partial(backprop_loss, key=key)) for key in PARAMS},
    ),  # fmt: skip
    Function(
        "numerical_gradient", ("f", "x", "eps"), Arr(like="x", label="x's shape"), numerical_gradient_cases, defaults={"eps": 1e-5},
        part=3, properties=(EXACT_GRADIENT, CENTRAL_POINTS),
    ),  # fmt: skip
    Function("relative_error", ("a", "b"), Scalar("a float"), relative_error_cases, part=3, properties=(DEFINITION,), generic_values=False),
    Function(
        "gradient_check", ("X", "Y", "W1", "b1", "W2", "b2", "eps"), Mapping(tuple((k, Scalar("a relative error")) for k in PARAMS)),
        gradient_check_cases, defaults={"eps": 1e-5}, part=3, value=False, pipeline=True, matmul=True,
    ),  # fmt: skip
    Function(
        "initialize_parameters", ("layer_sizes", "seed"), lambda case: param_template(case.given.sizes), initialize_parameters_cases,
        defaults={"seed": 1}, part=4, properties=(INIT_MATCHES,),
    ),  # fmt: skip
    Function("forward_n", ("X", "params"), forward_n_result, forward_n_cases, part=4, matmul=True),
    Function("cost_n", ("Y_hat", "Y"), Scalar("the mean loss"), cost_n_cases, part=4, properties=(POSITIVE, LOSS_DEFINITION), loss=True),
    Function("backward_n", ("Y", "params", "cache"), lambda case: param_template(case.given.sizes), backward_n_cases, part=4, matmul=True),
    Function("update", ("params", "grads", "learning_rate"), lambda case: param_template(case.given.sizes), update_cases, part=4),
    Function(
        "fit", ("X", "Y", "layer_sizes", "learning_rate", "iterations", "seed"), fit_result, fit_cases,
        defaults={"learning_rate": 0.1, "iterations": 1000, "seed": 1}, part=4, pipeline=True, matmul=True,
        properties=(FIRST_COST,),
    ),  # fmt: skip
    Function("predict", ("X", "params"), Arr("N", label="(N,)", dtype="int64"), predict_cases, part=4, properties=(LABELS_IN_RANGE,), matmul=True),
)

HOMEWORK = Homework(
    "backprop",
    functions=FUNCTIONS,
    points=networks,
    message_names=r"\b(?:dJ_d|d)?[WbZXA]\d\b",  # W1, b2, Z1, dZ2, A0, dJ_dW1
    is_bias_path=lambda function, path: function in ("dJ_db1", "dJ_db2") or "['b" in path,
)
