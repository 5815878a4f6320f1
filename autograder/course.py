"""Where a course's instructor material lives.

A course is a folder holding ``solutions/backprop.py`` (the reference, with solution
markers), ``solutions/grading.toml`` (points, hidden seeds, limits) and ``data/`` (the MNIST
files and their loader). The release is written to ``assignment/``. The grading engine
itself (this package) carries none of that material, so it can be given to students.
"""

from dataclasses import dataclass
from pathlib import Path

from .errors import UserError


class CourseNotFound(UserError, FileNotFoundError):
    pass


@dataclass(frozen=True)
class Course:
    root: Path

    @property
    def solution(self):
        return self.root / "solutions" / "backprop.py"

    @property
    def grading_config(self):
        return self.root / "solutions" / "grading.toml"

    @property
    def data_dir(self):
        return self.root / "data"

    @property
    def release_dir(self):
        return self.root / "assignment"


def _is_course(folder):
    return (folder / "solutions" / "backprop.py").is_file()


def find_course(root=None):
    """The course at ``root``, or the nearest one above the working directory.

    An editable install of this package inside a course also finds that course.
    """
    if root is not None:
        folder = Path(root).resolve()
        if not _is_course(folder):
            raise CourseNotFound(f"{folder} is not a course: {folder / 'solutions' / 'backprop.py'} is missing")
        return Course(folder)
    here = Path.cwd().resolve()
    for folder in (here, *here.parents, Path(__file__).resolve().parent.parent):
        if _is_course(folder):
            return Course(folder)
    raise CourseNotFound(
        "no course found: run from a folder holding solutions/backprop.py, or pass --course DIR"
    )
