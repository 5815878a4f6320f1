"""Gradescope's results.json: top-level score, execution_time, output and one test per function.

Schema (Gradescope autograder specification): ``score``, ``execution_time``, ``output``,
``tests`` with ``name``, ``score``, ``max_score``, ``status``, ``output``, ``tags``,
``visibility``. Each test carries the tag ``function:<name>`` and, when a known mistake was
recognised, ``mistake:<id>``. Who sees what (``visibility``) comes from grading.toml's
[visibility] table (``GradingConfig.visibility``); without it everything is visible.
"""

from ..config import Visibility
from .text import findings_lines


def test_output(function):
    if not function.findings:
        return "All checks passed."
    parts = findings_lines(function)
    if function.warnings:
        parts.append("warnings (they cost nothing): " + "; ".join(function.warnings))
    if function.output:
        parts.append(function.output)
    return "\n".join(parts)


def summary_output(results):
    lines = []
    if results.fatal:
        lines.append(f"Your submission could not be graded: {results.fatal}")
    load = results.load or {}
    if load.get("skipped"):
        lines.append(f"{load.get('skipped_count', len(load['skipped']))} top-level statements were not run when grading (only what the graded functions need is):")
        lines += [f"  {item}" for item in load["skipped"][:20]]
    if load.get("problems"):
        lines.append("Problems while running your definitions:")
        lines += [f"  {item}" for item in load["problems"]]
    passed = sum(1 for f in results.functions if f.passed)
    lines.append(f"{passed} of {len(results.functions)} functions pass every check; score {results.score:.2f} / {results.max_score:g}.")
    return "\n".join(lines)


def to_gradescope(results, visibility=None):
    visibility = visibility or Visibility()
    tests = []
    for function in results.functions:
        tests.append(
            {
                "name": function.name,
                "score": round(function.score, 4),
                "max_score": function.max_score,
                "status": "passed" if function.passed else "failed",
                "output": test_output(function),
                "tags": [f"function:{function.name}"] + [f"mistake:{m}" for m in function.mistakes],
                "visibility": visibility.of(function.name),
            }
        )
    return {
        "score": round(results.score, 4),
        "execution_time": round(results.execution_time, 3),
        "output": summary_output(results),
        "visibility": visibility.summary,
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def to_json(results, visibility=None):
    """The Gradescope fields plus the full results (checks, findings, sandbox)."""
    data = to_gradescope(results, visibility)
    data["results"] = results.to_dict()
    return data
