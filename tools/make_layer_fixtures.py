#!/usr/bin/python3
"""Writes PyTorch reference values for ember's Linear, Bilinear, Identity,
Flatten, Unflatten, Conv*, ConvTranspose* and Embedding modules.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tools/make_layer_fixtures.py
It rewrites tests/fixtures/layers_linear_conv.txt, which
tests/nn/test_layers_linear_conv.cpp reads; the C++ test builds the same module
for each case name, so a case added here needs its twin there.

Format: that of tools/make_fixtures.py (read by tests/parity/fixture_reader.h).
Each case holds, for one float32 module:
  param repr <the module's repr, one line>     (absent for multi-line reprs)
  param keys <state_dict keys in order>
  param output_size <sizes>                   (ConvTranspose forward(x, output_size))
  tensor state.<key> ...                      fixed values copied into the module
  tensor in0 [in1] ...                        the forward inputs
  tensor out, gout                            output and the upstream gradient
  tensor grad.in<i>, grad.<key>               gradients after out.backward(gout)
Values come from a generator seeded by the case's name.
"""

import os
import sys
import zlib

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import OUT_DIR, param_text, tensor_line  # noqa: E402

records = []


def case(name, module, inputs, output_size=None):
    """Records `module` with fixed weights applied to `inputs`.

    inputs: shapes (tuples) for float32 normal inputs, or int64 tensors.
    """
    g = torch.Generator().manual_seed(zlib.crc32(name.encode()))

    # Fixed, non-default weights: the test copies them in with load_state_dict.
    with torch.no_grad():
        for value in module.state_dict().values():
            value.copy_(0.5 * torch.randn(value.shape, generator=g, dtype=torch.float64))

    tensors = []
    for spec in inputs:
        if isinstance(spec, torch.Tensor):
            tensors.append(spec)
        else:
            x = torch.randn(spec, generator=g, dtype=torch.float64).float()
            tensors.append(x.requires_grad_(True))
    out = module(*tensors) if output_size is None else module(*tensors, output_size=output_size)

    lines = [f"case {name}", f"op {type(module).__name__}"]
    text = repr(module)
    if "\n" not in text:
        lines.append(f"param repr {text}")
    lines.append(f"param keys {' '.join(module.state_dict().keys())}")
    if output_size is not None:
        lines.append(f"param output_size {param_text(list(output_size))}")
    for key, value in module.state_dict().items():
        lines.append(tensor_line(f"state.{key}", value))
    for i, x in enumerate(tensors):
        lines.append(tensor_line(f"in{i}", x))
    lines.append(tensor_line("out", out))

    gout = torch.randn(out.shape, generator=g, dtype=torch.float64).float()
    out.backward(gout)
    lines.append(tensor_line("gout", gout))
    for i, x in enumerate(tensors):
        if x.grad is not None:
            lines.append(tensor_line(f"grad.in{i}", x.grad))
    for key, parameter in module.named_parameters():
        lines.append(tensor_line(f"grad.{key}", parameter.grad))
    lines.append("end")
    records.append("\n".join(lines))


def linear_layers():
    case("linear", nn.Linear(3, 4), [(5, 3)])
    case("linear_no_bias_3d_input", nn.Linear(5, 2, bias=False), [(2, 3, 5)])
    case("linear_1d_input", nn.Linear(4, 3), [(4,)])
    case("bilinear", nn.Bilinear(3, 4, 2), [(5, 3), (5, 4)])
    case("bilinear_no_bias_batch_dims", nn.Bilinear(2, 3, 4, bias=False), [(2, 3, 2), (2, 3, 3)])
    case("identity", nn.Identity(), [(2, 3)])
    case("flatten", nn.Flatten(), [(2, 3, 2, 2)])
    case("flatten_middle", nn.Flatten(1, 2), [(2, 3, 2, 2)])
    case("unflatten", nn.Unflatten(1, (2, 3)), [(2, 6, 2)])
    case("unflatten_inferred", nn.Unflatten(-1, (2, -1)), [(3, 8)])


def conv_layers():
    case("conv1d_strided_groups", nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2), [(2, 4, 9)])
    case("conv1d_same_dilated", nn.Conv1d(3, 4, 4, padding="same", dilation=2, bias=False),
         [(2, 3, 10)])
    case("conv2d_padded", nn.Conv2d(2, 4, 3, padding=1), [(2, 2, 6, 5)])
    case("conv2d_rectangular", nn.Conv2d(3, 6, (2, 3), stride=(2, 1), padding=(1, 0),
                                         dilation=(1, 2), groups=3), [(1, 3, 7, 8)])
    case("conv2d_valid_unbatched", nn.Conv2d(2, 3, 3, padding="valid"), [(2, 5, 5)])
    case("conv3d", nn.Conv3d(2, 4, (2, 3, 2), stride=(1, 2, 1), padding=(1, 0, 1)),
         [(1, 2, 4, 5, 4)])
    case("conv_transpose1d", nn.ConvTranspose1d(4, 2, 3, stride=2, padding=1, output_padding=1),
         [(2, 4, 5)])
    case("conv_transpose2d_groups_dilated",
         nn.ConvTranspose2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), output_padding=(1, 0),
                            groups=2, dilation=(1, 2)), [(2, 4, 4, 3)])
    case("conv_transpose2d_unbatched_no_bias", nn.ConvTranspose2d(3, 2, 3, bias=False),
         [(3, 4, 4)])
    case("conv_transpose2d_output_size", nn.ConvTranspose2d(2, 3, 3, stride=3, padding=1),
         [(1, 2, 3, 4)], output_size=(8, 11))
    case("conv_transpose3d", nn.ConvTranspose3d(2, 3, 2, stride=2), [(1, 2, 2, 3, 2)])


def embeddings():
    indices = torch.tensor([[1, 3, 3, 0], [9, 3, 5, 1]])
    case("embedding", nn.Embedding(10, 3), [indices])
    # The padding row holds a non-zero value here: forward returns it, backward skips it.
    case("embedding_padding_idx", nn.Embedding(6, 4, padding_idx=-2),
         [torch.tensor([[4, 0, 4], [2, 5, 4]])])


def containers():
    case("sequential_cnn", nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(18, 4)),
         [(2, 1, 5, 5)])


def main():
    linear_layers()
    conv_layers()
    embeddings()
    containers()

    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, "layers_linear_conv.txt")
    with open(path, "w") as out:
        out.write("# ember parity fixtures: nn layers (linear, conv, embedding). Written by "
                  f"tools/make_layer_fixtures.py with torch {torch.__version__}; do not edit.\n")
        out.write("\n".join(records) + "\n")
    print(f"{path}: {len(records)} cases, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
