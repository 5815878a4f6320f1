"""The message format between the grader and its worker: JSON plus .npy blobs.

A frame is ``>Q`` total length, ``>I`` header length, a UTF-8 JSON header, then the
concatenated .npy blobs that the header's values point at by index. Arrays are written and
read with ``allow_pickle=False``; nothing else a submission produces is ever unpickled.

This file is used on both sides. The worker gets its source text (it cannot import the
package, which the sandbox hides), so it imports only the standard library and numpy.

Value encoding (``enc`` below):
    {"t": "arr", "i": k}            ndarray (exact type), blob k
    {"t": "float", "v": x}          Python float; {"t": "npfloat", "v": x, "dtype": ...}
    {"t": "int", "v": n}, {"t": "bool", "v": b}, {"t": "str", "v": s}, {"t": "none"}
    {"t": "tuple"|"list", "items": [...]}, {"t": "dict", "items": [[key, value], ...]}
    {"t": "other", "type": name, "why": text}   anything else, described, never sent
"""

import io
import json
import math
import re
import struct

import numpy as np

_write_array = np.lib.format.write_array
_read_array = np.lib.format.read_array
_ndarray = np.ndarray
_floating = np.floating
_integer = np.integer

MAX_DEPTH = 4
MAX_ITEMS = 10_000


class WireError(ValueError):
    """A frame or value that does not follow the format."""


# The header numpy writes for a plain array: {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
_NPY_HEADER = re.compile(r"\{'descr': '([<>|=]?[biufc]\d{1,2})', 'fortran_order': (True|False), 'shape': \(((?:\d+, ?)*\d*)\), \} *\n")


def read_npy(blob):
    """An ndarray from .npy bytes, never unpickling. Plain numeric arrays (every array the
    wire carries) take a fast path that parses the header with a strict pattern; anything
    else goes through numpy's reader with allow_pickle=False."""
    if blob[:8] == b"\x93NUMPY\x01\x00" and len(blob) >= 10:
        (header_len,) = struct.unpack("<H", blob[8:10])
        header = blob[10 : 10 + header_len].decode("latin1")
        match = _NPY_HEADER.fullmatch(header)
        if match:
            dtype = np.dtype(match.group(1))
            shape = tuple(int(n) for n in match.group(3).replace(" ", "").split(",") if n)
            count = 1
            for n in shape:
                count *= n
            offset = 10 + header_len
            if len(blob) - offset != count * dtype.itemsize:
                raise WireError("array data does not match its header")
            flat = np.frombuffer(blob, dtype=dtype, count=count, offset=offset)
            order = "F" if match.group(2) == "True" else "C"
            return flat.reshape(shape, order=order).copy(order="K")
    return _read_array(io.BytesIO(blob), allow_pickle=False)


def encode_value(value, blobs, max_bytes, depth=0):
    """Describe ``value`` as JSON-able data, appending array bytes to ``blobs``."""
    kind = type(value)
    if kind is _ndarray:
        if value.dtype.hasobject:
            return {"t": "other", "type": "ndarray", "why": "an array of dtype object (Python objects, not numbers)"}
        if value.dtype.kind not in "biufc":
            return {"t": "other", "type": "ndarray", "why": f"an array of dtype {value.dtype}"}
        if value.nbytes > max_bytes:
            return {"t": "toobig", "shape": list(value.shape), "dtype": str(value.dtype), "nbytes": int(value.nbytes)}
        buffer = io.BytesIO()
        _write_array(buffer, value, allow_pickle=False)
        blobs.append(buffer.getvalue())
        return {"t": "arr", "i": len(blobs) - 1}
    if kind is float:
        return {"t": "float", "v": _json_float(value)}
    if kind is bool:
        return {"t": "bool", "v": value}
    if kind is int:
        if abs(value) < 2**63:
            return {"t": "int", "v": value}
        return {"t": "other", "type": "int", "why": "an integer too large for int64"}
    if value is None:
        return {"t": "none"}
    if isinstance(value, _floating) and kind.__module__ == "numpy":
        return {"t": "npfloat", "v": _json_float(float(value)), "dtype": str(np.dtype(kind))}
    if isinstance(value, _integer) and kind.__module__ == "numpy":
        return {"t": "npint", "v": int(value), "dtype": str(np.dtype(kind))}
    if kind is str:
        return {"t": "str", "v": value[:200]}
    if kind in (tuple, list, dict):
        if depth >= MAX_DEPTH:
            return {"t": "other", "type": kind.__name__, "why": "nested too deeply"}
        if len(value) > MAX_ITEMS:
            return {"t": "other", "type": kind.__name__, "why": f"{len(value)} items"}
        if kind is dict:
            items = []
            for key, item in list(value.items()):
                if type(key) is not str:
                    return {"t": "other", "type": "dict", "why": f"a key of type {type(key).__name__}"}
                items.append([key, encode_value(item, blobs, max_bytes, depth + 1)])
            return {"t": "dict", "items": items}
        return {"t": kind.__name__, "items": [encode_value(v, blobs, max_bytes, depth + 1) for v in value]}
    if isinstance(value, _ndarray):
        why = f"a subclass of np.ndarray ({kind.__name__}), not a plain ndarray"
        return {"t": "other", "type": _type_name(kind), "why": why}
    return {"t": "other", "type": _type_name(kind), "why": "not a numpy array or a number"}


def _type_name(kind):
    module = getattr(kind, "__module__", "")
    name = getattr(kind, "__qualname__", getattr(kind, "__name__", "?"))
    name = name if isinstance(name, str) else "?"
    return name if module in ("builtins", "") or not isinstance(module, str) else f"{module}.{name}"


def _json_float(x):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def _from_json_float(x):
    if isinstance(x, str):
        if x in ("nan", "inf", "-inf"):
            return float(x)
        raise WireError(f"bad float {x!r}")
    if type(x) not in (int, float):
        raise WireError("bad float")
    return float(x)


def decode_value(data, blobs, depth=0):
    """Inverse of encode_value, strict about every field."""
    if depth > MAX_DEPTH + 1 or not isinstance(data, dict):
        raise WireError("malformed value")
    t = data.get("t")
    if t == "arr":
        index = data.get("i")
        if type(index) is not int or not 0 <= index < len(blobs):
            raise WireError("bad array index")
        array = read_npy(blobs[index])
        if type(array) is not _ndarray or array.dtype.hasobject:
            raise WireError("bad array")
        return array
    if t == "float":
        return _from_json_float(data.get("v"))
    if t == "npfloat":
        dtype = np.dtype(str(data.get("dtype")))
        if dtype.kind != "f":
            raise WireError("bad numpy float")
        return dtype.type(_from_json_float(data.get("v")))
    if t == "npint":
        dtype = np.dtype(str(data.get("dtype")))
        if dtype.kind not in "iu" or type(data.get("v")) is not int:
            raise WireError("bad numpy int")
        return dtype.type(data["v"])
    if t == "int":
        if type(data.get("v")) is not int:
            raise WireError("bad int")
        return data["v"]
    if t == "bool":
        return bool(data.get("v"))
    if t == "str":
        return str(data.get("v"))[:200]
    if t == "none":
        return None
    if t in ("tuple", "list"):
        items = [decode_value(v, blobs, depth + 1) for v in _items(data)]
        return tuple(items) if t == "tuple" else items
    if t == "dict":
        out = {}
        for pair in _items(data):
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
                raise WireError("bad dict item")
            out[pair[0]] = decode_value(pair[1], blobs, depth + 1)
        return out
    if t == "other":
        return Foreign(str(data.get("type"))[:100], str(data.get("why"))[:200])
    if t == "toobig":
        return TooBig(tuple(int(n) for n in data.get("shape", [])), str(data.get("dtype")), int(data.get("nbytes", 0)))
    raise WireError(f"unknown value type {t!r}")


def _items(data):
    items = data.get("items")
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        raise WireError("bad items")
    return items


class Foreign:
    """A returned value that could not cross the wire (its type, and why)."""

    def __init__(self, type_name, why):
        self.type_name = type_name
        self.why = why

    def __repr__(self):
        return f"<{self.type_name}: {self.why}>"


class TooBig:
    """A returned array larger than the grader accepts."""

    def __init__(self, shape, dtype, nbytes):
        self.shape = shape
        self.dtype = dtype
        self.nbytes = nbytes

    def __repr__(self):
        return f"<array {self.shape} {self.dtype}, {self.nbytes} bytes>"


def pack(header, blobs=()):
    """One frame from a JSON-able header and a list of .npy blobs."""
    header = dict(header, blobs=[len(b) for b in blobs])
    head = json.dumps(header, separators=(",", ":")).encode()
    body = struct.pack(">I", len(head)) + head + b"".join(blobs)
    return struct.pack(">Q", len(body)) + body


def unpack(body):
    """(header, blobs) from a frame body (without its 8-byte length)."""
    if len(body) < 4:
        raise WireError("short frame")
    (head_len,) = struct.unpack(">I", body[:4])
    if head_len > len(body) - 4:
        raise WireError("bad header length")
    try:
        header = json.loads(body[4 : 4 + head_len].decode())
    except (UnicodeDecodeError, ValueError) as err:
        raise WireError(f"bad header: {err}") from None
    if not isinstance(header, dict):
        raise WireError("header is not an object")
    sizes = header.get("blobs", [])
    if not isinstance(sizes, list) or not all(type(n) is int and n >= 0 for n in sizes):
        raise WireError("bad blob sizes")
    blobs, offset = [], 4 + head_len
    for size in sizes:
        blobs.append(body[offset : offset + size])
        offset += size
    if offset != len(body):
        raise WireError("frame length does not match its blobs")
    return header, blobs
