"""The grader's peak memory and the size of its report on the worst replies and
amplifications of tools/adversarial.py (issue 13), next to the reference.

    .venv/bin/python benchmarks/reply_memory.py [ATTACK_ID ...]

Each submission is graded by `autograder grade` in a `python -I` process that prints its own
peak RSS (getrusage) at the end, once with `--format json` and once with `--format
gradescope`. Without arguments: the reference and tools.adversarial.MEASURED.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.adversarial import ATTACKS, MEASURED, write  # noqa: E402

MEASURE = (
    "import resource, sys\nfrom autograder.cli import main\ncode = main(sys.argv[1:])\n"
    "print('maxrss_kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\nsys.exit(code)\n"
)


def main(argv=None):
    ids = (argv if argv is not None else sys.argv[1:]) or ["reference", *MEASURED]
    print(f"{'submission':40} {'format':10} {'exit':>4} {'peak RSS':>9} {'report':>12}")
    with tempfile.TemporaryDirectory() as folder:
        for attack_id in ids:
            if attack_id == "reference":
                path = ROOT / "solutions" / "backprop" / "backprop.py"
            else:
                path = write(next(a for a in ATTACKS if a.id == attack_id), Path(folder) / attack_id)
            for fmt in ("json", "gradescope"):
                out = Path(folder) / f"{attack_id}.{fmt}"
                done = subprocess.run(
                    [sys.executable, "-I", "-c", MEASURE, "grade", str(path), "--course", str(ROOT), "--format", fmt, "--output", str(out)],
                    capture_output=True, text=True, cwd=ROOT, timeout=600,
                )  # fmt: skip
                kb = [int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("maxrss_kb")]
                rss = f"{kb[0] / 1024:.0f} MB" if kb else "?"
                size = f"{out.stat().st_size:,} B" if out.exists() else "none"
                print(f"{attack_id:40} {fmt:10} {done.returncode:>4} {rss:>9} {size:>12}", flush=True)


if __name__ == "__main__":
    main()
