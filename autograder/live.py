"""The public checks on live functions: the student's own code, in this process, no sandbox.

In a notebook (no file, no save: the functions as the kernel holds them now)::

    from autograder import check
    check()                    # every function of the homework, from this notebook's globals
    check(part=2)              # the functions of Part 2
    check(functions=["softmax"])
    check(namespace)           # a dict, or a module

Public checks hold no secret (no reference, no hidden input), so they need no sandbox: they
run on Linux, macOS, Windows and Colab with numpy alone. Each call of a student function has
a time limit, kept by SIGALRM in the main thread where the system has it, else by a watchdog
thread. The returned Results' ``score`` and ``max_score`` are points of the public checks
(the homework's points per function, from grading.toml; they are not secret).

This module and the modules it imports are what the student release ships in
``assignment/<name>/checks/`` (release.py), so it imports nothing but the standard library,
numpy and its own package's numpy-only modules.
"""

import contextlib
import ctypes
import json
import signal
import sys
import threading
import time
import types
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import oracle, wire
from .checks import CallOutcome
from .errors import UserError
from .grader import grade_cases
from .results import Results
from .spec import installed_homeworks, load_homework, load_installed
from .worker import CappedText, apply_patch, describe_callable, describe_exception, make_test_function

_PACKAGE_DIR = str(Path(__file__).resolve().parent)
PUBLIC_SETTINGS = "public.json"  # beside an installed homework's spec.py: its public points and seeds
UNSANDBOXED = {"isolation": "none", "sandboxed": False, "note": "not sandboxed: your code ran in this process, on your own machine"}


@dataclass(frozen=True)
class LiveSettings:
    """What grade_cases reads of a grading config, for the public checks: the homework's
    points and weights (public, as in grading.toml), its public seeds, never a hidden one."""

    seeds: tuple
    points: dict
    weights: dict = field(default_factory=dict)
    tolerance: float = 1e-6
    call_seconds: float = 3.0
    functions: tuple = ()
    mode: str = "public"
    feedback: str = "hint"

    def __post_init__(self):
        if not self.functions:
            object.__setattr__(self, "functions", tuple(self.points))

    @property
    def max_score(self):
        return sum(self.points[name] for name in self.functions)

    def only(self, names):
        unknown = [n for n in names if n not in self.points]
        if unknown:
            raise UserError(f"unknown functions {unknown}; the homework has {', '.join(self.points)}")
        return replace(self, functions=tuple(n for n in self.points if n in names))

    def to_json(self):
        """The shipped public.json (release.py): points, weights, tolerance, call time, public seeds."""
        data = {"seeds": list(self.seeds), "points": self.points, "weights": self.weights, "tolerance": self.tolerance, "call_seconds": self.call_seconds}
        return json.dumps(data, indent=1) + "\n"


def settings_from_config(config, homework):
    """LiveSettings from a hidden GradingConfig: its points, weights, tolerance and call time,
    with the homework's public seeds (the hidden seeds are left behind)."""
    return LiveSettings(
        seeds=tuple(homework.public_seeds), points=dict(config.points), weights=dict(config.weights),
        tolerance=config.tolerance, call_seconds=config.limits.call_seconds, functions=tuple(homework.names),
    )  # fmt: skip


def _installed_settings(homework):
    """An installed homework's public.json (shipped checks), else one point per function."""
    path = Path(homework.sources[0]).parent / PUBLIC_SETTINGS
    if path.is_file():
        data = json.loads(path.read_text())
        return LiveSettings(
            seeds=tuple(data["seeds"]), points={n: float(data["points"][n]) for n in homework.names},
            weights=dict(data.get("weights", {})), tolerance=float(data.get("tolerance", 1e-6)),
            call_seconds=float(data.get("call_seconds", 3.0)),
        )  # fmt: skip
    try:
        from .config import public_config  # the full package (the student wheel)
    except ImportError:
        return LiveSettings(seeds=tuple(homework.public_seeds), points={n: 1.0 for n in homework.names})
    config = public_config(homework)
    return LiveSettings(seeds=config.seeds, points=dict(config.points), weights=dict(config.weights), tolerance=config.tolerance)


def _by_namespace(names, defined_in):
    """The homework among ``names`` whose functions ``defined_in(name)`` defines most of."""
    counts = {name: defined_in(name) for name in names}
    best = max(counts.values(), default=0)
    winners = [n for n, c in counts.items() if c == best]
    if best and len(winners) == 1:
        return winners[0]
    raise UserError(f"which homework is this? pass homework=NAME (homeworks: {', '.join(names) or 'none found'})")


def load_live(homework=None, namespace=None):
    """(Homework, LiveSettings) for the live checks: the homework shipped with this package
    (the release's checks/ folder, or the student wheel), else the course around the working
    directory (an instructor's machine, points from its grading.toml). ``homework``: a name,
    or None: the only one, or the one whose functions ``namespace`` defines most of."""
    names = installed_homeworks()
    if homework in names or (homework is None and names):
        if homework is None:
            homework = names[0] if len(names) == 1 else _by_namespace(names, lambda n: _count_defined(load_installed(n), namespace))
        loaded = load_installed(homework)
        return loaded, _installed_settings(loaded)
    try:
        from .course import find_course_or_none
    except ImportError:  # the shipped checks hold no course reader
        find_course_or_none = None
    course = find_course_or_none() if find_course_or_none is not None else None
    if course is None:
        raise UserError(f"no homework {homework!r} here: run the checks from the homework's folder" if homework else "no homework found: run the checks from the homework's folder")
    if homework is None and len(course.homeworks()) > 1:
        homework = _by_namespace(course.homeworks(), lambda n: _count_defined(load_homework(course.homework(n).folder), namespace))
    files = course.pick(homework)
    loaded = load_homework(files.folder)
    from .config import load_config

    return loaded, settings_from_config(load_config(files.grading_config, loaded), loaded)


def _count_defined(homework, namespace):
    return sum(1 for n in homework.names if callable((namespace or {}).get(n)))


_PLANS = {}  # (homework folder, seeds, functions) -> plan: built once per process


def _plan(homework, settings):
    from .plan import build_plan

    key = (str(homework.folder), homework.sources, settings.seeds, settings.functions)
    if key not in _PLANS:
        plan = build_plan(homework, settings.seeds, None, settings.functions)
        for cases in plan.values():
            for case in cases:
                for path in case.fd:
                    case.probes(path)
        _PLANS[key] = plan
    return _PLANS[key]


def as_namespace(namespace):
    """A dict of names from a dict or a module."""
    if isinstance(namespace, types.ModuleType):
        return vars(namespace)
    if isinstance(namespace, dict):
        return namespace
    raise TypeError(f"check() takes a dict of names or a module, not a {type(namespace).__name__}")


def _selected(homework, functions, part):
    if isinstance(functions, str):
        functions = [functions]
    if part is not None:
        parts = part if isinstance(part, (list, tuple, set)) else [part]
        in_parts = [f.name for f in homework.functions if f.part in parts]
        if not in_parts:
            raise UserError(f"no function of {homework.name} is in part {part}")
        functions = [n for n in (functions or in_parts) if n in in_parts]
    return list(functions) if functions else None


def grade_namespace(namespace, functions=None, *, part=None, homework=None, label="this notebook", sandbox=None, call_seconds=None, load=None):
    """Results of the public checks on the live functions of ``namespace`` (a dict or a
    module): each function of the homework (or of ``functions``, or of ``part``) called in
    this process on the public cases, checked and diagnosed as by ``autograder check``."""
    started = time.monotonic()
    namespace = as_namespace(namespace)
    loaded, settings = load_live(homework, namespace)
    chosen = _selected(loaded, functions, part)
    if chosen:
        settings = settings.only(chosen)
    if call_seconds:
        settings = replace(settings, call_seconds=float(call_seconds))
    plan = _plan(loaded, settings)
    results = []
    for name in settings.functions:
        obj = namespace.get(name)
        info = describe_callable(obj) if obj is not None else {"defined": False}

        def call(case, obj=obj):
            return call_in_process(obj, namespace, case, settings.call_seconds)

        results.append(grade_cases(name, plan[name], info, call, settings, homework=loaded))
    return Results(
        submission=label, mode="public", score=round(sum(f.score for f in results), 4), max_score=settings.max_score,
        functions=results, load=load or {}, sandbox=dict(sandbox or UNSANDBOXED), execution_time=round(time.monotonic() - started, 3),
    )  # fmt: skip


def check(namespace=None, functions=None, *, part=None, homework=None, quiet=False):
    """Run the public checks on the live functions of ``namespace`` (a dict or a module;
    default: the caller's globals, i.e. this notebook's); print the report unless ``quiet``;
    return the Results (``score`` / ``max_score``: public-check points)."""
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    results = grade_namespace(namespace, functions, part=part, homework=homework)
    if not quiet:
        from .exporters.text import render

        sys.stdout.write(render(results))
    return results


# --- one call of a student function, in this process ------------------------------------


class CallTimeout(BaseException):
    """A call ran past its time limit (a BaseException: ``except Exception`` does not catch it)."""


def _is_student(filename):
    return not filename.startswith(_PACKAGE_DIR) and "site-packages" not in filename and not filename.startswith("<frozen")


def _line(filename, number):
    import linecache

    return linecache.getline(filename, number)


def call_in_process(function, namespace, case, seconds):
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
    status, result, exception = "ok", None, None
    started = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
            warnings.simplefilter("always")
            with time_limit(seconds):
                try:
                    result = function(*args)
                except (CallTimeout, oracle.OracleError):
                    raise
                except Exception as err:  # noqa: BLE001 - the student's exception is reported
                    status, exception = "raised", describe_exception(err, _is_student, _line)
    except CallTimeout:
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


def time_limit(seconds):
    """A context manager raising CallTimeout in this thread after ``seconds``: SIGALRM in the
    main thread where the system has it (Linux, macOS), else a watchdog thread (Windows, a
    kernel's other threads). Either interrupts Python code, not one long numpy operation."""
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        return _AlarmLimit(seconds)
    return WatchdogLimit(seconds)


class _AlarmLimit:
    def __init__(self, seconds):
        self.seconds = seconds

    def _expired(self, signum, frame):
        raise CallTimeout()

    def __enter__(self):
        self.previous = signal.signal(signal.SIGALRM, self._expired)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous)
        return False


class WatchdogLimit:
    """A thread that, after ``seconds``, raises CallTimeout in the thread that entered (CPython's
    PyThreadState_SetAsyncExc); leaving in time stops it, and clears a raise not yet delivered."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.fired = False

    def _watch(self):
        if self.done.wait(self.seconds):
            return
        with self.lock:
            if not self.done.is_set():
                self.fired = True
                _async_raise(self.thread_id, CallTimeout)

    def __enter__(self):
        self.thread_id = threading.get_ident()
        self.watchdog = threading.Thread(target=self._watch, name="autograder-call-timer", daemon=True)
        self.watchdog.start()
        return self

    def __exit__(self, kind, value, traceback):
        with self.lock:
            self.done.set()
            if self.fired and kind is None:  # fired as the call returned: take the raise back
                _async_raise(self.thread_id, None)
        self.watchdog.join()
        return False


def _async_raise(thread_id, exception):
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(exception) if exception is not None else None)


__all__ = ["LiveSettings", "WatchdogLimit", "call_in_process", "check", "grade_namespace", "load_live", "settings_from_config", "time_limit"]
