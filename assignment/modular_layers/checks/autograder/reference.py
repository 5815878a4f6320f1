"""Import trusted instructor code (the reference solution, the data loader) from a file path.

Only instructor files go through here. Student submissions are never imported by the
grader: they run in a sandboxed worker (see sandbox.py).
"""

import importlib.util
import sys
from pathlib import Path


def load_module(path, name):
    """Import the Python file at ``path`` as a module called ``name``; its
    ``if __name__ == "__main__":`` cells do not run."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def load_reference(files):
    """The reference module of a homework (a course.HomeworkFiles: ``solutions/<name>/<name>.py``)."""
    return load_module(files.reference, f"_autograder_reference_{files.name}")


def load_mnist_loader(data_dir):
    return load_module(Path(data_dir) / "mnist.py", "_autograder_mnist")
