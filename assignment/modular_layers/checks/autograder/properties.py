"""Property checks any homework may attach to its results (``spec.Property(name, check)``).

A check is ``check(case, values)``, or ``check(case, values, tolerance)`` when it compares
numbers (the config's one tolerance), and takes ``outcome`` too when it judges what the
grader saw during the call (oracle.Evidence). ``values`` maps each result path ("" for the
whole result) to its value. It returns None when the property holds, else a message, or
(message, mistake id, fix). Some are factories that take the wording of the homework.
"""

import numpy as np

from . import gradcheck as gc
from . import oracle
from .structure import scalar_value


def rows_sum_to_one(case, values, tolerance):
    S = values[""]
    with np.errstate(over="ignore", invalid="ignore"):
        sums = S.sum(axis=1)
        if np.all(np.abs(sums - 1.0) <= tolerance):
            return None
    return f"rows must each sum to 1; yours sum to values between {sums.min():.3g} and {sums.max():.3g}"


def in_unit_interval(case, values):
    S = values[""]
    if np.all((S >= 0.0) & (S <= 1.0)):
        return None
    return f"entries must lie in [0, 1]; yours range from {S.min():.3g} to {S.max():.3g}"


def positive(what):
    """The scalar result is above 0; ``what`` says why ("a cross-entropy of probabilities below 1")."""

    def check(case, values):
        value = scalar_value(values[""])
        return None if value > 0 else f"{what} is positive; yours is {value:.6g}"

    return check


def matches(definition, what):
    """The scalar result equals ``definition(case)`` within the tolerance; ``what`` names
    the definition in the message ("norm(a - b) / (norm(a) + norm(b))")."""

    def check(case, values, tolerance):
        want = definition(case)
        got = scalar_value(values[""])
        if gc.relative_error([got], [want]) <= tolerance:  # both 0.0: error 0; one 0.0: error 1
            return None
        return f"returned {got:.6g}; {what} is {want:.6g} here"

    return check


def labels_in_range(classes):
    """Integer labels in 0..classes-1; ``classes``: a number, or a function of the case."""

    def check(case, values):
        labels = values[""]
        top = classes(case) if callable(classes) else classes
        if np.all((labels >= 0) & (labels < top)):
            return None
        return f"labels must be in 0..{top - 1}; yours range from {labels.min()} to {labels.max()}"

    return check


# --- judged from what the oracle saw (the case's oracle is an oracle.TestFunction) ---------


def matches_exact_gradient(case, values, tolerance):
    error = gc.relative_error(values[""], case.oracle.gradient())
    if error <= tolerance:
        return None
    return f"differs from the exact gradient of the test function by relative error {error:.1e} (central differences get within {tolerance:.0e})"


def evaluated_at_x_plus_minus_eps(case, values, outcome):
    """The grader evaluated the test function f (oracle.py) at x + eps and at x - eps for
    every entry of x, one entry moved at a time."""
    evidence = outcome.evidence if outcome is not None else None
    points = evidence.points if evidence is not None else []
    fix = "for each entry: save it, set x[i] = saved + eps and call f(), set x[i] = saved - eps and call f(), then put saved back"
    if not points:
        return f"never called f: {case.function} must evaluate f() (which reads x) with x perturbed", None, fix
    up, down = oracle.central_difference_gaps(points, case.oracle.x, case.oracle.eps)
    size = case.oracle.x.size
    missing = []
    if up:
        missing.append(f"at x + eps for {len(up)} of {size} entries")
    if down:
        missing.append(f"at x - eps for {len(down)} of {size} entries")
    if not missing:
        return None
    return f"f was not evaluated {' and '.join(missing)} (central differences move one entry of x by +eps, then by -eps)", None, fix
