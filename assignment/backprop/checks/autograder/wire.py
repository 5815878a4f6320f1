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
_ndarray = np.ndarray
_floating = np.floating
_integer = np.integer

MAX_DEPTH = 4
MAX_ITEMS = 10_000
MAX_KEY = 200  # characters of a dict key kept

# What the grader accepts in one reply from a worker (a frame the submission may have shaped).
# A call's reply header is a few hundred bytes; the caps bound the grader's memory: parsing a
# header costs at most about 12 times its size, the arrays are read into buffers as large as
# the frame says they are, after the header has been checked (see read_header).
MAX_HEADER_BYTES = 4 << 20
MAX_CONTAINERS = 200_000  # lists and objects in one header (counted as brackets, an upper bound)
MAX_BLOBS = 1_000  # arrays in one frame
MAX_DIMS = 32
MAX_INT_DIGITS = 19  # a JSON integer beyond int64 is refused, whatever field it is in


class WireError(ValueError):
    """A frame or value that does not follow the format."""


# The header numpy writes for a plain array: {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
_NPY_HEADER = re.compile(r"\{'descr': '([<>|=]?[biufc]\d{1,2})', 'fortran_order': (True|False), 'shape': \(((?:\d{1,18}, ?)*\d{0,18})\), \} *\n")


def read_npy(blob):
    """An ndarray from .npy bytes (a version 1.0 header, as numpy writes for every array the
    wire carries), never unpickling. Only bool, integer, unsigned, float and complex dtypes
    are accepted; anything else (strings, objects, records, datetimes, another header
    layout) raises WireError. A writable buffer (a bytearray, as the grader reads replies
    into) is used in place; read-only bytes are copied."""
    if blob[:8] != b"\x93NUMPY\x01\x00" or len(blob) < 10:
        raise WireError("not a .npy array of numbers")
    (header_len,) = struct.unpack("<H", blob[8:10])
    match = _NPY_HEADER.fullmatch(bytes(blob[10 : 10 + header_len]).decode("latin1"))
    if not match:
        raise WireError("an array that is not made of plain numbers (bool, int, uint, float, complex)")
    dtype = np.dtype(match.group(1))
    shape = tuple(int(n) for n in match.group(3).replace(" ", "").split(",") if n)
    if len(shape) > MAX_DIMS:
        raise WireError("an array with too many dimensions")
    count = 1
    for n in shape:
        count *= n
    offset = 10 + header_len
    if len(blob) - offset != count * dtype.itemsize:
        raise WireError("array data does not match its header")
    flat = np.frombuffer(blob, dtype=dtype, count=count, offset=offset)
    array = flat.reshape(shape, order="F" if match.group(2) == "True" else "C")
    return array if array.flags.writeable else array.copy(order="K")


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
        raise WireError(f"bad float {x[:20]!r}")
    if type(x) not in (int, float):
        raise WireError("bad float")
    try:
        x = float(x)
    except OverflowError:  # an int beyond float64 (read_header refuses them beyond int64)
        raise WireError("bad float") from None
    if not math.isfinite(x):
        raise WireError("bad float")
    return x


# The numpy scalar types a value may name: the only strings ever given to np.dtype here.
_FLOAT_TYPES = {str(np.dtype(t)): np.dtype(t) for t in (np.float16, np.float32, np.float64, np.longdouble)}
_INT_TYPES = {str(np.dtype(t)): np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)}


def _int_field(data, key, low, high):
    value = data.get(key)
    if type(value) is not int or not low <= value <= high:
        raise WireError(f"bad {key}")
    return value


def decode_value(data, blobs, depth=0):
    """Inverse of encode_value, strict about every field: anything else raises WireError."""
    if depth > MAX_DEPTH + 1 or not isinstance(data, dict):
        raise WireError("malformed value")
    t = data.get("t")
    if t == "arr":
        index = data.get("i")
        if type(index) is not int or not 0 <= index < len(blobs):
            raise WireError("bad array index")
        array = read_npy(blobs[index])
        if type(array) is not _ndarray or array.dtype.kind not in "biufc":
            raise WireError("bad array")
        return array
    if t == "float":
        return _from_json_float(data.get("v"))
    if t == "npfloat":
        dtype = _FLOAT_TYPES.get(data.get("dtype")) if isinstance(data.get("dtype"), str) else None
        if dtype is None:
            raise WireError("bad numpy float")
        return dtype.type(_from_json_float(data.get("v")))
    if t == "npint":
        dtype = _INT_TYPES.get(data.get("dtype")) if isinstance(data.get("dtype"), str) else None
        if dtype is None:
            raise WireError("bad numpy int")
        info = np.iinfo(dtype)
        return dtype.type(_int_field(data, "v", int(info.min), int(info.max)))
    if t == "int":
        return _int_field(data, "v", -(2**63) + 1, 2**63 - 1)
    if t == "bool":
        if type(data.get("v")) is not bool:
            raise WireError("bad bool")
        return data["v"]
    if t == "str":
        if not isinstance(data.get("v"), str):
            raise WireError("bad str")
        return data["v"][:200]
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
            out[pair[0][:MAX_KEY]] = decode_value(pair[1], blobs, depth + 1)
        return out
    if t == "other":
        return Foreign(_short(data.get("type"), 100), _short(data.get("why"), 200))
    if t == "toobig":
        shape = data.get("shape", [])
        if not isinstance(shape, list) or len(shape) > MAX_DIMS or not all(type(n) is int and 0 <= n < 2**63 for n in shape):
            raise WireError("bad shape")
        return TooBig(tuple(shape), _short(data.get("dtype"), 40), _int_field(data, "nbytes", 0, 2**63 - 1))
    raise WireError(f"unknown value type {str(t)[:40]!r}")


def _short(text, limit):
    return text[:limit] if isinstance(text, str) else "?"


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
    """(header, blobs) from a frame body (without its 8-byte length). For frames the grader
    wrote itself (requests, the plan cache); a worker's reply is read with read_header and
    blob_sizes, piece by piece (sandbox.WorkerHandle)."""
    if len(body) < 4:
        raise WireError("short frame")
    (head_len,) = struct.unpack(">I", body[:4])
    if head_len > len(body) - 4:
        raise WireError("bad header length")
    try:
        header = json.loads(body[4 : 4 + head_len].decode())
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise WireError(f"bad header: {type(err).__name__}") from None
    if not isinstance(header, dict):
        raise WireError("header is not an object")
    sizes = blob_sizes(header, len(body) - 4 - head_len)
    blobs, offset = [], 4 + head_len
    for size in sizes:
        blobs.append(body[offset : offset + size])
        offset += size
    return header, blobs


# --- reading a reply from a worker: every field checked before it is used ------------------


def _parse_int(text):
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise WireError("an integer beyond int64")
    return int(text)


def _parse_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise WireError("a number out of the float64 range")
    return value


def _parse_constant(name):
    raise WireError(f"{name} in JSON")


def read_header(raw):
    """A reply's JSON header (bytes) as a dict, or WireError: at most MAX_HEADER_BYTES and
    MAX_CONTAINERS lists and objects (counted before parsing, as brackets), no nesting deep
    enough to exhaust the parser's recursion, no integer beyond int64, no float beyond
    float64, no NaN or Infinity (the wire writes those as strings)."""
    if len(raw) > MAX_HEADER_BYTES:
        raise WireError(f"a header of {len(raw)} bytes (at most {MAX_HEADER_BYTES})")
    if raw.count(b"[") + raw.count(b"{") > MAX_CONTAINERS:
        raise WireError("a header with too many lists and objects")
    try:
        text = bytes(raw).decode("utf-8")
        header = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant)
    except WireError:
        raise
    except (UnicodeDecodeError, ValueError) as err:
        raise WireError(f"bad header: {type(err).__name__}") from None
    except RecursionError:
        raise WireError("a header nested too deeply") from None
    if not isinstance(header, dict):
        raise WireError("header is not an object")
    return header


def blob_sizes(header, available):
    """The sizes of the frame's arrays (the header's "blobs"), checked to fill the
    ``available`` bytes after the header exactly."""
    sizes = header.get("blobs", [])
    if not isinstance(sizes, list) or len(sizes) > MAX_BLOBS or not all(type(n) is int and 0 <= n <= available for n in sizes):
        raise WireError("bad blob sizes")
    if sum(sizes) != available:
        raise WireError("frame length does not match its blobs")
    return sizes
