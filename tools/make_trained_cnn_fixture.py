#!/usr/bin/python3
"""Trains a small CNN in PyTorch and saves it for ember's interchange test.

    /usr/bin/python3 tools/make_trained_cnn_fixture.py

Writes tests/fixtures/safetensors/trained_cnn.safetensors: the state_dict of a
conv-batchnorm-relu-pool network trained for 60 Adam steps on the first
Fashion-MNIST training images (Debian's dataset-fashion-mnist package), plus
two extra entries the test reads: "probe.input", eight test images, and
"probe.logits", the trained network's logits for them in evaluation mode.
ember builds the same architecture, loads the file, and must reproduce the
logits. The safetensors encoder is the spec-based one in
make_safetensors_fixtures.py (Debian ships no safetensors package).
"""

import gzip
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_safetensors_fixtures import encode  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = "/usr/share/datasets/fashion-mnist"
OUT = os.path.join(REPO, "tests", "fixtures", "safetensors", "trained_cnn.safetensors")


def read_images(name, count):
    with gzip.open(os.path.join(DATA, name)) as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    images = raw[: count * 784].reshape(count, 1, 28, 28).astype(np.float32) / 255.0
    return torch.from_numpy((images - 0.2860) / 0.3530)


def read_labels(name, count):
    with gzip.open(os.path.join(DATA, name)) as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    return torch.from_numpy(raw[:count].astype(np.int64))


def model():
    # Mirrored in tests/nn/test_trained_cnn.cpp.
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 32), nn.ReLU(), nn.Linear(32, 10))


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    images = read_images("train-images-idx3-ubyte.gz", 1920)
    labels = read_labels("train-labels-idx1-ubyte.gz", 1920)

    net = model()
    optimizer = torch.optim.Adam(net.parameters(), lr=2e-3)
    for step in range(60):
        batch = slice((step % 30) * 64, (step % 30 + 1) * 64)
        loss = nn.functional.cross_entropy(net(images[batch]), labels[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"final training loss {loss.item():.4f}")

    net.eval()
    probe = read_images("t10k-images-idx3-ubyte.gz", 8)
    with torch.no_grad():
        logits = net(probe)
    tensors = dict(net.state_dict())
    tensors["probe.input"] = probe
    tensors["probe.logits"] = logits
    with open(OUT, "wb") as f:
        f.write(encode(tensors, {"format": "pt", "trained_steps": "60"}))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
