import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from autograder.course import Course, HomeworkFiles  # noqa: E402
from autograder.reference import load_module  # noqa: E402

HOMEWORK = "backprop"  # the homework the per-function suites are written for
FAST_LIMITS = {"call_seconds": 2, "import_seconds": 2, "total_seconds": 60}


@pytest.fixture(scope="session")
def course():
    return Course(ROOT)


@pytest.fixture(scope="session")
def hw_files(course):
    """The backprop homework's files (solutions/backprop/, assignment/backprop/)."""
    return HomeworkFiles(HOMEWORK, course.solutions_dir / HOMEWORK, course.assignments_dir / HOMEWORK)


@pytest.fixture(scope="session")
def homework(hw_files):
    """The backprop homework's spec (spec.Homework, with its mistakes attached)."""
    from autograder.spec import load_homework

    return load_homework(hw_files.folder)


@pytest.fixture(scope="session")
def ref(hw_files):
    """The reference solution module (trusted instructor code)."""
    return load_module(hw_files.reference, "reference_under_test")


@pytest.fixture(scope="session")
def mnist(course):
    return load_module(course.data_dir / "mnist.py", "mnist_under_test")


@pytest.fixture(scope="session")
def hidden_config(hw_files, homework):
    from autograder.config import load_config

    return load_config(hw_files.grading_config, homework).with_limits(**FAST_LIMITS)


@pytest.fixture(scope="session")
def graders():
    """``graders(homework, mode)``: one grader per (homework, mode) for the whole session,
    built by the factory with short limits; its plan (cases, reference values, finite
    differences) is built once."""
    from autograder.factory import make_grader

    made = {}

    def get(name=HOMEWORK, mode="hidden"):
        if (name, mode) not in made:
            made[name, mode] = make_grader(ROOT, name, limits=FAST_LIMITS, mode=mode)
        return made[name, mode]

    yield get
    for grader in made.values():
        grader.close()


@pytest.fixture(scope="session")
def hidden_grader(graders):
    return graders(HOMEWORK, "hidden")


@pytest.fixture(scope="session")
def public_grader(graders):
    return graders(HOMEWORK, "public")


@pytest.fixture(scope="session")
def reference_source(hw_files):
    return hw_files.reference.read_text()


def replace_function(source, name, new_source):
    """The source with the top-level function ``name`` replaced by ``new_source``."""
    import ast

    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
            return "".join(lines[:start]) + new_source.rstrip("\n") + "\n" + "".join(lines[node.end_lineno :])
    raise KeyError(name)


ROOT_FOR_TOOLS = str(ROOT)
if ROOT_FOR_TOOLS not in sys.path:  # tools/ (mutants, class generator) is not installed
    sys.path.insert(0, ROOT_FOR_TOOLS)


def tool_env():
    """Environment for running otter, nbgrader and friends from this venv."""
    import os

    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def fill_notebook(student_notebook, out_path, replace=None, homework=HOMEWORK):
    """A submission made from a tool's student notebook: every contract function's cell gets
    the reference's function, or the source in ``replace[name]``."""
    import ast

    import nbformat

    from autograder.integrations.cells import reference_cells
    from autograder.spec import load_homework

    files = Course(ROOT).homework(homework)
    reference = {c.function: c.source for c in reference_cells(files, load_homework(files.folder)) if c.function}
    replace = replace or {}
    notebook = nbformat.read(student_notebook, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        try:
            names = [n.name for n in ast.parse(cell.source).body if isinstance(n, ast.FunctionDef)]
        except SyntaxError:
            continue
        if len(names) == 1 and names[0] in reference:
            cell.source = replace.get(names[0], reference[names[0]])
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, out_path)
    return Path(out_path)
