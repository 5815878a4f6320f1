"""Build the student release from the reference solution.

    solutions/backprop.py  --strip solution blocks-->  assignment/backprop.py
                                                       assignment/backprop.ipynb
                                                       assignment/data/ (loader + MNIST)

Solution blocks are the lines between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` inside a
function body; each block becomes ``raise NotImplementedError(...)`` at the same indentation.
The stub is then parsed back and checked before anything is written.
"""

import ast
import shutil
from importlib import resources
from pathlib import Path

import jupytext
import nbformat

from . import contract
from .errors import UserError

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
DATA_FILES = ("mnist.py", "SHA256SUMS")


class ReleaseError(UserError, ValueError):
    """The reference's markers are malformed, or the generated stub failed a check."""


def strip_solutions(source):
    """Replace every solution block with a ``raise NotImplementedError`` line.

    Returns ``(stub_source, blocks)``, where ``blocks`` lists the removed lines of each block.
    """
    out, blocks = [], []
    block = None
    indent = ""
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        marker = line.strip()
        if marker == BEGIN:
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
    return "".join(out), blocks


def _signature(node):
    args = node.args
    return [a.arg for a in args.posonlyargs + args.args], len(args.defaults)


def check_stub(stub_source, solution_source):
    """Raise ReleaseError unless the stub defines every contract function with the
    reference's signature, each body being a docstring and one ``raise NotImplementedError``,
    and no solution marker text is left."""
    for marker in (BEGIN, END):
        if marker in stub_source:
            raise ReleaseError(f"the stub still contains {marker!r}")
    try:
        stub_tree = ast.parse(stub_source)
    except SyntaxError as err:
        raise ReleaseError(f"the stub does not parse: {err}") from None
    stub_defs = {n.name: n for n in stub_tree.body if isinstance(n, ast.FunctionDef)}
    ref_defs = {n.name: n for n in ast.parse(solution_source).body if isinstance(n, ast.FunctionDef)}
    for spec in contract.FUNCTIONS:
        node = stub_defs.get(spec.name)
        if node is None:
            raise ReleaseError(f"the stub does not define {spec.name}")
        if spec.name not in ref_defs:
            raise ReleaseError(f"the reference does not define {spec.name}")
        names, n_defaults = _signature(node)
        if (names, n_defaults) != _signature(ref_defs[spec.name]):
            raise ReleaseError(f"{spec.name}: the stub's signature differs from the reference's")
        if names != list(spec.params):
            raise ReleaseError(f"{spec.name}: parameters {names} differ from the contract's {list(spec.params)}")
        body = node.body
        has_doc = isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant)
        rest = body[1:] if has_doc else body
        if not has_doc:
            raise ReleaseError(f"{spec.name}: the stub lost its docstring")
        if len(rest) != 1 or not _raises_not_implemented(rest[0]):
            raise ReleaseError(f"{spec.name}: the stub body is not a single raise NotImplementedError")


def _raises_not_implemented(node):
    if not isinstance(node, ast.Raise) or node.exc is None:
        return False
    target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    return isinstance(target, ast.Name) and target.id == "NotImplementedError"


def check_stub_fails_cleanly(stub_source):
    """Run the stub's definitions (not its __main__ cells) and call every contract function:
    each must raise NotImplementedError and nothing else."""
    namespace = {"__name__": "backprop_stub"}
    exec(compile(stub_source, "backprop.py", "exec"), namespace)
    for spec in contract.FUNCTIONS:
        try:
            namespace[spec.name](*[None] * len(spec.required))
        except NotImplementedError:
            continue
        except Exception as err:  # noqa: BLE001 - any other outcome is a broken stub
            raise ReleaseError(f"{spec.name}: the stub raised {type(err).__name__}, not NotImplementedError") from None
        raise ReleaseError(f"{spec.name}: the stub returned instead of raising NotImplementedError")


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


def build_release(course, out_dir=None):
    """Write the release for ``course`` into ``out_dir`` (default: the course's assignment/).

    Returns the list of files written. Nothing is written if a check fails.
    """
    out_dir = Path(out_dir) if out_dir is not None else course.release_dir
    solution_source = course.solution.read_text()
    stub_source, blocks = strip_solutions(solution_source)
    if len(blocks) < len(contract.FUNCTIONS):
        raise ReleaseError(
            f"the reference has {len(blocks)} solution blocks; every one of the "
            f"{len(contract.FUNCTIONS)} contract functions needs one"
        )
    check_stub(stub_source, solution_source)
    check_stub_fails_cleanly(stub_source)
    notebook = percent_to_notebook(stub_source)

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []

    def write(relative, text):
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)

    write("backprop.py", stub_source)
    write("backprop.ipynb", nbformat.writes(notebook) + "\n")
    write("README.md", resources.files("autograder").joinpath("templates/release_README.md").read_text())
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
