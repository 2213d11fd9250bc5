#!/usr/bin/python3
"""Writes the small Fashion-MNIST subset the tests train and read on.

    /usr/bin/python3 tools/make_fashion_subset.py

Reads Debian's dataset-fashion-mnist package (/usr/share/datasets/fashion-mnist)
and writes tests/fixtures/fashion_mnist_2000/, laid out as the package is, so
ember::data::FashionMNIST reads it as it stands:

  train-images-idx3-ubyte.gz  train-labels-idx1-ubyte.gz   the first 2,000 training images
  t10k-images-idx3-ubyte.gz   t10k-labels-idx1-ubyte.gz    the first 500 test images

gzip level 9 with a zero timestamp, so rerunning it rewrites the same bytes
(about 1 MB in all). Prints the values tests/data/test_fashion_subset.cpp
checks: each file's size, first labels, per-class counts and pixel sums.
"""

import gzip
import os
import struct

import numpy as np

SOURCE = "/usr/share/datasets/fashion-mnist"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "tests", "fixtures", "fashion_mnist_2000")
COUNTS = {"train": 2000, "t10k": 500}
ROWS = COLS = 28


def read_idx(name):
    """The elements of an unsigned-byte IDX file, shaped as its header says."""
    with gzip.open(os.path.join(SOURCE, name)) as f:
        raw = f.read()
    magic = struct.unpack(">I", raw[:4])[0]
    assert magic >> 8 == 0x08, f"{name}: not unsigned-byte IDX (magic {magic:#010x})"
    rank = magic & 0xFF
    shape = struct.unpack(">" + "I" * rank, raw[4:4 + 4 * rank])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(shape)


def write_idx(name, array):
    """`array` (uint8) as a gzip IDX file: magic 0x000008NN, big-endian sizes."""
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(">" + "I" * array.ndim,
                                                                  *array.shape)
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(gzip.compress(header + array.tobytes(), compresslevel=9, mtime=0))
    return os.path.getsize(path)


def main():
    os.makedirs(OUT, exist_ok=True)
    total = 0
    for split, count in COUNTS.items():
        images = read_idx(f"{split}-images-idx3-ubyte.gz")[:count]
        labels = read_idx(f"{split}-labels-idx1-ubyte.gz")[:count]
        assert images.shape == (count, ROWS, COLS) and labels.shape == (count,)
        image_bytes = write_idx(f"{split}-images-idx3-ubyte.gz", images)
        label_bytes = write_idx(f"{split}-labels-idx1-ubyte.gz", labels)
        total += image_bytes + label_bytes

        print(f"{split}: {count} images, {image_bytes} + {label_bytes} bytes")
        print(f"  first labels {labels[:10].tolist()}")
        print(f"  per class {np.bincount(labels, minlength=10).tolist()}")
        print(f"  pixel sum {int(images.astype(np.int64).sum())}, "
              f"image 0: {int(images[0].astype(np.int64).sum())}, "
              f"last image: {int(images[-1].astype(np.int64).sum())}")
        print(f"  label sum {int(labels.astype(np.int64).sum())}")
    print(f"{total} bytes in {OUT}")


if __name__ == "__main__":
    main()
