"""Autograder for numpy gradient homeworks.

The package is the grading engine: it holds no solution and no hidden test values, so it
can be given to students for ``autograder check``. Instructor material (each homework's
reference, spec and grading config) lives in a course folder; see course.py and spec.py.
"""

import os
import sys

__version__ = "0.1.0"


def check(namespace=None, functions=None, **options):
    """Run the public checks and print what to fix; return the Results (score and max_score
    in public-check points).

    ``check()`` checks the live functions of the caller's globals (a notebook's, no save
    needed), ``check(namespace)`` those of a dict or a module (live.py; options ``part``,
    ``homework``, ``quiet``); ``check("hw.ipynb")`` a saved file (public.py)."""
    if isinstance(namespace, (str, os.PathLike)):
        from .public import check as check_file

        return check_file(namespace, functions, **options)
    from .live import check as check_live

    return check_live(namespace if namespace is not None else sys._getframe(1).f_globals, functions, **options)
