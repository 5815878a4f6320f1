"""One feedback page per submission (jinja2), readable on a phone, with no reference values."""

from importlib import resources

import jinja2

from ..atomic import write_text_atomic

_ENVIRONMENT = None


def _template():
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        source = resources.files("autograder").joinpath("templates/feedback.html.j2").read_text()
        _ENVIRONMENT = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(source)
    return _ENVIRONMENT


def render(record):
    results = record.get("results")
    students = record.get("students") or []
    title = ", ".join(s.get("name") or s.get("sid", "") for s in students) or record["key"]
    functions = []
    if results:
        for f in results["functions"]:
            passed = f["max_score"] > 0 and f["score"] >= f["max_score"] - 1e-9
            functions.append({**f, "passed": passed})
    return _template().render(
        title=title, key=record["key"], results=results, functions=functions, error=record.get("error"), homework=record.get("homework")
    )  # fmt: skip


def write_page(record, path):
    write_text_atomic(path, render(record))
