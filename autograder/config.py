"""Grading settings: points, check weights, tolerance, seeds and limits, from one TOML file.

Hidden grading reads the course's ``solutions/grading.toml``; the public checks a student
runs use ``public_config()``, which has public seeds, one point per function and no
reference.
"""

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10 (Gradescope's default image)
    import tomli as tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import contract
from .errors import UserError
from .sandbox import Limits

CHECKS = (
    "signature", "returns", "type", "shape", "dtype", "finite", "inputs_unchanged", "value",
    "finite_differences", "properties",
)  # fmt: skip
DEFAULT_WEIGHTS = {
    "signature": 0.05, "returns": 0.10, "type": 0.05, "shape": 0.10, "dtype": 0.05, "finite": 0.05,
    "inputs_unchanged": 0.10, "value": 0.30, "finite_differences": 0.15, "properties": 0.10,
}  # fmt: skip
PUBLIC_SEEDS = (11, 12, 13)


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
    functions: tuple = contract.NAMES

    @property
    def max_score(self):
        return sum(self.points[name] for name in self.functions)

    def only(self, names):
        unknown = [n for n in names if n not in contract.BY_NAME]
        if unknown:
            raise ConfigError(f"unknown functions {unknown}; the contract has {', '.join(contract.NAMES)}")
        return replace(self, functions=tuple(n for n in contract.NAMES if n in names))

    def with_limits(self, **changes):
        changes = {k: v for k, v in changes.items() if v is not None}
        return replace(self, limits=replace(self.limits, **changes))


def public_config():
    return GradingConfig(mode="public", seeds=PUBLIC_SEEDS, points={name: 1 for name in contract.NAMES})


def load_config(path):
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"grading config {path} is missing") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: {err}") from None

    points_table = dict(data.get("points", {}))
    total = points_table.pop("total", None)
    missing = [n for n in contract.NAMES if n not in points_table]
    unknown = [n for n in points_table if n not in contract.BY_NAME]
    if missing or unknown:
        raise ConfigError(f"{path} [points]: missing {missing}, unknown {unknown}")
    points = {n: float(points_table[n]) for n in contract.NAMES}
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

    limits_table = data.get("limits", {})
    known = set(Limits.__dataclass_fields__)
    bad = [k for k in limits_table if k not in known]
    if bad:
        raise ConfigError(f"{path} [limits]: unknown settings {bad}; known: {sorted(known)}")
    limits = Limits(**limits_table)

    tolerance = float(data.get("tolerance", {}).get("relative_error", 1e-6))
    return GradingConfig(mode="hidden", seeds=seeds, points=points, weights=weights, tolerance=tolerance, limits=limits)
