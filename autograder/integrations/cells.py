"""A homework's reference notebook as a list of cells, one graded function per code cell.

otter-grader and nbgrader both attach tests to cells: a question (otter) or a graded cell
(nbgrader) per function. A reference may keep related functions together in one cell; this
module splits such cells at their top-level statements so each graded function stands alone,
keeping the rest (imports, helpers, experiments) in cells of their own, in the original order.
Solution-only markdown is removed here (those tools strip the code solution blocks
themselves, not our markdown ones).
"""

import ast
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import jupytext

from ..release import strip_markdown_solutions

MAIN_GUARD = 'if __name__ == "__main__":'


@dataclass
class Cell:
    kind: str  # "markdown" or "code"
    source: str
    function: str = None  # the graded function this code cell defines, if any

    @property
    def experiment(self):
        """A cell that only runs in a notebook: training, plots, public checks."""
        return self.kind == "code" and MAIN_GUARD in self.source


def reference_cells(files, homework):
    """The cells of the reference ``files.reference``, split per function of ``homework``."""
    notebook = jupytext.reads(strip_markdown_solutions(files.reference.read_text()), fmt="py:percent")
    cells = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cells.append(Cell("markdown", cell.source))
        elif cell.cell_type == "code":
            cells.extend(_split(cell.source, homework.names))
    return cells


def _split(source, graded):
    """Code cells from one cell's source: each graded function alone, other statements
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
        if isinstance(node, ast.FunctionDef) and node.name in graded:
            flush()
            flush(node.name, chunk)
        else:
            current.extend(chunk)
    flush()
    return pieces


def guard_with(source, condition):
    """Add ``and <condition>`` to the cell's ``if __name__ == "__main__":`` guards."""
    return re.sub(r'^if __name__ == "__main__":', f'if __name__ == "__main__" and {condition}:', source, flags=re.M)


def copy_material(course, files, data_target, grading_root):
    """Copy the MNIST files and loader to ``data_target``, and the homework's folder (reference,
    spec, known mistakes, grading config) to ``grading_root/solutions/<name>`` (the hidden
    tests' course folder)."""
    data_target = Path(data_target)
    data_target.mkdir(parents=True, exist_ok=True)
    for path in course.data_dir.iterdir() if course.data_dir.is_dir() else ():
        if path.is_file() and path.suffix in (".gz", ".py", "") and path.name != "make_train_subset.py":
            shutil.copyfile(path, data_target / path.name)
    copy_homework_folder(files, Path(grading_root) / "solutions" / files.name)


def copy_homework_folder(files, target):
    """The homework's source folder (its files and subfolders, no caches or hidden files)."""
    target = Path(target)
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(files.folder, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
    return target


def python_notebook(cells):
    """A notebook of ``cells`` for the standard python3 kernel."""
    from nbformat.v4 import new_notebook

    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook
