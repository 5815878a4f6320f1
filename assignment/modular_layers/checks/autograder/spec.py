"""The vocabulary a homework is written in, and the loader of a homework folder.

A homework is a folder ``solutions/<name>/`` whose ``spec.py`` defines ``HOMEWORK`` (a
``Homework``: the graded functions in contract order, how their test inputs are built, what
their results look like and which of them are gradients of what) and whose optional
``mistakes.py`` defines ``MISTAKES`` ({function: [Mistake]}) and ``HINTS`` ({function or
"*": Hints}). ``load_homework(folder)`` imports both as modules of a synthetic package, so
``from .spec import softmax`` works in ``mistakes.py``, checks them and returns the
``Homework`` with its mistakes attached. The engine reads a homework only through this
module's records: it names no homework itself.
"""

import hashlib
import importlib
import re
import sys
import types
from collections import namedtuple
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from .errors import UserError
from .reference import load_module
from .structure import TEMPLATES, Arr, FloatList, Mapping, Scalar, Seq, resolve

STAGES = ("exception", "shape", "non_finite", "mutation", "structure", "value")
MISTAKE_ID = re.compile(r"[a-z_]+")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SpecError(UserError, ValueError):
    """A homework folder whose spec.py or mistakes.py cannot be used (said with the file)."""


@dataclass(frozen=True)
class Gradient:
    """"The result (at its path) is dJ/d(at)": how its finite differences are taken.

    ``loss(given) -> J(x)`` (a scalar) or ``vjp(given) -> (upstream, forward)`` (J(x) =
    sum(upstream * forward(x)), the CS231n pattern); hidden plans use ``loss`` if given, public
    plans ``vjp`` if given. ``elementwise``: f with f'(x) wanted entrywise; ``jacobian``: a
    vector f(z) whose Jacobian the result is."""

    at: Callable | None = None
    loss: Callable | None = None
    vjp: Callable | None = None
    elementwise: Callable | None = None
    jacobian: Callable | None = None


@dataclass(frozen=True)
class Property:
    """A check of one result: ``check(case, values[, tolerance][, outcome])`` returns None
    (holds), a message, or (message, mistake, fix). ``hidden``: also run in hidden grading."""

    name: str
    check: Callable
    hidden: bool = True


@dataclass(frozen=True)
class Mistake:
    """A known mistake of one function (see docs/writing-a-homework.md, "Known mistakes")."""

    id: str
    impl: Callable | None = None  # a plain wrong implementation (same params; or (case, *args))
    swap: dict | None = None  # {helper: wrong helper}: the reference run with these swapped
    test: Callable | None = None  # test(case, found) -> None/False | True | explanation
    stage: str = "value"  # one of STAGES
    explain: Any = ""  # text, or explain(case, found) -> text
    fix: str = ""
    hint: str | None = None  # public wording without the formula (None: fix)
    distinct: float | None = None  # min distance from the correct value (None: diagnosis.DISTINCT)
    public: bool = True  # tried by the public checks too


Hints = namedtuple(
    "Hints", "shape fixes hint_shape hint_fixes", defaults=(None, types.MappingProxyType({}), None, types.MappingProxyType({}))
)
Hints.__doc__ = """A function's wording for generic diagnoses: ``shape`` is appended to the
transposed / operand fixes; ``fixes`` maps a generic mistake id to this function's fix line.
``hint_shape`` and ``hint_fixes``: the public wording of the same (what is wrong and which
rule to revisit, without the formula), used by the public checks (and by hidden grading
with ``[feedback] hidden = "hint"``); where one is missing, ``shape`` / ``fixes`` of the
same level is used (as ``Mistake.hint`` None means ``fix``): ``Homework.hints`` merges them."""


@dataclass(frozen=True)
class Function:
    """One graded function of the contract."""

    name: str
    params: tuple
    result: Any  # a template (Arr("H,C"), Arr(like="Z"), Seq, Mapping, Scalar, FloatList) or case -> template
    cases: Callable  # cases(ctx) -> iterable of Case
    defaults: dict = field(default_factory=dict)  # checked against the student's signature
    part: int = 1  # the notebook part
    grad: Any = None  # Gradient, {result path: Gradient}, or None
    properties: tuple = ()  # Property records run on every case (a case may override)
    value: bool = True  # cases compare with the reference's result by default
    pipeline: bool = False  # graded as a whole
    loss: bool = False  # a scalar mean loss: unreduced / 1-over-C / mean diagnoses
    matmul: bool = False  # broadcast / core-dimension ValueErrors are named
    generic_values: bool = True  # False: no generic value diagnoses

    @property
    def required(self):
        """Parameters the grader always passes (those without a contract default)."""
        return tuple(p for p in self.params if p not in self.defaults)

    @property
    def gradients(self):
        """{result path: Gradient} in declaration order ("" is the whole result)."""
        if self.grad is None:
            return {}
        if isinstance(self.grad, Gradient):
            return {"": self.grad}
        return dict(self.grad)


def _derived_message_names(functions):
    """Names worth keeping in a hidden message: parameters, result keys and function names
    that carry a digit (W1, b2, dZ2); the rest hold no number to hide."""
    names = set()
    for function in functions:
        names.add(function.name)
        names.update(function.params)
        if isinstance(function.result, Mapping):
            names.update(k for k, _ in function.result.entries if isinstance(k, str))
    names = sorted((n for n in names if any(c.isdigit() for c in n)), key=lambda n: (-len(n), n))
    return r"\b(?:" + "|".join(map(re.escape, names)) + r")\b" if names else None


def _never_bias(function, path):
    return False


@dataclass(frozen=True)
class Homework:
    name: str
    functions: tuple  # contract order = grading order = report order
    points: Callable | None = None  # points(ctx) -> shared inputs, built once before any function
    public_seeds: tuple = (11, 12, 13)
    message_names: str | None = None  # regex of names hidden messages keep (None: derived)
    is_bias_path: Callable = _never_bias  # is_bias_path(function, path): a bias-gradient result
    # attached by load_homework:
    mistake_table: dict = field(default_factory=dict)  # {function: (Mistake, ...)}
    hint_table: dict = field(default_factory=dict)  # {function or "*": Hints}
    sources: tuple = ()  # the files this homework was read from (spec.py, mistakes.py)
    folder: Path | None = None

    def __post_init__(self):
        object.__setattr__(self, "functions", tuple(self.functions))
        object.__setattr__(self, "public_seeds", tuple(self.public_seeds))

    @property
    def names(self):
        return tuple(f.name for f in self.functions)

    def function(self, name):
        for function in self.functions:
            if function.name == name:
                return function
        raise KeyError(f"{name!r} is not a function of the contract; known: {', '.join(self.names)}")

    def mistakes(self, name):
        return tuple(self.mistake_table.get(name, ()))

    def hints(self, name):
        """The function's Hints over the homework-wide ones ("*")."""
        common, own = self.hint_table.get("*", Hints()), self.hint_table.get(name, Hints())
        return Hints(
            shape=own.shape if own.shape is not None else common.shape, fixes={**common.fixes, **own.fixes},
            # the public wording, falling back to the same level's fix wording: the function's
            # own line (hint, else fix) wins over the homework-wide one
            hint_shape=next((t for t in (own.hint_shape, own.shape, common.hint_shape, common.shape) if t is not None), None),
            hint_fixes={**common.fixes, **common.hint_fixes, **own.fixes, **own.hint_fixes},
        )

    @property
    def message_pattern(self):
        """``message_names``, or the pattern derived from the contract when it is None."""
        return self.message_names if self.message_names is not None else _derived_message_names(self.functions)


def load_homework(folder):
    """The Homework of the folder holding its ``spec.py`` (and ``mistakes.py``), with its
    known mistakes and hints attached; raises SpecError naming the file when either is unusable."""
    folder = Path(folder).resolve()
    spec_file = folder / "spec.py"
    if not spec_file.is_file():
        raise SpecError(f"{folder} is not a homework: {spec_file} is missing")
    mistakes_file = folder / "mistakes.py"
    sources = (spec_file, mistakes_file) if mistakes_file.is_file() else (spec_file,)
    key = (folder, tuple(p.stat().st_mtime_ns for p in sources))
    if key in _loaded:
        return _loaded[key]
    package = f"_hw_{re.sub(r'[^A-Za-z0-9_]', '_', folder.name)}"
    held = sys.modules.get(package)
    if held is not None and list(getattr(held, "__path__", ())) != [str(folder)]:  # another course's homework of that name
        package += "_" + hashlib.sha256(str(folder).encode()).hexdigest()[:8]
    for loaded in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[loaded]
    module = types.ModuleType(package)
    module.__path__ = [str(folder)]
    module.__package__ = package
    module.__file__ = None
    sys.modules[package] = module
    spec_module = load_module(spec_file, f"{package}.spec")
    mistakes_module = load_module(mistakes_file, f"{package}.mistakes") if mistakes_file.is_file() else None
    homework = _assemble(spec_module, mistakes_module, sources, folder, expected_name=folder.name)
    _loaded[key] = homework
    return homework


def load_installed(name):
    """The Homework packaged as ``autograder.homeworks.<name>`` (the student wheel)."""
    package = f"{__package__}.homeworks.{name}"
    try:
        spec_module = importlib.import_module(f"{package}.spec")
    except ModuleNotFoundError as err:
        if err.name not in (f"{__package__}.homeworks", package, f"{package}.spec"):
            raise
        raise SpecError(f"no homework {name!r} is installed with this package ({package} is missing)") from None
    try:
        mistakes_module = importlib.import_module(f"{package}.mistakes")
    except ModuleNotFoundError as err:
        if err.name != f"{package}.mistakes":
            raise
        mistakes_module = None
    sources = tuple(Path(m.__file__) for m in (spec_module, mistakes_module) if m is not None)
    return _assemble(spec_module, mistakes_module, sources, sources[0].parent, expected_name=name)


def installed_homeworks():
    """Names of the homeworks packaged under ``autograder.homeworks``."""
    package = sys.modules[__package__]
    return tuple(sorted({p.parent.name for root in package.__path__ for p in Path(root, "homeworks").glob("*/spec.py")}))


_loaded = {}


def _assemble(spec_module, mistakes_module, sources, folder, expected_name):
    spec_file = sources[0]
    homework = getattr(spec_module, "HOMEWORK", None)
    if homework is None:
        raise SpecError(f"{spec_file} defines no HOMEWORK = Homework(...)")
    if not isinstance(homework, Homework):
        raise SpecError(f"{spec_file}: HOMEWORK is a {type(homework).__name__}, not a Homework")
    if homework.name != expected_name:
        raise SpecError(f"{spec_file}: HOMEWORK is named {homework.name!r} but its folder is {expected_name!r}")
    _check_functions(spec_file, homework)
    mistakes, hints = {}, {}
    if mistakes_module is not None:
        mistakes = _check_mistakes(sources[1], homework, getattr(mistakes_module, "MISTAKES", {}))
        hints = _check_hints(sources[1], homework, getattr(mistakes_module, "HINTS", {}))
    return replace(homework, mistake_table=mistakes, hint_table=hints, sources=tuple(sources), folder=folder)


def _check_functions(path, homework):
    if not homework.functions:
        raise SpecError(f"{path}: HOMEWORK has no functions")
    seen = set()
    for function in homework.functions:
        if not isinstance(function, Function):
            raise SpecError(f"{path}: HOMEWORK.functions holds a {type(function).__name__}, not a Function")
        if not NAME.fullmatch(function.name):
            raise SpecError(f"{path}: {function.name!r} is not a Python function name")
        if function.name in seen:
            raise SpecError(f"{path}: the function {function.name!r} is declared twice")
        seen.add(function.name)
        unknown = [p for p in function.defaults if p not in function.params]
        if unknown:
            raise SpecError(f"{path}: {function.name}: defaults for {unknown}, which are not among its params {list(function.params)}")
        if not (isinstance(function.result, TEMPLATES) or callable(function.result)):
            raise SpecError(f"{path}: {function.name}: result must be a template (Arr, Scalar, Seq, Mapping, FloatList) or a function of the case")
        if not callable(function.cases):
            raise SpecError(f"{path}: {function.name}: cases must be a function of the context")
        bad = [p for p in function.properties if not isinstance(p, Property)]
        if bad:
            raise SpecError(f"{path}: {function.name}: properties must be Property records, not {bad[0]!r}")
        gradients = function.grad if isinstance(function.grad, dict) else {"": function.grad} if function.grad is not None else {}
        if any(not isinstance(g, Gradient) for g in gradients.values()):
            raise SpecError(f"{path}: {function.name}: grad must be a Gradient or a dict of them")


def _check_mistakes(path, homework, table):
    if not isinstance(table, dict):
        raise SpecError(f"{path}: MISTAKES must be a dict {{function name: [Mistake, ...]}}")
    checked = {}
    for name, mistakes in table.items():
        if name not in homework.names:
            raise SpecError(f"{path}: MISTAKES names {name!r}, which is not a function of {homework.name} ({', '.join(homework.names)})")
        if isinstance(mistakes, Mistake) or not isinstance(mistakes, (list, tuple)):
            raise SpecError(f"{path}: MISTAKES[{name!r}] must be a list of Mistake records")
        for mistake in mistakes:
            if not isinstance(mistake, Mistake):
                raise SpecError(f"{path}: MISTAKES[{name!r}] holds a {type(mistake).__name__}, not a Mistake")
            if not isinstance(mistake.id, str) or not MISTAKE_ID.fullmatch(mistake.id):
                raise SpecError(f"{path}: MISTAKES[{name!r}]: the id {mistake.id!r} must be lower-case letters and underscores")
            if mistake.stage not in STAGES:
                raise SpecError(f"{path}: MISTAKES[{name!r}] {mistake.id}: stage {mistake.stage!r} is not one of {', '.join(STAGES)}")
            if mistake.impl is None and mistake.swap is None and mistake.test is None:
                raise SpecError(f"{path}: MISTAKES[{name!r}] {mistake.id}: give impl, swap or test")
        checked[name] = tuple(mistakes)
    return checked


def _check_hints(path, homework, table):
    if not isinstance(table, dict):
        raise SpecError(f"{path}: HINTS must be a dict {{function name or '*': Hints(...)}}")
    for name, hints in table.items():
        if name != "*" and name not in homework.names:
            raise SpecError(f"{path}: HINTS names {name!r}, which is not a function of {homework.name} ({', '.join(homework.names)})")
        if not isinstance(hints, Hints):
            raise SpecError(f"{path}: HINTS[{name!r}] must be Hints(shape=..., fixes={{...}})")
    return dict(table)


__all__ = [
    "Arr", "FloatList", "Function", "Gradient", "Hints", "Homework", "Mapping", "Mistake", "Property", "Scalar",
    "Seq", "SpecError", "STAGES", "installed_homeworks", "load_homework", "load_installed", "resolve",
]  # fmt: skip
