"""Does every homework of the course grade as a homework must, whatever its structure?

Parametrised over the homeworks (backprop, modular_layers): the reference earns full marks
and names no mistake (hidden and public checks), the release stubs earn nothing, every
gradient the reference computes agrees with finite differences of a loss written out again in
tests/fd.py (independent of the engine and of the spec), the mutant catalogues' mistakes cost
points where they are and are named, right variants keep full marks, and `autograder
grade-all --assignment NAME` grades a folder of each.

Elsewhere, for every homework too: release drift (tests/test_release.py), the exports
(tests/test_gradescope.py, test_otter.py, test_nbgrader.py); backprop's full mutant catalogue
(tests/test_mutants.py) and its golden record (tests/test_golden.py).
"""

import csv
import json
import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT
from fd import (
    chain_losses,
    check_gradient,
    jacobian_rows,
    log_softmax,
    logistic,
    mean_ce_from_logits,
    mean_logistic_ce,
    mean_softmax_ce,
    n_layer_loss,
    problem,
    rel_err,
    relu_mlp_loss,
    two_layer_loss,
)

from autograder.reference import load_module
from autograder.spec import load_homework
from tools import mutants as backprop_mutants
from tools import mutants_modular_layers
from tools.mutants import apply

HOMEWORKS = ("backprop", "modular_layers")
CATALOGUES = {"backprop": backprop_mutants, "modular_layers": mutants_modular_layers}
TOL = 1e-6
# (homework, mutant id) -> why the grader does not do what the test expects yet (strict xfail)
GRADER_PROBLEMS = {}


def reference_path(name):
    return ROOT / "solutions" / name / f"{name}.py"


def stub_path(name):
    return ROOT / "assignment" / name / f"{name}.py"


_REFERENCES = {}


def reference(name):
    if name not in _REFERENCES:
        _REFERENCES[name] = load_module(reference_path(name), f"reference_{name}_for_homeworks")
    return _REFERENCES[name]


_GRADED = {}


def graded(graders, name, key, source, tmp_path_factory, mode="hidden"):
    """Results of one submission (graded once per session and mode)."""
    if (name, key, mode) not in _GRADED:
        folder = tmp_path_factory.mktemp(f"{name}-{key}")
        path = folder / f"{name}.py"
        path.write_text(source)
        _GRADED[name, key, mode] = graders(name, mode).grade(path)
    return _GRADED[name, key, mode]


def _report(results):
    return "\n".join(
        f"{f.name}: {f.score}/{f.max_score} {f.mistakes} {f.findings[0].message[:200] if f.findings else ''}"
        for f in results.functions if not f.passed or f.mistakes
    )  # fmt: skip


# --- reference and stubs -----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["hidden", "public"])
@pytest.mark.parametrize("name", HOMEWORKS)
def test_does_the_reference_earn_full_marks_naming_nothing(graders, tmp_path_factory, name, mode):
    results = graded(graders, name, "reference", reference_path(name).read_text(), tmp_path_factory, mode)
    assert not results.fatal, results.fatal
    assert [f.name for f in results.functions] == list(load_homework(ROOT / "solutions" / name).names)
    assert results.score == results.max_score > 0, _report(results)
    assert all(f.passed and not f.mistakes for f in results.functions), _report(results)


@pytest.mark.parametrize("name", HOMEWORKS)
def test_do_the_release_stubs_earn_nothing_and_say_not_implemented(graders, tmp_path_factory, name):
    results = graded(graders, name, "stubs", stub_path(name).read_text(), tmp_path_factory)
    assert not results.fatal, results.fatal
    assert results.score == 0, _report(results)
    assert all(f.mistakes == ["not_implemented"] for f in results.functions), _report(results)


# --- every gradient of the reference against finite differences (tests/fd.py) -------------------


def backprop_gradients(ref, seed):
    """{function: [relative error]} at a random two-layer point and an L-layer one."""
    rng = np.random.default_rng(300 + seed)
    X, Y, W1, b1, W2, b2 = problem(seed, 6, 5, 4, 3)
    Z1 = X @ W1 + b1
    X2 = logistic(Z1)
    Z2 = X2 @ W2 + b2
    Y_hat = np.exp(log_softmax(Z2))
    dZ2 = ref.dJ_dZ2(Y_hat, Y)
    dX2 = ref.dJ_dX2(dZ2, W2)
    dZ1 = ref.dJ_dZ1(dX2, Z1)
    z = Z2[-1].copy()
    out = {
        "d_sigmoid": [check_gradient(lambda: float(np.sum(logistic(Z1))), Z1, ref.d_sigmoid(Z1), rng)],
        "softmax_jacobian": [rel_err(ref.softmax_jacobian(z), jacobian_rows(lambda v: np.exp(log_softmax(v[None]))[0], z))],
        "d_softmax": [check_gradient(lambda: -float(np.sum(Y * log_softmax(Z2))), Z2, ref.d_softmax(Y_hat, Y), rng)],
        "dJ_dZ2": [check_gradient(lambda: mean_ce_from_logits(Z2, Y), Z2, dZ2, rng)],
        "dJ_dW2": [check_gradient(lambda: mean_ce_from_logits(X2 @ W2 + b2, Y), W2, ref.dJ_dW2(X2, dZ2), rng)],
        "dJ_db2": [check_gradient(lambda: mean_ce_from_logits(X2 @ W2 + b2, Y), b2, ref.dJ_db2(dZ2), rng)],
        "dJ_dX2": [check_gradient(lambda: mean_ce_from_logits(X2 @ W2 + b2, Y), X2, dX2, rng)],
        "dJ_dZ1": [check_gradient(lambda: mean_ce_from_logits(logistic(Z1) @ W2 + b2, Y), Z1, dZ1, rng)],
        "dJ_dW1": [check_gradient(lambda: two_layer_loss(X, Y, W1, b1, W2, b2), W1, ref.dJ_dW1(X, dZ1), rng)],
        "dJ_db1": [check_gradient(lambda: two_layer_loss(X, Y, W1, b1, W2, b2), b1, ref.dJ_db1(dZ1), rng)],
    }
    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    grads = ref.backprop(X, Y, W1, b1, W2, b2)
    out["backprop"] = [check_gradient(lambda: two_layer_loss(X, Y, **params), params[k], grads[k], rng) for k in params]
    out["backward_n"] = []
    for sizes, classes in (([5, 4, 3], 3), ([5, 4, 3, 1], 1)):
        layered = np.random.default_rng(400 + seed)
        X = layered.standard_normal((6, sizes[0]))
        Y = np.eye(classes)[layered.integers(0, classes, 6)] if classes > 1 else layered.integers(0, 2, (6, 1)).astype(np.float64)
        params = {}
        for layer in range(1, len(sizes)):
            params[f"W{layer}"] = layered.standard_normal((sizes[layer - 1], sizes[layer])) / np.sqrt(sizes[layer - 1])
            params[f"b{layer}"] = 0.1 * layered.standard_normal((1, sizes[layer]))
        _, cache = ref.forward_n(X, params)
        grads = ref.backward_n(Y, params, cache)
        out["backward_n"] += [check_gradient(lambda: n_layer_loss(X, Y, params), params[k], grads[k], rng) for k in params]
    return out


def modular_layers_gradients(ref, seed):
    rng = np.random.default_rng(500 + seed)
    N, D, M, C = 6, 5, 4, 3
    X, W, b = rng.standard_normal((N, D)), rng.standard_normal((D, M)), rng.standard_normal((1, M))
    dout = rng.standard_normal((N, M))
    dX, dW, db = ref.affine_backward(dout, (X, W, b))
    affine = lambda: float(np.sum(dout * (X @ W + b)))  # noqa: E731
    Z = rng.standard_normal((N, M))
    Z[np.abs(Z) < 1e-3] = 0.5  # away from ReLU's kink
    relu = lambda: float(np.sum(dout * np.maximum(Z, 0.0)))  # noqa: E731
    scores, y = rng.standard_normal((N, C)), rng.integers(0, C, N)
    loss, dscores = ref.softmax_loss(scores, y)
    logit, t = rng.standard_normal((N, 1)), rng.integers(0, 2, N)
    binary_loss, dlogit = ref.logistic_loss(logit, t)
    x, w, target = rng.standard_normal(N), rng.standard_normal(4), rng.random(N)
    sizes = [4, 6, 5, C]
    params = ref.he_init(sizes, seed)
    params = {k: v + (0.1 * rng.standard_normal(v.shape) if k.startswith("b") else 0.0) for k, v in params.items()}
    Xm, ym = rng.standard_normal((N, sizes[0])), rng.integers(0, C, N)
    mlp, grads = ref.mlp_loss(params, Xm, ym)
    return {
        "affine_backward": [check_gradient(affine, X, dX, rng), check_gradient(affine, W, dW, rng), check_gradient(affine, b, db, rng)],
        "sigmoid_backward": [check_gradient(lambda: float(np.sum(dout * logistic(Z))), Z, ref.sigmoid_backward(dout, logistic(Z)), rng)],
        "relu_backward": [check_gradient(relu, Z, ref.relu_backward(dout, Z), rng)],
        "softmax_loss": [rel_err(loss, mean_softmax_ce(scores, y)), check_gradient(lambda: mean_softmax_ce(scores, y), scores, dscores, rng)],
        "logistic_loss": [rel_err(binary_loss, mean_logistic_ce(logit, t)), check_gradient(lambda: mean_logistic_ce(logit, t), logit, dlogit, rng)],
        "chain_backward_loop": [rel_err(ref.chain_backward_loop(x, w, target), jacobian_rows(lambda v: chain_losses(x, v, target), w))],
        "chain_backward": [check_gradient(lambda: float(np.mean(chain_losses(x, w, target))), w, ref.chain_backward(x, w, target), rng)],
        "mlp_loss": [rel_err(mlp, relu_mlp_loss(params, Xm, ym))]
        + [check_gradient(lambda: relu_mlp_loss(params, Xm, ym), params[k], grads[k], rng) for k in params],
    }


GRADIENTS = {"backprop": backprop_gradients, "modular_layers": modular_layers_gradients}


@pytest.mark.parametrize("name", HOMEWORKS)
def test_is_every_gradient_of_the_spec_checked_here(graders, name):
    """Every function whose result is a gradient (declared in the spec, or differenced in the
    hidden plan) has its finite-difference check below."""
    homework = load_homework(ROOT / "solutions" / name)
    declared = {f.name for f in homework.functions if f.gradients}
    differenced = {function for function, cases in graders(name, "hidden").plan.items() if any(c.fd for c in cases)}
    checked = set(GRADIENTS[name](reference(name), 0))
    assert declared | differenced <= checked, f"no finite-difference check here for {sorted((declared | differenced) - checked)}"


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", HOMEWORKS)
def test_does_every_reference_gradient_match_finite_differences(name, seed):
    errors = GRADIENTS[name](reference(name), seed)
    bad = {function: [f"{e:.1e}" for e in values] for function, values in errors.items() if not max(values) <= TOL}
    assert not bad, bad


# --- mutants ------------------------------------------------------------------------------------


def _chosen(name):
    """modular_layers: its whole catalogue; backprop: the first named mutant of each function
    and two right variants (its whole catalogue is graded by tests/test_mutants.py)."""
    catalogue = CATALOGUES[name].MUTANTS
    if name != "backprop":
        return catalogue
    first = {}
    for m in catalogue:
        if m.mistake and not m.correct and m.function not in first and m.mistake != "missing_function":
            first[m.function] = m
    return list(first.values()) + [m for m in catalogue if m.correct][:2]


def _params(kind):
    out = []
    for name in HOMEWORKS:
        for m in _chosen(name):
            if (kind == "correct") != m.correct or (kind == "named" and not m.mistake):
                continue
            marks = [pytest.mark.xfail(strict=True, reason=GRADER_PROBLEMS[name, m.id])] if (name, m.id) in GRADER_PROBLEMS else []
            out.append(pytest.param(name, m, id=f"{name}:{m.id}", marks=marks))
    return out


@pytest.mark.parametrize("name", HOMEWORKS)
def test_has_every_graded_function_a_named_mutant(name):
    catalogue = CATALOGUES[name]
    names = set(load_homework(ROOT / "solutions" / name).names)
    assert {m.function for m in catalogue.MUTANTS} <= names
    assert names - {m.function for m in catalogue.MUTANTS if m.mistake and not m.correct} == set()
    source = reference_path(name).read_text()
    for m in catalogue.MUTANTS:  # each replaces its function and parses
        assert apply(source, [m]) != source


@pytest.mark.parametrize("name,mutant", _params("named"))
def test_does_a_mutant_lose_points_where_it_is_and_get_named(graders, tmp_path_factory, name, mutant):
    results = graded(graders, name, mutant.id, apply(reference_path(name).read_text(), [mutant]), tmp_path_factory)
    own = results.function(mutant.function)
    assert own.score < own.max_score, f"{mutant.function} kept full marks"
    assert mutant.mistake in own.mistakes, f"mistakes {own.mistakes}; first finding: {own.findings[0].message if own.findings else None}"
    allowed = {mutant.function} | mutant.also
    hit = [f.name for f in results.functions if f.name not in allowed and f.score < f.max_score]
    assert hit == [], _report(results)


@pytest.mark.parametrize("name,mutant", _params("correct"))
def test_does_a_right_variant_keep_full_marks(graders, tmp_path_factory, name, mutant):
    results = graded(graders, name, mutant.id, apply(reference_path(name).read_text(), [mutant]), tmp_path_factory)
    assert results.score == results.max_score, _report(results)
    assert all(not f.mistakes for f in results.functions), _report(results)


# --- grade-all ----------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", HOMEWORKS)
def test_does_grade_all_grade_a_folder_of_each_homework(tmp_path, name):
    """Reference, stubs and a named mutant graded by `autograder grade-all --assignment NAME`:
    the scores in grades.csv are those single grading gives (full, zero, less than full)."""
    mutant = next(m for m in CATALOGUES[name].MUTANTS if m.mistake and not m.correct)
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "a-reference.py").write_text(reference_path(name).read_text())
    (folder / "b-stubs.py").write_text(stub_path(name).read_text())
    (folder / "c-mutant.py").write_text(apply(reference_path(name).read_text(), [mutant]))
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "autograder", "grade-all", str(folder), "--assignment", name, "--output", str(out),
         "--workers", "1", "--no-progress", "--call-seconds", "2", "--total-seconds", "60", "--course", str(ROOT)],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    records = {p.name: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}
    assert len(records) == 3, sorted(records)
    by_file = {r["file"].rsplit("/", 1)[-1]: r["results"] for r in records.values()}
    assert by_file["a-reference.py"]["score"] == by_file["a-reference.py"]["max_score"] == 100
    assert by_file["b-stubs.py"]["score"] == 0
    mutated = {f["name"]: f for f in by_file["c-mutant.py"]["functions"]}[mutant.function]
    assert mutated["score"] < mutated["max_score"] and mutant.mistake in mutated["mistakes"]
    with open(out / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3


def test_does_the_second_homeworks_notebook_state_its_contract_as_the_spec_has_it():
    """modular_layers writes its contract in its first markdown cell: a table with one row per
    graded function, `name(arguments)` in the spec's order, with the spec's defaults."""
    homework = load_homework(ROOT / "solutions" / "modular_layers")
    text = reference_path("modular_layers").read_text()
    first_cell = text.split("# %% [markdown]", 2)[1].split("\n# %%", 1)[0]
    rows = re.findall(r"^# \| \d+ \| `(\w+)\(([^)]*)\)`", first_cell, flags=re.M)
    assert [name for name, _ in rows] == list(homework.names)
    for name, arguments in rows:
        function = homework.function(name)
        stated = [a.strip() for a in arguments.split(",") if a.strip()]
        expected = [f"{p}={function.defaults[p]!r}" if p in function.defaults else p for p in function.params]
        assert stated == expected, name
