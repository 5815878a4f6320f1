"""Time `autograder grade` on single submissions and count finite-difference work.

    .venv/bin/python benchmarks/grade_speed.py [--runs 5] [--homework NAME ...]

Prints, for each homework's reference (.py; backprop's also as .ipynb), the release stubs and
(backprop) a mutant: the median and spread of the wall time of the whole command (process
start, imports, worker, checks, report) over --runs runs, and the peak resident memory of the
command and its worker; then the number of loss evaluations each finite-difference check
costs. The runs of the homeworks' submissions are interleaved (one run of each in turn), so
the medians are measured side by side under the same load.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.mutants import MUTANTS, apply  # noqa: E402


def run_once(path, homework):
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "autograder", "grade", str(path), "--assignment", homework, "--output", os.devnull],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"autograder grade {path} failed: {process.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss / 1024  # MB (the largest of the command and its worker)


def submissions(tmp, homeworks):
    """[(homework, label, path)]."""
    import jupytext
    import nbformat

    out = []
    for homework in homeworks:
        reference = ROOT / "solutions" / homework / f"{homework}.py"
        out.append((homework, "reference .py", reference))
        if homework == "backprop":
            notebook = Path(tmp) / "reference.ipynb"
            nbformat.write(jupytext.read(reference, fmt="py:percent"), notebook)
            out.append((homework, "reference .ipynb", notebook))
        out.append((homework, "stubs (release) .py", ROOT / "assignment" / homework / f"{homework}.py"))
        if homework == "backprop":
            mutant = next(m for m in MUTANTS if m.id == "dJ_dW2-transposed")
            mutant_path = Path(tmp) / "mutant.py"
            mutant_path.write_text(apply(reference.read_text(), [mutant]))
            out.append((homework, "mutant dJ_dW2-transposed .py", mutant_path))
    return out


def fd_counts(homework):
    from autograder.factory import make_grader

    grader = make_grader(ROOT, homework)
    started = time.perf_counter()
    plan = grader.plan
    seconds = time.perf_counter() - started
    rows = []
    for function, cases in plan.items():
        for case in cases:
            for path, _ in case.fd.items():
                probes = case.probes(path)
                kind = "entry by entry" if probes.exact else "directions + sampled entries"
                rows.append((function, case.label, path or "-", int(probes.shape and __import__("math").prod(probes.shape)), kind, probes.evaluations))
    grader.close()
    return rows, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--homework", action="append", help="a homework to time (default: backprop and modular_layers)")
    args = parser.parse_args()
    homeworks = args.homework or ["backprop", "modular_layers"]
    print(f"# autograder grade, {args.runs} runs each, interleaved (wall seconds of the whole command; peak RSS)")
    print(f"{'homework':15s} {'submission':32s} {'median s':>9s} {'min s':>7s} {'max s':>7s} {'peak RSS MB':>12s}")
    with tempfile.TemporaryDirectory() as tmp:
        items = submissions(tmp, homeworks)
        for homework, _, path in items:
            run_once(path, homework)  # warm the file cache and the plan cache
        times = {label: [] for label in items}
        memory = {label: [] for label in items}
        for _ in range(args.runs):
            for item in items:
                elapsed, rss = run_once(item[2], item[0])
                times[item].append(elapsed)
                memory[item].append(rss)
        for item in items:
            homework, label, _ = item
            t = times[item]
            print(f"{homework:15s} {label:32s} {statistics.median(t):9.3f} {min(t):7.3f} {max(t):7.3f} {max(memory[item]):12.0f}")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import numpy"], check=True)
    print(f"(for scale: python -c 'import numpy' took {time.perf_counter() - started:.3f} s)")

    for homework in homeworks:
        rows, seconds = fd_counts(homework)
        print()
        print(f"# {homework}: finite-difference checks of the hidden plan (computed once per plan: {seconds:.3f} s for the whole plan)")
        print(f"{'function':20s} {'case':38s} {'array':8s} {'entries':>8s} {'method':30s} {'loss evals':>10s}")
        for function, case, path, size, kind, evaluations in rows:
            print(f"{function:20s} {case[:38]:38s} {path[:8]:8s} {size:8d} {kind:30s} {evaluations:10d}")
        print(f"total loss evaluations: {sum(r[-1] for r in rows)}")


if __name__ == "__main__":
    main()
