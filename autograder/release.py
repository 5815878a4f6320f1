"""Build a homework's student release from its reference solution.

    solutions/<name>/<name>.py  --strip solution blocks-->  assignment/<name>/<name>.py
                                                            assignment/<name>/<name>.ipynb
                                                            assignment/<name>/README.md
                                                            assignment/<name>/data/ (the course's
                                                              data/: loader + MNIST, if it has one)

Code solution blocks are the lines between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` inside
a function body; each block becomes ``raise NotImplementedError(...)`` at the same
indentation. Solution-only markdown (explanations the solution notebook keeps and the release
must not show) is the lines of a markdown cell between ``# <!-- BEGIN SOLUTION -->`` and
``# <!-- END SOLUTION -->``; they are removed with their markers, and a markdown cell left
empty is removed whole. The stub is then parsed back and checked against the homework's
functions (``Homework.functions``) before anything is written.
"""

import ast
import re
import shutil
from importlib import resources
from pathlib import Path

import jupytext
import nbformat

from .errors import UserError

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
MARKDOWN_BEGIN = "# <!-- BEGIN SOLUTION -->"
MARKDOWN_END = "# <!-- END SOLUTION -->"
DATA_FILES = ("mnist.py", "SHA256SUMS")
# a comment line that looks like a markdown solution marker (checked against the exact forms)
_LOOKS_LIKE_MARKDOWN_MARKER = re.compile(r"^#.*(<!--.*\bSOLUTION\b|\bSOLUTION\b.*-->)")


class ReleaseError(UserError, ValueError):
    """The reference's markers are malformed, or the generated stub failed a check."""


class _MarkdownBlocks:
    """Solution-only markdown in a jupytext percent script, fed one line at a time.

    ``keep(number, line)`` says whether the line stays in the release; cells are tracked from
    their ``# %%`` headers, and a markdown cell whose every remaining line is blank once its
    solution lines are gone is dropped whole by ``close_cell``."""

    def __init__(self):
        self.markdown = False  # inside a markdown cell
        self.begun = None  # line number of the open block's BEGIN marker
        self.removed_in_cell = False
        self.header_at = None  # index in the output of the current cell's header

    def start_cell(self, line, out):
        self.close_cell(out)
        self.markdown = bool(re.match(r"# %%.*\[(markdown|md)\]", line))
        self.header_at = len(out)
        self.removed_in_cell = False

    def close_cell(self, out):
        if self.begun is not None:
            raise ReleaseError(f"line {self.begun}: {MARKDOWN_BEGIN} has no {MARKDOWN_END} in its markdown cell")
        if self.removed_in_cell and self.header_at is not None:
            if all(line.strip() in ("", "#") for line in out[self.header_at + 1 :]):
                del out[self.header_at :]

    def keep(self, number, line):
        marker = line.strip()
        if marker in (MARKDOWN_BEGIN, MARKDOWN_END) or _LOOKS_LIKE_MARKDOWN_MARKER.match(marker):
            if marker not in (MARKDOWN_BEGIN, MARKDOWN_END):
                raise ReleaseError(f"line {number}: malformed solution marker {marker!r}: write {MARKDOWN_BEGIN!r} or {MARKDOWN_END!r}")
            if not self.markdown:
                raise ReleaseError(f"line {number}: {marker} must be in a markdown cell")
            if marker == MARKDOWN_BEGIN:
                if self.begun is not None:
                    raise ReleaseError(f"line {number}: {MARKDOWN_BEGIN} inside another solution block")
                self.begun = number
            else:
                if self.begun is None:
                    raise ReleaseError(f"line {number}: {MARKDOWN_END} without a matching {MARKDOWN_BEGIN}")
                self.begun = None
            self.removed_in_cell = True
            return False
        return self.begun is None


def strip_solutions(source, code=True):
    """Replace every code solution block with a ``raise NotImplementedError`` line and remove
    every solution-only markdown block (``code=False``: the markdown ones only, for the
    otter and nbgrader exports, whose tools strip the code blocks themselves).

    Returns ``(stub_source, blocks)``, where ``blocks`` lists the removed lines of each code block.
    Line numbers in errors are the reference's.
    """
    out, blocks = [], []
    markdown = _MarkdownBlocks()
    block = None
    indent = ""
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        marker = line.strip()
        if line.startswith("# %%"):
            markdown.start_cell(line, out)
        if not markdown.keep(number, line):
            continue
        if not code:
            out.append(line)
        elif marker == BEGIN:
            if block is not None:
                raise ReleaseError(f"line {number}: {BEGIN} inside another solution block")
            indent = line[: len(line) - len(line.lstrip())]
            if not indent:
                raise ReleaseError(f"line {number}: {BEGIN} must be inside a function body")
            block = []
        elif marker == END:
            if block is None:
                raise ReleaseError(f"line {number}: {END} without a matching {BEGIN}")
            if line[: len(line) - len(line.lstrip())] != indent:
                raise ReleaseError(f"line {number}: {END} is not indented like its {BEGIN}")
            blocks.append(block)
            out.append(f'{indent}raise NotImplementedError("replace this line with your code")\n')
            block = None
        elif block is not None:
            block.append(line)
        else:
            out.append(line)
    if block is not None:
        raise ReleaseError(f"{BEGIN} at the end of the file has no {END}")
    markdown.close_cell(out)
    return "".join(out), blocks


def strip_markdown_solutions(source):
    """The reference without its solution-only markdown (code solution blocks kept)."""
    return strip_solutions(source, code=False)[0]


def _signature(node):
    args = node.args
    names = [a.arg for a in args.posonlyargs + args.args]
    return names, names[len(names) - len(args.defaults) :]


def _required(function):
    return [p for p in function.params if p not in function.defaults]


def check_stub(stub_source, solution_source, homework):
    """Raise ReleaseError unless the stub defines every function of ``homework`` with the
    reference's signature (parameters as the spec's ``params``, defaulted ones as its
    ``defaults``), each body being a docstring and one ``raise NotImplementedError``, and no
    solution marker text is left."""
    for marker in (BEGIN, END, "<!-- BEGIN SOLUTION", "END SOLUTION -->"):
        if marker in stub_source:
            raise ReleaseError(f"the stub still contains {marker!r}")
    try:
        stub_tree = ast.parse(stub_source)
    except SyntaxError as err:
        raise ReleaseError(f"the stub does not parse: {err}") from None
    stub_defs = {n.name: n for n in stub_tree.body if isinstance(n, ast.FunctionDef)}
    ref_defs = {n.name: n for n in ast.parse(solution_source).body if isinstance(n, ast.FunctionDef)}
    for function in homework.functions:
        node = stub_defs.get(function.name)
        if node is None:
            raise ReleaseError(f"the stub does not define {function.name}")
        if function.name not in ref_defs:
            raise ReleaseError(f"the reference does not define {function.name}")
        names, defaulted = _signature(node)
        if (names, defaulted) != _signature(ref_defs[function.name]):
            raise ReleaseError(f"{function.name}: the stub's signature differs from the reference's")
        if names != list(function.params):
            raise ReleaseError(f"{function.name}: parameters {names} differ from the spec's {list(function.params)}")
        if sorted(defaulted) != sorted(function.defaults):
            raise ReleaseError(f"{function.name}: parameters with defaults {defaulted} differ from the spec's {sorted(function.defaults)}")
        body = node.body
        has_doc = isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant)
        rest = body[1:] if has_doc else body
        if not has_doc:
            raise ReleaseError(f"{function.name}: the stub lost its docstring")
        if len(rest) != 1 or not _raises_not_implemented(rest[0]):
            raise ReleaseError(f"{function.name}: the stub body is not a single raise NotImplementedError")


def _raises_not_implemented(node):
    if not isinstance(node, ast.Raise) or node.exc is None:
        return False
    target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    return isinstance(target, ast.Name) and target.id == "NotImplementedError"


def check_stub_fails_cleanly(stub_source, homework):
    """Run the stub's definitions (not its __main__ cells) and call every function of the
    homework: each must raise NotImplementedError and nothing else."""
    namespace = {"__name__": f"{homework.name}_stub"}
    exec(compile(stub_source, f"{homework.name}.py", "exec"), namespace)
    for function in homework.functions:
        try:
            namespace[function.name](*[None] * len(_required(function)))
        except NotImplementedError:
            continue
        except Exception as err:  # noqa: BLE001 - any other outcome is a broken stub
            raise ReleaseError(f"{function.name}: the stub raised {type(err).__name__}, not NotImplementedError") from None
        raise ReleaseError(f"{function.name}: the stub returned instead of raising NotImplementedError")


def percent_to_notebook(source):
    """A clean nbformat notebook from a jupytext percent script: no outputs, stable cell ids."""
    notebook = jupytext.reads(source, fmt="py:percent")
    for number, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{number:02d}"
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    notebook.metadata.pop("jupytext", None)
    nbformat.validate(notebook)
    return notebook


def release_readme(name, title=None):
    """The release's README.md: the template with the homework's name and title filled in."""
    text = resources.files("autograder").joinpath("templates/release_README.md").read_text()
    return text.replace("{title}", title or name).replace("{name}", name)


def notebook_title(notebook):
    """The text of the notebook's first markdown heading, if it has one."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return None


def homework_of(course, homework):
    """``(files, spec)``: the course's HomeworkFiles and the loaded Homework, for a homework
    given by name, as its HomeworkFiles, or as None (the course's only homework)."""
    from .spec import load_homework

    files = course.pick(homework) if homework is None or isinstance(homework, str) else homework
    return files, load_homework(files.folder)


def build_release(course, homework, out_dir=None):
    """Write the release of ``homework`` (a name) into ``out_dir`` (default: the course's
    assignment/<name>/).

    Returns the list of files written. Nothing is written if a check fails.
    """
    files, spec = homework_of(course, homework)
    out_dir = Path(out_dir) if out_dir is not None else files.release_dir
    solution_source = files.reference.read_text()
    stub_source, blocks = strip_solutions(solution_source)
    if len(blocks) < len(spec.functions):
        raise ReleaseError(
            f"the reference has {len(blocks)} solution blocks; every one of the "
            f"{len(spec.functions)} graded functions needs one"
        )
    check_stub(stub_source, solution_source, spec)
    check_stub_fails_cleanly(stub_source, spec)
    notebook = percent_to_notebook(stub_source)

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []

    def write(relative, text):
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)

    write(f"{spec.name}.py", stub_source)
    write(f"{spec.name}.ipynb", nbformat.writes(notebook) + "\n")
    write("README.md", release_readme(spec.name, notebook_title(notebook)))
    if not (course.data_dir / "SHA256SUMS").is_file():
        return written  # a course without shipped data (a new one)
    data_out = out_dir / "data"
    data_out.mkdir(exist_ok=True)
    checksums = (course.data_dir / "SHA256SUMS").read_text()
    names = list(DATA_FILES) + [line.split("  ", 1)[1] for line in checksums.splitlines() if "  " in line]
    for name in names:
        source = course.data_dir / name
        target = data_out / name
        if not target.exists() or target.read_bytes() != source.read_bytes():
            shutil.copyfile(source, target)
        written.append(target)
    return written
