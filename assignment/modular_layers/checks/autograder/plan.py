"""The inputs every graded function is called on, with what must come back: the plan.

A plan holds, for each function of a homework, the list of cases its spec builds
(``Function.cases(ctx)``) from fixed seeds. The spec decides the inputs; this module gives it
the means (``Context``): one random generator per plan, consumed in the order the spec asks,
the reference's results (hidden plans only, computed later and cached), finite differences of
the gradients the spec declares, and the test functions and patches the oracle answers for.

Hidden plans (a reference given) carry the reference's result for comparison, and the spec
may feed every step the reference's own upstream values, so a mistake in one step cannot
spread to the next. Public plans have no reference: a step is checked against finite
differences (of a loss, or of ``sum(upstream * forward(x))`` with a random upstream).
"""

from dataclasses import dataclass, field

import numpy as np

from . import gradcheck as gc
from .structure import resolve

AUTO = object()  # ctx.case(expected=AUTO): the reference's result when the function has a value


class Deferred:
    """A value computed later (the reference's result for a case)."""

    def __init__(self, thunk):
        self.thunk = thunk


@dataclass(frozen=True)
class TestFunctionArg:
    """An argument the worker fills with a scalar function f() that reads the argument
    ``target`` and asks the grader's oracle (the case's ``oracle``) for each value."""

    target: str


@dataclass
class Case:
    """One call of a graded function and what must come back."""

    function: str
    label: str
    args: list
    expect: object  # a concrete structure template (structure.py)
    dims: dict = field(default_factory=dict)  # named sizes shapes are shown with (N, D, H, C)
    expected: object = None  # the reference's result (hidden plans)
    fd: dict = field(default_factory=dict)  # result path -> function returning gradcheck.Probes
    given: object = None  # the spec's own record of the case (a point, ...); the engine never reads it
    properties: tuple = ()  # Property records (autograder.spec.Property)
    test_functions: list = field(default_factory=list)  # [{"arg": i, "target": j}] (see worker.py)
    patch: list = None  # [{"name", "kind"}]: functions wrapped through the grader during the call
    oracle: object = None  # what the grader answers during the call (oracle.py); never sent
    extreme: bool = False  # inputs chosen to break a naive formula (logits of +-1000)
    sizes: dict = None  # named sizes a diagnosis may name factors after (default: dims)
    params: tuple = ()  # the function's parameter names, in order (for named_args)
    _probes: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        if self.sizes is None:
            self.sizes = dict(self.dims)

    @property
    def named_args(self):
        """{parameter name: argument} of the arguments passed."""
        return dict(zip(self.params, self.args))

    def probes(self, path):
        """The finite differences of the result at ``path`` (computed once)."""
        if path not in self._probes:
            self._probes[path] = self.fd[path]()
        return self._probes[path]

    def compute_probes(self):
        """Compute every finite difference not yet known; True if any was computed."""
        missing = [path for path in self.fd if path not in self._probes]
        for path in missing:
            self.probes(path)
        return bool(missing)

    @property
    def known_probes(self):
        """{path: Probes} computed or restored so far (read-only use: plancache)."""
        return dict(self._probes)

    def restore_probes(self, stored):
        """Take finite differences computed before ({path: Probes}) for the paths of ``fd``."""
        self._probes.update({p: v for p, v in stored.items() if p in self.fd})


def copy_value(value):
    """A deep copy of arrays inside dicts, lists and tuples (other values as they are)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: copy_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(copy_value(v) for v in value)
    return value


class Context:
    """What a spec's ``points`` and ``cases`` build with: ``seeds``, ``hidden``, ``rng`` (one
    generator per plan, ``default_rng(seeds)``, consumed in the order the spec asks),
    ``reference`` (None in public plans), ``points`` (the homework's shared inputs) and
    ``function`` (the Function whose cases are being built)."""

    def __init__(self, homework, seeds, reference=None):
        if len(seeds) < 3:
            raise ValueError("a plan needs at least three seeds")
        self.homework = homework
        self.seeds = tuple(int(s) for s in seeds)
        self.reference = reference
        self.hidden = reference is not None
        self.rng = np.random.default_rng(self.seeds)
        self.function = None
        self.points = []
        if homework.points is not None:
            self.points = list(homework.points(self))

    # -- building blocks -------------------------------------------------------------------

    def ref(self, function, *args):
        """The reference's result on copies of ``args``, computed when the plan is built
        (unless a cached value is found first); None in public plans."""
        if not self.hidden:
            return None
        copies = copy_value(list(args))
        return Deferred(lambda: getattr(self.reference, function)(*copies))

    def fd(self, f, x):
        """Finite differences of the scalar ``f(x)`` with respect to (a copy of) x; the probe
        seed is drawn from ``rng`` now, the differences are computed when first needed."""
        x = x.copy()
        seed = int(self.rng.integers(0, 2**31))
        return lambda: gc.probe(lambda: f(x), x, seed)

    def vjp(self, upstream, forward, x):
        """``fd`` of sum(upstream * forward(x)): the vector-Jacobian product's finite differences."""
        return self.fd(lambda v: float(np.sum(upstream * forward(v))), x)

    def test_function(self, target):
        """An argument the worker replaces with the oracle-backed f() that reads argument ``target``."""
        return TestFunctionArg(target)

    def case(self, where, *, dims=None, sizes=None, expected=AUTO, properties=None, given=None, extreme=False,
             oracle=None, patch=None, fd=None, inputs=None, **args):  # fmt: skip
        """A case of the function being built. ``where``: a label, or a point (an object with
        ``label`` and ``dims``: both taken from it, and it is the case's ``given`` unless one is
        passed). Arguments by parameter name (``inputs``: the same as a dict, for a parameter
        named like a keyword here); trailing omitted ones are left to the function's defaults.
        ``expected=AUTO``: the reference's result when the function has a value; ``fd``: {path:
        thunk} instead of the finite differences of the function's ``grad`` declarations."""
        function = self.function
        named = dict(inputs or {}, **args)
        unknown = [k for k in named if k not in function.params]
        if unknown:
            raise TypeError(f"{function.name}: no parameter {unknown[0]!r} (params: {', '.join(function.params)})")
        count = max((function.params.index(k) + 1 for k in named), default=0)
        missing = [p for p in function.params[:count] if p not in named]
        if missing:
            raise TypeError(f"{function.name}: argument {missing[0]!r} is missing before later ones")
        values = [named[p] for p in function.params[:count]]
        test_functions = []
        for index, value in enumerate(values):
            if isinstance(value, TestFunctionArg):
                test_functions.append({"arg": index, "target": function.params.index(value.target)})
                values[index] = None
        if isinstance(where, str):
            label, where_dims = where, {}
        else:
            label, where_dims = where.label, where.dims
            given = where if given is None else given
        case = Case(
            function.name, label, [copy_value(v) for v in values], None,
            dims=dict(where_dims if dims is None else dims), given=given,
            properties=tuple(function.properties if properties is None else properties),
            test_functions=test_functions, oracle=oracle, extreme=bool(extreme),
            sizes=None if sizes is None else dict(sizes), params=tuple(function.params),
            patch=None if patch is None else [{"name": name, "kind": kind} for name, kind in patch.items()],
        )  # fmt: skip
        if expected is AUTO:
            expected = self.ref(function.name, *values) if function.value else None
        case.expected = expected
        case.fd = dict(fd) if fd is not None else self._gradients(function, case)
        case.expect = resolve(function.result, case)
        return case

    def _gradients(self, function, case):
        """{path: thunk} for the function's grad declarations, in declaration order; a loss
        or VJP draws its probe seed from ``rng`` now, elementwise and Jacobian ones draw none."""
        out = {}
        for path, gradient in function.gradients.items():
            x = self._at(gradient, case)
            if gradient.elementwise is not None:
                out[path] = lambda f=gradient.elementwise, x=x.copy(): gc.elementwise_probe(f, x)
            elif gradient.jacobian is not None:
                out[path] = lambda f=gradient.jacobian, z=x.copy(): gc.jacobian_probe(f, z)
            elif gradient.loss is not None and (self.hidden or gradient.vjp is None):
                out[path] = self.fd(gradient.loss(case.given), x)
            elif gradient.vjp is not None:
                out[path] = self.vjp(*gradient.vjp(case.given), x)
            else:
                raise ValueError(f"{function.name}: the gradient at {path or 'the result'} declares neither loss, vjp, elementwise nor jacobian")
        return out

    @staticmethod
    def _at(gradient, case):
        """The input a gradient differentiates: ``at`` is a parameter name, a function of the
        case's ``given``, or None (the first argument)."""
        if gradient.at is None:
            return case.args[0]
        if isinstance(gradient.at, str):
            return case.named_args[gradient.at]
        return gradient.at(case.given)


def build_plan(homework, seeds, reference=None, functions=None, stored=None):
    """{function: [Case]} for ``functions`` (default: every function of the homework), built
    in that order from one Context; ``stored`` (from plancache.load) supplies values
    computed before."""
    stored = stored or {}
    ctx = Context(homework, seeds, reference)
    plan = {}
    for name in homework.names if functions is None else functions:
        ctx.function = homework.function(name)
        plan[name] = list(ctx.function.cases(ctx))
    ctx.function = None
    for name, cases in plan.items():
        for index, case in enumerate(cases):
            entry = stored.get(f"{name}/{index}", {})
            if isinstance(case.expected, Deferred):
                case.expected = entry["expected"] if "expected" in entry else case.expected.thunk()
            case.restore_probes(entry.get("probes", {}))
    return plan


__all__ = ["AUTO", "Case", "Context", "Deferred", "TestFunctionArg", "build_plan", "copy_value"]
