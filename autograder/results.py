"""The results of grading one submission: plain data, no formatting.

Every exporter (terminal text, JSON, Gradescope's results.json, HTML, CSV) reads these
objects; nothing here knows about any output format. ``to_dict``/``from_dict`` give the
JSON form the batch runner stores per student.
"""

from dataclasses import asdict, dataclass, field


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

    def function(self, name):
        for result in self.functions:
            if result.name == name:
                return result
        raise KeyError(name)

    @property
    def mistakes(self):
        return sorted({m for f in self.functions for m in f.mistakes})

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
