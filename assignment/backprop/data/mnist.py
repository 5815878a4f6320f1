"""Load the MNIST files shipped beside this module, with numpy alone.

    from mnist import load_mnist
    X, y = load_mnist("train", digits=(5, 8))   # X (N, 784) floats in [0, 1], y (N,) int64

Splits: ``"train"`` is a 5,000-image subset of the MNIST training set (500 per digit),
``"test"`` is the full 10,000-image MNIST test set. One example per row. Every file is
checked against ``SHA256SUMS``; a missing or damaged file raises ``MnistFileError``
naming it.
"""

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent

SPLITS = {
    "train": ("train-5k-images-idx3-ubyte.gz", "train-5k-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


class MnistFileError(RuntimeError):
    """A data file is missing, fails its checksum, or is not a valid IDX file."""


def _expected_checksums(data_dir):
    sums = data_dir / "SHA256SUMS"
    if not sums.exists():
        raise MnistFileError(f"{sums} is missing: cannot verify the MNIST files")
    table = {}
    for line in sums.read_text().splitlines():
        digest, _, name = line.partition("  ")
        if digest and name:
            table[name.strip()] = digest.strip()
    return table


def _read_idx(path, checksums):
    if not path.exists():
        raise MnistFileError(f"MNIST file {path} is missing")
    raw = path.read_bytes()
    expected = checksums.get(path.name)
    if expected is None:
        raise MnistFileError(f"{path.name} is not listed in {path.parent / 'SHA256SUMS'}")
    if hashlib.sha256(raw).hexdigest() != expected:
        raise MnistFileError(f"MNIST file {path} is corrupt: its sha256 does not match SHA256SUMS")
    try:
        payload = gzip.decompress(raw)
    except (OSError, EOFError) as err:
        raise MnistFileError(f"MNIST file {path} is not valid gzip: {err}") from None
    if len(payload) < 4:
        raise MnistFileError(f"MNIST file {path} is too short to be an IDX file")
    zero, dtype_code, ndim = struct.unpack(">HBB", payload[:4])
    if zero != 0 or dtype_code != 0x08 or ndim not in (1, 3):
        raise MnistFileError(f"MNIST file {path} has a bad IDX header")
    shape = struct.unpack(">" + "I" * ndim, payload[4 : 4 + 4 * ndim])
    body = np.frombuffer(payload, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise MnistFileError(
            f"MNIST file {path} holds {body.size} bytes of data; its header promises {shape}"
        )
    return body.reshape(shape)


def load_mnist(split, digits=None, scale=True, data_dir=None):
    """Return ``(X, y)`` for ``split`` ("train" or "test").

    X is (N, 784): float64 in [0, 1] when ``scale`` is true, else uint8 0..255.
    y is (N,) int64. ``digits`` keeps only those labels (in file order), e.g. ``(5, 8)``.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {sorted(SPLITS)}, not {split!r}")
    data_dir = Path(data_dir) if data_dir is not None else DATA_DIR
    checksums = _expected_checksums(data_dir)
    image_file, label_file = SPLITS[split]
    images = _read_idx(data_dir / image_file, checksums)
    labels = _read_idx(data_dir / label_file, checksums)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise MnistFileError(
            f"{image_file} and {label_file} disagree: {images.shape} images, {labels.shape} labels"
        )
    X = images.reshape(len(images), -1)
    y = labels.astype(np.int64)
    if digits is not None:
        keep = np.isin(y, list(digits))
        X, y = X[keep], y[keep]
    X = X.astype(np.float64) / 255.0 if scale else X.copy()
    return X, y
