"""Autograder for numpy gradient homeworks.

The package is the grading engine: it holds no solution and no hidden test values, so it
can be given to students for ``autograder check``. Instructor material (each homework's
reference, spec and grading config) lives in a course folder; see course.py and spec.py.
"""

__version__ = "0.1.0"


def check(path=None, functions=None, **options):
    """Run the public checks on a saved submission and print what to fix (see public.py)."""
    from .public import check as run_check

    return run_check(path, functions, **options)
