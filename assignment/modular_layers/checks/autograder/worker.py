"""The sandboxed side: load a submission's definitions and call its functions on request.

This runs in a fresh interpreter started by sandbox.py, never in the grader's process. It
receives its own source (with wire.py's prepended) on the command line, because the
sandbox hides the grader's files; so it imports only the standard library and numpy.

Every judgement happens in the grader. The worker only reports what the student's code
did: the value it returned, the arguments as they were afterwards, what it printed (capped),
the warnings it raised and, if it raised, the exception and the student's own line.
"""

import __future__
import builtins
import inspect
import io
import os
import re
import struct
import sys
import time
import types
import warnings

import numpy as np

try:  # imported as part of the package (tests); in the sandbox wire.py's source comes first
    from .wire import WireError, decode_value, encode_value, pack, unpack  # noqa: F401
except ImportError:
    pass

# Bound before any student code runs, so patching numpy or builtins later changes nothing here.
_float = builtins.float
_len = builtins.len
_type = builtins.type
_isinstance = builtins.isinstance
_str = builtins.str
_repr = builtins.repr
_perf_counter = time.perf_counter
_os_read = os.read
_os_write = os.write


_NEWLINE = re.compile(r"\r\n|\r|\n")  # the line breaks Python's tokenizer counts


# read before any student code runs, like the names bound above
_FUTURE_FLAGS = {name: getattr(__future__, name).compiler_flag for name in __future__.all_feature_names}


def future_flags(names):
    """The compiler flags of the named ``__future__`` features (unknown names ignored)."""
    flags = 0
    for name in names:
        if _type(name) is _str:
            flags |= _FUTURE_FLAGS.get(name, 0)
    return flags


class CappedText(io.TextIOBase):
    """A text stream that keeps the first ``cap`` characters and counts the rest."""

    def __init__(self, cap):
        self.cap = cap
        self.parts = []
        self.kept = 0
        self.total = 0

    def writable(self):
        return True

    def write(self, text):
        if _type(text) is not _str:
            text = _str(text)
        self.total += _len(text)
        room = self.cap - self.kept
        if room > 0:
            piece = text[:room]
            self.parts.append(piece)
            self.kept += _len(piece)
        return _len(text)

    def text(self):
        return "".join(self.parts)


class Channel:
    def __init__(self, read_fd, write_fd):
        self.read_fd = read_fd
        self.write_fd = write_fd

    def _read_exact(self, n):
        chunks, got = [], 0
        while got < n:
            chunk = _os_read(self.read_fd, min(n - got, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            got += _len(chunk)
        return b"".join(chunks)

    def receive(self):
        (length,) = struct.unpack(">Q", self._read_exact(8))
        return unpack(self._read_exact(length))

    def send(self, header, blobs=()):
        frame = memoryview(pack(header, blobs))
        while frame:
            written = _os_write(self.write_fd, frame)
            frame = frame[written:]


def student_frames(tb, is_student):
    """(file name, line number, function name) of each traceback frame in student code."""
    frames = []
    while tb is not None:
        code = tb.tb_frame.f_code
        if is_student(code.co_filename):
            frames.append((code.co_filename, tb.tb_lineno, code.co_name))
        tb = tb.tb_next
    return frames


def enclosing_function(frames, called=None):
    """The function the student wrote that the error happened in: the innermost student
    frame with a name, walking out of lambdas and comprehensions (``<lambda>``,
    ``<listcomp>``, ``<genexpr>``, ...); ``called`` (the function the grader called) when
    every frame is such a one, e.g. a graded function written as a lambda."""
    for _, _, function in reversed(frames):
        if not function.startswith("<"):
            return function
    if called:
        return called
    return frames[-1][2] if frames else None


def describe_exception(err, is_student, line_text, called=None):
    """The exception's type and message, and the last line of student code it went through
    (``line_text(filename, number)`` gives that line's text) with the named function it is
    in (see ``enclosing_function``); never the grader's frames."""
    try:
        message = _str(err)
    except BaseException:  # noqa: BLE001 - a broken __str__ is the student's
        message = "(the exception's message could not be shown)"
    frames = student_frames(err.__traceback__, is_student)
    where = None
    if frames:
        filename, line, _ = frames[-1]
        function = enclosing_function(frames, called)
        where = {"line": line, "function": function, "text": line_text(filename, line).strip()[:200]}
    kind = _type(err)
    return {"type": _str(getattr(kind, "__name__", "?"))[:100], "message": message[:500], "where": where}


def describe_callable(obj):
    """Whether ``obj`` is callable, and its parameters (name, kind, default) if readable."""
    entry = {"defined": True, "callable": callable(obj), "type": getattr(_type(obj), "__name__", "?")}
    try:
        params = []
        for p in inspect.signature(obj).parameters.values():
            value = p.default if _type(p.default) in (int, float) else None
            params.append({"name": p.name, "kind": _str(p.kind), "default": p.default is not p.empty, "value": value})
        entry["params"] = params
    except (TypeError, ValueError):
        entry["params"] = None
    return entry


def make_test_function(spec, args, ask):
    """The scalar test function of no arguments a finite-difference routine is given. It holds
    only the array x = args[spec["target"]] and ``ask``: each call sends x's current value to
    the grader, which alone knows f's coefficients, and returns the value it answers."""
    x = args[spec["target"]]

    def f():
        return ask("f", x)

    return f


def wrapped(function, kind, ask):
    """``function`` with its result passed through the grader (see oracle.py), which answers
    with the value the caller gets: ``"scale_dict"``, a dict of gradient arrays (some
    scaled); ``"scale_array"``, one float64 array (scaled, as if the loss were). The factors
    never enter this process."""

    def through_grader(*a, **k):
        out = function(*a, **k)
        if kind == "scale_dict" and _type(out) is dict and _len(out) <= 16 and all(_type(v) is np.ndarray for v in out.values()):
            return ask("scale_dict", out)
        if kind == "scale_array" and _type(out) is np.ndarray and out.dtype == np.float64:
            return ask("scale_array", out)
        return out

    return through_grader


class Worker:
    def __init__(self, channel, output_cap):
        self.channel = channel
        self.output_cap = output_cap
        self.module = None
        self.filename = None
        self.source_lines = []

    def run(self):
        self.channel.send({"op": "ready", "pid": os.getpid(), "uid": os.getuid()})
        while True:
            header, blobs = self.channel.receive()
            op = header.get("op")
            if op == "load":
                reply, out_blobs = self.load(header), []
            elif op == "call":
                reply, out_blobs = self.call(header, blobs)
            elif op == "exit":
                os._exit(0)
            else:
                reply, out_blobs = {"op": "error", "message": f"unknown op {op!r}"}, []
            reply["id"] = header.get("id")  # the grader drops the worker on any other id
            self.channel.send(reply, out_blobs)

    def _captured(self):
        stream = CappedText(self.output_cap)
        sys.stdout = stream
        sys.stderr = stream
        return stream

    def load(self, header):
        """Run some of the submission's kept statements. ``init`` starts a fresh module;
        ``names`` asks for a description of those functions afterwards. Each unit is
        compiled at its own line with the ``__future__`` features in force there (the
        submission is one module: ``from __future__ import annotations`` applies to every
        statement after it). The module is named by the request's ``module`` (the
        homework's name)."""
        if header.get("init") or self.module is None:
            self.filename = header["filename"]
            self.source_lines = _NEWLINE.split(header["source"])
            name = header.get("module")
            name = name if _type(name) is _str and name.isidentifier() else "submission"
            module = types.ModuleType(name)
            module.__file__ = self.filename
            sys.modules[name] = module
            self.module = module
        module = self.module
        results = []
        for unit in header["units"]:
            stream = self._captured()
            try:
                flags = future_flags(unit.get("future", ()))
                code = compile("\n" * (unit["lineno"] - 1) + unit["source"], self.filename, "exec", flags=flags, dont_inherit=True)
                exec(code, module.__dict__)
                results.append({"ok": True, "output": stream.text(), "output_chars": stream.total})
            except BaseException as err:  # noqa: BLE001 - report, then go on with the next unit
                results.append(
                    {
                        "ok": False,
                        "output": stream.text(),
                        "output_chars": stream.total,
                        "exception": describe_exception(err, self._is_student, self._line),
                    }
                )
        reply = {"op": "loaded", "units": results}
        if header.get("names"):
            reply["functions"] = self.describe(header["names"])
        return reply

    def describe(self, names):
        namespace = self.module.__dict__
        return {name: describe_callable(namespace[name]) if namespace.get(name) is not None else {"defined": False} for name in names}

    def _is_student(self, filename):
        return filename == self.filename

    def _line(self, filename, number):
        return self.source_lines[number - 1] if 0 < number <= _len(self.source_lines) else ""

    def call(self, header, blobs):
        args = [decode_value(a, blobs) for a in header["args"]]
        ask = self._asker(header.get("id"))
        for spec in header.get("functions", []):
            args[spec["arg"]] = make_test_function(spec, args, ask)
        fn = self.module.__dict__.get(header["fn"]) if self.module is not None else None
        patch = header.get("patch")
        restore = None
        if patch:
            restore = apply_patch(self.module.__dict__, patch, ask)
        # the grader's time limit for this call starts now, not when the request was sent
        self.channel.send({"op": "started", "id": header.get("id")})
        stream = self._captured()
        reply = {"op": "called", "status": "ok"}
        started = _perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = fn(*args)
            except BaseException as err:  # noqa: BLE001 - SystemExit and KeyboardInterrupt included
                result = None
                reply["status"] = "raised"
                reply["exception"] = describe_exception(err, self._is_student, self._line, header.get("fn"))
        reply["seconds"] = _perf_counter() - started
        if restore is not None:
            restore()
        reply["output"] = stream.text()
        reply["output_chars"] = stream.total
        reply["warnings"] = [
            {"category": _str(getattr(w.category, "__name__", "?"))[:100], "message": _str(w.message)[:200]} for w in caught[:5]
        ]
        reply["warning_count"] = _len(caught)
        out_blobs = []
        max_bytes = header.get("max_bytes", 1 << 26)
        try:
            reply["result"] = encode_value(result, out_blobs, max_bytes) if reply["status"] == "ok" else {"t": "none"}
        except BaseException as err:  # noqa: BLE001 - a value whose inspection fails is reported as such
            out_blobs = []
            reply["result"] = {"t": "other", "type": "?", "why": f"could not be read ({_type(err).__name__})"}
        after = []
        for index, value in enumerate(args):
            if callable(value):
                after.append({"t": "none"})
            else:
                after.append(encode_value(value, out_blobs, max_bytes))
        reply["args_after"] = after
        return reply, out_blobs

    def _asker(self, call_id):
        """ask(kind, value): send a request to the grader's oracle (oracle.py) during call
        ``call_id`` and wait for its answer."""
        channel = self.channel

        def ask(kind, value):
            if kind == "f":  # x's bytes as they are (float64, x's shape: the grader knows both)
                channel.send({"op": "oracle", "id": call_id, "kind": kind, "value": {"t": "raw"}}, [value.tobytes()])
            else:
                out_blobs = []
                channel.send({"op": "oracle", "id": call_id, "kind": kind, "value": encode_value(value, out_blobs, 1 << 24)}, out_blobs)
            answer, answer_blobs = channel.receive()
            if answer.get("op") != "answer":
                raise RuntimeError("the grader refused an oracle request")
            return decode_value(answer["value"], answer_blobs)

        return ask


def apply_patch(namespace, patches, ask):
    """Swap each namespace[name] of ``patches`` ([{"name", "kind"}]) for its version
    wrapped through the grader; returns the function that swaps them back."""
    originals = {}
    for patch in patches:
        name = patch["name"]
        original = namespace.get(name)
        if callable(original) and name not in originals:
            originals[name] = original
            namespace[name] = wrapped(original, patch["kind"], ask)

    def restore():
        for name, original in originals.items():
            namespace[name] = original

    return restore


def main():
    read_fd, write_fd, output_cap = (int(v) for v in sys.argv[1:4])
    sys.stdin = io.StringIO("")
    worker = Worker(Channel(read_fd, write_fd), output_cap)
    try:
        worker.run()
    except EOFError:
        os._exit(0)


if __name__ == "__main__":
    main()
