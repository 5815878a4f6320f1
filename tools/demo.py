"""The grading half of `make demo`: grade the reference, the release stubs and a broken
submission, print the broken one's report, then batch-grade a generated class.

    python -m tools.demo --out demo-output
"""

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

from autograder.course import Course
from tools.classgen import plan_class, write_class
from tools.mutants import HOMEWORK, MUTANTS, REFERENCE_PATH, STUB_PATH, apply

ROOT = Path(__file__).resolve().parent.parent
# A submission modelled on common student mistakes: `*` where a matrix product is needed,
# a bias gradient that is not summed over the rows, and a softmax over the whole array.
BROKEN = ("dJ_dW1-star-for-matmul", "dJ_db2-not-summed", "softmax-whole-array")


def autograder(*args):
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def shown(path):
    """The path as the user typed it: relative to the project when it lies inside."""
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def grade_other_homeworks(out):
    """Every other homework of the course: its reference and its release stubs."""
    course = Course(ROOT)
    for name in course.homeworks():
        if name == HOMEWORK:
            continue
        files = course.homework(name)
        print(f"\n== The {name} homework: reference and release stubs ==")
        for label, path in (("reference", files.reference), ("stubs", files.release_dir / f"{name}.py")):
            results_file = out / f"{name}-{label}.results.json"
            autograder("grade", str(path), "--assignment", name, "--format", "gradescope", "--output", str(results_file))
            data = json.loads(results_file.read_text())
            print(f"{label + '.py':14s} {data['score']:6.2f} / 100   ({shown(results_file)})")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="demo-output")
    parser.add_argument("--class-size", type=int, default=30)
    args = parser.parse_args()
    out = (ROOT / args.out).resolve()
    submissions = out / "submissions"
    submissions.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REFERENCE_PATH, submissions / "reference.py")
    shutil.copyfile(STUB_PATH, submissions / "stubs.py")
    by_id = {m.id: m for m in MUTANTS}
    (submissions / "broken.py").write_text(apply(REFERENCE_PATH.read_text(), [by_id[i] for i in BROKEN]))

    print("\n== Grading single submissions (autograder grade) ==")
    for name in ("reference", "stubs", "broken"):
        results_file = out / f"{name}.results.json"
        autograder("grade", str(submissions / f"{name}.py"), "--assignment", HOMEWORK, "--format", "gradescope", "--output", str(results_file))
        data = json.loads(results_file.read_text())
        print(f"{name + '.py':14s} {data['score']:6.2f} / 100   ({shown(results_file)})")

    print("\n== The report a student gets for broken.py (autograder grade --format text) ==")
    print(autograder("grade", str(submissions / "broken.py"), "--assignment", HOMEWORK, "--format", "text"))

    grade_other_homeworks(out)

    print(f"\n== Batch-grading a generated class of {args.class_size} (a Gradescope export folder) ==")
    specs = plan_class(args.class_size, seed=2026)
    class_dir = out / "class"
    shutil.rmtree(class_dir, ignore_errors=True)
    write_class(specs, class_dir, gradescope=True)
    subprocess.run([sys.executable, "-m", "autograder", "grade-all", str(class_dir), "--assignment", HOMEWORK, "--output", str(out / "class-results")], cwd=ROOT, check=True)
    print(f"\nEverything the demo wrote is in {out}/:")
    for item in ("cost_784-196-1.png", "submissions/", "class/", "class-results/grades.csv", "class-results/summary.md", "class-results/mistakes.png", "class-results/feedback/"):
        print(f"  {shown(out) / item}")


if __name__ == "__main__":
    main()
