"""The student's check: public checks, no reference, the same engine as the hidden tests.

From a terminal: ``autograder check hw.py``. From a notebook cell (after saving):

    from autograder import check
    check("hw.ipynb")              # everything
    check("hw.ipynb", ["f"])       # one function
"""

import sys
from pathlib import Path

from .errors import UserError


def check(path=None, functions=None, quiet=False, isolation="auto", homework=None, **limits):
    """Run the public checks on the file at ``path``; print the report unless ``quiet``.

    ``homework``: the homework's name (default: the only one, or the one the file's name
    starts with); ``path`` defaults to that homework's notebook. Returns the Results.
    Checks run on the saved file, so save the notebook first.
    """
    from .factory import make_grader

    if isinstance(functions, str):
        functions = [functions]
    grader = None
    try:
        name = homework_for(homework, path)
        path = Path(path) if path is not None else Path(f"{name}.ipynb")
        grader = make_grader(_course(), name, limits=limits or None, isolation=isolation, mode="public", only=functions or None)
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
