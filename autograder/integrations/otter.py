"""``autograder export otter``: an otter-grader assignment built from solutions/.

Writes OUT/backprop.ipynb, a master notebook in otter's assign format (v1, raw-cell
delimiters), with one question per contract function. Each question's tests call this
engine's checks in the kernel (autograder.inkernel), so otter users get the same cases, checks
and diagnoses: a public test with the public checks, and a hidden one with the hidden tests,
whose failure message is our report. Also written: OUT/data (the MNIST files, shipped to
students) and OUT/autograder_course (the reference and grading config, shipped in the
autograder zip only). Then, in OUT:

    otter assign backprop.ipynb dist
    otter run -a dist/autograder/backprop-autograder_*.zip submission.ipynb

Cells that train networks or plot (those under ``if __name__ == "__main__":``) are tagged
``otter_ignore``: students run them, otter's grading skips them. otter scores a test case as
pass or fail, so a question earns its points only when the function passes every hidden check;
``autograder grade`` gives partial credit per check instead.

Isolation: otter runs the student's notebook and the tests in one Jupyter kernel process.
Our sandbox does not apply there; a submission can read the files next to it (the reference
included) and patch anything in its kernel. Use ``autograder grade`` where that matters.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_raw_cell

from ..config import load_config
from .cells import copy_material, python_notebook, reference_cells

CONFIG = """# ASSIGNMENT CONFIG
name: backprop
files:
  - data
autograder_files:
  - autograder_course
export_cell: false
check_all_cell: false
tests:
  ok_format: false
"""

TEST = '''""" # BEGIN TEST CONFIG
points: {points}
hidden: {hidden}
""" # END TEST CONFIG
def test_{name}_{kind}(env):
    from autograder.inkernel import require_function
    require_function("{name}", env{course})
'''


def master_notebook(course):
    config = load_config(course.grading_config)
    cells = [new_raw_cell(CONFIG)]
    for cell in reference_cells(course):
        if cell.kind == "markdown":
            cells.append(new_markdown_cell(cell.source))
        elif cell.function is None:
            code = new_code_cell(cell.source)
            if cell.experiment:
                code.metadata["tags"] = ["otter_ignore"]
            cells.append(code)
        else:
            name = cell.function
            points = config.points[name]
            cells += [
                new_raw_cell(f"# BEGIN QUESTION\nname: {name}\npoints: {points:g}"),
                new_raw_cell("# BEGIN SOLUTION"),
                new_code_cell(cell.source),
                new_raw_cell("# END SOLUTION"),
                new_raw_cell("# BEGIN TESTS"),
                new_code_cell(TEST.format(points=0, hidden="false", name=name, kind="public", course="")),
                new_code_cell(TEST.format(points=f"{points:g}", hidden="true", name=name, kind="hidden", course=', course="autograder_course"')),
                new_raw_cell("# END TESTS"),
                new_raw_cell("# END QUESTION"),
            ]
    return python_notebook(cells)


def export(course, out_dir):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    master = out_dir / "backprop.ipynb"
    nbformat.write(master_notebook(course), master)
    copy_material(course, out_dir / "data", out_dir / "autograder_course")
    return master
