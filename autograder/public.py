"""The student's check: public checks, no reference, the same engine as the hidden tests.

From a notebook cell, on the functions the kernel holds now (no save; see live.py):

    from autograder import check
    check()                        # everything, from this notebook's globals
    check(functions=["f"])         # one function; check(part=2): one part

From a terminal: ``autograder check hw.py`` (or ``check("hw.ipynb")``): the saved file, in the
sandbox on Linux; elsewhere its definitions run unsandboxed in this process (public checks
hold no secret: the student's own code on the student's own machine), and the report says so.
"""

import sys
from pathlib import Path

from .errors import UserError


def check(path=None, functions=None, quiet=False, isolation="auto", homework=None, **limits):
    """Run the public checks on the file at ``path``; print the report unless ``quiet``.

    ``homework``: the homework's name (default: the only one, or the one the file's name
    starts with); ``path`` defaults to that homework's notebook. Returns the Results.
    Checks run on the saved file; on a system other than Linux without the sandbox
    (``check_unsandboxed``), as they do with ``isolation=None``.
    """
    if isinstance(functions, str):
        functions = [functions]
    if isolation is None or not sys.platform.startswith("linux"):
        name = homework_for(homework, path)
        path = Path(path) if path is not None else Path(f"{name}.ipynb")
        results = check_unsandboxed(path, functions, name, call_seconds=limits.get("call_seconds"), import_seconds=limits.get("import_seconds"))
        if not quiet:
            from .exporters.text import render

            sys.stdout.write(render(results))
        return results
    from .factory import make_grader

    grader = None
    try:
        name = homework_for(homework, path)
        path = Path(path) if path is not None else Path(f"{name}.ipynb")
        course = _course()
        config = public_points_config(course, name) if course is not None else None
        grader = make_grader(course, name, config, limits=limits or None, isolation=isolation, mode="public", only=functions or None)
        grader.prestart()
        results = grader.grade(path)
    except UserError:
        raise  # bad input (a missing file, an unsupported system, an unknown name): said as it is
    except Exception as err:  # noqa: BLE001 - the last resort: a report naming the failure, score 0
        from .guard import describe, failed_results

        results = failed_results(path, describe(err), grader.config if grader is not None else None)
    finally:
        if grader is not None:
            grader.close()
    if not quiet:
        from .exporters.text import render

        sys.stdout.write(render(results))
    return results


def public_points_config(course, name):
    """The public checks' GradingConfig with the homework's points and weights from its
    grading.toml (not secret) and its public seeds, so that a check's total is in points."""
    from dataclasses import replace

    from .config import load_config
    from .spec import load_homework

    files = course.homework(name)
    homework = load_homework(files.folder)
    return replace(load_config(files.grading_config, homework), mode="public", seeds=tuple(homework.public_seeds))


def check_unsandboxed(path, functions=None, homework=None, call_seconds=None, import_seconds=None):
    """The public checks on the file at ``path`` with no sandbox: its kept top-level
    statements (submission.py decides which, as for the sandboxed worker) run in a fresh
    module in this process, each under ``import_seconds``, then its functions are checked
    live. The Results name the file as not sandboxed and say so in ``sandbox``."""
    import types

    from .live import UNSANDBOXED, CallTimeout, grade_namespace, load_live, time_limit
    from .submission import read_submission
    from .worker import future_flags

    loaded, _ = load_live(homework)
    parsed = read_submission(path, loaded.names)
    reason = "the sandbox needs Linux" if not sys.platform.startswith("linux") else "asked for no isolation"
    label = f"{path} [not sandboxed on {sys.platform}: your code ran in this process]"
    module = types.ModuleType(loaded.name)
    module.__file__ = str(path)
    sys.modules[loaded.name] = module  # as in the worker: the submission runs as the homework's module
    problems = [f"{place}: {message}" for place, message in parsed.problems]
    if parsed.fatal:
        problems.append(parsed.fatal)
    for unit in [] if parsed.fatal else parsed.units:
        try:
            code = compile("\n" * (unit.lineno - 1) + unit.source, parsed.filename, "exec", flags=future_flags(unit.future), dont_inherit=True)
            with time_limit(import_seconds or 5.0):
                exec(code, module.__dict__)
        except (Exception, CallTimeout) as err:  # noqa: BLE001 - the student's statement failed: said, then the rest runs
            problems.append(f"{unit.label}: raised {type(err).__name__}: {err}")
    load = {
        "kept": len(parsed.units), "skipped": [f"{place}: {why}" for place, why in parsed.skipped[:50]],
        "skipped_count": len(parsed.skipped), "main_blocks": parsed.main_blocks, "problems": problems[:50],
    }  # fmt: skip
    print(f"autograder: {path} was checked without a sandbox, in this process ({reason})", file=sys.stderr)
    return grade_namespace(module, functions, homework=loaded.name, label=label, sandbox=UNSANDBOXED, call_seconds=call_seconds, load=load)


def _course():
    """The course around the working directory (an instructor's machine), or None (a
    student's: the spec then comes from the installed package)."""
    from .course import find_course_or_none

    return find_course_or_none()


def homework_for(homework, submission=None, course=None):
    """The name of the homework a public check is for: ``homework`` if given, else the one
    the course (or, without a course, this installed package) picks for ``submission``."""
    course = course if course is not None else _course()
    if course is not None:
        return course.pick(homework, submission).name
    if homework:
        return homework
    from .spec import installed_homeworks

    names = installed_homeworks()
    if len(names) == 1:
        return names[0]
    stem = Path(submission).stem if submission is not None else ""
    matches = [n for n in names if stem == n] or [n for n in names if stem.startswith(n)]
    if len(matches) == 1:
        return matches[0]
    listed = ", ".join(names) or "none is installed"
    raise UserError(f"which homework is this? pass --assignment NAME (homeworks: {listed})")
