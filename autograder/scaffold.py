"""``autograder new NAME``: a new homework folder that releases and grades out of the box.

    solutions/NAME/NAME.py        the reference notebook (two functions, solution markers)
    solutions/NAME/spec.py        the contract as data (inputs, a gradient, a property)
    solutions/NAME/mistakes.py    one known mistake
    solutions/NAME/grading.toml   points 50/50, three random hidden seeds

The files come from ``templates/new/``; the instructor edits them from there.
"""

import re
import secrets
from importlib import resources
from pathlib import Path

from .errors import UserError

TEMPLATES = "templates/new"
# template file -> the file written in solutions/NAME/ ("{name}" is the homework's name)
FILES = (
    ("reference.py.tmpl", "{name}.py"),
    ("spec.py.tmpl", "spec.py"),
    ("mistakes.py.tmpl", "mistakes.py"),
    ("grading.toml.tmpl", "grading.toml"),
)
NAME = re.compile(r"[a-z][a-z0-9_]*")


class ScaffoldError(UserError, ValueError):
    pass


def new_homework(root, name, seeds=None):
    """Write ``root/solutions/name/`` from the templates; returns the files written.

    ``name`` becomes a module name (the student's file is ``name.py``): lower case letters,
    digits and underscores. ``seeds``: the hidden seeds (default: three random ones).
    Refuses to touch an existing folder."""
    if not NAME.fullmatch(name or ""):
        raise ScaffoldError(f"{name!r} is not a homework name: use lower-case letters, digits and underscores, starting with a letter")
    folder = Path(root) / "solutions" / name
    if folder.exists():
        raise ScaffoldError(f"{folder} exists already; choose another name or remove it")
    if seeds is None:
        seeds = [secrets.randbelow(90_000) + 10_000 for _ in range(3)]
    values = {"name": name, "seeds": ", ".join(str(int(s)) for s in seeds)}
    templates = resources.files("autograder").joinpath(TEMPLATES)
    texts = {target.format(name=name): _fill(templates.joinpath(source).read_text(), values) for source, target in FILES}
    folder.mkdir(parents=True)
    written = []
    for relative, text in texts.items():
        path = folder / relative
        path.write_text(text)
        written.append(path)
    return written


def _fill(text, values):
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], text)
