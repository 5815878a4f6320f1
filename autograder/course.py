"""Where a course's instructor material lives.

A course is a folder holding one folder per homework, ``solutions/<name>/``: the reference
``<name>.py`` (with solution markers), ``spec.py`` (the contract as data), ``mistakes.py``
(its known mistakes) and ``grading.toml`` (points, hidden seeds, limits); and ``data/``
(course-wide data files and their loaders). A homework's release is written to
``assignment/<name>/``. The grading engine itself (this package) carries none of that
material, so it can be given to students.
"""

from dataclasses import dataclass
from pathlib import Path

from .errors import UserError


class CourseNotFound(UserError, FileNotFoundError):
    pass


class NoSuchHomework(UserError, LookupError):
    pass


@dataclass(frozen=True)
class HomeworkFiles:
    """The files of one homework of a course (paths only: nothing is read here)."""

    name: str
    folder: Path  # solutions/<name>/
    release_dir: Path  # assignment/<name>/

    @property
    def reference(self):
        return self.folder / f"{self.name}.py"

    @property
    def grading_config(self):
        return self.folder / "grading.toml"

    @property
    def spec(self):
        return self.folder / "spec.py"

    @property
    def mistakes(self):
        return self.folder / "mistakes.py"


@dataclass(frozen=True)
class Course:
    root: Path

    def __post_init__(self):
        object.__setattr__(self, "root", Path(self.root))

    @property
    def solutions_dir(self):
        return self.root / "solutions"

    @property
    def data_dir(self):
        return self.root / "data"

    @property
    def assignments_dir(self):
        return self.root / "assignment"

    def homeworks(self):
        """The names of the course's homeworks: folders of solutions/ holding a spec.py."""
        return tuple(sorted(p.parent.name for p in self.solutions_dir.glob("*/spec.py")))

    def homework(self, name):
        if name not in self.homeworks():
            raise NoSuchHomework(f"no homework {name!r} in {self.root}: {_listing(self.homeworks())}")
        return HomeworkFiles(name, self.solutions_dir / name, self.assignments_dir / name)

    def pick(self, name=None, submission=None):
        """The HomeworkFiles of ``name``; with no name, the course's only homework, else the
        one the submission's file name equals or starts with (``hw-Copy1.ipynb`` for hw; the
        longest such name); else a UserError listing the names."""
        if name is not None:
            return self.homework(name)
        names = self.homeworks()
        if len(names) == 1:
            return self.homework(names[0])
        if submission is not None:
            stem = Path(submission).stem
            matches = [n for n in names if stem == n] or [n for n in names if stem.startswith(n)]
            if matches:
                return self.homework(max(matches, key=len))
        if not names:
            raise NoSuchHomework(f"no homework in {self.root}: {_listing(names)}")
        said = f" and the file name {Path(submission).name!r} names none of them" if submission is not None else ""
        raise NoSuchHomework(f"{self.root} has {len(names)} homeworks{said}: pass --assignment NAME ({_listing(names)})")


def _listing(names):
    return "homeworks: " + ", ".join(names) if names else "solutions/<name>/spec.py is missing for every folder"


def is_course(folder):
    return any(Path(folder).glob("solutions/*/spec.py"))


def find_course(root=None):
    """The course at ``root``, or the nearest one above the working directory.

    An editable install of this package inside a course also finds that course.
    """
    if root is not None:
        folder = Path(root).resolve()
        if not is_course(folder):
            raise CourseNotFound(f"{folder} is not a course: no {folder / 'solutions'}/<name>/spec.py")
        return Course(folder)
    course = find_course_or_none()
    if course is None:
        raise CourseNotFound("no course found: run from a folder holding solutions/<name>/spec.py, or pass --course DIR")
    return course


def find_course_or_none(root=None, *, package_course=True):
    """find_course, or None where there is no course (a student's machine).
    ``package_course=False``: only the working directory and its parents, not the course an
    editable install of this package sits in (``autograder new`` in an empty folder)."""
    if root is not None:
        return find_course(root)
    here = Path.cwd().resolve()
    package = (Path(__file__).resolve().parent.parent,) if package_course else ()
    for folder in (here, *here.parents, *package):
        if is_course(folder):
            return Course(folder)
    return None
