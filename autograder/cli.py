"""The ``autograder`` command: thin wrappers around the package's functions."""

import argparse
import sys

from .course import find_course
from .errors import UserError


def cmd_release(args):
    from .release import build_release

    course = find_course(args.course)
    written = build_release(course, args.output)
    target = args.output or course.release_dir
    print(f"release written to {target} ({len(written)} files)")
    return 0


def cmd_train(args):
    from .train import train

    course = find_course(args.course)
    sizes = [int(n) for n in args.layers.split("-")]
    result = train(course, sizes, args.learning_rate, args.iterations, args.seed, plot=args.plot)
    print(
        f"{args.layers} on MNIST 5 vs 8 ({result['train_examples']} training images, "
        f"{result['test_examples']} test images, lr {args.learning_rate}, {args.iterations} iterations, "
        f"seed {args.seed}):\n"
        f"  train accuracy {result['train_accuracy']:.3f}\n"
        f"  test accuracy  {result['test_accuracy']:.3f}\n"
        f"  final cost     {result['final_cost']:.4f}\n"
        f"  training took  {result['seconds']:.1f} s"
    )
    if args.plot:
        print(f"  cost curve     {args.plot}")
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


def cmd_grade(args):
    from pathlib import Path

    from .config import load_config
    from .sandbox import IsolationTooWeak, Sandbox

    _submission_path(args.submission)
    course = find_course(args.course)
    config = load_config(args.config or course.grading_config).with_limits(**_limits(args))
    if args.only:
        config = config.only(args.only.split(","))
    hide = [course.root, Path(args.submission).resolve().parent]
    if args.output and not (Path(args.output).exists() and not Path(args.output).is_file()):
        hide.append(Path(args.output).resolve().parent)
    # Start the worker before this process imports numpy: the two start-ups overlap.
    try:
        sandbox = Sandbox(config.limits, hide=hide, isolation=args.isolation)
    except IsolationTooWeak as err:  # a results file all the same (score 0, saying why)
        _write_failure(args, str(err))
        print(f"autograder: {err}", file=sys.stderr)
        return 2
    spare = sandbox.start()

    from .grader import grade_file
    from .reference import load_reference

    results = grade_file(args.submission, config, lambda: load_reference(course), sandbox=sandbox, spare=spare)
    _write(args, _render(results, args.format, args.verbose, config.visibility))
    return 0


def cmd_check(args):
    from .guard import GRADER_ERROR_EXIT, is_grader_error
    from .public import check

    _submission_path(args.submission)
    results = check(
        args.submission, functions=args.only.split(",") if args.only else None, quiet=True, isolation=args.isolation,
        **{k: v for k, v in _limits(args).items() if v is not None},
    )  # fmt: skip
    _write(args, _render(results, args.format, args.verbose))
    if is_grader_error(results):
        print(f"autograder: {results.fatal}", file=sys.stderr)
        return GRADER_ERROR_EXIT
    return 0 if all(f.passed for f in results.functions) else 1


def _check_isolation(args, course):
    """grade-all: stop before grading anything when the isolation is weaker than required."""
    from .config import load_config
    from .sandbox import IsolationTooWeak, at_least, isolation_mode

    required = args.require_isolation or load_config(args.config or course.grading_config).limits.require_isolation
    mode = isolation_mode(args.isolation)
    if not at_least(mode, required):
        raise IsolationTooWeak(mode, required)


def cmd_grade_all(args):
    from .batch import grade_all
    from .guard import GRADER_ERROR_EXIT

    course = find_course(args.course)
    limits = {k: v for k, v in _limits(args).items() if v is not None}
    _check_isolation(args, course)  # before any grading process starts
    summary = grade_all(
        course, args.submissions, args.output, config_path=args.config, workers=args.workers, force=args.force,
        limits=limits, isolation=args.isolation, progress=not args.no_progress, mode=args.mode,
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
    course = find_course(args.course)
    if args.target == "gradescope":
        from .integrations.gradescope import export

        path = export(course, args.output)
        print(f"Gradescope autograder written to {path}")
    elif args.target == "otter":
        from .integrations.otter import export

        path = export(course, args.output)
        print(f"otter-grader master notebook written to {path}; next: otter assign {path.name} dist (in {path.parent})")
    else:
        from .integrations.nbgrader import export

        path = export(course, args.output)
        print(f"nbgrader course written to {path}; next: cd {path} && nbgrader generate_assignment backprop --force")
    return 0


def cmd_prepare(args):
    """Build the caches a grading machine reuses: the plan (reference values, finite
    differences) and matplotlib's font cache for workers."""
    from .config import load_config
    from .grader import Grader
    from .reference import load_reference

    course = find_course(args.course)
    grader = Grader(load_config(args.config or course.grading_config), load_reference(course), hide=[course.root])
    try:
        cases = sum(len(c) for c in grader.plan.values())
        print(f"plan ready: {cases} cases; isolation {grader.sandbox.mode}; matplotlib cache: {grader.sandbox.matplotlib or 'none'}")
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


def build_parser():
    from . import __version__

    parser = argparse.ArgumentParser(prog="autograder", description=__doc__)
    parser.add_argument("--version", action="version", version=f"autograder {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    release = commands.add_parser("release", help="build the student release from solutions/")
    release.add_argument("--course", help="course folder (default: found from the working directory)")
    release.add_argument("--output", help="where to write the release (default: COURSE/assignment)")
    release.set_defaults(run=cmd_release)

    train = commands.add_parser("train", help="train the reference network on MNIST 5 vs 8")
    train.add_argument("--course", help="course folder (default: found from the working directory)")
    train.add_argument("--layers", default="784-196-1", help="layer sizes, e.g. 784-392-196-98-1")
    train.add_argument("--learning-rate", type=float, default=0.1)
    train.add_argument("--iterations", type=int, default=1000)
    train.add_argument("--seed", type=int, default=1)
    train.add_argument("--plot", help="write the cost curve to this PNG")
    train.set_defaults(run=cmd_train)

    grade = commands.add_parser("grade", help="grade one submission (.py or .ipynb) with the hidden tests")
    grade.add_argument("submission")
    grade.add_argument("--course", help="course folder (default: found from the working directory)")
    grade.add_argument("--config", help="grading config (default: COURSE/solutions/grading.toml)")
    _grading_options(grade)
    grade.set_defaults(run=cmd_grade, format="json")

    batch = commands.add_parser("grade-all", help="grade a folder of submissions (flat, or a Gradescope export)")
    batch.add_argument("submissions", help="folder of .py/.ipynb files, or of submission_<id>/ folders with submission_metadata.yml")
    batch.add_argument("--output", required=True, help="folder for results, feedback pages, grades.csv, summary.md, mistakes.png")
    batch.add_argument("--course", help="course folder (default: found from the working directory)")
    batch.add_argument("--config", help="grading config (default: COURSE/solutions/grading.toml)")
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

    export = commands.add_parser("export", help="write the assignment for Gradescope, otter-grader or nbgrader")
    export.add_argument("target", choices=("gradescope", "otter", "nbgrader"))
    export.add_argument("--output", required=True, help="folder to write into")
    export.add_argument("--course", help="course folder (default: found from the working directory)")
    export.set_defaults(run=cmd_export)

    prepare = commands.add_parser("prepare", help="build the grading caches once (plan, matplotlib fonts), e.g. in a container image")
    prepare.add_argument("--course", help="course folder (default: found from the working directory)")
    prepare.add_argument("--config", help="grading config (default: COURSE/solutions/grading.toml)")
    prepare.set_defaults(run=cmd_prepare)

    gradescope_run = commands.add_parser("gradescope-run", help="(inside a Gradescope container) grade the submission, write results.json")
    gradescope_run.add_argument("--root", default="/autograder", help="the container's autograder folder")
    _isolation_options(gradescope_run)
    gradescope_run.set_defaults(run=cmd_gradescope_run)

    check = commands.add_parser("check", help="run the public checks on your backprop.py or backprop.ipynb")
    check.add_argument("submission")
    _grading_options(check)
    check.set_defaults(run=cmd_check)
    return parser


def _failure_config(args):
    """The config a failed grade or check was using, as far as it can still be loaded."""
    from .config import load_config, public_config

    try:
        if args.command == "check":
            config = public_config()
        else:
            config = load_config(args.config or find_course(args.course).grading_config)
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
