"""Grading settings: points, check weights, tolerance, seeds and limits, from one TOML file.

Hidden grading reads a homework's ``solutions/<name>/grading.toml``, checked against that
homework's functions; the public checks a student runs use ``public_config(homework)``, which
has the homework's public seeds, one point per function and no reference.
"""

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10 (Gradescope's default image)
    import tomli as tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import UserError
from .sandbox import Limits

CHECKS = (
    "signature", "returns", "type", "shape", "dtype", "finite", "inputs_unchanged", "value",
    "finite_differences", "properties",
)  # fmt: skip
# How a right test case's credit is split among its checks; a case that is not right (a
# value-type check failed) earns 0 whatever these say (grader.case_credit).
DEFAULT_WEIGHTS = {
    "signature": 0.05, "returns": 0.10, "type": 0.05, "shape": 0.10, "dtype": 0.05, "finite": 0.05,
    "inputs_unchanged": 0.10, "value": 0.30, "finite_differences": 0.15, "properties": 0.10,
}  # fmt: skip
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")  # Gradescope's words
# [feedback] hidden: the wording of the hidden tests' fix lines, "fix" (may state the formula)
# or "hint" (what is wrong and which rule to revisit, as the public checks always say);
# diagnosis.WORDINGS, written out here so reading a config imports no numpy (test_hints checks)
FEEDBACK = ("fix", "hint")


@dataclass(frozen=True)
class Visibility:
    """Who sees each result on Gradescope: labels the exporters copy, nothing more.

    ``summary`` is the top-level output, ``tests`` every function's test unless ``functions``
    names it; ``otter_show_hidden`` is otter's ``show_hidden`` (the hidden tests' results,
    which carry the diagnosis, shown once grades are published)."""

    summary: str = "visible"
    tests: str = "visible"
    functions: tuple = ()  # (function name, visibility) pairs overriding ``tests``
    otter_show_hidden: bool = True

    def of(self, function):
        return dict(self.functions).get(function, self.tests)


class ConfigError(UserError, ValueError):
    pass


@dataclass(frozen=True)
class GradingConfig:
    mode: str  # "hidden": compared with the reference; "public": checks without reference values
    seeds: tuple
    points: dict
    weights: dict = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    tolerance: float = 1e-6
    limits: Limits = Limits()
    functions: tuple = ()  # graded, in contract order (every key of ``points`` unless only())
    visibility: Visibility = Visibility()
    feedback: str = "fix"  # the hidden tests' wording (FEEDBACK); the public checks always give hints

    def __post_init__(self):
        if not self.functions:  # every function with points, in the points' (contract) order
            object.__setattr__(self, "functions", tuple(self.points))

    @property
    def max_score(self):
        return sum(self.points[name] for name in self.functions)

    def only(self, names):
        unknown = [n for n in names if n not in self.points]
        if unknown:
            raise ConfigError(f"unknown functions {unknown}; the contract has {', '.join(self.points)}")
        return replace(self, functions=tuple(n for n in self.points if n in names))

    def with_limits(self, **changes):
        changes = {k: v for k, v in changes.items() if v is not None}
        return replace(self, limits=replace(self.limits, **changes))


def public_config(homework):
    """The public checks' settings for ``homework`` (a spec.Homework)."""
    return GradingConfig(
        mode="public", seeds=tuple(homework.public_seeds), points={name: 1 for name in homework.names}, functions=tuple(homework.names)
    )


def _read(path):
    path = Path(path)
    try:
        return path, tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"grading config {path} is missing") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: {err}") from None


def read_limits(path):
    """Only the [limits] and [sandbox] tables of the file at ``path``: what a Sandbox needs,
    read before the homework's spec is imported (so a worker can start first)."""
    path, data = _read(path)
    return _limits(path, data)


def _limits(path, data):
    limits_table = data.get("limits", {})
    known = set(Limits.__dataclass_fields__) - set(SANDBOX_KEYS)
    bad = [k for k in limits_table if k not in known]
    if bad:
        raise ConfigError(f"{path} [limits]: unknown settings {bad}; known: {sorted(known)}")
    return Limits(**limits_table, **_sandbox(path, data.get("sandbox", {})))


def load_config(path, homework):
    """The hidden-grading settings of the file at ``path``, checked against ``homework``'s
    functions (a spec.Homework, or just the tuple of its function names)."""
    names = tuple(getattr(homework, "names", homework))
    path, data = _read(path)

    points_table = dict(data.get("points", {}))
    total = points_table.pop("total", None)
    missing = [n for n in names if n not in points_table]
    unknown = [n for n in points_table if n not in names]
    if missing or unknown:
        raise ConfigError(f"{path} [points]: missing {missing}, unknown {unknown}")
    points = {n: float(points_table[n]) for n in names}
    if any(p < 0 for p in points.values()):
        raise ConfigError(f"{path} [points]: points cannot be negative")
    if total is not None and abs(sum(points.values()) - float(total)) > 1e-9:
        raise ConfigError(f"{path} [points]: the functions add up to {sum(points.values()):g}, not total = {total}")

    weights = dict(DEFAULT_WEIGHTS)
    for name, value in data.get("weights", {}).items():
        if name not in CHECKS:
            raise ConfigError(f"{path} [weights]: unknown check {name!r}; checks are {', '.join(CHECKS)}")
        weights[name] = float(value)

    seeds = tuple(data.get("hidden", {}).get("seeds", ()))
    if len(seeds) < 3 or not all(isinstance(s, int) for s in seeds):
        raise ConfigError(f"{path} [hidden]: seeds must be a list of at least three integers")

    limits = _limits(path, data)

    tolerance = float(data.get("tolerance", {}).get("relative_error", 1e-6))
    visibility = _visibility(path, data.get("visibility", {}), names)
    feedback = _feedback(path, data.get("feedback", {}))
    return GradingConfig(
        mode="hidden", seeds=seeds, points=points, weights=weights, tolerance=tolerance, limits=limits,
        functions=names, visibility=visibility, feedback=feedback,
    )  # fmt: skip


def _feedback(path, table):
    """The [feedback] table: ``hidden = "fix" | "hint"``, how the hidden tests word their fixes."""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: feedback must be a table ([feedback])")
    bad = [k for k in table if k != "hidden"]
    if bad:
        raise ConfigError(f"{path} [feedback]: unknown settings {bad}; known: ['hidden']")
    value = table.get("hidden", "fix")
    if value not in FEEDBACK:
        raise ConfigError(f"{path} [feedback]: hidden = {value!r}; use one of {', '.join(map(repr, FEEDBACK))}")
    return value


SANDBOX_KEYS = ("require_isolation", "uid_first", "uid_count")


def _sandbox(path, table):
    """The [sandbox] table: ``require_isolation`` (the weakest mode grading may run in:
    "root", "userns", "uid" or "none") and the dedicated uids' range (``uid_first``,
    ``uid_count``); see sandbox.UidLease. Carried in Limits, which every Sandbox receives."""
    from .sandbox import LADDER

    bad = [k for k in table if k not in SANDBOX_KEYS]
    if bad:
        raise ConfigError(f"{path} [sandbox]: unknown settings {bad}; known: {list(SANDBOX_KEYS)}")
    if table.get("require_isolation", "none") not in LADDER:
        raise ConfigError(f"{path} [sandbox]: require_isolation must be one of {', '.join(LADDER)}")
    for key in ("uid_first", "uid_count"):
        if key in table and not (isinstance(table[key], int) and not isinstance(table[key], bool) and table[key] > 0):
            raise ConfigError(f"{path} [sandbox]: {key} must be a positive integer")
    first, count = table.get("uid_first", Limits.uid_first), table.get("uid_count", Limits.uid_count)
    if first < 1000 or first + count > 2**31 - 1:
        raise ConfigError(f"{path} [sandbox]: uids {first} to {first + count - 1} must lie between 1000 and 2**31 - 1")
    return dict(table)


def _visibility(path, table, names):
    """The [visibility] table: ``summary``, ``tests``, ``otter_show_hidden`` and one key per
    function to override ``tests``."""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: visibility must be a table ([visibility])")
    table = dict(table)
    show_hidden = table.pop("otter_show_hidden", True)
    if not isinstance(show_hidden, bool):
        raise ConfigError(f"{path} [visibility]: otter_show_hidden must be true or false, not {show_hidden!r}")
    for key, value in table.items():
        if key not in ("summary", "tests") and key not in names:
            raise ConfigError(f"{path} [visibility]: unknown key {key!r}; keys are summary, tests, otter_show_hidden and the function names")
        if value not in VISIBILITIES:
            raise ConfigError(f"{path} [visibility]: {key} = {value!r}; use one of {', '.join(VISIBILITIES)}")
    functions = tuple((name, table[name]) for name in names if name in table)
    return Visibility(
        summary=table.get("summary", "visible"), tests=table.get("tests", "visible"), functions=functions, otter_show_hidden=show_hidden
    )
