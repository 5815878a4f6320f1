"""``autograder export gradescope --assignment NAME``: an autograder.zip for Gradescope, and
``autograder export wheel --assignment NAME``: the student package.

The zip holds one homework: a wheel of this package (the engine alone), the homework's folder
(``solutions/NAME/``: reference, spec, known mistakes, grading config) and the two scripts
Gradescope runs:

    setup.sh         once, when Gradescope builds the image: a venv with the wheel installed;
                     the homework folder made readable by root only
    run_autograder   for each submission: grade /autograder/submission/NAME.py (or .ipynb)
                     and write /autograder/results/results.json

Both scripts take the root from $AUTOGRADER_ROOT (default /autograder), so a test can lay out
a container in a temporary folder. results.json is written by the grader after its worker
has exited, and the results folder is hidden from the worker, so a submission cannot write
its own score.

Wheels are built from a copy of the project in a temporary folder, never from the project
tree itself. The student wheel adds ``autograder/homeworks/NAME/{spec,mistakes}.py`` to that
copy, mistakes.py as its public copy (publicize.py: no fix, no wrong implementation) (what the public checks need without a course, see ``spec.load_installed``); the
reference never goes in.
"""

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ..atomic import write_text_atomic
from ..errors import UserError
from ..publicize import public_copy
from ..release import homework_of
from .cells import copy_homework_folder

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
# The homework (reference, spec, grading config) stays readable by root (the grader) only.
chmod -R go-rwx "$ROOT/source"
# Computed once here, reused by every submission: the reference's values, the finite
# differences and matplotlib's font cache.
"$ROOT/venv/bin/python" -I -m autograder prepare --course "$ROOT/source" --assignment "@NAME@"
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


STUDENT_FILES = ("spec.py", "mistakes.py")  # of the homework folder: never the reference
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".*", "homeworks")  # no homework left by anyone


def build_wheel(project_root, out_dir, homework_files=None):
    """A wheel of this package built from a copy of its source in a temporary folder; with
    ``homework_files`` (a course's HomeworkFiles), the student wheel: the copy also holds
    ``autograder/homeworks/<name>/`` with the homework's spec.py and mistakes.py.

    ``project_root``: a source tree (pyproject.toml and autograder/); None: the running
    engine's own (its project when it runs from one, else the installed package with a
    pyproject.toml written from its metadata), so a course anywhere can export."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        _engine_tree(tree, project_root)
        if homework_files is not None:
            _add_homework(tree / "autograder" / "homeworks", homework_files)
        built = Path(tmp) / "wheel"
        result = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(built), str(tree)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise ExportError(f"building the wheel failed:\n{result.stderr[-2000:]}")
        wheels = list(built.glob("*.whl"))
        if len(wheels) != 1:
            raise ExportError(f"expected one wheel, found {[w.name for w in wheels]}")
        target = Path(out_dir) / wheels[0].name
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(wheels[0], target)
        return target


def _engine_tree(tree, project_root):
    package = Path(__file__).resolve().parent.parent
    root = Path(project_root) if project_root is not None else package.parent
    if (root / "pyproject.toml").is_file() and (root / "autograder").is_dir():
        shutil.copyfile(root / "pyproject.toml", tree / "pyproject.toml")
        if (root / "README.md").is_file():
            shutil.copyfile(root / "README.md", tree / "README.md")
        source = root / "autograder"
    elif project_root is not None:
        raise ExportError(f"{root} is not this package's source tree (no pyproject.toml and autograder/)")
    else:
        (tree / "pyproject.toml").write_text(_installed_pyproject())
        source = package
    shutil.copytree(source, tree / "autograder", ignore=_IGNORE)


def _installed_pyproject():
    """A pyproject.toml that rebuilds the installed package: its name, version, Python and
    dependencies (test extras left out) from its metadata."""
    import json
    from importlib import metadata

    names = metadata.packages_distributions().get("autograder") or sorted(
        {d.metadata["Name"] for d in metadata.distributions() if any(f.as_posix() == "autograder/__init__.py" for f in d.files or ())}
    )  # Python 3.10 reads only top_level.txt, which hatchling does not write
    if len(set(names)) != 1:
        raise ExportError("cannot tell which installed distribution holds this package: export from its source tree")
    dist = metadata.distribution(names[0])
    requires = [r for r in dist.requires or [] if "extra ==" not in r]
    return "\n".join(
        [
            "[build-system]",
            'requires = ["hatchling>=1.20"]',
            'build-backend = "hatchling.build"',
            "[project]",
            f"name = {json.dumps(dist.metadata['Name'])}",
            f"version = {json.dumps(dist.version)}",
            f"requires-python = {json.dumps(dist.metadata.get('Requires-Python') or '>=3.10')}",
            f"dependencies = {json.dumps(requires)}",
            "[project.scripts]",
            'autograder = "autograder.cli:main"',
            "[tool.hatch.build.targets.wheel]",
            'packages = ["autograder"]',
            "",
        ]
    )


def _add_homework(homeworks, files):
    package = homeworks / files.name
    package.mkdir(parents=True)
    (homeworks / "__init__.py").write_text('"""Homeworks packaged with this wheel (spec and known mistakes only)."""\n')
    (package / "__init__.py").write_text("")
    for name in STUDENT_FILES:
        if (files.folder / name).is_file():
            shutil.copyfile(files.folder / name, package / name)
    if (package / "mistakes.py").is_file():  # its public copy, as the release's checks/ ship it
        (package / "mistakes.py").write_text(public_copy(files))


def build_student_wheel(course, homework, out_dir, project_root=None):
    """``autograder export wheel``: the package students install for ``homework`` (the engine
    with the homework's public checks, no reference); returns the wheel's path."""
    files, _ = homework_of(course, homework)
    return build_wheel(project_root, out_dir, files)


def export(course, homework, out_dir, project_root=None):
    """Write ``out_dir/autograder.zip`` for ``homework``; returns its path."""
    files, spec = homework_of(course, homework)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_wheel(project_root, tmp)
        zip_path = out_dir / "autograder.zip"
        partial = out_dir / ".autograder.zip.partial"
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            _add(archive, "setup.sh", SETUP.replace("@NAME@", spec.name))
            _add(archive, "run_autograder", RUN)
            archive.write(wheel, wheel.name)
            folder = Path(tmp) / "solutions" / spec.name
            copy_homework_folder(files, folder)
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(Path(tmp)).as_posix())
        partial.replace(zip_path)
    return zip_path


def _add(archive, name, text):
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o755 << 16  # executable
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text)


def run(root, isolation="auto", require_isolation=None):
    """Grade the submission in root/submission and write root/results/results.json.

    root/source is a course holding one homework (the zip's ``solutions/<name>/``). The
    isolation is the strongest the container allows (sandbox.LADDER; without CAP_SYS_ADMIN
    that is "uid": setup.sh made the course readable by root only), named in results.json's
    ``extra_data``. ``require_isolation`` (else grading.toml's [sandbox] require_isolation)
    refuses a weaker one: results.json then says why, with score 0."""
    import json

    from ..course import Course
    from ..exporters.gradescope import to_gradescope
    from ..factory import make_grader
    from ..submission import pick_file

    root = Path(root)
    course = Course(root / "source")
    files = course.pick(None)
    results_path = root / "results" / "results.json"
    path, problem = pick_file(root / "submission", files.name)
    if path is None:
        data = {"score": 0.0, "execution_time": 0, "output": f"Nothing was graded: {problem}.", "tests": []}
    else:
        hide = [root / "source", root / "results", root / "submission"]
        limits = {"require_isolation": require_isolation} if require_isolation is not None else None
        grader = make_grader(course, files.name, limits=limits, isolation=isolation, hide=hide)
        results = grader.grade_one(path)
        data = to_gradescope(results, grader.config.visibility)
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
        from ..spec import load_homework

        root = Path(root)
        message = str(err) if isinstance(err, UserError) else describe(err)
        try:
            files = Course(root / "source").pick(None)
            config = load_config(files.grading_config, load_homework(files.folder))
        except Exception:  # noqa: BLE001 - the config may be what failed
            config = None
        results = failed_results(root / "submission", message, config)
        text = render_safely(results, "gradescope", lambda r, _: json.dumps(to_gradescope(r, config.visibility if config else None), indent=2) + "\n")
        results_path = root / "results" / "results.json"
        write_text_atomic(results_path, text)
        return results_path, err
