#!/usr/bin/python3
"""Writes PyTorch reference values for ember's pooling, normalization, dropout
and activation modules (nn/pooling.h, nn/normalization.h, nn/dropout.h,
nn/activation.h).

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tools/make_layer_norm_fixtures.py
It rewrites tests/fixtures/layers_norm_pool.txt, which
tests/nn/test_layers_norm_pool.cpp reads.

Format: that of tools/make_fixtures.py (case / op / param / tensor / end
records). For each case, `op` is the torch.nn class and every keyword argument
it was built with is a `param` (None as "none", tuples as their elements);
then:
  param dtype       float32 or float64 (the module's parameters and inputs)
  param repr        repr(module), percent-encoded (spaces and newlines)
  param keys        the state_dict keys, in order (absent when there are none)
  tensor state.K    the state before the first call: weight, bias and running
                    statistics are randomized so that loading them is checked
  tensor train_inI, train_outI   training-mode forward calls, in order
  tensor after.K    the state after the training calls
  tensor eval_in, eval_out       one evaluation-mode forward afterwards
Values come from a generator seeded by the case's name.
"""

import os
import sys
import urllib.parse
import zlib

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import OUT_DIR, param_text, tensor_line  # noqa: E402

DTYPE_NAMES = {torch.float32: "float32", torch.float64: "float64"}
records = []


def encode(text):
    return urllib.parse.quote(text, safe="()=,'.-_[]:")


def param_value(value):
    return "none" if value is None else param_text(value)


def randomize(module, g):
    """Random affine parameters and running statistics (running_var > 0)."""
    with torch.no_grad():
        for name, tensor in module.state_dict().items():
            if not tensor.is_floating_point():
                continue
            values = torch.randn(tensor.shape, generator=g, dtype=torch.float64)
            if name.endswith("running_var"):
                values = 0.5 + values.abs()
            tensor.copy_(values)


def case(name, op, kwargs, train_shapes, eval_shape, dtype=torch.float32, scale=1.0):
    """Builds nn.<op>(**kwargs) and records its repr, state and forward calls."""
    g = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    module = getattr(nn, op)(**kwargs).to(dtype)
    randomize(module, g)

    def draw(shape):
        return scale * torch.randn(shape, generator=g, dtype=torch.float64).to(dtype)

    lines = [f"case {name}", f"op {op}"]
    for key, value in kwargs.items():
        lines.append(f"param {key} {param_value(value)}")
    lines.append(f"param dtype {DTYPE_NAMES[dtype]}")
    lines.append(f"param repr {encode(repr(module))}")
    keys = list(module.state_dict().keys())
    if keys:
        lines.append("param keys " + " ".join(keys))
    for key, value in module.state_dict().items():
        lines.append(tensor_line(f"state.{key}", value.clone()))

    module.train()
    for i, shape in enumerate(train_shapes):
        x = draw(shape)
        lines.append(tensor_line(f"train_in{i}", x))
        lines.append(tensor_line(f"train_out{i}", module(x)))
    for key, value in module.state_dict().items():
        lines.append(tensor_line(f"after.{key}", value))

    module.eval()
    x = draw(eval_shape)
    lines.append(tensor_line("eval_in", x))
    lines.append(tensor_line("eval_out", module(x)))
    lines.append("end")
    records.append("\n".join(lines))


def model_case():
    """A Sequential of these layers: the printed tree and state_dict keys."""
    model = nn.Sequential(
        nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout2d(0.25),
        nn.Sequential(nn.GroupNorm(1, 3), nn.GELU(approximate="tanh")),
        nn.AdaptiveAvgPool2d((2, 1)), nn.InstanceNorm2d(3, affine=True),
        nn.LayerNorm([3, 2, 1]), nn.Softmax(dim=1))
    lines = ["case sequential_model", "op Sequential",
             f"param repr {encode(repr(model))}",
             "param keys " + " ".join(model.state_dict().keys()), "end"]
    records.append("\n".join(lines))


def main():
    # Batch norm: three training steps, then evaluation with running statistics.
    steps3 = [(6, 3)] * 3
    for dtype, suffix in ((torch.float32, "f32"), (torch.float64, "f64")):
        case(f"bn1d_{suffix}", "BatchNorm1d", {"num_features": 3}, steps3, (4, 3), dtype)
        case(f"bn1d_cumulative_{suffix}", "BatchNorm1d",
             {"num_features": 3, "momentum": None}, steps3, (4, 3), dtype)
        case(f"bn2d_{suffix}", "BatchNorm2d", {"num_features": 2}, [(3, 2, 4, 3)] * 3,
             (2, 2, 4, 3), dtype)
        case(f"bn2d_cumulative_{suffix}", "BatchNorm2d",
             {"num_features": 2, "eps": 1e-3, "momentum": None}, [(3, 2, 4, 3)] * 3,
             (2, 2, 4, 3), dtype)
    case("bn1d_3d_input", "BatchNorm1d", {"num_features": 4, "momentum": 0.3},
         [(2, 4, 5), (3, 4, 2)], (2, 4, 5), scale=3.0)
    case("bn2d_no_affine", "BatchNorm2d", {"num_features": 3, "affine": False},
         [(2, 3, 2, 2)] * 2, (2, 3, 2, 2))
    case("bn2d_no_running_stats", "BatchNorm2d",
         {"num_features": 3, "track_running_stats": False}, [(2, 3, 2, 2)], (4, 3, 2, 2))
    case("bn3d", "BatchNorm3d", {"num_features": 2, "momentum": 0.5}, [(2, 2, 3, 2, 2)] * 2,
         (1, 2, 3, 2, 2))

    # Instance norm: instance statistics in training; tracked ones in evaluation.
    case("in1d", "InstanceNorm1d", {"num_features": 3}, [(2, 3, 5)], (2, 3, 5))
    case("in1d_unbatched", "InstanceNorm1d", {"num_features": 3, "affine": True}, [(3, 6)],
         (3, 4))
    case("in2d_tracked", "InstanceNorm2d",
         {"num_features": 2, "affine": True, "track_running_stats": True, "momentum": 0.2},
         [(3, 2, 3, 4)] * 2, (2, 2, 3, 4))
    case("in3d", "InstanceNorm3d", {"num_features": 2, "eps": 1e-3}, [(2, 2, 2, 3, 2)],
         (2, 2, 3, 3, 1))

    # Group and layer norm: the same in both modes.
    case("gn", "GroupNorm", {"num_groups": 2, "num_channels": 4}, [(3, 4, 5)], (2, 4, 2, 3))
    case("gn_no_affine", "GroupNorm", {"num_groups": 3, "num_channels": 6, "affine": False},
         [(2, 6)], (2, 6, 3))
    case("ln", "LayerNorm", {"normalized_shape": 5}, [(3, 5)], (2, 4, 5))
    case("ln_2d_no_affine", "LayerNorm",
         {"normalized_shape": (3, 4), "eps": 1e-6, "elementwise_affine": False},
         [(2, 3, 4)], (3, 4))
    case("ln_2d_f64", "LayerNorm", {"normalized_shape": (2, 3)}, [(4, 2, 3)], (2, 3),
         torch.float64)

    # Pooling.
    case("maxpool1d", "MaxPool1d", {"kernel_size": 2}, [(2, 3, 7)], (3, 6))
    case("maxpool2d_options", "MaxPool2d",
         {"kernel_size": 3, "stride": 1, "padding": 1, "dilation": 2, "ceil_mode": True},
         [(2, 2, 7, 6)], (1, 2, 5, 5))
    case("maxpool2d_rect", "MaxPool2d", {"kernel_size": (3, 2)}, [(1, 2, 7, 6)], (2, 6, 5))
    case("maxpool2d_stride", "MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1},
         [(2, 3, 8, 8)], (2, 3, 5, 5))
    case("maxpool3d", "MaxPool3d", {"kernel_size": 2, "stride": (1, 2, 2)},
         [(1, 2, 3, 4, 4)], (2, 3, 4, 5))
    case("avgpool1d", "AvgPool1d", {"kernel_size": 3, "stride": 2, "padding": 1},
         [(2, 3, 8)], (3, 7))
    case("avgpool2d", "AvgPool2d", {"kernel_size": 2}, [(2, 3, 6, 5)], (3, 4, 4))
    case("avgpool2d_options", "AvgPool2d",
         {"kernel_size": (3, 2), "stride": (2, 1), "padding": 1, "ceil_mode": True,
          "count_include_pad": False}, [(2, 2, 7, 6)], (1, 2, 5, 5))
    case("avgpool2d_divisor", "AvgPool2d", {"kernel_size": 2, "divisor_override": 3},
         [(1, 2, 4, 4)], (1, 2, 6, 4))
    case("avgpool3d", "AvgPool3d", {"kernel_size": (2, 2, 1), "padding": (1, 0, 0)},
         [(1, 2, 3, 4, 3)], (2, 4, 4, 2))
    case("adaptive_avg1d", "AdaptiveAvgPool1d", {"output_size": 3}, [(2, 3, 7)], (3, 5))
    case("adaptive_avg2d", "AdaptiveAvgPool2d", {"output_size": (3, 2)}, [(2, 3, 7, 5)],
         (3, 4, 4))
    case("adaptive_avg2d_global", "AdaptiveAvgPool2d", {"output_size": 1}, [(2, 3, 4, 5)],
         (1, 3, 2, 2))
    case("adaptive_avg3d", "AdaptiveAvgPool3d", {"output_size": (1, 2, 3)},
         [(1, 2, 3, 4, 5)], (2, 2, 2, 7))
    case("adaptive_max2d", "AdaptiveMaxPool2d", {"output_size": 2}, [(2, 3, 5, 5)],
         (3, 4, 3))

    # Dropout: recorded for repr and the evaluation identity (training is random).
    for op, p, shape in (("Dropout", 0.5, (2, 3, 4)), ("Dropout1d", 0.2, (2, 3, 4)),
                         ("Dropout2d", 0.25, (2, 3, 2, 2)), ("Dropout3d", 0.5, (2, 3, 2, 2, 2)),
                         ("AlphaDropout", 0.1, (3, 4)), ("FeatureAlphaDropout", 0.3, (2, 3, 4))):
        case(op.lower(), op, {"p": p}, [], shape)

    # Activations, in both modes.
    for name, op, kwargs in (
            ("relu", "ReLU", {}), ("relu6", "ReLU6", {}),
            ("leaky_relu", "LeakyReLU", {}), ("leaky_relu_02", "LeakyReLU",
                                              {"negative_slope": 0.2}),
            ("elu", "ELU", {}), ("elu_05", "ELU", {"alpha": 0.5}), ("selu", "SELU", {}),
            ("gelu", "GELU", {}), ("gelu_tanh", "GELU", {"approximate": "tanh"}),
            ("silu", "SiLU", {}), ("mish", "Mish", {}),
            ("softplus", "Softplus", {}), ("softplus_2_10", "Softplus",
                                           {"beta": 2, "threshold": 10}),
            ("softplus_half", "Softplus", {"beta": 0.5, "threshold": 1.5}),
            ("hardtanh", "Hardtanh", {}), ("hardtanh_wide", "Hardtanh",
                                           {"min_val": -2.0, "max_val": 3.0}),
            ("hardsigmoid", "Hardsigmoid", {}), ("hardswish", "Hardswish", {}),
            ("sigmoid", "Sigmoid", {}), ("tanh", "Tanh", {}),
            ("softmax", "Softmax", {"dim": 1}), ("log_softmax", "LogSoftmax", {"dim": -1})):
        case(name, op, kwargs, [(3, 7)], (2, 3, 4), scale=4.0)

    model_case()

    path = os.path.join(OUT_DIR, "layers_norm_pool.txt")
    with open(path, "w") as out:
        out.write("# ember parity fixtures: pooling, normalization, dropout and activation "
                  "modules. Written by tools/make_layer_norm_fixtures.py with torch "
                  f"{torch.__version__}; do not edit.\n")
        out.write("\n".join(records) + "\n")
    print(f"{path}: {len(records)} cases, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
