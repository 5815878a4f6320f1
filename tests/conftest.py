import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from autograder.course import Course  # noqa: E402
from autograder.reference import load_module  # noqa: E402


@pytest.fixture(scope="session")
def course():
    return Course(ROOT)


@pytest.fixture(scope="session")
def ref(course):
    """The reference solution module (trusted instructor code)."""
    return load_module(course.solution, "reference_under_test")


@pytest.fixture(scope="session")
def mnist(course):
    return load_module(course.data_dir / "mnist.py", "mnist_under_test")
