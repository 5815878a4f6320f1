"""Does the grader take points only where a known mistake is, and name it?

Every mutant of tools/mutants.py is swapped into the reference solution and the result is
graded once with the hidden tests (one Grader for the whole module). Known grader
shortcomings are marked xfail (strict) in GRADER_PROBLEMS, test by test, until fixed.
"""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # tools/ is not installed; `pytest` alone does not put ROOT on the path
    sys.path.insert(0, str(ROOT))

from autograder.factory import make_grader  # noqa: E402
from tools.mutants import CALLERS, HOMEWORK, MUTANTS, NAMES, REFERENCE_PATH, Mutant, apply, callers  # noqa: E402

REFERENCE_SOURCE = REFERENCE_PATH.read_text()

# Every mistake id the diagnosis catalogue (diagnosis.py) and the checks (checks.py) can give.
CATALOGUE = {
    "transposed", "missing_mean", "sum_vs_mean", "bias_not_summed", "bias_keepdims",
    "elementwise_for_matmul", "wrong_operand_order", "activation_for_preactivation",
    "missing_derivative_factor", "sign_flipped", "scaled_by_constant", "unstable_softmax",
    "unstable_sigmoid", "softmax_wrong_axis", "input_mutation", "wrong_dtype", "returns_list",
    "returns_none", "raises", "not_implemented", "timeout", "crashed", "jacobian_diagonal_only",
    "init_wrong_scale", "init_wrong_rng", "numerical_gradient_forward_diff",
    "numerical_gradient_not_restored", "relative_error_wrong_denominator",
    "relative_error_zero_case", "wrong_upstream_gradient", "wrong_default", "wrong_signature",
    "missing_function", "predict_column", "all_zeros", "keepdims", "wrong_axis",
}  # fmt: skip

# (test, mutant id) -> why the grader does not do what the test expects yet (strict xfail).
# test is one of "loses_points", "others_untouched", "diagnosed", "nothing_misnamed", "full_marks".
GRADER_PROBLEMS = {}

SLOW = {"predict-endless-loop"}  # waits for the per-call time limit

WRONG = [m for m in MUTANTS if not m.correct]
CORRECT = [m for m in MUTANTS if m.correct]


def _params(test, mutants):
    out = []
    for m in mutants:
        marks = []
        reason = GRADER_PROBLEMS.get((test, m.id))
        if reason:
            marks.append(pytest.mark.xfail(reason=reason, strict=True))
        if m.id in SLOW:
            marks.append(pytest.mark.slow)
        out.append(pytest.param(m, id=m.id, marks=marks))
    return out


@pytest.fixture(scope="module")
def grader():
    grader = make_grader(ROOT, HOMEWORK, keep_warm=True)
    yield grader
    grader.close()


@pytest.fixture(scope="module")
def graded(grader, tmp_path_factory):
    """Grade each submission once: source -> Results, shared by the tests of this module."""
    folder = tmp_path_factory.mktemp("mutants")
    cache = {}

    def grade(name, source):
        if name not in cache:
            path = folder / name / "backprop.py"
            path.parent.mkdir()
            path.write_text(source)
            cache[name] = grader.grade(path)
        return cache[name]

    return grade


def _grade_mutant(graded, mutant):
    return graded(mutant.id, apply(REFERENCE_SOURCE, [mutant]))


def _report(results):
    lines = []
    for f in results.functions:
        if not f.passed or f.mistakes:
            first = f.findings[0].message if f.findings else ""
            lines.append(f"{f.name}: {f.score}/{f.max_score} {f.mistakes} {first}")
    return "\n".join(lines)


# --- the catalogue itself -------------------------------------------------------------------


def test_is_every_catalogued_mistake_covered_by_a_mutant():
    """Does every mistake id the grader can give have at least one mutant?"""
    covered = {m.mistake for m in WRONG}
    assert CATALOGUE - covered == set()
    assert covered - {None} <= CATALOGUE


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.id for m in MUTANTS])
def test_is_the_mutant_a_replacement_for_its_function(mutant: Mutant):
    """Does each mutant parse, and define its function unless it is about a missing one?"""
    assert mutant.function in NAMES
    tree = ast.parse(mutant.source)
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    if mutant.mistake == "missing_function":
        assert mutant.function not in names
    else:
        assert names == [mutant.function]
    assert mutant.also <= set(NAMES) - {mutant.function}


def test_are_the_callers_derived_from_the_call_graph_transitively():
    """Does callers() follow calls through functions, and leave out what no one calls?"""
    source = "def a(x):\n    return b(x) + len(x)\n\ndef b(x):\n    return c(x)\n\ndef c(x):\n    return x\n\ndef d(x):\n    return a(x)\n"
    assert callers(source, ("a", "b", "c", "d")) == {"c": {"a", "b", "d"}, "b": {"a", "d"}, "a": {"d"}}
    assert callers(source, ("b", "c")) == {"c": {"b"}}


def test_are_the_callers_those_of_the_reference():
    """Is CALLERS the call graph of the reference (steps called by the pipelines that use them)?"""
    assert CALLERS["sigmoid"] >= {"d_sigmoid", "forward", "backprop", "gradient_check", "fit", "predict"}
    assert CALLERS["backprop"] == {"gradient_check"}
    assert CALLERS["initialize_parameters"] == {"fit"}
    assert "fit" not in CALLERS and "predict" not in CALLERS  # nothing calls the pipelines
    assert set(CALLERS) < set(NAMES)


def test_does_apply_refuse_two_mutants_for_one_function_and_unknown_functions():
    """Does apply() raise rather than silently drop a mutant?"""
    first, second = [m for m in MUTANTS if m.function == "dJ_dW2"][:2]
    with pytest.raises(ValueError):
        apply(REFERENCE_SOURCE, [first, second])
    with pytest.raises(ValueError):
        apply(REFERENCE_SOURCE, [Mutant("x", "no_such_function", "def no_such_function():\n    pass\n", None)])


def test_does_apply_replace_only_the_mutated_functions():
    """Does apply() leave every other top-level definition exactly as it was?"""
    chosen = [next(m for m in MUTANTS if m.id == "dJ_dW2-transposed"), next(m for m in MUTANTS if m.id == "cost_n-deleted")]
    mutated = apply(REFERENCE_SOURCE, chosen)

    def sources(text):
        tree = ast.parse(text)
        return {n.name: ast.get_source_segment(text, n) for n in tree.body if isinstance(n, ast.FunctionDef)}

    before, after = sources(REFERENCE_SOURCE), sources(mutated)
    assert "cost_n" not in after
    assert after["dJ_dW2"].strip() == chosen[0].source.strip()
    assert {k: v for k, v in before.items() if k not in ("dJ_dW2", "cost_n")} == {k: v for k, v in after.items() if k != "dJ_dW2"}


# --- grading ----------------------------------------------------------------------------------


def test_does_the_reference_get_full_marks_and_no_mistakes(graded):
    """Does the unmodified reference score full marks with no mistake named?"""
    results = graded("reference", REFERENCE_SOURCE)
    assert results.score == results.max_score, _report(results)
    assert all(f.passed and not f.mistakes for f in results.functions), _report(results)


@pytest.mark.parametrize("mutant", _params("loses_points", WRONG))
def test_does_the_mutated_function_lose_points(graded, mutant):
    """Does a mistake cost its own function points?"""
    result = _grade_mutant(graded, mutant).function(mutant.function)
    assert result.score < result.max_score, f"{mutant.function} kept full marks"


@pytest.mark.parametrize("mutant", _params("others_untouched", WRONG))
def test_do_the_other_functions_keep_full_marks(graded, mutant):
    """Does a mistake cost nothing outside its function and the functions that call it?"""
    results = _grade_mutant(graded, mutant)
    allowed = {mutant.function} | mutant.also
    hit = [f.name for f in results.functions if f.name not in allowed and f.score < f.max_score]
    assert hit == [], _report(results)


@pytest.mark.parametrize("mutant", _params("diagnosed", [m for m in WRONG if m.mistake]))
def test_is_the_mistake_named(graded, mutant):
    """Does the grader name the mistake, so the Gradescope tags carry mistake:<id>?"""
    result = _grade_mutant(graded, mutant).function(mutant.function)
    tags = [f"mistake:{m}" for m in result.mistakes]
    assert f"mistake:{mutant.mistake}" in tags, f"mistakes {result.mistakes}; first finding: {result.findings[0].message if result.findings else None}"


@pytest.mark.parametrize("mutant", _params("nothing_misnamed", [m for m in WRONG if m.mistake is None]))
def test_is_no_mistake_named_when_none_fits(graded, mutant):
    """When no catalogued mistake fits, does the grader name none (no diagnosis beats a wrong one)?"""
    result = _grade_mutant(graded, mutant).function(mutant.function)
    assert result.mistakes == [], f"first finding: {result.findings[0].message if result.findings else None}"


@pytest.mark.parametrize("mutant", _params("full_marks", CORRECT))
def test_does_a_correct_variant_get_full_marks(graded, mutant):
    """Does a right answer written differently score full marks everywhere, naming nothing?"""
    results = _grade_mutant(graded, mutant)
    assert results.score == results.max_score, _report(results)
    assert all(not f.mistakes for f in results.functions), _report(results)


@pytest.mark.slow
def test_does_the_class_generators_rule_agree_with_the_grader_on_every_mutant_and_stub(grader, graded):
    """tools/classgen.py states expected scores from the rule (never by grading); grading each
    usable mutant (graded once for this module, see ``graded``) and each stub checks the
    rule's declarations (BREAKS) against the grader."""
    from tools import classgen

    points = grader.config.points
    rule = classgen.ScoreRule.build(grader.plan, REFERENCE_PATH)
    stubs = classgen.stub_sources()
    items = [(m.id, classgen.Spec(m.id, "mutated", ".py", mutants=[m.id])) for m in classgen.usable_mutants()]
    items += [(f"classgen-stub-{f}", classgen.Spec(f"stub-{f}", "stubbed", ".py", stubbed=[f])) for f in NAMES]
    mismatches = []
    for key, spec in items:
        results = graded(key, classgen.source_of(spec, REFERENCE_SOURCE, stubs))
        got = {f.name: f.score for f in results.functions}
        want = classgen.expected_scores(spec, points, rule)
        mismatches += [(spec.name, name, got[name], want[name]) for name in NAMES if abs(got[name] - want[name]) > 0.01]
    assert mismatches == [], mismatches[:10]
