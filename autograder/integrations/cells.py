"""The reference notebook as a list of cells, one contract function per code cell.

otter-grader and nbgrader both attach tests to cells: a question (otter) or a graded cell
(nbgrader) per function. The reference keeps related functions together (sigmoid and
d_sigmoid share a cell); this module splits such cells at their top-level statements so each
contract function stands alone, keeping the rest (imports, helpers, experiments) in cells of
their own, in the original order.
"""

import ast
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import jupytext

from .. import contract

MAIN_GUARD = 'if __name__ == "__main__":'


@dataclass
class Cell:
    kind: str  # "markdown" or "code"
    source: str
    function: str = None  # the contract function this code cell defines, if any

    @property
    def experiment(self):
        """A cell that only runs in a notebook: training, plots, public checks."""
        return self.kind == "code" and MAIN_GUARD in self.source


def reference_cells(course):
    notebook = jupytext.read(course.solution, fmt="py:percent")
    cells = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cells.append(Cell("markdown", cell.source))
        elif cell.cell_type == "code":
            cells.extend(_split(cell.source))
    return cells


def _split(source):
    """Code cells from one cell's source: each contract function alone, other statements
    grouped in order. A statement's lines run up to the next statement's first line, so
    trailing comments (``# END SOLUTION``) stay with their function."""
    tree = ast.parse(source)
    lines = source.splitlines()
    starts = [min([n.lineno] + [d.lineno for d in getattr(n, "decorator_list", [])]) - 1 for n in tree.body]
    starts[:1] = [0]
    bounds = list(zip(starts, starts[1:] + [len(lines)]))
    pieces, current = [], []

    def flush(function=None, chunk=None):
        text = "\n".join(chunk if chunk is not None else current).strip("\n")
        if text:
            pieces.append(Cell("code", text, function))
        if chunk is None:
            current.clear()

    for node, (first, last) in zip(tree.body, bounds):
        chunk = lines[first:last]
        if isinstance(node, ast.FunctionDef) and node.name in contract.BY_NAME:
            flush()
            flush(node.name, chunk)
        else:
            current.extend(chunk)
    flush()
    return pieces


def guard_with(source, condition):
    """Add ``and <condition>`` to the cell's ``if __name__ == "__main__":`` guards."""
    return re.sub(r'^if __name__ == "__main__":', f'if __name__ == "__main__" and {condition}:', source, flags=re.M)


def copy_material(course, data_target, grading_root):
    """Copy the MNIST files and loader to ``data_target``, and the reference and grading
    config to ``grading_root/solutions`` (the hidden tests' course folder)."""
    data_target = Path(data_target)
    data_target.mkdir(parents=True, exist_ok=True)
    for path in course.data_dir.iterdir():
        if path.is_file() and path.suffix in (".gz", ".py", "") and path.name != "make_train_subset.py":
            shutil.copyfile(path, data_target / path.name)
    grading = Path(grading_root) / "solutions"
    grading.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(course.solution, grading / "backprop.py")
    shutil.copyfile(course.grading_config, grading / "grading.toml")


def python_notebook(cells):
    """A notebook of ``cells`` for the standard python3 kernel."""
    from nbformat.v4 import new_notebook

    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook
