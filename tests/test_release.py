"""Does the release generator produce a clean, complete, up-to-date student release?"""

import ast
import filecmp
import textwrap

import nbformat
import pytest

from autograder import contract
from autograder.reference import load_module
from autograder.release import ReleaseError, build_release, check_stub, strip_solutions


def test_committed_release_matches_a_fresh_build(course, tmp_path):
    """Drift: regenerate into a temp folder and compare every file with assignment/."""
    build_release(course, tmp_path / "fresh")
    committed = sorted(p.relative_to(course.release_dir) for p in course.release_dir.rglob("*") if p.is_file())
    fresh = sorted(p.relative_to(tmp_path / "fresh") for p in (tmp_path / "fresh").rglob("*") if p.is_file())
    committed = [p for p in committed if "__pycache__" not in p.parts]
    assert committed == fresh, "assignment/ has different files: run `autograder release`"
    for relative in fresh:
        same = filecmp.cmp(course.release_dir / relative, tmp_path / "fresh" / relative, shallow=False)
        assert same, f"assignment/{relative} is out of date: run `autograder release`"


def test_every_stub_raises_not_implemented(course):
    stub = load_module(course.release_dir / "backprop.py", "release_stub_under_test")
    for spec in contract.FUNCTIONS:
        with pytest.raises(NotImplementedError):
            getattr(stub, spec.name)(*[None] * len(spec.required))


def test_no_solution_text_in_the_release(course):
    solution = course.solution.read_text()
    _, blocks = strip_solutions(solution)
    for name in ("backprop.py", "backprop.ipynb"):
        text = (course.release_dir / name).read_text()
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    graded = {
        node
        for node in ast.parse((course.release_dir / "backprop.py").read_text()).body
        if isinstance(node, ast.FunctionDef) and node.name in contract.NAMES
    }
    stub_code = {ast.unparse(n) for fn in graded for stmt in fn.body for n in ast.walk(stmt) if isinstance(n, ast.stmt)}
    for block in blocks:
        for node in ast.walk(ast.parse(textwrap.dedent("".join(block)))):
            if isinstance(node, ast.stmt) and not isinstance(node, ast.Return):
                text = ast.unparse(node)
                assert text not in stub_code, f"solution statement leaked into the release: {text}"


def test_notebook_opens_validates_and_has_no_outputs(course):
    notebook = nbformat.read(course.release_dir / "backprop.ipynb", as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.outputs == [] and cell.execution_count is None for cell in code)
    assert notebook.metadata.kernelspec.name == "python3"
    source = "\n".join(cell.source for cell in code)
    for spec in contract.FUNCTIONS:
        assert f"def {spec.name}(" in source


def test_release_ships_the_data_and_its_loader(course):
    data = course.release_dir / "data"
    assert (data / "mnist.py").read_bytes() == (course.data_dir / "mnist.py").read_bytes()
    loader = load_module(data / "mnist.py", "release_loader_under_test")
    X, y = loader.load_mnist("train", digits=(5, 8))
    assert X.shape == (1000, 784)


@pytest.mark.parametrize(
    "source, message",
    [
        ("def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    pass\n", "inside another"),
        ("def f():\n    # END SOLUTION\n", "without a matching"),
        ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", "inside a function"),
        ("def f():\n    # BEGIN SOLUTION\n    return 1\n", "has no"),
        ("def f():\n    # BEGIN SOLUTION\n    return 1\n  # END SOLUTION\n", "not indented"),
    ],
)
def test_malformed_markers_are_refused(source, message):
    with pytest.raises(ReleaseError, match=message):
        strip_solutions(source)


def test_stripping_keeps_signature_and_docstring():
    source = 'def f(a, b=2):\n    """Doc."""\n    # BEGIN SOLUTION\n    return a + b\n    # END SOLUTION\n'
    stub, blocks = strip_solutions(source)
    assert blocks == [["    return a + b\n"]]
    assert stub.startswith('def f(a, b=2):\n    """Doc."""\n    raise NotImplementedError(')


def test_check_stub_catches_a_body_left_behind(course):
    solution = course.solution.read_text()
    stub, _ = strip_solutions(solution)
    leaky = stub.replace(
        'def d_softmax(Y_hat, Y):\n    """',
        'def d_softmax(Y_hat, Y):\n    if Y is None:\n        return Y_hat - Y\n    """',
    )
    assert leaky != stub
    with pytest.raises(ReleaseError, match="d_softmax"):
        check_stub(leaky, solution)


def test_check_stub_catches_a_missing_function(course):
    solution = course.solution.read_text()
    stub, _ = strip_solutions(solution)
    with pytest.raises(ReleaseError, match="does not define predict"):
        check_stub(stub.replace("def predict(", "def predict_labels("), solution)
