"""Does grade-all grade a whole class, resume after an interruption and lose nothing?"""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser

import pytest
from conftest import replace_function

from autograder.batch import discover, grade_all

TRANSPOSED = "def dJ_dW2(X2, dZ2):\n    return dZ2.T @ X2\n"


@pytest.fixture
def flat_class(course, reference_source, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "alice.py").write_text(reference_source)
    (folder / "bob.ipynb").write_text((course.release_dir / "backprop.ipynb").read_text())
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
    summary = grade_all(course, flat_class, out, workers=2, progress=False)
    assert summary["submissions"] == 4 and summary["graded"] == 4 and summary["failures"] == 1
    rows = read_csv(out / "grades.csv")
    assert set(rows) == {"alice", "bob", "carol", "dave"}
    assert float(rows["alice"]["total"]) == 100 and float(rows["bob"]["total"]) == 0
    assert rows["carol"]["total"] == "0.0" and "does not parse" in rows["carol"]["error"]
    assert float(rows["dave"]["dJ_dW2"]) < 4 and float(rows["dave"]["dJ_dX2"]) == 4
    assert "`transposed`" in (out / "summary.md").read_text()
    assert (out / "mistakes.png").read_bytes()[:4] == b"\x89PNG"


def test_feedback_page_is_readable_on_a_phone_and_names_the_fix(course, flat_class, tmp_path, ref):
    out = tmp_path / "out"
    grade_all(course, flat_class, out, workers=1, progress=False)
    page = parse(out / "feedback" / "dave.html")
    assert any(m.get("name") == "viewport" for m in page.meta)
    assert "Backprop homework: dave" in page.text and "total" in page.ids
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
    grade_all(course, folder, out, workers=1, progress=False)
    rows = read_csv(out / "grades.csv")
    assert set(rows) == {"1815", "1791", "1912"}
    assert rows["1815"]["name"] == "Ada Lovelace" and float(rows["1791"]["total"]) == 100
    assert rows["1912"]["total"] == "" and "no .py or .ipynb file" in rows["1912"]["error"]


def test_a_rerun_skips_finished_work_unless_forced_or_changed(course, flat_class, tmp_path, reference_source):
    out = tmp_path / "out"
    grade_all(course, flat_class, out, workers=2, progress=False)
    again = grade_all(course, flat_class, out, workers=2, progress=False)
    assert again["graded"] == 0 and again["skipped"] == 4
    (flat_class / "dave.py").write_text(reference_source)  # a corrected resubmission
    changed = grade_all(course, flat_class, out, workers=2, progress=False)
    assert changed["graded"] == 1 and float(read_csv(out / "grades.csv")["dave"]["total"]) == 100
    forced = grade_all(course, flat_class, out, workers=2, progress=False, force=True)
    assert forced["graded"] == 4


def test_kill_halfway_loses_nothing_and_duplicates_nothing(course, tmp_path):
    from tools.classgen import plan_class, write_class

    specs = plan_class(16, seed=5)
    folder = write_class(specs, tmp_path / "class")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "autograder", "grade-all", str(folder), "--output", str(out), "--no-progress", "--workers", "2"]
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


def test_expected_scores_of_a_generated_class_are_reproduced(course, hidden_grader, tmp_path):
    from tools.classgen import calibrate, calibration_ids, expected_scores, plan_class, write_class

    specs = plan_class(14, seed=9)
    folder = write_class(specs, tmp_path / "class")
    calibration = calibrate(calibration_ids(specs), hidden_grader, tmp_path / "calibration")
    out = tmp_path / "out"
    grade_all(course, folder, out, workers=2, progress=False)
    rows = read_csv(out / "grades.csv")
    points = hidden_grader.config.points
    for spec in specs:
        want = expected_scores(spec, points, calibration)
        row = rows[spec.name]
        for name, score in want.items():
            got = float(row[name]) if row[name] != "" else 0.0
            assert abs(got - score) < 0.01, (spec.name, spec.kind, name, got, score)


def test_discover_refuses_a_folder_with_nothing_to_grade(tmp_path):
    from autograder.batch import BatchError

    with pytest.raises(BatchError, match="no .py or .ipynb"):
        discover(tmp_path)
