"""The terminal report: one line per function, then what to fix."""

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


def render(results, verbose=False):
    lines = []
    kind = "hidden tests" if results.mode == "hidden" else "public checks"
    lines.append(f"{results.submission}: {results.score:.2f} / {results.max_score:g}  ({kind}, {results.execution_time:.1f} s)")
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
    for f in results.functions:
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
    passed = sum(1 for f in results.functions if f.passed)
    lines.append("")
    lines.append(f"{passed} of {len(results.functions)} functions pass every check.")
    # Results are bounded and made visible when built; this keeps a terminal safe whatever
    # built them (every control character but newline and tab shown as an escape).
    return visible("\n".join(lines)) + "\n"
