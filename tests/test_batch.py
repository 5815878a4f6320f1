"""Does grade-all grade a whole class, resume after an interruption and lose nothing?"""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser

import pytest
from conftest import HOMEWORK, replace_function

from autograder.batch import discover, grade_all

TRANSPOSED = "def dJ_dW2(X2, dZ2):\n    return dZ2.T @ X2\n"


@pytest.fixture
def flat_class(hw_files, reference_source, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "alice.py").write_text(reference_source)
    (folder / "bob.ipynb").write_text((hw_files.release_dir / "backprop.ipynb").read_text())
    (folder / "carol.py").write_text("def sigmoid(Z)\n")
    (folder / "dave.py").write_text(replace_function(reference_source, "dJ_dW2", TRANSPOSED))
    return folder


def read_csv(path):
    with open(path, newline="") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


class Page(HTMLParser):
    """Collects the text, ids and meta tags of a feedback page."""

    def __init__(self):
        super().__init__()
        self.text, self.ids, self.meta = [], set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "meta":
            self.meta.append(attrs)

    def handle_data(self, data):
        self.text.append(data)


def parse(path):
    page = Page()
    page.feed(path.read_text())
    page.text = " ".join(" ".join(page.text).split())
    return page


def test_a_flat_folder_becomes_a_gradebook_feedback_and_a_summary(course, flat_class, tmp_path):
    out = tmp_path / "out"
    summary = grade_all(course, flat_class, out, workers=2, progress=False, homework=HOMEWORK)
    assert summary.submissions == 4 and summary.graded_now == 4 and summary.problems == 1 and not summary.interrupted
    rows = read_csv(out / "grades.csv")
    assert set(rows) == {"alice", "bob", "carol", "dave"}
    assert float(rows["alice"]["total"]) == 100 and float(rows["bob"]["total"]) == 0
    assert rows["carol"]["total"] == "0.0" and "does not parse" in rows["carol"]["error"]
    assert float(rows["dave"]["dJ_dW2"]) < 4 and float(rows["dave"]["dJ_dX2"]) == 4
    assert "`transposed`" in (out / "summary.md").read_text()
    assert (out / "mistakes.png").read_bytes()[:4] == b"\x89PNG"


def test_feedback_page_is_readable_on_a_phone_and_names_the_fix(course, flat_class, tmp_path, ref):
    out = tmp_path / "out"
    grade_all(course, flat_class, out, workers=1, progress=False, homework=HOMEWORK)
    page = parse(out / "feedback" / "dave.html")
    assert any(m.get("name") == "viewport" for m in page.meta)
    assert "dave" in page.text and "total" in page.ids
    assert {f"fn-{name}" for name in ("sigmoid", "dJ_dW2", "predict")} <= page.ids
    assert "transposed" in page.text and "X2.T @ dZ2" in page.text and "must have shape" in page.text
    assert "BEGIN SOLUTION" not in page.text
    broken = parse(out / "feedback" / "carol.html")
    assert "error" in broken.ids and "does not parse" in broken.text


def test_gradescope_export_uses_the_students_ids_and_names(course, reference_source, tmp_path):
    folder = tmp_path / "export"
    (folder / "submission_111").mkdir(parents=True)
    (folder / "submission_111" / "backprop.py").write_text(reference_source)
    (folder / "submission_222").mkdir()
    (folder / "submission_222" / "notes.txt").write_text("I forgot to upload")
    (folder / "submission_metadata.yml").write_text(
        "submission_111:\n  :submitters:\n  - :name: Ada Lovelace\n    :sid: '1815'\n    :email: ada@example.edu\n"
        "  - :name: Charles Babbage\n    :sid: '1791'\n    :email: cb@example.edu\n"
        "submission_222:\n  :submitters:\n  - :name: Alan Turing\n    :sid: '1912'\n    :email: alan@example.edu\n"
    )
    out = tmp_path / "out"
    grade_all(course, folder, out, workers=1, progress=False, homework=HOMEWORK)
    rows = read_csv(out / "grades.csv")
    assert set(rows) == {"1815", "1791", "1912"}
    assert rows["1815"]["name"] == "Ada Lovelace" and float(rows["1791"]["total"]) == 100
    assert rows["1912"]["total"] == "" and "no .py or .ipynb file" in rows["1912"]["error"]


def test_a_rerun_skips_finished_work_unless_forced_or_changed(course, flat_class, tmp_path, reference_source):
    out = tmp_path / "out"
    grade_all(course, flat_class, out, workers=2, progress=False, homework=HOMEWORK)
    again = grade_all(course, flat_class, out, workers=2, progress=False, homework=HOMEWORK)
    assert again.graded_now == 0 and again.already_graded == 4
    (flat_class / "dave.py").write_text(reference_source)  # a corrected resubmission
    changed = grade_all(course, flat_class, out, workers=2, progress=False, homework=HOMEWORK)
    assert changed.graded_now == 1 and changed.reasons == {"changed file": 1}
    assert float(read_csv(out / "grades.csv")["dave"]["total"]) == 100
    forced = grade_all(course, flat_class, out, workers=2, progress=False, homework=HOMEWORK, force=True)
    assert forced.graded_now == 4


def test_kill_halfway_loses_nothing_and_duplicates_nothing(course, tmp_path):
    from tools.classgen import plan_class, write_class

    specs = plan_class(16, seed=5)
    folder = write_class(specs, tmp_path / "class")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "autograder", "grade-all", str(folder), "--output", str(out), "--no-progress", "--workers", "2", "--assignment", HOMEWORK]
    process = subprocess.Popen(command, cwd=course.root, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((out / "results").glob("*.json"))) < 5:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done = list((out / "results").glob("*.json"))
    assert 5 <= len(done) < 16, "the run should have been cut off halfway"
    for path in done:
        json.loads(path.read_text())  # every written file is whole
    finished = subprocess.run(command, cwd=course.root, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr
    assert "already graded" in finished.stdout
    rows = list(csv.DictReader(open(out / "grades.csv", newline="")))
    assert sorted(r["id"] for r in rows) == sorted(s.name for s in specs)
    assert len(list((out / "results").glob("*.json"))) == 16


def test_expected_scores_of_a_generated_class_are_reproduced(course, hw_files, hidden_grader, tmp_path):
    from tools.classgen import ScoreRule, expected_scores, plan_class, write_class

    specs = plan_class(14, seed=9)
    folder = write_class(specs, tmp_path / "class")
    rule = ScoreRule.build(hidden_grader.plan, hw_files.reference)  # expected scores from the scoring rule, not from grading
    out = tmp_path / "out"
    grade_all(course, folder, out, workers=2, progress=False, homework=HOMEWORK)
    rows = read_csv(out / "grades.csv")
    points = hidden_grader.config.points
    for spec in specs:
        want = expected_scores(spec, points, rule)
        row = rows[spec.name]
        for name, score in want.items():
            got = float(row[name]) if row[name] != "" else 0.0
            assert abs(got - score) < 0.01, (spec.name, spec.kind, name, got, score)


def test_discover_refuses_a_folder_with_nothing_to_grade(tmp_path):
    from autograder.batch import BatchError

    with pytest.raises(BatchError, match="no .py or .ipynb"):
        discover(tmp_path)


# --- issue 14 point 5 and issue 12 point 8: a batch an instructor can trust -------------


def copy_course(hw_files, folder):
    """A course of its own (the homework's folder: reference, spec, mistakes, grading.toml),
    to change without touching the real one."""
    from autograder.course import Course

    (folder / "solutions").mkdir(parents=True)
    shutil.copytree(hw_files.folder, folder / "solutions" / hw_files.name, ignore=shutil.ignore_patterns("__pycache__"))
    return Course(folder)


def gradescope_export(folder, submissions):
    """A Gradescope export: {folder name: (file text, [(sid, name, email)])}."""
    folder.mkdir(parents=True)
    lines = []
    for name, (text, people) in submissions.items():
        (folder / name).mkdir()
        (folder / name / "backprop.py").write_text(text)
        lines += [f"{name}:", "  :submitters:"]
        for sid, person, email in people:
            lines += [f"  - :name: '{person}'", f"    :sid: '{sid}'", f"    :email: {email}"]
    (folder / "submission_metadata.yml").write_text("\n".join(lines) + "\n")
    return folder


@pytest.fixture(scope="module")
def formula_class_run(course, hw_files, tmp_path_factory):
    """A class whose submitters are named like spreadsheet formulas, graded once."""
    base = tmp_path_factory.mktemp("formula")
    folder = base / "class"
    folder.mkdir()
    (folder / "=1+2.py").write_text(hw_files.reference.read_text())
    (folder / "carol.py").write_text("def sigmoid(Z)\n")
    out = base / "out"
    grade_all(course, folder, out, workers=1, progress=False, homework=HOMEWORK)
    return out


def test_a_submitter_named_like_a_formula_is_neutralised_in_the_csv(formula_class_run):
    text = (formula_class_run / "grades.csv").read_text()
    rows = read_csv(formula_class_run / "grades.csv")
    assert rows["'=1+2"]["total"] == "100.0"  # a spreadsheet shows the text =1+2, never 3
    assert not any(cell.startswith(("=", "+", "-", "@")) for line in text.splitlines() for cell in line.split(","))


def test_output_files_are_readable_by_the_instructors_group(formula_class_run):
    import stat

    files = [p for p in formula_class_run.rglob("*") if p.is_file()]
    folders = [formula_class_run, *(p for p in formula_class_run.rglob("*") if p.is_dir())]
    assert {p.name for p in files} >= {"grades.csv", "summary.md", "mistakes.png", "1_2.json", "carol.html"}
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {"0o644"}
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in folders} == {"0o755"}


def test_a_stricter_mode_is_applied_to_every_output(course, tmp_path):
    import stat

    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "carol.py").write_text("def sigmoid(Z)\n")
    out = tmp_path / "out"
    grade_all(course, folder, out, workers=1, progress=False, homework=HOMEWORK, mode=0o640)
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in out.rglob("*") if p.is_file()} == {"0o640"}
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in [out, *out.rglob("*")] if p.is_dir()} == {"0o750"}


def test_counts_cover_the_whole_class_not_just_this_run(course, reference_source, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "alice.py").write_text(reference_source)
    (folder / "carol.py").write_text("def sigmoid(Z)\n")
    out = tmp_path / "out"
    grade_all(course, folder, out, workers=1, progress=False, homework=HOMEWORK)
    (folder / "bob.py").write_text(reference_source)  # a late submission
    later = grade_all(course, folder, out, workers=1, progress=False, homework=HOMEWORK)
    assert (later.graded_now, later.already_graded, later.graded, later.not_graded) == (1, 2, 3, 0)
    assert later.problems == 1  # carol, graded by the first run
    assert "with a problem (listed at the end): 1" in (out / "summary.md").read_text()


def test_changing_points_in_grading_toml_regrades_every_result(hw_files, reference_source, tmp_path):
    own = copy_course(hw_files, tmp_path / "course")
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "alice.py").write_text(reference_source)
    (folder / "dave.py").write_text(replace_function(reference_source, "dJ_dW2", TRANSPOSED))
    out = tmp_path / "out"
    grade_all(own, folder, out, workers=2, progress=False, homework=HOMEWORK)
    assert float(read_csv(out / "grades.csv")["alice"]["total"]) == 100
    grading_config = own.homework(HOMEWORK).grading_config
    toml = grading_config.read_text()
    assert "\nsigmoid = 3\n" in toml and "\ntotal = 100\n" in toml
    grading_config.write_text(toml.replace("\nsigmoid = 3\n", "\nsigmoid = 13\n").replace("\ntotal = 100\n", "\ntotal = 110\n"))
    again = grade_all(own, folder, out, workers=2, progress=False, homework=HOMEWORK)
    assert again.graded_now == 2 and again.reasons == {"config changed": 2}
    rows = read_csv(out / "grades.csv")
    assert float(rows["alice"]["total"]) == 110 and float(rows["alice"]["max"]) == 110
    assert float(rows["dave"]["sigmoid"]) == 13  # dave's sigmoid is the reference's: full marks


def test_a_changed_reference_or_engine_changes_the_key():
    from dataclasses import asdict, replace

    from autograder.batch import GradingKey
    from autograder.plancache import engine_version

    key = GradingKey(config="c", reference="r", spec="s", engine=engine_version())
    assert key.changes(asdict(key)) == []
    assert key.changes(asdict(replace(key, reference="old"))) == ["reference"]
    assert key.changes(asdict(replace(key, engine="old"))) == ["engine"]
    assert key.changes(None) == ["grading key"]  # a result stored before keys existed


def test_does_editing_the_homeworks_spec_or_mistakes_change_the_key(hw_files, tmp_path):
    """The spec builds the hidden tests and the mistakes name the diagnoses: a result graded
    before either changed is out of date."""
    from autograder.batch import grading_key
    from autograder.factory import load_assignment

    own = copy_course(hw_files, tmp_path / "course")
    before = grading_key(load_assignment(own, HOMEWORK))
    assert grading_key(load_assignment(own, HOMEWORK)) == before
    mistakes = own.homework(HOMEWORK).mistakes
    mistakes.write_text(mistakes.read_text() + "\n# a comment is a change too\n")
    after = grading_key(load_assignment(own, HOMEWORK))
    assert after.changes(asdict_of(before)) == ["spec"]


def asdict_of(key):
    from dataclasses import asdict

    return asdict(key)


def test_a_corrected_name_in_the_metadata_shows_without_regrading(course, reference_source, tmp_path):
    folder = gradescope_export(tmp_path / "export", {"submission_1": (reference_source, [("1815", "Ada Lovelac", "ada@example.edu")])})
    out = tmp_path / "out"
    grade_all(course, folder, out, workers=1, progress=False, homework=HOMEWORK)
    metadata = folder / "submission_metadata.yml"
    metadata.write_text(metadata.read_text().replace("Ada Lovelac", "Ada Lovelace"))
    again = grade_all(course, folder, out, workers=1, progress=False, homework=HOMEWORK)
    assert again.graded_now == 0 and again.already_graded == 1
    assert read_csv(out / "grades.csv")["1815"]["name"] == "Ada Lovelace"
    assert "Ada Lovelace" in (out / "feedback" / "submission_1.html").read_text()


def test_the_top_folder_of_an_unzipped_export_is_accepted(reference_source, tmp_path):
    top = tmp_path / "assignment_123_export"
    gradescope_export(top / "assignment_123_export", {"submission_1": ("x = 1\n", [("1815", "Ada", "ada@example.edu")])})
    (top / ".DS_Store").write_text("")
    entries = discover(top)
    assert [(e.key, e.students[0].name, e.path.name) for e in entries] == [("submission_1", "Ada", "backprop.py")]


def test_a_folder_with_two_exports_inside_is_still_refused(tmp_path):
    from autograder.batch import BatchError

    for name in ("a", "b"):
        gradescope_export(tmp_path / name, {"submission_1": ("x = 1\n", [("1", "A", "a@example.edu")])})
    with pytest.raises(BatchError, match="no .py or .ipynb"):
        discover(tmp_path)


def test_symbolic_links_are_refused_and_never_followed(reference_source, tmp_path):
    secret = tmp_path / "secret.py"
    secret.write_text(reference_source)
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "mallory.py").symlink_to(secret)
    (flat / "alice.py").write_text("x = 1\n")
    entries = {e.key: e for e in discover(flat)}
    assert entries["alice"].problem is None
    assert entries["mallory"].path is None and "symbolic link" in entries["mallory"].problem

    export = gradescope_export(tmp_path / "export", {"submission_1": ("x = 1\n", [("1", "A", "a@x.edu")]), "submission_2": ("x = 1\n", [("2", "B", "b@x.edu")])})
    (export / "submission_1" / "backprop.py").unlink()
    (export / "submission_1" / "backprop.py").symlink_to(secret)  # a linked file
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "backprop.py").write_text(reference_source)
    shutil.rmtree(export / "submission_2")
    (export / "submission_2").symlink_to(tmp_path / "elsewhere")  # a linked folder
    entries = {e.key: e for e in discover(export)}
    assert all(e.path is None and "symbolic link" in e.problem for e in entries.values()), entries


def test_ctrl_c_stops_within_two_seconds_and_keeps_what_is_done(course, reference_source, tmp_path):
    """SIGINT to a real `autograder grade-all` over ten submissions, six of them slow."""
    slow = replace_function(reference_source, "sigmoid", "def sigmoid(Z):\n    import time\n    time.sleep(0.5)\n    return 1 / (1 + np.exp(-Z))\n")
    folder = tmp_path / "class"
    folder.mkdir()
    for i in range(4):
        (folder / f"fast{i}.py").write_text(reference_source)
    for i in range(6):
        (folder / f"slow{i}.py").write_text(slow)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "autograder", "grade-all", str(folder), "--output", str(out), "--no-progress", "--workers", "2", "--call-seconds", "2", "--assignment", HOMEWORK]
    # A suite started in the background by a shell without job control inherits SIGINT ignored,
    # and Python then installs no Ctrl-C handler: give the batch the default disposition a
    # terminal would.
    process = subprocess.Popen(
        command, cwd=course.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None and len(list((out / "results").glob("*.json"))) < 4:
        time.sleep(0.05)
    time.sleep(1.0)  # the slow ones are being graded now
    assert process.poll() is None, "the batch ended before it could be interrupted"
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    took = time.monotonic() - sent
    assert process.returncode == 130, stderr[-2000:]
    assert took < 2.0, f"{took:.2f} s from Ctrl-C to exit"
    finished = {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}
    assert {f"fast{i}" for i in range(4)} <= set(finished) and len(finished) < 10
    rows = read_csv(out / "grades.csv")
    assert set(rows) == {f"fast{i}" for i in range(4)} | {f"slow{i}" for i in range(6)}
    for name, row in rows.items():
        if name in finished:
            assert row["total"] == str(round(finished[name]["results"]["score"], 2)) and row["error"] == ""
        else:
            assert row["total"] == "" and "not graded yet" in row["error"]
    assert (out / "summary.md").exists()
    assert f"{len(finished)} graded now" in stdout and f"{10 - len(finished)} not graded yet" in stdout
