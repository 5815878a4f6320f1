"""The student's check: public checks, no reference, the same engine as the hidden tests.

From a terminal: ``autograder check backprop.py``. From a notebook cell (after saving):

    from autograder import check
    check("backprop.ipynb")                 # everything
    check("backprop.ipynb", ["softmax"])    # one function
"""

import sys

from .config import public_config
from .errors import UserError
from .grader import grade_file


def check(path="backprop.ipynb", functions=None, quiet=False, isolation="auto", **limits):
    """Run the public checks on the file at ``path``; print the report unless ``quiet``.

    Returns the Results. Checks run on the saved file, so save the notebook first.
    """
    config = public_config()
    if isinstance(functions, str):
        functions = [functions]
    if functions:
        config = config.only(functions)
    if limits:
        config = config.with_limits(**limits)
    try:
        results = grade_file(path, config, reference=None, isolation=isolation)
    except UserError:
        raise  # bad input (a missing file, an unsupported system): said as it is
    except Exception as err:  # noqa: BLE001 - the last resort: a report naming the failure, score 0
        from .guard import describe, failed_results

        results = failed_results(path, describe(err), config)
    if not quiet:
        from .exporters.text import render

        sys.stdout.write(render(results))
    return results
