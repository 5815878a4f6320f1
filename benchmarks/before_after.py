"""`autograder grade` on the references, an older checkout and this tree alternating, so both
are measured under the same load.

    git worktree add /tmp/baseline 6b07017
    cp -a .venv /tmp/baseline/.venv   # then point its editable install at /tmp/baseline
    .venv/bin/python benchmarks/before_after.py --before /tmp/baseline --runs 11

The older checkout is graded the way it was then: one homework, ``solutions/backprop.py``
(before issue 15) or ``solutions/<name>/<name>.py`` (after), with its own venv.
"""

import argparse
import os
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def command(tree, name):
    """The grade command of ``tree`` for homework ``name``, or None if the tree lacks it."""
    python = str(tree / ".venv" / "bin" / "python")
    layered = tree / "solutions" / name / f"{name}.py"
    if layered.is_file():
        return [python, "-m", "autograder", "grade", str(layered), "--assignment", name, "--output", os.devnull]
    flat = tree / "solutions" / f"{name}.py"
    if flat.is_file():
        return [python, "-m", "autograder", "grade", str(flat), "--output", os.devnull]
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True, help="an older checkout with its own .venv")
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    runs = {}
    for label, tree in (("before", args.before.resolve()), ("after", ROOT)):
        for name in ("backprop", "modular_layers"):
            cmd = command(tree, name)
            if cmd is not None:
                runs[f"{label} {name} reference"] = (cmd, tree)
    times = {key: [] for key in runs}
    for cmd, tree in runs.values():  # one warm-up each: plan caches and bytecode
        subprocess.run(cmd, cwd=tree, check=True, capture_output=True)
    for _ in range(args.runs):
        for key, (cmd, tree) in runs.items():
            start = time.perf_counter()
            subprocess.run(cmd, cwd=tree, check=True, capture_output=True)
            times[key].append(time.perf_counter() - start)
    for key, samples in times.items():
        print(f"{key:34s} median {statistics.median(samples):.3f} s  min {min(samples):.3f}  max {max(samples):.3f}  ({len(samples)} runs)")


if __name__ == "__main__":
    main()
