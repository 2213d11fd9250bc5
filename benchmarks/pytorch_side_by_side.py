#!/usr/bin/python3
"""Runs ember's benchmarks and the same workloads in PyTorch, side by side.

    benchmarks/pytorch_side_by_side.py [--threads 1,2,4] [--rounds 5] [--quick]
                                       [--filter REGEX] [--build build-bench] [--no-build]
                                       [--out benchmarks/results]

Needs Debian's python3-torch (PyTorch 1.13) and python3-matplotlib. Builds the
benchmark programs, ember_limits and ember_config in Release (in build-bench/,
as benchmarks/run.sh does) unless --no-build. For every workload and thread
count the two sides alternate, one measurement each per round, so both sample
the same stretches of a noisy machine. PyTorch's thread count bounds its
OpenBLAS pool too, so both sides run every GEMM on the same number of threads.

Prints one table: ember's and PyTorch's median time with min and max over the
rounds, the ratio PyTorch / ember (above 1: ember is faster), and the share of
the machine's limit each side reaches. The limit is a roofline: a workload's
FLOPs at the peak FMA rate or its bytes at the triad bandwidth, whichever takes
longer, both measured by ember_limits on the same thread count; FLOPs and bytes
come from the ember benchmark's counters, so both sides are held to the same
work. Then a thread-scaling table (each side's speed-up from 1 thread to each
other count). Writes side_by_side.md (the tables and the machine), .json and a
PNG bar chart of the ratios into --out.

Thread counts default to 1, 2 and every core. Both sides run the same OpenBLAS
kernels: when Debian's OpenBLAS would fall back to its generic kernels on this
CPU, OPENBLAS_CORETYPE is set (as ember's programs do for themselves) before
PyTorch loads. --quick is a smoke run: 2 rounds of short measurements.
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Imported in main(), after OPENBLAS_CORETYPE is settled: OpenBLAS reads it
# once, when PyTorch loads it.
torch = None
F = None


# ---- the PyTorch side: one factory per ember benchmark name ----
# Each factory builds its tensors once and returns the function to time.
# Upstream gradients are made once, as the ember benchmarks make theirs.

def elementwise_case(kind):
    def make():
        generator = torch.Generator().manual_seed(42)
        a = torch.randn(16 * 1024 * 1024, generator=generator)
        b = torch.randn(16 * 1024 * 1024, generator=generator)
        return {"add": lambda: torch.add(a, b), "mul": lambda: torch.mul(a, b),
                "relu": lambda: torch.relu(a), "exp": lambda: torch.exp(a)}[kind]
    return make


def reduce_case(kind):
    def make():
        x = torch.randn(4096, 4096, generator=torch.Generator().manual_seed(9))
        return {"sum/all": lambda: x.sum(), "sum/dim1": lambda: x.sum(1),
                "sum/dim0": lambda: x.sum(0)}[kind]
    return make


def matmul_case(n):
    def make():
        generator = torch.Generator().manual_seed(7)
        a = torch.randn(n, n, generator=generator)
        b = torch.randn(n, n, generator=generator)
        return lambda: torch.matmul(a, b)
    return make


def conv_case(x_shape, w_shape, stride, padding, backward):
    dims = len(x_shape) - 2

    def make():
        conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[dims]
        x = torch.randn(x_shape, requires_grad=backward)
        w = torch.randn(w_shape, requires_grad=backward)
        b = torch.randn(w_shape[0], requires_grad=backward)
        if not backward:
            def run():
                with torch.no_grad():
                    conv(x, w, b, stride=stride, padding=padding)
            return run

        with torch.no_grad():
            upstream = torch.ones_like(conv(x, w, b, stride=stride, padding=padding))

        def run():
            conv(x, w, b, stride=stride, padding=padding).backward(upstream)
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

        upstream = torch.randn(64, 32, 14, 14)

        def run():
            F.max_pool2d(x, 2).backward(upstream)
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


def softmax_case(backward):
    def make():
        generator = torch.Generator().manual_seed(12)
        x = torch.randn(4096, 1000, generator=generator) * 3
        upstream = torch.randn(4096, 1000, generator=generator)
        if not backward:
            def run():
                with torch.no_grad():
                    F.softmax(x, 1)
            return run

        def run():
            leaf = x.detach().requires_grad_()
            F.softmax(leaf, 1).backward(upstream)
        return run
    return make


def norm_case(kind):
    def make():
        backward = kind.endswith("backward")
        if kind.startswith("dropout"):
            x = torch.randn(16 * 1024 * 1024, requires_grad=backward)
            if not backward:
                def run():
                    with torch.no_grad():
                        F.dropout(x, 0.5, True)
                return run
            upstream = torch.randn(16 * 1024 * 1024)

            def run():
                F.dropout(x, 0.5, True).backward(upstream)
                x.grad = None
            return run

        if kind.startswith("layer_norm"):
            x = torch.randn(8192, 1024, requires_grad=backward)
            weight = torch.randn(1024, requires_grad=backward)
            bias = torch.randn(1024, requires_grad=backward)
            if not backward:
                def run():
                    with torch.no_grad():
                        F.layer_norm(x, (1024,), weight, bias)
                return run
            upstream = torch.randn(8192, 1024)

            def run():
                F.layer_norm(x, (1024,), weight, bias).backward(upstream)
                x.grad = weight.grad = bias.grad = None
            return run

        x = torch.randn(64, 64, 28, 28, requires_grad=backward)
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
            upstream = torch.randn(64, 64, 28, 28)

            def run():
                F.batch_norm(x, mean, var, weight, bias, True).backward(upstream)
                x.grad = weight.grad = bias.grad = None
        return run
    return make


# PyTorch's defaults (foreach unset: 1.13 then takes the per-tensor loop), as
# bench_optim.cpp's workloads.
OPTIMIZERS = {
    "sgd": lambda params: torch.optim.SGD(params, lr=0.01),
    "sgd_momentum": lambda params: torch.optim.SGD(params, lr=0.01, momentum=0.9),
    "adagrad": lambda params: torch.optim.Adagrad(params),
    "adadelta": lambda params: torch.optim.Adadelta(params),
    "rmsprop": lambda params: torch.optim.RMSprop(params),
    "adam": lambda params: torch.optim.Adam(params),
    "adamw": lambda params: torch.optim.AdamW(params),
    "nadam": lambda params: torch.optim.NAdam(params),
    "radam": lambda params: torch.optim.RAdam(params),
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


def make_model(kind):
    """bench_training_step.cpp's models: the MLP, or the CNN of fashion_mnist."""
    nn = torch.nn
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256),
                             nn.ReLU(), nn.Linear(256, 10))
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Dropout(0.25), nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, 10))


def train_step_case(kind):
    """zero_grad, forward, cross_entropy, backward, Adam step at batch 64."""
    def make():
        torch.manual_seed(0)
        model = make_model(kind)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        generator = torch.Generator().manual_seed(13)
        images = torch.randn(64, 1, 28, 28, generator=generator)
        labels = torch.randint(0, 10, (64,), generator=generator)

        def run():
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(model(images), labels).backward()
            optimizer.step()
        return run
    return make


# ember benchmark name -> (program, PyTorch factory), in the order of the table.
WORKLOADS = {}
for kind in ("add", "mul", "relu", "exp"):
    WORKLOADS[kind + "/ember"] = ("elementwise", elementwise_case(kind))
for kind in ("sum/all", "sum/dim1", "sum/dim0"):
    WORKLOADS[kind] = ("reduce", reduce_case(kind))
for n in (256, 512, 1024, 2048):
    WORKLOADS["matmul/ember/n:%d" % n] = ("matmul", matmul_case(n))
for name, (x_shape, w_shape, stride, padding) in CONV_WORKLOADS.items():
    WORKLOADS[name + "/forward"] = ("conv", conv_case(x_shape, w_shape, stride, padding, False))
    WORKLOADS[name + "/forward_backward"] = (
        "conv", conv_case(x_shape, w_shape, stride, padding, True))
WORKLOADS["max_pool2d/forward"] = ("pooling", max_pool_case(False))
WORKLOADS["max_pool2d/forward_backward"] = ("pooling", max_pool_case(True))
for kind in ("batch_norm/forward", "batch_norm/forward_backward", "batch_norm/eval_forward",
             "layer_norm/forward", "layer_norm/forward_backward",
             "dropout/forward", "dropout/forward_backward"):
    WORKLOADS[kind] = ("norm", norm_case(kind))
WORKLOADS["softmax/forward"] = ("softmax", softmax_case(False))
WORKLOADS["softmax/forward_backward"] = ("softmax", softmax_case(True))
for kind in ("log_softmax/forward", "log_softmax_nll/forward",
             "log_softmax_nll/forward_backward", "cross_entropy/forward_backward"):
    WORKLOADS[kind] = ("loss", loss_case(kind))
for name in OPTIMIZERS:
    WORKLOADS["optim/" + name] = ("optim", optim_case(name))
WORKLOADS["mlp/train_step"] = ("training_step", train_step_case("mlp"))
WORKLOADS["cnn/train_step"] = ("training_step", train_step_case("cnn"))


# ---- building and the machine ----

def build_programs(build):
    programs = sorted({program for program, _ in WORKLOADS.values()})
    subprocess.run(["cmake", "-S", REPO, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                    "-DEMBER_BUILD_BENCHMARKS=ON", "-DEMBER_BUILD_TESTS=OFF",
                    "-DEMBER_BUILD_EXAMPLES=ON"], check=True, stdout=subprocess.DEVNULL)
    targets = ["bench_" + p for p in programs] + ["ember_limits", "ember_config"]
    subprocess.run(["cmake", "--build", build, "-j", str(os.cpu_count() or 1),
                    "--target"] + targets, check=True, stdout=subprocess.DEVNULL)


def settle_blas_kernels(build):
    """Sets OPENBLAS_CORETYPE for both sides where Debian's OpenBLAS would pick
    its generic kernels (ember's programs would otherwise set it for themselves
    only). Returns the kernel set ember reports."""
    config = os.path.join(build, "examples", "ember_config")
    if "OPENBLAS_CORETYPE" not in os.environ:
        wanted = subprocess.run([config, "--blas-coretype"], check=True, capture_output=True,
                                text=True).stdout.strip()
        if wanted:
            os.environ["OPENBLAS_CORETYPE"] = wanted
    summary = subprocess.run([config], check=True, capture_output=True, text=True).stdout
    found = re.search(r"BLAS kernels: (.*)", summary)
    return found.group(1).strip() if found else "?"


def measure_limits(build, threads):
    """ember_limits --json on `threads` threads (its all-cores figures)."""
    result = subprocess.run([os.path.join(build, "examples", "ember_limits"), "--json",
                             "--threads", str(threads)], capture_output=True, text=True)
    if not result.stdout.strip():
        sys.exit("ember_limits failed:\n" + result.stderr)
    limits = json.loads(result.stdout)
    if limits["threads"] < threads:
        print("warning: only %d of %d threads ran at once while measuring the limits"
              % (limits["threads"], threads), file=sys.stderr)
    return limits


def set_pytorch_blas_threads(threads):
    """Bounds OpenBLAS's own thread pool in this process. Debian's PyTorch calls
    the pthread build of OpenBLAS for its GEMMs, whose pool torch.set_num_threads
    does not reach: without this, PyTorch's "1 thread" matmuls and linear layers
    run on every core. Returns False when no OpenBLAS is loaded."""
    import ctypes
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "libopenblas" in line}
    for path in paths:
        ctypes.CDLL(path).openblas_set_num_threads(ctypes.c_int(threads))
    return bool(paths)


def label(name):
    """A workload's name for the tables: the ember benchmark's name, shortened."""
    return name.replace("/ember", "").replace("/n:", " n=")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            found = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.MULTILINE)
            return found.group(1).strip() if found else platform.processor()
    except OSError:
        return platform.processor() or "?"


# ---- timing ----

def time_pytorch(run, min_seconds):
    """Seconds per call: repeats until min_seconds have passed, after a warm-up."""
    run()
    calls, start = 0, time.perf_counter()
    while True:
        run()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return elapsed / calls


def time_ember(build, program, name, threads, min_seconds, thread_list):
    """Seconds per iteration of one ember benchmark, from one short run, and
    its per-call counters (flops, bytes; absent where not defined)."""
    binary = os.path.join(build, "benchmarks", "bench_" + program)
    pattern = "^" + re.escape(name) + "/threads:" + str(threads) + "/real_time$"
    env = dict(os.environ, EMBER_BENCH_THREADS=thread_list)
    output = subprocess.run(
        [binary, "--benchmark_filter=" + pattern, "--benchmark_min_time=%g" % min_seconds,
         "--benchmark_format=json"],
        check=True, capture_output=True, text=True, env=env).stdout
    runs = [b for b in json.loads(output)["benchmarks"] if b.get("run_type") == "iteration"]
    if not runs:
        raise SystemExit("no ember benchmark matched " + pattern + " in " + binary)
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[runs[0]["time_unit"]]
    work = {key: runs[0][key] for key in ("flops", "bytes") if key in runs[0]}
    return runs[0]["real_time"] * scale, work


def summary(values):
    return statistics.median(values), min(values), max(values)


# ---- reading the figures ----

def roofline(work, limits):
    """(which limit binds, seconds at that limit) for one call's work."""
    flop_seconds = work.get("flops", 0) / (limits["peak_gflops_all_cores"] * 1e9)
    byte_seconds = work.get("bytes", 0) / (limits["bandwidth_gbs_all_cores"] * 1e9)
    if flop_seconds >= byte_seconds:
        return "FLOP", flop_seconds
    return "memory", byte_seconds


def fmt_ms(seconds):
    """Three significant digits, in ms."""
    ms = seconds * 1e3
    for floor, digits in ((100, 0), (10, 1), (1, 2)):
        if ms >= floor:
            return "%.*f" % (digits, ms)
    return "%.3f" % ms


def fmt_times(values):
    median, low, high = summary(values)
    return "%s (%s–%s)" % (fmt_ms(median), fmt_ms(low), fmt_ms(high))


def comparison_table(rows, limits_by_threads):
    lines = ["| workload | threads | ember ms (min–max) | PyTorch ms (min–max) "
             "| PyTorch / ember | bound | ember % of limit | PyTorch % of limit |",
             "|---|---:|---:|---:|---:|---|---:|---:|"]
    for row in rows:
        ember, pytorch = statistics.median(row["ember_s"]), statistics.median(row["pytorch_s"])
        bound, limit_seconds = roofline(row["work"], limits_by_threads[row["threads"]])
        shares = ["%.0f%%" % (100 * limit_seconds / seconds) for seconds in (ember, pytorch)]
        if limit_seconds == 0:
            bound, shares = "-", ["-", "-"]
        lines.append("| %s | %d | %s | %s | %.2f | %s | %s | %s |"
                     % (label(row["workload"]), row["threads"], fmt_times(row["ember_s"]),
                        fmt_times(row["pytorch_s"]), pytorch / ember, bound, *shares))
    return "\n".join(lines)


def scaling_table(rows, thread_counts):
    """Each side's speed-up from 1 thread to every other count (median times)."""
    others = [t for t in thread_counts if t != 1]
    if 1 not in thread_counts or not others:
        return ""
    median = {(r["workload"], r["threads"]): (statistics.median(r["ember_s"]),
                                              statistics.median(r["pytorch_s"])) for r in rows}
    header = "| workload |" + "".join(" ember 1→%d | PyTorch 1→%d |" % (t, t) for t in others)
    lines = [header, "|---|" + "---:|---:|" * len(others)]
    for workload in dict.fromkeys(r["workload"] for r in rows):
        if (workload, 1) not in median:
            continue
        one = median[(workload, 1)]
        cells = []
        for t in others:
            if (workload, t) in median:
                many = median[(workload, t)]
                cells += ["%.2f" % (one[0] / many[0]), "%.2f" % (one[1] / many[1])]
            else:
                cells += ["-", "-"]
        lines.append("| %s | %s |" % (label(workload), " | ".join(cells)))
    return "\n".join(lines)


def machine_text(blas_kernels, limits_by_threads):
    lines = ["- CPU: %s, %d logical cores; OpenBLAS kernels: %s (OPENBLAS_CORETYPE: %s)"
             % (cpu_model(), os.cpu_count() or 0, blas_kernels,
                os.environ.get("OPENBLAS_CORETYPE", "unset")),
             "- PyTorch %s; load average at the start: %.2f"
             % (torch.__version__, os.getloadavg()[0])]
    for threads, limits in sorted(limits_by_threads.items()):
        lines.append("- limits on %d thread(s) (ember_limits, %s, %d float lanes): "
                     "peak FMA %.1f GFLOP/s (one core %.1f), triad %.1f GB/s (one core %.1f)"
                     % (threads, limits["simd"], limits["simd_width_floats"],
                        limits["peak_gflops_all_cores"], limits["peak_gflops_one_core"],
                        limits["bandwidth_gbs_all_cores"], limits["bandwidth_gbs_one_core"]))
    return "\n".join(lines)


def draw_chart(rows, thread_counts, path, title):
    """Horizontal bars of PyTorch / ember per workload, one colour per thread count."""
    import matplotlib
    import matplotlib.ticker
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    workloads = list(dict.fromkeys(r["workload"] for r in rows))
    ratio = {(r["workload"], r["threads"]):
             statistics.median(r["pytorch_s"]) / statistics.median(r["ember_s"]) for r in rows}
    height = 0.8 / len(thread_counts)
    figure, axes = plt.subplots(figsize=(9.0, 1.2 + 0.2 * len(workloads) * len(thread_counts)))
    for k, threads in enumerate(thread_counts):
        ys = [i + k * height for i, w in enumerate(workloads) if (w, threads) in ratio]
        xs = [ratio[(w, threads)] for w in workloads if (w, threads) in ratio]
        axes.barh(ys, xs, height=height, label="%d thread%s" % (threads, "s" * (threads > 1)))
    axes.axvline(1.0, color="black", linewidth=0.8)
    axes.set_xscale("log")
    axes.set_yticks([i + 0.4 - height / 2 for i in range(len(workloads))])
    axes.set_yticklabels([label(w) for w in workloads], fontsize=9)
    axes.invert_yaxis()
    axes.set_xlabel("PyTorch time / ember time (log scale; right of 1: ember faster)")
    axes.set_title(title, fontsize=10)
    ticks = [t for t in (0.25, 0.5, 1, 2, 4, 8, 16, 32) if min(ratio.values()) / 1.5 <= t
             <= max(ratio.values()) * 1.5]
    axes.set_xticks(ticks)
    axes.set_xticklabels(["%g" % t for t in ticks])
    axes.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    axes.legend(fontsize=8, loc="lower right")
    axes.grid(axis="x", which="both", linewidth=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def main():
    global torch, F
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default=",".join(str(t) for t in
                                                      dict.fromkeys([1, min(2, cores), cores])))
    parser.add_argument("--rounds", type=int, default=None, help="default 5, --quick 2")
    parser.add_argument("--quick", action="store_true", help="smoke run: short and 2 rounds")
    parser.add_argument("--filter", default="")
    parser.add_argument("--build", default=os.path.join(REPO, "build-bench"))
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--out", default=os.path.join(REPO, "benchmarks", "results"))
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 5)
    min_seconds = 0.05 if args.quick else 0.3
    thread_counts = [int(t) for t in args.threads.split(",")]
    started = time.time()

    if not args.no_build:
        build_programs(args.build)
    blas_kernels = settle_blas_kernels(args.build)
    import torch as torch_module
    import torch.nn.functional as functional
    torch, F = torch_module, functional
    limits_by_threads = {t: measure_limits(args.build, t) for t in thread_counts}
    print(machine_text(blas_kernels, limits_by_threads), file=sys.stderr)

    rows = []
    for threads in thread_counts:
        torch.set_num_threads(threads)
        if not set_pytorch_blas_threads(threads):
            print("warning: no OpenBLAS loaded by PyTorch; its GEMM threads are not bounded",
                  file=sys.stderr)
        for name, (program, factory) in WORKLOADS.items():
            if args.filter and not re.search(args.filter, name):
                continue
            torch.manual_seed(0)
            run = factory()
            ember_times, torch_times, work = [], [], {}
            for _ in range(rounds):
                seconds, work = time_ember(args.build, program, name, threads, min_seconds,
                                           args.threads)
                ember_times.append(seconds)
                torch_times.append(time_pytorch(run, min_seconds))
            del run
            rows.append({"workload": name, "threads": threads, "ember_s": ember_times,
                         "pytorch_s": torch_times, "work": work})
            e, t = statistics.median(ember_times), statistics.median(torch_times)
            print("%-40s threads=%d  ember %9.3f ms  pytorch %9.3f ms  ratio %.2f"
                  % (label(name), threads, e * 1e3, t * 1e3, t / e), file=sys.stderr, flush=True)
    order = list(WORKLOADS)
    rows.sort(key=lambda r: (order.index(r["workload"]), r["threads"]))
    minutes = (time.time() - started) / 60

    report = "\n\n".join(part for part in [
        machine_text(blas_kernels, limits_by_threads)
        + "\n- %d rounds per row, %s; the whole run took %.1f min (%s)"
        % (rounds, "quick" if args.quick else "full", minutes, time.strftime("%Y-%m-%d")),
        comparison_table(rows, limits_by_threads),
        scaling_table(rows, thread_counts)] if part)
    print(report)

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "side_by_side.md"), "w") as out:
        out.write(report + "\n")
    with open(os.path.join(args.out, "side_by_side.json"), "w") as out:
        json.dump({"limits": limits_by_threads, "blas_kernels": blas_kernels,
                   "rows": rows, "minutes": minutes}, out, indent=1)
    draw_chart(rows, thread_counts, os.path.join(args.out, "side_by_side.png"),
               "ember beside PyTorch %s, %s (%s)"
               % (torch.__version__, cpu_model(), time.strftime("%Y-%m-%d")))
    print("(tables, JSON and chart saved in %s; %.1f min)" % (args.out, minutes), file=sys.stderr)


if __name__ == "__main__":
    main()
