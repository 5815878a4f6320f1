"""Does the engine name no homework? Nothing under autograder/ may mention a graded function
or the name of a homework shipped under solutions/: a homework is data in the course.

Two scans: an AST scan of every module (identifiers and string constants equal to such a
name), and a word-boundary scan of every text file (docstrings, comments, templates) for the
names that cannot be ordinary prose: those containing "_" or a digit, and the homework names.
Plain words that are also function names (``forward``, ``fit``, ``update``) stay allowed in
prose; as identifiers they are allowed only as methods of Python's own types
(``dict.update``), which the engine calls on its own values.
"""

import ast
import re
from pathlib import Path

import pytest

from autograder.course import Course
from autograder.spec import load_homework

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "autograder"
BUILTIN_METHODS = frozenset(name for kind in (dict, list, str, set, tuple, bytes, int, float) for name in dir(kind))
# The engine's own vocabulary that a homework happens to reuse as a function name: allowed
# under autograder/, each for the reason given (keep this list short).
ENGINE_VOCABULARY = {
    "relative_error": "the engine's measure of closeness (gradcheck.relative_error, grading.toml [tolerance] relative_error)",
    "forward": "the forward function of a VJP gradient (spec.Gradient.vjp returns (upstream, forward))",
}


def shipped_names(course_root=ROOT):
    """{name: what it is} for every homework under solutions/ and its graded functions."""
    names = {}
    for homework_name in Course(course_root).homeworks():
        homework = load_homework(Path(course_root) / "solutions" / homework_name)
        names[homework.name] = "the homework name"
        for function in homework.names:
            names.setdefault(function, f"a function of {homework.name}")
    return names


def engine_files(package=PACKAGE):
    for path in sorted(Path(package).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and "homeworks" not in path.relative_to(package).parts:
            yield path


def identifiers(tree):
    """(line, identifier or string constant) of one module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            yield node.lineno, node.id
        elif isinstance(node, ast.Attribute) and node.attr not in BUILTIN_METHODS:
            yield node.lineno, node.attr
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.lineno, node.name
        elif isinstance(node, ast.arg):
            yield node.lineno, node.arg
        elif isinstance(node, ast.keyword) and node.arg:
            yield node.value.lineno, node.arg
        elif isinstance(node, ast.alias):
            yield node.lineno, (node.asname or node.name).split(".")[-1]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def offences(names, package=PACKAGE):
    """["path:line: 'name' (what it is)"] for every mention of ``names`` under ``package``."""
    found = []
    prose = [n for n in names if "_" in n or any(c.isdigit() for c in n) or names[n] == "the homework name"]
    pattern = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(map(re.escape, sorted(prose, key=len, reverse=True))) + r")(?![A-Za-z0-9_])") if prose else None
    for path in engine_files(package):
        where = path.relative_to(package.parent)
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue  # a binary file
        if path.suffix == ".py":
            for line, word in identifiers(ast.parse(text)):
                if word in names:
                    found.append(f"{where}:{line}: {word!r} ({names[word]})")
        if pattern is not None:
            for number, line in enumerate(text.splitlines(), 1):
                for match in pattern.finditer(line):
                    found.append(f"{where}:{number}: {match.group(1)!r} in the text ({names[match.group(1)]})")
    return sorted(set(found))


def test_does_the_engine_name_no_shipped_homework_or_its_functions():
    names = {name: what for name, what in shipped_names().items() if name not in ENGINE_VOCABULARY}
    assert names, "no homework found under solutions/"
    assert offences(names) == []


def test_does_the_scan_catch_a_homework_named_in_code_and_in_text(tmp_path):
    """The scan itself: a module that names a homework's function, file and helper is caught
    in code and in prose; ordinary words and builtin methods are not."""
    package = tmp_path / "autograder"
    (package / "templates").mkdir(parents=True)
    (package / "engine.py").write_text(
        '"""Grades the toy homework."""\n'
        "import numpy as np\n"
        "def grade(values):\n"
        "    values.update({})  # dict.update: not the homework's update\n"
        "    return fit_curve(values['layer_1'])\n"
        "TABLE = ('fit_curve', 'forward')\n"
    )
    (package / "templates" / "README.md").write_text("Open toy.ipynb and write fit_curve first; then update.\n")
    names = {"toy": "the homework name", "fit_curve": "a function of toy", "update": "a function of toy", "forward": "a function of toy"}
    found = offences(names, package)
    assert found == sorted(
        [
            "autograder/engine.py:1: 'toy' in the text (the homework name)",
            "autograder/engine.py:5: 'fit_curve' (a function of toy)",
            "autograder/engine.py:5: 'fit_curve' in the text (a function of toy)",
            "autograder/engine.py:6: 'fit_curve' (a function of toy)",
            "autograder/engine.py:6: 'fit_curve' in the text (a function of toy)",
            "autograder/engine.py:6: 'forward' (a function of toy)",
            "autograder/templates/README.md:1: 'fit_curve' in the text (a function of toy)",
            "autograder/templates/README.md:1: 'toy' in the text (the homework name)",
        ]
    )


@pytest.mark.parametrize("kept", ["backpropagation", "a forward pass", "modular layers"])
def test_is_ordinary_prose_left_alone(tmp_path, kept):
    package = tmp_path / "autograder"
    package.mkdir()
    (package / "notes.md").write_text(f"Explains {kept}.\n")
    names = {"backprop": "the homework name", "modular_layers": "the homework name", "forward": "a function"}
    assert offences(names, package) == []
