#!/usr/bin/python3
"""One training epoch of the Fashion-MNIST CNN, ember beside PyTorch 1.13.

    benchmarks/epoch_side_by_side.py [--batches 64,256] [--threads 1,2] [--rounds 3]
                                     [--limit 16000] [--build build]

Runs examples/fashion_mnist (ember) and tools/fashion_mnist_pytorch.py (the
same model, Adam, batch and thread count, with PyTorch's fastest input path:
tensors indexed in memory) for one epoch each, alternating the two sides for
every configuration and round so both sample the same stretches of a noisy
machine. OPENBLAS_NUM_THREADS bounds PyTorch's OpenBLAS pool to the same
thread count. Reads the training images per second each side prints for its epoch
and prints medians with min and max, and the ratio ember / PyTorch. `--limit`
trains on the first N images to keep a round short; 0 means all 55,000.
Needs the example built (`cmake --build build --target fashion_mnist`) and
Debian's dataset-fashion-mnist and python3-torch packages.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RATE = re.compile(r"^epoch 1/1 .* (\d+) img/s", re.MULTILINE)


def images_per_second(command, threads):
    # Debian's PyTorch runs its GEMMs on the pthread build of OpenBLAS, whose
    # pool torch.set_num_threads does not bound: the environment does.
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads))
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=env)
    found = RATE.search(result.stdout)
    if result.returncode != 0 or found is None:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return float(found.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="64,256")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int, default=16000)
    parser.add_argument("--build", default=os.path.join(REPO, "build"))
    args = parser.parse_args()

    def positive_list(name, text):
        values = text.split(",")
        if not all(v.isdigit() and int(v) > 0 for v in values):
            parser.error(f"--{name} takes positive whole numbers separated by commas, got '{text}'")
        return [int(v) for v in values]

    thread_counts = positive_list("threads", args.threads)
    batch_sizes = positive_list("batches", args.batches)
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    if args.limit < 0:
        parser.error(f"--limit must be 0 (all images) or more, got {args.limit}")
    example = os.path.join(args.build, "examples", "fashion_mnist")
    if not os.access(example, os.X_OK):
        parser.error(f"{example} is missing: build it first "
                     f"(cmake --build {args.build} --target fashion_mnist)")
    rows = []
    for threads in thread_counts:
        for batch in batch_sizes:
            common = ["--epochs", "1", "--batch-size", str(batch), "--threads", str(threads),
                      "--limit", str(args.limit), "--lr-schedule", "cosine"]
            ember_rates, torch_rates = [], []
            for _ in range(args.rounds):
                torch_rates.append(images_per_second(
                    ["/usr/bin/python3", "tools/fashion_mnist_pytorch.py", "--log-every", "0"]
                    + common, threads))
                ember_rates.append(images_per_second(
                    [example, "--checkpoint", "/tmp/ember_epoch_bench.safetensors",
                     "--csv", "/tmp/ember_epoch_bench.csv"] + common, threads))
            rows.append((batch, threads, ember_rates, torch_rates))
            print(f"batch {batch} threads {threads}: ember {statistics.median(ember_rates):.0f} "
                  f"img/s, pytorch {statistics.median(torch_rates):.0f} img/s", flush=True)

    print("\n| batch | threads | ember img/s (min–max) | PyTorch img/s (min–max) | ember / PyTorch |")
    print("|---:|---:|---:|---:|---:|")
    for batch, threads, ember_rates, torch_rates in rows:
        ember_median, torch_median = statistics.median(ember_rates), statistics.median(torch_rates)
        print(f"| {batch} | {threads} | {ember_median:.0f} ({min(ember_rates):.0f}–"
              f"{max(ember_rates):.0f}) | {torch_median:.0f} ({min(torch_rates):.0f}–"
              f"{max(torch_rates):.0f}) | {ember_median / torch_median:.2f} |")


if __name__ == "__main__":
    main()
