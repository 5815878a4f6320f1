"""The engine's checks on live functions, for graders that run tests in the student's kernel.

otter-grader and nbgrader execute a notebook in one Jupyter kernel and run their test cells
in that same kernel, so the student's code and the tests share a process. These helpers let
those test cells use our cases, checks and diagnoses:

    from autograder.inkernel import check_function
    check_function("f", globals(), points=4, homework="hw")                             # public checks
    check_function("f", globals(), points=4, course="autograder_course", homework="hw")  # hidden tests

Each returns the points earned (a float) and prints what to fix. ``require_function`` raises
AssertionError with the same text instead (otter's test cases are pass/fail).

Running in-process is those tools' model, not ours: a submission can tamper with anything
in its kernel, this module included. ``autograder grade`` runs the same checks in a sandbox.
"""

from pathlib import Path

from .grader import grade_cases
from .live import call_in_process
from .worker import describe_callable

_GRADERS = {}  # (course folder, homework) -> Grader (no sandbox): its plan is built once per kernel


def _setup(course, homework):
    """The grader of ``homework`` (a name, or None: the only one) for this kernel: hidden
    tests from the course folder ``course``, or the public checks without one (their spec
    from the installed homework, else from the course found around, as on the instructor's
    machine where ``otter assign`` runs the public tests)."""
    key = (str(Path(course).resolve()) if course else None, homework)
    if key not in _GRADERS:
        from .factory import make_grader

        source = key[0]
        if source is None:
            from .course import find_course_or_none
            from .spec import installed_homeworks

            if homework not in installed_homeworks():
                source = find_course_or_none()
        _GRADERS[key] = make_grader(source, homework, mode="hidden" if course else "public", isolation=None)
    return _GRADERS[key]


def grade_function(name, namespace, course=None, homework=None):
    """FunctionResult for ``namespace[name]``: hidden tests if ``course`` (a course folder
    holding solutions/<homework>/) is given, else the public checks."""
    grader = _setup(course, homework)
    obj = namespace.get(name)
    info = describe_callable(obj) if obj is not None else {"defined": False}
    seconds = grader.config.limits.call_seconds

    def call(case):
        return call_in_process(obj, namespace, case, seconds)

    return grade_cases(name, grader.plan[name], info, call, grader.config, grader.reference, homework=grader.homework)


def report(result):
    from .exporters.text import findings_lines

    lines = [f"{result.name}: {'all checks passed' if result.passed else 'needs work'} ({result.score:.2f} / {result.max_score:g})"]
    return "\n".join(lines + findings_lines(result, indent="  ", mistakes=True))


def check_function(name, namespace, points=None, course=None, quiet=False, homework=None):
    """Grade one function in this process; print the report; return the points earned
    (``points`` rescales the config's points for the function)."""
    result = grade_function(name, namespace, course, homework)
    if not quiet:
        print(report(result))
    fraction = result.score / result.max_score if result.max_score else 0.0
    return round(fraction * (points if points is not None else result.max_score), 6)


def require_function(name, namespace, course=None, homework=None):
    """Raise AssertionError carrying the report unless the function gets full marks."""
    result = grade_function(name, namespace, course, homework)
    if not result.passed:
        raise AssertionError(report(result))
    return True
