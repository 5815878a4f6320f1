"""Does the generic plan builder (autograder/plan.py) build what a spec declares, with the
random draws in the order the spec asks, whatever the homework? A toy homework, written here,
stands for any spec."""

from types import SimpleNamespace

import numpy as np
import pytest

from autograder.plan import Deferred, build_plan
from autograder.spec import Arr, Function, Gradient, Homework, Property

SEEDS = (5, 6, 7)


def _point(ctx):
    rng = np.random.default_rng(ctx.seeds[0])
    x = rng.standard_normal((3, 2))
    upstream = ctx.rng.standard_normal((3, 2))  # a draw of the plan's generator, before any case
    return [SimpleNamespace(label="a 3 x 2 point", dims={"N": 3, "C": 2}, x=x, upstream=upstream)]


def _cases(ctx):
    p = ctx.points[0]
    return [
        ctx.case(p, x=p.x),
        ctx.case("with k", x=p.x, k=3.0, dims={"N": 3, "C": 2}, extreme=True, sizes={"N": 3}, given=p),
    ]


SQUARE = Gradient(at="x", loss=lambda p: lambda x: float(np.sum(x**2)), vjp=lambda p: (p.upstream, lambda x: x**2))
POSITIVE = Property("positive", lambda case, values: None)


def toy(**changes):
    fields = dict(name="square", params=("x", "k"), result=Arr("N,C", label="x's shape (N, C)"), cases=_cases, defaults={"k": 2.0}, grad=SQUARE, properties=(POSITIVE,))
    fields.update(changes)
    return Homework("toy", functions=(Function(**fields),), points=_point)


class Reference:
    def __init__(self):
        self.calls = []

    def square(self, x, k=2.0):
        self.calls.append(x)
        x *= 0.0  # a reference that writes to its input must not change the case's
        return np.ones((3, 2)) * k


def test_are_arguments_passed_in_parameter_order_with_trailing_defaults_left_out():
    plan = build_plan(toy(), SEEDS)
    plain, with_k = plan["square"]
    assert len(plain.args) == 1 and len(with_k.args) == 2 and with_k.args[1] == 3.0
    assert plain.label == "a 3 x 2 point" and plain.dims == {"N": 3, "C": 2} and plain.given.x is not plain.args[0]
    assert with_k.extreme and with_k.sizes == {"N": 3} and plain.sizes == plain.dims
    assert plain.expect.shape == (3, 2) and plain.expect.label == "x's shape (N, C)"
    assert [p.name for p in plain.properties] == ["positive"]


def test_is_a_missing_middle_argument_or_an_unknown_one_refused():
    with pytest.raises(TypeError, match="missing"):
        build_plan(toy(cases=lambda ctx: [ctx.case("no x", k=1.0)]), SEEDS)
    with pytest.raises(TypeError, match="no parameter"):
        build_plan(toy(cases=lambda ctx: [ctx.case("typo", y=1.0)]), SEEDS)


def test_is_the_expected_value_the_references_on_copies_and_absent_in_public_plans():
    reference = Reference()
    hidden = build_plan(toy(), SEEDS, reference)["square"]
    assert [float(c.expected[0, 0]) for c in hidden] == [2.0, 3.0]
    assert np.all(hidden[0].args[0] != 0.0)  # the reference zeroed its own copy only
    assert all(c.expected is None for c in build_plan(toy(), SEEDS)["square"])
    stored = {"square/0": {"expected": np.full((3, 2), 9.0)}}
    again = Reference()
    cached = build_plan(toy(), SEEDS, again, stored=stored)["square"]
    assert cached[0].expected[0, 0] == 9.0 and len(again.calls) == 1  # only the case not stored


def test_do_gradients_draw_their_probe_seeds_in_order_loss_when_hidden_vjp_when_public():
    rng = np.random.default_rng(SEEDS)
    upstream = rng.standard_normal((3, 2))
    seeds = [int(rng.integers(0, 2**31)) for _ in range(2)]  # one per case, after the points' draws
    for reference in (Reference(), None):
        cases = build_plan(toy(), SEEDS, reference)["square"]
        assert [c.probes("").seed for c in cases] == seeds
        x = cases[0].args[0]
        want = 2 * x if reference is not None else upstream * 2 * x  # d/dx sum(x^2), or of sum(u * x^2)
        assert np.allclose(cases[0].probes("").numeric, want.ravel(), rtol=1e-6)
        assert not cases[0].compute_probes() and set(cases[0].known_probes) == {""}


def test_do_elementwise_and_jacobian_gradients_draw_no_seed():
    draws = []
    homework = toy(grad={"": Gradient(at="x", elementwise=np.sin)}, cases=lambda ctx: [ctx.case(ctx.points[0], x=ctx.points[0].x), draws.append(ctx.rng.random()) or ctx.case("z", x=np.ones((3, 2)), dims={"N": 3, "C": 2})])
    cases = build_plan(homework, SEEDS)["square"]
    rng = np.random.default_rng(SEEDS)
    rng.standard_normal((3, 2))
    assert draws == [rng.random()]
    assert np.allclose(cases[0].probes("").numeric, np.cos(cases[0].args[0]).ravel(), rtol=1e-8)


def test_do_test_functions_and_patches_reach_the_case_in_wire_form():
    def cases(ctx):
        p = ctx.points[0]
        return [ctx.case(p, x=ctx.test_function("k"), k=p.x, expected=None, patch={"helper": "scale_dict"}, oracle="kept", fd={})]

    case = build_plan(toy(result=Arr(like="k"), cases=cases), SEEDS, Reference())["square"][0]
    assert case.args[0] is None and case.test_functions == [{"arg": 0, "target": 1}]
    assert case.patch == [{"name": "helper", "kind": "scale_dict"}] and case.oracle == "kept"
    assert case.expected is None and case.fd == {} and case.expect.shape == (3, 2)


def test_is_a_reference_result_deferred_until_the_plan_is_built():
    seen = []

    def cases(ctx):
        case = ctx.case("one", x=np.ones((3, 2)), dims={"N": 3, "C": 2})
        seen.append(isinstance(case.expected, Deferred))
        return [case]

    build_plan(toy(cases=cases), SEEDS, Reference())
    assert seen == [True]
