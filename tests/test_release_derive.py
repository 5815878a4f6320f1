"""Does the backprop release ask for derivations instead of printing the answers (issue 16)?

The student release must hold no finished backward formula, in code, markdown or docstrings:
the solution notebook keeps its explanations inside solution markers, and the release strips
them (``release.strip_solutions``). FINISHED_FORMULAS lists the forms such a formula takes in
this homework's notation (numpy code, LaTeX, words); OLD_RELEASE_LINES are lines the release
printed before issue 16, each of which the patterns must catch.
"""

import json
import re
from pathlib import Path

import pytest

from autograder import release

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "backprop" / "backprop.py"
RELEASED = ROOT / "assignment" / "backprop"

FINISHED_FORMULAS = {
    "a weight gradient as input.T @ error": r"\w\.T\s*@",
    "an error passed down as error @ W.T": r"@\s*[\w\[\]\"'{}]+\.T\b",
    "a bias gradient as a sum over axis 0": r"\bsum\([^)]*\baxis\s*=\s*0|\.sum\(\s*axis\s*=\s*0",
    "a bias gradient as a sum over the rows, in words": r"\bsum(?:s|med)?\b[^.\n]*\bover the rows\b",
    "the output error with its 1/N": r"-\s*Y\s*\)\s*/\s*N\b",
    "softmax with cross-entropy as prediction minus label": (
        r"\bY_hat\s*-\s*Y\b|\\hat\s*\{?Y\}?\s*-\s*Y\b|\bA_\{?L\}?\s*-\s*Y\b|\bs_j\s*-\s*y_j\b"
    ),
    "the softmax Jacobian in numpy": r"np\.diag\(\s*s\s*\)|np\.outer\(\s*s\s*,\s*s\s*\)",
    "the softmax Jacobian's entries": (
        r"\\delta_\{?ij\}?\s*-\s*s_j|\bdelta_ij\s*-\s*s_j|-\s*s_i\s*s_j\b|\bs_i\s*\(\s*1\s*-\s*s_i\s*\)|s_i\s*-\s*s_i\^2"
    ),
    "the sigmoid's derivative through the sigmoid": (
        r"\bs\s*\*\s*\(\s*1(?:\.0)?\s*-\s*s\s*\)|\\sigma\(z\)\s*\(\s*1\s*-\s*\\sigma\(z\)\s*\)"
        r"|\\hat\s*y\s*\(\s*1\s*-\s*\\hat\s*y\s*\)"
    ),
    "the hidden error through the sigmoid's derivative": r"\*\s*d_sigmoid\(|\*\s*sigmoid'|\\odot\s*\\sigma'",
    "a transpose in a LaTeX formula": r"\^\s*\{?\\top",
}
_COMPILED = {name: re.compile(pattern) for name, pattern in FINISHED_FORMULAS.items()}

# printed by the release before issue 16 (commit 6b07017's assignment/backprop.py)
OLD_RELEASE_LINES = (
    "# | output | `Y_hat = softmax(Z2)`, J = mean CE | `dZ2 = (Y_hat - Y) / N` | (N, C) |",
    "# | second layer, weights | `Z2 = X2 @ W2 + b2` | `dW2 = X2.T @ dZ2` | (H, N) @ (N, C) -> (H, C) |",
    "# | second layer, bias | | `db2 = dZ2.sum(axis=0, keepdims=True)` | (1, C) |",
    "# | second layer, input | | `dX2 = dZ2 @ W2.T` | (N, C) @ (C, H) -> (N, H) |",
    "# | hidden activation | `X2 = sigmoid(Z1)` | `dZ1 = dX2 * sigmoid'(Z1)` | (N, H), elementwise |",
    "# 2. the error one layer down: $\\delta_1 = (\\delta_2 W_2^\\top) \\odot \\sigma'(Z_1)$;",
    "# numpy is `np.diag(s) - np.outer(s, s)`. Its rows sum to zero: the probabilities always add",
    "# * for i != j: $\\partial s_i/\\partial z_j = -s_i s_j$",
    "# neat form in terms of the function itself: $\\sigma'(z) = \\sigma(z)(1 - \\sigma(z))$.",
    "#   = -y_j + s_j \\sum_k y_k = s_j - y_j,$$",
    "    z: (C,) logits. Returns (C, C) with entry [i, j] = d s_i / d z_j = s_i (delta_ij - s_j).",
    "    Y_hat: (N, C) softmax outputs. Y: (N, C) one-hot labels. Returns (N, C): Y_hat - Y.",
    '    """dJ/db2: the bias is added to every row, so its gradient sums dZ2 over the rows.',
    '    """dJ/db1, summed over the rows like dJ_db2.',
    "# $\\partial J/\\partial Z_L = (A_L - Y)/N$ (work it out for the sigmoid: the",
    "# $$\\frac{\\partial J}{\\partial W_l} = A_{l-1}^\\top \\frac{\\partial J}{\\partial Z_l},\\qquad",
)


def finished_formulas(text):
    """(pattern name, line) for every line of ``text`` that prints a finished backward formula."""
    return [
        (name, line.strip())
        for line in text.splitlines()
        for name, pattern in _COMPILED.items()
        if pattern.search(line)
    ]


def notebook_text(path):
    """Every cell's source of a notebook, one after the other."""
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"] for cell in cells)


def test_would_the_patterns_catch_every_formula_the_old_release_printed():
    missed = [line for line in OLD_RELEASE_LINES if not finished_formulas(line)]
    assert missed == []


def test_does_the_solution_notebook_keep_its_explanations():
    """The formulas stay in the solution (inside solution markers), so the release's lack of
    them comes from stripping, and every pattern is seen matching the real text."""
    found = {name for name, _ in finished_formulas(SOLUTION.read_text())}
    assert sorted(set(FINISHED_FORMULAS) - found) == []


def test_does_the_release_stub_built_from_the_solution_print_no_finished_formula():
    stub, _ = release.strip_solutions(SOLUTION.read_text())
    assert finished_formulas(stub) == []


def test_does_the_release_stub_keep_no_solution_only_markdown():
    stub, _ = release.strip_solutions(SOLUTION.read_text())
    assert "SOLUTION" not in stub
    assert "*Solution.*" not in stub


@pytest.mark.parametrize("name", ["backprop.py", "backprop.ipynb"])
def test_do_the_released_files_print_no_finished_formula(name):
    path = RELEASED / name
    text = notebook_text(path) if name.endswith(".ipynb") else path.read_text()
    assert finished_formulas(text) == [], "regenerate the release from solutions/backprop/backprop.py"
