"""Does correct code keep every point when the machine is busy?

A call's time limit runs from when the worker starts the call (its "started" frame), not from
when the grader sent the request, so a grader slowed down by other work does not turn a
correct function into a timeout. Graded with the default limits (3 s per call).
"""

import csv
import os
import subprocess
import sys
from contextlib import contextmanager

from autograder.factory import make_grader


@contextmanager
def busy_cores():
    """One CPU-bound process per core, beside the grader, for the duration."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True:\n    pass"]) for _ in range(os.cpu_count() or 1)]
    try:
        yield hogs
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def _losses(results):
    return [(f.name, f.score, f.findings[0].message if f.findings else "") for f in results.functions if f.score < f.max_score]


def test_does_the_reference_keep_full_marks_beside_one_busy_process_per_core(course, hw_files):
    with busy_cores() as hogs:
        results = make_grader(course, hw_files.name).grade_one(hw_files.reference)
        assert all(h.poll() is None for h in hogs)  # the cores were busy all along
    assert results.score == results.max_score, _losses(results)


def test_does_grade_all_with_two_grading_processes_keep_full_marks(course, hw_files, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    source = hw_files.reference.read_text()
    for name in ("ana", "ben", "cleo", "dev"):
        (folder / f"{name}.py").write_text(source)
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "autograder", "grade-all", str(folder), "--output", str(out), "--workers", "2", "--no-progress", "--course", str(course.root),
         "--assignment", hw_files.name],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    with open(out / "grades.csv", newline="") as handle:
        rows = {row["id"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"ana", "ben", "cleo", "dev"}
    assert {name: float(row["total"]) for name, row in rows.items()} == dict.fromkeys(rows, 100.0), rows
