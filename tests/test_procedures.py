"""Are numerical_gradient and gradient_check judged by what they do, where the submission
cannot see the answer, and does nothing the worker reports about itself earn points?

numerical_gradient's test function and gradient_check's planted errors live in the grader
(autograder/oracle.py); the worker's f and wrapped functions only ask it.
"""

import json
import time

import numpy as np
import pytest
from conftest import ROOT

from autograder import inkernel, oracle, wire
from autograder.checks import CallOutcome, evaluate
from autograder.grader import _read_call_reply, _request
from autograder.plan import Case, build_plan
from autograder.sandbox import Limits
from autograder.worker import apply_patch, make_test_function

SEEDS = (11, 22, 33)
# gradient_check runs with backprop's dict and numerical_gradient's array passed through the grader
GRADIENT_CHECK_PATCH = ({"name": "backprop", "kind": "scale_dict"}, {"name": "numerical_gradient", "kind": "scale_array"})


@pytest.fixture(scope="module")
def plan(homework, ref):
    return build_plan(homework, SEEDS, ref, ["numerical_gradient", "gradient_check"])


def _arrays_in(obj, seen=None):
    """Every ndarray reachable from a function: closure, defaults, attributes, globals."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return [a for item in obj for a in _arrays_in(item, seen)]
    if isinstance(obj, dict):
        return [a for item in obj.values() for a in _arrays_in(item, seen)]
    found = []
    if callable(obj) and hasattr(obj, "__code__"):
        for cell in obj.__closure__ or ():
            found += _arrays_in(cell.cell_contents, seen)
        found += _arrays_in(list(obj.__defaults__ or ()), seen)
        found += _arrays_in(dict(vars(obj)), seen)
    return found


# --- numerical_gradient's test function ----------------------------------------------------------


def test_is_the_test_functions_gradient_right_by_finite_differences():
    """Is TestFunction.gradient() the derivative of TestFunction.value()? (central differences)"""
    rng = np.random.default_rng(5)
    x, A, B = (rng.standard_normal((3, 2)) for _ in range(3))
    spec = oracle.TestFunction(x=x, A=A, B=B, eps=1e-5)
    numeric = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = 1e-6
        numeric[i] = (spec.value(x + step) - spec.value(x - step)) / 2e-6
    assert np.max(np.abs(numeric - spec.gradient())) <= 1e-7 * np.max(np.abs(numeric))


def test_does_the_worker_side_f_hold_nothing_of_its_gradient(plan):
    """Can f's closure, defaults or attributes give A, B or the exact gradient? Only x is in reach."""
    for case in plan["numerical_gradient"]:
        args = [a.copy() if isinstance(a, np.ndarray) else a for a in case.args]
        f = make_test_function(case.test_functions[0], args, lambda kind, value: 0.0)
        reachable = _arrays_in(f)
        assert len(reachable) == 1 and reachable[0] is args[1]
        secret = (case.oracle.A, case.oracle.B, case.oracle.gradient())
        assert not any(np.array_equal(r, s) for r in reachable for s in secret)


def test_does_the_request_sent_to_the_worker_carry_no_coefficient_or_factor(plan):
    """Are A, B, the exact gradient and the planted factors absent from the request bytes?"""
    limits = Limits()
    for case in plan["numerical_gradient"]:
        header, blobs = _request(case, limits)
        sent = json.dumps(header).encode() + b"".join(blobs)
        for secret in (case.oracle.A, case.oracle.B, case.oracle.gradient()):
            assert secret.tobytes() not in sent
            assert repr(float(secret.ravel()[0])).encode() not in sent
    for case in plan["gradient_check"]:
        header, _ = _request(case, limits)
        text = json.dumps(header)
        factors = [case.oracle.loss_scale, *case.oracle.grad_scales.values()]
        assert not [f for f in factors if f != 1.0 and repr(f) in text]
        assert header["patch"] == list(GRADIENT_CHECK_PATCH)  # the same wrapping in every case


def test_does_the_oracle_answer_f_and_log_where_it_was_evaluated(plan):
    """Does a central-difference loop through the oracle get the exact gradient and leave a
    log with every entry at x + eps and x - eps?"""
    case = plan["numerical_gradient"][0]
    session = oracle.Session(case.oracle)
    x = case.oracle.x.copy()
    eps = case.oracle.eps
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        saved = x[i]
        x[i] = saved + eps
        plus = session.ask("f", x)
        x[i] = saved - eps
        minus = session.ask("f", x)
        x[i] = saved
        grad[i] = (plus - minus) / (2 * eps)
    assert np.max(np.abs(grad - case.oracle.gradient())) <= 1e-6 * np.max(np.abs(grad))
    assert oracle.central_difference_gaps(session.evidence.points, case.oracle.x, eps) == ([], [])


def test_does_a_forward_difference_leave_every_minus_side_missing():
    x = np.arange(4.0)
    points = [x.copy()]
    for i in range(4):
        p = x.copy()
        p[i] += 1e-5
        points.append(p)
    up, down = oracle.central_difference_gaps(points, x, 1e-5)
    assert up == [] and down == [0, 1, 2, 3]


def test_are_oracle_requests_bounded_and_checked():
    """Too many requests, a wrong shape or dtype, a non-float loss, a non-dict of gradients,
    an unknown kind or an oversized frame: each refused."""
    spec = oracle.TestFunction(x=np.zeros(3), A=np.ones(3), B=np.ones(3), eps=1e-5)
    session = oracle.Session(spec)
    for _ in range(4 * 3 + 16):
        session.ask("f", np.zeros(3))
    with pytest.raises(oracle.OracleError):
        session.ask("f", np.zeros(3))
    for bad in (np.zeros(4), np.zeros(3, dtype=np.float32), [0.0, 0.0, 0.0]):
        with pytest.raises(oracle.OracleError):
            oracle.Session(spec).ask("f", bad)
    with pytest.raises(oracle.OracleError):
        oracle.Session(spec).ask("scale_array", np.zeros(3))
    planted = oracle.Planted(2.0, {"W1": 0.5}, {"W1": np.ones((2, 2))})
    with pytest.raises(oracle.OracleError):
        oracle.Session(planted).ask("f", np.zeros(3))
    with pytest.raises(oracle.OracleError):
        oracle.Session(planted).ask("scale_array", np.zeros(3, dtype=np.float32))
    with pytest.raises(oracle.OracleError):
        oracle.Session(planted).ask("scale_dict", [np.zeros(2)])
    with pytest.raises(oracle.OracleError):  # the kinds of before the homework became data
        oracle.Session(planted).ask("grads", {"W1": np.zeros((2, 2))})
    blob = b"\0" * (oracle.FRAME_BYTES + 1)
    with pytest.raises(oracle.OracleError):
        oracle.Session(planted).handle({"op": "oracle", "kind": "scale_array", "value": {"t": "arr", "i": 0}}, [blob])


def test_does_the_oracle_scale_the_numerical_side_and_the_chosen_gradients_only():
    """numerical_gradient's result times the loss factor (and compared with the true
    gradient of its parameter, found by shape); backprop's W1 times its factor, b1 as it was."""
    true = {"W1": np.full((2, 2), 0.25), "b1": np.full((1, 2), -1.0)}
    session = oracle.Session(oracle.Planted(2.0, {"W1": 0.5}, true))
    assert np.all(session.ask("scale_array", np.full((1, 2), -1.0)) == -2.0)
    assert np.all(session.ask("scale_array", np.full((2, 2), 0.5)) == 1.0)
    assert session.evidence.gradients == {"b1": 0.0, "W1": pytest.approx(1 / 3, rel=1e-12)}  # |0.5 - 0.25| / 0.75
    grads = {"W1": np.ones((2, 2)), "b1": np.ones((1, 2))}
    answered = session.ask("scale_dict", grads)
    assert np.all(answered["W1"] == 0.5) and np.all(answered["b1"] == 1.0)
    assert session.evidence.counts == {"scale_array": 2, "scale_dict": 1}


# --- gradient_check's planted errors -----------------------------------------------------------


def test_are_the_expected_errors_those_computed_by_hand():
    """Loss scaled by 1.5, W1's gradient by 1.5 (cancels), b1's by 0.75: errors 0, 1/3, 0.2, 0.2."""
    true = {key: np.zeros((i + 1, 2)) for i, key in enumerate(("W1", "b1", "W2", "b2"))}
    errors = oracle.Planted(1.5, {"W1": 1.5, "b1": 0.75}, true).expected_errors()
    assert list(errors) == ["W1", "b1", "W2", "b2"]  # the parameters of the true gradients, in order
    assert errors["W1"] == 0.0
    assert errors["b1"] == pytest.approx(0.75 / 2.25, rel=1e-12)
    assert errors["W2"] == pytest.approx(0.5 / 2.5, rel=1e-12)
    assert errors["b2"] == pytest.approx(0.5 / 2.5, rel=1e-12)


def test_do_the_gradient_check_cases_mix_clean_and_planted_cases_that_vary_with_the_seeds(homework, ref, plan):
    """Two cases with backprop left alone, two with planted errors (the loss scaled in one),
    each planted error far from 0, other factors for other seeds; the true gradients the
    numerical ones are checked against agree with central differences of the loss (hidden
    plan, from the reference) and with the reference's backprop (public plan, from central
    differences), and have distinct shapes."""
    cases = plan["gradient_check"]
    public = build_plan(homework, SEEDS, None, ["gradient_check"])["gradient_check"]
    for c, c_public in zip(cases, public):
        p = c.given
        want = ref.backprop(p.X, p.Y, p.W1, p.b1, p.W2, p.b2)
        params = {"W1": p.W1.copy(), "b1": p.b1.copy(), "W2": p.W2.copy(), "b2": p.b2.copy()}
        for key, true in c.oracle.gradients.items():
            numeric = np.zeros_like(params[key])
            for i in np.ndindex(numeric.shape):
                saved = params[key][i]
                values = []
                for step in (1e-6, -1e-6):
                    params[key][i] = saved + step
                    Z2 = 1 / (1 + np.exp(-(p.X @ params["W1"] + params["b1"]))) @ params["W2"] + params["b2"]
                    values.append(-np.sum(p.Y * (Z2 - np.log(np.sum(np.exp(Z2), axis=1, keepdims=True)))) / p.X.shape[0])
                params[key][i] = saved
                numeric[i] = (values[0] - values[1]) / 2e-6
            assert np.max(np.abs(true - numeric)) <= 1e-6 * np.max(np.abs(numeric))
            assert np.max(np.abs(c_public.oracle.gradients[key] - want[key])) <= 1e-7 * np.max(np.abs(want[key]))
        assert len({g.shape for g in c.oracle.gradients.values()}) == 4
    planted = [c for c in cases if c.oracle.planted]
    assert len(cases) == 4 and len(planted) == 2
    assert sum(c.oracle.loss_scale != 1.0 for c in planted) == 1
    for c in planted:
        wrong = [e for e in c.oracle.expected_errors().values() if e > 0]
        assert wrong and min(wrong) >= 0.11
        names = [prop.name for prop in c.properties]
        assert "all_small" not in names and "detects_wrong_backprop" in names
    other = build_plan(homework, (12, 23, 34), ref, ["gradient_check"])["gradient_check"]
    assert [c.oracle.loss_scale for c in other] != [c.oracle.loss_scale for c in cases]


def _kernel_namespace(ref, replacement=None):
    """The reference's definitions run in a fresh namespace, as a notebook's cells would be
    (so its functions look each other up in that namespace), then ``replacement``'s."""
    namespace = {"__name__": "notebook"}
    exec(compile(open(ref.__file__).read(), ref.__file__, "exec"), namespace)
    if replacement:
        exec(replacement, namespace)
    return namespace


def _grade_in_kernel(ref, name, replacement=None, course=None):
    if course is None and (None, "backprop") not in inkernel._GRADERS:
        # the public checks of the course's spec (a student's kernel reads the installed package's)
        from autograder.factory import make_grader

        inkernel._GRADERS[None, "backprop"] = make_grader(ROOT, "backprop", mode="public", isolation=None)
    return inkernel.grade_function(name, _kernel_namespace(ref, replacement), course, homework="backprop")


CANNED = {
    "tiny": "def gradient_check(X, Y, W1, b1, W2, b2, eps=1e-5):\n    return {k: 1e-9 for k in ('W1', 'b1', 'W2', 'b2')}\n",
    "old probe answer": "def gradient_check(X, Y, W1, b1, W2, b2, eps=1e-5):\n    return {k: 0.1 / 2.1 for k in ('W1', 'b1', 'W2', 'b2')}\n",
    "no numerical_gradient": (
        "def gradient_check(X, Y, W1, b1, W2, b2, eps=1e-5):\n"
        "    g = backprop(X, Y, W1, b1, W2, b2)\n"
        "    return {k: relative_error(g[k], g[k] * (1 + 1e-9)) for k in g}\n"
    ),
}


@pytest.mark.parametrize("hidden", [False, True], ids=["public", "hidden"])
def test_do_the_reference_procedures_keep_full_marks_in_kernel(ref, course, hidden):
    """In-kernel (otter, nbgrader), through local closures: full marks for the reference."""
    folder = str(course.root) if hidden else None
    for name in ("numerical_gradient", "gradient_check"):
        result = _grade_in_kernel(ref, name, course=folder)
        assert result.score == result.max_score, (name, [f.message for f in result.findings])


@pytest.mark.parametrize("which", sorted(CANNED))
def test_does_a_canned_gradient_check_fail_every_case_in_kernel(ref, course, which):
    """Canned relative errors, or a check that never runs numerical_gradient: the properties
    check fails on every case (hidden tests)."""
    result = _grade_in_kernel(ref, "gradient_check", CANNED[which], course=str(course.root))
    properties = next(c for c in result.checks if c.name == "properties")
    assert properties.passed == 0 and properties.total == 4


def test_does_a_forward_difference_numerical_gradient_fail_the_procedure_check(ref):
    """A one-sided second-order difference (f at x, x + eps, x + 2 eps) gets values within
    1e-6 of the exact gradient, but the log shows no evaluation at x - eps: the procedure
    check fails on every case, and only it."""
    source = (
        "def numerical_gradient(f, x, eps=1e-5):\n"
        "    grad = np.zeros_like(x, dtype=np.float64)\n"
        "    f0 = f()\n"
        "    for i in np.ndindex(x.shape):\n"
        "        saved = x[i]\n"
        "        x[i] = saved + eps\n"
        "        f1 = f()\n"
        "        x[i] = saved + 2 * eps\n"
        "        f2 = f()\n"
        "        x[i] = saved\n"
        "        grad[i] = (-3 * f0 + 4 * f1 - f2) / (2 * eps)\n"
        "    return grad\n"
    )
    result = _grade_in_kernel(ref, "numerical_gradient", source)  # public checks
    failed = {c.name: c.passed for c in result.checks if c.passed < c.total}
    assert failed == {"properties": 0}
    assert any("x - eps" in f.message for f in result.findings)


def test_is_the_wrapping_undone_after_the_call(ref):
    namespace = _kernel_namespace(ref)
    before = (namespace["backprop"], namespace["numerical_gradient"])
    restore = apply_patch(namespace, list(GRADIENT_CHECK_PATCH), lambda kind, value: value)
    assert namespace["backprop"] is not before[0] and namespace["numerical_gradient"] is not before[1]
    restore()
    assert (namespace["backprop"], namespace["numerical_gradient"]) == before


# --- what the worker reports about itself --------------------------------------------------------


def _reply(**changes):
    blobs = []
    reply = {
        "op": "called", "status": "ok", "result": wire.encode_value(np.zeros(3), blobs, 1 << 20),
        "args_after": [wire.encode_value(np.zeros(3), blobs, 1 << 20)], "seconds": 0.01,
        "output": "", "output_chars": 0, "warnings": [],
    }  # fmt: skip
    reply.update(changes)
    return reply, blobs


@pytest.mark.parametrize(
    "args_after",
    [None, [], [{"t": "arr", "i": 7}], [{"t": "bogus"}], "unchanged", [{"t": "none"}, {"t": "none"}]],
    ids=["missing", "short", "bad-blob", "bad-type", "not-a-list", "too-long"],
)
def test_does_a_missing_short_or_malformed_args_report_fail_the_input_check(plan, args_after):
    """The report of the arguments after a call is the worker's word: without a well-formed
    one for every argument, inputs_unchanged fails (never passes by default, never moot)."""
    changes = {} if args_after is None else {"args_after": args_after}
    reply, blobs = _reply(**changes)
    if args_after is None:
        reply.pop("args_after")
    outcome = _read_call_reply(reply, blobs, Limits(), 1)
    assert outcome.args_after is None
    case = plan["numerical_gradient"][0]
    outcome = CallOutcome("ok", value=case.oracle.gradient(), args_after=None)
    verdicts, _ = evaluate(case, outcome, "hidden", 1e-6, ("f", "x", "eps"))
    verdict = next(v for v in verdicts if v.check == "inputs_unchanged")
    assert verdict.status == "fail" and "missing or malformed" in verdict.message


@pytest.mark.parametrize("seconds", [float("nan"), float("inf"), -5.0, 1e308, "soon", True])
def test_are_reported_seconds_and_counts_clamped_to_finite_numbers(seconds):
    limits = Limits(call_seconds=2)
    reply, blobs = _reply(seconds=seconds, output_chars=2**62)
    outcome = _read_call_reply(reply, blobs, limits, 1)
    assert 0.0 <= outcome.seconds <= 2.0 and np.isfinite(outcome.seconds)
    assert 0 <= outcome.output_chars <= 10**12
    json.dumps({"seconds": outcome.seconds, "chars": outcome.output_chars}, allow_nan=False)


# --- through the sandbox ---------------------------------------------------------------------------


def test_does_a_prefetched_call_keep_its_time_while_the_grader_is_busy(course, hw_files, tmp_path):
    """A request sent ahead (prefetch) whose reply the grader collects only after longer than
    call_seconds still counts: the limit runs from when the worker starts the call. A call that
    really takes longer than call_seconds after starting still times out."""
    from autograder import grader as grader_module
    from autograder.factory import make_grader
    from autograder.submission import read_submission

    source = hw_files.reference.read_text() + "\n\ndef slow_update(params, grads, learning_rate):\n    import time\n    time.sleep(1.5)\n    return params\n"
    path = tmp_path / "backprop.py"
    path.write_text(source)
    g = make_grader(course.root, "backprop", limits={"call_seconds": 0.5, "import_seconds": 5, "total_seconds": 60})
    try:
        parsed = read_submission(path, g.homework.names)
        session = grader_module._Session(g, g.sandbox.start(), parsed, time.monotonic() + 60)
        assert session.load() is not None
        case = g.plan["update"][0]
        session.prefetch(case)
        time.sleep(1.0)  # the grader is busy for twice the per-call limit
        outcome = session.call(case)
        assert outcome.status == "ok", outcome.reason
        slow = Case("slow_update", case.label, case.args, case.expect)
        assert session.call(slow).status == "timeout"
        session.worker.stop()
    finally:
        g.close()
