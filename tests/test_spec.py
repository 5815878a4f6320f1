"""The homework vocabulary and its loader (autograder/spec.py), course discovery and pick
(course.py), config validation by homework (config.py) and the derived plan key."""

import textwrap
from pathlib import Path

import numpy as np
import pytest

from autograder import plancache
from autograder.config import ConfigError, load_config, public_config
from autograder.course import Course, NoSuchHomework, find_course
from autograder.spec import Arr, Function, Hints, Homework, Mapping, Scalar, Seq, SpecError, load_homework, resolve

ROOT = Path(__file__).resolve().parent.parent

SPEC = """
from autograder.spec import Homework, Function, Arr

def doubled(Z):  # a helper mistakes.py imports relatively
    return 2 * Z

twice = Function("twice_1", ("Z",), Arr(like="Z"), cases=lambda ctx: [])
half = Function("half", ("Z", "eps"), Arr("N,C"), cases=lambda ctx: [], defaults={"eps": 1e-5})
HOMEWORK = Homework("{name}", functions=(twice, half))
"""

MISTAKES = """
from autograder.spec import Mistake, Hints
from .spec import doubled

MISTAKES = {{"twice_1": [Mistake("{id}", impl=doubled, fix="use Z + Z")], {extra}}}
HINTS = {{"*": Hints(shape="common", fixes={{"missing_mean": "divide by N"}}), "half": Hints(fixes={{"sign_flipped": "own"}})}}
"""

TOML = """
[points]
twice_1 = 40
half = 60
[hidden]
seeds = [1, 2, 3]
"""


def write_homework(root, name="toy", spec=SPEC, mistakes=MISTAKES, mistake_id="used_doubled", extra="", toml=TOML):
    folder = Path(root) / "solutions" / name
    folder.mkdir(parents=True)
    (folder / "spec.py").write_text(textwrap.dedent(spec).replace("{name}", name))
    if mistakes is not None:
        (folder / "mistakes.py").write_text(mistakes.format(id=mistake_id, extra=extra))
    (folder / "grading.toml").write_text(toml)
    (folder / f"{name}.py").write_text("def twice_1(Z):\n    return Z + Z\n")
    return folder


def test_does_a_homework_load_with_its_mistakes_and_relative_imports(tmp_path):
    homework = load_homework(write_homework(tmp_path))
    assert homework.names == ("twice_1", "half")
    assert homework.function("half").required == ("Z",)
    [mistake] = homework.mistakes("twice_1")
    assert mistake.id == "used_doubled" and mistake.impl(np.ones(2)).tolist() == [2.0, 2.0]
    assert homework.mistakes("half") == ()
    assert [p.name for p in homework.sources] == ["spec.py", "mistakes.py"]


def test_are_hints_the_function_own_over_the_homework_wide_ones(tmp_path):
    homework = load_homework(write_homework(tmp_path))
    fixes = {"missing_mean": "divide by N", "sign_flipped": "own"}
    # no public wording given: the hints fall back to the fix lines (issue 16, tests/test_hints.py)
    assert homework.hints("half") == Hints(shape="common", fixes=fixes, hint_shape="common", hint_fixes=fixes)
    assert homework.hints("twice_1").fixes == {"missing_mean": "divide by N"}


def test_does_a_spec_without_homework_say_so(tmp_path):
    folder = write_homework(tmp_path, spec="X = 1\n", mistakes=None)
    with pytest.raises(SpecError, match=r"spec\.py defines no HOMEWORK"):
        load_homework(folder)


def test_is_a_mistake_of_an_unknown_function_named(tmp_path):
    folder = write_homework(tmp_path, extra='"thrice": []')
    with pytest.raises(SpecError, match=r"mistakes\.py: MISTAKES names 'thrice', which is not a function of toy"):
        load_homework(folder)


@pytest.mark.parametrize("bad_id", ["Sign-Flipped", "sign flipped", "sign2", ""])
def test_is_a_bad_mistake_id_refused(tmp_path, bad_id):
    folder = write_homework(tmp_path, mistake_id=bad_id)
    with pytest.raises(SpecError, match="lower-case letters and underscores"):
        load_homework(folder)


def test_must_the_homework_name_match_its_folder(tmp_path):
    folder = write_homework(tmp_path, spec=SPEC.replace('Homework("{name}"', 'Homework("other"'))
    with pytest.raises(SpecError, match="named 'other' but its folder is 'toy'"):
        load_homework(folder)


def test_is_a_default_for_an_unknown_parameter_refused(tmp_path):
    folder = write_homework(tmp_path, spec=SPEC.replace('defaults={"eps": 1e-5}', 'defaults={"epsilon": 1e-5}'))
    with pytest.raises(SpecError, match=r"half: defaults for \['epsilon'\]"):
        load_homework(folder)


def test_is_an_edited_spec_reloaded(tmp_path):
    folder = write_homework(tmp_path)
    assert load_homework(folder) is load_homework(folder)
    spec = folder / "spec.py"
    spec.write_text(spec.read_text().replace("functions=(twice, half)", "functions=(twice, half), public_seeds=(1, 2, 3)"))
    import os

    os.utime(spec, ns=(1, 1))  # a different mtime whatever the clock's resolution
    assert load_homework(folder).public_seeds == (1, 2, 3)


def test_is_every_shipped_homework_loadable_and_named_after_its_folder():
    course = Course(ROOT)
    assert course.homeworks(), "no homework under solutions/"
    for name in course.homeworks():
        homework = load_homework(course.homework(name).folder)
        assert homework.name == name
        assert len(set(homework.names)) == len(homework.names) > 0


def test_do_symbolic_shapes_resolve_against_the_case_dims_and_arguments():
    template = Mapping.of(W=Arr("D,H", "W's shape"), b=Arr("1,H"), Z=Arr(like="Z"), loss=Scalar())
    got = resolve(template, dims={"D": 3, "H": 5}, args={"Z": np.zeros((2, 7))})
    assert got == Mapping.of(W=Arr((3, 5), "W's shape"), b=Arr((1, 5), "(1, H)"), Z=Arr((2, 7)), loss=Scalar())


def test_does_a_callable_result_see_the_case_and_resolve_too():
    class Case:
        dims = {"N": 4}
        named_args = {"Z": np.zeros((4, 2))}

    got = resolve(lambda case: Seq((Arr("N"), Arr(like="Z")), ("a", "b")), Case())
    assert got.items == (Arr((4,), "(N,)"), Arr((4, 2)))


def test_is_an_unknown_dimension_named():
    with pytest.raises(ValueError, match=r"Arr\('N,K'\): K not among the case's dims \['N'\]"):
        resolve(Arr("N,K"), dims={"N": 2})


@pytest.fixture
def two_homeworks(tmp_path):
    write_homework(tmp_path, "backprop")
    write_homework(tmp_path, "backprop_deep")
    return Course(tmp_path)


@pytest.mark.parametrize(
    "submission, expected",
    [("backprop.ipynb", "backprop"), ("backprop-Copy1.ipynb", "backprop"), ("backprop_deep (2).py", "backprop_deep"),
     ("backprop_deep.ipynb", "backprop_deep")],
)  # fmt: skip
def test_does_pick_use_the_submission_file_name(two_homeworks, submission, expected):
    assert two_homeworks.pick(None, submission).name == expected


def test_does_pick_refuse_a_file_naming_no_homework_and_list_the_names(two_homeworks):
    with pytest.raises(NoSuchHomework, match="pass --assignment NAME .*backprop, backprop_deep"):
        two_homeworks.pick(None, "hw3.py")
    with pytest.raises(NoSuchHomework, match="no homework 'nope'"):
        two_homeworks.pick("nope")


def test_is_the_only_homework_picked_whatever_the_file_name(tmp_path):
    write_homework(tmp_path, "toy")
    files = Course(tmp_path).pick(None, "submission.py")
    assert (files.name, files.reference, files.release_dir) == ("toy", tmp_path / "solutions/toy/toy.py", tmp_path / "assignment/toy")


def test_is_a_course_a_folder_with_a_homework_spec(tmp_path):
    (tmp_path / "solutions" / "draft").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="is not a course"):
        find_course(tmp_path)
    write_homework(tmp_path, "toy")
    assert find_course(tmp_path).homeworks() == ("toy",)


def test_are_points_checked_against_the_homework_functions(tmp_path):
    homework = load_homework(write_homework(tmp_path))
    config = load_config(homework.folder / "grading.toml", homework)
    assert config.functions == ("twice_1", "half") and config.max_score == 100
    assert config.only(["half"]).functions == ("half",)
    bad = tmp_path / "bad.toml"
    bad.write_text(TOML.replace("half = 60", "halve = 60"))
    with pytest.raises(ConfigError, match=r"\[points\]: missing \['half'\], unknown \['halve'\]"):
        load_config(bad, homework)


def test_does_the_public_config_use_the_homework_public_seeds(tmp_path):
    homework = load_homework(write_homework(tmp_path))
    config = public_config(homework)
    assert (config.seeds, config.points, config.functions) == ((11, 12, 13), {"twice_1": 1, "half": 1}, ("twice_1", "half"))


def test_does_the_plan_key_change_with_the_spec_and_the_mistakes(tmp_path):
    folder = write_homework(tmp_path)
    key = plancache.plan_key(load_homework(folder), None, (1, 2, 3), ("half",))
    (folder / "mistakes.py").write_text((folder / "mistakes.py").read_text() + "\n# edited\n")
    edited = plancache.plan_key(load_homework(folder), None, (1, 2, 3), ("half",))
    assert edited != key
    assert plancache.plan_key(load_homework(folder), None, (1, 2, 4), ("half",)) != edited


def test_are_derived_message_names_those_with_a_digit():
    homework = Homework("h", (Function("f", ("W1", "x"), Mapping.of(dW2=Arr("1")), cases=lambda ctx: []),))
    import re

    pattern = re.compile(homework.message_pattern)
    assert pattern.search("W1 and dW2") and not pattern.search("x f")
    assert Homework("h", (Function("f", ("x",), Scalar(), cases=lambda ctx: []),)).message_pattern is None


def test_does_an_installed_homework_load_without_a_course(tmp_path, monkeypatch):
    """The student package carries autograder/homeworks/<name>/{spec,mistakes}.py: the public
    checks find the homework there when no course is around."""
    import sys

    import autograder
    from autograder.factory import load_assignment
    from autograder.spec import installed_homeworks, load_installed

    write_homework(tmp_path / "site", "toy")
    (tmp_path / "site" / "homeworks").mkdir()
    (tmp_path / "site" / "solutions" / "toy").rename(tmp_path / "site" / "homeworks" / "toy")
    (tmp_path / "site" / "homeworks" / "toy" / "toy.py").unlink()  # the wheel never holds the reference
    monkeypatch.setattr(autograder, "__path__", [*autograder.__path__, str(tmp_path / "site")])
    monkeypatch.chdir(tmp_path)
    try:
        assert installed_homeworks() == ("toy",)
        homework = load_installed("toy")
        assert homework.names == ("twice_1", "half") and homework.mistakes("twice_1")[0].id == "used_doubled"
        assignment = load_assignment(None, None, mode="public")
        assert (assignment.homework.name, assignment.reference, assignment.config.seeds) == ("toy", None, (11, 12, 13))
        with pytest.raises(SpecError, match="no homework 'other' is installed"):
            load_installed("other")
    finally:
        for name in [m for m in sys.modules if m.startswith("autograder.homeworks")]:
            del sys.modules[name]


def test_does_load_assignment_assemble_config_reference_and_hide_list(tmp_path):
    from autograder.factory import load_assignment

    write_homework(tmp_path, "toy")
    extra = tmp_path / "submissions"
    assignment = load_assignment(tmp_path, None, limits={"call_seconds": 1.5, "memory_mb": None}, only="half", hide=[extra])
    assert (assignment.homework.name, assignment.module_name, assignment.mode) == ("toy", "toy", "hidden")
    assert assignment.config.functions == ("half",) and assignment.config.limits.call_seconds == 1.5
    assert assignment.config.limits.memory_mb == 2048  # None leaves the file's (default) value
    assert assignment.hide == (tmp_path.resolve(), extra.resolve())
    assert assignment.reference_module().twice_1(2.0) == 4.0
    assert assignment.plan(use_cache=False) == {"half": []}
    public = load_assignment(tmp_path, "toy", mode="public")
    assert (public.reference, public.config.mode, public.config.points) == (None, "public", {"twice_1": 1, "half": 1})
