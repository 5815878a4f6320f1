"""Generate a reproducible class of submissions, each with the score it must get.

    python -m tools.classgen OUT_DIR --count 30 --seed 1 [--gradescope]

A submission is the reference with some functions stubbed (the release's
``raise NotImplementedError``), some replaced by mutants from tools/mutants.py, or a whole
file broken; some are written as notebooks. Functions that are stubbed or mutated, and their
callers, are chosen so their effects never overlap, which makes every function's expected
score known in advance:

* untouched functions: full marks;
* a stubbed function: 0, and its callers what they earn with that stub alone (a caller
  still passes the cases that never reach the stub);
* a mutant's function and its callers: the scores that mutant earns when it is the only
  change (the calibration, measured once per mutant by grading it alone);
* a broken file (syntax error, empty, not UTF-8): 0 for everything.

``expected`` in each entry of manifest.json is therefore exact, and a batch grader must
reproduce it whatever else is in the class.
"""

import argparse
import ast
import json
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder import contract
from tools.mutants import CALLERS, MUTANTS, apply

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


def usable_mutants():
    """Mutants whose score does not depend on time (no endless loops) and that change one function."""
    return [m for m in MUTANTS if not m.correct and m.mistake not in ("timeout",) and m.source]


ADVERSARIAL_WEIGHTS = {"correct": 0.15, "stubbed": 0.15, "mutated": 0.3, "mixed": 0.15, "broken": 0.05, "adversarial": 0.2}


def class_attacks():
    """Hostile submissions fit for a generated class: those of tools/adversarial.py whose score
    does not depend on machine load and that stay harmless without namespaces."""
    from tools.adversarial import ATTACKS

    return [a for a in ATTACKS if not a.not_in_classes]


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
            for function in rng.sample(contract.NAMES, rng.randint(1, 6)):
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
                for function in rng.sample(contract.NAMES, 3):
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
    source = (ROOT / "assignment" / "backprop.py").read_text()
    lines = source.splitlines()
    out = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name in contract.BY_NAME:
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
    reference_source = (ROOT / "solutions" / "backprop.py").read_text()
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


def calibrate(ids, grader, workdir):
    """Per-function scores of each mutant, attack or stub ("stub-<function>") graded alone:
    id -> {function: score}."""
    reference_source = (ROOT / "solutions" / "backprop.py").read_text()
    by_id = {m.id: m for m in MUTANTS}
    table = {}
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    stubs = stub_sources()
    for item in sorted(set(ids)):
        if item in by_id:
            path = workdir / f"{item}.py"
            path.write_text(apply(reference_source, [by_id[item]]))
        elif item.startswith("stub-"):
            from tools.mutants import Mutant

            function = item[len("stub-") :]
            path = workdir / f"{item}.py"
            path.write_text(apply(reference_source, [Mutant(item, function, stubs[function], "not_implemented")]))
        else:
            from tools.adversarial import ATTACKS

            attack = next(a for a in ATTACKS if a.id == item)
            text, suffix = attack.build(reference_source)
            path = workdir / f"{item}{suffix}"
            path.write_text(text)
        results = grader.grade(path)
        table[item] = {f.name: f.score for f in results.functions}
    return table


def expected_scores(spec, points, calibration):
    """function -> the score this submission must get."""
    if spec.broken:
        return {name: 0.0 for name in contract.NAMES}
    if spec.attacks:
        return dict(calibration[spec.attacks[0]])
    scores = {name: float(points[name]) for name in contract.NAMES}
    by_id = {m.id: m for m in MUTANTS}
    for mutant_id in spec.mutants:
        for function in affected(by_id[mutant_id].function):
            scores[function] = calibration[mutant_id][function]
    for function in spec.stubbed:  # a caller may still pass the cases that do not reach the stub
        for name in affected(function):
            scores[name] = calibration[f"stub-{function}"][name]
    return scores


def calibration_ids(specs):
    """Everything the expected scores of ``specs`` need calibrated."""
    return sorted({i for s in specs for i in s.mutants + s.attacks} | {f"stub-{f}" for s in specs for f in s.stubbed})


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
