"""Do the reports show what a submission said as inert, bounded text? Results are bounded and
made printable when built (results.py); the terminal report strips controls again, the
feedback page escapes HTML (jinja2 autoescape) and summary.md escapes markdown and HTML."""

import json
import re

import pytest

from autograder.exporters import classwide, html, text
from autograder.exporters.gradescope import to_gradescope, to_json
from autograder.results import MAX_ITEMS, MAX_REPORT, MAX_TEXT, CheckScore, Finding, FunctionResult, Results, visible

TRICKS = "\x1b[2J\x1b[H100.00 / 100\x1b]52;c;ZXZpbA==\x07\rok\x9b31m\u202eevil\u2066x\x00\x7f"
MARKUP = "<script>alert(1)</script> <img src=x onerror=alert(2)> **bold** [link](http://example.com) ![i](http://example.com/i.png) # h | c |"
NAMES = tuple(f"function_{i}" for i in range(25))  # as many functions as the backprop homework
CONTROLS = {chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0), 0x061C, 0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def controls_in(output):
    return sorted({f"U+{ord(c):04X}" for c in output if c in CONTROLS})


def hostile_results(size=1):
    """Results whose every text came from a submission: controls, markup, and ``size`` times
    more of everything than a report keeps."""
    long = (TRICKS + MARKUP) * 200 * size
    functions = [
        FunctionResult(
            name=name, score=0.0, max_score=3.0, checks=[CheckScore("value", 0, 3, 0.3)],
            findings=[Finding("value", f"case {i} " + TRICKS, long, "raises", long) for i in range(30 * size)],
            mistakes=["raises"], summary=long, output=long, warnings=[long] * 40 * size,
        )  # fmt: skip
        for name in NAMES
    ]
    load = {"kept": 3, "skipped": [f"line {i}: {TRICKS}{MARKUP}" for i in range(5000 * size)], "problems": [long] * 300 * size, "main_blocks": 0}
    return Results(submission="backprop" + TRICKS + ".py", mode="hidden", score=0.0, max_score=100.0, functions=functions, load=load, fatal=long)


def test_are_terminal_controls_written_as_escapes():
    shown = visible("a\x1b[31mb\rc\x9bd\u202ee\tf\ng")
    assert shown == "a\\x1b[31mb\\x0dc\\x9bd\\u202ee\tf\ng"
    assert controls_in(visible(TRICKS)) == []


def test_is_every_text_and_list_of_a_results_capped():
    results = hostile_results()
    for f in results.functions:
        assert len(f.findings) <= 12 and len(f.warnings) <= MAX_ITEMS
        for t in [f.summary, f.output, *f.warnings, *(x.message for x in f.findings), *(x.fix for x in f.findings)]:
            assert len(t) <= MAX_TEXT and controls_in(t) == []
    assert len(results.load["skipped"]) == MAX_ITEMS and results.load["skipped"][-1] == f"... and {5000 - MAX_ITEMS + 1:,} more"
    assert len(results.load["problems"]) == MAX_ITEMS
    assert len(results.fatal) <= MAX_TEXT and "characters in all" in results.fatal


@pytest.mark.parametrize("size", [1, 4])
def test_does_a_whole_report_stay_under_its_cap(size):
    results = hostile_results(size)
    assert len(json.dumps(results.to_dict())) <= MAX_REPORT
    assert len(json.dumps(to_json(results), indent=2)) <= 1_000_000
    assert len(json.dumps(to_gradescope(results), indent=2)) <= 1_000_000


def test_is_bounding_stable_when_results_are_read_back():
    results = hostile_results()
    again = Results.from_dict(json.loads(json.dumps(results.to_dict())))
    assert again.to_dict() == results.to_dict()


def test_does_a_short_report_keep_every_word():
    findings = [Finding("value", "N=7", "relative error 0.5 > 1e-06", "transposed", "use X.T")]
    f = FunctionResult(name="dJ_dW2", score=1.0, max_score=4.0, findings=findings, mistakes=["transposed"], summary="relative error 0.5 > 1e-06")
    results = Results(submission="alice.py", mode="hidden", score=1.0, max_score=100.0, functions=[f], load={"kept": 2, "skipped": ["line 9: a loop"]})
    assert results.functions[0].findings[0] == findings[0] and results.load["skipped"] == ["line 9: a loop"]


def test_does_the_terminal_report_carry_no_control_character():
    output = text.render(hostile_results(), verbose=True)
    assert controls_in(output) == []
    assert "\\x1b[2J" in output  # shown, as text


def test_does_the_feedback_page_escape_markup():
    results = hostile_results()
    record = {"key": "k<b>", "results": results.to_dict(), "students": [{"name": "<script>x</script>", "sid": "1"}], "error": MARKUP}
    page = html.render(record)
    assert "<script" not in page and "<img" not in page and "&lt;script&gt;" in page
    assert "<h1>Homework: " in page and "<h1>a&lt;b&gt; homework: " in html.render(dict(record, homework="a<b>"))
    assert controls_in(page) == []


def test_does_summary_md_escape_markdown_and_html(tmp_path):
    tallies = classwide.Tallies()
    tallies.add({"key": "a`b|c<i>", "results": None, "error": MARKUP + "\n# second line " + TRICKS})
    tallies.add({"key": "bob_01", "results": None, "error": "could not be read"})
    summary = classwide.write_summary(tallies, tmp_path / "summary.md").read_text()
    problems = summary.split("## Submissions with a problem", 1)[1].strip().splitlines()
    assert len(problems) == 2, "one line per submission: a newline in an error must not start a heading"
    for bad in ("<script", "<img", "<i>", "](http", "**bold**", "a`b"):
        assert bad not in summary, bad
    assert re.search(r"(?<!\\)\|", "\n".join(problems)) is None, "a | that would split a table cell"
    assert "`bob_01`" in summary and "&lt;script&gt;" in summary
    assert controls_in(summary) == []


def graded_record(key, scores):
    functions = [{"name": name, "score": score, "max_score": 2.0, "mistakes": []} for name, score in scores.items()]
    return {"key": key, "results": {"score": sum(scores.values()), "max_score": 2.0 * len(scores), "functions": functions}}


def test_are_the_gradebook_columns_the_graded_functions_in_report_order(tmp_path):
    """The engine names no homework: the columns come from the results themselves."""
    records = [
        {"key": "carol", "results": None, "error": "could not be read"},
        graded_record("alice", {"affine_forward": 2.0, "affine_backward": 1.0}),
        graded_record("bob", {"affine_forward": 0.0, "affine_backward": 2.0}),
    ]
    all_rows = [row for record in records for row in classwide.rows(record)]
    header, *lines = classwide.write_csv(all_rows, tmp_path / "grades.csv").read_text().splitlines()
    assert header == "id,name,email,submission,total,max,affine_forward,affine_backward,error"
    assert lines[0].startswith("carol,,,carol,,,,,") and lines[1].startswith("alice,,,alice,3.0,4.0,2.0,1.0,")
    tallies = classwide.Tallies()
    for record in records:
        tallies.add(record)
    summary = classwide.write_summary(tallies, tmp_path / "summary.md").read_text()
    assert summary.index("| `affine_forward` | 50% | 1 of 2 |") < summary.index("| `affine_backward` | 75% | 1 of 2 |")
