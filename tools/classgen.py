"""Generate a reproducible class of submissions, each with the score it must get.

    python -m tools.classgen OUT_DIR --count 30 --seed 1 [--gradescope]

A submission is the reference with some functions stubbed (the release's
``raise NotImplementedError``), some replaced by mutants from tools/mutants.py, or a whole
file broken; some are written as notebooks. Functions that are stubbed or mutated, and their
callers, are chosen so their effects never overlap, which makes every function's expected
score known in advance, from the scoring rule (README, "Points and seeds") and never by
grading a file:

* a case is right or not: a right case earns full credit (mutants that would keep a right
  value but fail a form check, a wrong dtype say, are left out of classes), a case that is
  not right earns 0; a function earns its points times the mean over its cases;
* a stubbed function, or a mutant declared wrong (BREAKS), is not right on any case, or only
  on the cases its declaration names (N = 1 for a missing mean, the ordinary logits for an
  unstable softmax, ...);
* a caller's case is not right when the reference's caller reaches the broken function on
  that case (traced once per plan: ``ScoreRule.build``) and the broken function is not right
  there (the contract: functions graded as wholes lose points when a step they call is wrong);
* untouched functions: full marks; a broken file (syntax error, empty, not UTF-8): 0 for
  everything; a hostile submission from tools/adversarial.py: 0 for its functions with no
  honest value, their callers as above, full marks elsewhere.

``expected`` in each entry of manifest.json is therefore exact, and a batch grader must
reproduce it whatever else is in the class.
"""

import argparse
import ast
import json
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tools.mutants import CALLERS, MUTANTS, NAMES, REFERENCE_PATH, STUB_PATH, apply

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("correct", "stubbed", "mutated", "mixed", "broken", "adversarial")
DEFAULT_WEIGHTS = {"correct": 0.2, "stubbed": 0.2, "mutated": 0.3, "mixed": 0.2, "broken": 0.1}
BROKEN = {
    "syntax-error": ("def sigmoid(Z)\n    return Z\n", ".py"),
    "empty": ("", ".py"),
    "not-a-notebook": ("{this is not json", ".ipynb"),
}


@dataclass
class Spec:
    name: str
    kind: str
    suffix: str
    stubbed: list = field(default_factory=list)
    mutants: list = field(default_factory=list)
    attacks: list = field(default_factory=list)  # at most one hostile submission (tools/adversarial.py)
    broken: str = None
    expected: dict = None  # function -> score (filled by expected_scores)

    @property
    def filename(self):
        return f"{self.name}{self.suffix}"


def affected(function):
    return {function} | set(CALLERS.get(function, ()))


@dataclass(frozen=True)
class Break:
    """How a mutant breaks its function on the hidden cases: ``right_when`` names the cases
    on which its result is still right (RIGHT_WHEN), ``harms_callers`` whether a caller's
    case that reaches it is wrong too."""

    right_when: str = "never"
    harms_callers: bool = True
    spares: frozenset = frozenset()  # callers whose cases stay right (a shape they do not look at)


def _layer_sizes(case):
    """The layer sizes of an L-layer case (the spec's record of it), or ()."""
    return tuple(getattr(case.given, "sizes", None) or ())


def _classes(case):
    Y = getattr(case.given, "Y", None)
    if Y is None:
        Y = case.named_args.get("Y")
    if Y is not None:
        return Y.shape[1] > 1
    sizes = _layer_sizes(case)
    return bool(sizes) and sizes[-1] > 1


RIGHT_WHEN = {
    "never": lambda case: False,
    "N=1": lambda case: case.dims.get("N") == 1,
    "not extreme": lambda case: not case.extreme,
    "several classes": _classes,
    "not both zero": lambda case: case.label != "both zero",
    "N=C": lambda case: case.dims.get("N") is not None and case.dims.get("N") == case.dims.get("C"),
    "one layer": lambda case: len(_layer_sizes(case)) == 2,
    "one hidden layer, one output": lambda case: len(_layer_sizes(case)) == 3 and _layer_sizes(case)[-1] == 1,
}
WRONG = Break()
# Mutants wrong on every case of their function unless listed here. Mutants whose effect the
# rule cannot state (right values in a wrong dtype or a list, inputs changed in place, wrong
# defaults, a different but arguable formula) are left out of generated classes (UNDECLARED).
BREAKS = {
    "dJ_dZ2-missing-mean": Break("N=1"), "dJ_dW2-extra-mean": Break("N=1"), "dJ_db2-mean": Break("N=1"),
    "dJ_db2-not-summed": Break("N=1"), "dJ_dW1-extra-mean": Break("N=1"), "dJ_db1-mean": Break("N=1"),
    "cross_entropy-sum": Break("N=1"), "backprop-inline-missing-mean": Break("N=1"),
    "sigmoid-exp-over-one-plus-exp": Break("not extreme"), "d_sigmoid-exp-form": Break("not extreme"),
    "softmax-no-max-shift": Break("not extreme"),
    "cost_n-binary-sum": Break("several classes"), "predict-column": Break("several classes"),
    "relative_error-nan-when-both-zero": Break("not both zero"), "relative_error-zero-division": Break("not both zero"),
    "dJ_dW2-star-for-matmul": Break("N=1"), "dJ_dW1-star-for-matmul": Break("N=1"),  # X.T * dZ is X.T @ dZ for one row
    "dJ_dZ2-divides-by-C": Break("N=C"),
    "initialize_parameters-rng-per-layer": Break("one layer"),
    "backward_n-star-for-matmul": Break("one hidden layer, one output"),
    # gradient_check compares flattened arrays, and update broadcasts a (n,) gradient onto (1, n)
    "dJ_db2-no-keepdims": Break(spares=frozenset({"gradient_check"})), "dJ_db1-no-keepdims": Break(spares=frozenset({"gradient_check"})),
    "backward_n-bias-no-keepdims": Break(spares=frozenset({"fit"})),
    "dJ_dW1-integer-division": Break("N=1"), "dJ_dZ2-mean-over-rows": Break("N=1"),
    "forward_n-one-output-flattened": Break("several classes"),
}  # fmt: skip
UNDECLARED_MISTAKES = {"timeout", "wrong_dtype", "input_mutation", "returns_list", "wrong_default", "numerical_gradient_not_restored", "relative_error_wrong_denominator", None}
UNDECLARED = {
    "softmax-whole-array",  # right on one-row inputs, which softmax_jacobian always passes
    # gradient_check may still report a planted error within its bound with one-sided differences
    "numerical_gradient-forward-difference", "numerical_gradient-backward-difference",
}


def usable_mutants():
    """Mutants whose score does not depend on time (no endless loops), that change one
    function, and whose effect the scoring rule can state (BREAKS)."""
    return [
        m for m in MUTANTS
        if not m.correct and m.source and m.mistake not in UNDECLARED_MISTAKES and m.id not in UNDECLARED
    ]  # fmt: skip


def break_of(item):
    """The Break of a mutant id, "stub-<function>" or an attack's hostile function."""
    return BREAKS.get(item, WRONG)


@dataclass
class ScoreRule:
    """What the rule needs about the hidden plan: its cases and the functions the reference
    reaches on each case (traced)."""

    plan: dict
    reaches: dict  # function -> [set of contract functions its reference calls on each case]

    @classmethod
    def build(cls, plan, reference_path):
        return cls(plan, trace_reaches(plan, reference_path))

    def score(self, function, points, broken):
        """Points of ``function`` when each function in ``broken`` (name -> Break) is broken."""
        credits = []
        for index, case in enumerate(self.plan[function]):
            right = True
            for name, how in broken.items():
                reached = name == function or (how.harms_callers and function not in how.spares and name in self.reaches[function][index])
                if reached and not RIGHT_WHEN[how.right_when](case):
                    right = False
            credits.append(1.0 if right else 0.0)
        return round(points * sum(credits) / len(credits), 4) if credits else 0.0


def trace_reaches(plan, reference_path):
    """function -> per case, the contract functions the reference's function calls on that
    case (directly or not), found by calling a private copy of the reference on the case's
    inputs with every contract function wrapped; where a case cannot be called here (a test
    function the worker builds), every function it may call (tools.mutants.CALLERS)."""
    from autograder.plan import copy_value
    from autograder.reference import load_module

    module = load_module(reference_path, "classgen_traced_reference")
    called = set()

    def wrap(name, original):
        def traced(*args, **kwargs):
            called.add(name)
            return original(*args, **kwargs)

        return traced

    for name in NAMES:
        setattr(module, name, wrap(name, getattr(module, name)))
    static = {name: {g for g, callers in CALLERS.items() if name in callers} for name in NAMES}
    reaches = {}
    for function, cases in plan.items():
        reaches[function] = []
        for case in cases:
            called.clear()
            try:
                getattr(module, function)(*copy_value(list(case.args)))
                reaches[function].append(set(called) - {function})
            except Exception:  # noqa: BLE001 - a case that needs the worker's test function
                reaches[function].append(set(static[function]))
    return reaches


ADVERSARIAL_WEIGHTS = {"correct": 0.15, "stubbed": 0.15, "mutated": 0.3, "mixed": 0.15, "broken": 0.05, "adversarial": 0.2}


def class_attacks():
    """Hostile submissions fit for a generated class: those of tools/adversarial.py whose score
    does not depend on machine load and that stay harmless without namespaces."""
    from tools.adversarial import ATTACKS, GROUPS, WRONG_VALUE

    # The rule knows one outcome for a hostile function: no right value (honest share 0, or
    # WRONG_VALUE: none of its values right), its callers' cases that reach it wrong, every
    # later case still called. Only groups whose attacks were checked against that rule (by
    # grading each once and comparing) are mixed into classes; other groups join once checked.
    covered = {
        "endless loops", "memory bombs", "exits and signals", "floods of output", "forged results",
        "tampering with numpy and builtins", "lying return values", "odd dtypes, NaN and inf, 0-d and huge arrays",
        "hunting for secrets", "network, processes, files", "slow but correct", "input mutation", "cheats that buy points",
    }  # fmt: skip
    allowed = {a.id for group, attacks in GROUPS.items() if group in covered for a in attacks}
    nearly_right = {"return-float16"}  # within 1e-3: gradient_check, its caller, may still be right
    return [
        a for a in ATTACKS
        if not a.not_in_classes and a.id in allowed and a.id not in nearly_right
        and set(a.attacked) <= set(a.honest) and all(share in (0.0, WRONG_VALUE) for share in a.honest.values())
    ]  # fmt: skip


def plan_class(count, seed=1, weights=None, adversarial=False):
    rng = random.Random(seed)
    weights = weights or (ADVERSARIAL_WEIGHTS if adversarial else DEFAULT_WEIGHTS)
    attacks = class_attacks() if adversarial else []
    kinds = list(weights)
    mutants = usable_mutants()
    # every mutant leads a mutated submission in turn, so a large class covers the catalogue
    cycle = list(mutants)
    rng.shuffle(cycle)
    turn = 0
    specs = []
    for number in range(count):
        kind = rng.choices(kinds, [weights[k] for k in kinds])[0]
        spec = Spec(f"student_{number:04d}", kind, rng.choice([".py", ".py", ".py", ".ipynb"]))
        taken = set()
        if kind == "stubbed":
            for function in rng.sample(NAMES, rng.randint(1, 6)):
                if not affected(function) & taken:
                    spec.stubbed.append(function)
                    taken |= affected(function)
        elif kind in ("mutated", "mixed"):
            first = cycle[turn % len(cycle)]
            turn += 1
            for mutant in [first] + rng.sample(mutants, rng.randint(0, 3)):
                if not affected(mutant.function) & taken:
                    spec.mutants.append(mutant.id)
                    taken |= affected(mutant.function)
            if kind == "mixed":
                for function in rng.sample(NAMES, 3):
                    if not affected(function) & taken:
                        spec.stubbed.append(function)
                        taken |= affected(function)
        elif kind == "broken":
            spec.broken = rng.choice(sorted(BROKEN))
            spec.suffix = BROKEN[spec.broken][1]
        elif kind == "adversarial":
            attack = attacks[number % len(attacks)]  # every attack appears, in turn
            spec.attacks = [attack.id]
        specs.append(spec)
    return specs


def stub_sources():
    """function -> its stub source in the release (docstring + raise NotImplementedError)."""
    source = STUB_PATH.read_text()
    lines = source.splitlines()
    out = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name in NAMES:
            out[node.name] = "\n".join(lines[node.lineno - 1 : node.end_lineno])
    return out


def source_of(spec, reference_source, stubs):
    if spec.broken:
        return BROKEN[spec.broken][0]
    if spec.attacks:
        from tools.adversarial import ATTACKS

        attack = next(a for a in ATTACKS if a.id == spec.attacks[0])
        text, suffix = attack.build(reference_source)
        spec.suffix = suffix
        return text
    by_id = {m.id: m for m in MUTANTS}
    chosen = [by_id[i] for i in spec.mutants]
    from tools.mutants import Mutant

    chosen += [Mutant(f"stub-{f}", f, stubs[f], "not_implemented") for f in spec.stubbed]
    return apply(reference_source, chosen) if chosen else reference_source


def to_notebook(source):
    import jupytext
    import nbformat

    return nbformat.writes(jupytext.reads(source, fmt="py:percent"))


def write_class(specs, folder, gradescope=False):
    """Write the submissions (flat, or as a Gradescope export) and manifest.json."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    reference_source = REFERENCE_PATH.read_text()
    stubs = stub_sources()
    metadata = {}
    for spec in specs:
        text = source_of(spec, reference_source, stubs)
        if spec.suffix == ".ipynb" and not spec.broken and not spec.attacks:
            text = to_notebook(text)
        if gradescope:
            target = folder / f"submission_{spec.name}" / ("backprop" + spec.suffix)
            metadata[f"submission_{spec.name}"] = {":submitters": [{":name": spec.name.replace("_", " ").title(), ":sid": spec.name, ":email": f"{spec.name}@example.edu"}]}
        else:
            target = folder / spec.filename
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    if gradescope:
        import yaml

        (folder / "submission_metadata.yml").write_text(yaml.safe_dump(metadata, sort_keys=True))
    (folder.parent / f"{folder.name}.manifest.json").write_text(json.dumps([asdict(s) for s in specs], indent=1))
    return folder


def broken_functions(spec):
    """function -> Break: what the submission breaks, and how (see the module's docstring)."""
    by_id = {m.id: m for m in MUTANTS}
    broken = {by_id[i].function: break_of(i) for i in spec.mutants}
    broken.update({f: WRONG for f in spec.stubbed})
    if spec.attacks:
        from tools.adversarial import ATTACKS

        attack = next(a for a in ATTACKS if a.id == spec.attacks[0])
        broken.update({f: WRONG for f, share in attack.honest.items() if share < 1.0 and f in attack.attacked})
    return broken


def expected_scores(spec, points, rule):
    """function -> the score this submission must get, from the rule (a ScoreRule)."""
    if spec.broken:
        return {name: 0.0 for name in NAMES}
    broken = broken_functions(spec)
    return {name: rule.score(name, float(points[name]), broken) if broken else float(points[name]) for name in NAMES}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--gradescope", action="store_true", help="write a Gradescope 'Export Submissions' folder")
    args = parser.parse_args()
    specs = plan_class(args.count, args.seed)
    write_class(specs, args.out, args.gradescope)
    kinds = {k: sum(1 for s in specs if s.kind == k) for k in KINDS}
    print(f"{len(specs)} submissions in {args.out}: " + ", ".join(f"{n} {k}" for k, n in kinds.items() if n))


if __name__ == "__main__":
    main()
