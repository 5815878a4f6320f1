"""``autograder export gradescope``: an autograder.zip for Gradescope.

The zip holds a wheel of this package, the course's reference and grading config, and the
two scripts Gradescope runs:

    setup.sh         once, when Gradescope builds the image: a venv with the wheel installed;
                     the reference and config made readable by root only
    run_autograder   for each submission: grade /autograder/submission/backprop.py (or .ipynb)
                     and write /autograder/results/results.json

Both scripts take the root from $AUTOGRADER_ROOT (default /autograder), so a test can lay out
a container in a temporary folder. results.json is written by the grader after its worker
has exited, and the results folder is hidden from the worker, so a submission cannot write
its own score.
"""

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ..atomic import write_text_atomic
from ..errors import UserError

SETUP = r"""#!/usr/bin/env bash
# Gradescope runs this once while building the autograder image.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${AUTOGRADER_PYTHON:-python3}"
"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10 or newer is needed"'
if ! "$PYTHON" -m venv "$ROOT/venv"; then
  # Debian and Ubuntu ship venv's pip bootstrap separately
  apt-get update -q && apt-get install -y -q python3-venv
  rm -rf "$ROOT/venv"
  "$PYTHON" -m venv "$ROOT/venv"
fi
# -I everywhere: no working folder on sys.path, no PYTHON* variables, no user site-packages
"$ROOT/venv/bin/python" -I -m pip install --quiet --upgrade pip
"$ROOT/venv/bin/python" -I -m pip install --quiet "$ROOT"/source/*.whl
# The reference and the grading config stay readable by root (the grader) only.
chmod -R go-rwx "$ROOT/source"
# Computed once here, reused by every submission: the reference's values, the finite
# differences and matplotlib's font cache.
"$ROOT/venv/bin/python" -I -m autograder prepare --course "$ROOT/source"
"""

RUN = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
# -I: the working folder (where Gradescope may leave the submission) is not on sys.path
"$ROOT/venv/bin/python" -I -m autograder gradescope-run --root "$ROOT"
status=$?
# The last resort: the grader could not even start (a broken venv): Gradescope still gets a score.
if [ ! -s "$ROOT/results/results.json" ]; then
  mkdir -p "$ROOT/results"
  printf '{"score": 0, "execution_time": 0, "tests": [], "output": "Your submission could not be graded: internal grader error: the grader stopped with status %s before writing results."}\n' "$status" > "$ROOT/results/results.json"
fi
exit "$status"
"""


class ExportError(UserError, RuntimeError):
    pass


def build_wheel(project_root, out_dir):
    """A wheel of this package built from the project source."""
    project_root = Path(project_root)
    if not (project_root / "pyproject.toml").exists():
        raise ExportError(f"{project_root} has no pyproject.toml: export needs the project's source tree")
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", tmp, str(project_root)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise ExportError(f"building the wheel failed:\n{result.stderr[-2000:]}")
        wheels = list(Path(tmp).glob("*.whl"))
        if len(wheels) != 1:
            raise ExportError(f"expected one wheel, found {[w.name for w in wheels]}")
        target = Path(out_dir) / wheels[0].name
        shutil.copyfile(wheels[0], target)
        return target


def export(course, out_dir, project_root=None):
    """Write ``out_dir/autograder.zip``; returns its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    project_root = Path(project_root) if project_root else course.root
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_wheel(project_root, tmp)
        zip_path = out_dir / "autograder.zip"
        partial = out_dir / ".autograder.zip.partial"
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            _add(archive, "setup.sh", SETUP)
            _add(archive, "run_autograder", RUN)
            archive.write(wheel, wheel.name)
            archive.write(course.solution, "solutions/backprop.py")
            archive.write(course.grading_config, "solutions/grading.toml")
        partial.replace(zip_path)
    return zip_path


def _add(archive, name, text):
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o755 << 16  # executable
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text)


def run(root, isolation="auto", require_isolation=None):
    """Grade the submission in root/submission and write root/results/results.json.

    The isolation is the strongest the container allows (sandbox.LADDER; without
    CAP_SYS_ADMIN that is "uid": setup.sh made the course readable by root only), named in
    results.json's ``extra_data``. ``require_isolation`` (else grading.toml's [sandbox]
    require_isolation) refuses a weaker one: results.json then says why, with score 0."""
    import json

    from ..config import load_config
    from ..course import Course
    from ..exporters.gradescope import to_gradescope
    from ..grader import grade_file
    from ..reference import load_reference
    from ..submission import pick_file

    root = Path(root)
    course = Course(root / "source")
    results_path = root / "results" / "results.json"
    path, problem = pick_file(root / "submission")
    if path is None:
        data = {"score": 0.0, "execution_time": 0, "output": f"Nothing was graded: {problem}.", "tests": []}
    else:
        config = load_config(course.grading_config).with_limits(require_isolation=require_isolation)
        hide = [root / "source", root / "results", root / "submission"]
        results = grade_file(path, config, lambda: load_reference(course), hide=hide, isolation=isolation)
        data = to_gradescope(results, config.visibility)
        data["extra_data"] = {"isolation": results.sandbox.get("isolation")}
    # Written here, by the grader, once the worker has exited.
    write_text_atomic(results_path, json.dumps(data, indent=2) + "\n")
    return results_path


def run_guarded(root, **options):
    """``run(root, **options)``, with a last resort: whatever escapes it, results.json is still
    written (score 0, the failure named). Returns (results path, None) or (results path, the error)."""
    try:
        return run(root, **options), None
    except Exception as err:  # noqa: BLE001 - Gradescope must always get a score and a message
        import json

        from ..config import load_config
        from ..course import Course
        from ..exporters.gradescope import to_gradescope
        from ..guard import describe, failed_results, render_safely

        root = Path(root)
        message = str(err) if isinstance(err, UserError) else describe(err)
        try:
            config = load_config(Course(root / "source").grading_config)
        except Exception:  # noqa: BLE001 - the config may be what failed
            config = None
        results = failed_results(root / "submission", message, config)
        text = render_safely(results, "gradescope", lambda r, _: json.dumps(to_gradescope(r, config.visibility if config else None), indent=2) + "\n")
        results_path = root / "results" / "results.json"
        write_text_atomic(results_path, text)
        return results_path, err
