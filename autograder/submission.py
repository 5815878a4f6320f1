"""Read a submission (``.py`` or ``.ipynb``) and keep only its definitions.

Kept, in file (or cell) order: imports, function and class definitions, and assignments
whose right side calls nothing (constants, lambdas). Everything else at the top level
(training loops, plots, prints, ``if __name__ == "__main__":`` blocks) is skipped and listed
in the report. Parsing happens here in the grader; running happens in the worker.
"""

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UserError

MAX_SOURCE_BYTES = 2_000_000


@dataclass
class Unit:
    """One kept top-level statement, with where it came from."""

    source: str
    lineno: int
    label: str

    def wire(self):
        return {"source": self.source, "lineno": self.lineno, "label": self.label}


@dataclass
class Parsed:
    filename: str  # the name the worker compiles under (tracebacks point here)
    source: str  # the whole program text (a notebook's code cells joined)
    units: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # (label, reason) of statements not run
    problems: list = field(default_factory=list)  # (label, message): cells that do not parse, etc.
    main_blocks: int = 0  # `if __name__ == "__main__":` blocks, skipped as intended
    fatal: str = None  # the submission cannot be graded at all


class SubmissionError(UserError, ValueError):
    pass


def _calls_something(node):
    return any(isinstance(n, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom)) for n in ast.walk(node))


def _is_main_guard(node):
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def classify(node):
    """None if the statement is kept, else the reason it is skipped."""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return None
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        value = node.value
        if value is None or not _calls_something(value):
            return None
        return "an assignment that calls a function"
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return None  # a docstring or bare constant: harmless
    if isinstance(node, (ast.For, ast.While, ast.AsyncFor)):
        return "a loop"
    if isinstance(node, ast.Expr):
        return "an expression statement (a call, print or plot)"
    return f"a top-level {type(node).__name__} statement"


def _describe(node, lines):
    first = lines[node.lineno - 1].strip() if node.lineno - 1 < len(lines) else ""
    return first[:80]


def _split(tree, text, label_prefix, line_offset, parsed):
    lines = text.splitlines()
    for node in tree.body:
        start = node.lineno
        if getattr(node, "decorator_list", None):
            start = min(d.lineno for d in node.decorator_list)
        label = f"{label_prefix}line {start + line_offset}"
        if _is_main_guard(node):
            parsed.main_blocks += 1
            continue
        reason = classify(node)
        if reason is not None:
            parsed.skipped.append((label, f"{reason}: {_describe(node, lines)}"))
            continue
        segment = "\n".join(lines[start - 1 : node.end_lineno])
        parsed.units.append(Unit(segment, start + line_offset, label))


def parse_python(text, filename="backprop.py"):
    parsed = Parsed(filename=filename, source=text)
    try:
        tree = ast.parse(text, filename=filename)
    except SyntaxError as err:
        parsed.fatal = f"{filename} does not parse: {err.msg} (line {err.lineno})"
        if err.text:
            parsed.fatal += f": {err.text.strip()[:120]}"
        return parsed
    except (ValueError, RecursionError, MemoryError) as err:
        parsed.fatal = f"{filename} cannot be parsed: {type(err).__name__}"
        return parsed
    _split(tree, text, "", 0, parsed)
    return parsed


def _strip_magics(cell_source):
    """Drop IPython-only lines (%magic, !shell); a %%cell magic skips the whole cell."""
    lines = cell_source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        return None, len(lines)
    kept, dropped = [], 0
    for line in lines:
        if line.lstrip().startswith(("%", "!")):
            kept.append("")  # keep line numbers
            dropped += 1
        else:
            kept.append(line)
    return "\n".join(kept), dropped


def parse_notebook(raw, filename="backprop.ipynb"):
    """Code cells in order; each cell is parsed on its own, so one bad cell skips only itself.

    The worker sees one program: the code cells joined, so tracebacks name a line of that
    program; labels say which cell each statement came from.
    """
    parsed = Parsed(filename=filename, source="")
    try:
        notebook = json.loads(raw)
        cells = notebook["cells"]
        if not isinstance(cells, list):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        parsed.fatal = f"{filename} is not a valid Jupyter notebook (its JSON has no list of cells)"
        return parsed
    program, offset = [], 0
    code_number = 0
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        code_number += 1
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        label = f"cell {index + 1}, "
        text, dropped = _strip_magics(source)
        if text is None:
            parsed.skipped.append((f"cell {index + 1}", "a %% cell magic"))
            continue
        try:
            tree = ast.parse(text)
        except SyntaxError as err:
            parsed.problems.append((f"cell {index + 1}", f"does not parse: {err.msg} (line {err.lineno} of the cell)"))
            continue
        except (ValueError, RecursionError, MemoryError) as err:
            parsed.problems.append((f"cell {index + 1}", f"cannot be parsed: {type(err).__name__}"))
            continue
        before = len(parsed.units)
        _split(tree, text, label, offset, parsed)
        for unit in parsed.units[before:]:
            unit.label = f"cell {index + 1}, line {unit.lineno - offset}"
        program.append(text)
        offset += len(text.splitlines()) + 1
    parsed.source = "\n\n".join(program) if program else ""
    # _split numbered lines from each cell's own start; the joined program puts a blank
    # line between cells, which `offset` accounted for.
    return parsed


def read_submission(path):
    """Parse the file at ``path``; raises SubmissionError for unreadable input."""
    path = Path(path)
    if not path.is_file():
        raise SubmissionError(f"{path} does not exist or is not a file")
    size = path.stat().st_size
    if size > MAX_SOURCE_BYTES:
        raise SubmissionError(f"{path.name} is {size} bytes; submissions are limited to {MAX_SOURCE_BYTES}")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SubmissionError(f"{path.name} is not UTF-8 text") from None
    if path.suffix == ".ipynb":
        return parse_notebook(text, path.name)
    if path.suffix == ".py":
        return parse_python(text, path.name)
    raise SubmissionError(f"{path.name}: submissions are .py or .ipynb files")


def pick_file(folder):
    """The file to grade among a submission folder's files: backprop.py, else
    backprop.ipynb, else the only .py/.ipynb. Returns (path, None) or (None, why not)."""
    folder = Path(folder)
    if not folder.is_dir():
        return None, f"{folder} does not exist"
    candidates = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in (".py", ".ipynb"))
    for name in ("backprop.py", "backprop.ipynb"):
        named = [p for p in candidates if p.name == name]
        if named:
            return named[0], None
    if len(candidates) == 1:
        return candidates[0], None
    if not candidates:
        return None, "no backprop.py or backprop.ipynb was submitted (no .py or .ipynb file at all)"
    return None, f"{len(candidates)} .py/.ipynb files were submitted and none is named backprop.py or backprop.ipynb"
