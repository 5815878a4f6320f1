"""Does the release generator produce a clean, complete, up-to-date student release of every
homework, with solution code and solution-only markdown gone?"""

import ast
import filecmp
import re
import textwrap

import nbformat
import pytest
from conftest import ROOT

from autograder.course import Course
from autograder.reference import load_module
from autograder.release import (
    MARKDOWN_BEGIN,
    MARKDOWN_END,
    ReleaseError,
    build_release,
    check_stub,
    check_stub_fails_cleanly,
    homework_of,
    strip_markdown_solutions,
    strip_solutions,
)
from autograder.spec import Function, Homework, Scalar

HOMEWORKS = Course(ROOT).homeworks()


@pytest.fixture(scope="module", params=HOMEWORKS)
def each(request, course):
    """(HomeworkFiles, Homework) of each homework of the course."""
    return homework_of(course, request.param)


def markdown_solution_lines(source):
    """The lines between the markdown solution markers (markers excluded)."""
    inside, lines = False, []
    for line in source.splitlines():
        if line.strip() in (MARKDOWN_BEGIN, MARKDOWN_END):
            inside = line.strip() == MARKDOWN_BEGIN
        elif inside:
            lines.append(line)
    return lines


def test_is_the_committed_release_what_a_fresh_build_writes(course, each, tmp_path):
    """Drift: regenerate into a temp folder and compare every file with assignment/<name>/."""
    files, _ = each
    build_release(course, files, tmp_path / "fresh")
    committed = sorted(p.relative_to(files.release_dir) for p in files.release_dir.rglob("*") if p.is_file())
    fresh = sorted(p.relative_to(tmp_path / "fresh") for p in (tmp_path / "fresh").rglob("*") if p.is_file())
    committed = [p for p in committed if "__pycache__" not in p.parts]
    assert committed == fresh, f"assignment/{files.name}/ has different files: run `autograder release {files.name}`"
    for relative in fresh:
        same = filecmp.cmp(files.release_dir / relative, tmp_path / "fresh" / relative, shallow=False)
        assert same, f"assignment/{files.name}/{relative} is out of date: run `autograder release {files.name}`"


def test_does_every_stub_raise_not_implemented(each):
    files, spec = each
    stub = load_module(files.release_dir / f"{spec.name}.py", f"release_stub_under_test_{spec.name}")
    for function in spec.functions:
        with pytest.raises(NotImplementedError):
            getattr(stub, function.name)(*[None] * len(function.required))


def test_is_no_solution_code_or_solution_markdown_left_in_the_release(each):
    files, spec = each
    solution = files.reference.read_text()
    _, blocks = strip_solutions(solution)
    hidden_markdown = [line for line in markdown_solution_lines(solution) if len(line.strip("# ")) >= 20]  # not "$$"
    for name in (f"{spec.name}.py", f"{spec.name}.ipynb"):
        text = (files.release_dir / name).read_text()
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
        released = text if name.endswith(".py") else "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells)
        released_lines = {line.strip() for line in released.splitlines()}
        for line in hidden_markdown:
            assert line.strip() not in released_lines and line.lstrip("# ").strip() not in released_lines, line
    graded = {
        node
        for node in ast.parse((files.release_dir / f"{spec.name}.py").read_text()).body
        if isinstance(node, ast.FunctionDef) and node.name in spec.names
    }
    stub_code = {ast.unparse(n) for fn in graded for stmt in fn.body for n in ast.walk(stmt) if isinstance(n, ast.stmt)}
    for block in blocks:
        for node in ast.walk(ast.parse(textwrap.dedent("".join(block)))):
            if isinstance(node, ast.stmt) and not isinstance(node, ast.Return):
                text = ast.unparse(node)
                assert text not in stub_code, f"solution statement leaked into the release: {text}"


def test_does_the_notebook_open_validate_and_hold_no_outputs(each):
    files, spec = each
    notebook = nbformat.read(files.release_dir / f"{spec.name}.ipynb", as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.outputs == [] and cell.execution_count is None for cell in code)
    assert notebook.metadata.kernelspec.name == "python3"
    source = "\n".join(cell.source for cell in code)
    for function in spec.functions:
        assert f"def {function.name}(" in source


def test_does_the_readme_name_the_homework_and_no_other(course, each):
    files, spec = each
    readme = (files.release_dir / "README.md").read_text()
    assert f"`{spec.name}.ipynb`" in readme and "{name}" not in readme
    for other in set(course.homeworks()) - {spec.name}:
        assert not re.search(rf"\b{other}\b", readme), other


def test_does_the_release_ship_the_data_and_its_loader(course, each):
    files, _ = each
    data = files.release_dir / "data"
    assert (data / "mnist.py").read_bytes() == (course.data_dir / "mnist.py").read_bytes()
    loader = load_module(data / "mnist.py", f"release_loader_under_test_{files.name}")
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
def test_are_malformed_code_markers_refused(source, message):
    with pytest.raises(ReleaseError, match=message):
        strip_solutions(source)


def test_does_stripping_keep_signature_and_docstring():
    source = 'def f(a, b=2):\n    """Doc."""\n    # BEGIN SOLUTION\n    return a + b\n    # END SOLUTION\n'
    stub, blocks = strip_solutions(source)
    assert blocks == [["    return a + b\n"]]
    assert stub.startswith('def f(a, b=2):\n    """Doc."""\n    raise NotImplementedError(')


# --- solution-only markdown (issue 16.1) ---

NOTEBOOK = """# %% [markdown]
# # Title
#
# The setting, for everyone.
# <!-- BEGIN SOLUTION -->
# The derivation: dJ/dZ = (Y_hat - Y) / N.
# <!-- END SOLUTION -->
# What to return.

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# A whole cell of explanation for the solution notebook only.
# <!-- END SOLUTION -->

# %%
def f(a):
    \"\"\"Doc.\"\"\"
    # BEGIN SOLUTION
    return a
    # END SOLUTION
"""


def test_is_solution_only_markdown_removed_with_its_markers():
    stub, blocks = strip_solutions(NOTEBOOK)
    assert "The derivation" not in stub and "SOLUTION -->" not in stub and "whole cell" not in stub
    assert "# The setting, for everyone.\n# What to return.\n" in stub
    assert blocks == [["    return a\n"]]  # code blocks only


def test_is_a_markdown_cell_left_empty_dropped_whole():
    stub, _ = strip_solutions(NOTEBOOK)
    assert stub.count("# %% [markdown]") == 1
    assert "\n# %%\ndef f(a):" in stub


def test_does_the_markdown_only_strip_keep_the_code_markers():
    kept = strip_markdown_solutions(NOTEBOOK)
    assert "# BEGIN SOLUTION" in kept and "return a" in kept and "The derivation" not in kept


@pytest.mark.parametrize(
    "source, message",
    [
        ("# %% [markdown]\n# text\n# <!-- BEGIN SOLUTION -->\n# <!-- BEGIN SOLUTION -->\n", "line 4: .* inside another"),
        ("# %% [markdown]\n# text\n# <!-- END SOLUTION -->\n", "line 3: .* without a matching"),
        ("# %% [markdown]\n# <!-- BEGIN SOLUTION -->\n# secret\n\n# %%\nx = 1\n", "line 2: .* has no"),
        ("# %% [markdown]\n# <!-- BEGIN SOLUTION -->\n# secret\n", "line 2: .* has no"),
        ("# %% [markdown]\n# text\n# <!-- BEGIN SOLUTION->\n# secret\n", "line 3: malformed"),
        ("# %% [markdown]\n# text\n# <!-- END SOLUTION\n", "line 3: malformed"),
        ("# %%\nx = 1\n# <!-- BEGIN SOLUTION -->\n# <!-- END SOLUTION -->\n", "line 3: .* markdown cell"),
    ],
    ids=["nested", "end-alone", "unclosed-in-cell", "unclosed-at-end", "typo-begin", "typo-end", "in-code"],
)
def test_are_malformed_markdown_markers_refused_with_their_line(source, message):
    with pytest.raises(ReleaseError, match=message):
        strip_solutions(source)


# --- the stub checked against the spec ---


def tiny_homework(**defaults):
    return Homework("tiny", functions=(Function("f", ("a", "b"), result=Scalar(), cases=lambda ctx: [], defaults=defaults),))


TINY = 'def f(a, b=2):\n    """Doc."""\n    # BEGIN SOLUTION\n    return a + b\n    # END SOLUTION\n'


def test_does_a_stub_matching_its_spec_pass_both_checks():
    stub, _ = strip_solutions(TINY)
    check_stub(stub, TINY, tiny_homework(b=2))
    check_stub_fails_cleanly(stub, tiny_homework(b=2))


def test_is_a_default_the_spec_does_not_declare_refused():
    stub, _ = strip_solutions(TINY)
    with pytest.raises(ReleaseError, match="defaults"):
        check_stub(stub, TINY, tiny_homework())


def test_does_check_stub_catch_a_body_left_behind():
    stub, _ = strip_solutions(TINY)
    leaky = stub.replace('    """Doc."""\n', '    if b is None:\n        return a\n    """Doc."""\n')
    assert leaky != stub
    with pytest.raises(ReleaseError, match="f: "):
        check_stub(leaky, TINY, tiny_homework(b=2))


def test_does_check_stub_catch_a_missing_function(each):
    files, spec = each
    solution = files.reference.read_text()
    stub, _ = strip_solutions(solution)
    last = spec.functions[-1].name
    with pytest.raises(ReleaseError, match=f"does not define {last}"):
        check_stub(stub.replace(f"def {last}(", f"def {last}_renamed("), solution, spec)


def test_does_a_stub_that_returns_fail_the_clean_failure_check():
    with pytest.raises(ReleaseError, match="returned instead"):
        check_stub_fails_cleanly('def f(a, b=2):\n    """Doc."""\n    return None\n', tiny_homework(b=2))


def test_does_a_new_course_without_data_release(tmp_path):
    """A course made by ``autograder new`` elsewhere has no data/: its release has none either."""
    from autograder.scaffold import new_homework

    new_homework(tmp_path, "first_steps", seeds=[1, 2, 3])
    written = build_release(Course(tmp_path), "first_steps")
    release = tmp_path / "assignment" / "first_steps"
    top = sorted(p.name for p in written if p.parent == release)
    assert top == ["README.md", "first_steps.ipynb", "first_steps.py"]
    assert (release / "checks" / "autograder" / "homeworks" / "first_steps" / "spec.py") in written  # the public checks
    assert not (release / "data").exists()
