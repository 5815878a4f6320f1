"""Class-wide outputs of a batch: the gradebook CSV, summary.md and the mistakes chart.

The function columns are the graded functions in report order, taken from the results
themselves (or given as ``names``), so the same code serves every homework."""

import csv
import html
import io
import re
import statistics
from collections import Counter
from pathlib import Path

from ..atomic import write_bytes_atomic, write_text_atomic
from ..results import bounded_text


def function_names(records_or_rows):
    """The function names of results (records' ``results`` or gradebook rows), in first-seen order."""
    names = {}
    for item in records_or_rows:
        for f in (item.get("results") or {}).get("functions", []):
            names.setdefault(f["name"], None)
    return list(names)


def rows(record, names=None):
    """One gradebook row per student of a submission (a group shares its scores); one column
    per function of ``names`` (default: the record's own functions)."""
    results = record.get("results") or {}
    scores = {f["name"]: f["score"] for f in results.get("functions", [])}
    names = list(scores) if names is None else names
    out = []
    for student in record.get("students") or [{"sid": record["key"]}]:
        row = {
            "id": student.get("sid", ""),
            "name": student.get("name", ""),
            "email": student.get("email", ""),
            "submission": record["key"],
            "total": round(results["score"], 2) if results else "",
            "max": results.get("max_score", "") if results else "",
        }
        for name in names:
            row[name] = round(scores[name], 2) if name in scores else ""
        row["error"] = record.get("error") or ""
        out.append(row)
    return out


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Text a spreadsheet would run as a formula (``=1+2``, ``@SUM(..)``) starts with a quote."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


FIXED_COLUMNS = ("id", "name", "email", "submission", "total", "max", "error")


def write_csv(all_rows, path, names=None):
    """The gradebook; function columns ``names`` (default: those of the rows, in first-seen order)."""
    if names is None:
        names = list(dict.fromkeys(key for row in all_rows for key in row if key not in FIXED_COLUMNS))
    columns = [*FIXED_COLUMNS[:-1], *names, "error"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, restval="")
    writer.writeheader()
    for row in all_rows:
        writer.writerow({key: spreadsheet_safe(value) for key, value in row.items()})
    write_text_atomic(path, buffer.getvalue())
    return path


class Tallies:
    """Counts gathered one record at a time."""

    def __init__(self, names=()):
        self.totals = []
        self.errors = []
        self.mistakes = Counter()  # mistake id -> submissions showing it
        self.by_function = Counter()  # (function, mistake) -> submissions
        self.function_scores = {name: [] for name in names}  # report order; more are added as seen
        self.max_score = None

    def add(self, record):
        results = record.get("results")
        if not results:
            self.errors.append((record["key"], record.get("error") or "not graded"))
            return
        self.totals.append(results["score"])
        self.max_score = results["max_score"]
        if record.get("error"):
            self.errors.append((record["key"], record["error"]))
        seen = set()
        for f in results["functions"]:
            self.function_scores.setdefault(f["name"], []).append(f["score"] / f["max_score"] if f["max_score"] else 0.0)
            for mistake in f["mistakes"]:
                self.by_function[(f["name"], mistake)] += 1
                seen.add(mistake)
        self.mistakes.update(seen)


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:])")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,200}")


def markdown_text(text, limit=500):
    """Text from a submission as inert markdown: one line, control characters escaped (see
    results.visible), HTML written as entities and markdown punctuation backslash-escaped,
    so nothing in it renders as a link, an image, a heading, a table cell or HTML."""
    text = " ".join(bounded_text(str(text), limit).split())
    return _MARKDOWN.sub(r"\\\1", html.escape(text, quote=False))


def markdown_code(name):
    """A name as inline code when it is a plain identifier, else as inert text."""
    name = str(name)
    return f"`{name}`" if _PLAIN_NAME.fullmatch(name) else markdown_text(name, 200)


def write_summary(tallies, path):
    lines = ["# Class summary", ""]
    graded = len(tallies.totals)
    lines.append(f"Submissions with a score: {graded}; with a problem (listed at the end): {len(tallies.errors)}.")
    if graded:
        lines.append(
            f"Total score (out of {tallies.max_score:g}): mean {statistics.mean(tallies.totals):.1f}, "
            f"median {statistics.median(tallies.totals):.1f}, min {min(tallies.totals):.1f}, max {max(tallies.totals):.1f}."
        )
    lines += ["", "## Most common mistakes", "", "| mistake | submissions | where |", "|---|---|---|"]
    for mistake, count in tallies.mistakes.most_common(15):
        places = [f"{markdown_text(fn, 100)} ({n})" for (fn, m), n in tallies.by_function.most_common() if m == mistake]
        where = ", ".join(places[:5]) + (f" and {len(places) - 5} more functions" if len(places) > 5 else "")
        lines.append(f"| {markdown_code(mistake)} | {count} | {where} |")
    lines += ["", "## Functions", "", "| function | mean share of points | full marks |", "|---|---|---|"]
    for name, values in tallies.function_scores.items():
        if values:
            full = sum(1 for v in values if v >= 1 - 1e-9)
            lines.append(f"| `{name}` | {statistics.mean(values):.0%} | {full} of {len(values)} |")
    if tallies.errors:
        lines += ["", "## Submissions with a problem", ""]
        lines += [f"- {markdown_code(key)}: {markdown_text(error)}" for key, error in tallies.errors[:100]]
    write_text_atomic(path, "\n".join(lines) + "\n")
    return path


def write_chart(tallies, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    common = tallies.mistakes.most_common(12)
    fig, axis = plt.subplots(figsize=(8, 0.45 * max(len(common), 3) + 1.2))
    if common:
        names = [m for m, _ in common][::-1]
        counts = [c for _, c in common][::-1]
        axis.barh(names, counts, color="#c0504d")
        axis.set_xlabel("submissions with this mistake")
        for y, count in enumerate(counts):
            axis.text(count, y, f" {count}", va="center")
    else:
        axis.text(0.5, 0.5, "no mistakes found", ha="center", va="center", transform=axis.transAxes)
        axis.set_axis_off()
    axis.set_title(f"Most common mistakes ({len(tallies.totals)} submissions)")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    write_bytes_atomic(path, buffer.getvalue())
    return Path(path)
