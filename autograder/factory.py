"""The one place a grader is assembled: the homework's spec, its grading config, its
reference, the paths hidden from workers and the sandbox.

Every door (``grade``, ``check``, ``grade-all``, ``gradescope-run``, the in-kernel checks of
the otter and nbgrader exports, tests and tools) calls ``make_grader`` or ``load_assignment``.
The steps keep a fixed order for speed: paths and the TOML first (no numpy), then the
sandbox starts its spare worker, and only then are the spec and (lazily) the reference
imported, so the worker's start-up overlaps those imports.
"""

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from .course import Course
from .errors import UserError

MODES = ("hidden", "public")


@dataclass(frozen=True)
class Assignment:
    """Everything a grader needs for one homework in one mode. Picklable by its inputs only:
    processes rebuild it from (course root, homework name, config path), never receive it."""

    homework: Any  # spec.Homework
    config: Any  # config.GradingConfig
    reference: Callable | None  # a function of no arguments loading the reference module (None: public)
    hide: tuple  # paths the sandbox hides from workers
    module_name: str  # the name the submission is loaded under in the worker
    files: Any = None  # course.HomeworkFiles, or None (an installed homework)
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def mode(self):
        return self.config.mode

    def reference_module(self):
        """The reference module, loaded on first use (None in public mode)."""
        if self.reference is None:
            return None
        if "reference" not in self._cache:
            self._cache["reference"] = self.reference()
        return self._cache["reference"]

    def plan(self, use_cache=True):
        """{function: [Case]} for the configured functions, built once; its reference
        results and finite differences are computed now and kept in the plan cache (not
        with ``use_cache=False``: with no isolation a submission could rewrite the cache)."""
        if "plan" not in self._cache:
            from . import plancache
            from .plan import build_plan

            reference = self.reference_module()
            seeds, functions = tuple(self.config.seeds), tuple(self.config.functions)
            cache_file, stored = None, {}
            if use_cache:
                cache_file = plancache.cache_dir() / f"{plancache.plan_key(self.homework, reference, seeds, functions)}.plan"
                stored = plancache.load(cache_file)
            plan = build_plan(self.homework, seeds, reference, functions, stored)
            complete = use_cache and stored and plancache.covers(stored, plan)
            for cases in plan.values():  # finite differences now, while the worker starts
                for case in cases:
                    for path in case.fd:
                        case.probes(path)
            if use_cache and not complete:
                try:
                    plancache.save(cache_file, plan)
                except OSError:
                    pass  # an unwritable cache only costs time
            self._cache["plan"] = plan
        return self._cache["plan"]


def _course(course):
    if course is None or isinstance(course, Course):
        return course
    from .course import find_course

    return find_course(course)


def _files(course, homework, submission):
    """(HomeworkFiles or None, homework name)."""
    if course is not None:
        files = course.pick(homework, submission)
        return files, files.name
    if homework is None:
        from .spec import installed_homeworks

        names = installed_homeworks()
        if len(names) != 1:
            raise UserError(f"no course here and {len(names)} installed homeworks ({', '.join(names) or 'none'}): name one")
        homework = names[0]
    return None, homework


def _limits(config, files, mode, limits):
    """The Limits the sandbox starts with, read without importing the spec."""
    from .config import GradingConfig, read_limits
    from .sandbox import Limits

    if isinstance(config, GradingConfig):
        base = config.limits
    elif config is not None:
        base = read_limits(config)
    elif mode == "hidden":
        base = read_limits(files.grading_config)
    else:
        base = Limits()
    return replace(base, **{k: v for k, v in (limits or {}).items() if v is not None})


def _assemble(course, files, name, config, limits, mode, only, hide):
    from .config import GradingConfig, load_config, public_config
    from .spec import load_homework, load_installed

    homework = load_homework(files.folder) if files is not None else load_installed(name)
    if isinstance(config, GradingConfig):
        settings = config
    elif config is not None:
        settings = load_config(config, homework)
    elif mode == "hidden":
        settings = load_config(files.grading_config, homework)
    else:
        settings = public_config(homework)
    if limits:
        settings = settings.with_limits(**limits)
    if only:
        settings = settings.only([only] if isinstance(only, str) else list(only))
    if settings.mode != mode:
        raise UserError(f"the grading config is for {settings.mode} grading, not {mode}")
    reference = None
    if mode == "hidden":
        from .reference import load_reference

        reference = _Thunk(load_reference, files)
    hidden = tuple(Path(p).resolve() for p in ((course.root,) if course is not None else ()) + tuple(hide))
    return Assignment(homework, settings, reference, hidden, homework.name, files)


@dataclass(frozen=True)
class _Thunk:
    function: Callable
    argument: Any

    def __call__(self):
        return self.function(self.argument)


def _resolve(course, homework, mode, submission):
    """(Course or None, HomeworkFiles, name) for the factory's arguments, checked."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    course = _course(course)
    if course is None and mode == "hidden":
        raise UserError("hidden grading needs the course (solutions/<name>/): none was found; pass --course DIR")
    files, name = _files(course, homework, submission)
    return course, files, name


def load_assignment(course, homework, config=None, limits=None, *, mode="hidden", only=None, hide=(), submission=None):
    """The Assignment of ``homework`` in ``course``.

    course: Course | path | None (public only: the spec then comes from the installed
    ``autograder.homeworks.<name>``). homework: a name, or None (``Course.pick``: the only
    homework, or the one ``submission``'s file name starts with). config: None (the
    homework's grading.toml, or public_config in public mode) | path | GradingConfig.
    limits: dict of overrides (call_seconds, ..., require_isolation). hide: extra paths; the
    course root is always hidden."""
    course, files, name = _resolve(course, homework, mode, submission)
    return _assemble(course, files, name, config, limits, mode, only, hide)


def make_grader(course, homework, config=None, limits=None, isolation="auto", *, mode="hidden",
                only=None, hide=(), slot=0, keep_warm=False, prestart=True, submission=None):  # fmt: skip
    """A grader.Grader for ``homework`` (arguments as load_assignment).

    1. resolve paths and read the TOML's limits (no numpy yet); 2. Sandbox(limits, hide,
    isolation) and start a spare worker (``prestart``), so its start-up overlaps the imports;
    3. load the spec and the config; the reference stays a thunk until the plan needs it.
    ``isolation=None``: no sandbox (the in-kernel paths call functions in this process).
    Raises sandbox.IsolationTooWeak when the machine cannot isolate as required."""
    course, files, name = _resolve(course, homework, mode, submission)
    sandbox = spare = None
    if isolation is not None:
        from .sandbox import Sandbox

        hidden = tuple(Path(p).resolve() for p in ((course.root,) if course is not None else ()) + tuple(hide))
        sandbox = Sandbox(_limits(config, files, mode, limits), hide=hidden, isolation=isolation, slot=slot)
        if prestart:
            spare = sandbox.start()
    try:
        assignment = _assemble(course, files, name, config, limits, mode, only, hide)
        from .grader import Grader

        return Grader(assignment, sandbox, keep_warm=keep_warm, spare=spare)
    except BaseException:
        if spare is not None:
            spare.kill()
        if sandbox is not None:
            sandbox.close()
        raise


__all__ = ["Assignment", "load_assignment", "make_grader"]
