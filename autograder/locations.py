"""Folders the grader keeps for itself (imported early, so it imports nothing heavy)."""

import os
from pathlib import Path


def cache_dir():
    """Where computed grading plans are cached (hidden from workers by the sandbox)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "numpy-autograder" / "plans"
