"""Are the shipped MNIST files what we say they are, and does the loader fail clearly?"""

import hashlib
import shutil

import numpy as np
import pytest

# sha256 of the standard MNIST test-set files (t10k), as copied from shared/data/mnist.
T10K_IMAGES_SHA256 = "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
T10K_LABELS_SHA256 = "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
MNIST_TEST_LABEL_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_every_file_matches_sha256sums(course):
    lines = (course.data_dir / "SHA256SUMS").read_text().splitlines()
    assert len(lines) == 4
    for line in lines:
        digest, name = line.split("  ")
        assert hashlib.sha256((course.data_dir / name).read_bytes()).hexdigest() == digest, name


def test_test_set_is_the_standard_mnist_test_set(course):
    digest = lambda name: hashlib.sha256((course.data_dir / name).read_bytes()).hexdigest()  # noqa: E731
    assert digest("t10k-images-idx3-ubyte.gz") == T10K_IMAGES_SHA256
    assert digest("t10k-labels-idx1-ubyte.gz") == T10K_LABELS_SHA256


def test_shapes_ranges_and_label_counts(mnist):
    X, y = mnist.load_mnist("train")
    assert X.shape == (5000, 784) and X.dtype == np.float64 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.bincount(y).tolist() == [500] * 10
    X_test, y_test = mnist.load_mnist("test")
    assert X_test.shape == (10000, 784)
    assert np.bincount(y_test).tolist() == MNIST_TEST_LABEL_COUNTS


def test_digit_filter_keeps_file_order(mnist):
    X, y = mnist.load_mnist("test", digits=(5, 8))
    assert len(y) == 892 + 974 == 1866
    X_all, y_all = mnist.load_mnist("test")
    assert np.array_equal(X, X_all[np.isin(y_all, [5, 8])])


def test_no_training_image_appears_in_the_test_set(mnist):
    X_train, _ = mnist.load_mnist("train", scale=False)
    X_test, _ = mnist.load_mnist("test", scale=False)
    test_rows = {row.tobytes() for row in X_test}
    assert not any(row.tobytes() in test_rows for row in X_train)
    assert len({row.tobytes() for row in X_train}) == 5000, "duplicate images inside the training subset"


def copy_data(course, tmp_path):
    target = tmp_path / "data"
    shutil.copytree(course.data_dir, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_missing_file_is_named(course, mnist, tmp_path):
    data = copy_data(course, tmp_path)
    (data / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(mnist.MnistFileError, match="t10k-labels-idx1-ubyte.gz is missing"):
        mnist.load_mnist("test", data_dir=data)


def test_corrupt_file_is_named(course, mnist, tmp_path):
    data = copy_data(course, tmp_path)
    path = data / "train-5k-images-idx3-ubyte.gz"
    raw = bytearray(path.read_bytes())
    raw[1000] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(mnist.MnistFileError, match="train-5k-images-idx3-ubyte.gz is corrupt"):
        mnist.load_mnist("train", data_dir=data)


def test_unknown_split_is_refused(mnist):
    with pytest.raises(ValueError, match="split must be one of"):
        mnist.load_mnist("validation")
