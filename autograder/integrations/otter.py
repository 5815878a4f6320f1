"""``autograder export otter --assignment NAME``: an otter-grader assignment built from
solutions/NAME/.

Writes OUT/NAME.ipynb, a master notebook in otter's assign format (v1, raw-cell
delimiters), with one question per graded function. Each question's tests call this
engine's checks in the kernel (autograder.inkernel), so otter users get the same cases, checks
and diagnoses: a public test with the public checks, and a hidden one with the hidden tests,
whose failure message is our report. Also written: OUT/data (the MNIST files, shipped to
students), and, shipped in the autograder zip only, OUT/autograder_course (the homework's
folder: reference, spec, known mistakes, grading config) and OUT/wheels (the student wheel
of this package for NAME, as ``export wheel`` builds it: the public tests need the
homework's spec without a course). Then, in OUT:

    otter assign NAME.ipynb dist
    otter run -a dist/autograder/NAME-autograder_*.zip submission.ipynb

The zip is self-contained: its environment.yml installs otter-grader and the wheel it carries
(``./files/wheels/...whl``, a path relative to environment.yml, which is where conda and mamba
run pip), so the environment otter and Gradescope build from the zip alone can grade. Its
Python version is the one that ran the export. The hidden tests' results (which carry the
diagnosis) are shown to students once grades are published, unless grading.toml's
[visibility] sets ``otter_show_hidden = false`` (otter's ``show_hidden``).

Cells that train networks or plot (those under ``if __name__ == "__main__":``) are tagged
``otter_ignore``: students run them, otter's grading skips them. otter scores a test case as
pass or fail, so a question earns its points only when the function passes every hidden check;
``autograder grade`` gives partial credit per check instead.

Isolation: otter runs the student's notebook and the tests in one Jupyter kernel process.
Our sandbox does not apply there; a submission can read the files next to it (the reference
included) and patch anything in its kernel. Use ``autograder grade`` where that matters.
"""

import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_raw_cell

from ..config import load_config
from ..release import homework_of
from .cells import copy_material, python_notebook, reference_cells
from .gradescope import build_student_wheel

CONFIG = """# ASSIGNMENT CONFIG
name: {name}
files:
  - data
autograder_files:
  - autograder_course
  - wheels
requirements: requirements.txt
python_version: "{python}"
generate:
  show_hidden: {show_hidden}
export_cell: false
check_all_cell: false
tests:
  ok_format: false
"""
WHEELS = "wheels"  # OUT/wheels, files/wheels in the autograder zip

TEST = '''""" # BEGIN TEST CONFIG
points: {points}
hidden: {hidden}
""" # END TEST CONFIG
def test_{name}_{kind}(env):
    from autograder.inkernel import require_function
    require_function("{name}", env{course}, homework="{homework}")
'''


def master_notebook(course, homework):
    files, spec = homework_of(course, homework)
    config = load_config(files.grading_config, spec)
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    show_hidden = "true" if config.visibility.otter_show_hidden else "false"
    cells = [new_raw_cell(CONFIG.format(name=spec.name, python=python, show_hidden=show_hidden))]
    for cell in reference_cells(files, spec):
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
                new_code_cell(TEST.format(points=0, hidden="false", name=name, kind="public", course="", homework=spec.name)),
                new_code_cell(TEST.format(points=f"{points:g}", hidden="true", name=name, kind="hidden", course=', course="autograder_course"', homework=spec.name)),
                new_raw_cell("# END TESTS"),
                new_raw_cell("# END QUESTION"),
            ]
    return python_notebook(cells)


def export(course, homework, out_dir, project_root=None):
    """Write the master notebook OUT/<name>.ipynb and what it ships with; returns its path."""
    files, spec = homework_of(course, homework)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    master = out_dir / f"{spec.name}.ipynb"
    nbformat.write(master_notebook(course, files), master)
    copy_material(course, files, out_dir / "data", out_dir / "autograder_course")
    wheels = out_dir / WHEELS
    shutil.rmtree(wheels, ignore_errors=True)
    wheels.mkdir()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_student_wheel(course, files, tmp, project_root)
        shutil.copyfile(wheel, wheels / wheel.name)
    # One pip requirement per line, added by otter to the zip's environment.yml.
    (out_dir / "requirements.txt").write_text(f"./files/{WHEELS}/{wheel.name}\n")
    return master
