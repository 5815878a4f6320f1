"""The last resort of every entry point: when grading itself fails, a results file still says so.

``autograder grade``, ``check``, ``grade-all`` (per submission), ``gradescope-run`` and the
notebook's ``check()`` catch what escapes the grader and turn it into results with score 0,
every function failed with the finding "internal grader error: <type>: <message>" and the
mistake id ``grader_error``; the command then exits with GRADER_ERROR_EXIT. Gradescope (or
whoever reads the file) always gets a score and a message.
"""

import json

from .results import Finding, FunctionResult, Results

PREFIX = "internal grader error"
MISTAKE = "grader_error"
GRADER_ERROR_EXIT = 3  # 2 is bad input (UserError), 130 an interruption


def describe(error):
    """The one-line name of a failure of the grader itself."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{PREFIX}: {type(error).__name__}: {text[:300]}" if text else f"{PREFIX}: {type(error).__name__}"


def failed_results(submission, message, config=None):
    """Score 0 for every function of ``config`` (none without one), each naming ``message``."""
    functions = []
    if config is not None:
        for name in config.functions:
            functions.append(
                FunctionResult(
                    name=name, score=0.0, max_score=config.points[name],
                    findings=[Finding("grader", "", message, MISTAKE)], mistakes=[MISTAKE], summary=message,
                )  # fmt: skip
            )
    return Results(
        submission=str(submission), mode=config.mode if config is not None else "unknown", score=0.0,
        max_score=config.max_score if config is not None else 0.0, functions=functions, fatal=message,
    )  # fmt: skip


def is_grader_error(results):
    return bool(results.fatal) and results.fatal.startswith(PREFIX)


def minimal_document(message, fmt):
    """The failure in ``fmt`` without any exporter: used when rendering itself fails."""
    if fmt == "text":
        return f"Nothing was graded: {message}\nscore 0\n"
    data = {"score": 0.0, "execution_time": 0, "output": f"Your submission could not be graded: {message}", "tests": []}
    return json.dumps(data, indent=2) + "\n"


def render_safely(results, fmt, render):
    """``render(results, fmt)``, or the minimal document if the exporter fails too."""
    try:
        return render(results, fmt)
    except Exception as err:  # noqa: BLE001 - the last resort must produce something
        return minimal_document(f"{results.fatal or describe(err)} (and its report failed: {describe(err)})", fmt)
