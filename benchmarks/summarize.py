#!/usr/bin/env python3
"""Summarizes Google Benchmark JSON files written by benchmarks/run.sh.

    summarize.py RESULT.json [RESULT.json ...]

Prints Markdown: the machine, then per program a table of each benchmark's
median, min and max over its repetitions, then the comparisons the benchmarks
exist for (ratios of medians) with their aims. Standard library only. The
machine's limits are read from limits.json beside the first file, when there.

Benchmark names follow `<op>/<variant>/<arg>:<value>/.../real_time`; a
comparison pairs two (op, variant) with the same arguments.
"""

import json
import os
import sys
from collections import OrderedDict

# (numerator, denominator, aim on numerator/denominator, what the aim means).
# Metrics are rates (GB/s, GFLOP/s), so higher ratios are better.
RATIO_CHECKS = [
    ("add/ember", "add/plain", 0.85, ">= 0.85 of a plain loop"),
    ("mul/ember", "mul/plain", 0.85, ">= 0.85 of a plain loop"),
    ("relu/ember", "relu/plain", 0.85, ">= 0.85 of a plain loop"),
    ("exp/ember", "exp/plain", 0.85, ">= 0.85 of a plain loop (scalar expf)"),
    ("add/ember", "memcpy/plain", None, "share of memcpy bandwidth"),
    ("mul/ember", "memcpy/plain", None, "share of memcpy bandwidth"),
    ("relu/ember", "memcpy/plain", None, "share of memcpy bandwidth"),
    ("exp/ember", "memcpy/plain", None, "share of memcpy bandwidth"),
    ("add/ember", "add/ember_out", 1 / 1.15,
     ">= 0.87: out-of-place time within 15% of writing into an existing output"),
    ("add/ember_out", "add/plain", None, "kernel alone vs a plain loop"),
    ("matmul/ember", "matmul/cblas_sgemm", 0.95, ">= 0.95 of direct sgemm"),
]

# (benchmark, required arguments, aim in ns): lower is better.
TIME_CHECKS = [
    ("mul/forward", {"n": "1"}, 500.0, "tiny op forward < 0.5 us"),
    ("mul/forward_backward", {"n": "1"}, 5000.0, "tiny op forward+backward < 5 us"),
]

NS_PER_UNIT = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}

# Repetitions may run shuffled, so tables are put back in a reading order:
# by arguments, then the references before ember's variants.
OP_ORDER = ["memcpy", "add", "mul", "relu", "exp", "matmul"]
VARIANT_ORDER = ["plain", "cblas_sgemm", "ember", "ember_out", "ember_inplace",
                 "forward", "forward_grad", "forward_backward"]


def reading_order(item):
    (key, args), _ = item
    op, _, variant = key.partition("/")
    arg_values = tuple(int(v) if v.isdigit() else 0 for _, v in args)

    def rank(order, name):
        return order.index(name) if name in order else len(order)

    return (arg_values, rank(OP_ORDER, op), op, rank(VARIANT_ORDER, variant), variant)


def parse_name(run_name):
    """'add/ember/threads:1/real_time' -> ('add/ember', (('threads', '1'),))."""
    parts = [p for p in run_name.split("/") if p not in ("real_time", "process_time")]
    key = "/".join(p for p in parts if ":" not in p)
    args = tuple(tuple(p.split(":", 1)) for p in parts if ":" in p)
    return key, args


def metric(row):
    """The figure a benchmark is judged by: (value, unit)."""
    if "GFLOP/s" in row:
        return row["GFLOP/s"], "GFLOP/s"
    if "bytes_per_second" in row:
        return row["bytes_per_second"] / 1e9, "GB/s"
    return row["real_time"] * NS_PER_UNIT[row.get("time_unit", "ns")], "ns"


def load(path):
    """Returns (context, OrderedDict[(key, args)] -> {stat: value, 'unit': u})."""
    with open(path) as f:
        data = json.load(f)
    results = OrderedDict()
    for row in data.get("benchmarks", []):
        if row.get("run_type") != "aggregate":
            continue
        stat = row.get("aggregate_name")
        if stat not in ("median", "min", "max"):
            continue
        key = parse_name(row["run_name"])
        value, unit = metric(row)
        entry = results.setdefault(key, {"unit": unit})
        entry[stat] = value
        entry["repetitions"] = row.get("repetitions")
    return data.get("context", {}), OrderedDict(sorted(results.items(), key=reading_order))


def load_limits(path):
    """The figures ember_limits --json saved beside the results, or None."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def fmt(value):
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def args_text(args):
    return " ".join(f"{k}={v}" for k, v in args)


def print_machine(contexts, limits):
    context = contexts[0]
    caches = ", ".join(
        f"L{c['level']} {c['type'][0].lower()} {c['size'] // 1024} KiB"
        + (f" x{c['num_sharing']}" if c.get("num_sharing", 0) > 1 else "")
        for c in context.get("caches", []))
    print("## Machine\n")
    print(f"- host: {context.get('host_name', '?')}, {context.get('num_cpus', '?')} CPUs "
          f"at {context.get('mhz_per_cpu', '?')} MHz; caches: {caches or '?'}")
    print(f"- load average at start: {context.get('load_avg', '?')}")
    print(f"- OpenBLAS kernels: {context.get('ember_blas_kernels', '?')} "
          f"(OPENBLAS_CORETYPE: {context.get('OPENBLAS_CORETYPE', '?')}); "
          f"ember SIMD: {context.get('ember_simd', '?')}")
    print(f"- Google Benchmark library build: {context.get('library_build_type', '?')}; "
          f"date: {context.get('date', '?')}")
    if limits:
        print(f"- limits (ember_limits, {limits['simd']} x{limits['simd_width_floats']}): "
              f"peak {limits['peak_gflops_one_core']:.1f} GFLOP/s on one core, "
              f"{limits['peak_gflops_all_cores']:.1f} on {limits['threads']} threads; "
              f"triad {limits['bandwidth_gbs_one_core']:.1f} GB/s on one core, "
              f"{limits['bandwidth_gbs_all_cores']:.1f} on {limits['threads']} threads")
    print()


def print_table(name, results):
    print(f"## {name}\n")
    print("| benchmark | args | unit | median | min | max |")
    print("|---|---|---|---:|---:|---:|")
    for (key, args), entry in results.items():
        print(f"| {key} | {args_text(args)} | {entry['unit']} | {fmt(entry.get('median'))} "
              f"| {fmt(entry.get('min'))} | {fmt(entry.get('max'))} |")
    print()


def print_checks(results):
    rows = []
    for numerator, denominator, aim, meaning in RATIO_CHECKS:
        for (key, args), entry in sorted(results.items(), key=reading_order):
            if key != numerator:
                continue
            other = results.get((denominator, args))
            if not other or not other.get("median") or entry.get("median") is None:
                continue
            ratio = entry["median"] / other["median"]
            verdict = "-" if aim is None else ("met" if ratio >= aim else "MISSED")
            rows.append((f"{numerator} / {denominator}", args_text(args), f"{ratio:.2f}",
                         meaning, verdict))
    for key_wanted, required, aim, meaning in TIME_CHECKS:
        for (key, args), entry in results.items():
            if key != key_wanted or any(dict(args).get(k) != v for k, v in required.items()):
                continue
            median = entry.get("median")
            if median is None:
                continue
            verdict = "met" if median <= aim else "MISSED"
            rows.append((key, args_text(args), f"{median:.0f} ns", meaning, verdict))
    if not rows:
        return
    print("## Comparisons (medians)\n")
    print("| comparison | args | value | aim | verdict |")
    print("|---|---|---:|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()


def main(paths):
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    contexts = []
    merged = OrderedDict()
    loaded = []
    for path in paths:
        context, results = load(path)
        contexts.append(context)
        loaded.append((path, results))
        merged.update(results)
    print_machine(contexts, load_limits(os.path.join(os.path.dirname(paths[0]), "limits.json")))
    for path, results in loaded:
        name = path.rsplit("/", 1)[-1].removesuffix(".json")
        print_table(name, results)
    print_checks(merged)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
