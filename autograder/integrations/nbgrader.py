"""``autograder export nbgrader --assignment NAME``: an nbgrader course folder built from
solutions/NAME/.

    OUT/nbgrader_config.py
    OUT/source/NAME/NAME.ipynb   solution cells, and a locked, autograded test cell
                                 after each graded function
    OUT/source/NAME/data/        the MNIST files (released with the notebook)
    OUT/autograder_course/       the homework's folder: reference, spec, known mistakes and
                                 grading config (never released)

Each test cell calls this engine's checks: the public checks in a student's notebook, the
hidden tests when nbgrader grades (nbgrader_config.py names the course folder in
AUTOGRADER_COURSE, which the kernel inherits). The hidden tests live in that folder, not in
the cell, so the cell is the same in the source, the release and every submission: its
checksum holds and autograde has nothing to warn about. Its last line is the points earned,
which nbgrader reads as partial credit, so the gradebook holds the same per-function scores
as ``autograder grade``. The printed report (with the mistake and its fix) shows in the
feedback. Only the graded cells carry nbgrader metadata (solution, locked test, locked text);
the other code cells are plain cells that nbgrader leaves alone.

nbgrader runs ``alembic`` through PATH when it creates the gradebook; nbgrader_config.py puts
the running interpreter's folder first on PATH, so ``.venv/bin/nbgrader`` works from a shell
with no activated venv.

Cells under ``if __name__ == "__main__":`` (training, plots) also check that nbgrader is not
executing the notebook (it sets NBGRADER_EXECUTION), so autograding does not train networks.

Isolation: nbgrader runs the notebook and the test cells in one Jupyter kernel, so our sandbox
does not apply; see the README's security model.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

from ..config import load_config
from ..release import homework_of
from .cells import copy_material, guard_with, python_notebook, reference_cells

CONFIG = '''"""nbgrader settings for the {name} homework (written by `autograder export nbgrader`)."""
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
c = get_config()  # noqa: F821 - provided by nbgrader
c.CourseDirectory.root = str(HERE)
c.CourseDirectory.course_id = "{name}"
c.Execute.timeout = 120
# The test cells run the hidden tests when this is set: the reference and the grading config.
os.environ.setdefault("AUTOGRADER_COURSE", str(HERE / "autograder_course"))
# nbgrader starts `alembic` through PATH: use the one installed next to this nbgrader, so
# that `.venv/bin/nbgrader ...` works from a shell with no activated venv.
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
'''

TEST = """import os
from autograder.inkernel import check_function
# The public checks in your notebook; the hidden tests when nbgrader grades.
check_function("{name}", globals(), points={points:g}, course=os.environ.get("AUTOGRADER_COURSE"), homework="{homework}")"""

NOT_GRADING = '"NBGRADER_EXECUTION" not in os.environ'


def _metadata(grade_id, **fields):
    meta = {"grade": False, "grade_id": grade_id, "locked": False, "schema_version": 3, "solution": False, "task": False}
    meta.update(fields)
    return {"nbgrader": meta}


def source_notebook(course, homework):
    files, spec = homework_of(course, homework)
    config = load_config(files.grading_config, spec)
    cells = [new_code_cell("import os", metadata=_metadata("imports_os", locked=True))]
    for number, cell in enumerate(reference_cells(files, spec)):
        if cell.kind == "markdown":
            cells.append(new_markdown_cell(cell.source, metadata=_metadata(f"text_{number}", locked=True)))
        elif cell.function is None:
            # a plain cell: nbgrader metadata only on cells nbgrader tracks
            cells.append(new_code_cell(guard_with(cell.source, NOT_GRADING) if cell.experiment else cell.source))
        else:
            name = cell.function
            points = config.points[name]
            cells.append(new_code_cell(cell.source, metadata=_metadata(f"{name}_solution", solution=True)))
            cells.append(
                new_code_cell(TEST.format(name=name, points=points, homework=spec.name), metadata=_metadata(f"{name}_test", grade=True, locked=True, points=points))
            )
    return python_notebook(cells)


def export(course, homework, out_dir):
    """Write the nbgrader course folder ``out_dir`` for ``homework``; returns ``out_dir``."""
    files, spec = homework_of(course, homework)
    out_dir = Path(out_dir)
    source = out_dir / "source" / spec.name
    source.mkdir(parents=True, exist_ok=True)
    (out_dir / "nbgrader_config.py").write_text(CONFIG.replace("{name}", spec.name))
    nbformat.write(source_notebook(course, files), source / f"{spec.name}.ipynb")
    copy_material(course, files, source / "data", out_dir / "autograder_course")
    return out_dir
