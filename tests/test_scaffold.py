"""Does `autograder new NAME` give a homework that releases and grades out of the box?

End to end in a course of its own: new -> release -> grade the reference (full marks), the
release's stub (zero) and the template's known mistake (named), then the public checks.
"""

import json
import shutil

import pytest
from conftest import ROOT

from autograder import cli

NAME = "tanh_layer"


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory):
    """A course holding only the course-wide data and the new homework, released."""
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "data", root / "data")
    assert cli.main(["new", NAME, "--course", str(root)]) == 0
    assert cli.main(["release", "--course", str(root)]) == 0  # no name: every homework of the course
    return root


def grade(root, submission, tmp_path, *extra):
    out = tmp_path / "results.json"
    status = cli.main(["grade", str(submission), "--course", str(root), "--format", "json", "--output", str(out), *extra])
    assert status == 0
    return json.loads(out.read_text())


def by_function(data):
    return {f["name"]: f for f in data["results"]["functions"]}


def test_does_new_write_the_four_files_of_a_homework(scaffolded):
    folder = scaffolded / "solutions" / NAME
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == sorted([f"{NAME}.py", "grading.toml", "mistakes.py", "spec.py"])
    toml = (folder / "grading.toml").read_text()
    assert "tanh_forward = 50" in toml and "tanh_backward = 50" in toml and "{{" not in toml


def test_are_the_hidden_seeds_drawn_at_random_for_each_new_homework(tmp_path):
    from autograder.config import load_config
    from autograder.scaffold import new_homework

    seeds = []
    for name in ("first_hw", "second_hw"):
        folder = new_homework(tmp_path, name)[0].parent
        seeds.append(load_config(folder / "grading.toml", ("tanh_forward", "tanh_backward")).seeds)
    assert all(len(s) == 3 for s in seeds) and seeds[0] != seeds[1]


def test_does_the_release_hold_stubs_and_no_solution(scaffolded):
    stub = (scaffolded / "assignment" / NAME / f"{NAME}.py").read_text()
    assert "def tanh_forward(Z):" in stub and "def tanh_backward(dA, Z):" in stub
    assert "np.tanh(Z)" not in stub and "BEGIN SOLUTION" not in stub
    assert (scaffolded / "assignment" / NAME / f"{NAME}.ipynb").is_file()


def test_does_release_name_write_one_homework_where_asked(scaffolded, tmp_path, capsys):
    assert cli.main(["release", NAME, "--course", str(scaffolded), "--output", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / f"{NAME}.py").read_text() == (scaffolded / "assignment" / NAME / f"{NAME}.py").read_text()
    assert f"{NAME}: release written to {tmp_path / 'out'}" in capsys.readouterr().out


def test_does_the_reference_get_full_marks(scaffolded, tmp_path):
    data = grade(scaffolded, scaffolded / "solutions" / NAME / f"{NAME}.py", tmp_path)
    assert data["score"] == 100 and data["results"]["max_score"] == 100
    functions = by_function(data)
    assert list(functions) == ["tanh_forward", "tanh_backward"]
    checks = {c["name"] for c in functions["tanh_backward"]["checks"]}
    assert "finite_differences" in checks  # the VJP gradient is checked, not only the value
    assert "properties" in {c["name"] for c in functions["tanh_forward"]["checks"]}


def test_does_the_release_stub_get_zero(scaffolded, tmp_path):
    data = grade(scaffolded, scaffolded / "assignment" / NAME / f"{NAME}.py", tmp_path)
    assert data["score"] == 0
    assert all(f["mistakes"] == ["not_implemented"] for f in by_function(data).values())


def with_the_known_mistake(scaffolded, tmp_path):
    source = (scaffolded / "solutions" / NAME / f"{NAME}.py").read_text()
    wrong = source.replace("    A = np.tanh(Z)\n    return dA * (1.0 - A * A)\n", "    return dA * (1.0 - Z * Z)\n")
    assert wrong != source
    path = tmp_path / "student" / f"{NAME}.py"
    path.parent.mkdir()
    path.write_text(wrong)
    return path


def test_is_the_known_mistake_named_with_its_fix(scaffolded, tmp_path):
    data = grade(scaffolded, with_the_known_mistake(scaffolded, tmp_path), tmp_path)
    functions = by_function(data)
    assert functions["tanh_forward"]["score"] == 50 and functions["tanh_backward"]["score"] == 0
    assert "used_output_for_input" in functions["tanh_backward"]["mistakes"]
    assert any("np.tanh(Z)" in (f.get("fix") or "") for f in functions["tanh_backward"]["findings"])


def test_do_the_public_checks_pass_the_reference_and_fail_the_stub(scaffolded, tmp_path, monkeypatch):
    from autograder.public import check

    monkeypatch.chdir(scaffolded)
    passed = check(str(scaffolded / "solutions" / NAME / f"{NAME}.py"), quiet=True)
    assert passed.mode == "public" and all(f.passed for f in passed.functions), [f.findings for f in passed.functions]
    stub = check(str(scaffolded / "assignment" / NAME / f"{NAME}.py"), quiet=True)
    assert stub.score == 0 and all(f.mistakes == ["not_implemented"] for f in stub.functions)
    wrong = check(str(with_the_known_mistake(scaffolded, tmp_path)), quiet=True)
    assert wrong.function("tanh_forward").passed and "used_output_for_input" in wrong.function("tanh_backward").mistakes


def test_does_prepare_build_the_new_homeworks_plan(scaffolded, capsys):
    assert cli.main(["prepare", "--course", str(scaffolded)]) == 0
    assert f"{NAME}: plan ready: 6 cases" in capsys.readouterr().out  # three points for each of two functions
