"""The one gradient checker: central differences, one default step, numbers out, no printing.

The grader compares a submitted gradient with finite differences of a scalar function
computed here, in the grader, of the forward definitions a homework's spec gives (they
contain no gradient formula). Small arrays are differentiated entry by
entry; large ones (the MNIST sizes) through a few random directions plus a random sample of
single entries, which costs a fixed number of evaluations whatever the array's size.

The finite-difference values ("probes") depend only on the point, not on the submission, so
they are computed once per test case and reused for every submission in a batch.
"""

from dataclasses import dataclass, field

import numpy as np

EPS = 1e-5
EXACT_LIMIT = 100  # arrays with at most this many entries are checked entry by entry
DIRECTIONS = 3
SAMPLED_ENTRIES = 12


# --- finite differences -------------------------------------------------------------------


class Counter:
    """Counts evaluations of the scalar function (reported by the benchmark)."""

    def __init__(self):
        self.evaluations = 0


@dataclass
class Probes:
    """Finite-difference measurements of one gradient: ``numeric[i]`` estimates
    ``sum(directions[i] * gradient)``; a direction is a full array or a single entry."""

    shape: tuple
    exact: bool
    directions: list = field(default_factory=list)  # ndarray, or a tuple index for one entry
    numeric: np.ndarray = None
    evaluations: int = 0
    seed: int = None  # the random directions are those of default_rng(seed) (see directions_from)

    def project(self, gradient):
        values = []
        for direction in self.directions:
            if isinstance(direction, tuple):
                values.append(float(gradient[direction]))
            else:
                values.append(float(np.sum(direction * gradient)))
        return np.array(values)


def as_float64(value):
    """``value`` as a float64 array, or None when it has no float value (an integer too
    large for a float, such as 10**400, a string, an object)."""
    try:
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":  # strings, objects (10**400 in a list), complex
            return None
        with np.errstate(over="ignore", invalid="ignore"):
            return array.astype(np.float64)
    except (OverflowError, TypeError, ValueError):
        return None


def relative_error(a, b):
    """norm(a - b) / (norm(a) + norm(b)) over the flattened arrays; 0.0 when both are 0.

    Both arrays are divided by their largest magnitude first, so finite inputs never
    overflow (1e300 against 1e300) or vanish (1e-300, subnormals). NaN when the error cannot
    be computed: a NaN or infinite entry, a value with no float form, sizes that differ.
    A check written ``not error <= tolerance`` therefore fails on it.
    """
    a, b = as_float64(a), as_float64(b)
    if a is None or b is None:
        return float("nan")
    a, b = np.ravel(a), np.ravel(b)
    if a.size != b.size or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return float("nan")
    if a.size == 0:
        return 0.0
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    if scale == 0.0:
        return 0.0
    a, b = a / scale, b / scale
    error = float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))
    return error if np.isfinite(error) else float("nan")


def random_directions(shape, rng, count=DIRECTIONS):
    """``count`` random unit arrays of ``shape``, the first draws of ``rng``."""
    out = []
    for _ in range(count):
        v = rng.standard_normal(shape)
        out.append(v / np.linalg.norm(v))
    return out


def probe(f, x, seed, eps=EPS, exact_limit=EXACT_LIMIT, directions=DIRECTIONS, entries=SAMPLED_ENTRIES):
    """Finite differences of the scalar ``f()`` (which reads x) with respect to x; the
    random directions and entries come from ``np.random.default_rng(seed)``.

    x is perturbed in place and restored bit for bit (saved values are assigned back).
    """
    rng = np.random.default_rng(seed)
    counter = Counter()

    def evaluate():
        counter.evaluations += 1
        return f()

    def entry(index):
        saved = x[index]
        x[index] = saved + eps
        plus = evaluate()
        x[index] = saved - eps
        minus = evaluate()
        x[index] = saved
        result.directions.append(index)
        numeric.append((plus - minus) / (2 * eps))

    result = Probes(shape=x.shape, exact=x.size <= exact_limit, seed=seed)
    numeric = []
    if result.exact:
        for index in np.ndindex(x.shape):
            entry(index)
    else:
        saved = x.copy()
        for v in random_directions(x.shape, rng, directions):
            np.add(saved, eps * v, out=x)
            plus = evaluate()
            np.subtract(saved, eps * v, out=x)
            minus = evaluate()
            result.directions.append(v)
            numeric.append((plus - minus) / (2 * eps))
        x[...] = saved
        for flat in rng.choice(x.size, size=min(entries, x.size), replace=False):
            entry(tuple(int(i) for i in np.unravel_index(flat, x.shape)))
    result.numeric = np.array(numeric)
    result.evaluations = counter.evaluations
    return result


def elementwise_probe(f, x, eps=EPS):
    """Derivative of an elementwise function f(x) (array in, same-shape array out):
    all entries from two evaluations."""
    result = Probes(shape=x.shape, exact=True)
    result.directions = list(np.ndindex(x.shape))
    result.numeric = ((f(x + eps) - f(x - eps)) / (2 * eps)).ravel()
    result.evaluations = 2
    return result


def jacobian_probe(f, z, eps=EPS):
    """Jacobian of a vector function f(z) of shape (C,): entry [i, j] = d f_i / d z_j."""
    C = z.shape[0]
    result = Probes(shape=(C, C), exact=True)
    columns = []
    for j in range(C):
        step = np.zeros(C)
        step[j] = eps
        columns.append((f(z + step) - f(z - step)) / (2 * eps))
    jacobian = np.stack(columns, axis=1)
    result.directions = list(np.ndindex((C, C)))
    result.numeric = jacobian.ravel()
    result.evaluations = 2 * C
    return result


def compare(probes, gradient):
    """Relative error between a submitted gradient and the finite differences; NaN when it
    cannot be computed (see relative_error). The gradient is scaled by its largest magnitude
    before it is projected, so a finite gradient never overflows a projection."""
    gradient = as_float64(gradient)
    if gradient is None or gradient.shape != tuple(probes.shape) or not np.all(np.isfinite(gradient)):
        return float("nan")
    numeric = np.asarray(probes.numeric, dtype=np.float64)
    scale = float(np.max(np.abs(gradient))) if gradient.size else 0.0
    if scale == 0.0:
        return relative_error(probes.project(gradient), numeric)
    return relative_error(probes.project(gradient / scale), numeric / scale)
