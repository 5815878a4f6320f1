"""What a student function may ask the grader while it runs: the oracle.

Some procedures are judged by what the student's code does, not only by what it returns.
A finite-difference routine gets a test function ``f`` (``TestFunction``) whose coefficients
(and so whose exact gradient) live only here, in the grader: the ``f`` the worker builds sends
the current x to the grader and waits for the value (worker.py, ``make_test_function``). A
gradient checker runs with some of the submission's own functions wrapped (the case's
``patch``) so that their results pass through the grader (kinds ``scale_dict``: a dict of
gradient arrays; ``scale_array``: one numerical gradient), which scales some of them by
factors drawn from the hidden seeds (``Planted``), and checks each numerical gradient against
the true one. Nothing in the worker's process holds a coefficient or a factor, so a
submission cannot read the answer from a closure, an attribute or a global; and the grader
sees every evaluation of f, so it can check that f was evaluated at x +- eps, entry by entry,
and every numerical gradient the checker computes.

A ``Session`` answers the requests of one call and keeps the log (``Evidence``). Traffic is
bounded per call (requests of each kind, bytes); a request beyond a bound or not of the
expected form raises ``OracleError``, which the grader treats as a broken protocol (the
worker is replaced and the case fails). The in-kernel path (inkernel.py) calls ``ask``
directly with the same checks.
"""

from dataclasses import dataclass, field

import numpy as np

from . import gradcheck as gc
from . import wire

FRAME_BYTES = 1 << 20  # one request
CALL_BYTES = 32 << 20  # all requests of one call


class OracleError(ValueError):
    """A request the oracle refuses: too many, too large, or not of the expected form."""


@dataclass(frozen=True)
class TestFunction:
    """The test function f(x) = sum(sin(3x) * A) + 0.5 * sum(x * x * B), at base point x."""

    x: np.ndarray
    A: np.ndarray
    B: np.ndarray
    eps: float

    def value(self, x):
        with np.errstate(all="ignore"):
            return float(np.sum(np.sin(3.0 * x) * self.A) + 0.5 * np.sum(x * x * self.B))

    def gradient(self):
        return 3.0 * np.cos(3.0 * self.x) * self.A + self.x * self.B

    def limits(self):
        return {"f": 4 * self.x.size + 16}


@dataclass(frozen=True)
class Planted:
    """A gradient checker's planted errors: each numerical gradient (kind ``scale_array``)
    is multiplied by ``loss_scale`` (as if the loss it differentiates were), and the
    gradient of each parameter in a dict of gradients (kind ``scale_dict``) by its
    ``grad_scales`` entry (1.0: left alone). ``gradients``: parameter -> the true gradient of
    the loss there (grader only, in the parameters' order), against which each numerical
    gradient is checked (the parameters' shapes differ, so the shape tells which one it is)."""

    loss_scale: float
    grad_scales: dict
    gradients: dict

    def expected_errors(self):
        """Parameter -> the relative error a correct checker reports here (0.0: tiny)."""
        out = {}
        for key in self.gradients:
            s = self.grad_scales.get(key, 1.0)
            out[key] = abs(s - self.loss_scale) / (s + self.loss_scale)
        return out

    @property
    def planted(self):
        return any(v > 0 for v in self.expected_errors().values())

    def limits(self):
        return {"scale_array": 16, "scale_dict": 16}


@dataclass
class Evidence:
    """What the grader saw during one call: f's evaluation points, requests per kind, and how
    far each numerical gradient was from the true gradient of its parameter."""

    points: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    gradients: dict = field(default_factory=dict)  # parameter -> relative error of the numerical gradient sent


class Session:
    """Answers one call's requests for ``spec`` (TestFunction or Planted) and logs them."""

    def __init__(self, spec):
        self.spec = spec
        self.bounds = spec.limits()
        self.evidence = Evidence(counts={kind: 0 for kind in self.bounds})
        self.bytes = 0

    def ask(self, kind, value):
        """The answer to one request (Python values, as in-process)."""
        if kind not in self.bounds:
            raise OracleError(f"an unexpected oracle request ({str(kind)[:40]!r})")
        self.evidence.counts[kind] += 1
        if self.evidence.counts[kind] > self.bounds[kind]:
            raise OracleError(f"more than {self.bounds[kind]} oracle requests of kind {kind!r} in one call")
        if kind == "f":
            return self._f(value)
        if kind == "scale_array":
            return self._scale_array(value)
        return self._scale_dict(value)

    def _f(self, x):
        spec = self.spec
        if type(x) is not np.ndarray or x.dtype != np.float64 or x.shape != spec.x.shape:
            raise OracleError("f was asked about something other than x")
        self.evidence.points.append(x.copy())
        return spec.value(x)

    def _scale_array(self, gradient):
        if type(gradient) is not np.ndarray or gradient.dtype != np.float64:
            raise OracleError("the numerical gradient sent to the oracle is not a float64 array")
        for key, true in self.spec.gradients.items():
            if true.shape == gradient.shape and key not in self.evidence.gradients:
                self.evidence.gradients[key] = gc.relative_error(gradient, true)
                break
        with np.errstate(all="ignore"):
            return gradient * self.spec.loss_scale

    def _scale_dict(self, grads):
        if type(grads) is not dict or len(grads) > 16 or not all(type(v) is np.ndarray for v in grads.values()):
            raise OracleError("the gradients sent to the oracle are not a dict of arrays")
        out = {}
        with np.errstate(all="ignore"):
            for key, value in grads.items():
                scale = self.spec.grad_scales.get(key, 1.0)
                out[key] = value * scale if scale != 1.0 and value.dtype.kind in "fc" else value
        return out

    def handle(self, header, blobs):
        """The reply frame (header, blobs) to a request frame from the worker."""
        size = sum(len(b) for b in blobs) + len(str(header))
        self.bytes += size
        if size > FRAME_BYTES or self.bytes > CALL_BYTES:
            raise OracleError("the oracle requests of one call exceed their size limit")
        try:
            if header.get("kind") == "f" and isinstance(self.spec, TestFunction):
                value = self._raw_x(header, blobs)
            else:
                value = wire.decode_value(header.get("value"), blobs)
        except (wire.WireError, ValueError, KeyError, TypeError) as err:
            raise OracleError(f"a malformed oracle request ({type(err).__name__})") from None
        answer = self.ask(header.get("kind"), value)
        out_blobs = []
        return {"op": "answer", "value": wire.encode_value(answer, out_blobs, CALL_BYTES)}, out_blobs

    def _raw_x(self, header, blobs):
        """x sent as its bare float64 bytes (the fast path for f, called most often)."""
        x = self.spec.x
        if header.get("value") != {"t": "raw"} or len(blobs) != 1 or len(blobs[0]) != x.size * 8:
            raise OracleError("f was asked about something other than x")
        return np.frombuffer(blobs[0], dtype=np.float64).reshape(x.shape).copy()


def central_difference_gaps(points, x, eps):
    """(entries never evaluated at x + eps, entries never evaluated at x - eps), each a list of
    flat indices, from the points where f was evaluated; every other entry must equal x's."""
    size = x.size
    up = np.zeros(size, dtype=bool)
    down = np.zeros(size, dtype=bool)
    base = x.ravel()
    tolerance = 1e-3 * eps
    for point in points:
        moved = np.flatnonzero(point.ravel() != base)
        if len(moved) != 1:
            continue
        i = int(moved[0])
        step = float(point.ravel()[i] - base[i])
        if abs(step - eps) <= tolerance:
            up[i] = True
        elif abs(step + eps) <= tolerance:
            down[i] = True
    return [int(i) for i in np.flatnonzero(~up)], [int(i) for i in np.flatnonzero(~down)]
