#!/usr/bin/python3
"""Writes PyTorch reference values for ember's pooling ops.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tools/make_pooling_fixtures.py
It rewrites tests/fixtures/pooling.txt, which tests/parity/test_pooling_parity.cpp
reads. The record format and the input helpers (R, V, Spec, case) are those of
tools/make_fixtures.py; each case is seeded by its own name, so adding one never
changes another.

Ops: max_pool1d/2d/3d, max_pool1d/2d/3d_with_indices (out0 values, out1 int64
indices), avg_pool1d/2d/3d, adaptive_avg_pool1d/2d/3d, adaptive_max_pool2d and
adaptive_max_pool2d_with_indices. Input in0 only.
Params (absent means PyTorch's default): kernel_size, stride, padding, dilation,
ceil_mode, count_include_pad, divisor_override, output_size (adaptive ops), and
channels_last 1 when the input is stored channels-last (ember rebuilds that
layout from the logical values, so the test runs on the same memory order).
"""

import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402  (the shared record writer)

GROUP = "pooling"
R, V = mf.R, mf.V

# float64 pins the arithmetic; a few cases repeat in float32 for the dtype path.
BOTH = ("f32", "f64")
F64 = ("f64",)
NAN = float("nan")


def CL(*shape):
    """Standard normal values stored channels-last ([N, *spatial, C] in memory)."""
    layout = torch.channels_last if len(shape) == 4 else torch.channels_last_3d

    def make(g):
        x = torch.randn(shape, generator=g, dtype=torch.float64)
        return x.contiguous(memory_format=layout)
    return mf.Spec(make)


def Q(*shape):
    """Small whole numbers: many ties."""
    def make(g):
        return torch.round(2 * torch.randn(shape, generator=g, dtype=torch.float64))
    return mf.Spec(make)


def QN(*shape):
    """Q with a NaN at every 23rd element."""
    def make(g):
        x = torch.round(2 * torch.randn(shape, generator=g, dtype=torch.float64))
        x.view(-1)[5::23] = NAN
        return x
    return mf.Spec(make)


MAX = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
AVG = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}
ADAPTIVE_AVG = {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}


def params_of(options, channels_last):
    params = {k: v for k, v in options.items() if v is not None}
    if channels_last:
        params["channels_last"] = 1
    return params


def max_pool(name, dims, x, indices=False, dtypes=F64, gradcheck=True, channels_last=False,
             **options):
    """A max_pool{dims}d case; `options` are F.max_pool*d keyword arguments."""
    op = f"max_pool{dims}d" + ("_with_indices" if indices else "")

    def fn(x):
        result = MAX[dims](x, return_indices=indices, **options)
        return tuple(result) if indices else result
    mf.case(GROUP, name, op, [x], fn, params_of(options, channels_last), gradcheck=gradcheck,
            dtypes=dtypes)


def avg_pool(name, dims, x, dtypes=F64, channels_last=False, **options):
    """An avg_pool{dims}d case; `options` are F.avg_pool*d keyword arguments."""
    def fn(x):
        return AVG[dims](x, **options)
    mf.case(GROUP, name, f"avg_pool{dims}d", [x], fn, params_of(options, channels_last),
            dtypes=dtypes)


def adaptive_avg(name, dims, x, output_size, dtypes=F64):
    def fn(x):
        return ADAPTIVE_AVG[dims](x, output_size)
    mf.case(GROUP, name, f"adaptive_avg_pool{dims}d", [x], fn, {"output_size": output_size},
            dtypes=dtypes)


def adaptive_max(name, x, output_size, indices=False, dtypes=F64, gradcheck=True):
    op = "adaptive_max_pool2d" + ("_with_indices" if indices else "")

    def fn(x):
        result = F.adaptive_max_pool2d(x, output_size, return_indices=indices)
        return tuple(result) if indices else result
    mf.case(GROUP, name, op, [x], fn, {"output_size": output_size}, gradcheck=gradcheck,
            dtypes=dtypes)


def max_cases():
    max_pool("max_pool1d_k2", 1, R(2, 3, 8), kernel_size=2, dtypes=BOTH)
    # ceil_mode adds a window, then PyTorch's rule drops it again: it would
    # start past the input and its left padding.
    max_pool("max_pool1d_ceil_last_window_dropped", 1, R(1, 2, 5), indices=True, kernel_size=2,
             stride=2, padding=1, ceil_mode=True)
    max_pool("max_pool1d_ceil_partial_window", 1, R(1, 2, 8), indices=True, kernel_size=3,
             stride=2, ceil_mode=True)
    max_pool("max_pool1d_dilation2_pad1", 1, R(2, 2, 9), indices=True, kernel_size=3,
             padding=1, dilation=2)
    max_pool("max_pool1d_unbatched", 1, R(3, 7), kernel_size=3, stride=1)
    # Ties go to the first maximum in the window; overlapping windows sum.
    max_pool("max_pool1d_ties", 1, V([2., 2., 3., 3., 0., 3., -1., -1.], (1, 1, 8)),
             indices=True, gradcheck=False, kernel_size=3, stride=1, padding=1)
    # A NaN replaces the running maximum wherever it appears.
    max_pool("max_pool1d_nan", 1, V([1., NAN, 3., NAN, 0., 5., 2., NAN], (1, 1, 8)),
             indices=True, gradcheck=False, kernel_size=5, stride=3, padding=2)

    max_pool("max_pool2d_k2", 2, R(2, 2, 4, 6), indices=True, kernel_size=2, dtypes=BOTH)
    max_pool("max_pool2d_k3_s2_p1_ceil", 2, R(1, 2, 7, 8), indices=True, kernel_size=3,
             stride=2, padding=1, ceil_mode=True, dtypes=BOTH)
    max_pool("max_pool2d_stride_above_kernel", 2, R(1, 2, 8, 7), kernel_size=2, stride=3)
    max_pool("max_pool2d_dilation_per_dim", 2, R(1, 2, 7, 6), indices=True,
             kernel_size=(3, 2), stride=(1, 2), padding=(1, 0), dilation=(2, 1))
    max_pool("max_pool2d_dilation2_ceil", 2, R(1, 1, 8, 9), kernel_size=3, stride=2,
             padding=1, dilation=2, ceil_mode=True)
    max_pool("max_pool2d_noncontiguous", 2, R(1, 2, 5, 6).t(), kernel_size=(2, 3),
             stride=(2, 1))
    max_pool("max_pool2d_channels_last", 2, CL(2, 3, 5, 4), channels_last=True, kernel_size=3,
             stride=2, padding=1)
    max_pool("max_pool2d_unbatched", 2, R(2, 5, 5), indices=True, kernel_size=2, stride=1)
    max_pool("max_pool2d_batch1_kernel1", 2, R(1, 2, 3, 4), kernel_size=1, stride=2)
    max_pool("max_pool2d_ties_overlapping", 2,
             V([1., 1., 0., 1., 1., 0., 0., 0., 2.], (1, 1, 3, 3)), indices=True,
             gradcheck=False, kernel_size=2, stride=1)

    max_pool("max_pool3d_k2", 3, R(1, 2, 4, 4, 4), indices=True, kernel_size=2, dtypes=BOTH)
    max_pool("max_pool3d_mixed_options", 3, R(1, 1, 5, 6, 7), indices=True,
             kernel_size=(2, 3, 2), stride=(1, 2, 2), padding=(1, 1, 0), dilation=(1, 1, 2),
             ceil_mode=True)
    max_pool("max_pool3d_unbatched_stride_above_kernel", 3, R(1, 5, 4, 6), kernel_size=(1, 2, 2),
             stride=3)


def wide_cases():
    # Rows wide enough for the vectorized row path (and its remainders), with
    # ties and NaN inside it.
    max_pool("max_pool1d_wide_ties_stride1", 1, Q(1, 1, 40), indices=True, gradcheck=False,
             kernel_size=3, stride=1, padding=1)
    max_pool("max_pool2d_wide_ties_stride2", 2, Q(1, 2, 4, 37), indices=True, gradcheck=False,
             kernel_size=2, dtypes=BOTH)
    max_pool("max_pool2d_wide_ties_stride3_dilation", 2, Q(1, 1, 5, 50), indices=True,
             gradcheck=False, kernel_size=(2, 3), stride=(1, 3), padding=(0, 1),
             dilation=(1, 2))
    max_pool("max_pool2d_wide_nan", 2, QN(1, 1, 3, 41), indices=True, gradcheck=False,
             kernel_size=3, stride=1, padding=1, dtypes=BOTH)
    max_pool("max_pool3d_wide_ties", 3, Q(1, 1, 3, 2, 30), indices=True, gradcheck=False,
             kernel_size=2, stride=(1, 1, 2))
    avg_pool("avg_pool2d_wide_stride1", 2, R(1, 1, 2, 40), kernel_size=3, stride=1, padding=1,
             dtypes=BOTH)
    avg_pool("avg_pool2d_wide_stride3_exclude_pad", 2, R(1, 1, 3, 44), kernel_size=(2, 4),
             stride=(2, 3), padding=(1, 2), ceil_mode=True, count_include_pad=False)


def avg_cases():
    avg_pool("avg_pool1d_k3_s2_p1", 1, R(2, 2, 9), kernel_size=3, stride=2, padding=1,
             dtypes=BOTH)
    avg_pool("avg_pool1d_exclude_pad_ceil", 1, R(1, 2, 8), kernel_size=3, stride=2,
             padding=1, ceil_mode=True, count_include_pad=False)
    avg_pool("avg_pool1d_ceil_include_pad", 1, R(1, 2, 8), kernel_size=3, stride=2,
             padding=1, ceil_mode=True)
    avg_pool("avg_pool1d_unbatched", 1, R(3, 6), kernel_size=2)

    avg_pool("avg_pool2d_k2", 2, R(2, 2, 4, 6), kernel_size=2, dtypes=BOTH)
    avg_pool("avg_pool2d_k3_s2_p1_ceil_include_pad", 2, R(1, 2, 6, 7), kernel_size=3,
             stride=2, padding=1, ceil_mode=True)
    avg_pool("avg_pool2d_k3_s2_p1_ceil_exclude_pad", 2, R(1, 2, 6, 7), kernel_size=3,
             stride=2, padding=1, ceil_mode=True, count_include_pad=False, dtypes=BOTH)
    avg_pool("avg_pool2d_divisor_override", 2, R(1, 2, 5, 5), kernel_size=(3, 2),
             stride=(2, 1), padding=(1, 1), divisor_override=3)
    avg_pool("avg_pool2d_stride_above_kernel", 2, R(1, 2, 8, 7), kernel_size=2, stride=3)
    avg_pool("avg_pool2d_noncontiguous", 2, R(1, 2, 5, 6).t(), kernel_size=(2, 3),
             stride=(1, 2), padding=(1, 1))
    avg_pool("avg_pool2d_channels_last", 2, CL(1, 3, 5, 5), channels_last=True, kernel_size=3,
             stride=2, padding=1, count_include_pad=False)
    avg_pool("avg_pool2d_unbatched", 2, R(2, 5, 4), kernel_size=2, stride=1)

    avg_pool("avg_pool3d_mixed_options", 3, R(1, 1, 5, 6, 5), kernel_size=(2, 3, 3),
             stride=(2, 2, 1), padding=(1, 1, 0), ceil_mode=True, count_include_pad=False)
    avg_pool("avg_pool3d_divisor_override", 3, R(1, 1, 4, 4, 5), kernel_size=2, padding=1,
             divisor_override=5)
    avg_pool("avg_pool3d_ceil_include_pad", 3, R(1, 1, 5, 4, 5), kernel_size=3, stride=2,
             padding=1, ceil_mode=True)


def adaptive_cases():
    adaptive_avg("adaptive_avg_pool1d_non_divisible", 1, R(2, 3, 10), 4, dtypes=BOTH)
    adaptive_avg("adaptive_avg_pool1d_larger_than_input", 1, R(1, 2, 5), 8)
    adaptive_avg("adaptive_avg_pool2d_non_divisible", 2, R(2, 1, 7, 9), (3, 4), dtypes=BOTH)
    adaptive_avg("adaptive_avg_pool2d_mixed_up_down", 2, R(1, 1, 5, 11), (7, 2))
    adaptive_avg("adaptive_avg_pool2d_global", 2, R(2, 2, 4, 5), 1)
    adaptive_avg("adaptive_avg_pool2d_unbatched", 2, R(2, 6, 5), (4, 3))
    adaptive_avg("adaptive_avg_pool3d_non_divisible", 3, R(1, 1, 4, 7, 5), (2, 3, 4))

    adaptive_max("adaptive_max_pool2d_non_divisible", R(2, 1, 7, 9), (3, 4), indices=True,
                 dtypes=BOTH)
    adaptive_max("adaptive_max_pool2d_larger_than_input", R(1, 2, 3, 4), (5, 6), indices=True)
    adaptive_max("adaptive_max_pool2d_unbatched", R(3, 5, 5), 2)
    adaptive_max("adaptive_max_pool2d_ties", V([1., 3., 3., 0., 3., 1., 2., 2., 2.],
                                               (1, 1, 3, 3)), (2, 2), indices=True,
                 gradcheck=False)


def main():
    torch.set_num_threads(1)
    max_cases()
    wide_cases()
    avg_cases()
    adaptive_cases()
    path = os.path.join(mf.OUT_DIR, f"{GROUP}.txt")
    records = mf.groups[GROUP]
    with open(path, "w") as out:
        out.write(f"# ember parity fixtures: {GROUP}. Written by tools/make_pooling_fixtures.py "
                  f"with torch {torch.__version__}; do not edit.\n")
        out.write("\n".join(records) + "\n")
    print(f"{path}: {len(records)} cases, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
