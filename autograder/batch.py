"""Grade a whole class: ``autograder grade-all SUBMISSIONS_DIR --output OUT_DIR``.

Input: a flat folder of ``.py``/``.ipynb`` files (one per student, named by the student), or
a Gradescope "Export Submissions" folder (``submission_<id>/`` folders and a
``submission_metadata.yml`` naming each one's submitters).

Output, in OUT_DIR:
    results/<key>.json    one per submission, written atomically as soon as it is graded
    feedback/<key>.html   one page per submission
    grades.csv            one row per student
    summary.md            class-wide figures and the most common mistakes
    mistakes.png          bar chart of the mistakes found across the class

Resumable: a submission whose results file exists (for the same file content) is skipped
unless ``force``; killing the run loses nothing already written. One bad submission gets a
row with its error and never stops the batch.
"""

import concurrent.futures
import hashlib
import json
import multiprocessing
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import write_text_atomic
from .errors import UserError
from .submission import pick_file

RESULTS = "results"
FEEDBACK = "feedback"


@dataclass
class Student:
    sid: str
    name: str = ""
    email: str = ""


@dataclass
class Entry:
    """One submission to grade: a stable key, its file (or None) and who submitted it."""

    key: str
    path: Path = None
    students: list = field(default_factory=list)
    problem: str = None  # why there is nothing to grade, if so


class BatchError(UserError, ValueError):
    pass


def _safe_key(text):
    key = re.sub(r"[^A-Za-z0-9_.@-]+", "_", text).strip("._")
    return key or "submission"


def discover(folder):
    """The submissions in ``folder``, flat or a Gradescope export."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BatchError(f"{folder} is not a folder")
    metadata = folder / "submission_metadata.yml"
    if metadata.exists():
        return _discover_gradescope(folder, metadata)
    entries = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix in (".py", ".ipynb"):
            entries.append(Entry(_safe_key(path.stem), path, [Student(path.stem)]))
    if not entries:
        raise BatchError(f"{folder} holds no .py or .ipynb files and no submission_metadata.yml")
    keys = [e.key for e in entries]
    duplicates = {k for k in keys if keys.count(k) > 1}
    if duplicates:
        raise BatchError(f"two submissions map to the same student id: {sorted(duplicates)} (a .py and an .ipynb?)")
    return entries


def _discover_gradescope(folder, metadata):
    import yaml

    try:
        data = yaml.safe_load(metadata.read_text()) or {}
    except yaml.YAMLError as err:
        raise BatchError(f"{metadata} is not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise BatchError(f"{metadata} does not map submission folders to their submitters")
    entries = []
    for submission, info in sorted(data.items()):
        info = info if isinstance(info, dict) else {}
        students = []
        for person in info.get(":submitters") or info.get("submitters") or []:
            if isinstance(person, dict):
                get = lambda k: str(person.get(f":{k}") or person.get(k) or "")  # noqa: E731
                students.append(Student(get("sid") or get("email") or str(submission), get("name"), get("email")))
        if not students:
            students = [Student(str(submission))]
        sub_folder = folder / str(submission)
        if not sub_folder.is_dir():
            entries.append(Entry(_safe_key(str(submission)), None, students, "its folder is missing from the export"))
            continue
        path, problem = pick_file(sub_folder)
        entries.append(Entry(_safe_key(str(submission)), path, students, problem))
    return entries


def _digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else None


# --- the grading processes --------------------------------------------------------------

_GRADER = None


def _init_process(course_root, config_path, options, slots):
    """Runs once in each grading process: build a Grader (and its plan) to reuse."""
    global _GRADER
    from .config import load_config
    from .course import Course
    from .grader import Grader
    from .reference import load_reference

    course = Course(Path(course_root))
    config = load_config(config_path).with_limits(**options.get("limits", {}))
    slot = slots.get() if slots is not None else 0
    _GRADER = Grader(config, lambda: load_reference(course), hide=options["hide"], isolation=options["isolation"], slot=slot, keep_warm=True)
    _GRADER.plan  # noqa: B018 - build it now, before the first submission
    _GRADER.prestart()


def _grade_one(entry, out_dir, digest):
    """Grade one entry and write its results file; returns (key, score or None, error)."""
    results_dir = Path(out_dir) / RESULTS
    record = {"key": entry.key, "students": [s.__dict__ for s in entry.students], "digest": digest, "file": str(entry.path) if entry.path else None}
    try:
        if entry.problem:
            raise BatchError(entry.problem)
        results = _GRADER.grade(entry.path)
        record["results"] = results.to_dict()
        record["error"] = results.fatal
        score = results.score
    except Exception as err:  # noqa: BLE001 - one bad submission must not stop the batch
        record["results"] = None
        record["error"] = f"{type(err).__name__}: {err}" if not isinstance(err, BatchError) else str(err)
        score = None
    write_text_atomic(results_dir / f"{entry.key}.json", json.dumps(record))
    return entry.key, score, record["error"]


def load_record(out_dir, key):
    path = Path(out_dir) / RESULTS / f"{key}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def default_workers():
    """One grading process per two cores (see grade_all)."""
    return max(1, (os.cpu_count() or 2) // 2)


def grade_all(course, submissions_dir, out_dir, config_path=None, workers=None, force=False, limits=None, isolation="auto", progress=True):
    """Grade every submission not graded yet; then write the class outputs. Returns a summary dict."""
    entries = discover(submissions_dir)
    out_dir = Path(out_dir)
    (out_dir / RESULTS).mkdir(parents=True, exist_ok=True)
    todo, skipped = [], 0
    for entry in entries:
        digest = _digest(entry.path) if entry.path else None
        record = None if force else load_record(out_dir, entry.key)
        if record is not None and record.get("digest") == digest and "results" in record:
            skipped += 1
            continue
        todo.append((entry, digest))

    # Each grading process keeps about two cores busy: itself checking results while its
    # sandboxed worker computes the next case and the next submission's worker starts up.
    workers = max(1, min(workers or default_workers(), len(todo) or 1))
    hide = [course.root, Path(submissions_dir).resolve(), out_dir.resolve()]
    options = {"hide": hide, "isolation": isolation, "limits": limits or {}}
    failures = 0
    bar = _progress(len(entries), skipped, progress)
    if todo:
        context = multiprocessing.get_context("spawn")  # grading processes start clean
        manager_slots = context.Queue()
        for slot in range(workers):
            manager_slots.put(slot)
        pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_init_process,
            initargs=(str(course.root), str(config_path or course.grading_config), options, manager_slots),
        )  # fmt: skip
        try:
            futures = [pool.submit(_grade_one, entry, str(out_dir), digest) for entry, digest in todo]
            for future in concurrent.futures.as_completed(futures):
                try:
                    _, score, error = future.result()
                except Exception as err:  # noqa: BLE001 - a crashed grading process
                    score, error = None, f"{type(err).__name__}: {err}"
                if error:
                    failures += 1
                bar.update(1)
                bar.set_postfix(failures=failures)
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)
            bar.close()
            raise
        pool.shutdown()
    bar.close()
    outputs = write_class_outputs(course, entries, out_dir)
    return {"submissions": len(entries), "graded": len(todo), "skipped": skipped, "failures": failures, **outputs}


def _progress(total, done, enabled):
    from tqdm import tqdm

    # disable=None: a bar on a terminal, nothing when the output is a file or a pipe
    return tqdm(total=total, initial=done, desc="grading", unit="submission", disable=None if enabled else True, dynamic_ncols=True)


def write_class_outputs(course, entries, out_dir):
    """grades.csv, one HTML page per submission, summary.md and mistakes.png from the
    results files (read one at a time, so memory stays flat)."""
    from .exporters import classwide, html

    out_dir = Path(out_dir)
    rows, tallies = [], classwide.Tallies()
    for entry in entries:
        record = load_record(out_dir, entry.key)
        if record is None:
            record = {"key": entry.key, "students": [s.__dict__ for s in entry.students], "results": None, "error": "not graded yet (interrupted?)"}
        html.write_page(record, out_dir / FEEDBACK / f"{entry.key}.html")
        rows.extend(classwide.rows(record))
        tallies.add(record)
    csv_path = classwide.write_csv(rows, out_dir / "grades.csv")
    summary_path = classwide.write_summary(tallies, out_dir / "summary.md")
    chart_path = classwide.write_chart(tallies, out_dir / "mistakes.png")
    return {"grades": str(csv_path), "summary": str(summary_path), "chart": str(chart_path), "feedback": str(out_dir / FEEDBACK)}
