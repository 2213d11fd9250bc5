#!/usr/bin/python3
"""Writes PyTorch reference values for ember's normalization ops.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tools/make_norm_fixtures.py
It rewrites tests/fixtures/norm.txt, which tests/parity/test_norm_parity.cpp reads.
The record lines (case, op, param, tensor, layout, end) are those of
tools/make_fixtures.py, and each case draws its values from a generator seeded
by its own name, so adding a case never changes another.

Ops: batch_norm, group_norm, layer_norm, instance_norm (torch.nn.functional).
Tensor keys:
  in0                  the input (layout in0 t: stored with its last two dims
                       swapped in memory, so it is non-contiguous)
  weight, bias         affine parameters, when the case has them
  running_mean, running_var            running statistics before the call
  running_mean_out, running_var_out    the same after the call (training only)
  out, gout            the output and a random upstream gradient
  grad0, grad_weight, grad_bias        PyTorch's gradients
Params: training, use_input_stats (0/1); momentum (a number, or the word none:
a cumulative average, computed as nn.BatchNorm does from num_batches_tracked,
which the param gives before the call); eps; num_groups; normalized_shape.
"""

import os
import sys
import zlib

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402  (the shared record writer)

GROUP = "norm"
BOTH = ("f32", "f64")
F64 = ("f64",)
records = []


def R(*shape):
    return lambda g: torch.randn(shape, generator=g, dtype=torch.float64)


def P(*shape):
    """Positive values in [0.5, 2): running variances."""
    return lambda g: 0.5 + 1.5 * torch.rand(shape, generator=g, dtype=torch.float64)


def OFFSET(*shape):
    """Values 1000 + 0.01 * N(0, 1): a variance far below the square of the mean."""
    return lambda g: 1000.0 + 0.01 * torch.randn(shape, generator=g, dtype=torch.float64)


def norm_case(name, op, x, channels=None, affine=(True, True), running=False, params=None,
              dtypes=F64, layout=None, call=None):
    """Records call(x, weight, bias, running_mean, running_var) for each dtype.

    channels: the size of weight, bias and the running statistics (an int, or
    a shape for layer_norm); affine: whether weight / bias are given.
    """
    for dtype_name in dtypes:
        full_name = f"{name}_{dtype_name}"
        dtype = mf.DTYPES[dtype_name]
        g = torch.Generator().manual_seed(zlib.crc32(full_name.encode()))
        shape = channels if isinstance(channels, tuple) else (channels,)

        xv = x(g).to(dtype)
        if layout == "t":
            xv = mf.non_contiguous(xv)
        xv.requires_grad_(True)
        weight = (1.0 + 0.5 * torch.randn(shape, generator=g, dtype=torch.float64)).to(dtype) \
            if affine[0] else None
        bias = torch.randn(shape, generator=g, dtype=torch.float64).to(dtype) \
            if affine[1] else None
        for t in (weight, bias):
            if t is not None:
                t.requires_grad_(True)
        rm = (0.1 * torch.randn(shape, generator=g, dtype=torch.float64)).to(dtype) \
            if running else None
        rv = P(*shape)(g).to(dtype) if running else None

        lines = [f"case {full_name}", f"op {op}"]
        for key, value in (params or {}).items():
            lines.append(f"param {key} {mf.param_text(value)}")
        lines.append(mf.tensor_line("in0", xv))
        if layout == "t":
            lines.append("layout in0 t")
        for key, t in (("weight", weight), ("bias", bias), ("running_mean", rm),
                       ("running_var", rv)):
            if t is not None:
                lines.append(mf.tensor_line(key, t))

        out = call(xv, weight, bias, rm, rv)
        lines.append(mf.tensor_line("out", out))
        if running:
            lines.append(mf.tensor_line("running_mean_out", rm))
            lines.append(mf.tensor_line("running_var_out", rv))
        gout = torch.randn(out.shape, generator=g, dtype=torch.float64).to(dtype)
        out.backward(gout)
        lines.append(mf.tensor_line("gout", gout))
        lines.append(mf.tensor_line("grad0", xv.grad))
        if weight is not None:
            lines.append(mf.tensor_line("grad_weight", weight.grad))
        if bias is not None:
            lines.append(mf.tensor_line("grad_bias", bias.grad))
        lines.append("end")
        records.append("\n".join(lines))


def batch_norm(name, x, channels, training=True, momentum=0.1, eps=1e-5, batches=None, **kw):
    params = {"training": training, "momentum": "none" if momentum is None else momentum,
              "eps": eps}
    if batches is not None:
        params["num_batches_tracked"] = batches
    # nn.BatchNorm with momentum=None: the factor is 1 / num_batches_tracked
    # after the module adds this batch.
    factor = 1.0 / (batches + 1) if momentum is None else momentum

    def call(x, w, b, rm, rv):
        return F.batch_norm(x, rm, rv, w, b, training=training, momentum=factor, eps=eps)
    norm_case(name, "batch_norm", x, channels, params=params, call=call, **kw)


def group_norm(name, x, channels, groups, eps=1e-5, **kw):
    def call(x, w, b, rm, rv):
        return F.group_norm(x, groups, w, b, eps)
    norm_case(name, "group_norm", x, channels, params={"num_groups": groups, "eps": eps},
              call=call, **kw)


def layer_norm(name, x, shape, eps=1e-5, **kw):
    def call(x, w, b, rm, rv):
        return F.layer_norm(x, shape, w, b, eps)
    norm_case(name, "layer_norm", x, tuple(shape),
              params={"normalized_shape": list(shape), "eps": eps}, call=call, **kw)


def instance_norm(name, x, channels, use_input_stats=True, momentum=0.1, eps=1e-5, **kw):
    def call(x, w, b, rm, rv):
        return F.instance_norm(x, rm, rv, w, b, use_input_stats, momentum, eps)
    params = {"use_input_stats": use_input_stats, "momentum": momentum, "eps": eps}
    norm_case(name, "instance_norm", x, channels, params=params, call=call, **kw)


def cases():
    batch_norm("bn_train_affine_running", R(4, 3, 5), 3, running=True, dtypes=BOTH)
    batch_norm("bn_train_long_rows", R(3, 2, 37), 2, running=True, dtypes=BOTH)
    batch_norm("bn_train_2d_plain", R(6, 4), 4, affine=(False, False), dtypes=BOTH)
    batch_norm("bn_train_cumulative_average", R(3, 2, 4), 2, running=True, momentum=None,
               batches=3)
    batch_norm("bn_train_4d_weight_only", R(2, 3, 3, 3), 3, running=True, affine=(True, False),
               momentum=0.3, eps=1e-3)
    batch_norm("bn_train_5d_bias_only", R(2, 2, 2, 3, 2), 2, running=True,
               affine=(False, True))
    batch_norm("bn_train_batch_of_one", R(1, 3, 4), 3, running=True)
    batch_norm("bn_train_noncontiguous", R(3, 4, 5), 4, running=True, layout="t", dtypes=BOTH)
    batch_norm("bn_train_large_offset", OFFSET(4, 2, 6), 2, running=True)
    batch_norm("bn_eval_affine", R(2, 3, 4, 4), 3, training=False, running=True, dtypes=BOTH)
    batch_norm("bn_eval_plain", R(4, 3), 3, training=False, running=True,
               affine=(False, False))

    group_norm("gn_affine", R(2, 6, 5), 6, 3, dtypes=BOTH)
    group_norm("gn_one_group_4d", R(2, 4, 3, 3), 4, 1, affine=(False, False))
    group_norm("gn_group_per_channel", R(3, 4, 5), 4, 4)
    group_norm("gn_batch_of_one_2d", R(1, 6), 6, 2, eps=1e-3)
    group_norm("gn_noncontiguous", R(2, 4, 3, 5), 4, 2, layout="t", affine=(True, False))
    group_norm("gn_long_groups", R(2, 4, 19), 4, 2, dtypes=BOTH)

    layer_norm("ln_last_dim", R(3, 4), [4], dtypes=BOTH)
    layer_norm("ln_two_dims", R(2, 3, 4), [3, 4])
    layer_norm("ln_plain", R(5, 6), [6], affine=(False, False))
    layer_norm("ln_weight_only", R(2, 3, 5), [5], affine=(True, False))
    layer_norm("ln_bias_only", R(4, 7), [7], affine=(False, True), eps=1e-3)
    layer_norm("ln_noncontiguous", R(4, 3, 5), [5], layout="t")
    layer_norm("ln_long_rows", R(9, 37), [37], dtypes=BOTH)
    layer_norm("ln_large_offset", OFFSET(3, 16), [16])

    instance_norm("in_running_affine", R(2, 3, 5), 3, running=True, dtypes=BOTH)
    instance_norm("in_plain_4d", R(2, 2, 3, 3), 2, affine=(False, False))
    instance_norm("in_running_stats_eval", R(2, 3, 4), 3, running=True,
                  use_input_stats=False)
    instance_norm("in_batch_of_one", R(1, 2, 6), 2, running=True, momentum=0.2)


def main():
    torch.set_num_threads(1)
    cases()
    path = os.path.join(mf.OUT_DIR, f"{GROUP}.txt")
    with open(path, "w") as out:
        out.write(f"# ember parity fixtures: {GROUP}. Written by tools/make_norm_fixtures.py "
                  f"with torch {torch.__version__}; do not edit.\n")
        out.write("\n".join(records) + "\n")
    print(f"{path}: {len(records)} cases, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
