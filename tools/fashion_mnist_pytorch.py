#!/usr/bin/python3
"""Trains examples/fashion_mnist.cpp's CNN with PyTorch 1.13, for comparison.

Run with Debian's Python and torch:
    /usr/bin/python3 tools/fashion_mnist_pytorch.py --epochs 1 --threads 2

Same data (the gzip IDX files of Debian's dataset-fashion-mnist package, read
with gzip and numpy), normalization (mean 0.2860, std 0.3530), 55,000 / 5,000
train / validation split, model, Adam at lr 1e-3 annealed to 0 by a cosine over
the run's batches, and batch 64, as the ember example's defaults. Prints per
epoch the training loss and accuracy, the validation loss and accuracy and the
training images per second, then the test accuracy. Batches are taken by
indexing tensors held in memory, PyTorch's fastest input path, so images/s
measures the training step itself.
"""

import argparse
import gzip
import os
import time

import numpy as np
import torch
from torch import nn

MEAN, STD = 0.2860, 0.3530
VALID_SIZE = 5000


def read_idx(path):
    """An IDX file (gzip-compressed) as a numpy array of unsigned bytes."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(root, prefix):
    images = read_idx(os.path.join(root, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(root, f"{prefix}-labels-idx1-ubyte.gz"))
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return (x - MEAN) / STD, torch.from_numpy(labels.astype(np.int64))


def make_model():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Dropout(0.25), nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, 10))


@torch.no_grad()
def evaluate(model, x, y, batch_size=500):
    model.eval()
    loss_sum, correct = 0.0, 0
    for start in range(0, len(x), batch_size):
        logits = model(x[start:start + batch_size])
        target = y[start:start + batch_size]
        loss_sum += nn.functional.cross_entropy(logits, target, reduction="sum").item()
        correct += (logits.argmax(1) == target).sum().item()
    model.train()
    return loss_sum / len(x), correct / len(x)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--lr-schedule", choices=["constant", "cosine"], default="cosine",
                        help="cosine (ember's default): from --lr down to 0 at the last batch")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=0, help="train on the first N images")
    parser.add_argument("--log-every", type=int, default=100, help="batches between lines")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x_full, y_full = load(args.data, "train")
    x_test, y_test = load(args.data, "t10k")
    order = torch.randperm(len(x_full), generator=torch.Generator().manual_seed(args.seed))
    train_idx, valid_idx = order[:-VALID_SIZE], order[-VALID_SIZE:]
    if args.limit > 0:
        train_idx = train_idx[:args.limit]
    x_train, y_train = x_full[train_idx], y_full[train_idx]
    x_valid, y_valid = x_full[valid_idx], y_full[valid_idx]

    model = make_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = None
    if args.lr_schedule == "cosine":
        batches_per_epoch = (len(x_train) + args.batch_size - 1) // args.batch_size
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
            optimizer, T_max=args.epochs * batches_per_epoch)
    print(f"pytorch {torch.__version__}: {len(x_train)} train / {len(x_valid)} valid / "
          f"{len(x_test)} test images, adam lr {args.lr} ({args.lr_schedule}), "
          f"batch {args.batch_size}, {torch.get_num_threads()} threads", flush=True)

    for epoch in range(args.epochs):
        perm = torch.randperm(len(x_train))
        loss_sum, correct = 0.0, 0
        start = time.perf_counter()
        for first in range(0, len(x_train), args.batch_size):
            idx = perm[first:first + args.batch_size]
            inputs, target = x_train[idx], y_train[idx]
            optimizer.zero_grad(set_to_none=True)
            logits = model(inputs)
            loss = nn.functional.cross_entropy(logits, target)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            loss_sum += loss.item() * len(idx)
            correct += (logits.argmax(1) == target).sum().item()
            batches = first // args.batch_size + 1
            if args.log_every > 0 and batches % args.log_every == 0:
                done = first + len(idx)
                print(f"  {batches} batches  {done / (time.perf_counter() - start):.0f} img/s  "
                      f"loss {loss_sum / done:.4f}", flush=True)
        seconds = time.perf_counter() - start
        valid_loss, valid_acc = evaluate(model, x_valid, y_valid)
        print(f"epoch {epoch + 1}/{args.epochs}  train loss {loss_sum / len(x_train):.4f} "
              f"acc {correct / len(x_train):.4f}  valid loss {valid_loss:.4f} "
              f"acc {valid_acc:.4f}  {len(x_train) / seconds:.0f} img/s  {seconds:.1f} s",
              flush=True)

    test_loss, test_acc = evaluate(model, x_test, y_test)
    print(f"test loss {test_loss:.4f}  test accuracy {test_acc:.4f} ({len(x_test)} images)")


if __name__ == "__main__":
    main()
