"""Does the grader read a worker's replies defensively (autograder/wire.py and the framing in
sandbox.WorkerHandle)? A submission can rewrite its worker's reply code, so every frame is
data an attacker shaped: each decoding problem must be a WireError (the worker is then
replaced and the case failed), never another exception, and reading a frame must cost the
grader no more memory than the frame's checked size."""

import io
import json
import os
import pickle
import struct
import subprocess
import sys
import textwrap
import time
from types import SimpleNamespace

import numpy as np
import pytest

from autograder import wire
from autograder.sandbox import WorkerGone, WorkerHandle


def npy(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array)
    return buffer.getvalue()


def object_npy(payload, count=2):
    """A .npy of dtype object ('|O') made by hand, its data the bytes ``payload``: what numpy
    writes for an object array, without asking numpy to pickle anything here."""
    head = f"{{'descr': '|O', 'fortran_order': False, 'shape': ({count},), }}"
    head += " " * (-(10 + len(head) + 1) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + len(head).to_bytes(2, "little") + head.encode("latin1") + payload


def frame(head, tail=b""):
    body = struct.pack(">I", len(head)) + head + tail
    return struct.pack(">Q", len(body)) + body


# --- headers ---------------------------------------------------------------------------------


def test_is_a_deeply_nested_header_a_wire_error_and_not_a_recursion_error():
    deep = b'{"result": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(wire.WireError, match="nested too deeply"):
        wire.read_header(deep)


def test_are_headers_with_too_many_lists_refused_before_parsing():
    many = b'{"x": [' + b"[]," * wire.MAX_CONTAINERS + b"[]]}"
    with pytest.raises(wire.WireError, match="too many"):
        wire.read_header(many)


def test_is_a_header_over_the_size_cap_refused():
    with pytest.raises(wire.WireError, match="header of"):
        wire.read_header(b'{"o": "' + b"x" * wire.MAX_HEADER_BYTES + b'"}')


@pytest.mark.parametrize(
    "text, why",
    [
        (b'{"v": ' + b"9" * 401 + b"}", "beyond int64"),
        (b'{"v": -' + b"9" * 20 + b"}", "beyond int64"),
        (b'{"v": NaN}', "NaN"),
        (b'{"v": Infinity}', "Infinity"),
        (b'{"v": -Infinity}', "Infinity"),
        (b'{"v": 1e400}', "out of the float64 range"),
        (b'{"v": "\xff"}', "bad header"),
        (b"[1, 2]", "not an object"),
        (b"{", "bad header"),
    ],
)
def test_are_numbers_beyond_int64_and_float64_and_broken_json_refused(text, why):
    with pytest.raises(wire.WireError, match=why):
        wire.read_header(text)


def test_does_a_well_formed_header_read_back_exactly():
    header = {"op": "called", "id": 3, "seconds": 0.25, "big": 2**63 - 1, "units": [{"ok": True}]}
    assert wire.read_header(json.dumps(header).encode()) == header


@pytest.mark.parametrize("sizes", [[10**400], [-1], ["3"], [6, 5], [1] * (wire.MAX_BLOBS + 1), 7])
def test_are_bogus_byte_counts_refused(sizes):
    with pytest.raises(wire.WireError):
        wire.blob_sizes({"blobs": sizes}, 10)


def test_must_the_byte_counts_fill_the_frame_exactly():
    assert wire.blob_sizes({"blobs": [4, 6]}, 10) == [4, 6]
    with pytest.raises(wire.WireError, match="does not match"):
        wire.blob_sizes({"blobs": [4, 5]}, 10)


# --- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "array",
    [np.array([True, False]), np.arange(6, dtype=np.int8).reshape(2, 3), np.arange(4, dtype=np.uint64), np.eye(3, dtype=np.float32),
     np.ones((2, 2), dtype=np.complex128), np.zeros((3, 4), order="F"), np.float64(2.5).reshape(()), np.zeros((0, 5))],
)  # fmt: skip
def test_do_bool_integer_unsigned_float_and_complex_arrays_cross_exactly(array):
    back = wire.decode_value({"t": "arr", "i": 0}, [bytearray(npy(array))])
    assert back.dtype == array.dtype and back.shape == array.shape
    assert np.array_equal(back, array)
    assert back.flags.writeable


@pytest.mark.parametrize(
    "blob",
    [npy(np.array(["<b>bold</b>"] * 3)), npy(np.array([b"abc"])), npy(np.array(["2020-01-01"], dtype="datetime64[s]")),
     npy(np.array([1], dtype="timedelta64[s]")), npy(np.zeros(2, dtype=[("a", "<f8")])), npy(np.zeros(2, dtype="V8")),
     object_npy(pickle.dumps([{"x": 1}, None]))],
)  # fmt: skip
def test_are_string_object_void_and_datetime_arrays_refused(blob):
    with pytest.raises(wire.WireError):
        wire.decode_value({"t": "arr", "i": 0}, [blob])


def test_is_a_pickle_never_run(tmp_path):
    marker = tmp_path / "unpickled"

    class Boom:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    with pytest.raises(wire.WireError):
        wire.decode_value({"t": "arr", "i": 0}, [object_npy(pickle.dumps([Boom(), 1]))])
    assert not marker.exists()


def test_is_an_array_header_that_lies_about_its_size_refused():
    blob = npy(np.zeros(4))
    with pytest.raises(wire.WireError, match="does not match"):
        wire.read_npy(blob[:-8])
    huge = blob.replace(b"(4,)", b"(" + b"9" * 17 + b",)")
    with pytest.raises(wire.WireError):
        wire.read_npy(huge)


@pytest.mark.parametrize(
    "value",
    [
        {"t": "int", "v": 2**63}, {"t": "int", "v": "1"}, {"t": "int", "v": 1.5},
        {"t": "npint", "v": 300, "dtype": "int8"}, {"t": "npint", "v": -1, "dtype": "uint8"}, {"t": "npint", "v": 1, "dtype": "U10"},
        {"t": "npint", "v": 1, "dtype": ["int8"]}, {"t": "npfloat", "v": 1.0, "dtype": "S1000000000"},
        {"t": "npfloat", "v": 1.0, "dtype": "int64"}, {"t": "float", "v": "infinity"}, {"t": "float", "v": None},
        {"t": "bool", "v": "yes"}, {"t": "str", "v": {"a": 1}}, {"t": "toobig", "shape": [10**30], "dtype": "f8", "nbytes": 1},
        {"t": "toobig", "shape": "big", "nbytes": 1}, {"t": "toobig", "shape": [1], "nbytes": -5},
        {"t": "arr", "i": 5}, {"t": "arr", "i": True}, {"t": "list", "items": 3}, {"t": "dict", "items": [[1, {"t": "none"}]]},
        {"t": "tuple", "items": [{"t": "none"}] * (wire.MAX_ITEMS + 1)}, {"t": "nope"}, 5, [],
    ],
)  # fmt: skip
def test_is_every_malformed_value_a_wire_error(value):
    with pytest.raises(wire.WireError):
        wire.decode_value(value, [npy(np.zeros(2))])


def test_is_a_value_nested_beyond_the_depth_cap_refused():
    value = {"t": "none"}
    for _ in range(wire.MAX_DEPTH + 3):
        value = {"t": "list", "items": [value]}
    with pytest.raises(wire.WireError, match="malformed"):
        wire.decode_value(value, [])


def test_are_dict_keys_and_descriptions_capped():
    value = wire.decode_value({"t": "dict", "items": [["k" * 10_000, {"t": "other", "type": "T" * 10_000, "why": {"x": 1}}]]}, [])
    (key,) = value
    assert len(key) == wire.MAX_KEY
    assert len(value[key].type_name) == 100 and value[key].why == "?"


def test_do_the_numbers_a_correct_worker_sends_still_cross():
    blobs = []
    encoded = wire.encode_value((np.float32(1.5), np.int64(-3), np.uint8(255), 2**62, float("nan"), True, "s", None), blobs, 1 << 20)
    back = wire.decode_value(wire.read_header(json.dumps({"v": encoded}).encode())["v"], blobs)
    assert back[:4] == (np.float32(1.5), np.int64(-3), np.uint8(255), 2**62)
    assert type(back[0]) is np.float32 and type(back[2]) is np.uint8
    assert back[4] != back[4] and back[5:] == (True, "s", None)


# --- frames read from a pipe ------------------------------------------------------------------


def handle_reading(payload_code):
    """A WorkerHandle whose 'worker' is a process writing the frame built by
    ``payload_code`` (Python source defining ``data``) into the reply pipe, then sleeping."""
    reply_r, reply_w = os.pipe()
    request_r, request_w = os.pipe()
    program = "import os, sys, time, json, struct\n" + textwrap.dedent(payload_code) + "\nos.write(int(sys.argv[1]), data)\ntime.sleep(30)\n"
    process = subprocess.Popen([sys.executable, "-c", program, str(reply_w)], pass_fds=(reply_w,), start_new_session=True)
    os.close(reply_w)
    os.close(request_r)
    return WorkerHandle(SimpleNamespace(mode="none"), process, request_w, reply_r, [], os.getuid())


FRAME = """
def frame(head, tail=b''):
    body = struct.pack('>I', len(head)) + head + tail
    return struct.pack('>Q', len(body)) + body
"""


@pytest.mark.parametrize(
    "payload, why",
    [
        ("data = frame(b'{\"op\": \"called\", \"r\": ' + b'[' * 100000 + b']' * 100000 + b'}')", "nested too deeply"),
        ("data = frame(b'{\"op\": \"called\", \"blobs\": [' + b'9' * 400 + b']}', b'x' * 10)", "beyond int64"),
        ("data = frame(json.dumps({'op': 'called', 'o': 'x' * 6_000_000}).encode())", "a header of"),
        ("data = struct.pack('>Q', 2**64 - 1)", "more than the"),
        ("data = struct.pack('>Q', 8) + struct.pack('>I', 2**32 - 1)", "a header of"),
        ("data = frame(b'[1]')", "not an object"),
    ],
)
def test_does_a_malformed_frame_end_the_worker_with_a_reason(payload, why):
    handle = handle_reading(FRAME + payload)
    try:
        with pytest.raises(WorkerGone, match=why):
            handle._receive(time.monotonic() + 30, max_bytes=48 << 20)
        assert not handle.alive
        assert handle.process.poll() is not None, "the worker was not killed"
    finally:
        handle.kill()


def test_are_a_frames_arrays_read_into_their_own_writable_buffers():
    handle = handle_reading(FRAME + """
import io, numpy
buffer = io.BytesIO()
numpy.lib.format.write_array(buffer, numpy.arange(5.0), allow_pickle=False)
blob = buffer.getvalue()
data = frame(json.dumps({'op': 'called', 'result': {'t': 'arr', 'i': 1}, 'blobs': [3, len(blob)]}).encode(), b'abc' + blob)
""")
    try:
        header, blobs = handle._receive(time.monotonic() + 30, max_bytes=1 << 20)
        assert header["op"] == "called" and bytes(blobs[0]) == b"abc"
        value = wire.decode_value(header["result"], blobs)
        assert np.array_equal(value, np.arange(5.0)) and value.flags.writeable
    finally:
        handle.kill()


MEMORY_PROBE = """
import os, resource, subprocess, sys, time
from types import SimpleNamespace
from autograder.sandbox import WorkerGone, WorkerHandle
size = int(sys.argv[1])
reply_r, reply_w = os.pipe()
request_r, request_w = os.pipe()
writer = "import os, sys, json, struct\\n" \\
    "head = json.dumps({'op': 'called', 'o': 'x' * int(sys.argv[2])}).encode()\\n" \\
    "body = struct.pack('>I', len(head)) + head\\n" \\
    "data = struct.pack('>Q', len(body)) + body\\n" \\
    "view = memoryview(data)\\n" \\
    "while view:\\n" \\
    "    view = view[os.write(int(sys.argv[1]), view):]\\n"
process = subprocess.Popen([sys.executable, "-c", writer, str(reply_w), str(size)], pass_fds=(reply_w,), start_new_session=True)
os.close(reply_w)
handle = WorkerHandle(SimpleNamespace(mode="none"), process, request_w, reply_r, [], os.getuid())
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    handle._receive(time.monotonic() + 60, max_bytes=1 << 30)
    print("accepted")
except WorkerGone as err:
    print("refused", err.reason)
handle.kill()
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def test_does_a_60_mb_reply_cost_the_grader_almost_no_memory():
    """A 60 MB header (once: 1.5 GB of grader memory) is refused from its length fields,
    before its bytes are read, let alone parsed."""
    done = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(60_000_000)], capture_output=True, text=True, timeout=120)
    lines = done.stdout.split("\n")
    assert lines[0].startswith("refused") and "a header of" in lines[0], done.stdout + done.stderr
    assert int(lines[1]) < 20, f"reading the reply grew the process by {lines[1]} MB"


# --- the worker's side: the module it loads and the results it passes through the grader -----


@pytest.mark.parametrize("asked, named", [("hw_under_test", "hw_under_test"), (None, "submission"), ("not a name", "submission")])
def test_is_the_submission_loaded_under_the_module_name_the_request_gives(asked, named):
    """The worker names no homework: the load request says what the submission's module is
    called (a missing or odd name gives a neutral one)."""
    from autograder.worker import Worker

    worker = Worker(channel=None, output_cap=1000)
    header = {"op": "load", "init": True, "filename": "sub.py", "source": "", "units": [{"lineno": 1, "source": "import sys\nME = __name__\n"}], "names": ["ME"]}
    if asked is not None:
        header["module"] = asked
    streams = sys.stdout, sys.stderr  # the worker captures them (it owns its process)
    try:
        reply = worker.load(header)
        assert reply["units"][0]["ok"] and worker.module.__name__ == named and worker.module.ME == named
        assert sys.modules[named] is worker.module
    finally:
        sys.modules.pop(named, None)
        sys.stdout, sys.stderr = streams


def test_do_wrapped_functions_send_only_results_of_their_kind_through_the_grader():
    from autograder.worker import wrapped

    asked = []

    def ask(kind, value):
        asked.append(kind)
        return "answered"

    grads = wrapped(lambda: {"w": np.ones(2)}, "scale_dict", ask)
    array = wrapped(lambda: np.ones(2), "scale_array", ask)
    assert grads() == "answered" and array() == "answered" and asked == ["scale_dict", "scale_array"]
    assert wrapped(lambda: [1.0], "scale_dict", ask)() == [1.0]  # not a dict of arrays: left alone
    assert wrapped(lambda: np.ones(2, dtype=np.float32), "scale_array", ask)().dtype == np.float32
    assert len(asked) == 2
