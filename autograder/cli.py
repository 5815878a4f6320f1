"""The ``autograder`` command: thin wrappers around the package's functions (each grader
comes from factory.make_grader)."""

import argparse
import sys

from .course import find_course
from .errors import UserError


def _course(args):
    return find_course(getattr(args, "course", None))


def cmd_new(args):
    from pathlib import Path

    from .course import find_course_or_none
    from .scaffold import new_homework

    if args.course:
        root = Path(args.course).resolve()
    else:
        found = find_course_or_none(package_course=False)  # never the course this package is installed from
        root = found.root if found is not None else Path.cwd().resolve()
    written = new_homework(root, args.name)
    folder = written[0].parent
    print(
        f"homework {args.name} written to {folder} ({len(written)} files); next: "
        f"autograder release {args.name}, then autograder grade {folder / (args.name + '.py')} --assignment {args.name}"
    )
    return 0


def cmd_release(args):
    from .release import build_release

    course = _course(args)
    names = [course.pick(args.name).name] if args.name else list(course.homeworks())
    if args.output and len(names) > 1:
        raise UserError("--output needs one homework: name it (autograder release NAME --output DIR)")
    for name in names:
        written = build_release(course, name, args.output)
        target = args.output or course.homework(name).release_dir
        print(f"{name}: release written to {target} ({len(written)} files)")
    return 0


def _write(args, text):
    if args.output:
        from .atomic import write_text_atomic

        write_text_atomic(args.output, text)
    else:
        sys.stdout.write(text)


def _render(results, fmt, verbose=False, visibility=None):
    import json

    from .exporters import gradescope, text

    if fmt == "text":
        return text.render(results, verbose=verbose)
    data = gradescope.to_gradescope(results, visibility) if fmt == "gradescope" else gradescope.to_json(results, visibility)
    return json.dumps(data, indent=2) + "\n"


def _limits(args):
    return {
        "call_seconds": args.call_seconds, "import_seconds": args.import_seconds,
        "total_seconds": args.total_seconds, "memory_mb": args.memory_mb,
        "require_isolation": getattr(args, "require_isolation", None),
    }  # fmt: skip


def _submission_path(path):
    from pathlib import Path

    from .submission import SubmissionError, check_regular_file

    path = Path(path)
    check_regular_file(path)  # a symbolic link is refused, never followed
    if path.suffix not in (".py", ".ipynb"):
        raise SubmissionError(f"{path.name}: submissions are .py or .ipynb files")
    return path


def _only(args):
    return args.only.split(",") if args.only else None


def cmd_grade(args):
    from pathlib import Path

    from .factory import make_grader
    from .sandbox import IsolationTooWeak

    _submission_path(args.submission)
    course = _course(args)
    hide = [Path(args.submission).resolve().parent]
    if args.output and not (Path(args.output).exists() and not Path(args.output).is_file()):
        hide.append(Path(args.output).resolve().parent)
    # The factory starts the worker before this process imports numpy: the start-ups overlap.
    try:
        grader = make_grader(course, args.assignment, args.config, _limits(args), args.isolation, only=_only(args), hide=hide, submission=args.submission)
    except IsolationTooWeak as err:  # a results file all the same (score 0, saying why)
        _write_failure(args, str(err))
        print(f"autograder: {err}", file=sys.stderr)
        return 2
    results = grader.grade_one(args.submission)
    _write(args, _render(results, args.format, args.verbose, grader.config.visibility))
    return 0


def cmd_check(args):
    from .guard import GRADER_ERROR_EXIT, is_grader_error
    from .public import check

    _submission_path(args.submission)
    results = check(
        args.submission, functions=_only(args), quiet=True, isolation=args.isolation, homework=args.assignment,
        **{k: v for k, v in _limits(args).items() if v is not None},
    )  # fmt: skip
    _write(args, _render(results, args.format, args.verbose))
    if is_grader_error(results):
        print(f"autograder: {results.fatal}", file=sys.stderr)
        return GRADER_ERROR_EXIT
    return 0 if all(f.passed for f in results.functions) else 1


def _check_isolation(args, course, name):
    """grade-all: stop before grading anything when the isolation is weaker than required."""
    from .config import read_limits
    from .sandbox import IsolationTooWeak, at_least, isolation_mode

    required = args.require_isolation or read_limits(args.config or course.homework(name).grading_config).require_isolation
    mode = isolation_mode(args.isolation)
    if not at_least(mode, required):
        raise IsolationTooWeak(mode, required)


def cmd_grade_all(args):
    from .batch import grade_all
    from .guard import GRADER_ERROR_EXIT

    course = _course(args)
    name = course.pick(args.assignment).name
    limits = {k: v for k, v in _limits(args).items() if v is not None}
    _check_isolation(args, course, name)  # before any grading process starts
    summary = grade_all(
        course, args.submissions, args.output, config_path=args.config, workers=args.workers, force=args.force,
        limits=limits, isolation=args.isolation, progress=not args.no_progress, mode=args.mode, homework=name,
    )  # fmt: skip
    due = ", ".join(f"{count} {reason}" for reason, count in summary.reasons.items())
    print(
        f"{summary.submissions} submissions: {summary.graded_now} graded now, {summary.already_graded} already graded, "
        f"{summary.not_graded} not graded yet; {summary.problems} with a problem"
        + (f", {summary.grader_errors} of them internal grader errors (graded again by the next run)" if summary.grader_errors else "")
        + ".\n" + (f"  due for grading: {due}\n" if due else "")
        + "".join(f"  {name + ':':9} {path}\n" for name, path in summary.outputs.items()),
        end="",
    )  # fmt: skip
    if summary.interrupted:
        print("autograder: interrupted; finished results are kept, run the same command to continue", file=sys.stderr)
        return 130
    if summary.not_graded:
        print(f"autograder: {summary.not_graded} submissions were not graded (a grading process died); run the same command to grade them", file=sys.stderr)
    return GRADER_ERROR_EXIT if summary.grader_errors or summary.not_graded else 0


def cmd_export(args):
    course = _course(args)
    name = course.pick(args.assignment).name
    if args.target == "gradescope":
        from .integrations.gradescope import export

        path = export(course, name, args.output)
        print(f"{name}: Gradescope autograder written to {path}")
    elif args.target == "otter":
        from .integrations.otter import export

        path = export(course, name, args.output)
        print(f"{name}: otter-grader master notebook written to {path}; next: otter assign {path.name} dist (in {path.parent})")
    elif args.target == "nbgrader":
        from .integrations.nbgrader import export

        path = export(course, name, args.output)
        print(f"{name}: nbgrader course written to {path}; next: cd {path} && nbgrader generate_assignment {name} --force")
    else:
        from .integrations.gradescope import build_student_wheel

        path = build_student_wheel(course, name, args.output)
        print(f"{name}: student package written to {path} (the engine and the public checks; no solution)")
    return 0


def cmd_prepare(args):
    """Build the caches a grading machine reuses: the plan (reference values, finite
    differences) and matplotlib's font cache for workers."""
    from .factory import make_grader

    course = _course(args)
    names = [course.pick(args.assignment).name] if args.assignment else list(course.homeworks())
    if args.config and len(names) > 1:
        raise UserError("--config needs one homework: name it with --assignment NAME")
    for name in names:
        grader = make_grader(course, name, args.config, prestart=False)
        try:
            cases = sum(len(c) for c in grader.plan.values())
            print(f"{name}: plan ready: {cases} cases; isolation {grader.sandbox.mode}; matplotlib cache: {grader.sandbox.matplotlib or 'none'}")
        finally:
            grader.close()
    return 0


def cmd_gradescope_run(args):
    from .guard import GRADER_ERROR_EXIT, describe
    from .integrations.gradescope import run_guarded

    path, error = run_guarded(args.root, isolation=args.isolation, require_isolation=args.require_isolation)
    if error is None:
        return 0
    if not isinstance(error, UserError):
        import traceback

        traceback.print_exception(error, file=sys.stderr)
    print(f"autograder: {error if isinstance(error, UserError) else describe(error)}; {path} says so (score 0)", file=sys.stderr)
    return 2 if isinstance(error, UserError) else GRADER_ERROR_EXIT


def _file_mode(text):
    try:
        mode = int(text, 8)
    except ValueError:
        mode = -1
    if not 0 <= mode <= 0o777:
        raise argparse.ArgumentTypeError(f"{text!r} is not an octal file mode such as 644 or 640")
    return mode


def _grading_options(parser):
    parser.add_argument("--format", choices=("text", "json", "gradescope"), default="text")
    parser.add_argument("--output", help="write the report to this file (atomically) instead of stdout")
    parser.add_argument("--only", help="comma-separated function names to grade (default: all)")
    parser.add_argument("--verbose", action="store_true", help="text format: show passing functions' details too")
    parser.add_argument("--call-seconds", type=float, help="time limit of one call of a student function")
    parser.add_argument("--import-seconds", type=float, help="time limit of one top-level statement of the submission")
    parser.add_argument("--total-seconds", type=float, help="time limit of a whole submission")
    parser.add_argument("--memory-mb", type=int, help="address-space limit of the worker process")
    _isolation_options(parser)


def _isolation_options(parser):
    from .sandbox import LADDER

    parser.add_argument(
        "--isolation", choices=("auto",) + LADDER, default="auto",
        help="auto: the strongest isolation the machine allows (root, userns, uid, none; see README, "
        "\"Security model\"); a named mode must be available",
    )  # fmt: skip
    parser.add_argument(
        "--require-isolation", choices=LADDER,
        help="refuse to grade in a weaker mode than this (results say why, score 0, exit status 2); "
        "default: grading.toml's [sandbox] require_isolation, else none",
    )  # fmt: skip


COURSE_HELP = "course folder (default: found from the working directory)"
CONFIG_HELP = "grading config (default: COURSE/solutions/NAME/grading.toml)"
ASSIGNMENT_HELP = "the homework, a folder of COURSE/solutions/ (default: the only one)"


def build_parser():
    from . import __version__

    parser = argparse.ArgumentParser(prog="autograder", description=__doc__)
    parser.add_argument("--version", action="version", version=f"autograder {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    new = commands.add_parser("new", help="start a homework: solutions/NAME/ with a two-function example that grades out of the box")
    new.add_argument("name", help="the homework's name (also the student's file name): lower case, digits, underscores")
    new.add_argument("--course", help="course folder (default: the one found from the working directory, else the working directory)")
    new.set_defaults(run=cmd_new)

    release = commands.add_parser("release", help="build the student release of a homework (default: of every homework)")
    release.add_argument("name", nargs="?", help="the homework (default: every homework of the course)")
    release.add_argument("--course", help=COURSE_HELP)
    release.add_argument("--output", help="where to write the release (default: COURSE/assignment/NAME)")
    release.set_defaults(run=cmd_release)

    grade = commands.add_parser("grade", help="grade one submission (.py or .ipynb) with the hidden tests")
    grade.add_argument("submission")
    grade.add_argument("--assignment", help=ASSIGNMENT_HELP + ", else the one the file's name starts with")
    grade.add_argument("--course", help=COURSE_HELP)
    grade.add_argument("--config", help=CONFIG_HELP)
    _grading_options(grade)
    grade.set_defaults(run=cmd_grade, format="json")

    batch = commands.add_parser("grade-all", help="grade a folder of submissions (flat, or a Gradescope export)")
    batch.add_argument("submissions", help="folder of .py/.ipynb files, or of submission_<id>/ folders with submission_metadata.yml")
    batch.add_argument("--output", required=True, help="folder for results, feedback pages, grades.csv, summary.md, mistakes.png")
    batch.add_argument("--assignment", help=ASSIGNMENT_HELP)
    batch.add_argument("--course", help=COURSE_HELP)
    batch.add_argument("--config", help=CONFIG_HELP)
    batch.add_argument("--workers", type=int, help="grading processes (default: one per two cores; each also runs a sandboxed worker)")
    batch.add_argument("--force", action="store_true", help="grade again submissions that already have results")
    batch.add_argument("--no-progress", action="store_true", help="no progress bar")
    batch.add_argument("--call-seconds", type=float, help="time limit of one call of a student function")
    batch.add_argument("--import-seconds", type=float, help="time limit of one top-level statement of the submission")
    batch.add_argument("--total-seconds", type=float, help="time limit of a whole submission")
    batch.add_argument("--memory-mb", type=int, help="address-space limit of the worker process")
    _isolation_options(batch)
    batch.add_argument(
        "--mode", type=_file_mode, default=0o644,
        help="octal permissions of the output files (default 644: your group can read them; 640: your group only); folders get the matching x bits",
    )  # fmt: skip
    batch.set_defaults(run=cmd_grade_all)

    export = commands.add_parser("export", help="write a homework for Gradescope, otter-grader or nbgrader, or its student package (wheel)")
    export.add_argument("target", choices=("gradescope", "otter", "nbgrader", "wheel"))
    export.add_argument("--assignment", help=ASSIGNMENT_HELP)
    export.add_argument("--output", required=True, help="folder to write into")
    export.add_argument("--course", help=COURSE_HELP)
    export.set_defaults(run=cmd_export)

    prepare = commands.add_parser("prepare", help="build the grading caches once (plan, matplotlib fonts), e.g. in a container image")
    prepare.add_argument("--assignment", help="the homework (default: every homework of the course)")
    prepare.add_argument("--course", help=COURSE_HELP)
    prepare.add_argument("--config", help=CONFIG_HELP)
    prepare.set_defaults(run=cmd_prepare)

    gradescope_run = commands.add_parser("gradescope-run", help="(inside a Gradescope container) grade the submission, write results.json")
    gradescope_run.add_argument("--root", default="/autograder", help="the container's autograder folder")
    _isolation_options(gradescope_run)
    gradescope_run.set_defaults(run=cmd_gradescope_run)

    check = commands.add_parser("check", help="run the public checks on your homework's .py or .ipynb")
    check.add_argument("submission")
    check.add_argument("--assignment", help="the homework (default: the only one, else the one the file's name starts with)")
    _grading_options(check)
    check.set_defaults(run=cmd_check)
    return parser


def _failure_config(args):
    """The config a failed grade or check was using, as far as it can still be loaded."""
    from .factory import load_assignment

    try:
        if args.command == "check":
            from .course import find_course_or_none
            from .public import homework_for

            course = find_course_or_none()
            name = homework_for(args.assignment, args.submission, course)
            config = load_assignment(course, name, mode="public").config
        else:
            course = find_course(args.course)
            config = load_assignment(course, course.pick(args.assignment, args.submission).name, args.config).config
        return config.only(args.only.split(",")) if args.only else config
    except Exception:  # noqa: BLE001 - the config may be what failed
        return None


def _write_failure(args, message, requested_only=False):
    """grade and check: the results file in the requested format, score 0, naming ``message``.
    ``requested_only``: only when a file was asked for (--output), not on stdout."""
    from .guard import failed_results, render_safely

    if getattr(args, "format", None) is None or not hasattr(args, "submission"):
        return  # not a command that writes a results file
    if requested_only and not args.output:
        return
    results = failed_results(args.submission, message, _failure_config(args))
    try:
        _write(args, render_safely(results, args.format, _render))
    except Exception as err:  # noqa: BLE001 - nowhere left to write
        print(f"autograder: the results file could not be written either: {type(err).__name__}: {err}", file=sys.stderr)


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("autograder: interrupted; finished results are kept, run the same command to continue", file=sys.stderr)
        return 130
    except (UserError, FileNotFoundError) as err:
        _write_failure(args, f"{err}", requested_only=True)
        print(f"autograder: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # noqa: BLE001 - the last resort: a results file, a message, a status
        import traceback

        from .guard import GRADER_ERROR_EXIT, describe

        traceback.print_exc(file=sys.stderr)
        _write_failure(args, describe(err))
        print(f"autograder: {describe(err)}", file=sys.stderr)
        return GRADER_ERROR_EXIT
