"""The terminal report: one line per function, then what to fix.

Hidden grading shows points. The public checks give no points (their configuration counts one
per function, which is not a grade), so their report counts the functions that pass; the
functions still left as stubs are folded into one "not written yet" line."""

import textwrap

from ..results import visible


def _wrap(text, indent):
    return textwrap.fill(text, width=100, initial_indent=indent, subsequent_indent=indent + "  ")


def findings_lines(function, indent="", mistakes=False):
    """One function's findings as plain lines: [check] (case) message, then its fix."""
    lines = []
    for finding in function.findings:
        where = f" ({finding.case})" if finding.case else ""
        lines.append(f"{indent}[{finding.check}]{where} {finding.message}")
        if finding.fix:
            lines.append(f"{indent}  fix: {finding.fix}")
        if mistakes and finding.mistake:
            lines.append(f"{indent}  mistake: {finding.mistake}")
    return lines


def _total(results):
    """The headline: points in hidden grading; in the public checks, the functions that pass
    (and points only when the configuration gives real ones, not one per function)."""
    if results.mode == "hidden":
        return f"{results.score:.2f} / {results.max_score:g}  (hidden tests, {results.execution_time:.1f} s)"
    count = len(results.functions)
    text = f"{results.passing} of {count} function{'s' if count != 1 else ''} pass the public checks"
    if any(f.max_score != 1 for f in results.functions):
        text += f", {results.score:.2f} / {results.max_score:g} points"
    return f"{text}  ({results.execution_time:.1f} s)"


def render(results, verbose=False):
    lines = []
    lines.append(f"{results.submission}: {_total(results)}")
    if results.fatal:
        lines.append(_wrap(f"Could not grade: {results.fatal}", "  "))
    load = results.load or {}
    if load:
        note = f"Ran {load.get('kept', 0)} top-level definitions"
        skipped = load.get("skipped", [])
        count = load.get("skipped_count", len(skipped))
        if skipped:
            note += f"; skipped {count} other top-level statement{'s' if count != 1 else ''} (not run when grading)"
        if load.get("main_blocks"):
            note += f"; {load['main_blocks']} `if __name__ == \"__main__\"` block{'s' if load['main_blocks'] != 1 else ''} not run, as intended"
        lines.append(note + ".")
        for item in skipped[: 10 if verbose else 3]:
            lines.append(_wrap(f"skipped {item}", "    "))
        if count > (10 if verbose else 3):
            lines.append(f"    ... and {count - (10 if verbose else 3)} more")
        for item in load.get("problems", []):
            lines.append(_wrap(f"problem: {item}", "    "))
    lines.append("")
    width = max((len(f.name) for f in results.functions), default=10)
    # two or more stubs: one line for all of them instead of one identical block each
    folded = results.not_written if results.mode != "hidden" and not verbose else []
    folded = folded if len(folded) > 1 else []
    for f in results.functions:
        if f.name in folded:
            continue
        mark = "ok  " if f.passed else "FAIL"
        tags = f"  [{', '.join(f.mistakes)}]" if f.mistakes and not f.passed else ""
        if results.mode == "hidden":
            lines.append(f"  {mark} {f.name:<{width}}  {f.score:5.2f} / {f.max_score:g}{tags}")
        else:
            lines.append(f"  {mark} {f.name:<{width}}{tags}")
        if f.passed and not verbose:
            continue
        for finding in f.findings:
            where = f" ({finding.case})" if finding.case else ""
            lines.append(_wrap(f"[{finding.check}]{where} {finding.message}", "       "))
            if finding.fix:
                lines.append(_wrap(f"fix: {finding.fix}", "         "))
        for warning in f.warnings if verbose else []:
            lines.append(_wrap(f"warning (costs nothing): {warning}", "       "))
        if f.output and verbose:
            lines.append(_wrap(f"printed: {f.output[:300]}", "       "))
    if folded:
        lines.append(_wrap(f"not written yet: {', '.join(folded)} ({len(folded)} function{'s' if len(folded) != 1 else ''})", "  "))
    passed = results.passing
    lines.append("")
    lines.append(f"{passed} of {len(results.functions)} functions pass every check.")
    # Results are bounded and made visible when built; this keeps a terminal safe whatever
    # built them (every control character but newline and tab shown as an escape).
    return visible("\n".join(lines)) + "\n"
