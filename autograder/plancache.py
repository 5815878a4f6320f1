"""A disk cache of a grading plan's computed values: the reference's results and the
finite differences, which depend only on the reference, the homework's spec, the seeds and
this engine.

Building them takes about a tenth of a second; reading them back a few milliseconds, which
matters when every submission is graded by a fresh ``autograder grade`` process (Gradescope).
The file is written with the wire format (JSON plus .npy, never pickle) in the grader's own
cache folder, which the sandbox hides from workers; with no isolation the cache is not used,
since a submission could then rewrite it.
"""

import functools
import hashlib
import sys
from pathlib import Path

import numpy as np

from . import __version__, wire
from .atomic import write_bytes_atomic
from .gradcheck import Probes, random_directions
from .locations import cache_dir  # noqa: F401 - part of this module's interface

FORMAT = 1


@functools.lru_cache(maxsize=1)
def engine_version():
    """A digest of this package's own source files, found on disk (not listed by hand);
    computed once per process, so it names the code this process loaded. It keys the plan
    cache and each stored result of a batch (batch.py)."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def plan_key(homework, reference, seeds, functions):
    """A digest of everything the plan's values depend on: this engine, the homework's own
    files (its spec.py and mistakes.py, ``homework.sources``), the reference, the seeds and
    the functions graded."""
    digest = hashlib.sha256(engine_version().encode())
    digest.update(homework.name.encode() + b"\0")
    for source in homework.sources:
        digest.update(Path(source).name.encode() + b"\0" + Path(source).read_bytes() + b"\0")
    if reference is not None:
        digest.update(Path(reference.__file__).read_bytes())
    digest.update(repr((FORMAT, __version__, np.__version__, sys.version_info[:2], tuple(seeds), tuple(functions))).encode())
    return digest.hexdigest()[:32]


def _encode_probes(probes, blobs):
    # random directions are stored as their seed and regenerated: they are the bulk of the data
    directions = [{"index": list(d)} if isinstance(d, tuple) else {"random": True} for d in probes.directions]
    return {
        "shape": list(probes.shape), "exact": probes.exact, "directions": directions, "seed": probes.seed,
        "numeric": wire.encode_value(np.asarray(probes.numeric, dtype=np.float64), blobs, 1 << 40),
        "evaluations": probes.evaluations,
    }  # fmt: skip


def _decode_probes(data, blobs):
    shape = tuple(data["shape"])
    randoms = sum(1 for d in data["directions"] if "random" in d)
    regenerated = iter(random_directions(shape, np.random.default_rng(data["seed"]), randoms) if randoms else [])
    directions = [tuple(int(i) for i in d["index"]) if "index" in d else next(regenerated) for d in data["directions"]]
    return Probes(
        shape=shape, exact=bool(data["exact"]), directions=directions, seed=data["seed"],
        numeric=wire.decode_value(data["numeric"], blobs), evaluations=int(data["evaluations"]),
    )  # fmt: skip


def save(path, plan, keep=4):
    """Write every case's reference result and finite differences (``case.probes(path)`` for
    every path of ``case.fd``: computed by now); keep only the ``keep`` newest cache files of
    this folder (older engines or references left them)."""
    path = Path(path)
    if path.parent.exists():
        old = sorted(path.parent.glob("*.plan"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in old[keep - 1 :]:
            stale.unlink(missing_ok=True)
    blobs, cases = [], {}
    for function, function_cases in plan.items():
        for index, case in enumerate(function_cases):
            entry = {"probes": {p: _encode_probes(case.probes(p), blobs) for p in case.fd}}
            if case.expected is not None:
                entry["expected"] = wire.encode_value(case.expected, blobs, 1 << 40)
            cases[f"{function}/{index}"] = entry
    write_bytes_atomic(path, wire.pack({"format": FORMAT, "cases": cases}, blobs))


def load(path):
    """{"function/index": {"expected": value, "probes": {path: Probes}}}, or {} if absent."""
    try:
        raw = Path(path).read_bytes()
        header, blobs = wire.unpack(raw[8:])
        if header.get("format") != FORMAT:
            return {}
        out = {}
        for key, entry in header["cases"].items():
            item = {"probes": {p: _decode_probes(d, blobs) for p, d in entry["probes"].items()}}
            if "expected" in entry:
                item["expected"] = wire.decode_value(entry["expected"], blobs)
            out[key] = item
        return out
    except (OSError, ValueError, KeyError, TypeError, wire.WireError):
        return {}  # a missing or unreadable cache is rebuilt


def covers(stored, plan):
    """Whether ``stored`` (as ``load`` returns it) already holds every case's finite
    differences: if not, the plan computed some and is worth saving."""
    for function, function_cases in plan.items():
        for index, case in enumerate(function_cases):
            entry = stored.get(f"{function}/{index}")
            if entry is None or any(path not in entry["probes"] for path in case.fd):
                return False
    return True
