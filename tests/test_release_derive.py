"""Does the backprop release ask for derivations instead of printing the answers (issue 16)?

The student release must hold no finished backward formula, in code, markdown or docstrings:
the solution notebook keeps its explanations inside solution markers, and the release strips
them (``release.strip_solutions``). FINISHED_FORMULAS lists the forms such a formula takes in
this homework's notation (numpy code, LaTeX, words); OLD_RELEASE_LINES are lines the release
printed before issue 16, each of which the patterns must catch.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import publicize, release
from autograder.course import Course
from autograder.integrations import gradescope
from autograder.spec import load_homework

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
    # also in words, as spec.py's property messages once said it ("the softmax Jacobian
    # s_i(delta_ij - s_j) is symmetric"): the released notebook asks the student to derive these
    # entries (softmax_jacobian is graded), so a message or a shipped file stating them is the
    # finished answer, whether or not it is a backward formula in code
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


HOMEWORKS = ("backprop", "modular_layers")
# Lines the patterns match in the shipped checks that are not a finished answer shown to the
# student, each with why: (file name, exact line) -> reason.
NOT_AN_ANSWER = {
    ("diagnosis.py", '"bias_keepdims": ("sum with keepdims: np.sum(dZ, axis=0, keepdims=True)",'):
        "the engine's hidden wording of its generic bias diagnoses (every homework's; hidden grading "
        "with [feedback] hidden = \"fix\"); the shipped checks always word with the hint beside it, and a "
        "verbatim engine module cannot drop it; rewording would change 314 recorded hidden texts",
    ("diagnosis.py", '"bias_not_summed": ("sum over the rows: np.sum(dZ, axis=0, keepdims=True)",'):
        "the same hidden wording of the generic bias diagnosis (see bias_keepdims)",
    ("mistakes.py", "return not rows_ok and np.allclose(S.sum(axis=0), 1.0, atol=1e-09)"):
        "the test of a softmax normalised over the columns (forward), not a bias gradient",
    ("mistakes.py", '"""A value-stage test: the loss part is N times the mean loss (a sum over the rows)."""'):
        "says what the detected mistake computes (a loss summed instead of averaged), not a gradient",
}


def shipped_formulas(path):
    return [(name, line) for name, line in finished_formulas(path.read_text()) if (path.name, line) not in NOT_AN_ANSWER]


@pytest.mark.parametrize("homework", HOMEWORKS)
def test_do_the_shipped_checks_print_no_finished_formula(homework):
    """Every file of the release's checks/ (the engine modules, the homework's spec.py, the
    public copy of its mistakes.py, public.json), each line matched only where NOT_AN_ANSWER
    says why it is no answer."""
    files = [p for p in (ROOT / "assignment" / homework / "checks").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert any(p.name == "mistakes.py" for p in files)
    assert {str(p): shipped_formulas(p) for p in files if shipped_formulas(p)} == {}


def test_is_every_exemption_still_seen():
    """An exemption no shipped line needs any more is removed, not kept as a blind spot."""
    seen = {
        (p.name, line)
        for homework in HOMEWORKS
        for p in (ROOT / "assignment" / homework / "checks").rglob("*.py")
        for _, line in finished_formulas(p.read_text())
    }
    assert sorted(set(NOT_AN_ANSWER) - seen) == []


@pytest.mark.parametrize("homework", HOMEWORKS)
def test_do_the_release_and_the_student_wheel_ship_the_public_copy_of_mistakes(homework, tmp_path):
    """The student wheel's homeworks/<name>/mistakes.py (written by the wheel's _add_homework,
    without building a wheel) is the release's, and neither holds a fix, a wrong
    implementation or a swap."""
    files = Course(ROOT).pick(homework)
    gradescope._add_homework(tmp_path / "homeworks", files)
    wheel_copy = (tmp_path / "homeworks" / homework / "mistakes.py").read_text()
    released = (ROOT / "assignment" / homework / "checks" / "autograder" / "homeworks" / homework / "mistakes.py").read_text()
    assert wheel_copy == released
    assert shipped_formulas(tmp_path / "homeworks" / homework / "mistakes.py") == []
    for word in ("fix=", "impl=", "swap=", "shape=", "fixes="):
        assert re.search(rf"(?<![\w_]){word}", released) is None, word
    assert "hint=" in released or homework != "backprop"


@pytest.mark.parametrize("homework", HOMEWORKS)
def test_does_the_shipped_public_copy_load_with_the_homeworks_functions(homework):
    shipped = load_homework(ROOT / "assignment" / homework / "checks" / "autograder" / "homeworks" / homework)
    full = load_homework(ROOT / "solutions" / homework)
    assert shipped.names == full.names
    assert all(m.impl is None and m.swap is None and not m.fix and m.public for n in shipped.names for m in shipped.mistakes(n))
    kept = {m.id for n in full.names for m in full.mistakes(n) if m.impl is None and m.swap is None and m.public}
    shipped_ids = {m.id for n in shipped.names for m in shipped.mistakes(n)}
    assert shipped_ids and shipped_ids <= kept
    if homework == "backprop":  # no wrong implementation handed to a test there: every other one stays
        assert shipped_ids == kept
    else:  # modular_layers' _part_of(wrong, path) tests are wrong implementations too
        assert "logistic_sign_flipped" in kept - shipped_ids


SHIPPED_ON_THE_REFERENCE = r"""
import importlib.util, sys
sys.path.insert(0, sys.argv[1])
from autograder import check
spec = importlib.util.spec_from_file_location("reference", sys.argv[2])
reference = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reference)
full = check(reference, quiet=True)
flipped = dict(vars(reference), dJ_dZ2=lambda Y_hat, Y: (Y - Y_hat) / Y.shape[0])
one = check(flipped, functions=["dJ_dZ2"], quiet=True)
print(full.score, full.max_score, one.score, one.max_score, *one.functions[0].mistakes)
print(one.functions[0].findings[0].fix)
"""


def test_do_the_shipped_checks_give_the_reference_every_point_and_name_a_flipped_sign(tmp_path):
    """The shipped checks (their own autograder package, the public copy of mistakes.py) on the
    reference: full public points; on a dJ_dZ2 with the sign flipped (a known mistake with a
    wrong implementation in the instructor's file, left out of the public copy): the generic
    sign_flipped diagnosis (factor -1) with the homework's hint, no formula."""
    done = subprocess.run(
        [sys.executable, "-I", "-c", SHIPPED_ON_THE_REFERENCE, str(RELEASED / "checks"), str(SOLUTION)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    scores, fix = done.stdout.splitlines()
    assert scores.split() == ["100.0", "100.0", "0.0", str(float(POINTS_DJ_DZ2)), "sign_flipped"]
    assert "opposite" in fix and not finished_formulas(fix)


POINTS_DJ_DZ2 = __import__("tomllib").loads((ROOT / "solutions" / "backprop" / "grading.toml").read_text())["points"]["dJ_dZ2"]


def test_does_the_public_copy_refuse_a_mistake_it_cannot_remove():
    source = "from autograder.spec import Mistake\nMISTAKES = {'f': list({Mistake('x', impl=len)})}\n"
    with pytest.raises(release.ReleaseError, match="public copy"):
        publicize.public_mistakes(source)


def test_does_the_public_copy_drop_a_mistake_built_in_a_loop_with_its_texts():
    source = (
        "from autograder.spec import Hints, Mistake\n"
        "def _wrong(x):\n    return -x\n"
        "def _many():\n    texts = {'a': 'fix: return x'}\n    out = []\n"
        "    for key, fix in texts.items():\n        out.append(Mistake(key, impl=_wrong, fix=fix))\n    return out\n"
        "MISTAKES = {'f': [*_many(), Mistake('y', test=lambda c, f: True, fix='x.T @ d', hint='h')]}\n"
        "HINTS = {'f': Hints(shape='s', fixes={'a': 'b'}, hint_shape='hs')}\n"
    )
    public = publicize.public_mistakes(source)
    assert "_wrong" not in public and "texts" not in public and "fix=" not in public and "x.T @ d" not in public
    assert "hint='h'" in public and "hint_shape='hs'" in public and "shape='s'" not in public
    compile(public, "mistakes.py", "exec")


def test_is_a_wrong_implementation_handed_to_a_test_dropped_with_its_mistake():
    source = (
        "from autograder.spec import Mistake\n"
        "def _part_of(impl, path):\n    return lambda case, found: None\n"
        "def flipped(scores, y):\n    return y - scores\n"
        "MISTAKES = {'f': [Mistake('flipped', test=_part_of(flipped, 'd'), hint='h'), Mistake('kept', test=_part_of(len, 'd'))]}\n"
    )
    public = publicize.public_mistakes(source, signatures=[("scores", "y")])
    assert "flipped" not in public and "y - scores" not in public and "'kept'" in public
