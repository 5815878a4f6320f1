"""Grade generated classes with `autograder grade-all` and check every score.

    .venv/bin/python benchmarks/class_scale.py --count 1000 --workers 2 --kill-halfway
    .venv/bin/python benchmarks/class_scale.py --count 50 200 1000 --workers 1 2      # scaling

For each class size and worker count: generate a reproducible class (tools/classgen.py:
correct, stubbed, mutated, broken and, with --adversarial, hostile submissions), run
grade-all as a subprocess, and report wall time, submissions per second and the peak memory
of the whole process tree (grader, grading processes and their sandboxed workers, sampled
every 0.2 s). Then check: one row per student, none duplicated, and every function's score
equal to the expected score known from how the submission was generated (the scoring rule
of tools/classgen.py; nothing is graded to find it). --kill-halfway SIGKILLs the run
when half the results exist, restarts it, and checks again that nothing was lost.
"""

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.measure import Sampler  # noqa: E402


def run_grade_all(folder, out, workers, kill_when=None):
    command = [sys.executable, "-m", "autograder", "grade-all", str(folder), "--assignment", "backprop", "--output", str(out), "--no-progress", "--workers", str(workers)]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = Sampler(process.pid)
    sampler.start()
    killed = False
    if kill_when is not None:
        while process.poll() is None:
            if len(list((Path(out) / "results").glob("*.json"))) >= kill_when:
                os.killpg(process.pid, signal.SIGKILL)
                killed = True
                break
            time.sleep(0.05)
    stdout, stderr = process.communicate()
    sampler.running = False
    sampler.join()
    if process.returncode != 0 and not killed:
        raise SystemExit(f"grade-all failed:\n{stderr[-3000:]}")
    return time.perf_counter() - started, sampler.peak, killed


def check(specs, out, points, rule):
    from tools.classgen import expected_scores

    with open(Path(out) / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    ids = [r["id"] for r in rows]
    problems = []
    if sorted(ids) != sorted(s.name for s in specs):
        problems.append(f"{len(ids)} rows for {len(specs)} submissions ({len(ids) - len(set(ids))} duplicated)")
    by_id = {r["id"]: r for r in rows}
    mismatches = 0
    for spec in specs:
        row = by_id.get(spec.name)
        if row is None:
            continue
        for name, want in expected_scores(spec, points, rule).items():
            got = float(row[name]) if row[name] != "" else 0.0
            if abs(got - want) > 0.01:
                mismatches += 1
                if mismatches <= 10:
                    problems.append(f"{spec.name} ({spec.kind}) {name}: got {got}, expected {want}")
    corrupt = 0
    for path in (Path(out) / "results").glob("*.json"):
        try:
            json.loads(path.read_text())
        except ValueError:
            corrupt += 1
    return len(rows), mismatches, corrupt, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, nargs="+", default=[200])
    parser.add_argument("--workers", type=int, nargs="+", default=[2])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--adversarial", action="store_true", help="include hostile submissions (tools/adversarial.py)")
    parser.add_argument("--kill-halfway", action="store_true")
    parser.add_argument("--no-check", action="store_true", help="skip the score check")
    args = parser.parse_args()

    from autograder.factory import make_grader
    from tools.classgen import ScoreRule, plan_class, write_class
    from tools.mutants import REFERENCE_PATH

    grader = make_grader(ROOT, "backprop", prestart=False)
    config = grader.config
    print(f"limits in force: {config.limits.call_seconds:g} s per call, {config.limits.total_seconds:g} s per submission, {config.limits.memory_mb} MB address space per worker")
    print(f"{'submissions':>11s} {'workers':>7s} {'wall s':>8s} {'subm/s':>8s} {'peak RSS MB':>11s} {'rows':>6s} {'mismatches':>10s} {'corrupt':>7s}")
    with tempfile.TemporaryDirectory() as tmp:
        rule = None
        for count in args.count:
            specs = plan_class(count, seed=args.seed, adversarial=args.adversarial)
            folder = write_class(specs, Path(tmp) / f"class-{count}")
            if not args.no_check and rule is None:  # expected scores from the scoring rule (tools/classgen.py)
                rule = ScoreRule.build(grader.plan, REFERENCE_PATH)
            for workers in args.workers:
                out = Path(tmp) / f"out-{count}-{workers}"
                killed_note = ""
                if args.kill_halfway:
                    first, peak1, killed = run_grade_all(folder, out, workers, kill_when=count // 2)
                    second, peak2, _ = run_grade_all(folder, out, workers)
                    wall, peak = first + second, max(peak1, peak2)
                    killed_note = f"  (killed at {count // 2} results after {first:.1f} s, restarted: {second:.1f} s more)" if killed else ""
                else:
                    wall, peak, _ = run_grade_all(folder, out, workers)
                rows, mismatches, corrupt, problems = ("-", "-", "-", []) if args.no_check else check(specs, out, config.points, rule)
                print(f"{count:11d} {workers:7d} {wall:8.1f} {count / wall:8.2f} {peak:11.0f} {rows!s:>6s} {mismatches!s:>10s} {corrupt!s:>7s}{killed_note}")
                for problem in problems:
                    print(f"    {problem}")
    grader.close()


if __name__ == "__main__":
    main()
