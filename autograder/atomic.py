"""Write files so that a reader sees the old content or the new, never half of it.

Files are private (0600) unless a ``mode`` is given: the grader's caches and results stay
its own; the batch's gradebook and feedback pass the mode the instructor's group needs.
"""

import os
import tempfile
from pathlib import Path


def write_bytes_atomic(path, data, mode=0o600):
    path = Path(path)
    if path.exists() and not path.is_file():  # /dev/null, a pipe: write through, never replace
        with open(path, "wb") as out:
            out.write(data)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            os.fchmod(out.fileno(), mode)
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


def write_text_atomic(path, text, mode=0o600):
    write_bytes_atomic(path, text.encode("utf-8"), mode)
