"""Write files so that a reader sees the old content or the new, never half of it."""

import os
import tempfile
from pathlib import Path


def write_bytes_atomic(path, data):
    path = Path(path)
    if path.exists() and not path.is_file():  # /dev/null, a pipe: write through, never replace
        with open(path, "wb") as out:
            out.write(data)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def write_text_atomic(path, text):
    write_bytes_atomic(path, text.encode("utf-8"))
