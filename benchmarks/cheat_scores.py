"""What cheating submissions score: the "cheats that buy points" and "procedures and
self-reports" groups of tools/adversarial.py, each graded by `autograder grade`.

    .venv/bin/python benchmarks/cheat_scores.py [--tree DIR]

``--tree DIR`` grades with the autograder package and course of DIR instead of this
checkout: a worktree of an older commit (`git worktree add /tmp/before COMMIT`) gives the
"before" column of BENCHMARKS.md section 7. The submissions are always built from this
checkout's attacks and reference, so both columns grade the same files.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.adversarial import GROUPS  # noqa: E402

GROUP_NAMES = ("cheats that buy points", "procedures and self-reports")


def grade(tree, path):
    """Total score and per-function scores of one submission, graded with ``tree``'s package
    (``python -m`` from ``tree``, so that folder's autograder is the one imported)."""
    result = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(path), "--course", str(tree), "--format", "json"],
        cwd=tree, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    data = json.loads(result.stdout)
    return data["score"], {test["name"]: test["score"] for test in data["tests"]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose grader is measured")
    args = parser.parse_args(argv)
    tree = args.tree.resolve()
    reference = (ROOT / "solutions" / "backprop" / "backprop.py").read_text()
    print(f"# graded with {tree}")
    print(f"{'attack':45} {'total':>7}  attacked functions (score)")
    with tempfile.TemporaryDirectory() as folder:
        for group in GROUP_NAMES:
            for attack in GROUPS[group]:
                text, suffix = attack.build(reference)
                path = Path(folder) / attack.id / f"backprop{suffix}"
                path.parent.mkdir()
                path.write_text(text)
                total, scores = grade(tree, path)
                shown = ", ".join(f"{name} {scores[name]:g}" for name in sorted(attack.attacked) if name in scores)
                print(f"{attack.id:45} {total:7.2f}  {shown}")


if __name__ == "__main__":
    main()
