"""Time `autograder grade` on single submissions and count finite-difference work.

    .venv/bin/python benchmarks/grade_speed.py [--runs 5]

Prints, for the reference (.py and .ipynb), the release stubs and a mutant: the median and
spread of the wall time of the whole command (process start, imports, worker, checks,
report) over --runs runs, and the peak resident memory of the command and its worker; then
the number of loss evaluations each finite-difference check costs.
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


def run_once(path):
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "autograder", "grade", str(path), "--output", os.devnull],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"autograder grade {path} failed: {process.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss / 1024  # MB (the largest of the command and its worker)


def submissions(tmp):
    import jupytext
    import nbformat

    reference = ROOT / "solutions" / "backprop.py"
    notebook = Path(tmp) / "reference.ipynb"
    nbformat.write(jupytext.read(reference, fmt="py:percent"), notebook)
    mutant = next(m for m in MUTANTS if m.id == "dJ_dW2-transposed")
    mutant_path = Path(tmp) / "mutant.py"
    mutant_path.write_text(apply(reference.read_text(), [mutant]))
    return [
        ("reference .py", reference),
        ("reference .ipynb", notebook),
        ("stubs (release) .py", ROOT / "assignment" / "backprop.py"),
        ("mutant dJ_dW2-transposed .py", mutant_path),
    ]


def fd_counts():
    from autograder.config import load_config
    from autograder.course import Course
    from autograder.grader import Grader
    from autograder.reference import load_reference

    course = Course(ROOT)
    grader = Grader(load_config(course.grading_config), load_reference(course), hide=[course.root])
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
    args = parser.parse_args()
    print(f"# autograder grade, {args.runs} runs each (wall seconds of the whole command; peak RSS)")
    print(f"{'submission':32s} {'median s':>9s} {'min s':>7s} {'max s':>7s} {'peak RSS MB':>12s}")
    with tempfile.TemporaryDirectory() as tmp:
        for label, path in submissions(tmp):
            run_once(path)  # warm the file cache
            times, memory = [], []
            for _ in range(args.runs):
                elapsed, rss = run_once(path)
                times.append(elapsed)
                memory.append(rss)
            print(f"{label:32s} {statistics.median(times):9.3f} {min(times):7.3f} {max(times):7.3f} {max(memory):12.0f}")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import numpy"], check=True)
    print(f"(for scale: python -c 'import numpy' took {time.perf_counter() - started:.3f} s)")

    rows, seconds = fd_counts()
    print()
    print(f"# finite-difference checks of the hidden plan (computed once per plan: {seconds:.3f} s for the whole plan)")
    print(f"{'function':20s} {'case':38s} {'array':8s} {'entries':>8s} {'method':30s} {'loss evals':>10s}")
    for function, case, path, size, kind, evaluations in rows:
        print(f"{function:20s} {case[:38]:38s} {path:8s} {size:8d} {kind:30s} {evaluations:10d}")
    print(f"total loss evaluations: {sum(r[-1] for r in rows)}")


if __name__ == "__main__":
    main()
