"""Run a homework's known mistakes (its ``Mistake`` records) at one stage of a diagnosis.

A homework names the mistakes of its own functions in ``mistakes.py`` (spec.py's
``Mistake``); diagnosis.py calls this module at each stage, before its generic diagnoses of
the same stage, so a specific name wins. Three kinds; at the value stage tests come first,
then swaps, then impls, and within a kind the mistakes are tried in the order listed:

- ``test(case, found)``: runs at ``stage`` (exception, shape, non_finite, mutation,
  structure, value) and returns None or False (not this mistake), True (use ``explain``), an
  explanation, or ``(explanation, fix)``. ``found`` (a ``Found``) holds what came back.
- ``swap={helper: wrong helper}``: the reference solution is run on copies of the case's
  arguments with those helpers swapped in its module (hidden grading only, where a
  reference is loaded); it names the mistake when every part of the result equals that
  run's and some part differs from the correct value.
- ``impl``: a plain wrong implementation (the function's parameters, or ``case`` first),
  run on copies of the arguments; it names the mistake when the first wrong part of the
  result equals the same part of the impl's result, and that part is not the correct value
  (by more than ``distinct``).

A function with tests at the ``mutation`` stage decides that stage itself: the generic
``input_mutation`` is not given to it. ``public=False``: tried in hidden grading only.

``explain``, ``fix`` and ``hint`` are text or functions ``(case, found) -> text``. ``hint`` is
the public wording of ``fix``: what is wrong and which rule to revisit, not the formula. It is
said when ``found.wording`` is "hint" (always in the public checks; in hidden grading when
grading.toml's ``[feedback] hidden = "hint"``), in place of ``fix`` and of a fix a test
returns; a mistake without one says its ``fix``. An ``explain`` that states a formula reads
``found.wording`` to word itself. A test that raises
leaves the whole case undiagnosed (the grader names nothing rather than something wrong); a
swap or impl that cannot be built is simply not tried.
"""

import contextlib
import inspect
from dataclasses import dataclass, field

import numpy as np

from . import gradcheck as gc
from .structure import flatten

MATCH = 1e-6  # how closely a submission must equal a rebuilt mistake (hidden grading)
MATCH_FD = 2e-5  # the same, against a finite-difference gradient (public checks)
DISTINCT = 1e-3  # a rebuilt mistake must differ from the correct value by at least this much


@dataclass
class Found:
    """What a mistake's test sees of one failed case."""

    outcome: object = None  # the CallOutcome (status, value, exception, args_after)
    values: dict = field(default_factory=dict)  # result path -> float64 array
    expected: dict = field(default_factory=dict)  # result path -> the correct array, where known
    path: str = ""  # shape stage: the misshapen part of the result
    shape: tuple | None = None  # shape stage: its shape
    want: tuple | None = None  # shape stage: the shape the template asks for
    tight: float = MATCH  # how closely values must match (MATCH or MATCH_FD)
    mode: str = "hidden"
    wording: str = "fix"  # "fix" (the formula may be said) or "hint" (public wording, see hint)


def close(got, candidate, expected, tight, distinct=DISTINCT):
    """The submission equals the candidate, and the candidate is not the correct value."""
    if candidate is None or np.shape(got) != np.shape(candidate):
        return False
    candidate = np.asarray(candidate, dtype=np.float64)
    if not np.all(np.isfinite(candidate)):
        return False
    if not gc.relative_error(got, candidate) <= tight:  # NaN: cannot decide, so no match
        return False
    return expected is None or gc.relative_error(candidate, expected) > distinct


def _tried(mistake, mode):
    return mistake.public or mode == "hidden"


def _text(text, case, found):
    return text(case, found) if callable(text) else text


def _named(mistake, case, found, said=True):
    """(id, explanation, fix) of a mistake that matched; ``said`` is what its test returned.
    With ``found.wording == "hint"`` the fix is the mistake's ``hint`` where it has one."""
    if isinstance(said, tuple):
        explanation, fix = said
    elif isinstance(said, str):
        explanation, fix = said, _text(mistake.fix, case, found)
    else:
        explanation, fix = _text(mistake.explain, case, found), _text(mistake.fix, case, found)
    if found.wording == "hint" and mistake.hint is not None:
        fix = _text(mistake.hint, case, found)
    return mistake.id, explanation, fix


def by_test(mistakes, stage, case, found):
    """(id, explanation, fix) of the first mistake whose test at ``stage`` claims the case."""
    for mistake in mistakes:
        if mistake.test is None or mistake.stage != stage or not _tried(mistake, found.mode):
            continue
        said = mistake.test(case, found)
        if not isinstance(said, (str, tuple)) and not said:  # None, False, numpy's False
            continue
        return _named(mistake, case, found, said)
    return None


def has_stage(mistakes, stage, mode="hidden"):
    """Whether any of the mistakes has a test at ``stage`` (tried in this mode)."""
    return any(m.test is not None and m.stage == stage and _tried(m, mode) for m in mistakes)


# --- swaps: the reference with one helper done wrong --------------------------------------


@contextlib.contextmanager
def _swapped(module, replacements):
    originals = {name: getattr(module, name) for name in replacements}
    for name, replacement in replacements.items():
        setattr(module, name, replacement)
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(module, name, original)


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def by_swap(mistakes, case, reference, found):
    """(id, explanation, fix) of the first swap whose whole result the submission's equals."""
    if reference is None:
        return None
    values, expected, tight = found.values, found.expected, found.tight
    for mistake in mistakes:
        if mistake.swap is None or not _tried(mistake, found.mode):
            continue
        if not all(hasattr(reference, name) for name in mistake.swap):
            continue
        try:
            with _swapped(reference, mistake.swap):
                result = getattr(reference, case.function)(*[_copy(a) for a in case.args])
        except Exception:  # noqa: BLE001 - a variant that cannot be built is simply not tried
            continue
        try:
            variant = {p: np.asarray(v, dtype=np.float64) for p, _, v in flatten(case.expect, result)}
        except Exception:  # noqa: BLE001
            continue
        if set(variant) != set(values) or not all(values[p].shape == variant[p].shape for p in values):
            continue
        distinct = DISTINCT if mistake.distinct is None else mistake.distinct
        same = all(gc.relative_error(values[p], variant[p]) <= tight for p in values)
        differs = any(p in expected and gc.relative_error(variant[p], expected[p]) > distinct for p in values)
        if same and differs:
            return _named(mistake, case, found)
    return None


# --- impls: a plain wrong implementation --------------------------------------------------


def _takes_case(impl):
    try:
        parameters = list(inspect.signature(impl).parameters)
    except (TypeError, ValueError):
        return False
    return bool(parameters) and parameters[0] == "case"


def _impl_part(mistake, case, path):
    """The impl's result at ``path``, or None when it cannot be built or has no such part."""
    args = [_copy(a) for a in case.args]
    try:
        result = mistake.impl(case, *args) if _takes_case(mistake.impl) else mistake.impl(*args)
        parts = {p: v for p, _, v in flatten(case.expect, result)}
    except Exception:  # noqa: BLE001 - a variant that cannot be built is simply not tried
        return None
    return parts.get(path)


def by_impl(mistakes, case, path, got, want, found):
    """(id, explanation, fix) of the first impl whose result at ``path`` the submission's equals."""
    for mistake in mistakes:
        if mistake.impl is None or not _tried(mistake, found.mode):
            continue
        candidate = _impl_part(mistake, case, path)
        distinct = DISTINCT if mistake.distinct is None else mistake.distinct
        if close(got, candidate, want, found.tight, distinct):
            return _named(mistake, case, Found(**{**found.__dict__, "path": path}))
    return None
