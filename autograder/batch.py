"""Grade a whole class: ``autograder grade-all SUBMISSIONS_DIR --assignment NAME --output OUT_DIR``.

Input: a flat folder of ``.py``/``.ipynb`` files (one per student, named by the student), or
a Gradescope "Export Submissions" folder (``submission_<id>/`` folders and a
``submission_metadata.yml`` naming each one's submitters), or the folder an export's zip
was unpacked into (holding that one export folder). Symbolic links are never followed: a
linked file or folder gets a row saying so.

Output, in OUT_DIR (files 0644 and folders 0755 unless another ``mode`` is given):
    results/<key>.json    one per submission, written atomically as soon as it is graded
    feedback/<key>.html   one page per submission
    grades.csv            one row per student (names from the current metadata)
    summary.md            class-wide figures and the most common mistakes
    mistakes.png          bar chart of the mistakes found across the class

Resumable: a submission is graded again only if its file changed, its stored result was
made with another grading key (the grading config, the reference, the homework's spec or
the engine changed, see GradingKey) or the grader itself failed on it; killing the run loses nothing already
written. One bad submission gets a row with its error and never stops the batch. Ctrl-C
stops within about a second, keeps every finished result and writes grades.csv and
summary.md for what is done.
"""

import concurrent.futures
import dataclasses
import hashlib
import json
import multiprocessing
import os
import re
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import write_text_atomic
from .errors import UserError
from .submission import SubmissionError, check_regular_file, pick_file

RESULTS = "results"
FEEDBACK = "feedback"
METADATA = "submission_metadata.yml"
NOT_GRADED = "not graded yet (interrupted?)"
FILE_MODE = 0o644
INTERRUPT_GRACE_SECONDS = 1.0  # grading processes get this long to stop their worker cleanly


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


@dataclass(frozen=True)
class GradingKey:
    """What a stored result depends on besides the submission: a result whose key differs
    from the current one is graded again."""

    config: str  # digest of the resolved grading config (points, weights, seeds, tolerance, limits)
    reference: str  # digest of the reference solution file
    spec: str  # digest of the homework's spec.py and mistakes.py
    engine: str  # digest of this package's own source files

    def changes(self, other):
        """The parts that differ from ``other`` (a stored key as a dict, or None)."""
        if not isinstance(other, dict):
            return ["grading key"]
        return [name for name, value in dataclasses.asdict(self).items() if other.get(name) != value]


@dataclass
class Summary:
    """What grade_all did, and where the class stands (every count covers the whole class)."""

    submissions: int
    graded_now: int = 0
    already_graded: int = 0
    graded: int = 0  # submissions with a stored result, this run's and earlier runs'
    problems: int = 0  # submissions whose result names a problem (the file, or the grader)
    grader_errors: int = 0  # of those, failures of the grader itself
    not_graded: int = 0  # no result yet (interrupted, or a grading process died)
    interrupted: bool = False
    reasons: dict = field(default_factory=dict)  # why submissions were graded now -> how many
    outputs: dict = field(default_factory=dict)  # grades, summary, chart, feedback -> path


class BatchError(UserError, ValueError):
    pass


def _safe_key(text):
    key = re.sub(r"[^A-Za-z0-9_.@-]+", "_", text).strip("._")
    return key or "submission"


# --- finding the submissions ------------------------------------------------------------


def _not_regular(path):
    """Why ``path`` is not graded if it is a symbolic link or not a regular file, else None."""
    try:
        check_regular_file(path)
    except SubmissionError as err:
        return str(err)
    return None


def discover(folder, module=None):
    """The submissions in ``folder``: flat, a Gradescope export, or the folder holding one.
    ``module``: the homework's module name (a Gradescope submission folder's file to grade
    is ``module``.py or .ipynb when it holds several)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BatchError(f"{folder} is not a folder")
    metadata = folder / METADATA
    if metadata.exists():
        return _discover_gradescope(folder, metadata, module)
    entries = []
    for path in sorted(folder.iterdir()):
        if path.suffix in (".py", ".ipynb") and (path.is_symlink() or path.is_file()):
            problem = _not_regular(path)
            entries.append(Entry(_safe_key(path.stem), None if problem else path, [Student(path.stem)], problem))
    if not entries:
        inner = _inner_export(folder)
        if inner is not None:
            return _discover_gradescope(inner, inner / METADATA, module)
        raise BatchError(f"{folder} holds no .py or .ipynb files and no {METADATA}")
    keys = [e.key for e in entries]
    duplicates = {k for k in keys if keys.count(k) > 1}
    if duplicates:
        raise BatchError(f"two submissions map to the same student id: {sorted(duplicates)} (a .py and an .ipynb?)")
    return entries


def _inner_export(folder):
    """The one export folder inside ``folder`` (an unzipped export's top folder), or None."""
    folders = [p for p in folder.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith((".", "__MACOSX"))]
    if len(folders) == 1 and (folders[0] / METADATA).is_file():
        return folders[0]
    return None


def _discover_gradescope(folder, metadata, module=None):
    import yaml

    try:
        data = yaml.safe_load(metadata.read_text()) or {}
    except yaml.YAMLError as err:
        raise BatchError(f"{metadata} is not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise BatchError(f"{metadata} does not map submission folders to their submitters")
    entries = []
    for submission, info in sorted(data.items(), key=lambda item: str(item[0])):
        info = info if isinstance(info, dict) else {}
        students = []
        for person in info.get(":submitters") or info.get("submitters") or []:
            if isinstance(person, dict):
                get = lambda k: str(person.get(f":{k}") or person.get(k) or "")  # noqa: E731
                students.append(Student(get("sid") or get("email") or str(submission), get("name"), get("email")))
        if not students:
            students = [Student(str(submission))]
        key = _safe_key(str(submission))
        sub_folder = folder / str(submission)
        if not (sub_folder.is_symlink() or sub_folder.is_dir()):
            entries.append(Entry(key, None, students, "its folder is missing from the export"))
            continue
        path, problem = pick_file(sub_folder, module)  # refuses a linked folder or any link inside it
        entries.append(Entry(key, path, students, problem))
    return entries


def _digest(path):
    """The file's SHA-256, read without following a link."""
    if path is None:
        return None
    digest = hashlib.sha256()
    with os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC), "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- what a stored result depends on ----------------------------------------------------


def grading_key(assignment):
    """The key of results graded against ``assignment`` (factory.Assignment): digests of the
    inputs the factory assembled it from (config, reference file, spec files, engine)."""
    from .plancache import engine_version

    settings = json.dumps(dataclasses.asdict(assignment.config), sort_keys=True, default=str)
    spec = hashlib.sha256()
    for source in assignment.homework.sources:
        spec.update(Path(source).name.encode() + b"\0" + _digest(Path(source)).encode() + b"\0")
    reference = assignment.files.reference if assignment.files is not None else None
    return GradingKey(
        config=hashlib.sha256(settings.encode()).hexdigest()[:32],
        reference=(_digest(reference) or "none")[:32],
        spec=spec.hexdigest()[:32],
        engine=engine_version(),
    )  # fmt: skip


# --- the grading processes --------------------------------------------------------------

_GRADER = None
_BUSY = False  # this grading process is grading a submission now
_STOPPING = False  # Ctrl-C came: grade nothing more


def _on_interrupt(signum, frame):
    """Ctrl-C in a grading process: stop the submission being graded (its worker is killed
    on the way out and no result is written) and grade no other. Only the first signal
    interrupts, so that the clean-up it starts finishes."""
    global _STOPPING
    first, _STOPPING = not _STOPPING, True
    if first and _BUSY:
        raise KeyboardInterrupt


def _init_process(course_root, homework, config_path, options, slots):
    """Runs once in each grading process: build a Grader (and its plan) to reuse. Its
    inputs are strings and plain dicts (the course folder, the homework's name, the config
    file, the limits): each process assembles its own grader with the factory."""
    global _GRADER
    signal.signal(signal.SIGINT, _on_interrupt)
    from .factory import make_grader

    slot = slots.get() if slots is not None else 0
    _GRADER = make_grader(
        course_root, homework, config_path, options["limits"], options["isolation"],
        hide=options["hide"], slot=slot, keep_warm=True,
    )  # fmt: skip
    _GRADER.plan  # noqa: B018 - build it now, before the first submission
    _GRADER.prestart()


def _grade_one(entry, out_dir, digest, key, mode=FILE_MODE):
    """Grade one entry and write its results file; returns (key, score or None, error).

    Whatever fails here becomes the submission's result (the last resort): a problem of the
    submission is its error; a failure of the grader itself gives score 0 and an error
    starting "internal grader error", and is graded again by the next run."""
    global _BUSY
    from .guard import describe, failed_results

    results_dir = Path(out_dir) / RESULTS
    record = {
        "key": entry.key, "students": [s.__dict__ for s in entry.students], "digest": digest,
        "file": str(entry.path) if entry.path else None, "grading_key": dataclasses.asdict(key), "grader_error": False,
        "graded_at": time.time(),
    }  # fmt: skip
    if _STOPPING:
        raise KeyboardInterrupt  # queued before Ctrl-C: left for the next run
    _BUSY = True
    try:
        if entry.problem:
            raise BatchError(entry.problem)
        results = _GRADER.grade(entry.path)
        record["results"] = results.to_dict()
        record["error"] = results.fatal
        score = results.score
    except BatchError as err:
        record["results"], record["error"], score = None, str(err), None
    except Exception as err:  # noqa: BLE001 - one bad submission must not stop the batch
        record["error"] = describe(err)
        record["results"] = failed_results(entry.path, record["error"], _GRADER.config if _GRADER else None).to_dict()
        record["grader_error"] = True
        score = 0.0
    finally:
        _BUSY = False
    write_text_atomic(results_dir / f"{entry.key}.json", json.dumps(record), mode)
    return entry.key, score, record["error"]


def load_record(out_dir, key):
    path = Path(out_dir) / RESULTS / f"{key}.json"
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def default_workers():
    """One grading process per two cores (see grade_all)."""
    return max(1, (os.cpu_count() or 2) // 2)


def folder_mode(file_mode):
    """The folders' mode for files of ``file_mode``: who may read may also enter (0644 -> 0755)."""
    return file_mode | ((file_mode & 0o444) >> 2)


def _make_folder(path, file_mode):
    path = Path(path)
    created = not path.exists()
    path.mkdir(parents=True, exist_ok=True)
    if created or path.name in (RESULTS, FEEDBACK):
        os.chmod(path, folder_mode(file_mode))


def _why_grade(record, digest, key, force):
    """Why this submission must be graded now, or None if its stored result stands."""
    if force:
        return "forced"
    if record is None or "results" not in record:
        return "new"
    if record.get("digest") != digest:
        return "changed file"
    changes = key.changes(record.get("grading_key"))
    if changes:
        return f"{' and '.join(changes)} changed"
    if record.get("grader_error"):
        return "grader error before"
    return None


def grade_all(course, submissions_dir, out_dir, config_path=None, workers=None, force=False, limits=None, isolation="auto", progress=True, mode=FILE_MODE, homework=None):
    """Grade every submission that has no current result; then write the class outputs.

    ``homework``: its name (None: the course's only homework). Returns a Summary. Ctrl-C
    (KeyboardInterrupt) stops the grading within about a second and still writes
    grades.csv and summary.md; the Summary says ``interrupted``."""
    from .factory import load_assignment

    assignment = load_assignment(course, homework, config_path, limits)
    homework = assignment.homework.name
    entries = discover(submissions_dir, assignment.module_name)
    out_dir = Path(out_dir)
    _make_folder(out_dir, mode)
    _make_folder(out_dir / RESULTS, mode)
    key = grading_key(assignment)
    todo, reasons = [], Counter()
    for entry in entries:
        try:
            digest = _digest(entry.path)
        except OSError as err:  # removed or swapped for a link since it was found
            entry.path, entry.problem, digest = None, f"{entry.path.name} cannot be read ({err.strerror})", None
        why = _why_grade(load_record(out_dir, entry.key), digest, key, force)
        if why is not None:
            todo.append((entry, digest))
            reasons[why] += 1
    summary = Summary(submissions=len(entries), reasons=dict(reasons))

    # Each grading process keeps about two cores busy: itself checking results while its
    # sandboxed worker computes the next case and the next submission's worker starts up.
    workers = max(1, min(workers or default_workers(), len(todo) or 1))
    hide = [str(Path(submissions_dir).resolve()), str(out_dir.resolve())]  # the factory adds the course
    options = {"hide": hide, "isolation": isolation, "limits": dict(limits or {})}
    bar = _progress(len(entries), len(entries) - len(todo), progress)
    started = time.time()
    try:
        if todo:
            config_path = str(config_path) if config_path is not None else None
            summary.interrupted = _run_pool((str(course.root), homework, config_path), options, workers, todo, out_dir, key, mode, bar)
    except KeyboardInterrupt:  # before the pool started
        summary.interrupted = True
    finally:
        bar.close()
    finished = {entry.key for entry, digest in todo if _graded_since(load_record(out_dir, entry.key), digest, key, started)}
    unfinished = {entry.key for entry, _ in todo} - finished  # their stored results (if any) are out of date
    summary.outputs = write_class_outputs(
        course, entries, out_dir, mode=mode, quick=summary.interrupted, not_graded=unfinished, homework=homework,
        names=assignment.homework.names,
    )  # fmt: skip
    _count(summary, entries, out_dir, finished, unfinished)
    return summary


def _graded_since(record, digest, key, started):
    """Whether ``record`` is a result of this file with this key, written since ``started``."""
    return (
        record is not None and "results" in record and record.get("digest") == digest
        and not key.changes(record.get("grading_key")) and record.get("graded_at", 0) >= started
    )  # fmt: skip


def _run_pool(inputs, options, workers, todo, out_dir, key, mode, bar):
    """Grade ``todo`` in ``workers`` processes (``inputs``: the course folder, the homework's
    name and the config file, as strings). Returns True if interrupted (Ctrl-C)."""
    context = multiprocessing.get_context("spawn")  # grading processes start clean
    slots = context.Queue()
    for slot in range(workers):
        slots.put(slot)
    pool = concurrent.futures.ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_process,
        initargs=(*inputs, options, slots),
    )  # fmt: skip
    futures = []
    try:
        futures = [pool.submit(_grade_one, entry, str(out_dir), digest, key, mode) for entry, digest in todo]
        problems = 0
        for future in concurrent.futures.as_completed(futures):
            try:
                _, _, error = future.result()
            except Exception as err:  # noqa: BLE001 - a grading process died: that entry stays "not graded"
                error = f"{type(err).__name__}: {err}"
            problems += bool(error)
            bar.update(1)
            bar.set_postfix(problems=problems)
    except KeyboardInterrupt:
        _stop_pool(pool, futures)
        return True
    pool.shutdown()
    return False


def _stop_pool(pool, futures):
    """Ctrl-C: nothing new starts; each grading process stops the submission it grades (its
    worker is killed, no result is written) and is then ended; one still busy after the
    grace period is killed with its worker processes."""
    for future in futures:
        future.cancel()
    running = [future for future in futures if not future.done()]
    children = multiprocessing.active_children()
    for child in children:
        try:
            os.kill(child.pid, signal.SIGINT)
        except ProcessLookupError:
            pass
    _, still_running = concurrent.futures.wait(running, timeout=INTERRUPT_GRACE_SECONDS)
    pool.shutdown(wait=False, cancel_futures=True)
    if still_running:
        _kill_trees([child.pid for child in children if child.is_alive()])
    for child in children:
        child.kill()  # idle now: its spare worker sees its pipe close and exits
    for child in children:
        child.join(1.0)


def _kill_trees(pids):
    """SIGKILL each of ``pids`` and every process descended from them (found in /proc)."""
    parents = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as handle:
                    parents[int(entry.name)] = int(handle.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    tree, frontier = set(pids), list(pids)
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent and child not in tree:
                tree.add(child)
                frontier.append(child)
    for member in tree:
        try:
            os.kill(member, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _count(summary, entries, out_dir, finished, unfinished):
    """Fill the class-wide counts from the results files (this run's and earlier ones)."""
    for entry in entries:
        record = load_record(out_dir, entry.key)
        if entry.key in unfinished or record is None or "results" not in record:
            summary.not_graded += 1
            continue
        summary.graded += 1
        if entry.key in finished:
            summary.graded_now += 1
        else:
            summary.already_graded += 1
        if record.get("error"):
            summary.problems += 1
            summary.grader_errors += bool(record.get("grader_error"))


def _progress(total, done, enabled):
    from tqdm import tqdm

    # disable=None: a bar on a terminal, nothing when the output is a file or a pipe
    return tqdm(total=total, initial=done, desc="grading", unit="submission", disable=None if enabled else True, dynamic_ncols=True)


def write_class_outputs(course, entries, out_dir, mode=FILE_MODE, quick=False, not_graded=(), homework=None, names=None):
    """grades.csv, summary.md, one HTML page per submission and mistakes.png from the
    results files (read one at a time, so memory stays flat). Names and emails come from
    ``entries`` (the current metadata), not from the stored results. Keys in ``not_graded``
    (due for grading, not reached) are shown as not graded. ``quick`` (after Ctrl-C):
    grades.csv and summary.md only. ``homework``: its name, given to each page's record;
    ``names``: its functions, in contract order (the columns of grades.csv)."""
    from .exporters import classwide, html

    out_dir = Path(out_dir)
    if not quick:
        _make_folder(out_dir / FEEDBACK, mode)
    rows, tallies = [], classwide.Tallies(names or ())
    for entry in entries:
        record = None if entry.key in not_graded else load_record(out_dir, entry.key)
        if record is None or "results" not in record:
            record = {"key": entry.key, "results": None, "error": NOT_GRADED}
        record = dict(record, students=[s.__dict__ for s in entry.students], homework=homework)
        if not quick:
            page = out_dir / FEEDBACK / f"{entry.key}.html"
            html.write_page(record, page)
            os.chmod(page, mode)
        rows.extend(classwide.rows(record, names))
        tallies.add(record)
    outputs = {
        "grades": classwide.write_csv(rows, out_dir / "grades.csv", names),
        "summary": classwide.write_summary(tallies, out_dir / "summary.md"),
    }  # fmt: skip
    if not quick:
        outputs["chart"] = classwide.write_chart(tallies, out_dir / "mistakes.png")
        outputs["feedback"] = out_dir / FEEDBACK
    for path in outputs.values():
        os.chmod(path, folder_mode(mode) if Path(path).is_dir() else mode)
    return {name: str(path) for name, path in outputs.items()}
