import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from autograder.course import Course  # noqa: E402
from autograder.reference import load_module  # noqa: E402


@pytest.fixture(scope="session")
def course():
    return Course(ROOT)


@pytest.fixture(scope="session")
def ref(course):
    """The reference solution module (trusted instructor code)."""
    return load_module(course.solution, "reference_under_test")


@pytest.fixture(scope="session")
def mnist(course):
    return load_module(course.data_dir / "mnist.py", "mnist_under_test")


@pytest.fixture(scope="session")
def hidden_config(course):
    from autograder.config import load_config

    return load_config(course.grading_config).with_limits(call_seconds=2, import_seconds=2, total_seconds=60)


@pytest.fixture(scope="session")
def hidden_grader(course, hidden_config, ref):
    """One grader for the whole session: its plan (cases, reference values, finite
    differences) is built once."""
    from autograder.grader import Grader

    grader = Grader(hidden_config, ref, hide=[course.root])
    yield grader
    grader.close()


@pytest.fixture(scope="session")
def public_grader():
    from autograder.config import public_config
    from autograder.grader import Grader

    grader = Grader(public_config().with_limits(call_seconds=2, import_seconds=2, total_seconds=60))
    yield grader
    grader.close()


@pytest.fixture(scope="session")
def reference_source(course):
    return course.solution.read_text()


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


def fill_notebook(student_notebook, out_path, replace=None):
    """A submission made from a tool's student notebook: every contract function's cell gets
    the reference's function, or the source in ``replace[name]``."""
    import ast

    import nbformat

    from autograder.integrations.cells import reference_cells

    reference = {c.function: c.source for c in reference_cells(Course(ROOT)) if c.function}
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
