"""Can a class of 60 mixed submissions (correct, stubbed, mutated, broken and hostile) be
graded, killed halfway and resumed, with every score exactly as generated?

The CI-sized version of benchmarks/class_scale.py (which runs 1,000).
"""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tools.mutants import HOMEWORK, NAMES, REFERENCE_PATH

LIMITS = ["--call-seconds", "2", "--import-seconds", "2", "--total-seconds", "60"]  # as hidden_grader


@pytest.mark.slow
def test_sixty_mixed_submissions_survive_a_kill_and_match_their_expected_scores(course, hidden_grader, tmp_path):
    from tools.classgen import ScoreRule, expected_scores, plan_class, write_class

    specs = plan_class(60, seed=60, adversarial=True)
    assert {s.kind for s in specs} >= {"correct", "stubbed", "mutated", "broken", "adversarial"}
    folder = write_class(specs, tmp_path / "class", gradescope=True)
    rule = ScoreRule.build(hidden_grader.plan, REFERENCE_PATH)  # expected scores from the scoring rule, not from grading

    out = tmp_path / "out"
    command = [sys.executable, "-m", "autograder", "grade-all", str(folder), "--output", str(out), "--no-progress", "--workers", "2", "--assignment", HOMEWORK, *LIMITS]
    process = subprocess.Popen(command, cwd=course.root, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and process.poll() is None and len(list((out / "results").glob("*.json"))) < 30:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished = subprocess.run(command, cwd=course.root, capture_output=True, text=True, timeout=900)
    assert finished.returncode == 0, finished.stderr[-3000:]

    results = list((out / "results").glob("*.json"))
    assert len(results) == 60
    for path in results:
        json.loads(path.read_text())
    with open(out / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["id"] for r in rows) == sorted(s.name for s in specs)
    by_id = {r["id"]: r for r in rows}
    points = hidden_grader.config.points
    mismatches = []
    for spec in specs:
        want = expected_scores(spec, points, rule)
        for name in NAMES:
            got = float(by_id[spec.name][name] or 0.0)
            if abs(got - want[name]) > 0.01:
                mismatches.append((spec.name, spec.kind, spec.mutants + spec.attacks, name, got, want[name]))
    assert not mismatches, mismatches[:10]
