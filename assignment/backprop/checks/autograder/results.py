"""The results of grading one submission: plain data, no formatting.

Every exporter (terminal text, JSON, Gradescope's results.json, HTML, CSV) reads these
objects; nothing here knows about any output format. ``to_dict``/``from_dict`` give the
JSON form the batch runner stores per student.
"""

import json
import re
from dataclasses import asdict, dataclass, field

# Everything in a Results may echo the submission (messages, printed output, names, skipped
# statements), so every Results is bounded when it is built (Results.__post_init__): each
# text at most MAX_TEXT characters, each list at most MAX_ITEMS items, the whole record at
# most MAX_REPORT characters as JSON (texts are cut shorter until it fits), and control
# characters shown as escapes (see visible). Every exporter then reads bounded, printable
# data: a JSON or Gradescope report stays under 1 MB whatever the submission did.
MAX_TEXT = 2_000
MAX_ITEMS = 50
MAX_REPORT = 400_000
MAX_FINDINGS = 12
NOT_IMPLEMENTED = "not_implemented"  # the mistake id of a function still raising NotImplementedError

# Terminal and layout controls: C0 (but tab and newline), DEL, C1, and the bidirectional
# overrides, isolates and marks (text that displays in another order than it reads).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match):
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text):
    """``text`` with every control character (ESC sequences, \\r, OSC, C1, bidi overrides)
    written as an escape such as ``\\x1b``: safe to print on a terminal."""
    return _CONTROL.sub(_escape, text)


def bounded_text(text, limit=MAX_TEXT):
    """``text`` made visible and cut to at most ``limit`` characters, saying how long it was."""
    if not isinstance(text, str):
        return text
    if len(text) <= limit:
        shown = visible(text)
        if len(shown) <= limit:
            return shown
    note = f" ... ({len(text):,} characters in all)"
    return visible(text[:limit])[: max(0, limit - len(note))] + note


def _fields(value):
    """For measuring a Results as JSON without copying it (to_dict copies): a record's fields,
    or the text of anything else JSON cannot write (a numpy integer)."""
    return vars(value) if hasattr(value, "__dict__") else str(value)


def bounded_list(items, limit=MAX_TEXT):
    """At most MAX_ITEMS items, texts bounded; the last says how many were left out."""
    if not isinstance(items, list):
        return items
    out = [bounded_text(item, limit) for item in items[:MAX_ITEMS]]
    if len(items) > MAX_ITEMS:
        out[-1] = f"... and {len(items) - MAX_ITEMS + 1:,} more"
    return out


@dataclass
class CheckScore:
    """How one check went across a function's test cases."""

    name: str
    passed: int
    total: int
    weight: float


@dataclass
class Finding:
    """One failure worth telling the student about."""

    check: str
    case: str
    message: str
    mistake: str = None
    fix: str = None


@dataclass
class FunctionResult:
    name: str
    score: float
    max_score: float
    checks: list = field(default_factory=list)  # CheckScore
    findings: list = field(default_factory=list)  # Finding, most important first
    mistakes: list = field(default_factory=list)  # mistake ids, in order of first appearance
    summary: str = ""
    output: str = ""  # what the function printed (public checks only)
    warnings: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self):
        return self.max_score > 0 and self.score >= self.max_score - 1e-9 or (self.max_score == 0 and not self.findings)

    @property
    def not_written(self):
        """The function is still the stub: every finding says it is not implemented."""
        return bool(self.findings) and not self.passed and all(x.mistake == NOT_IMPLEMENTED for x in self.findings)


@dataclass
class Results:
    submission: str
    mode: str  # "hidden" or "public"
    score: float
    max_score: float
    functions: list = field(default_factory=list)
    load: dict = field(default_factory=dict)  # kept / skipped / failed statements
    fatal: str = None  # why nothing could be graded, if so
    sandbox: dict = field(default_factory=dict)
    execution_time: float = 0.0

    def __post_init__(self):
        limit = MAX_TEXT
        self._bound(limit)
        while limit > 50 and len(json.dumps(self, default=_fields)) > MAX_REPORT:
            limit //= 2
            self._bound(limit)

    def _bound(self, limit):
        """Cut every text to ``limit`` characters and every list to MAX_ITEMS (see MAX_TEXT)."""
        self.submission = bounded_text(self.submission, 500)
        self.fatal = bounded_text(self.fatal, limit)
        self.load = {key: bounded_list(value, limit) if isinstance(value, list) else bounded_text(value, limit) for key, value in (self.load or {}).items()}
        for f in self.functions:
            f.summary = bounded_text(f.summary, limit)
            f.output = bounded_text(f.output, limit)
            f.warnings = bounded_list(f.warnings, min(limit, 500))
            f.mistakes = [bounded_text(m, 100) for m in f.mistakes[:MAX_ITEMS]]
            f.findings = f.findings[:MAX_FINDINGS]
            for x in f.findings:
                x.check, x.case, x.mistake = bounded_text(x.check, 100), bounded_text(x.case, 200), bounded_text(x.mistake, 100)
                x.message, x.fix = bounded_text(x.message, limit), bounded_text(x.fix, limit)

    def function(self, name):
        for result in self.functions:
            if result.name == name:
                return result
        raise KeyError(name)

    @property
    def mistakes(self):
        return sorted({m for f in self.functions for m in f.mistakes})

    @property
    def passing(self):
        """How many functions pass every check."""
        return sum(1 for f in self.functions if f.passed)

    @property
    def not_written(self):
        """Names of the functions still left as stubs (FunctionResult.not_written), in order."""
        return [f.name for f in self.functions if f.not_written]

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, data):
        functions = []
        for f in data.get("functions", []):
            f = dict(f)
            f["checks"] = [CheckScore(**c) for c in f.get("checks", [])]
            f["findings"] = [Finding(**x) for x in f.get("findings", [])]
            functions.append(FunctionResult(**f))
        data = dict(data, functions=functions)
        return cls(**data)
