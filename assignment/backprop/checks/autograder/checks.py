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
    """The case's Property records that run in this mode (hidden: those still saying
    something when the value is compared with the reference)."""
    if mode == "hidden":
        return [p for p in case.properties if p.hidden]
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


def evaluate(case, outcome, mode, tolerance, param_names, homework=None):
    """Verdicts for every applicable check, in order. ``homework`` (spec.Homework) names
    the graded functions and the names hidden messages keep (None: none)."""
    names = applicable(case, mode)
    graded, kept = _homework_names(homework)
    verdicts = {}
    stop = False

    def record(name, status, message="", mistake=None, fix=None):
        verdicts[name] = Verdict(name, status, message, mistake, fix)

    # returns
    if outcome.status != "ok":
        record("returns", "fail", *_failed_call(outcome, case.function, mode, shape_sizes(case), graded, kept))
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
            _check_properties(case, leaves, outcome, mode, tolerance, record, kept)
    return [verdicts[name] for name in names if name in verdicts], leaves


def _homework_names(homework):
    """(the graded functions' names, the regex of names hidden messages keep) of a homework."""
    if homework is None:
        return (), None
    return tuple(homework.names), homework.message_pattern


def unjudged(case, mode, error, homework=None):
    """The verdicts of a case the grader itself failed to judge (an exception in a check or
    a diagnosis): the first check that applies fails, naming the grader's error, and the
    others are moot, so the case earns nothing and the grading goes on."""
    names = applicable(case, mode)
    text = f"{type(error).__name__}: {error}"
    if mode == "hidden":
        text = hide_numbers(text, shape_sizes(case), names=_homework_names(homework)[1])
    message = f"the grader could not judge this result ({text[:300]})"
    first = "value" if "value" in names else names[min(1, len(names) - 1)]
    return [Verdict(name, "fail" if name == first else "moot", message if name == first else "") for name in names]


# --- hidden values stay hidden ------------------------------------------------------------

_DTYPES = r"\b(?:float|int|uint|complex)(?:8|16|32|64|128|256)\b"  # dtype names
_SHAPES_AND_BITS = (
    r"\((?:\s*\d+\s*,)*\s*\d*\s*\)"  # shape-like tuples: (5, 7), (7,), ()
    r"|(?<![\w.])[01](?![\w]|\.\d)"  # a lone 0 or 1: "sum to 1", "in [0, 1]"
)


@functools.lru_cache(maxsize=16)
def _kept(names):
    """What hide_numbers keeps: dtype names, the homework's names (a regex: W1, dZ2, ...),
    shape-like tuples and a lone 0 or 1."""
    middle = f"|(?:{names})" if names else ""
    return re.compile(f"{_DTYPES}{middle}|{_SHAPES_AND_BITS}")


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


def hide_numbers(text, sizes=frozenset(), keep=(), names=None):
    """``text`` with every number removed, except dtype names, the names the regex ``names``
    matches (a homework's ``message_pattern``: W1, dZ2), shapes whose sizes are in ``sizes``
    and the public numbers in ``keep`` (the tolerance): "operands
    could not be broadcast together with shapes (5,7) (7,3)" stays as it is; "ValueError:
    [[0.1, -2.3]]" loses its numbers."""
    if keep:
        marks = {f"\x00{chr(65 + i)}\x00": literal for i, literal in enumerate(keep[:26])}
        for mark, literal in marks.items():
            text = text.replace(literal, mark)
        text = hide_numbers(text, sizes, names=names)
        for mark, literal in marks.items():
            text = text.replace(mark, literal)
        return text
    out, last = [], 0
    for kept in _kept(names).finditer(text):
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


def _failed_call(outcome, function, mode="public", sizes=frozenset(), graded=(), names=None):
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
            text = hide_numbers(text, sizes, names=names)
        message = f"raised {kind}: {text}".rstrip(": ")
        if where:
            message += f" (line {where['line']}, in {where['function']}: `{where['text']}`)"
        if inside:
            if inside in graded:
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


def _check_properties(case, leaves, outcome, mode, tolerance, record, names=None):
    values = {p: v for p, _, v in leaves}
    for prop in _properties(case, mode):
        problem = _run_property(prop.check, case, values, tolerance, outcome)
        if problem:
            message, mistake, fix = problem if isinstance(problem, tuple) else (problem, None, None)
            if mode == "hidden":  # a property's message may quote numbers computed from hidden inputs
                message = hide_numbers(message, shape_sizes(case), keep=(f"{tolerance:.0e}",), names=names)
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


def is_number(value):
    return is_float_scalar(value)


__all__ = [
    "CallOutcome", "Verdict", "VALUE_CHECKS", "applicable", "evaluate", "unjudged", "hide_numbers", "shape_sizes",
    "describe", "shape_text", "changed_entries",
]  # fmt: skip
