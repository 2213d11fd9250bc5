#!/usr/bin/python3
"""Runs ember's benchmarks and the same workloads in PyTorch, side by side.

    benchmarks/pytorch_side_by_side.py [--threads 1,2] [--rounds 5] [--filter REGEX]
                                       [--build build-bench] [--json OUT.json]

Needs Debian's python3-torch (PyTorch 1.13) and a Release build of the
benchmark programs (benchmarks/run.sh makes one in build-bench/). For every
workload and thread count the two sides alternate, one measurement each per
round, so both sample the same stretches of a noisy machine. Prints ember's
and PyTorch's median time with min and max over the rounds, and the ratio
PyTorch / ember (above 1: ember is faster).
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---- the PyTorch side: one factory per ember benchmark name ----
# Each factory builds its tensors once and returns the function to time.

def conv_case(x_shape, w_shape, stride, padding, backward):
    dims = len(x_shape) - 2
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[dims]

    def make():
        x = torch.randn(x_shape, requires_grad=backward)
        w = torch.randn(w_shape, requires_grad=backward)
        b = torch.randn(w_shape[0], requires_grad=backward)
        if not backward:
            def run():
                with torch.no_grad():
                    conv(x, w, b, stride=stride, padding=padding)
            return run

        def run():
            y = conv(x, w, b, stride=stride, padding=padding)
            y.backward(torch.ones_like(y))
            x.grad = w.grad = b.grad = None
        return run
    return make


CONV_WORKLOADS = {
    "conv2d_c1_28": ([64, 1, 28, 28], [32, 1, 3, 3], 1, 1),
    "conv2d_c32_28": ([64, 32, 28, 28], [64, 32, 3, 3], 1, 1),
    "conv2d_c64_56": ([32, 64, 56, 56], [64, 64, 3, 3], 1, 1),
    "conv2d_c3_224": ([16, 3, 224, 224], [64, 3, 7, 7], 2, 3),
    "conv1d_c64_1024": ([32, 64, 1024], [64, 64, 5], 1, 0),
    "conv3d_c8_16x32x32": ([4, 8, 16, 32, 32], [16, 8, 3, 3, 3], 1, 1),
}

def max_pool_case(backward):
    def make():
        x = torch.randn(64, 32, 28, 28, requires_grad=backward)
        if not backward:
            def run():
                with torch.no_grad():
                    F.max_pool2d(x, 2)
            return run

        def run():
            y = F.max_pool2d(x, 2)
            y.backward(torch.ones_like(y))
            x.grad = None
        return run
    return make


def loss_case(kind):
    def make():
        generator = torch.Generator().manual_seed(11)
        x = torch.randn(4096, 1000, generator=generator) * 3
        y = torch.randint(0, 1000, (4096,), generator=generator)
        if kind == "log_softmax/forward":
            def run():
                with torch.no_grad():
                    F.log_softmax(x, 1)
        elif kind == "log_softmax_nll/forward":
            def run():
                with torch.no_grad():
                    F.nll_loss(F.log_softmax(x, 1), y)
        elif kind == "log_softmax_nll/forward_backward":
            def run():
                leaf = x.detach().requires_grad_()
                F.nll_loss(F.log_softmax(leaf, 1), y).backward()
        else:
            def run():
                leaf = x.detach().requires_grad_()
                F.cross_entropy(leaf, y).backward()
        return run
    return make


def norm_case(kind):
    def make():
        if kind.startswith("dropout"):
            x = torch.randn(16 * 1024 * 1024, requires_grad=kind.endswith("backward"))
            if kind == "dropout/forward":
                def run():
                    with torch.no_grad():
                        F.dropout(x, 0.5, True)
            else:
                def run():
                    y = F.dropout(x, 0.5, True)
                    y.backward(torch.ones_like(y))
                    x.grad = None
            return run
        x = torch.randn(64, 64, 28, 28, requires_grad=kind.endswith("backward"))
        mean, var = torch.zeros(64), torch.ones(64)
        weight = torch.ones(64, requires_grad=True)
        bias = torch.zeros(64, requires_grad=True)
        if kind == "batch_norm/forward":
            def run():
                with torch.no_grad():
                    F.batch_norm(x, mean, var, weight, bias, True)
        elif kind == "batch_norm/eval_forward":
            def run():
                with torch.no_grad():
                    F.batch_norm(x, mean, var, weight, bias, False)
        else:
            def run():
                y = F.batch_norm(x, mean, var, weight, bias, True)
                y.backward(torch.ones_like(y))
                x.grad = weight.grad = bias.grad = None
        return run
    return make


# PyTorch's defaults (foreach unset: 1.13 then takes the per-tensor loop), as
# bench_optim.cpp's workloads.
OPTIMIZERS = {
    "sgd": lambda params: torch.optim.SGD(params, lr=0.01),
    "sgd_momentum": lambda params: torch.optim.SGD(params, lr=0.01, momentum=0.9),
    "adagrad": torch.optim.Adagrad,
    "adadelta": torch.optim.Adadelta,
    "rmsprop": torch.optim.RMSprop,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "nadam": torch.optim.NAdam,
    "radam": torch.optim.RAdam,
}


def optim_case(name):
    """One step() over 10M float32 parameters with gradients in place."""
    def make():
        generator = torch.Generator().manual_seed(5)
        params = []
        for shape in ((4000, 1000), (4000, 1000), (2000, 1000)):
            p = (torch.randn(shape, generator=generator) * 0.05).requires_grad_()
            p.grad = torch.randn(shape, generator=generator) * 0.01
            params.append(p)
        return OPTIMIZERS[name](params).step
    return make


# ember benchmark name -> (program, PyTorch factory)
WORKLOADS = {}
for name, (x_shape, w_shape, stride, padding) in CONV_WORKLOADS.items():
    WORKLOADS[name + "/forward"] = ("conv", conv_case(x_shape, w_shape, stride, padding, False))
    WORKLOADS[name + "/forward_backward"] = (
        "conv", conv_case(x_shape, w_shape, stride, padding, True))
WORKLOADS["max_pool2d/forward"] = ("pooling", max_pool_case(False))
WORKLOADS["max_pool2d/forward_backward"] = ("pooling", max_pool_case(True))
for kind in ("log_softmax/forward", "log_softmax_nll/forward",
             "log_softmax_nll/forward_backward", "cross_entropy/forward_backward"):
    WORKLOADS[kind] = ("loss", loss_case(kind))
for kind in ("batch_norm/forward", "batch_norm/forward_backward", "batch_norm/eval_forward",
             "dropout/forward", "dropout/forward_backward"):
    WORKLOADS[kind] = ("norm", norm_case(kind))
for name in OPTIMIZERS:
    WORKLOADS["optim/" + name] = ("optim", optim_case(name))


# ---- timing ----

def time_pytorch(run, min_seconds=0.3):
    """Seconds per call: repeats until min_seconds have passed, after a warm-up."""
    run()
    calls, start = 0, time.perf_counter()
    while True:
        run()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return elapsed / calls


def time_ember(build, program, name, threads):
    """Seconds per iteration of one ember benchmark, from one short run."""
    binary = os.path.join(build, "benchmarks", "bench_" + program)
    pattern = "^" + re.escape(name) + "/threads:" + str(threads) + "/real_time$"
    output = subprocess.run(
        [binary, "--benchmark_filter=" + pattern, "--benchmark_min_time=0.3",
         "--benchmark_format=json"],
        check=True, capture_output=True, text=True).stdout
    runs = [b for b in json.loads(output)["benchmarks"] if b.get("run_type") == "iteration"]
    if not runs:
        raise SystemExit("no ember benchmark matched " + pattern + " in " + binary)
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[runs[0]["time_unit"]]
    return runs[0]["real_time"] * scale


def summary(values):
    return statistics.median(values), min(values), max(values)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--filter", default="")
    parser.add_argument("--build", default=os.path.join(REPO, "build-bench"))
    parser.add_argument("--json", default="")
    args = parser.parse_args()

    rows = []
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        for name, (program, factory) in WORKLOADS.items():
            if args.filter and not re.search(args.filter, name):
                continue
            torch.manual_seed(0)
            run = factory()
            ember_times, torch_times = [], []
            for _ in range(args.rounds):
                ember_times.append(time_ember(args.build, program, name, threads))
                torch_times.append(time_pytorch(run))
            rows.append((name, threads, summary(ember_times), summary(torch_times)))
            e, t = rows[-1][2][0], rows[-1][3][0]
            print("%-40s threads=%d  ember %9.3f ms  pytorch %9.3f ms  ratio %.2f"
                  % (name, threads, e * 1e3, t * 1e3, t / e), file=sys.stderr)

    print("| workload | threads | ember ms (min-max) | PyTorch ms (min-max) | PyTorch / ember |")
    print("|---|---:|---:|---:|---:|")
    for name, threads, (e, e_min, e_max), (t, t_min, t_max) in rows:
        print("| %s | %d | %.3f (%.3f-%.3f) | %.3f (%.3f-%.3f) | %.2f |"
              % (name, threads, e * 1e3, e_min * 1e3, e_max * 1e3,
                 t * 1e3, t_min * 1e3, t_max * 1e3, t / e))
    if args.json:
        with open(args.json, "w") as out:
            json.dump([{"workload": n, "threads": th, "ember_s": list(e), "pytorch_s": list(t)}
                       for n, th, e, t in rows], out, indent=1)


if __name__ == "__main__":
    main()
