"""Does the Gradescope autograder.zip set up and grade like a real container would?

The container is laid out in a temporary folder (source/, submission/, results/), setup.sh
installs the wheel from the zip into a fresh venv, and run_autograder runs as a subprocess.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import replace_function

from autograder.integrations.gradescope import export


def python_310(folder):
    """A Python 3.10 (Gradescope's default images run it) behind a venv of its own, so that
    setup.sh builds a venv from a venv: Python 3.10 links the new venv's python to the old
    venv's, and the worker must still find its way to the real interpreter."""
    found = sorted(Path.home().glob(".pyenv/versions/3.10*/bin/python3.10")) + [Path(p) for p in ("/usr/bin/python3.10",) if Path(p).exists()]
    if not found:
        pytest.skip("no Python 3.10 on this machine")
    subprocess.run([str(found[0]), "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    return str(folder / "bin" / "python")


@pytest.fixture(scope="module", params=["this-python", "python-3.10"])
def container(request, course, tmp_path_factory):
    root = tmp_path_factory.mktemp("gradescope") / "autograder"
    python = sys.executable if request.param == "this-python" else python_310(root.parent / "py310")
    zip_path = export(course, root.parent / "export")
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        archive.extractall(root / "source")
    assert {"setup.sh", "run_autograder", "solutions/backprop.py", "solutions/grading.toml"} <= set(names)
    assert any(n.endswith(".whl") for n in names)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=python)
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True, timeout=900)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    return root, env


def run_submission(container, files):
    root, env = container
    for folder in ("submission", "results"):
        shutil.rmtree(root / folder, ignore_errors=True)
        (root / folder).mkdir()
    for name, text in files.items():
        (root / "submission" / name).write_text(text)
    run = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_setup_keeps_the_reference_private(container):
    root, _ = container
    assert (root / "source" / "solutions" / "backprop.py").stat().st_mode & 0o077 == 0


def test_reference_gets_full_marks(container, reference_source):
    data = run_submission(container, {"backprop.py": reference_source})
    assert data["score"] == 100 and len(data["tests"]) == 25
    assert all(t["status"] == "passed" for t in data["tests"])


def test_mutant_loses_points_in_its_function_with_a_tag(container, reference_source):
    source = replace_function(reference_source, "softmax_jacobian", "def softmax_jacobian(z):\n    s = softmax(z[None])[0]\n    return np.diag(s * (1 - s))\n")
    data = run_submission(container, {"backprop.py": source})
    tests = {t["name"]: t for t in data["tests"]}
    assert tests["softmax_jacobian"]["score"] < tests["softmax_jacobian"]["max_score"]
    assert "mistake:jacobian_diagonal_only" in tests["softmax_jacobian"]["tags"]
    assert "np.diag(s) - np.outer(s, s)" in tests["softmax_jacobian"]["output"]
    assert all(t["score"] == t["max_score"] for name, t in tests.items() if name != "softmax_jacobian")


def test_notebook_submissions_are_graded_too(container, course):
    notebook = (course.release_dir / "backprop.ipynb").read_text()
    data = run_submission(container, {"backprop.ipynb": notebook})
    assert data["score"] == 0 and all("mistake:not_implemented" in t["tags"] for t in data["tests"])


@pytest.mark.parametrize(
    "files, words",
    [({}, "no backprop.py or backprop.ipynb was submitted"), ({"backprop.py": ""}, "defines nothing")],
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
    data = run_submission(container, {"backprop.py": stub + forge})
    tests = {t["name"]: t for t in data["tests"]}
    assert tests["predict"]["score"] == 0
    assert data["score"] == 100 - tests["predict"]["max_score"]


# Lines of the reference's solution blocks (the package's fix messages may quote formulas
# from the notebook's own text, but never the solution code).
SOLUTION_LINES = (
    "out[positive] = 1.0 / (1.0 + np.exp(-Z[positive]))",
    "grad[index] = (f_plus - f_minus) / (2 * eps)",
    'dA_prev = dZ @ params[f"W{layer}"].T',
    "costs.append(cost_n(Y_hat, Y))",
)


def test_the_wheel_can_be_given_to_students(container):
    """The package holds no solution: only autograder/ and its metadata, no solution text."""
    root, _ = container
    wheel = next((root / "source").glob("*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            assert name.startswith(("autograder/", "backprop_autograder-")), name
            text = archive.read(name).decode("utf-8", errors="replace")
            for line in SOLUTION_LINES:
                assert line not in text, (name, line)


# --- issue 14.6: who sees what on Gradescope, from grading.toml's [visibility] table ---


def config_with_visibility(course, tmp_path, table):
    """A copy of the course's grading.toml whose [visibility] table is ``table`` (TOML text)."""
    text = course.grading_config.read_text()
    text = text.split("\n[visibility]")[0]  # the last table of the file
    path = tmp_path / "grading.toml"
    path.write_text(text + "\n[visibility]\n" + table)
    return path


def two_functions():
    from autograder.results import FunctionResult, Results

    functions = [FunctionResult("sigmoid", 3.0, 3.0), FunctionResult("softmax", 1.0, 4.0)]
    return Results("backprop.py", "hidden", 4.0, 7.0, functions=functions)


def test_without_settings_every_result_is_visible(course, tmp_path):
    from autograder.config import load_config
    from autograder.exporters.gradescope import to_gradescope

    for config in (load_config(course.grading_config), load_config(config_with_visibility(course, tmp_path, ""))):
        data = to_gradescope(two_functions(), config.visibility)
        assert data["visibility"] == "visible"
        assert [t["visibility"] for t in data["tests"]] == ["visible", "visible"]
    assert to_gradescope(two_functions())["tests"][1]["visibility"] == "visible"


def test_summary_tests_and_one_function_take_their_visibility_from_grading_toml(course, tmp_path):
    from autograder.config import load_config
    from autograder.exporters.gradescope import to_gradescope

    path = config_with_visibility(course, tmp_path, 'summary = "after_published"\ntests = "after_due_date"\nsoftmax = "hidden"\n')
    data = to_gradescope(two_functions(), load_config(path).visibility)
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
def test_an_unknown_visibility_setting_is_a_clear_config_error(course, tmp_path, table, words):
    from autograder.config import ConfigError, load_config

    with pytest.raises(ConfigError) as caught:
        load_config(config_with_visibility(course, tmp_path, table))
    assert words in str(caught.value) and "[visibility]" in str(caught.value)


def test_grade_with_format_gradescope_writes_the_configured_visibility(course, tmp_path, reference_source):
    path = config_with_visibility(course, tmp_path, 'summary = "after_due_date"\nd_sigmoid = "after_published"\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "backprop.py").write_text(reference_source)
    autograder = str(Path(sys.executable).parent / "autograder")
    command = [autograder, "grade", str(tmp_path / "sub" / "backprop.py"), "--format", "gradescope", "--config", str(path), "--only", "sigmoid,d_sigmoid"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=course.root)
    assert run.returncode == 0, run.stderr[-3000:]
    data = json.loads(run.stdout)
    assert data["visibility"] == "after_due_date"
    assert {t["name"]: t["visibility"] for t in data["tests"]} == {"sigmoid": "visible", "d_sigmoid": "after_published"}
