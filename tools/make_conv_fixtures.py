#!/usr/bin/python3
"""Writes PyTorch reference values for ember's convolutions.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tools/make_conv_fixtures.py
It rewrites tests/fixtures/conv.txt, which tests/parity/test_conv_parity.cpp reads.
The record format and the input helpers (R, Spec, case) are those of
tools/make_fixtures.py; each case is seeded by its own name, so adding one never
changes another.

Ops: conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d.
Inputs: in0 the input, in1 the weight, in2 the bias (when the case has one).
Params (absent means PyTorch's default): stride, padding (sizes, or the word
same / valid), dilation, groups, output_padding (transposed only), and
channels_last 1 when the input is stored channels-last (ember rebuilds that
layout from the logical values, so the test runs on the same memory order).
"""

import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402  (the shared record writer)

GROUP = "conv"
R = mf.R

# Only a few cases repeat in float32: float64 pins the arithmetic, float32 the
# dtype path, and the file stays small.
BOTH = ("f32", "f64")
F64 = ("f64",)


def CL(*shape):
    """Standard normal values stored channels-last ([N, *spatial, C] in memory)."""
    layout = torch.channels_last if len(shape) == 4 else torch.channels_last_3d

    def make(g):
        x = torch.randn(shape, generator=g, dtype=torch.float64)
        return x.contiguous(memory_format=layout)
    return mf.Spec(make)


CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def conv(name, dims, x, w, bias=False, dtypes=F64, channels_last=False, **options):
    """A conv{dims}d case; `options` are F.conv*d keyword arguments."""
    out_channels = w.make(torch.Generator()).shape[0]
    inputs = [x, w] + ([R(out_channels)] if bias else [])
    params = dict(options)
    if channels_last:
        params["channels_last"] = 1

    def fn(x, w, b=None):
        return CONV[dims](x, w, b, **options)
    mf.case(GROUP, name, f"conv{dims}d", inputs, fn, params, dtypes=dtypes)


def conv_t(name, dims, x, w, bias=False, dtypes=F64, **options):
    """A conv_transpose{dims}d case; `options` are F.conv_transpose*d keywords."""
    weight_shape = w.make(torch.Generator()).shape
    out_channels = weight_shape[1] * options.get("groups", 1)
    inputs = [x, w] + ([R(out_channels)] if bias else [])

    def fn(x, w, b=None):
        return CONV_T[dims](x, w, b, **options)
    mf.case(GROUP, name, f"conv_transpose{dims}d", inputs, fn, dict(options), dtypes=dtypes)


def cases():
    conv("conv1d_bias", 1, R(2, 3, 8), R(4, 3, 3), bias=True, dtypes=BOTH)
    conv("conv1d_stride2_pad1_dilation2_groups2", 1, R(2, 4, 9), R(6, 2, 3), stride=2,
         padding=1, dilation=2, groups=2)
    conv("conv1d_same_even_kernel", 1, R(1, 2, 7), R(3, 2, 4), padding="same")

    conv("conv2d_bias_pad1", 2, R(2, 3, 5, 5), R(4, 3, 3, 3), bias=True, padding=1,
         dtypes=BOTH)
    conv("conv2d_batch1_1x1", 2, R(1, 4, 3, 3), R(2, 4, 1, 1), bias=True, dtypes=BOTH)
    conv("conv2d_stride_above_kernel", 2, R(2, 2, 7, 7), R(3, 2, 2, 2), stride=3)
    conv("conv2d_dilation2", 2, R(1, 2, 7, 7), R(2, 2, 3, 3), dilation=2, padding=1)
    conv("conv2d_groups2", 2, R(2, 4, 5, 5), R(4, 2, 3, 3), bias=True, groups=2)
    conv("conv2d_depthwise", 2, R(2, 3, 5, 5), R(3, 1, 3, 3), bias=True, groups=3, padding=1,
         dtypes=BOTH)
    conv("conv2d_asymmetric_padding", 2, R(1, 2, 5, 6), R(3, 2, 3, 3), stride=(2, 1),
         padding=(1, 2))
    conv("conv2d_noncontiguous", 2, R(2, 2, 5, 6).t(), R(2, 2, 3, 3), padding=(0, 1))
    conv("conv2d_channels_last", 2, CL(2, 3, 5, 5), R(2, 3, 3, 3), bias=True,
         channels_last=True, stride=2, padding=1)
    conv("conv2d_same_dilated", 2, R(1, 2, 6, 5), R(2, 2, 3, 2), padding="same",
         dilation=(2, 1))
    conv("conv2d_valid", 2, R(1, 2, 5, 5), R(2, 2, 3, 3), padding="valid")
    conv("conv2d_unbatched", 2, R(2, 5, 5), R(3, 2, 3, 3), bias=True)

    conv("conv3d_bias_pad1", 3, R(1, 2, 4, 4, 4), R(2, 2, 3, 3, 3), bias=True, padding=1,
         dtypes=BOTH)
    conv("conv3d_stride_groups2", 3, R(2, 4, 5, 4, 5), R(4, 2, 2, 3, 2), stride=(2, 1, 2),
         groups=2)
    conv("conv3d_channels_last", 3, CL(1, 2, 3, 4, 4), R(3, 2, 2, 2, 2), channels_last=True)

    conv_t("conv_transpose1d_stride2", 1, R(2, 3, 4), R(3, 2, 3), bias=True, stride=2,
           padding=1, output_padding=1)
    conv_t("conv_transpose2d_stride2", 2, R(2, 3, 3, 3), R(3, 2, 3, 3), bias=True, stride=2,
           padding=1, output_padding=1, dtypes=BOTH)
    conv_t("conv_transpose2d_groups2_dilation2", 2, R(1, 4, 3, 3), R(4, 1, 3, 3), groups=2,
           dilation=2)
    conv_t("conv_transpose2d_per_dim", 2, R(1, 2, 3, 4), R(2, 3, 2, 3), stride=(2, 1),
           padding=(0, 1), output_padding=(1, 0))
    conv_t("conv_transpose3d_stride2", 3, R(1, 2, 2, 3, 2), R(2, 2, 2, 2, 3), bias=True,
           stride=2, output_padding=(1, 0, 1))


def main():
    torch.set_num_threads(1)
    cases()
    path = os.path.join(mf.OUT_DIR, f"{GROUP}.txt")
    records = mf.groups[GROUP]
    with open(path, "w") as out:
        out.write(f"# ember parity fixtures: {GROUP}. Written by tools/make_conv_fixtures.py "
                  f"with torch {torch.__version__}; do not edit.\n")
        out.write("\n".join(records) + "\n")
    print(f"{path}: {len(records)} cases, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
