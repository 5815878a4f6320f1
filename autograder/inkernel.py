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

import contextlib
import signal
import threading
import time
import warnings
from pathlib import Path

from . import oracle, wire
from .checks import CallOutcome
from .grader import grade_cases
from .worker import CappedText, apply_patch, describe_callable, describe_exception, make_test_function

_PACKAGE_DIR = str(Path(__file__).resolve().parent)
_GRADERS = {}  # (course folder, homework) -> Grader (no sandbox): its plan is built once per kernel


class _CallTimeout(BaseException):
    pass


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


def _is_student(filename):
    return not filename.startswith(_PACKAGE_DIR) and "site-packages" not in filename and not filename.startswith("<frozen")


def _line(filename, number):
    import linecache

    return linecache.getline(filename, number)


def _call_in_process(function, namespace, case, seconds):
    """Call ``function`` on fresh copies of the case's arguments, as the worker would."""
    blobs = []
    encoded = [wire.encode_value(a, blobs, 1 << 40) for a in case.args]
    args = [wire.decode_value(a, blobs) for a in encoded]
    # the oracle is asked directly here, with the same bounds and log as through the sandbox
    session = oracle.Session(case.oracle) if case.oracle is not None else None
    ask = session.ask if session is not None else _no_oracle
    for spec in case.test_functions:
        args[spec["arg"]] = make_test_function(spec, args, ask)
    restore = apply_patch(namespace, case.patch, ask) if case.patch else None
    stream = CappedText(20_000)
    timer = _Timer(seconds)
    status, result, exception = "ok", None, None
    started = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
            warnings.simplefilter("always")
            with timer:
                try:
                    result = function(*args)
                except (_CallTimeout, oracle.OracleError):
                    raise
                except Exception as err:  # noqa: BLE001 - the student's exception is reported
                    status, exception = "raised", describe_exception(err, _is_student, _line)
    except _CallTimeout:
        return CallOutcome("timeout", reason=f"{seconds:g} s per call")
    except oracle.OracleError as err:
        return CallOutcome("died", reason=f"its requests to the grader did not follow the protocol ({err})")
    finally:
        if restore is not None:
            restore()
    seconds_used = time.perf_counter() - started
    out_blobs = []
    value_data = wire.encode_value(result, out_blobs, 1 << 26) if status == "ok" else {"t": "none"}
    after = [wire.encode_value(a, out_blobs, 1 << 26) if not callable(a) else {"t": "none"} for a in args]
    return CallOutcome(
        status=status, value=wire.decode_value(value_data, out_blobs),
        args_after=[wire.decode_value(a, out_blobs) for a in after], exception=exception,
        output=stream.text(), output_chars=stream.total,
        warnings=[{"category": w.category.__name__, "message": str(w.message)[:200]} for w in caught[:5]],
        seconds=seconds_used, evidence=session.evidence if session is not None else None,
    )  # fmt: skip


def _no_oracle(kind, value):
    raise oracle.OracleError("this case takes no oracle requests")


class _Timer:
    """SIGALRM-based time limit (only in the main thread; elsewhere no limit is set)."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.active = threading.current_thread() is threading.main_thread()

    def _expired(self, signum, frame):
        raise _CallTimeout()

    def __enter__(self):
        if self.active:
            self.previous = signal.signal(signal.SIGALRM, self._expired)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc):
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        return False


def grade_function(name, namespace, course=None, homework=None):
    """FunctionResult for ``namespace[name]``: hidden tests if ``course`` (a course folder
    holding solutions/<homework>/) is given, else the public checks."""
    grader = _setup(course, homework)
    obj = namespace.get(name)
    info = describe_callable(obj) if obj is not None else {"defined": False}
    seconds = grader.config.limits.call_seconds

    def call(case):
        return _call_in_process(obj, namespace, case, seconds)

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
