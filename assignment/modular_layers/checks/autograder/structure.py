"""What a function must return, as a small tree of expectations, and how to walk a value
against it.

``flatten(template, value)`` pairs every expected leaf with the submitted value at the same
place, or stops at the first structural mismatch with a message that says what was expected
and what came back ("a dict without the key 'b2'", "a list, not an ndarray").
"""

import math
from dataclasses import dataclass, replace

import numpy as np

from .gradcheck import as_float64
from .wire import Foreign, TooBig


@dataclass(frozen=True)
class Arr:
    """An ndarray of ``shape``: a tuple of ints, or (in a spec) a symbolic string such as
    "H,C" or "1,H" read against a case's dims, or ``like="Z"``: the shape of the argument Z.
    A spec's symbolic templates are made concrete by ``resolve`` before any check reads them."""

    shape: tuple | str | None = None
    label: str = ""  # e.g. "W1's shape (D, H)"
    dtype: str = "float64"
    like: str | None = None


@dataclass(frozen=True)
class Scalar:
    label: str = ""


@dataclass(frozen=True)
class Seq:
    items: tuple
    names: tuple
    accept_list: bool = True


@dataclass(frozen=True)
class Mapping:
    entries: tuple  # ((key, template), ...)

    @classmethod
    def of(cls, **entries):
        """``Mapping.of(W1=Arr("D,H"), b1=Arr("1,H"))``: the keys in the order given."""
        return cls(tuple(entries.items()))


@dataclass(frozen=True)
class FloatList:
    length: int
    items: str = "values"  # what the entries are, plural: "costs"
    each: str = ""  # what one entry stands for: "one per iteration"
    label: str = ""  # the leaf's label in messages; default "<length> <items>"


TEMPLATES = (Arr, Scalar, Seq, Mapping, FloatList)


def resolve(template, case=None, *, dims=None, args=None):
    """The concrete template of one case: a callable result is called with ``case`` first;
    then every symbolic ``Arr`` is made concrete: "H,C" against ``dims`` (default
    ``case.dims``), ``like="Z"`` against ``args`` (argument name -> value; default
    ``case.named_args`` when the case has them). Concrete templates come back unchanged."""
    if dims is None:
        dims = getattr(case, "dims", None) or {}
    if args is None:
        args = getattr(case, "named_args", None) or {}
    if not isinstance(template, TEMPLATES) and callable(template):
        template = template(case)
    return _resolve(template, dims, args)


def _resolve(template, dims, args):
    if isinstance(template, Arr):
        if template.like is not None:
            if template.like not in args:
                raise ValueError(f"Arr(like={template.like!r}): no argument {template.like!r} (arguments: {', '.join(args) or 'none'})")
            return replace(template, shape=tuple(np.shape(args[template.like])), like=None)
        if isinstance(template.shape, str):
            tokens = [t.strip() for t in template.shape.split(",") if t.strip()]
            unknown = [t for t in tokens if not t.isdigit() and t not in dims]
            if unknown:
                raise ValueError(f"Arr({template.shape!r}): {', '.join(unknown)} not among the case's dims {sorted(dims)}")
            shape = tuple(int(t) if t.isdigit() else int(dims[t]) for t in tokens)
            label = template.label or "(" + ", ".join(tokens) + ("," if len(tokens) == 1 else "") + ")"
            return replace(template, shape=shape, label=label)
        if template.shape is None:
            raise ValueError("Arr() needs a shape: a tuple, a string such as \"H,C\", or like=\"Z\"")
        return template
    if isinstance(template, Seq):
        return replace(template, items=tuple(_resolve(t, dims, args) for t in template.items))
    if isinstance(template, Mapping):
        return replace(template, entries=tuple((k, _resolve(t, dims, args)) for k, t in template.entries))
    return template


class Mismatch(Exception):
    """The value's structure differs from the template; ``mistake`` names a known cause."""

    def __init__(self, message, mistake=None):
        super().__init__(message)
        self.message = message
        self.mistake = mistake


def describe(value):
    if isinstance(value, np.ndarray):
        return f"an ndarray of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, Foreign):
        return f"a {value.type_name} ({value.why})"
    if isinstance(value, TooBig):
        return f"an array of shape {value.shape} ({value.nbytes / 1e6:.0f} MB, more than the grader accepts)"
    if value is None:
        return "None"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} items"
    if isinstance(value, dict):
        return f"a dict with keys {sorted(value, key=repr)}"
    return f"a {type(value).__name__}"


def is_float_scalar(value):
    """A Python float or int, a numpy floating/integer scalar, or a 0-d numeric array."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (float, int, np.floating, np.integer)):
        return True
    return isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "fiu"


def flatten(template, value, path=""):
    """[(path, template_leaf, value_leaf)] or raise Mismatch."""
    if isinstance(template, Arr):
        if isinstance(value, np.ndarray):
            return [(path, template, value)]
        if value is None:
            raise Mismatch(f"{_at(path)}None was returned, not an ndarray", "returns_none")
        if isinstance(value, (list, tuple)):
            raise Mismatch(
                f"{_at(path)}a Python {type(value).__name__} came back where a numpy ndarray is needed",
                "returns_list",
            )
        if is_float_scalar(value) and template.shape != ():
            raise Mismatch(f"{_at(path)}a single number came back where an array of shape {template.shape} is needed")
        raise Mismatch(f"{_at(path)}{describe(value)} came back where a numpy ndarray is needed")
    if isinstance(template, Scalar):
        if is_float_scalar(value):
            return [(path, template, value)]
        if value is None:
            raise Mismatch(f"{_at(path)}None was returned, not a float", "returns_none")
        if isinstance(value, np.ndarray):
            hint = " (use float(...))" if value.size == 1 else ""  # float() of a longer array fails
            raise Mismatch(f"{_at(path)}an array of shape {value.shape} came back where one float is needed{hint}")
        raise Mismatch(f"{_at(path)}{describe(value)} came back where a float is needed")
    if isinstance(template, Seq):
        if value is None:
            raise Mismatch(f"{_at(path)}None was returned, not a tuple of {len(template.items)}", "returns_none")
        if not isinstance(value, tuple) and not (template.accept_list and isinstance(value, list)):
            raise Mismatch(f"{_at(path)}{describe(value)} came back where a tuple {_names(template)} is needed")
        if len(value) != len(template.items):
            raise Mismatch(f"{_at(path)}a {type(value).__name__} of {len(value)} items came back; expected {len(template.items)}: {_names(template)}")
        leaves = []
        for name, item_template, item in zip(template.names, template.items, value):
            leaves += flatten(item_template, item, name if not path else f"{path}[{name}]")
        return leaves
    if isinstance(template, Mapping):
        if value is None:
            raise Mismatch(f"{_at(path)}None was returned, not a dict", "returns_none")
        if not isinstance(value, dict):
            raise Mismatch(f"{_at(path)}{describe(value)} came back where a dict is needed")
        expected_keys = [key for key, _ in template.entries]
        missing = [k for k in expected_keys if k not in value]
        extra = [k for k in value if k not in expected_keys]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {missing}")
            if extra:
                parts.append(f"unexpected {extra}")
            raise Mismatch(f"{_at(path)}the dict's keys are wrong: {', '.join(parts)}; expected exactly {expected_keys}")
        leaves = []
        for key, item_template in template.entries:
            leaves += flatten(item_template, value[key], f"{path}[{key!r}]")
        return leaves
    if isinstance(template, FloatList):
        if not isinstance(value, (list, tuple, np.ndarray)):
            raise Mismatch(f"{_at(path)}{describe(value)} came back where a list of {template.length} floats is needed")
        if isinstance(value, np.ndarray) and value.ndim != 1:
            raise Mismatch(f"{_at(path)}an array of shape {value.shape} came back where a list of {template.length} floats is needed")
        items = list(value)
        if len(items) != template.length:
            each = f" ({template.each})" if template.each else ""
            raise Mismatch(f"{_at(path)}a list of {len(items)} {template.items} came back; expected {template.length}{each}")
        if not all(is_float_scalar(v) for v in items):
            raise Mismatch(f"{_at(path)}the {template.items} are not all floats")
        label = template.label or f"{template.length} {template.items}"
        return [(path, Arr((template.length,), label), np.array([scalar_value(v) for v in items]))]
    raise TypeError(f"unknown template {template!r}")


def _at(path):
    return f"{path}: " if path else ""


def _names(template):
    return "(" + ", ".join(template.names) + ")"


def scalar_value(value):
    """The float of a number (see is_float_scalar): inf or -inf for an integer too large
    for a float64 (10**400), NaN for anything with no float value."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    array = as_float64(value)
    if array is None or array.size != 1:
        return math.nan
    return float(array.reshape(()))
