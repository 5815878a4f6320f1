"""The ordered checks one call of a student function goes through.

    returns -> type -> shape -> dtype -> finite -> inputs_unchanged -> value
            -> finite_differences -> properties

A check that an earlier failure makes meaningless (the value of a wrongly shaped array) is
"moot" and counts as failed without a message of its own. Every message says what was
expected and what came back. In hidden grading no message contains the hidden inputs or
the reference's values: only shapes, dtypes, relative errors and where entries differ.
"""

import functools
import inspect
import re
from dataclasses import dataclass, field

import numpy as np

from . import gradcheck as gc
from . import contract, oracle
from .structure import Arr, Mismatch, Scalar, describe, flatten, is_float_scalar, scalar_value


@dataclass
class CallOutcome:
    """What happened when the worker called a function on one case."""

    status: str  # "ok", "raised", "timeout", "died", "skipped"
    value: object = None
    args_after: list = None
    exception: dict = None
    reason: str = ""
    output: str = ""
    output_chars: int = 0
    warnings: list = field(default_factory=list)
    seconds: float = 0.0
    evidence: object = None  # oracle.Evidence: what the grader saw during the call, if it asked


@dataclass
class Verdict:
    check: str
    status: str  # "pass", "fail" or "moot"
    message: str = ""
    mistake: str = None
    fix: str = None


# Property checks that still say something when the value is compared with the reference.
HIDDEN_PROPERTIES = {
    "rows_sum_to_one", "in_unit_interval", "jacobian_rows_sum_to_zero", "all_small",
    "detects_wrong_backprop", "labels_in_range", "positive",
    "performed_gradient_check", "evaluated_at_x_plus_minus_eps",
}  # fmt: skip


# The checks whose failure means the result is not right: a case earns points only when
# every one of these that applies to it passes (see grader.case_credit).
VALUE_CHECKS = ("value", "finite_differences", "properties")


def applicable(case, mode):
    """The checks that apply to this case, in order."""
    names = ["returns", "type"]
    if _has_arrays(case.expect):
        names.append("shape")
    names += ["dtype", "finite"]
    if case.args:
        names.append("inputs_unchanged")
    if mode == "hidden" and case.expected is not None:
        names.append("value")
    if case.fd:
        names.append("finite_differences")
    if _properties(case, mode):
        names.append("properties")
    return names


def _properties(case, mode):
    if mode == "hidden":
        return [p for p in case.properties if p in HIDDEN_PROPERTIES]
    return list(case.properties)


def _has_arrays(template):
    if isinstance(template, Arr):
        return True
    for attribute in ("items",):
        if hasattr(template, attribute):
            return any(_has_arrays(t) for t in getattr(template, attribute))
    if hasattr(template, "entries"):
        return any(_has_arrays(t) for _, t in template.entries)
    return hasattr(template, "length")


def shape_text(shape, dims):
    """(5, 3) -> "(5, 3) = (D, H)" when the sizes name the dimensions unambiguously."""
    shape = tuple(shape)
    names = {}
    for letter, size in dims.items():
        names.setdefault(size, []).append(letter)
    letters = []
    for size in shape:
        options = names.get(size, [])
        if len(options) != 1:
            return str(shape)
        letters.append(options[0])
    if not letters:
        return str(shape)
    return f"{shape} = ({', '.join(letters)})" if len(letters) > 1 else f"{shape} = ({letters[0]},)"


def _where_differs(got, expected, tolerance):
    scale = max(float(np.max(np.abs(got))), float(np.max(np.abs(expected)))) if expected.size else 0.0
    if scale > 0.0 and np.isfinite(scale):  # scaled, so no difference of finite values overflows
        got, expected = got / scale, expected / scale
    close = np.isclose(got, expected, rtol=tolerance, atol=tolerance * float(np.max(np.abs(expected), initial=0.0)))
    bad = np.argwhere(~close)
    first = ", ".join(str(list(map(int, i))) for i in bad[:3])
    return int(len(bad)), int(expected.size), first


def _leaf_name(function, path):
    """How a message names a part of the result: "the result", "result['W1']", "Z1"."""
    if not path:
        return "the result"
    return f"result{path}" if path.startswith("[") else path


def evaluate(case, outcome, mode, tolerance, param_names):
    """Verdicts for every applicable check, in order."""
    names = applicable(case, mode)
    verdicts = {}
    stop = False

    def record(name, status, message="", mistake=None, fix=None):
        verdicts[name] = Verdict(name, status, message, mistake, fix)

    # returns
    if outcome.status != "ok":
        record("returns", "fail", *_failed_call(outcome, case.function, mode, shape_sizes(case)))
        stop = True
    elif outcome.value is None:
        record("returns", "fail", "returned None", "returns_none", "end the function with `return <result>`")
        stop = True
    else:
        record("returns", "pass")

    leaves = None
    if not stop:
        try:
            leaves = flatten(case.expect, outcome.value)
            record("type", "pass")
        except Mismatch as err:
            record("type", "fail", err.message, err.mistake, _type_fix(err.mistake))
            stop = True

    shape_ok = not stop
    if "shape" in names:
        if stop:
            record("shape", "moot")
        else:
            bad = [(p, t, v) for p, t, v in leaves if isinstance(t, Arr) and v.shape != tuple(t.shape)]
            if bad:
                path, template, value = bad[0]
                label = f" ({template.label})" if template.label else ""
                message = (
                    f"{_leaf_name(case.function, path) or 'the result'} must have shape "
                    f"{shape_text(template.shape, case.dims)}{label}; yours is {shape_text(value.shape, case.dims)}"
                )
                record("shape", "fail", message)
                shape_ok = False
            else:
                record("shape", "pass")

    if stop or not shape_ok:
        for name in ("dtype", "finite"):
            record(name, "moot")
    else:
        _check_dtype(case, leaves, record)
        _check_finite(case, leaves, record)

    if "inputs_unchanged" in names:
        if outcome.status != "ok":
            record("inputs_unchanged", "moot")
        elif outcome.args_after is None:  # a missing or malformed report passes nothing
            record("inputs_unchanged", "fail", "the worker's report of the arguments after the call was missing or malformed, so they could not be checked")
        else:
            _check_inputs(case, outcome, param_names, record)

    # complex values have no meaningful comparison with real ones: only their dtype is judged
    complex_values = not stop and any(np.iscomplexobj(v) for _, _, v in leaves)
    values_ok = not stop and shape_ok and verdicts["finite"].status == "pass" and not complex_values
    if "value" in names:
        if not values_ok:
            record("value", "moot")
        else:
            _check_value(case, leaves, tolerance, mode, record)
    if "finite_differences" in names:
        if not values_ok:
            record("finite_differences", "moot")
        else:
            _check_fd(case, leaves, tolerance, record)
    if "properties" in names:
        if not values_ok:
            record("properties", "moot")
        else:
            _check_properties(case, leaves, outcome, mode, tolerance, record)
    return [verdicts[name] for name in names if name in verdicts], leaves


def unjudged(case, mode, error):
    """The verdicts of a case the grader itself failed to judge (an exception in a check or
    a diagnosis): the first check that applies fails, naming the grader's error, and the
    others are moot, so the case earns nothing and the grading goes on."""
    names = applicable(case, mode)
    text = f"{type(error).__name__}: {error}"
    if mode == "hidden":
        text = hide_numbers(text, shape_sizes(case))
    message = f"the grader could not judge this result ({text[:300]})"
    first = "value" if "value" in names else names[min(1, len(names) - 1)]
    return [Verdict(name, "fail" if name == first else "moot", message if name == first else "") for name in names]


# --- hidden values stay hidden ------------------------------------------------------------

_KEPT = re.compile(
    r"\b(?:float|int|uint|complex)(?:8|16|32|64|128|256)\b"  # dtype names
    r"|\b(?:dJ_d|d)?[WbZXA]\d\b"  # the contract's names: W1, b2, Z1, dZ2, A0, dJ_dW1
    r"|\((?:\s*\d+\s*,)*\s*\d*\s*\)"  # shape-like tuples: (5, 7), (7,), ()
    r"|(?<![\w.])[01](?![\w]|\.\d)"  # a lone 0 or 1: "sum to 1", "in [0, 1]"
)
_NUMBER = re.compile(
    r"[-+]?(?:0[xX][0-9a-fA-F]+(?:\.[0-9a-fA-F]*)?(?:[pP][-+]?\d+)?"  # hex, float.hex
    r"|\d[\d_]*(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
)
_INTEGER = re.compile(r"\d+")
HIDDEN_NUMBER = "…"


def shape_sizes(case):
    """The sizes a shape may show in hidden feedback: the dimensions of the case's inputs
    and of the expected result (never a value)."""
    sizes = {0, 1, *(int(v) for v in case.dims.values() if isinstance(v, int))}

    def add(value):
        if isinstance(value, np.ndarray):
            sizes.update(int(n) for n in value.shape)
        elif isinstance(value, dict):
            for item in value.values():
                add(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                add(item)

    add(case.args)
    for _, template in _templates(case.expect):
        sizes.update(int(n) for n in getattr(template, "shape", ()))
    return sizes


def _templates(template):
    if isinstance(template, Arr):
        return [("", template)]
    out = []
    for item in getattr(template, "items", ()):
        out += _templates(item)
    for _, item in getattr(template, "entries", ()):
        out += _templates(item)
    return out


def hide_numbers(text, sizes=frozenset(), keep=()):
    """``text`` with every number removed, except dtype names, names such as W1, shapes
    whose sizes are in ``sizes`` and the public numbers in ``keep`` (the tolerance): "operands
    could not be broadcast together with shapes (5,7) (7,3)" stays as it is; "ValueError:
    [[0.1, -2.3]]" loses its numbers."""
    if keep:
        marks = {f"\x00{chr(65 + i)}\x00": literal for i, literal in enumerate(keep[:26])}
        for mark, literal in marks.items():
            text = text.replace(literal, mark)
        text = hide_numbers(text, sizes)
        for mark, literal in marks.items():
            text = text.replace(mark, literal)
        return text
    out, last = [], 0
    for kept in _KEPT.finditer(text):
        out.append(_NUMBER.sub(HIDDEN_NUMBER, text[last : kept.start()]))
        token = kept.group(0)
        if token.startswith("("):
            token = _INTEGER.sub(lambda m: m.group(0) if int(m.group(0)) in sizes else HIDDEN_NUMBER, token)
        out.append(token)
        last = kept.end()
    out.append(_NUMBER.sub(HIDDEN_NUMBER, text[last:]))
    return "".join(out)


def raised_in_callee(outcome, function):
    """The function ``function`` called in which its exception was raised, or None when it
    was raised in ``function`` itself (or at module level)."""
    where = (outcome.exception or {}).get("where") or {}
    inside = where.get("function")
    return None if inside in (None, function, "<module>") else inside


def _failed_call(outcome, function, mode="public", sizes=frozenset()):
    if outcome.status == "raised":
        exc = outcome.exception or {}
        kind = exc.get("type", "an exception")
        where = exc.get("where")
        inside = raised_in_callee(outcome, function)
        if kind == "NotImplementedError":
            if inside:  # a stub it calls: that function's own result says so
                return f"stopped in {inside}, which is not implemented yet", None, f"implement {inside} first"
            return "is not implemented yet (it raises NotImplementedError)", "not_implemented", "write the function's body in place of the `raise NotImplementedError(...)` line"
        text = exc.get("message", "")
        if mode == "hidden":  # the message may quote hidden inputs or values computed from them
            text = hide_numbers(text, sizes)
        message = f"raised {kind}: {text}".rstrip(": ")
        if where:
            message += f" (line {where['line']}, in {where['function']}: `{where['text']}`)"
        if inside:
            if inside in contract.BY_NAME:
                return message + f"; {inside} is graded on its own too", None, None
            return message, "raises", None
        if kind in ("SystemExit", "KeyboardInterrupt"):
            message += "; a graded function must return its result, not stop the program"
        return message, "raises", None
    if outcome.status == "timeout":
        return f"did not finish within the time limit ({outcome.reason}); is there an endless loop?", "timeout", None
    if outcome.status == "died":
        return f"ended the grading process: {outcome.reason}", "crashed", "do not call sys.exit/os._exit or allocate huge arrays in a graded function"
    return f"was not run: {outcome.reason}", None, None


def _type_fix(mistake):
    return {
        "returns_list": "build the result with numpy operations, or wrap it with np.array(...)",
        "returns_none": "end the function with `return <result>`",
    }.get(mistake)


def _check_dtype(case, leaves, record):
    for path, template, value in leaves:
        if isinstance(template, Arr):
            if value.dtype != np.dtype(template.dtype):
                where = _leaf_name(case.function, path) 
                record("dtype", "fail", f"{where} has dtype {value.dtype}; expected {template.dtype}", "wrong_dtype", _dtype_fix(value.dtype, template.dtype))
                return
        elif isinstance(template, Scalar):
            kind = getattr(value, "dtype", None)
            if kind is not None and kind.kind == "f" and kind != np.float64:
                record("dtype", "fail", f"returned a {kind} number; expected float64", "wrong_dtype", _dtype_fix(kind, "float64"))
                return
    record("dtype", "pass")


def _dtype_fix(got, expected):
    got = np.dtype(got)
    if expected == "int64":
        return "convert the labels with .astype(np.int64)"
    if got.kind == "f":
        return f"compute in float64: do not convert to {got} (astype / dtype=...)"
    if got.kind in "iub":
        return f"the result is {got}: start from float arrays (e.g. np.zeros(shape) rather than np.zeros_like of an int array) and avoid // and astype(int)"
    if got.kind == "c":
        return "the result is complex: take real values only"
    return f"return float64 values, not {got}"


def _check_finite(case, leaves, record):
    for path, template, value in leaves:
        if isinstance(template, Scalar):
            if not np.isfinite(scalar_value(value)):
                what = "an integer too large for a float64" if isinstance(value, (int, np.integer)) else "nan or inf"
                record("finite", "fail", f"{_leaf_name(case.function, path)} is {what}, not a finite float")
                return
            continue
        array = np.asarray(value)
        if array.dtype.kind in "fc" and not np.all(np.isfinite(array)):
            where = _leaf_name(case.function, path) 
            count = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
            record("finite", "fail", f"{where} contains {count} nan or inf entr{'y' if count == 1 else 'ies'}")
            return
    record("finite", "pass")


def _same(before, after):
    """Bitwise equality of the structures of arguments before and after a call."""
    if isinstance(before, np.ndarray):
        return isinstance(after, np.ndarray) and after.shape == before.shape and after.dtype == before.dtype and after.tobytes() == before.tobytes()
    if isinstance(before, dict):
        return isinstance(after, dict) and set(after) == set(before) and all(_same(before[k], after[k]) for k in before)
    if isinstance(before, (list, tuple)):
        return isinstance(after, (list, tuple)) and len(after) == len(before) and all(_same(b, a) for b, a in zip(before, after))
    if before is None:
        return True
    return before == after


def changed_entries(before, after):
    """(number of entries changed, largest absolute change) between two arrays of one shape."""
    if not (isinstance(before, np.ndarray) and isinstance(after, np.ndarray) and before.shape == after.shape):
        return None
    diff = before != after
    if not np.any(diff):
        return 0, 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        return int(np.count_nonzero(diff)), float(np.max(np.abs(before.astype(np.float64) - after.astype(np.float64))))


def _check_inputs(case, outcome, param_names, record):
    changed = []
    for index, before in enumerate(case.args):
        if before is None or index >= len(outcome.args_after):
            continue
        if not _same(before, outcome.args_after[index]):
            name = param_names[index] if index < len(param_names) else f"argument {index + 1}"
            changed.append((name, before, outcome.args_after[index]))
    if not changed:
        record("inputs_unchanged", "pass")
        return
    name, before, after = changed[0]
    detail = ""
    if isinstance(before, dict):
        keys = [k for k in before if not _same(before[k], after.get(k) if isinstance(after, dict) else None)]
        detail = f" (entries {keys})" if keys else " (its keys)"
    else:
        counted = changed_entries(before, after)
        if counted:
            detail = f" ({counted[0]} entr{'y' if counted[0] == 1 else 'ies'} changed, by up to {counted[1]:.1e})"
    names = ", ".join(c[0] for c in changed)
    message = f"changed its argument{'s' if len(changed) > 1 else ''} {names} in place{detail}"
    record(
        "inputs_unchanged", "fail", message, "input_mutation",
        f"leave {name} alone: compute a new array (e.g. `{name} = {name}.copy()` first, or out-of-place operations like `a = a * 2` instead of `a *= 2`)",
    )  # fmt: skip


def _check_value(case, leaves, tolerance, mode, record):
    expected_leaves = {p: v for p, _, v in flatten(case.expect, case.expected)}
    for path, template, value in leaves:
        expected = expected_leaves[path]
        where = _leaf_name(case.function, path) 
        if isinstance(template, Arr) and template.dtype == "int64":
            wrong = int(np.count_nonzero(np.asarray(value) != np.asarray(expected)))
            if wrong:
                record("value", "fail", f"{where}: {wrong} of {np.size(expected)} labels differ from the reference's")
                return
            continue
        if isinstance(template, Scalar):
            error = gc.relative_error([scalar_value(value)], [scalar_value(expected)])
            if not error <= tolerance:  # only hidden tests compare values: the number itself is not shown
                record("value", "fail", f"{where} is off: {_error_text(error, tolerance)}")
                return
            continue
        got = np.asarray(value, dtype=np.float64)
        want = np.asarray(expected, dtype=np.float64)
        error = gc.relative_error(got, want)
        if not np.isfinite(error):
            record("value", "fail", f"{where} could not be compared with the reference: {_error_text(error, tolerance)}")
            return
        if not error <= tolerance:
            count, size, first = _where_differs(got, want, tolerance)
            message = f"{where} does not match the reference: relative error {error:.1e} (allowed {tolerance:.0e})"
            if count:
                message += f"; {count} of {size} entries differ, first at {first}"
            record("value", "fail", message)
            return
    record("value", "pass")


def _check_fd(case, leaves, tolerance, record):
    values = {p: v for p, _, v in leaves}
    for path in case.fd:
        gradient = np.asarray(values[path], dtype=np.float64)
        probes = case.probes(path)
        error = gc.compare(probes, gradient)
        if not np.isfinite(error):
            where = _leaf_name(case.function, path)
            record("finite_differences", "fail", f"{where} could not be compared with finite differences: {_error_text(error, tolerance)}")
            return
        if not error <= tolerance:
            where = _leaf_name(case.function, path) 
            how = "entry by entry" if probes.exact else f"along {sum(1 for d in probes.directions if not isinstance(d, tuple))} random directions and at {sum(1 for d in probes.directions if isinstance(d, tuple))} random entries"
            record("finite_differences", "fail", f"{where} disagrees with central finite differences of the loss ({how}): relative error {error:.1e} (allowed {tolerance:.0e})")
            return
    record("finite_differences", "pass")


def _error_text(error, tolerance):
    if np.isfinite(error):
        return f"relative error {error:.1e} (allowed {tolerance:.0e})"
    return "the relative error is not a finite number (an entry is nan, inf or too large for a float64), which fails"


def _check_properties(case, leaves, outcome, mode, tolerance, record):
    values = {p: v for p, _, v in leaves}
    for name in _properties(case, mode):
        problem = _run_property(PROPERTIES[name], case, values, tolerance, outcome)
        if problem:
            message, mistake, fix = problem if isinstance(problem, tuple) else (problem, None, None)
            if mode == "hidden":  # a property's message may quote numbers computed from hidden inputs
                message = hide_numbers(message, shape_sizes(case), keep=(f"{tolerance:.0e}",))
            record("properties", "fail", message, mistake, fix)
            return
    record("properties", "pass")


@functools.cache
def _parameters(check):
    return frozenset(inspect.signature(check).parameters)


def _run_property(check, case, values, tolerance, outcome=None):
    """A property is ``check(case, values)`` or, when it compares numbers, ``check(case,
    values, tolerance)`` with the config's one tolerance; one that judges what the grader
    saw during the call (oracle.Evidence) also takes ``outcome``."""
    wanted = _parameters(check)
    extra = {}
    if "tolerance" in wanted:
        extra["tolerance"] = tolerance
    if "outcome" in wanted:
        extra["outcome"] = outcome
    return check(case, values, **extra)


# --- properties: each returns None when it holds, else a message ------------------------


def _rows_sum_to_one(case, values, tolerance):
    S = values[""]
    with np.errstate(over="ignore", invalid="ignore"):
        sums = S.sum(axis=1)
        if np.all(np.abs(sums - 1.0) <= tolerance):
            return None
    return f"rows must each sum to 1; yours sum to values between {sums.min():.3g} and {sums.max():.3g}"


def _in_unit_interval(case, values):
    S = values[""]
    if np.all((S >= 0.0) & (S <= 1.0)):
        return None
    return f"entries must lie in [0, 1]; yours range from {S.min():.3g} to {S.max():.3g}"


def _jacobian_rows(case, values, tolerance):
    J = values[""]
    scale = float(np.max(np.abs(J), initial=0.0))
    if scale > 0.0:  # relative to the largest entry, so no sum of finite entries overflows
        J = J / scale
    # a sum that should cancel: held to the tolerance relative to the size of its terms
    if not np.all(np.abs(J.sum(axis=1)) <= tolerance * np.abs(J).sum(axis=1)):
        return "each row of the softmax Jacobian must sum to 0 (the probabilities always add to 1)"
    if not gc.relative_error(J, J.T) <= tolerance:
        return "the softmax Jacobian s_i(delta_ij - s_j) is symmetric; yours is not"
    return None


def _positive(case, values):
    value = scalar_value(values[""])
    return None if value > 0 else f"a cross-entropy of probabilities below 1 is positive; yours is {value:.6g}"


def _matches_loss_definition(case, values, tolerance):
    """cross_entropy / cost_n against the contract's definition, computed from Y_hat and Y."""
    Y_hat, Y = case.context["Y_hat"], case.context["Y"]
    with np.errstate(divide="ignore", invalid="ignore"):
        if Y_hat.shape[1] == 1:
            want = float(-np.mean(Y * np.log(Y_hat) + (1 - Y) * np.log(1 - Y_hat)))
        else:
            want = float(-np.sum(Y * np.log(Y_hat)) / Y.shape[0])
    got = scalar_value(values[""])
    if gc.relative_error([got], [want]) <= tolerance:
        return None
    return f"returned {got:.6g}; the mean loss of the rows, as the contract defines it, is {want:.6g} here"


def _matches_exact_gradient(case, values, tolerance):
    error = gc.relative_error(values[""], case.oracle.gradient())
    if error <= tolerance:
        return None
    return f"differs from the exact gradient of the test function by relative error {error:.1e} (central differences get within {tolerance:.0e})"


def _evaluated_at_x_plus_minus_eps(case, values, outcome):
    """numerical_gradient: the grader evaluated f (oracle.py) at x + eps and at x - eps for
    every entry of x, one entry moved at a time."""
    evidence = outcome.evidence if outcome is not None else None
    points = evidence.points if evidence is not None else []
    fix = "for each entry: save it, set x[i] = saved + eps and call f(), set x[i] = saved - eps and call f(), then put saved back"
    if not points:
        return "never called f: numerical_gradient must evaluate f() (which reads x) with x perturbed", None, fix
    up, down = oracle.central_difference_gaps(points, case.oracle.x, case.context["eps"])
    size = case.oracle.x.size
    missing = []
    if up:
        missing.append(f"at x + eps for {len(up)} of {size} entries")
    if down:
        missing.append(f"at x - eps for {len(down)} of {size} entries")
    if not missing:
        return None
    return f"f was not evaluated {' and '.join(missing)} (central differences move one entry of x by +eps, then by -eps)", None, fix


def _all_small(case, values, tolerance):
    errors = {key: scalar_value(values[f"[{key!r}]"]) for key in oracle.PARAMETERS}
    bad = {k: v for k, v in errors.items() if not 0.0 <= v < tolerance}
    if bad:
        shown = ", ".join(f"{k}: {v:.1e}" for k, v in bad.items())
        return f"for a correct backprop every relative error should be below {tolerance:.0e}; yours reports {shown}"
    if all(v == 0.0 for v in errors.values()):
        return "every relative error is exactly 0: are backprop's gradients being compared with themselves?"
    return None


def _detects_wrong_backprop(case, values, tolerance):
    """gradient_check where the grader planted errors (oracle.Planted, never sent to the
    worker): each parameter's error must be what comparing backprop with numerical_gradient
    gives, tiny where the planted factors cancel, |s - l| / (s + l) where they do not."""
    expected = case.oracle.expected_errors()
    errors = {key: scalar_value(values[f"[{key!r}]"]) for key in oracle.PARAMETERS}
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


def _performed_gradient_check(case, values, outcome, tolerance):
    """gradient_check called backprop, and numerical_gradient for every parameter, each
    result close to the true gradient of the loss (seen by the grader, oracle.py)."""
    evidence = outcome.evidence if outcome is not None else None
    calls = evidence.counts.get("grads", 0) if evidence is not None else 0
    seen = evidence.gradients if evidence is not None else {}
    fix = "call backprop once, and numerical_gradient(cost, param, eps) for each parameter, with cost() computing the mean cross-entropy from the parameters"
    if calls < 1:
        return "gradient_check never called backprop", None, fix
    missing = [k for k in oracle.PARAMETERS if k not in seen]
    if missing:
        return f"gradient_check did not get a numerical gradient for {', '.join(missing)} from numerical_gradient", None, fix
    off = [k for k in oracle.PARAMETERS if not seen[k] <= tolerance]
    if off:
        return (
            f"the numerical gradients gradient_check computed for {', '.join(off)} are not those of the mean cross-entropy "
            f"at the given parameters (relative error {max(seen[k] for k in off):.1e})",
            None, fix,
        )  # fmt: skip
    return None


def _matches_definition(case, values, tolerance):
    got = scalar_value(values[""])
    want = case.context["exact"]
    if gc.relative_error([got], [want]) <= tolerance:  # both 0.0: error 0; one 0.0: error 1
        return None
    return f"returned {got:.6g}; norm(a - b) / (norm(a) + norm(b)) is {want:.6g} here"


def _labels_in_range(case, values):
    labels = values[""]
    classes = case.context["sizes"][-1]
    top = 2 if classes == 1 else classes
    if np.all((labels >= 0) & (labels < top)):
        return None
    return f"labels must be in 0..{top - 1}; yours range from {labels.min()} to {labels.max()}"


def _forward_consistent(case, values, tolerance):
    p = case.context["point"]
    Z1 = p.X @ p.W1 + p.b1
    X2 = gc.logistic(Z1)
    Z2 = X2 @ p.W2 + p.b2
    expected = {"Z1": Z1, "X2": X2, "Z2": Z2, "Y_hat": gc.softmax(Z2)}
    for name in ("Z1", "X2", "Z2", "Y_hat"):
        error = gc.relative_error(values[name], expected[name])
        if not error <= tolerance:
            return f"{name} does not follow the definition ({_FORWARD_RULE[name]}): relative error {error:.1e}"
    return None


_FORWARD_RULE = {"Z1": "X @ W1 + b1", "X2": "sigmoid(Z1)", "Z2": "X2 @ W2 + b2", "Y_hat": "softmax(Z2)"}


def _init_matches_contract(case, values, tolerance):
    sizes, seed = case.context["sizes"], case.context["seed"]
    rng = np.random.default_rng(seed)
    for layer in range(1, len(sizes)):
        W = rng.standard_normal((sizes[layer - 1], sizes[layer])) / np.sqrt(sizes[layer - 1])
        if not gc.relative_error(values[f"['W{layer}']"], W) <= tolerance:
            return f"W{layer} is not the contract's draw: rng = np.random.default_rng(seed), then rng.standard_normal((n_in, n_out)) / sqrt(n_in) for each layer in order"
        if np.any(values[f"['b{layer}']"] != 0):
            return f"b{layer} must start at zeros"
    return None


def _first_cost_matches_init(case, values, tolerance):
    X, Y, sizes = case.context["X"], case.context["Y"], case.context["sizes"]
    seed = case.args[5] if len(case.args) > 5 else 1
    rng = np.random.default_rng(seed)
    params = {}
    for layer in range(1, len(sizes)):
        params[f"W{layer}"] = rng.standard_normal((sizes[layer - 1], sizes[layer])) / np.sqrt(sizes[layer - 1])
        params[f"b{layer}"] = np.zeros((1, sizes[layer]))
    costs = values["costs"]
    first = gc.layered_cost(X, Y, params)
    if not gc.relative_error([costs[0]], [first]) <= tolerance:
        return f"costs[0] should be the cost of initialize_parameters(layer_sizes, seed) before any step ({first:.6g}); yours is {costs[0]:.6g}"
    if not costs[-1] < costs[0]:
        return "the cost did not go down during training"
    return None


PROPERTIES = {
    "rows_sum_to_one": _rows_sum_to_one,
    "in_unit_interval": _in_unit_interval,
    "jacobian_rows_sum_to_zero": _jacobian_rows,
    "positive": _positive,
    "matches_exact_gradient": _matches_exact_gradient,
    "matches_loss_definition": _matches_loss_definition,
    "matches_definition": _matches_definition,
    "all_small": _all_small,
    "detects_wrong_backprop": _detects_wrong_backprop,
    "performed_gradient_check": _performed_gradient_check,
    "evaluated_at_x_plus_minus_eps": _evaluated_at_x_plus_minus_eps,
    "labels_in_range": _labels_in_range,
    "forward_consistent": _forward_consistent,
    "init_matches_contract": _init_matches_contract,
    "first_cost_matches_init": _first_cost_matches_init,
}


def is_number(value):
    return is_float_scalar(value)


__all__ = [
    "CallOutcome", "Verdict", "VALUE_CHECKS", "applicable", "evaluate", "unjudged", "hide_numbers", "shape_sizes",
    "describe", "shape_text", "changed_entries",
]  # fmt: skip
