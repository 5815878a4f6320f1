"""Name the mistake: generic diagnoses of a failed result, and the homework's own known mistakes.

A diagnosis rebuilds what a mistake would have produced (the expected value transposed, times
N, summed over the wrong axis, ...) and claims the failure only if the submission matches that
rebuilt value closely while the correct value does not. No diagnosis is better than a wrong
one, so every match is tight, and a correct result is never diagnosed (checked in the tests).

The expected value is the reference's (hidden grading) or, for small arrays in the public
checks, the finite-difference gradient.

The diagnosis goes by the first check that failed, in stages: an exception, a result of the
wrong type (a loss left unreduced), a misshapen part, nan or inf, a changed input, then the
values. At each stage the homework's known mistakes of the function (its ``mistakes.py``,
run by mistakes.py) are tried first, so a specific name wins; the generic diagnoses that hold
for any array result come after them: raised by a matrix product, all zeros, a constant
factor the grader can name (2, 1/2, -1, N, 1/N, C, 1/C, a ratio of two sizes, or any factor,
printed), a sum or mean over the wrong axis (or over an axis the result keeps), one value per
row where their mean is needed, a size-1 axis dropped, a transpose, a bias gradient not
summed. Their fix lines are neutral; a homework words them for its own functions with
``Hints`` (``FIX_KEYS`` lists the lines it can replace, ``Hints.shape`` is appended to the
fixes of a transpose or a matrix product whose shapes disagree).

Two wordings of every fix: "fix" may state the formula (hidden grading, by default), "hint"
says what is wrong (shape, scale, sign, axis) and which rule to revisit, not the formula. The
public checks always use "hint"; hidden grading uses grading.toml's ``[feedback] hidden``
(``wording=``). A homework gives the hint of a known mistake in ``Mistake.hint`` and of its
generic lines in ``Hints.hint_shape`` / ``Hints.hint_fixes``; the engine's own bias lines
have both wordings here (``_BIAS``).

This module names no homework: what it knows of one comes from the ``Homework`` passed in.
"""

from dataclasses import dataclass

import numpy as np

from . import gradcheck as gc
from . import mistakes as known
from .mistakes import DISTINCT, MATCH, MATCH_FD, Found
from .mistakes import close as _close
from .structure import Arr, Scalar, flatten

# The Hints.fixes keys the generic diagnoses look up, each with the situation whose fix line it words:
FIX_KEYS = {
    "missing_mean": "the result is N times the correct one",
    "sum_vs_mean": "the result is 1/N times the correct one",
    "sign_flipped": "the result is minus the correct one",
    "loss_over_classes": "a loss (Function.loss) is 1/C of the correct one",
    "wrong_axis_loss": "a loss (Function.loss) came back as an array whose entries add up to it",
    "wrong_axis_rows": "the correct result was reduced over axis 0, which it keeps",
}


WORDINGS = ("fix", "hint")  # grading.toml's [feedback] hidden; the public checks use "hint"

# The fix lines of the generic bias-gradient diagnoses, (fix, hint) by mistake id.
_BIAS = {
    "bias_keepdims": ("sum with keepdims: np.sum(dZ, axis=0, keepdims=True)",
                      "keep the bias gradient's row shape (1, n): the reduction needs keepdims=True"),
    "bias_not_summed": ("sum over the rows: np.sum(dZ, axis=0, keepdims=True)",
                        "one bias entry is added to every example, so its gradient collects all N examples' contributions: revisit the chain rule for a parameter shared by the rows; the result has shape (1, n)"),
}  # fmt: skip


@dataclass
class Diagnosis:
    mistake: str
    explanation: str
    fix: str


class _Known:
    """What the homework says about one function: its record, known mistakes and wording."""

    def __init__(self, homework, name, wording="fix"):
        self.wording = wording
        function = None
        if homework is not None and name in homework.names:
            function = homework.function(name)
        self.function = function
        self.mistakes = homework.mistakes(name) if function is not None else ()
        hints = homework.hints(name) if function is not None else None
        public = wording == "hint"
        self.shape = ((hints.hint_shape if public else hints.shape) if hints is not None else None) or ""
        fixes = (hints.hint_fixes if public else hints.fixes) if hints is not None else None
        self.fixes = dict(fixes) if fixes else {}
        self.params = tuple(function.params) if function is not None else ()
        self.loss = bool(function is not None and function.loss)
        self.matmul = bool(function is not None and function.matmul)
        self.generic_values = function is None or function.generic_values
        self._bias = homework.is_bias_path if function is not None else None
        self.name = name

    def is_bias(self, path):
        return bool(self._bias is not None and self._bias(self.name, path))

    def fix(self, key, default):
        return self.fixes.get(key) or default

    def bias(self, mistake):
        fix, hint = _BIAS[mistake]
        return hint if self.wording == "hint" else fix


def _expected_leaves(case, mode):
    """path -> the correct array to compare mistakes against, where one is known."""
    out = {}
    if mode == "hidden" and case.expected is not None:
        for path, template, value in flatten(case.expect, case.expected):
            out[path] = np.asarray(value, dtype=np.float64)
        return out, MATCH
    for path in case.fd:
        probes = case.probes(path)
        if probes.exact:
            out[path] = probes.numeric.reshape(probes.shape)
    return out, MATCH_FD


def _raw(leaves):
    return {p: v for p, _, v in leaves or ()}


def diagnose(case, outcome, verdicts, leaves, mode, reference=None, homework=None, wording="fix"):
    """A Diagnosis for the first failure of this case, or None when nothing matches.
    ``homework``: the Homework the case is of (its known mistakes and wording); None: generic
    diagnoses only. ``reference``: the reference module (hidden grading), for swap mistakes.
    ``wording``: "fix" or "hint" (see WORDINGS), in hidden grading; public checks: "hint"."""
    failed = [v for v in verdicts if v.status == "fail"]
    if not failed:
        return None
    if wording not in WORDINGS:
        raise ValueError(f"wording must be one of {', '.join(WORDINGS)}, not {wording!r}")
    spec = _Known(homework, case.function, "hint" if mode == "public" else wording)
    first = failed[0]
    if first.check == "returns":
        return _from_exception(case, outcome, spec, mode)
    if first.check == "type":
        # the type check already names returns_list / returns_none; an array where one float
        # is needed may be one value per row (or per class) that still needs reducing
        return None if first.mistake else _from_unreduced(case, outcome, mode, spec)
    if first.check == "shape":
        expected, tight = _expected_leaves(case, mode)
        return _from_shape(case, outcome, leaves, expected, tight, mode, spec) or _generic_shape(case, leaves, expected, tight, spec)
    if first.check == "dtype":
        return None  # already tagged wrong_dtype with its fix
    if first.check == "finite":
        return _diagnosis(known.by_test(spec.mistakes, "non_finite", case, Found(outcome, _raw(leaves), mode=mode, wording=spec.wording)))
    expected, tight = _expected_leaves(case, mode)
    if first.check == "inputs_unchanged":
        if not known.has_stage(spec.mistakes, "mutation", mode):
            return Diagnosis(*_INPUT_MUTATION)
        found = _diagnosis(known.by_test(spec.mistakes, "mutation", case, Found(outcome, _raw(leaves), expected, tight=tight, mode=mode, wording=spec.wording)))
        if found:
            return found
        later = [v for v in failed[1:] if v.check in ("value", "finite_differences", "properties")]
        if not later:
            return None
    # Mistakes recognised from the value's own structure (a normalisation over the wrong axis,
    # a diagonal-only Jacobian, weights at the wrong scale) come before generic rescalings.
    values = {p: np.asarray(v, dtype=np.float64) for p, _, v in leaves} if leaves else {}
    found = _diagnosis(known.by_test(spec.mistakes, "structure", case, Found(outcome, values, expected, tight=tight, mode=mode, wording=spec.wording)))
    if found:
        return found
    return _from_values(case, outcome, leaves, expected, tight, mode, reference, spec)


def _diagnosis(named):
    return Diagnosis(*named) if named else None


_INPUT_MUTATION = (
    "input_mutation",
    "a graded function must not change its arguments: the caller still uses them",
    "work on a copy (x = x.copy()) or use out-of-place operations (a = a - b, not a -= b)",
)


# --- exceptions ---------------------------------------------------------------------------


def _from_exception(case, outcome, spec, mode):
    exc = outcome.exception or {}
    message = exc.get("message", "")
    found = _diagnosis(known.by_test(spec.mistakes, "exception", case, Found(outcome, mode=mode, wording=spec.wording)))
    if found:
        return found
    where = exc.get("where") or {}
    if where.get("function") not in (None, case.function):
        return None  # raised in a function it calls, which is graded (and diagnosed) on its own
    if exc.get("type") == "ValueError" and spec.matmul:
        if "could not be broadcast" in message:
            return Diagnosis(
                "elementwise_for_matmul",
                "`*` multiplies entry by entry and needs matching shapes; this step needs a matrix product",
                f"use `@` (matrix product) here. {spec.shape}".strip(),
            )
        if "mismatch in its core dimension" in message or "not aligned" in message:
            return Diagnosis(
                "wrong_operand_order",
                "the inner sizes of a matrix product disagree: the operands are in the wrong order or the wrong one is transposed",
                f"line up the shapes so the inner sizes match. {spec.shape}".strip(),
            )
    return None


# --- shapes -------------------------------------------------------------------------------


def _first_misshapen(leaves):
    for path, template, value in leaves or ():
        if isinstance(template, Arr) and value.shape != tuple(template.shape):
            return path, template, value
    return None


def _from_shape(case, outcome, leaves, expected, tight, mode, spec):
    """Mistakes told by the shape of a misshapen part of the result: a bias gradient not
    summed, a transpose, then the function's own (shape-stage known mistakes)."""
    for path, template, value in leaves or ():
        if not isinstance(template, Arr) or value.shape == tuple(template.shape):
            continue
        want, got = tuple(template.shape), value.shape
        N = case.dims.get("N")
        bias_key = spec.is_bias(path)
        # (C,) for (1, C) is a dropped axis only for a bias; elsewhere the 1 is N = 1, and a
        # result reduced over its rows looks the same there (the generic checks decide)
        if bias_key and len(want) == 2 and want[0] == 1 and got == (want[1],):
            return Diagnosis(
                "bias_keepdims",
                f"a bias gradient keeps its row shape (1, {want[1]}); summing dropped the axis",
                spec.bias("bias_keepdims"),
            )
        if bias_key and len(want) == 2 and want[0] == 1 and N is not None and got in ((N, want[1]), (N, 1), (N,)) and N != 1:
            axis_note = "" if got == (N, want[1]) else " (it was summed over the wrong axis)"
            return Diagnosis(
                "bias_not_summed",
                f"the bias is added to every one of the N rows, so its gradient adds up the N rows of dZ{axis_note}",
                spec.bias("bias_not_summed"),
            )
        correct = (expected or {}).get(path)
        transposed_value = correct is None or _close(np.asarray(value, dtype=np.float64).T, correct, None, tight)
        if len(want) == 2 and got == want[::-1] and want[0] != want[1] and transposed_value:
            return Diagnosis(
                "transposed",
                "the result is transposed (or one of the operands was)",
                f"check which operand takes .T. {spec.shape}".strip(),
            )
        found = Found(outcome, _raw(leaves), expected or {}, path=path, shape=got, want=want, tight=tight, mode=mode, wording=spec.wording)
        named = _diagnosis(known.by_test(spec.mistakes, "shape", case, found))
        if named:
            return named
    return None


# --- generic: shapes that a reduction, a dropped axis or one value per row explain --------


def _float(value):
    """A finite float64 array, or None."""
    array = gc.as_float64(value)
    if array is None or not np.all(np.isfinite(array)):
        return None
    return array


def _sizes(case):
    """The named sizes of a case (its ``sizes``, else its ``dims``): N = 7, C = 4, ..."""
    sizes = getattr(case, "sizes", None)
    if sizes is None:
        sizes = case.dims
    return {letter: int(size) for letter, size in sizes.items()}


def _axis_text(axis, shape, dims):
    """ "axis 0 (the rows, N = 7)", "axis 1 (size 4 = C)", "all axes"."""
    if axis is None:
        return "all axes"
    size = shape[axis]
    letters = [letter for letter, value in dims.items() if value == size]
    if axis == 0 and len(shape) == 2 and letters == ["N"]:
        return f"axis 0 (the rows, N = {size})"
    named = f" = {letters[0]}" if len(letters) == 1 else ""
    return f"axis {axis} (size {size}{named})"


def _where(path):
    return "" if not path else f" ({'result' + path if path.startswith('[') else path})"


def _significant(candidate, reference):
    """The candidate is not just rounding noise of a reduction that cancels (the rows of a
    difference of two distributions sum to 0): its largest entry is not negligible next to
    the reference's."""
    top = float(np.max(np.abs(reference))) if np.size(reference) else 0.0
    return top > 0 and np.size(candidate) > 0 and float(np.max(np.abs(candidate))) > 1e-6 * top


def _reductions(array, unit_axes=True):
    """(operation name, axis, keepdims, result) for every sum and mean of ``array``
    (``unit_axes=False``: none over an axis of size 1, which only drops the axis)."""
    axes = [None] + list(range(array.ndim))
    for name, op in (("sum", np.sum), ("mean", np.mean)):
        for axis in axes:
            for keep in (False, True):
                if not unit_axes and axis is not None and array.shape[axis] < 2:
                    continue
                yield name, axis, keep, op(array, axis=axis, keepdims=keep)


def _generic_shape(case, leaves, expected, tight, spec):
    found = _first_misshapen(leaves)
    if not found:
        return None
    path, template, value = found
    want = expected.get(path)
    if want is None or template.dtype != "float64" or not np.any(want):
        return None
    got = _float(value)
    if got is None:
        return None
    where = _where(path)
    dims = _sizes(case)
    N = dims.get("N")

    # a size-1 axis dropped (or added); with N = 1 a result reduced over its one row looks
    # the same as one whose row axis was dropped, so nothing is said there
    if got.size == want.size and [d for d in got.shape if d != 1] == [d for d in want.shape if d != 1]:
        if _close(got.reshape(want.shape), want, None, tight):
            if N == 1 and (got.shape == (1, *want.shape) or (want.ndim and want.shape[0] == 1 and got.shape == want.shape[1:])):
                return None
            if got.ndim < want.ndim:
                return Diagnosis(
                    "keepdims",
                    f"the result{where} has the right values but shape {got.shape}: the size-1 axis of {want.shape} was dropped (a sum, mean or max without keepdims=True, or an index like [:, 0])",
                    f"keep the axis: keepdims=True in the reduction, or reshape the result to {want.shape}",
                )
            return Diagnosis(
                "keepdims",
                f"the result{where} has the right values but shape {got.shape}: it has an extra size-1 axis",
                f"drop the extra axis: return shape {want.shape} (e.g. without keepdims=True, or with reshape)",
            )
        return None

    # one value per row where their mean (or sum) is the result
    if N and N > 1 and got.ndim >= 1 and got.shape[0] == N:
        reductions = (
            (np.mean, "missing_mean", "mean", "the mean over the batch", "average over the rows (axis 0)"),
            (np.sum, "wrong_axis", "sum", "the sum over axis 0", "add up the rows (a sum over axis 0)"),
        )  # fmt: skip
        for keep in (False, True):
            for reduce, mistake, kind, missing, fix in reductions:
                reduced = reduce(got, axis=0, keepdims=keep)
                if reduced.shape == want.shape and _close(reduced, want, None, tight):
                    return Diagnosis(
                        mistake,
                        f"the result{where} has one entry per row (shape {got.shape}) and their {kind} over the N = {N} rows is the correct value: {missing} is missing",
                        f"{fix} so the result has shape {want.shape}",
                    )

    # an argument reduced over the wrong axis
    params = spec.params
    for index, argument in enumerate(case.args):
        if not isinstance(argument, np.ndarray) or argument.dtype.kind != "f" or argument.size < 2:
            continue
        reductions = list(_reductions(argument))
        right = [(op, axis) for op, axis, keep, r in reductions if r.shape == want.shape and _close(r, want, None, tight)]
        if not right:
            continue
        name = params[index] if index < len(params) else f"argument {index + 1}"
        right_op, right_axis = right[0]
        wrong = []  # with a size-1 axis (N = 1) several reductions give the same values
        for op, axis, keep, candidate in reductions:
            if axis != right_axis and candidate.shape == got.shape and _significant(candidate, want) and _close(got, candidate, None, tight):
                text = f"the {op} of {name} over {_axis_text(axis, argument.shape, dims)}"
                if text not in wrong:
                    wrong.append(text)
        if wrong:
            return Diagnosis(
                "wrong_axis",
                f"the result{where} is {' or '.join(wrong)}; the {right_op} over {_axis_text(right_axis, argument.shape, dims)} is needed",
                f"reduce {name} over {_axis_text(right_axis, argument.shape, dims)} only, so the result has shape {want.shape}",
            )

    # the correct result reduced over an axis it must keep
    for op, axis, keep, candidate in _reductions(want, unit_axes=False):
        if candidate.shape == got.shape and _significant(candidate, want) and _close(got, candidate, None, tight):
            kept = _axis_text(axis, want.shape, dims)
            how = "summed" if op == "sum" else "averaged"
            return Diagnosis(
                "wrong_axis",
                f"the result{where} is the correct one {how} over {kept}, an axis the result keeps",
                spec.fix("wrong_axis_rows", None) if axis == 0 and "wrong_axis_rows" in spec.fixes else f"remove the sum or mean over {kept}: the result has shape {want.shape}",
            )



def _from_unreduced(case, outcome, mode, spec):
    """An array where one float is needed: one loss per row whose mean is the loss, or a loss
    reduced over one axis only (hidden grading, where the correct value is known)."""
    value = outcome.value
    if mode != "hidden" or case.expected is None or not isinstance(case.expect, Scalar):
        return None
    if not isinstance(value, np.ndarray) or value.size < 2:
        return None
    got = _float(value)
    want = _float(case.expected)
    if got is None or want is None or want.size != 1 or not np.any(want):
        return None

    def same(number):
        return gc.relative_error(np.array([number]), want.reshape(1)) <= MATCH

    N = _sizes(case).get("N")
    if N and N > 1 and got.shape in ((N,), (N, 1)) and same(got.mean()):
        return Diagnosis(
            "missing_mean",
            f"one value per row came back (shape {got.shape}): the mean of those N = {N} values is the result, and that mean is missing",
            "average the per-row values over the N rows and return that one number, e.g. float(np.mean(per_row))",
        )
    if spec.loss and same(got.sum()):
        return Diagnosis(
            "wrong_axis",
            f"an array of shape {got.shape} came back whose entries add up to the correct loss: it was reduced over one axis only",
            spec.fix("wrong_axis_loss", "reduce over every axis so one float comes back"),
        )
    return None


# --- nan and inf --------------------------------------------------------------------------


# --- wrong values -------------------------------------------------------------------------


def _from_values(case, outcome, leaves, expected, tight, mode, reference, spec):
    if leaves is None:
        return None
    values = {p: np.asarray(v, dtype=np.float64) for p, _, v in leaves}
    found = Found(outcome, values, expected, tight=tight, mode=mode, wording=spec.wording)
    named = known.by_test(spec.mistakes, "value", case, found) or known.by_swap(spec.mistakes, case, reference, found)
    if named:
        return Diagnosis(*named)

    # Diagnose the first part of the result that is wrong, and only that part.
    for path, got in values.items():
        want = expected.get(path)
        if want is not None and gc.relative_error(got, want) <= tight:
            continue
        named = known.by_impl(spec.mistakes, case, path, got, want, found)
        if named:
            return Diagnosis(*named)
        if not spec.generic_values:
            return None
        templates = {p: t for p, t, _ in leaves}
        if isinstance(templates.get(path), Arr) and templates[path].dtype != "float64":
            return None  # labels: none of the generic diagnoses below applies
        if want is None:
            return _zeros_against_differences(case, path, got)
        return _generic(case, path, got, want, tight, spec)
    return None


# --- generic: values that a constant factor, a transpose or zeros explain -----------------


def _zeros_against_differences(case, path, got):
    """Public checks of a large gradient: no exact finite-difference value to compare with,
    but an all-zero result that finite differences contradict is all zeros all the same."""
    if got.size == 0 or np.any(got) or path not in case.fd:
        return None
    if not gc.compare(case.probes(path), got) > 0.5:
        return None
    return Diagnosis(*_all_zeros(_where(path)))


def _all_zeros(where):
    return (
        "all_zeros",
        f"every entry of the result{where} is 0, and the correct one is not",
        "check that the computed values reach the returned array: a result created with np.zeros and returned before it is filled, a loop that never runs, or a factor that is 0 (such as an integer division 1 // N)",
    )


def _factor_names(case):
    """(value, name) of the sizes a factor may be named after: N = 7, 1/C = 1/4, N/C = 7/4."""
    dims = {letter: size for letter, size in _sizes(case).items() if size > 1}
    names = []
    for letter, size in dims.items():
        names.append((float(size), f"{letter} = {size}"))
        names.append((1.0 / size, f"1/{letter} = 1/{size}"))
    for top, a in dims.items():
        for bottom, b in dims.items():
            if top != bottom and a != b:
                names.append((a / b, f"{top}/{bottom} = {a}/{b}"))
    return names


def _named(c, names):
    return [name for value, name in names if abs(c - value) <= 1e-5 * abs(value)]


def _generic(case, path, got, want, tight, spec):
    where = _where(path)
    N = case.dims.get("N")
    if got.size and not np.any(got) and np.any(want):
        return Diagnosis(*_all_zeros(where))
    if got.ndim == 2 and got.shape == want.shape and got.shape[0] == got.shape[1]:
        if _close(got, want.T, want, tight):
            return Diagnosis("transposed", f"the result{where} is the transpose of the correct one", f"check which operand takes .T. {spec.shape}".strip())
    if N and N > 1:
        if _close(got, want * N, want, tight):
            return Diagnosis("missing_mean", f"the result{where} is N = {N} times too large: the mean over the batch is missing", spec.fix("missing_mean", "divide by N once: the result is a mean over the N rows"))
        if _close(got, want / N, want, tight):
            return Diagnosis("sum_vs_mean", f"the result{where} is N = {N} times too small: a mean was taken where a sum is needed", spec.fix("sum_vs_mean", "the 1/N of the mean belongs in one place only: remove the extra division by N"))
    if _close(got, -want, want, tight):
        return Diagnosis("sign_flipped", f"the result{where} has the right size but the opposite sign", spec.fix("sign_flipped", "check the order of a subtraction and the sign of each term"))
    # A single number is always some constant times another, so for small results only
    # constants with a known cause count; larger ones also get any factor, printed.
    for c, cause in ((1 / np.log(10), "np.log10 was used where the natural log np.log is needed"),
                     (1 / np.log(2), "np.log2 was used where the natural log np.log is needed")):  # fmt: skip
        if _close(got, c * want, want, tight):
            return Diagnosis("scaled_by_constant", f"{cause}{where}", "use the natural logarithm np.log")
    denominator = float(np.sum(want * want))
    if not denominator > 0:
        return None
    c = float(np.sum(got * want) / denominator)
    if not (abs(c) > 1e-12 and abs(c - 1) > 1e-3 and _close(got, c * want, want, tight)):
        return None
    sizes = _factor_names(case)
    names = _named(c, [(2.0, "2"), (0.5, "1/2")] + sizes)
    C = _sizes(case).get("C")
    if spec.loss and C and C > 1 and _named(c, [(1.0 / C, "1/C")]):
        return Diagnosis(
            "scaled_by_constant",
            f"the loss is the correct one divided by C = {C}: it was averaged over the C classes too (np.mean of the (N, C) array divides by N * C)",
            spec.fix("loss_over_classes", "sum over the classes and divide by N only"),
        )
    if names:
        return Diagnosis("scaled_by_constant", f"the result{where} is {c:.4g} times the correct one: a factor {' or '.join(names)}?", "look for that stray factor: a division or multiplication by the wrong size, an extra 2 or 1/2")
    if want.size >= 3:
        return Diagnosis("scaled_by_constant", f"the result{where} is {c:.4g} times the correct one", "look for a stray constant factor (a learning rate, an extra division or multiplication)")
    return None
