"""Does the Gradescope autograder.zip set up and grade like a real container would, and is
the student wheel (``export wheel``) free of any solution?

The container is laid out in a temporary folder (source/, submission/, results/), setup.sh
installs the wheel from the zip into a fresh venv, and run_autograder runs as a subprocess.
``make_container`` and ``run_submission`` serve any homework (tests/test_homeworks.py calls
them for the others); the tests here grade the backprop homework.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, replace_function

from autograder.course import Course
from autograder.integrations.gradescope import build_student_wheel, export
from autograder.publicize import public_copy
from autograder.release import homework_of

HOMEWORK = "backprop"


def python_310(folder):
    """A Python 3.10 (Gradescope's default images run it) behind a venv of its own, so that
    setup.sh builds a venv from a venv: Python 3.10 links the new venv's python to the old
    venv's, and the worker must still find its way to the real interpreter."""
    found = sorted(Path.home().glob(".pyenv/versions/3.10*/bin/python3.10")) + [Path(p) for p in ("/usr/bin/python3.10",) if Path(p).exists()]
    if not found:
        pytest.skip("no Python 3.10 on this machine")
    subprocess.run([str(found[0]), "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    return str(folder / "bin" / "python")


def make_container(course, homework, top, python=None):
    """Export ``homework``'s zip, unzip it into ``top``/autograder/source and run its setup.sh
    there; returns (root, env) for ``run_submission``."""
    root = Path(top) / "autograder"
    zip_path = export(course, homework, Path(top) / "export")
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        archive.extractall(root / "source")
    assert {"setup.sh", "run_autograder", f"solutions/{homework}/{homework}.py", f"solutions/{homework}/grading.toml"} <= set(names)
    assert {f"solutions/{homework}/spec.py", f"solutions/{homework}/mistakes.py"} <= set(names)
    assert not [n for n in names if n.startswith("solutions/") and not n.startswith(f"solutions/{homework}/")], "one homework per zip"
    assert any(n.endswith(".whl") for n in names)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=python or sys.executable)
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True, timeout=900)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    return root, env


def run_submission(container, files):
    """Grade the submission ``files`` ({name: text}) with run_autograder; returns results.json."""
    root, env = container
    for folder in ("submission", "results"):
        shutil.rmtree(root / folder, ignore_errors=True)
        (root / folder).mkdir()
    for name, text in files.items():
        (root / "submission" / name).write_text(text)
    run = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads((root / "results" / "results.json").read_text())


@pytest.fixture(scope="module", params=["this-python", "python-3.10"])
def container(request, course, tmp_path_factory):
    top = tmp_path_factory.mktemp("gradescope")
    python = sys.executable if request.param == "this-python" else python_310(top / "py310")
    return make_container(course, HOMEWORK, top, python)


def test_setup_keeps_the_reference_private(container):
    root, _ = container
    folder = root / "source" / "solutions" / HOMEWORK
    for name in (f"{HOMEWORK}.py", "grading.toml", "spec.py", "mistakes.py"):
        assert (folder / name).stat().st_mode & 0o077 == 0, name


def test_reference_gets_full_marks(container, reference_source, homework):
    data = run_submission(container, {f"{HOMEWORK}.py": reference_source})
    assert data["score"] == 100 and [t["name"] for t in data["tests"]] == list(homework.names)
    assert all(t["status"] == "passed" for t in data["tests"])


def test_mutant_loses_points_in_its_function_with_a_tag(container, reference_source):
    source = replace_function(reference_source, "softmax_jacobian", "def softmax_jacobian(z):\n    s = softmax(z[None])[0]\n    return np.diag(s * (1 - s))\n")
    data = run_submission(container, {f"{HOMEWORK}.py": source})
    tests = {t["name"]: t for t in data["tests"]}
    assert tests["softmax_jacobian"]["score"] < tests["softmax_jacobian"]["max_score"]
    assert "mistake:jacobian_diagonal_only" in tests["softmax_jacobian"]["tags"]
    assert "np.diag(s) - np.outer(s, s)" in tests["softmax_jacobian"]["output"]
    assert all(t["score"] == t["max_score"] for name, t in tests.items() if name != "softmax_jacobian")


def test_notebook_submissions_are_graded_too(container, hw_files):
    notebook = (hw_files.release_dir / f"{HOMEWORK}.ipynb").read_text()
    data = run_submission(container, {f"{HOMEWORK}.ipynb": notebook})
    assert data["score"] == 0 and all("mistake:not_implemented" in t["tags"] for t in data["tests"])


@pytest.mark.parametrize(
    "files, words",
    [({}, f"no {HOMEWORK}.py or {HOMEWORK}.ipynb was submitted"), ({f"{HOMEWORK}.py": ""}, "defines nothing")],
    ids=["no-file", "empty-file"],
)
def test_empty_submission_scores_zero_with_a_clear_message(container, files, words):
    data = run_submission(container, files)
    assert data["score"] == 0
    assert words in data["output"]


def test_submission_cannot_write_its_own_results(container, reference_source):
    forge = (
        "\nclass Forge:\n"
        "    import json, os\n"
        "    for path in ('/autograder/results/results.json', os.environ.get('AUTOGRADER_ROOT', '') + '/results/results.json', 'results.json', '../results/results.json'):\n"
        "        try:\n"
        "            open(path, 'w').write(json.dumps({'score': 1000, 'tests': []}))\n"
        "        except OSError:\n"
        "            pass\n"
    )
    stub = replace_function(reference_source, "predict", "def predict(X, params):\n    raise NotImplementedError\n")
    data = run_submission(container, {f"{HOMEWORK}.py": stub + forge})
    tests = {t["name"]: t for t in data["tests"]}
    assert tests["predict"]["score"] == 0
    assert data["score"] == 100 - tests["predict"]["max_score"]


@pytest.mark.parametrize("name", Course(ROOT).homeworks())
def test_does_each_zip_hold_its_homework_alone(course, name, tmp_path, monkeypatch):
    """The zip's layout (its wheel, the engine alone, is checked on the container's zip)."""
    from autograder.integrations import gradescope

    def fake_wheel(project_root, out_dir, homework_files=None):
        assert homework_files is None  # Gradescope's wheel: the engine alone, the course is in source/
        (Path(out_dir) / "engine-0-py3-none-any.whl").write_text("")
        return Path(out_dir) / "engine-0-py3-none-any.whl"

    monkeypatch.setattr(gradescope, "build_wheel", fake_wheel)
    zip_path = export(course, name, tmp_path)
    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
        setup = archive.read("setup.sh").decode()
    folder = course.homework(name).folder
    expected = {f"solutions/{name}/{p.relative_to(folder).as_posix()}" for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert names == {"setup.sh", "run_autograder", "engine-0-py3-none-any.whl"} | expected
    assert {f"solutions/{name}/{f}" for f in (f"{name}.py", "spec.py", "mistakes.py", "grading.toml")} <= expected
    assert f'prepare --course "$ROOT/source" --assignment "{name}"' in setup


# --- the wheels: Gradescope's holds the engine alone; the student wheel adds one homework's
# spec and known mistakes; neither holds any line of a reference's solution blocks ---


# Lines of the references' solution blocks (the package's fix messages may quote formulas
# from the notebook's own text, but never the solution code).
SOLUTION_LINES = {
    "backprop": (
        "out[positive] = 1.0 / (1.0 + np.exp(-Z[positive]))",
        "grad[index] = (f_plus - f_minus) / (2 * eps)",
        'dA_prev = dZ @ params[f"W{layer}"].T',
        "costs.append(cost_n(Y_hat, Y))",
    ),
    "modular_layers": (
        "G[n, k - 1] = g * local * a[k - 1]",
        "grad[k - 1] = np.sum(g * local * a[k - 1]) / N",
        'dA, grads[f"W{L}"], grads[f"b{L}"] = affine_backward(dscores, last_cache)',
    ),
}


def wheel_texts(wheel):
    with zipfile.ZipFile(wheel) as archive:
        return {name: archive.read(name).decode("utf-8", errors="replace") for name in archive.namelist()}


def assert_holds_no_solution(texts, course):
    """No reference file and no known solution line in any file of the wheel."""
    for name in course.homeworks():
        reference = course.homework(name).reference.read_text()
        for path, text in texts.items():
            assert not path.endswith(f"/{name}.py"), path
            for line in SOLUTION_LINES.get(name, ()):
                assert line in reference  # still a line of the solution: the check checks something
                assert line not in text, (path, line)


def assert_engine_files_are_the_projects(texts, homework=None):
    """Every file of the wheel is the project's own autograder/ file, byte for byte, or its
    metadata, or (student wheel) the homework's spec.py, the public copy of its mistakes.py
    (publicize.py: no fix, no wrong implementation) and package markers."""
    extra = {}
    if homework is not None:
        extra = {f"autograder/homeworks/{homework.name}/spec.py": (homework.folder / "spec.py").read_text(),
                 f"autograder/homeworks/{homework.name}/mistakes.py": public_copy(homework)}  # fmt: skip
        extra.update({"autograder/homeworks/__init__.py": None, f"autograder/homeworks/{homework.name}/__init__.py": None})
    for path, text in texts.items():
        if ".dist-info/" in path:
            continue
        if path in extra:
            assert extra[path] is None or text == extra[path], path
        else:
            assert text == (ROOT / path).read_text(), path
    assert set(extra) <= set(texts)


def test_the_gradescope_wheel_is_the_engine_alone(container, course):
    root, _ = container
    texts = wheel_texts(next((root / "source").glob("*.whl")))
    for name in texts:
        assert name.startswith(("autograder/", "backprop_autograder-")), name
    assert "autograder/templates/new/spec.py.tmpl" in texts  # package data (autograder new) ships
    assert_engine_files_are_the_projects(texts)
    assert_holds_no_solution(texts, course)


@pytest.fixture(scope="module", params=Course(ROOT).homeworks())
def student_wheel(request, course, tmp_path_factory):
    name = request.param
    return name, build_student_wheel(course, name, tmp_path_factory.mktemp(f"wheel-{name}"))


def test_does_the_student_wheel_carry_its_spec_and_mistakes_and_no_solution(student_wheel, course):
    name, wheel = student_wheel
    texts = wheel_texts(wheel)
    assert_engine_files_are_the_projects(texts, course.homework(name))
    assert_holds_no_solution(texts, course)
    assert not (ROOT / "autograder" / "homeworks").exists(), "the wheel is built in a temporary tree, never in the project"


def test_can_a_course_outside_the_project_export_its_wheels(tmp_path):
    """The wheels hold the running engine, wherever the course is (no pyproject.toml there)."""
    from autograder.scaffold import new_homework

    new_homework(tmp_path / "course", "first_steps", seeds=[1, 2, 3])
    course = Course(tmp_path / "course")
    texts = wheel_texts(build_student_wheel(course, "first_steps", tmp_path / "wheel"))
    assert_engine_files_are_the_projects(texts, course.homework("first_steps"))
    with zipfile.ZipFile(export(course, "first_steps", tmp_path / "zip")) as archive:
        assert "solutions/first_steps/first_steps.py" in archive.namelist()


def test_can_an_installed_engine_build_its_own_wheel(container, tmp_path):
    """From a venv holding the package as a wheel (no source tree): the pyproject.toml is
    written from the installed metadata, and the rebuilt wheel holds the same engine."""
    root, env = container
    probe = "import sys\nfrom autograder.integrations.gradescope import build_wheel\nprint(build_wheel(None, sys.argv[1]))\n"
    python = str(root / "venv" / "bin" / "python")
    run = subprocess.run([python, "-I", "-c", probe, str(tmp_path)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    original = wheel_texts(next((root / "source").glob("*.whl")))
    rebuilt = wheel_texts(run.stdout.strip())
    assert {n: s for n, s in rebuilt.items() if ".dist-info/" not in n} == {n: s for n, s in original.items() if ".dist-info/" not in n}


def test_do_the_public_checks_run_from_the_student_wheel_without_a_course(student_wheel, course, tmp_path):
    """Unpacked first on sys.path, outside any course: the installed homework loads and its
    public plan builds."""
    name, wheel = student_wheel
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path / "site")
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import autograder\n"
        "from autograder.factory import load_assignment\n"
        "assignment = load_assignment(None, sys.argv[2], mode='public')\n"
        "plan = assignment.plan(use_cache=False)\n"
        "print(autograder.__file__)\n"
        "print(','.join(assignment.homework.names))\n"
        "print(sum(len(cases) for cases in plan.values()))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "site"), name], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    engine, names, cases = run.stdout.split()
    assert Path(engine).is_relative_to(tmp_path / "site")
    assert names.split(",") == list(homework_of(course, name)[1].names)
    assert int(cases) > 0


# --- issue 14.6: who sees what on Gradescope, from grading.toml's [visibility] table ---


def config_with_visibility(hw_files, tmp_path, table):
    """A copy of the homework's grading.toml whose [visibility] table is ``table`` (TOML text)."""
    text = hw_files.grading_config.read_text()
    text = text.split("\n[visibility]")[0]  # the last table of the file
    path = tmp_path / "grading.toml"
    path.write_text(text + "\n[visibility]\n" + table)
    return path


def two_functions():
    from autograder.results import FunctionResult, Results

    functions = [FunctionResult("sigmoid", 3.0, 3.0), FunctionResult("softmax", 1.0, 4.0)]
    return Results("backprop.py", "hidden", 4.0, 7.0, functions=functions)


def test_without_settings_every_result_is_visible(hw_files, homework, tmp_path):
    from autograder.config import load_config
    from autograder.exporters.gradescope import to_gradescope

    for config in (load_config(hw_files.grading_config, homework), load_config(config_with_visibility(hw_files, tmp_path, ""), homework)):
        data = to_gradescope(two_functions(), config.visibility)
        assert data["visibility"] == "visible"
        assert [t["visibility"] for t in data["tests"]] == ["visible", "visible"]
    assert to_gradescope(two_functions())["tests"][1]["visibility"] == "visible"


def test_summary_tests_and_one_function_take_their_visibility_from_grading_toml(hw_files, homework, tmp_path):
    from autograder.config import load_config
    from autograder.exporters.gradescope import to_gradescope

    path = config_with_visibility(hw_files, tmp_path, 'summary = "after_published"\ntests = "after_due_date"\nsoftmax = "hidden"\n')
    data = to_gradescope(two_functions(), load_config(path, homework).visibility)
    assert data["visibility"] == "after_published"
    assert {t["name"]: t["visibility"] for t in data["tests"]} == {"sigmoid": "after_due_date", "softmax": "hidden"}


@pytest.mark.parametrize(
    "table, words",
    [
        ('tests = "students"\n', "tests = 'students'"),
        ('summary = "Visible"\n', "summary = 'Visible'"),
        ('sofmax = "hidden"\n', "unknown key 'sofmax'"),
        ("otter_show_hidden = 1\n", "otter_show_hidden must be true or false"),
    ],
    ids=["unknown-value", "wrong-case", "unknown-function", "not-a-bool"],
)
def test_an_unknown_visibility_setting_is_a_clear_config_error(hw_files, homework, tmp_path, table, words):
    from autograder.config import ConfigError, load_config

    with pytest.raises(ConfigError) as caught:
        load_config(config_with_visibility(hw_files, tmp_path, table), homework)
    assert words in str(caught.value) and "[visibility]" in str(caught.value)


def test_grade_with_format_gradescope_writes_the_configured_visibility(course, hw_files, tmp_path, reference_source):
    path = config_with_visibility(hw_files, tmp_path, 'summary = "after_due_date"\nd_sigmoid = "after_published"\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "backprop.py").write_text(reference_source)
    autograder = str(Path(sys.executable).parent / "autograder")
    command = [autograder, "grade", str(tmp_path / "sub" / "backprop.py"), "--format", "gradescope", "--config", str(path), "--only", "sigmoid,d_sigmoid", "--assignment", HOMEWORK]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=course.root)
    assert run.returncode == 0, run.stderr[-3000:]
    data = json.loads(run.stdout)
    assert data["visibility"] == "after_due_date"
    assert {t["name"]: t["visibility"] for t in data["tests"]} == {"sigmoid": "visible", "d_sigmoid": "after_published"}
