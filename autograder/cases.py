"""The inputs every graded function is called on, with what must come back.

A plan holds, for each contract function, a list of cases built from fixed seeds: a small
network with N=1, small non-square networks (D=5, H=3, C=4 and D=4, H=7, C=3), and the MNIST
sizes (D=784, H=200, C=10), plus cases aimed at one property (logits of +-1000, zero vectors,
the contract's defaults).

Hidden plans (``reference`` given) feed every step the reference's own upstream values
(reference Z1, X2, dZ2, ...), so a mistake in one step cannot spread to the next, and carry
the reference's result for comparison. Public plans have no reference: the upstream gradient
a step receives is random, and the step is checked against finite differences of
``sum(upstream * forward_output)``, which has the same derivative rule.
"""

from dataclasses import dataclass, field

import numpy as np

from . import gradcheck as gc
from . import oracle
from .structure import Arr, FloatList, Mapping, Scalar, Seq

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
GRADIENT_FUNCTIONS = (
    "d_sigmoid", "softmax_jacobian", "d_softmax", "dJ_dZ2", "dJ_dW2", "dJ_db2", "dJ_dX2",
    "dJ_dZ1", "dJ_dW1", "dJ_db1", "backprop", "backward_n",
)  # fmt: skip
GRADIENT_CHECK_PATCH = ({"name": "backprop", "kind": "grads"}, {"name": "numerical_gradient", "kind": "numgrad"})


@dataclass
class Case:
    function: str
    label: str
    args: list
    expect: object  # a structure template
    dims: dict = field(default_factory=dict)
    expected: object = None  # the reference's result (hidden plans)
    fd: dict = field(default_factory=dict)  # leaf path -> function returning gradcheck.Probes
    context: dict = field(default_factory=dict)  # what the properties and the diagnosis need
    properties: tuple = ()  # names of property checks (see checks.py)
    test_functions: list = field(default_factory=list)  # numerical_gradient's f (see worker.py)
    patch: list = None  # gradient_check: the submission's functions wrapped through the grader
    oracle: object = None  # what the grader answers during the call (oracle.py); never sent
    _probes: dict = field(default_factory=dict, repr=False)

    def probes(self, path):
        if path not in self._probes:
            self._probes[path] = self.fd[path]()
        return self._probes[path]


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
    forward values from gradcheck's forward pass and random upstream gradients."""
    p = point
    if reference is not None:
        Z1, X2, Z2, Y_hat = (np.array(v, dtype=np.float64) for v in reference.forward(p.X, p.W1, p.b1, p.W2, p.b2))
        dZ2 = reference.dJ_dZ2(Y_hat, p.Y)
        dX2 = reference.dJ_dX2(dZ2, p.W2)
        dZ1 = reference.dJ_dZ1(dX2, Z1)
    else:
        Z1 = p.X @ p.W1 + p.b1
        X2 = gc.logistic(Z1)
        Z2 = X2 @ p.W2 + p.b2
        Y_hat = gc.softmax(Z2)
        dZ2 = rng.standard_normal(Z2.shape) / Z2.shape[0]
        dX2 = rng.standard_normal(X2.shape) / Z2.shape[0]
        dZ1 = rng.standard_normal(Z1.shape) / Z2.shape[0]
    p.values = {"Z1": Z1, "X2": X2, "Z2": Z2, "Y_hat": Y_hat, "dZ2": dZ2, "dX2": dX2, "dZ1": dZ1}
    return p


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    return value


class PlanBuilder:
    """Builds the cases of every function for one set of seeds, hidden or public."""

    def __init__(self, seeds, reference=None):
        if len(seeds) < 3:
            raise ValueError("a plan needs at least three seeds")
        self.seeds = tuple(int(s) for s in seeds)
        self.reference = reference
        self.hidden = reference is not None
        self.rng = np.random.default_rng(self.seeds)
        small = [make_point(label, self.seeds[i], dims) for i, (label, dims) in enumerate(SMALL_POINTS)]
        mnist = make_point(MNIST_POINT[0], self.seeds[2] * 7 + 1, MNIST_POINT[1], mnist_like=True)
        self.points = [derive(p, reference, self.rng) for p in (*small, mnist)]

    # -- helpers -------------------------------------------------------------------------

    def _ref(self, name, *args):
        """The reference's result on copies of ``args``, computed when build() resolves it
        (unless a cached value is found first)."""
        if not self.hidden:
            return None
        copies = _copy(list(args))
        return Deferred(lambda: getattr(self.reference, name)(*copies))

    def _fd(self, f, x):
        x = x.copy()
        seed = int(self.rng.integers(0, 2**31))
        return lambda: gc.probe(lambda: f(x), x, seed)

    def _label(self, point_or_text):
        return point_or_text.label if isinstance(point_or_text, Point) else point_or_text

    def case(self, function, where, args, expect, **kw):
        dims = kw.pop("dims", {})
        if isinstance(where, Point):
            dims = where.dims
        return Case(function, self._label(where), [_copy(a) for a in args], expect, dims=dims, **kw)

    # -- Part 1 ---------------------------------------------------------------------------

    def sigmoid(self):
        cases = [self._elementwise("sigmoid", p, p.values["Z1"]) for p in self.points]
        Z = np.array([[-1000.0, -60.0, -1.0, 0.0, 1.0, 60.0, 1000.0]])
        cases.append(self._elementwise("sigmoid", "logits of +-1000", Z, extreme=True))
        return cases

    def _elementwise(self, name, where, Z, extreme=False):
        dims = where.dims if isinstance(where, Point) else {}
        props = ("in_unit_interval",) if name == "sigmoid" else ()
        fd = {}
        if name == "d_sigmoid":
            fd = {"": lambda Z=Z.copy(): gc.elementwise_probe(gc.logistic, Z)}
        return self.case(
            name, where, [Z], Arr(Z.shape, label="Z's shape"), dims=dims,
            expected=self._ref(name, Z), fd=fd, properties=props, context={"Z": Z, "extreme": extreme},
        )  # fmt: skip

    def d_sigmoid(self):
        cases = [self._elementwise("d_sigmoid", p, p.values["Z1"]) for p in self.points]
        Z = np.array([[-1000.0, -60.0, -1.0, 0.0, 1.0, 60.0, 1000.0]])
        cases.append(self._elementwise("d_sigmoid", "inputs of +-1000", Z, extreme=True))
        return cases

    def softmax(self):
        cases = []
        for p in self.points:
            Z = p.values["Z2"]
            cases.append(self._softmax_case(p, Z))
        Z = np.array([[1000.0, 999.0, 998.0, 0.0], [-1000.0, -999.0, -998.0, -1001.0], [0.0, 1000.0, -1000.0, 500.0]])
        cases.append(self._softmax_case("logits of +-1000", Z, extreme=True))
        return cases

    def _softmax_case(self, where, Z, extreme=False):
        return self.case(
            "softmax", where, [Z], Arr(Z.shape, label="Z's shape (N, C)"), dims=getattr(where, "dims", {"N": Z.shape[0], "C": Z.shape[1]}),
            expected=self._ref("softmax", Z), properties=("rows_sum_to_one", "in_unit_interval"),
            context={"Z": Z, "extreme": extreme},
        )  # fmt: skip

    def softmax_jacobian(self):
        cases = []
        for p in self.points:
            z = p.values["Z2"][-1].copy()
            C = z.shape[0]
            cases.append(
                self.case(
                    "softmax_jacobian", p, [z], Arr((C, C), label="(C, C)"),
                    expected=self._ref("softmax_jacobian", z),
                    fd={"": lambda z=z: gc.jacobian_probe(lambda v: gc.softmax(v[None])[0], z)},
                    properties=("jacobian_rows_sum_to_zero",), context={"z": z},
                )  # fmt: skip
            )
        return cases

    def cross_entropy(self):
        cases = []
        for p in self.points:
            Y_hat, Y = p.values["Y_hat"], p.Y
            cases.append(
                self.case(
                    "cross_entropy", p, [Y_hat, Y], Scalar("the mean cross-entropy"),
                    expected=self._ref("cross_entropy", Y_hat, Y),
                    properties=("positive", "matches_loss_definition"), context={"Y_hat": Y_hat, "Y": Y},
                )  # fmt: skip
            )
        return cases

    def d_softmax(self):
        cases = []
        for p in self.points:
            Z2, Y = p.values["Z2"], p.Y
            summed = lambda Z, Y=Y: -float(np.sum(Y * gc.log_softmax(Z)))  # noqa: E731
            cases.append(
                self.case(
                    "d_softmax", p, [p.values["Y_hat"], Y], Arr(Z2.shape, label="Y_hat's shape (N, C)"),
                    expected=self._ref("d_softmax", p.values["Y_hat"], Y), fd={"": self._fd(summed, Z2)},
                    context={"Y_hat": p.values["Y_hat"], "Y": Y},
                )  # fmt: skip
            )
        return cases

    # -- Part 2 ---------------------------------------------------------------------------

    def forward(self):
        cases = []
        for p in self.points:
            N, H, C = p.dims["N"], p.dims["H"], p.dims["C"]
            expect = Seq(
                (Arr((N, H), label="(N, H)"), Arr((N, H), label="(N, H)"), Arr((N, C), label="(N, C)"), Arr((N, C), label="(N, C)")),
                ("Z1", "X2", "Z2", "Y_hat"),
            )
            cases.append(
                self.case(
                    "forward", p, [p.X, p.W1, p.b1, p.W2, p.b2], expect,
                    expected=self._ref("forward", p.X, p.W1, p.b1, p.W2, p.b2),
                    properties=("forward_consistent",), context={"point": p},
                )  # fmt: skip
            )
        return cases

    def _step(self, name, p, args, shape, label, fd_hidden, fd_public):
        f, x = fd_hidden if self.hidden else fd_public
        return self.case(
            name, p, args, Arr(shape, label=label), expected=self._ref(name, *args),
            fd={"": self._fd(f, x)}, context={"point": p},
        )  # fmt: skip

    def dJ_dZ2(self):
        out = []
        for p in self.points:
            v = p.values
            loss = lambda Z, Y=p.Y: gc.mean_cross_entropy(Z, Y)  # noqa: E731
            out.append(self._step("dJ_dZ2", p, [v["Y_hat"], p.Y], v["Z2"].shape, "Z2's shape (N, C)", (loss, v["Z2"]), (loss, v["Z2"])))
        return out

    def dJ_dW2(self):
        out = []
        for p in self.points:
            v = p.values
            hidden = (lambda W, v=v, p=p: gc.mean_cross_entropy(v["X2"] @ W + p.b2, p.Y), p.W2)
            public = (lambda W, v=v: float(np.sum(v["dZ2"] * (v["X2"] @ W))), p.W2)
            out.append(self._step("dJ_dW2", p, [v["X2"], v["dZ2"]], p.W2.shape, "W2's shape (H, C)", hidden, public))
        return out

    def dJ_db2(self):
        out = []
        for p in self.points:
            v = p.values
            hidden = (lambda b, v=v, p=p: gc.mean_cross_entropy(v["X2"] @ p.W2 + b, p.Y), p.b2)
            public = (lambda b, v=v: float(np.sum(v["dZ2"] * (v["Z2"] + b))), p.b2)
            out.append(self._step("dJ_db2", p, [v["dZ2"]], p.b2.shape, "b2's shape (1, C)", hidden, public))
        return out

    def dJ_dX2(self):
        out = []
        for p in self.points:
            v = p.values
            hidden = (lambda X2, p=p: gc.mean_cross_entropy(X2 @ p.W2 + p.b2, p.Y), v["X2"])
            public = (lambda X2, v=v, p=p: float(np.sum(v["dZ2"] * (X2 @ p.W2))), v["X2"])
            out.append(self._step("dJ_dX2", p, [v["dZ2"], p.W2], v["X2"].shape, "X2's shape (N, H)", hidden, public))
        return out

    def dJ_dZ1(self):
        out = []
        for p in self.points:
            v = p.values
            hidden = (lambda Z1, p=p: gc.mean_cross_entropy(gc.logistic(Z1) @ p.W2 + p.b2, p.Y), v["Z1"])
            public = (lambda Z1, v=v: float(np.sum(v["dX2"] * gc.logistic(Z1))), v["Z1"])
            out.append(self._step("dJ_dZ1", p, [v["dX2"], v["Z1"]], v["Z1"].shape, "Z1's shape (N, H)", hidden, public))
        return out

    def dJ_dW1(self):
        out = []
        for p in self.points:
            v = p.values
            hidden = (lambda W, p=p: gc.mean_cross_entropy(gc.logistic(p.X @ W + p.b1) @ p.W2 + p.b2, p.Y), p.W1)
            public = (lambda W, v=v, p=p: float(np.sum(v["dZ1"] * (p.X @ W))), p.W1)
            out.append(self._step("dJ_dW1", p, [p.X, v["dZ1"]], p.W1.shape, "W1's shape (D, H)", hidden, public))
        return out

    def dJ_db1(self):
        out = []
        for p in self.points:
            v = p.values
            XW1 = p.X @ p.W1  # constant while b1 moves
            hidden = (lambda b, p=p, XW1=XW1: gc.mean_cross_entropy(gc.logistic(XW1 + b) @ p.W2 + p.b2, p.Y), p.b1)
            public = (lambda b, v=v: float(np.sum(v["dZ1"] * (v["Z1"] + b))), p.b1)
            out.append(self._step("dJ_db1", p, [v["dZ1"]], p.b1.shape, "b1's shape (1, H)", hidden, public))
        return out

    def backprop(self):
        out = []
        for p in self.points:
            params = {"W1": p.W1, "b1": p.b1, "W2": p.W2, "b2": p.b2}
            labels = {"W1": "W1's shape (D, H)", "b1": "b1's shape (1, H)", "W2": "W2's shape (H, C)", "b2": "b2's shape (1, C)"}
            expect = Mapping(tuple((k, Arr(v.shape, label=labels[k])) for k, v in params.items()))
            XW1 = p.X @ p.W1
            X2 = gc.logistic(XW1 + p.b1)
            losses = {
                "W1": lambda W, p=p: gc.mean_cross_entropy(gc.logistic(p.X @ W + p.b1) @ p.W2 + p.b2, p.Y),
                "b1": lambda b, p=p, XW1=XW1: gc.mean_cross_entropy(gc.logistic(XW1 + b) @ p.W2 + p.b2, p.Y),
                "W2": lambda W, p=p, X2=X2: gc.mean_cross_entropy(X2 @ W + p.b2, p.Y),
                "b2": lambda b, p=p, X2W2=X2 @ p.W2: gc.mean_cross_entropy(X2W2 + b, p.Y),
            }
            fd = {f"[{key!r}]": self._fd(losses[key], params[key]) for key in params}
            args = [p.X, p.Y, p.W1, p.b1, p.W2, p.b2]
            out.append(self.case("backprop", p, args, expect, expected=self._ref("backprop", *args), fd=fd, context={"point": p}))
        return out

    # -- Part 3 ---------------------------------------------------------------------------

    def numerical_gradient(self):
        out = []
        shapes = (((4, 3), None), ((6,), None), ((2, 3, 2), 1e-4))
        for i, (shape, eps) in enumerate(shapes):
            rng = np.random.default_rng(self.seeds[i] + 101)
            x = rng.standard_normal(shape)
            A = rng.standard_normal(shape)
            B = rng.standard_normal(shape)
            # The worker's f (a function of no arguments reading x) asks the grader for each
            # value: A and B, and so f's gradient, never leave this process (oracle.py).
            args = [None, x] if eps is None else [None, x, eps]
            used_eps = 1e-5 if eps is None else eps
            spec = oracle.TestFunction(x=x.copy(), A=A, B=B, eps=used_eps)
            exact = spec.gradient()
            label = f"x of shape {shape}" + ("" if eps is None else f", eps={eps}")
            case = Case(
                "numerical_gradient", label, args, Arr(shape, label="x's shape"),
                dims={}, expected=exact if self.hidden else None,
                context={"x": x, "A": A, "B": B, "eps": used_eps, "exact": exact, "pass_eps": eps is not None},
                test_functions=[{"arg": 0, "target": 1}], oracle=spec,
                properties=("matches_exact_gradient", "evaluated_at_x_plus_minus_eps"),
            )  # fmt: skip
            out.append(case)
        return out

    def relative_error(self):
        rng = np.random.default_rng(self.seeds[0] + 202)
        a = rng.standard_normal((4, 3))
        pairs = [
            ("two random (4, 3) arrays", a, rng.standard_normal((4, 3))),
            ("nearby vectors", a.ravel(), a.ravel() + 1e-3 * rng.standard_normal(12)),
            ("both zero", np.zeros(5), np.zeros(5)),
            ("one of them zero", np.zeros((2, 2)), rng.standard_normal((2, 2))),
        ]
        out = []
        for label, x, y in pairs:
            exact = gc.relative_error(x, y)
            out.append(
                Case(
                    "relative_error", label, [x, y], Scalar("a float"), expected=self._ref("relative_error", x, y),
                    context={"a": x, "b": y, "exact": exact}, properties=("matches_definition",),
                )  # fmt: skip
            )
        return out

    def gradient_check(self):
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
            points.append(derive(make_point(f"N={dims[0]}, D={dims[1]}, H={dims[2]}, C={dims[3]}", self.seeds[i] + 303, dims), self.reference, self.rng))
        rng = np.random.default_rng((*self.seeds, 303))

        def factor():
            low = rng.uniform(0.5, 0.8)
            return float(low if rng.random() < 0.5 else 1.0 / low)

        def gradients(p):
            """The mean cross-entropy's gradients at p: the reference's backprop in hidden plans,
            else central differences entry by entry."""
            if self.hidden:
                result = self.reference.backprop(*_copy([p.X, p.Y, p.W1, p.b1, p.W2, p.b2]))
                return {k: np.asarray(result[k], dtype=np.float64) for k in oracle.PARAMETERS}
            params = {"W1": p.W1.copy(), "b1": p.b1.copy(), "W2": p.W2.copy(), "b2": p.b2.copy()}

            def loss():
                return gc.mean_cross_entropy(gc.logistic(p.X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"], p.Y)

            return {k: gc.probe(loss, v, 0, exact_limit=v.size).numeric.reshape(v.shape) for k, v in params.items()}

        true = [gradients(p) for p in points]

        loss = factor()
        keys = list(rng.permutation(oracle.PARAMETERS))
        # keys[0]'s factor cancels the loss's; the others differ from it by a factor in
        # [0.5, 0.8] or [1.25, 2], so their errors are at least 0.11
        both = {keys[0]: loss, keys[1]: loss * factor(), keys[2]: loss * factor()}
        alone = {str(k): factor() for k in rng.permutation(oracle.PARAMETERS)[: int(rng.integers(1, 4))]}
        plans = (
            (points[0], oracle.Planted(1.0, {}, true[0]), ""),
            (points[1], oracle.Planted(1.0, {}, true[1]), ""),
            (points[0], oracle.Planted(loss, {str(k): v for k, v in both.items()}, true[0]), ", with planted errors"),
            (points[1], oracle.Planted(1.0, alone, true[1]), ", with other planted errors"),
        )
        expect = Mapping(tuple((k, Scalar("a relative error")) for k in oracle.PARAMETERS))
        for p, planted, suffix in plans:
            where = Point(p.label + suffix, p.seed, p.X, p.Y, p.W1, p.b1, p.W2, p.b2, p.dims)
            properties = ("detects_wrong_backprop" if planted.planted else "all_small", "performed_gradient_check")
            args = [p.X, p.Y, p.W1, p.b1, p.W2, p.b2]
            out.append(
                self.case(
                    "gradient_check", where, args, expect, properties=properties, context={"point": p},
                    patch=list(GRADIENT_CHECK_PATCH), oracle=planted,
                )  # fmt: skip
            )
        return out

    # -- Part 4 ---------------------------------------------------------------------------

    def _layered_point(self, sizes, N, seed):
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

    def _param_template(self, sizes):
        entries = []
        for layer in range(1, len(sizes)):
            entries.append((f"W{layer}", Arr((sizes[layer - 1], sizes[layer]), label=f"W{layer}'s shape")))
            entries.append((f"b{layer}", Arr((1, sizes[layer]), label=f"b{layer}'s shape")))
        return Mapping(tuple(entries))

    def _layered(self):
        for i, (label, sizes, N) in enumerate(LAYERED):
            X, Y, params = self._layered_point(sizes, N, self.seeds[i % len(self.seeds)] + 404)
            yield label, sizes, N, X, Y, params

    def initialize_parameters(self):
        out = []
        specs = (("layers [784, 196, 1], default seed", [784, 196, 1], None), ("layers [5, 4, 3, 2], seed", [5, 4, 3, 2], self.seeds[1]), ("layers [6, 3], seed", [6, 3], self.seeds[2]))
        for label, sizes, seed in specs:
            args = [sizes] if seed is None else [sizes, seed]
            shown = label if seed is None or self.hidden else f"{label} {seed}"
            out.append(
                Case(
                    "initialize_parameters", shown, args, self._param_template(sizes),
                    expected=self._ref("initialize_parameters", *args),
                    context={"sizes": sizes, "seed": 1 if seed is None else seed}, properties=("init_matches_contract",),
                )  # fmt: skip
            )
        return out

    def forward_n(self):
        out = []
        for label, sizes, N, X, Y, params in self._layered():
            L = len(sizes) - 1
            cache_entries = [("A0", Arr((N, sizes[0]), label="X's shape"))]
            for layer in range(1, L + 1):
                cache_entries.append((f"Z{layer}", Arr((N, sizes[layer]), label=f"(N, n{layer})")))
                cache_entries.append((f"A{layer}", Arr((N, sizes[layer]), label=f"(N, n{layer})")))
            expect = Seq((Arr((N, sizes[-1]), label="(N, nL)"), Mapping(tuple(cache_entries))), ("Y_hat", "cache"))
            out.append(
                Case(
                    "forward_n", label, [X, params], expect, dims={"N": N},
                    expected=self._ref("forward_n", X, params), context={"X": X, "params": params, "sizes": sizes},
                )  # fmt: skip
            )
        return out

    def cost_n(self):
        out = []
        for label, sizes, N, X, Y, params in self._layered():
            cache = gc.forward_layers(X, params)
            Y_hat = cache[f"A{len(sizes) - 1}"]
            out.append(
                Case(
                    "cost_n", label, [Y_hat, Y], Scalar("the mean loss"), dims={"N": N},
                    expected=self._ref("cost_n", Y_hat, Y), properties=("positive", "matches_loss_definition"),
                    context={"Y_hat": Y_hat, "Y": Y},
                )  # fmt: skip
            )
        return out

    def backward_n(self):
        out = []
        for label, sizes, N, X, Y, params in self._layered():
            # the reference's own cache is this step's input (isolation), so it is computed now
            cache = self.reference.forward_n(*_copy([X, params]))[1] if self.hidden else gc.forward_layers(X, params)
            reference_cache = gc.forward_layers(X, params)
            fd = {}
            for key in params:
                layer = int(key[1:])
                below = reference_cache[f"A{layer - 1}"]  # constant while layer `layer` moves

                def loss(x, key=key, layer=layer, below=below, params=params, Y=Y):
                    return gc.layered_cost_from(below, layer, Y, dict(params, **{key: x}))

                fd[f"[{key!r}]"] = self._fd(loss, params[key])
            out.append(
                Case(
                    "backward_n", label, [Y, params, cache], self._param_template(sizes), dims={"N": N},
                    expected=self._ref("backward_n", Y, params, cache), fd=fd,
                    context={"X": X, "Y": Y, "params": params, "cache": cache, "sizes": sizes},
                )  # fmt: skip
            )
        return out

    def update(self):
        out = []
        for label, sizes, N, X, Y, params in list(self._layered())[:2]:
            rng = np.random.default_rng(sum(sizes))
            grads = {k: rng.standard_normal(v.shape) for k, v in params.items()}
            out.append(
                Case(
                    "update", label + ", learning rate 0.3", [params, grads, 0.3], self._param_template(sizes),
                    expected=self._ref("update", params, grads, 0.3), context={"params": params, "grads": grads},
                )  # fmt: skip
            )
        return out

    def fit(self):
        out = []
        specs = (
            ("20 examples, layers [6, 4, 1], lr 0.5, 25 iterations", [6, 4, 1], 20, (0.5, 25, self.seeds[0] % 1000)),
            ("12 examples, layers [6, 5, 3], lr 0.5, 25 iterations", [6, 5, 3], 12, (0.5, 25, self.seeds[1] % 1000)),
            ("10 examples, layers [4, 3, 1], lr 0.1, 40 iterations, seed 1", [4, 3, 1], 10, (0.1, 40, 1)),
        )
        for i, (label, sizes, N, settings) in enumerate(specs):
            X, Y, _ = self._layered_point(sizes, N, self.seeds[i % len(self.seeds)] + 505)
            args = [X, Y, sizes] if settings is None else [X, Y, sizes, *settings]
            iterations = 1000 if settings is None else settings[1]
            expect = Seq((self._param_template(sizes), FloatList(iterations)), ("params", "costs"))
            out.append(
                Case(
                    "fit", label, args, expect, dims={"N": N}, expected=self._ref("fit", *args),
                    context={"X": X, "Y": Y, "sizes": sizes}, properties=("first_cost_matches_init",),
                )  # fmt: skip
            )
        return out

    def predict(self):
        out = []
        for label, sizes, N, X, Y, params in self._layered():
            out.append(
                Case(
                    "predict", label, [X, params], Arr((N,), dtype="int64", label="(N,)"), dims={"N": N},
                    expected=self._ref("predict", X, params), context={"X": X, "params": params, "sizes": sizes},
                    properties=("labels_in_range",),
                )  # fmt: skip
            )
        return out

    def build(self, functions, stored=None):
        """{function: [Case]}; ``stored`` (from plancache.load) supplies values computed before."""
        stored = stored or {}
        plan = {name: getattr(self, name)() for name in functions}
        for name, cases in plan.items():
            for index, case in enumerate(cases):
                entry = stored.get(f"{name}/{index}", {})
                if isinstance(case.expected, Deferred):
                    case.expected = entry["expected"] if "expected" in entry else case.expected.thunk()
                case._probes.update({p: v for p, v in entry.get("probes", {}).items() if p in case.fd})
        return plan


class Deferred:
    """A value computed later (the reference's result for a case)."""

    def __init__(self, thunk):
        self.thunk = thunk
