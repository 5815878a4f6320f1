"""Read a submission (``.py`` or ``.ipynb``) and choose which top-level statements to run.

The grader runs what an import would run, minus work no graded function needs:

- always kept: imports, function and class definitions, assignments that call nothing
  outside a lambda's body (constants, and lambdas: a lambda runs nothing when it is
  defined), docstrings, and ``try``/``if`` blocks made only of such statements (import
  fallbacks such as ``try: from scipy.special import expit`` / ``except ImportError: ...``);
- kept when needed: any other statement (an assignment that calls something, a loop, a
  ``with`` block, ...) that binds or changes a name that a graded function reads, directly
  or through the helpers, classes, lambdas and constants it uses (``EPS =
  np.finfo(np.float64).eps``). The names come from the syntax tree (``symtable``);
- never run: ``if __name__ == "__main__":`` blocks, statements that only import or set up a
  grading tool (otter, nbgrader, this package), and everything else (prints, plots,
  training loops, experiments), each listed in the report with its reason.

The file is read as one module: a ``from __future__`` import applies to every statement
after it (the worker compiles each statement with those flags). The worker still runs the
kept statements one at a time, each under its own time limit. The same analysis gives the
call graph (``Parsed.calls``): which of the submission's top-level names each function
uses, so a failing function can be told which broken function it depends on.

Parsing happens here, in the grader; running happens in the worker. A submission must be
a regular file: a symbolic link is refused and never followed (``read_regular_file``).
"""

import ast
import errno
import json
import os
import re
import stat
import symtable
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UserError

MAX_SOURCE_BYTES = 2_000_000  # a .py file, and the code of a notebook's cells together
MAX_NOTEBOOK_BYTES = 20_000_000  # a whole .ipynb, outputs (plots) included
# The code parsed (its syntax tree costs the grader about 500 bytes per character of dense
# code, 5 KB per statement): what keeps the grader under 300 MB whatever a file holds.
MAX_CODE_CHARS = 300_000
MAX_CODE_STATEMENTS = 20_000  # lines plus semicolons, an upper bound on statements


def _too_much_code(chars, statements, filename):
    """A message when the code is over MAX_CODE_CHARS or MAX_CODE_STATEMENTS, else None."""
    if chars > MAX_CODE_CHARS or statements > MAX_CODE_STATEMENTS:
        return f"{filename} holds {chars:,} characters in {statements:,} lines of code; submissions are limited to {MAX_CODE_CHARS:,} characters and {MAX_CODE_STATEMENTS:,} lines"
    return None


GRADING_TOOLS = ("otter", "nbgrader", "autograder")  # never needed to grade; never run
_COMPREHENSIONS = ("listcomp", "setcomp", "dictcomp", "genexpr")
_NEWLINE = re.compile(r"\r\n|\r|\n")  # the line breaks Python's tokenizer counts


@dataclass
class Unit:
    """One kept top-level statement, with where it came from and the ``__future__``
    features in force there."""

    source: str
    lineno: int
    label: str
    future: tuple = ()

    def wire(self):
        return {"source": self.source, "lineno": self.lineno, "label": self.label, "future": list(self.future)}


@dataclass(frozen=True)
class CallGraph:
    """Which of the submission's own top-level names each top-level name uses: a function
    (its body, defaults and decorators), a class (its body and methods), a lambda or a
    constant -> the functions, classes, lambdas and constants of the submission it reads."""

    edges: dict = field(default_factory=dict)  # name -> frozenset of names

    def callees(self, name):
        return self.edges.get(name, frozenset())

    def reaches(self, name):
        """Every name ``name`` uses, directly or through the others (not itself)."""
        return frozenset(self._routes(name)) - {name}

    def route(self, start, goal):
        """The names from ``start`` to ``goal`` along the uses, both ends included; () if
        ``start`` does not use ``goal``."""
        previous = self._routes(start)
        if goal == start or goal not in previous:
            return ()
        path = [goal]
        while path[-1] != start:
            path.append(previous[path[-1]])
        return tuple(reversed(path))

    def _routes(self, start):
        previous, queue = {start: None}, deque([start])
        while queue:
            name = queue.popleft()
            for callee in sorted(self.callees(name)):
                if callee not in previous:
                    previous[callee] = name
                    queue.append(callee)
        return previous


@dataclass(frozen=True)
class ReturnLine:
    """Where a function returns its value, when it has exactly one `return` of its own."""

    location: str  # "line 57", or "cell 4, line 3" in a notebook
    text: str  # the student's line, stripped and cut to 100 characters


@dataclass
class Parsed:
    filename: str  # the name the worker compiles under (tracebacks point here)
    source: str  # the whole program text (a notebook's code cells joined)
    units: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # (label, reason) of statements not run
    problems: list = field(default_factory=list)  # (label, message): cells that do not parse, etc.
    main_blocks: int = 0  # `if __name__ == "__main__":` blocks, skipped as intended
    fatal: str = None  # the submission cannot be graded at all
    calls: CallGraph = field(default_factory=CallGraph)
    returns: dict = field(default_factory=dict)  # function name -> ReturnLine, when it has one `return`


class SubmissionError(UserError, ValueError):
    pass


# --- reading the file: a regular file, never a link -----------------------------------------


def check_regular_file(path):
    """Raise SubmissionError unless ``path`` is a regular file (a symbolic link is refused,
    not followed). For a quick check before grading; ``read_regular_file`` is the safe read."""
    path = Path(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise SubmissionError(f"{path} does not exist") from None
    except OSError as err:
        raise SubmissionError(f"{path} cannot be read ({err.strerror})") from None
    _require_regular(path, info.st_mode)
    return path


def read_regular_file(path, limit=MAX_SOURCE_BYTES):
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    Opened without following a symbolic link (O_NOFOLLOW) and without blocking on a FIFO,
    then checked on the open file (fstat), so a file swapped for a link meanwhile is refused
    too. Raises SubmissionError with a message for the student."""
    path = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise SubmissionError(f"{path} does not exist") from None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise SubmissionError(_LINK_MESSAGE.format(name=path.name)) from None
        raise SubmissionError(f"{path.name} cannot be read ({err.strerror})") from None
    try:
        info = os.fstat(fd)
        _require_regular(path, info.st_mode)
        if info.st_size > limit:
            raise SubmissionError(f"{path.name} is {info.st_size} bytes; submissions are limited to {limit}")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise SubmissionError(f"{path.name} is more than {limit} bytes; submissions are limited to {limit}")
        return b"".join(chunks)
    finally:
        os.close(fd)


_LINK_MESSAGE = "{name} is a symbolic link; submit the file itself (links are never followed)"


def _require_regular(path, mode):
    if stat.S_ISLNK(mode):
        raise SubmissionError(_LINK_MESSAGE.format(name=path.name))
    if stat.S_ISDIR(mode):
        raise SubmissionError(f"{path} is a folder, not a file")
    if not stat.S_ISREG(mode):
        raise SubmissionError(f"{path.name} is not a regular file")


def read_submission(path, graded=()):
    """Parse the file at ``path``; raises SubmissionError for input that cannot be graded.
    ``graded``: the names of the functions the grader will call (the homework's names)."""
    path = Path(path)
    if path.suffix not in (".py", ".ipynb"):
        raise SubmissionError(f"{path.name}: submissions are .py or .ipynb files")
    raw = read_regular_file(path, MAX_NOTEBOOK_BYTES if path.suffix == ".ipynb" else MAX_SOURCE_BYTES)
    try:
        text = raw.decode("utf-8-sig")  # an editor's byte-order mark is not code
    except UnicodeDecodeError:
        raise SubmissionError(f"{path.name} is not UTF-8 text") from None
    try:
        if path.suffix == ".ipynb":
            return parse_notebook(text, path.name, graded)
        return parse_python(text, path.name, graded)
    except SubmissionError:
        raise
    except (RecursionError, MemoryError) as err:
        raise SubmissionError(f"{path.name} cannot be read: it is nested too deeply or too large ({type(err).__name__})") from None
    except Exception as err:  # noqa: BLE001 - whatever the file holds, the answer is a message
        raise SubmissionError(f"{path.name} cannot be read ({type(err).__name__})") from None


def pick_file(folder, module=None):
    """The file to grade among a submission folder's files: ``module``.py, else
    ``module``.ipynb, else the only .py/.ipynb (``module``: the homework's module name, or
    None). Returns (path, None) or (None, why not).

    A folder holding a symbolic link anywhere is refused; links are never followed."""
    folder = Path(folder)
    try:
        info = os.lstat(folder)
    except OSError:
        return None, f"{folder} does not exist"
    if stat.S_ISLNK(info.st_mode):
        return None, f"the submission folder {folder.name} is a symbolic link; links are never followed"
    if not stat.S_ISDIR(info.st_mode):
        return None, f"{folder} is not a folder"
    candidates = []
    for top, dirs, files in os.walk(folder, followlinks=False):
        for name in sorted(dirs) + sorted(files):
            entry = Path(top) / name
            try:
                mode = os.lstat(entry).st_mode
            except OSError:
                continue
            if stat.S_ISLNK(mode):
                inside = entry.relative_to(folder)
                return None, f"the submission holds a symbolic link ({inside}); submit regular files only (links are never followed)"
            if stat.S_ISREG(mode) and entry.suffix in (".py", ".ipynb"):
                candidates.append(entry)
    candidates.sort()
    wanted = (f"{module}.py", f"{module}.ipynb") if module else ()
    for name in wanted:
        named = [p for p in candidates if p.name == name]
        if named:
            return named[0], None
    if len(candidates) == 1:
        return candidates[0], None
    expected = f"{wanted[0]} or {wanted[1]}" if wanted else "a .py or .ipynb file"
    if not candidates:
        return None, f"no {expected} was submitted (no .py or .ipynb file at all)"
    if not wanted:
        return None, f"{len(candidates)} .py/.ipynb files were submitted; submit only one"
    return None, f"{len(candidates)} .py/.ipynb files were submitted and none is named {expected}"


# --- parsing ---------------------------------------------------------------------------------


def parse_python(text, filename="submission.py", graded=()):
    parsed = Parsed(filename=filename, source=text)
    parsed.fatal = _too_much_code(len(text), text.count("\n") + text.count(";") + 1, filename)
    if parsed.fatal:
        return parsed
    try:
        tree = ast.parse(text, filename=filename)
    except SyntaxError as err:
        parsed.fatal = f"{filename} does not parse: {err.msg} (line {err.lineno})"
        if err.text:  # the submission's own line: the text parsed is the file given
            parsed.fatal += f": {err.text.strip()[:120]}"
        return parsed
    except (ValueError, RecursionError, MemoryError) as err:
        parsed.fatal = f"{filename} cannot be parsed: {type(err).__name__}"
        return parsed
    lines = _NEWLINE.split(text)
    _choose(parsed, [(node, lines, 0, "") for node in tree.body], graded)
    return parsed


def _strip_magics(cell_source):
    """Drop IPython-only lines (%magic, !shell); a %%cell magic skips the whole cell."""
    lines = _NEWLINE.split(cell_source)
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


def _cell_text(source):
    """A cell's source as text, or None if it is neither a string nor a list of strings."""
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(piece, str) for piece in source):
        return "".join(source)
    return None


def parse_notebook(raw, filename="submission.ipynb", graded=()):
    """Code cells in order; each cell is parsed on its own, so one bad cell skips only itself.

    The worker sees one program: the code cells joined (a blank line between two cells), so
    tracebacks name a line of that program; labels say which cell each statement came from.
    """
    parsed = Parsed(filename=filename, source="")
    try:
        notebook = json.loads(raw)
        cells = notebook["cells"]
        if not isinstance(cells, list):
            raise TypeError
    except RecursionError:
        parsed.fatal = f"{filename} is not a notebook the grader can read: its JSON is nested too deeply"
        return parsed
    except (ValueError, KeyError, TypeError, IndexError, MemoryError):
        parsed.fatal = f"{filename} is not a valid Jupyter notebook (its JSON has no list of cells)"
        return parsed
    program, statements, code_chars, code_statements = [], [], 0, 0
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        where = f"cell {index + 1}"
        source = _cell_text(cell.get("source", ""))
        if source is None:
            parsed.problems.append((where, f"its source is {_kind_of(cell.get('source'))}, not text: the cell is skipped"))
            continue
        code_chars += len(source)
        code_statements += source.count("\n") + source.count(";") + 1
        parsed.fatal = _too_much_code(code_chars, code_statements, filename)
        if parsed.fatal:
            return parsed
        text, _ = _strip_magics(source)
        if text is None:
            parsed.skipped.append((where, "a %% cell magic"))
            continue
        try:
            tree = ast.parse(text)
        except SyntaxError as err:
            parsed.problems.append((where, f"does not parse: {err.msg} (line {err.lineno} of the cell)"))
            continue
        except (ValueError, RecursionError, MemoryError) as err:
            parsed.problems.append((where, f"cannot be parsed: {type(err).__name__}"))
            continue
        lines = _NEWLINE.split(text)
        offset = len(program)
        statements += [(node, lines, offset, f"{where}, ") for node in tree.body]
        program += lines
        program.append("")  # a blank line between cells
    parsed.source = "\n".join(program)
    _choose(parsed, statements, graded)
    return parsed


def _kind_of(value):
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list holding something other than strings"
    return f"a JSON {type(value).__name__}"


# --- which statements run --------------------------------------------------------------------


@dataclass
class _Statement:
    """What the analysis knows about one top-level statement."""

    node: ast.stmt
    source: str
    lineno: int  # in the program the worker sees
    label: str
    first_line: str
    future: tuple
    verdict: str  # "keep" (always), "soft" (a call-free assignment), "candidate" (kept when needed), "main", "tool"
    start: int = 0  # its first line, in its file or cell (the number its label gives)
    reason: str = ""  # why a candidate or tool statement is not run
    binds: frozenset = frozenset()  # top-level names it binds
    touches: frozenset = frozenset()  # top-level names it changes in place (x[...] = ..., x.append(...))
    now: frozenset = frozenset()  # names read when the statement runs
    later: frozenset = frozenset()  # names read when what it defines is called


def _choose(parsed, located, graded):
    """Classify each statement, keep what the graded functions need, fill ``parsed``."""
    statements = _describe_all(located)
    kept, reasons = _needed(statements, graded)
    for index, statement in enumerate(statements):
        if index in kept:
            parsed.units.append(Unit(statement.source, statement.lineno, statement.label, statement.future))
        elif statement.verdict == "main":
            parsed.main_blocks += 1
        else:
            parsed.skipped.append((statement.label, f"{reasons[index]}: {statement.first_line}"))
    parsed.calls = _call_graph(statements, graded)
    parsed.returns = _return_lines(statements[index] for index in sorted(kept))


def _return_lines(statements):
    """name -> ReturnLine for the kept functions with exactly one `return` of their own
    (those of nested functions, lambdas and classes aside); the last definition wins."""
    found = {}
    for statement in statements:
        node = statement.node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        returns = [n for n in _own_nodes(node) if isinstance(n, ast.Return) and n.value is not None]
        found[node.name] = None
        if len(returns) == 1:
            prefix = statement.label[: -len(f"line {statement.start}")]
            text = statement.source.splitlines()[returns[0].lineno - statement.start].strip()
            found[node.name] = ReturnLine(f"{prefix}line {returns[0].lineno}", text if len(text) <= 100 else text[:97] + "...")
    return {name: where for name, where in found.items() if where is not None}


def _own_nodes(function):
    """The nodes of a function's body, without those of the functions, lambdas and classes
    defined inside it."""
    stack = list(function.body)
    while stack:
        node = stack.pop()
        yield node
        stack.extend(c for c in ast.iter_child_nodes(node) if not isinstance(c, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)))


def _describe_all(located):
    statements, future, tools = [], set(), {}
    for node, lines, offset, prefix in located:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__" and not node.level:
            future |= {alias.name for alias in node.names}
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", ())])
        source = _segment(lines, node, start)
        first = source.split("\n", 1)[0].strip()[:80]
        deferred = "annotations" in future
        statement = _Statement(node, source, start + offset, f"{prefix}line {start}", first, tuple(sorted(future)), "keep", start=start)
        tool = _tool_statement(node, tools)
        if _is_main_guard(node):
            statement.verdict = "main"
        elif tool:
            statement.verdict, statement.reason = "tool", f"only sets up a grading tool ({tool}), which grading does not need"
        elif not _definitional(node, deferred):
            statement.verdict, statement.reason = "candidate", _what(node, deferred)
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            statement.verdict = "soft"
        if statement.verdict in ("keep", "soft", "candidate"):
            statement.binds, statement.now, statement.later = _names(node, source, deferred)
            if statement.verdict != "keep":  # a definition changes nothing when it runs
                statement.touches = frozenset(_touched(node))
        statements.append(statement)
    return statements


def _needed(statements, graded):
    """(indices of the statements to run, why each other one is not run).

    Run: the always-kept statements; every candidate that binds or changes a name read by a
    graded function or by anything run, transitively; and each assignment that calls
    nothing (a constant, a lambda) unless it reads the result of a statement not run."""
    binders, data = {}, set()
    for index, statement in enumerate(statements):
        for name in statement.binds:
            binders.setdefault(name, []).append(index)
        if not isinstance(statement.node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            data |= statement.binds
    kept = {index for index, statement in enumerate(statements) if statement.verdict == "keep"}
    needed = set(graded)
    for index in kept:
        needed |= statements[index].now
    expanded = set()
    changed = True
    while changed:
        changed = False
        for name in list(needed):
            for index in binders.get(name, ()):
                if index in kept and index not in expanded:
                    expanded.add(index)
                    if statements[index].later - needed:
                        needed |= statements[index].later
                        changed = True
        for index, statement in enumerate(statements):
            if statement.verdict in ("candidate", "soft") and index not in kept and (statement.binds | (statement.touches & data)) & needed:
                kept.add(index)
                needed |= statement.now
                changed = True
    reasons = {}
    for index, statement in enumerate(statements):
        if index in kept or statement.verdict == "main":
            continue
        if statement.verdict == "soft":
            missing = sorted(n for n in statement.now if n in binders and not any(i in kept for i in binders[n]))
            if not missing:
                kept.add(index)  # a constant nothing needs: harmless, run as an import would
                continue
            reasons[index] = f"an assignment that reads {', '.join(missing[:3])}, which {'is' if len(missing) == 1 else 'are'} not run"
        elif statement.verdict == "tool":
            reasons[index] = statement.reason
        else:
            reasons[index] = f"{statement.reason} whose result no graded function uses"
    return kept, reasons


def _call_graph(statements, graded):
    """Top-level name -> the submission's own top-level names it uses (imports excluded),
    and the graded names it uses, defined or not."""
    nodes = set(graded)
    for statement in statements:
        if statement.verdict in ("keep", "soft", "candidate") and not isinstance(statement.node, (ast.Import, ast.ImportFrom)):
            nodes |= statement.binds
    edges = {}
    for statement in statements:
        if statement.verdict not in ("keep", "soft", "candidate"):
            continue
        uses = (statement.now | statement.later) & nodes
        for name in statement.binds & nodes:
            edges[name] = edges.get(name, frozenset()) | (uses - {name})
    return CallGraph(edges)


def _segment(lines, node, start):
    """The statement's own text: from its first decorator (or its first character, which is
    not at the line's start after a `;`) to its last character."""
    first = start - 1
    last = node.end_lineno - 1
    chunk = [line.encode("utf-8") for line in lines[first : last + 1]]
    if not chunk:
        return ""
    start_col = node.col_offset if start == node.lineno else 0
    if len(chunk) == 1:
        return chunk[0][start_col : node.end_col_offset].decode("utf-8", "replace")
    chunk[0] = chunk[0][start_col:]
    chunk[-1] = chunk[-1][: node.end_col_offset]
    return "\n".join(piece.decode("utf-8", "replace") for piece in chunk)


def _is_main_guard(node):
    if not isinstance(node, ast.If):
        return False
    test = node.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    mains = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return len(names) == 1 and len(mains) == 1


def _calls(node, deferred=False):
    """Does running ``node`` call anything? A lambda's body runs only when the lambda is
    called; its defaults run now. With ``deferred`` annotations, annotations never run."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(current, ast.Lambda):
            stack += [d for d in current.args.defaults + current.args.kw_defaults if d is not None]
            continue
        if isinstance(current, ast.AnnAssign) and deferred:
            stack += [current.target] + ([current.value] if current.value is not None else [])
            continue
        stack += ast.iter_child_nodes(current)
    return False


def _definitional(node, deferred):
    """Statements an import runs that do no work: always kept."""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Pass)):
        return True
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        return not _calls(node, deferred)
    if isinstance(node, ast.Expr):
        return isinstance(node.value, ast.Constant)  # a docstring
    if isinstance(node, ast.If):
        return not _calls(node.test) and all(_definitional(n, deferred) for n in node.body + node.orelse)
    if isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
        handlers_ok = all(
            (h.type is None or not _calls(h.type)) and all(_definitional(n, deferred) for n in h.body) for h in node.handlers
        )
        return handlers_ok and all(_definitional(n, deferred) for n in node.body + node.orelse + node.finalbody)
    return False


def _what(node, deferred):
    if isinstance(node, (ast.For, ast.While, ast.AsyncFor)):
        return "a loop"
    if isinstance(node, ast.AnnAssign) and node.value is None:
        return "a top-level annotation that calls something"
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        return "an assignment that calls a function"
    if isinstance(node, ast.Expr):
        return "an expression statement (a call, print or plot)"
    return f"a top-level {type(node).__name__} statement"


def _names(node, source, deferred):
    """(names bound, names read when the statement runs, names read later, when what it
    defines is called), from the statement's symbol table."""
    try:
        prefix = "from __future__ import annotations\n" if deferred else ""
        table = symtable.symtable(prefix + source, "<statement>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _names_roughly(node)
    binds = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    if deferred:
        binds.discard("annotations")
    now = {s.get_name() for s in table.get_symbols() if s.is_referenced()}
    later = set()
    for child in table.get_children():
        _reads(child, now, later, True)
    return frozenset(binds), frozenset(now), frozenset(later)


def _reads(table, now, later, runs_now):
    """Add the module-level names read in ``table`` and its children to ``now`` (read when
    the statement runs: class bodies, comprehensions) or ``later`` (function and lambda
    bodies, read when called)."""
    kind = str(table.get_type()).lower()
    if kind == "function" and table.get_name() not in _COMPREHENSIONS:
        runs_now = False
    elif kind not in ("function", "class"):
        runs_now = False  # annotation and type-parameter scopes of newer Pythons: evaluated lazily
    target = now if runs_now else later
    target |= {s.get_name() for s in table.get_symbols() if s.is_referenced() and s.is_global()}
    for child in table.get_children():
        _reads(child, now, later, runs_now)


def _names_roughly(node):
    """The same from the syntax tree alone, when the symbol table cannot be built."""
    binds, reads = set(), set()
    for current in ast.walk(node):
        if isinstance(current, ast.Name):
            (reads if isinstance(current.ctx, ast.Load) else binds).add(current.id)
        elif isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            binds.add(current.name)
        elif isinstance(current, (ast.Import, ast.ImportFrom)):
            binds |= {(a.asname or a.name).split(".")[0] for a in current.names}
    return frozenset(binds), frozenset(reads), frozenset()


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _touched(node):
    """Names changed in place: ``x[i] = ...``, ``x.attr = ...``, ``del x[i]``, ``x.append(...)``."""
    touched = set()
    for current in ast.walk(node):
        if isinstance(current, (ast.Attribute, ast.Subscript)) and isinstance(current.ctx, (ast.Store, ast.Del)):
            touched.add(_root(current))
        elif isinstance(current, ast.Call) and isinstance(current.func, ast.Attribute):
            touched.add(_root(current.func))
    touched.discard(None)
    return touched


def _tool_statement(node, tools):
    """The grading tool a statement only imports or sets up (``import otter``, ``grader =
    otter.Notebook()``, ``grader.check("q1")``), else None. ``tools`` maps the names bound
    so far to a tool to their tool, and learns the names this statement binds."""
    if isinstance(node, ast.Import):
        roots = {alias.name.split(".")[0] for alias in node.names}
        if roots and roots <= set(GRADING_TOOLS):
            for alias in node.names:
                tools[alias.asname or alias.name.split(".")[0]] = alias.name.split(".")[0]
            return sorted(roots)[0]
        return None
    if isinstance(node, ast.ImportFrom):
        root = (node.module or "").split(".")[0]
        if node.level == 0 and root in GRADING_TOOLS:
            for alias in node.names:
                tools[alias.asname or alias.name] = root
            return root
        return None
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr)):
        if not tools:
            return None
        value = node.value
        used = [tools[n.id] for n in ast.walk(value) if isinstance(n, ast.Name) and n.id in tools] if value is not None else []
        if not used:
            return None
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        for target in targets:
            for n in ast.walk(target) if target is not None else ():
                if isinstance(n, ast.Name):
                    tools[n.id] = used[0]
        return used[0]
    if isinstance(node, (ast.If, ast.Try, ast.With)):
        inner = list(node.body) + list(getattr(node, "orelse", [])) + list(getattr(node, "finalbody", []))
        for handler in getattr(node, "handlers", []):
            inner += handler.body
        found = [_tool_statement(n, tools) if not isinstance(n, ast.Pass) else "" for n in inner]
        named = [f for f in found if f]
        if named and all(f is not None for f in found):
            return named[0]
    return None
