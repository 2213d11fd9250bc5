#!/usr/bin/python3
"""Writes PyTorch reference values for ember's parity tests.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tools/make_fixtures.py
It rewrites tests/fixtures/*.txt; tests/parity/test_pytorch_parity.cpp reads them,
so running the tests never needs PyTorch.

Every case records, for float32 and float64 (and a few mixed-dtype cases):
inputs, the op's outputs, a random upstream gradient for the first output and
the gradient of every floating input. Each case draws its values from a
generator seeded by its own name, so adding a case never changes another.

File format, one record per line, whitespace-separated:
  case NAME                    starts a case
  op OP                        the ember call the C++ table maps OP to
  param KEY VALUE...           op arguments (ints, floats or words)
  tensor KEY DTYPE NDIM DIMS... VALUES...   row-major values
  layout KEY t                 KEY is stored transposed in memory (non-contiguous)
  nogradcheck                  the inputs sit on a kink or tie: skip finite differences
  end                          ends the case
Keys: in0, in1, ... inputs; out (or out0, out1) outputs; gout the upstream
gradient of the first output; grad0, grad1, ... input gradients (absent where
PyTorch gives none). Floats are the shortest strings that read back exactly.
"""

import os
import zlib

import numpy as np
import torch
import torch.nn.functional as F

OUT_DIR = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures"))

DTYPES = {"f32": torch.float32, "f64": torch.float64}
DTYPE_NAMES = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64",
               torch.bool: "bool"}

groups = {}


# ---- input specifications: each builds a float64/int64/bool master tensor ----

class Spec:
    def __init__(self, make, layout=None, dtype=None):
        self.make = make          # generator -> tensor
        self.layout = layout      # None or "t" (non-contiguous via transposed storage)
        self.dtype = dtype        # fixed dtype, overriding the case's float dtype

    def t(self):
        return Spec(self.make, "t", self.dtype)

    def as_dtype(self, name):
        return Spec(self.make, self.layout, DTYPES[name])


def R(*shape):
    """Standard normal values."""
    return Spec(lambda g: torch.randn(shape, generator=g, dtype=torch.float64))


def P(*shape):
    """Positive values in [0.5, 2), for log, sqrt, pow and div denominators."""
    return Spec(lambda g: 0.5 + 1.5 * torch.rand(shape, generator=g, dtype=torch.float64))


def A(*shape):
    """Values at least 0.1 away from zero, so kinks at 0 stay out of reach."""
    def make(g):
        x = torch.randn(shape, generator=g, dtype=torch.float64)
        return torch.sign(x + (x == 0).double()) * (0.1 + x.abs())
    return Spec(make)


def V(values, shape=None):
    """Fixed float values (ties, kinks, boundaries)."""
    def make(g):
        x = torch.tensor(values, dtype=torch.float64)
        return x.reshape(shape) if shape is not None else x
    return Spec(make)


def I(values, shape=None):
    """Fixed int64 values (indices, labels)."""
    def make(g):
        x = torch.tensor(values, dtype=torch.int64)
        return x.reshape(shape) if shape is not None else x
    return Spec(make)


def M(*shape):
    """A random bool mask."""
    return Spec(lambda g: torch.rand(shape, generator=g) < 0.5)


# ---- writing ----

def fmt(value, dtype):
    if dtype == torch.float32:
        text = str(np.float32(value))
        assert np.float32(text) == np.float32(value) or np.isnan(value)
        return text
    if dtype == torch.float64:
        return repr(float(value))
    if dtype == torch.bool:
        return "1" if value else "0"
    return str(int(value))


def tensor_line(key, x):
    x = x.detach().contiguous()
    dims = " ".join(str(d) for d in x.shape)
    values = " ".join(fmt(v, x.dtype) for v in x.reshape(-1).tolist())
    head = f"tensor {key} {DTYPE_NAMES[x.dtype]} {x.dim()}"
    return " ".join(part for part in (head, dims, values) if part)


def param_text(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, tuple)):
        return " ".join(param_text(v) for v in value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def non_contiguous(x):
    """Same values, stored with the last two dims swapped in memory."""
    return x.transpose(-1, -2).contiguous().transpose(-1, -2)


def case(group, name, op, inputs, fn, params=None, gradcheck=True, dtypes=("f32", "f64")):
    """Records `fn(*inputs)` under `name_<dtype>` for each dtype."""
    for dtype_name in dtypes:
        full_name = f"{name}_{dtype_name}" if dtype_name in DTYPES else name
        float_dtype = DTYPES.get(dtype_name, torch.float32)
        g = torch.Generator().manual_seed(zlib.crc32(full_name.encode()))

        tensors = []
        for spec in inputs:
            x = spec.make(g)
            if x.is_floating_point():
                x = x.to(spec.dtype or float_dtype)
            if spec.layout == "t":
                x = non_contiguous(x)
            if x.is_floating_point():
                x = x.detach().requires_grad_(True)
            tensors.append(x)

        outputs = fn(*tensors)
        if not isinstance(outputs, tuple):
            outputs = (outputs,)

        lines = [f"case {full_name}", f"op {op}"]
        for key, value in (params or {}).items():
            lines.append(f"param {key} {param_text(value)}")
        if not gradcheck:
            lines.append("nogradcheck")
        for i, (spec, x) in enumerate(zip(inputs, tensors)):
            lines.append(tensor_line(f"in{i}", x))
            if spec.layout == "t":
                lines.append(f"layout in{i} t")
        if len(outputs) == 1:
            lines.append(tensor_line("out", outputs[0]))
        else:
            for k, y in enumerate(outputs):
                lines.append(tensor_line(f"out{k}", y))

        first = outputs[0]
        if first.requires_grad:
            gout = torch.randn(first.shape, generator=g, dtype=torch.float64).to(first.dtype)
            first.backward(gout)
            lines.append(tensor_line("gout", gout))
            for i, x in enumerate(tensors):
                if x.is_floating_point() and x.grad is not None:
                    lines.append(tensor_line(f"grad{i}", x.grad))
        lines.append("end")
        groups.setdefault(group, []).append("\n".join(lines))


# ---- the cases ----

def arithmetic():
    g = "arithmetic"
    for op, fn in (("add", torch.add), ("sub", torch.sub), ("mul", torch.mul),
                   ("div", torch.div)):
        rhs = P if op == "div" else R
        case(g, f"{op}_same_shape", op, [R(2, 3), rhs(2, 3)], fn)
        case(g, f"{op}_broadcast_row_col", op, [R(3, 1), rhs(1, 4)], fn)
        case(g, f"{op}_broadcast_leading", op, [R(2, 3, 4), rhs(4)], fn)
        case(g, f"{op}_broadcast_size1_middle", op, [R(2, 1, 3), rhs(1, 4, 1)], fn)
        case(g, f"{op}_zero_dim", op, [R(2, 3), rhs()], fn)
        case(g, f"{op}_zero_dim_lhs", op, [R(), rhs(3)], fn)
        case(g, f"{op}_noncontiguous", op, [R(3, 4).t(), rhs(3, 4).t()], fn)
        case(g, f"{op}_noncontiguous_broadcast", op, [R(2, 3, 4).t(), rhs(3, 1)], fn)
        case(g, f"{op}_empty", op, [R(0, 3), rhs(3)], fn)
        case(g, f"{op}_scalar", f"{op}_scalar", [R(2, 3)], lambda x: fn(x, 1.75),
             {"value": 1.75})
    case(g, "add_alpha", "add", [R(2, 3), R(3)], lambda a, b: torch.add(a, b, alpha=-2.5),
         {"alpha": -2.5})
    case(g, "sub_alpha", "sub", [R(2, 3), R(2, 1)], lambda a, b: torch.sub(a, b, alpha=0.5),
         {"alpha": 0.5})
    case(g, "rsub_scalar", "rsub_scalar", [R(2, 3)], lambda x: 3.0 - x, {"value": 3.0})
    case(g, "rdiv_scalar", "rdiv_scalar", [P(2, 3)], lambda x: 3.0 / x, {"value": 3.0})
    case(g, "neg", "neg", [R(2, 3)], torch.neg)
    case(g, "neg_noncontiguous", "neg", [R(3, 2).t()], torch.neg)
    case(g, "square", "square", [R(2, 3)], torch.square)

    for exponent in (2.0, 3.0, 0.5, -1.5, 0.0, 1.0):
        base = P if exponent != int(exponent) or exponent < 0 else R
        case(g, f"pow_scalar_{param_text(exponent).replace('.', 'p').replace('-', 'm')}",
             "pow_scalar", [base(2, 3)], lambda x, e=exponent: torch.pow(x, e),
             {"exponent": exponent})
    case(g, "pow_tensor", "pow_tensor", [P(2, 3), R(2, 3)], torch.pow)
    case(g, "pow_tensor_broadcast", "pow_tensor", [P(2, 3), R(3)], torch.pow)
    case(g, "pow_tensor_broadcast_base", "pow_tensor", [P(3, 1), R(2, 1, 4)], torch.pow)

    # Type promotion: int64 with float32 computes in float32, float32 with
    # float64 in float64 (both operands have dims, so PyTorch's 0-d rule is out).
    case(g, "mul_int64_float32", "mul", [I([1, -2, 3]), R(2, 3).as_dtype("f32")], torch.mul,
         dtypes=("mixed",))
    case(g, "add_float32_float64", "add", [R(2, 3).as_dtype("f32"), R(3).as_dtype("f64")],
         torch.add, dtypes=("mixed",))


def unary():
    g = "unary"
    case(g, "exp", "exp", [R(2, 3)], torch.exp)
    case(g, "exp_noncontiguous", "exp", [R(3, 4).t()], torch.exp)
    case(g, "exp_empty", "exp", [R(0)], torch.exp)
    case(g, "exp_zero_dim", "exp", [R()], torch.exp)
    case(g, "log", "log", [P(2, 3)], torch.log)
    case(g, "log_noncontiguous", "log", [P(2, 3, 4).t()], torch.log)
    case(g, "sqrt", "sqrt", [P(2, 3)], torch.sqrt)
    case(g, "sqrt_size1_dims", "sqrt", [P(1, 3, 1)], torch.sqrt)
    case(g, "abs", "abs", [A(2, 3)], torch.abs)
    case(g, "abs_at_zero", "abs", [V([-1.0, 0.0, 2.0, -0.0])], torch.abs, gradcheck=False)
    case(g, "abs_noncontiguous", "abs", [A(4, 3).t()], torch.abs)
    # Larger than one SIMD register, with a tail, to reach vector paths.
    case(g, "exp_long", "exp", [R(37)], torch.exp)
    case(g, "tanh_long", "tanh", [R(3, 37)], torch.tanh)


def activation():
    g = "activation"
    case(g, "relu", "relu", [A(2, 3)], torch.relu)
    case(g, "relu_at_zero", "relu", [V([-1.0, 0.0, 2.0])], torch.relu, gradcheck=False)
    case(g, "relu_noncontiguous", "relu", [A(3, 4).t()], torch.relu)
    case(g, "relu_long", "relu", [A(70)], torch.relu)
    case(g, "sigmoid", "sigmoid", [R(2, 3)], torch.sigmoid)
    case(g, "sigmoid_large_magnitude", "sigmoid", [V([-30.0, -5.0, 0.0, 5.0, 30.0])],
         torch.sigmoid)
    case(g, "tanh", "tanh", [R(2, 3)], torch.tanh)
    case(g, "tanh_noncontiguous", "tanh", [R(3, 2).t()], torch.tanh)
    case(g, "gelu", "gelu", [R(2, 5)], F.gelu, {"approximate": "none"})
    case(g, "gelu_tanh", "gelu", [R(2, 5)], lambda x: F.gelu(x, approximate="tanh"),
         {"approximate": "tanh"})
    case(g, "gelu_noncontiguous", "gelu", [R(4, 3).t()], F.gelu, {"approximate": "none"})
    case(g, "leaky_relu", "leaky_relu", [A(2, 4)], F.leaky_relu, {"negative_slope": 0.01})
    case(g, "leaky_relu_slope", "leaky_relu", [A(2, 4)],
         lambda x: F.leaky_relu(x, 0.2), {"negative_slope": 0.2})
    case(g, "leaky_relu_at_zero", "leaky_relu", [V([-1.0, 0.0, 1.0])],
         lambda x: F.leaky_relu(x, 0.2), {"negative_slope": 0.2}, gradcheck=False)
    case(g, "clamp", "clamp", [V([-2.0, -0.7, -0.2, 0.3, 0.8, 1.9], (2, 3))],
         lambda x: torch.clamp(x, -0.5, 0.5), {"min": -0.5, "max": 0.5})
    case(g, "clamp_min_only", "clamp", [V([-2.0, -0.7, -0.2, 0.3, 0.8, 1.9])],
         lambda x: torch.clamp(x, min=-0.5), {"min": -0.5})
    case(g, "clamp_max_only", "clamp", [V([-2.0, -0.7, -0.2, 0.3, 0.8, 1.9])],
         lambda x: torch.clamp(x, max=0.5), {"max": 0.5})
    # On the bound the gradient still flows (min <= x <= max), as in PyTorch.
    case(g, "clamp_on_bounds", "clamp", [V([-0.5, 0.0, 0.5, 0.75])],
         lambda x: torch.clamp(x, -0.5, 0.5), {"min": -0.5, "max": 0.5}, gradcheck=False)
    case(g, "clamp_noncontiguous", "clamp", [A(3, 4).t()],
         lambda x: torch.clamp(x, -0.05, 0.05), {"min": -0.05, "max": 0.05})


def selection():
    g = "selection"
    for op, fn in (("maximum", torch.maximum), ("minimum", torch.minimum)):
        case(g, op, op, [R(2, 3), R(2, 3)], fn)
        case(g, f"{op}_broadcast", op, [R(2, 1, 3), R(4, 1)], fn)
        case(g, f"{op}_noncontiguous", op, [R(3, 4).t(), R(3, 4)], fn)
        # Equal elements split the gradient evenly between both operands.
        case(g, f"{op}_ties", op, [V([1.0, 2.0, 3.0, -1.0]), V([1.0, 0.0, 3.0, 2.0])], fn,
             gradcheck=False)
    case(g, "where", "where", [M(2, 3), R(2, 3), R(2, 3)], torch.where)
    case(g, "where_broadcast", "where", [M(3, 1), R(1, 4), R(3, 4)], torch.where)
    case(g, "where_noncontiguous", "where", [M(3, 4), R(3, 4).t(), R(4)], torch.where)
    case(g, "where_scalar_other", "where_scalar_other", [M(2, 3), R(2, 3)],
         lambda c, a: torch.where(c, a, torch.tensor(0.5, dtype=a.dtype)), {"value": 0.5})
    case(g, "where_scalar_self", "where_scalar_self", [M(2, 3), R(2, 3)],
         lambda c, b: torch.where(c, torch.tensor(-1.5, dtype=b.dtype), b), {"value": -1.5})
    case(g, "masked_fill", "masked_fill", [R(2, 3), M(2, 3)],
         lambda x, m: x.masked_fill(m, -2.0), {"value": -2.0})
    case(g, "masked_fill_broadcast_mask", "masked_fill", [R(3, 4), M(4)],
         lambda x, m: x.masked_fill(m, 7.0), {"value": 7.0})
    case(g, "masked_fill_noncontiguous", "masked_fill", [R(4, 3).t(), M(4, 1)],
         lambda x, m: x.masked_fill(m, 0.0), {"value": 0.0})

    for op in ("eq", "ne", "lt", "le", "gt", "ge"):
        fn = getattr(torch, op)
        case(g, f"{op}_tensor", op, [V([1.0, 2.0, 3.0, 4.0], (2, 2)), V([2.0, 2.0])], fn)
        case(g, f"{op}_scalar", f"{op}_scalar", [V([1.0, 2.0, 3.0])],
             lambda x, fn=fn: fn(x, 2.0), {"value": 2.0})


def reduce():
    g = "reduce"
    case(g, "sum", "sum", [R(2, 3)], torch.sum)
    case(g, "sum_noncontiguous", "sum", [R(3, 4).t()], torch.sum)
    case(g, "sum_empty", "sum", [R(0, 3)], torch.sum)
    case(g, "sum_zero_dim", "sum", [R()], torch.sum)
    case(g, "sum_long", "sum", [R(3, 41)], torch.sum)
    case(g, "sum_dim0", "sum_dims", [R(2, 3)], lambda x: x.sum(0), {"dims": [0], "keepdim": 0})
    case(g, "sum_dim_last_keepdim", "sum_dims", [R(2, 3, 4)], lambda x: x.sum(-1, True),
         {"dims": [-1], "keepdim": 1})
    case(g, "sum_dims_0_2", "sum_dims", [R(2, 3, 4)], lambda x: x.sum((0, 2)),
         {"dims": [0, 2], "keepdim": 0})
    case(g, "sum_dims_keepdim_noncontiguous", "sum_dims", [R(2, 3, 4).t()],
         lambda x: x.sum((1, 2), True), {"dims": [1, 2], "keepdim": 1})
    case(g, "sum_dim_size1", "sum_dims", [R(2, 1, 3)], lambda x: x.sum(1),
         {"dims": [1], "keepdim": 0})
    case(g, "sum_dim_empty", "sum_dims", [R(0, 3)], lambda x: x.sum(0),
         {"dims": [0], "keepdim": 0})
    case(g, "mean", "mean", [R(2, 3)], torch.mean)
    case(g, "mean_noncontiguous", "mean", [R(3, 4).t()], torch.mean)
    # Empty inputs: the mean of nothing is NaN, as in PyTorch.
    case(g, "mean_empty", "mean", [R(0, 3)], torch.mean)
    case(g, "mean_dim_empty", "mean_dims", [R(0, 3)], lambda x: x.mean(0),
         {"dims": [0], "keepdim": 0})
    case(g, "mean_dim1", "mean_dims", [R(2, 3)], lambda x: x.mean(1),
         {"dims": [1], "keepdim": 0})
    case(g, "mean_dims_keepdim", "mean_dims", [R(2, 3, 4)], lambda x: x.mean((0, -1), True),
         {"dims": [0, -1], "keepdim": 1})

    for op in ("max", "min"):
        fn = getattr(torch, op)
        case(g, f"{op}_all", f"{op}_all", [R(2, 3)], fn)
        case(g, f"{op}_all_noncontiguous", f"{op}_all", [R(3, 4).t()], fn)
        case(g, f"{op}_all_ties", f"{op}_all",
             [V([1.0, 3.0, -3.0, 3.0, 2.0, -3.0], (2, 3))], fn, gradcheck=False)
        case(g, f"{op}_dim", f"{op}_dim", [R(3, 4)], lambda x, fn=fn: tuple(fn(x, 1)),
             {"dim": 1, "keepdim": 0})
        case(g, f"{op}_dim0_keepdim", f"{op}_dim", [R(3, 4)],
             lambda x, fn=fn: tuple(fn(x, 0, True)), {"dim": 0, "keepdim": 1})
        case(g, f"{op}_dim_noncontiguous", f"{op}_dim", [R(2, 3, 4).t()],
             lambda x, fn=fn: tuple(fn(x, -1)), {"dim": -1, "keepdim": 0})
        # The gradient goes to the returned index: the first extreme element.
        case(g, f"{op}_dim_ties", f"{op}_dim",
             [V([3.0, 1.0, 3.0, -2.0, -2.0, 0.0], (2, 3))],
             lambda x, fn=fn: tuple(fn(x, 1)), {"dim": 1, "keepdim": 0}, gradcheck=False)

    case(g, "argmax_all", "argmax_all", [R(3, 4)], torch.argmax)
    case(g, "argmax_all_ties", "argmax_all", [V([1.0, 5.0, 5.0, 0.0])], torch.argmax)
    case(g, "argmax_dim", "argmax_dim", [R(3, 4)], lambda x: torch.argmax(x, 1),
         {"dim": 1, "keepdim": 0})
    case(g, "argmax_dim_keepdim_noncontiguous", "argmax_dim", [R(3, 4).t()],
         lambda x: torch.argmax(x, 0, True), {"dim": 0, "keepdim": 1})
    case(g, "argmax_dim_ties", "argmax_dim", [V([2.0, 2.0, 1.0, 0.0, 4.0, 4.0], (2, 3))],
         lambda x: torch.argmax(x, 1), {"dim": 1, "keepdim": 0})

    for op in ("var", "std"):
        fn = getattr(torch, op)
        case(g, f"{op}_all", f"{op}_all", [R(2, 5)], fn, {"correction": 1})
        case(g, f"{op}_all_biased", f"{op}_all", [R(2, 5)],
             lambda x, fn=fn: fn(x, unbiased=False), {"correction": 0})
        case(g, f"{op}_all_noncontiguous", f"{op}_all", [R(3, 4).t()], fn, {"correction": 1})
        case(g, f"{op}_dim", f"{op}_dims", [R(3, 4)], lambda x, fn=fn: fn(x, 1),
             {"dims": [1], "correction": 1, "keepdim": 0})
        case(g, f"{op}_dims_keepdim_biased", f"{op}_dims", [R(2, 3, 4)],
             lambda x, fn=fn: fn(x, (0, 2), unbiased=False, keepdim=True),
             {"dims": [0, 2], "correction": 0, "keepdim": 1})
        case(g, f"{op}_dim_noncontiguous", f"{op}_dims", [R(4, 3).t()],
             lambda x, fn=fn: fn(x, 0), {"dims": [0], "correction": 1, "keepdim": 0})


def linalg():
    g = "linalg"
    shapes = {
        "1d_1d": ((4,), (4,)),
        "2d_1d": ((3, 4), (4,)),
        "1d_2d": ((4,), (4, 2)),
        "2d_2d": ((3, 4), (4, 2)),
        "3d_3d": ((2, 3, 4), (2, 4, 2)),
        "3d_2d": ((2, 3, 4), (4, 2)),
        "2d_3d": ((3, 4), (2, 4, 2)),
        "1d_3d": ((4,), (2, 4, 2)),
        "3d_1d": ((2, 3, 4), (4,)),
        "4d_3d_broadcast": ((2, 1, 3, 4), (3, 4, 2)),
        "size1_batch": ((1, 3, 4), (5, 4, 2)),
        "inner_size1": ((3, 1), (1, 2)),
        "empty_rows": ((0, 3), (3, 2)),
        "empty_inner": ((2, 0), (0, 3)),
    }
    for name, (a, b) in shapes.items():
        case(g, f"matmul_{name}", "matmul", [R(*a), R(*b)], torch.matmul)
    case(g, "matmul_2d_noncontiguous", "matmul", [R(3, 4).t(), R(4, 2).t()], torch.matmul)
    case(g, "matmul_3d_noncontiguous", "matmul", [R(2, 3, 4).t(), R(2, 4, 2)], torch.matmul)
    case(g, "matmul_larger", "matmul", [R(9, 17), R(17, 6)], torch.matmul)
    case(g, "mm", "mm", [R(3, 4), R(4, 2).t()], torch.mm)
    case(g, "bmm", "bmm", [R(2, 3, 4), R(2, 4, 5)], torch.bmm)
    case(g, "dot", "dot", [R(5), R(5)], torch.dot)
    case(g, "linear", "linear", [R(4, 3), R(2, 3), R(2)], F.linear)
    case(g, "linear_no_bias", "linear", [R(4, 3), R(2, 3)], F.linear)
    case(g, "linear_batched", "linear", [R(2, 4, 3), R(5, 3), R(5)], F.linear)
    case(g, "linear_1d_input", "linear", [R(3), R(2, 3), R(2)], F.linear)
    case(g, "linear_noncontiguous_weight", "linear", [R(4, 3), R(2, 3).t(), R(2)], F.linear)


def indexing():
    g = "indexing"
    case(g, "cat_dim0", "cat", [R(2, 3), R(1, 3), R(3, 3)], lambda *xs: torch.cat(xs, 0),
         {"dim": 0})
    case(g, "cat_dim1", "cat", [R(2, 1), R(2, 3)], lambda *xs: torch.cat(xs, 1), {"dim": 1})
    case(g, "cat_negative_dim_noncontiguous", "cat", [R(2, 3).t(), R(2, 4)],
         lambda *xs: torch.cat(xs, -1), {"dim": -1})
    case(g, "cat_with_empty", "cat", [R(2, 3), R(0, 3)], lambda *xs: torch.cat(xs, 0),
         {"dim": 0})
    case(g, "cat_3d_middle", "cat", [R(2, 1, 2), R(2, 2, 2)], lambda *xs: torch.cat(xs, 1),
         {"dim": 1})
    case(g, "stack_dim0", "stack", [R(2, 3), R(2, 3)], lambda *xs: torch.stack(xs, 0),
         {"dim": 0})
    case(g, "stack_last", "stack", [R(2, 3), R(2, 3), R(2, 3).t()],
         lambda *xs: torch.stack(xs, -1), {"dim": -1})
    case(g, "stack_middle", "stack", [R(3), R(3)], lambda *xs: torch.stack(xs, 1),
         {"dim": 1})

    case(g, "index_select_dim0", "index_select", [R(4, 3), I([2, 0, 2])],
         lambda x, i: torch.index_select(x, 0, i), {"dim": 0})
    case(g, "index_select_dim1_noncontiguous", "index_select", [R(3, 4).t(), I([1, 1, 0])],
         lambda x, i: torch.index_select(x, 1, i), {"dim": 1})
    case(g, "index_select_empty_index", "index_select", [R(3, 2), I([], (0,))],
         lambda x, i: torch.index_select(x, 0, i), {"dim": 0})
    case(g, "gather_dim0", "gather", [R(3, 4), I([0, 2, 1, 0, 2, 2, 0, 1], (2, 4))],
         lambda x, i: torch.gather(x, 0, i), {"dim": 0})
    case(g, "gather_dim1_smaller_index", "gather", [R(3, 4), I([3, 3, 0, 1], (2, 2))],
         lambda x, i: torch.gather(x, 1, i), {"dim": 1})
    case(g, "gather_noncontiguous", "gather", [R(4, 3).t(), I([0, 2, 1, 1, 2, 0], (3, 2))],
         lambda x, i: torch.gather(x, -1, i), {"dim": -1})
    case(g, "scatter_add_dim0", "scatter_add",
         [R(3, 4), I([0, 2, 1, 0, 2, 2, 0, 1], (2, 4)), R(2, 4)],
         lambda x, i, s: torch.scatter_add(x, 0, i, s), {"dim": 0})
    case(g, "scatter_add_dim1_repeats", "scatter_add",
         [R(2, 5), I([1, 1, 4, 0, 0, 0], (2, 3)), R(2, 3)],
         lambda x, i, s: torch.scatter_add(x, 1, i, s), {"dim": 1})
    case(g, "one_hot", "one_hot", [I([0, 2, 1, 2])], F.one_hot, {"num_classes": -1})
    case(g, "one_hot_classes_2d", "one_hot", [I([0, 3, 1, 1], (2, 2))],
         lambda x: F.one_hot(x, 5), {"num_classes": 5})


def views():
    g = "views"
    case(g, "permute", "permute", [R(2, 3, 4)], lambda x: x.permute(2, 0, 1),
         {"dims": [2, 0, 1]})
    case(g, "permute_noncontiguous", "permute", [R(2, 4, 3).t()],
         lambda x: x.permute(1, 2, 0), {"dims": [1, 2, 0]})
    case(g, "transpose", "transpose", [R(2, 3, 4)], lambda x: x.transpose(0, 2),
         {"dim0": 0, "dim1": 2})
    case(g, "t", "t", [R(2, 3)], lambda x: x.t())
    case(g, "expand", "expand", [R(3, 1)], lambda x: x.expand(3, 4), {"shape": [3, 4]})
    case(g, "expand_new_dims", "expand", [R(1, 3)], lambda x: x.expand(2, -1, 3),
         {"shape": [2, -1, 3]})
    case(g, "narrow", "narrow", [R(4, 3)], lambda x: x.narrow(0, 1, 2),
         {"dim": 0, "start": 1, "length": 2})
    case(g, "narrow_noncontiguous", "narrow", [R(4, 3).t()], lambda x: x.narrow(1, 1, 2),
         {"dim": 1, "start": 1, "length": 2})
    case(g, "select", "select", [R(3, 4)], lambda x: x.select(1, 2), {"dim": 1, "index": 2})
    case(g, "select_negative_index", "select", [R(3, 4)], lambda x: x.select(0, -1),
         {"dim": 0, "index": -1})
    case(g, "slice_step", "slice", [R(7, 2)], lambda x: x[1:6:2],
         {"dim": 0, "start": 1, "end": 6, "step": 2})
    case(g, "slice_dim1", "slice", [R(2, 6)], lambda x: x[:, 2:5],
         {"dim": 1, "start": 2, "end": 5, "step": 1})
    case(g, "reshape_contiguous", "reshape", [R(2, 6)], lambda x: x.reshape(3, 4),
         {"shape": [3, 4]})
    case(g, "reshape_infer", "reshape", [R(2, 3, 4)], lambda x: x.reshape(-1, 4),
         {"shape": [-1, 4]})
    case(g, "reshape_noncontiguous_copies", "reshape", [R(4, 3).t()],
         lambda x: x.reshape(12), {"shape": [12]})
    case(g, "view", "view", [R(2, 6)], lambda x: x.view(2, 3, 2), {"shape": [2, 3, 2]})
    case(g, "squeeze_all", "squeeze_all", [R(1, 3, 1)], lambda x: x.squeeze())
    case(g, "squeeze_dim", "squeeze_dim", [R(1, 3, 1)], lambda x: x.squeeze(2), {"dim": 2})
    case(g, "unsqueeze", "unsqueeze", [R(2, 3)], lambda x: x.unsqueeze(1), {"dim": 1})
    case(g, "unsqueeze_last", "unsqueeze", [R(2, 3)], lambda x: x.unsqueeze(-1), {"dim": -1})
    case(g, "flatten", "flatten", [R(2, 3, 4)], lambda x: x.flatten(1), {"start": 1, "end": -1})
    case(g, "contiguous", "contiguous", [R(3, 4).t()], lambda x: x.contiguous())
    case(g, "to_float64", "to_float64", [R(2, 3).as_dtype("f32")],
         lambda x: x.to(torch.float64), dtypes=("mixed",))
    case(g, "to_float32", "to_float32", [R(2, 3).as_dtype("f64")],
         lambda x: x.to(torch.float32), dtypes=("mixed",))
    case(g, "view_chain", "view_chain", [R(2, 3, 4)],
         lambda x: x.permute(2, 0, 1).select(0, 1).unsqueeze(0).expand(2, 2, 3) * 2.0)


def inplace():
    """In-place ops on a clone: values, and gradients through rebased history."""
    g = "inplace"

    def on_clone(method, *args):
        def fn(x, *others):
            y = x.clone()
            getattr(y, method)(*others, *args)
            return y
        return fn

    case(g, "add_", "add_", [R(2, 3), R(3)], on_clone("add_"), {"alpha": 1.0})
    case(g, "add_alpha_", "add_", [R(2, 3), R(2, 3)], lambda x, o: x.clone().add_(o, alpha=2.0),
         {"alpha": 2.0})
    case(g, "sub_", "sub_", [R(2, 3), R(2, 1)], on_clone("sub_"), {"alpha": 1.0})
    case(g, "mul_", "mul_", [R(2, 3), R(3)], on_clone("mul_"))
    case(g, "div_", "div_", [R(2, 3), P(2, 3)], on_clone("div_"))
    case(g, "add_scalar_", "add_scalar_", [R(2, 3)], on_clone("add_", 1.5), {"value": 1.5})
    case(g, "mul_scalar_", "mul_scalar_", [R(2, 3)], on_clone("mul_", -3.0), {"value": -3.0})
    case(g, "div_scalar_", "div_scalar_", [R(2, 3)], on_clone("div_", 4.0), {"value": 4.0})
    case(g, "clamp_", "clamp_", [A(2, 3)], on_clone("clamp_", -0.5, 0.5),
         {"min": -0.5, "max": 0.5})
    case(g, "relu_", "relu_", [A(2, 3)], on_clone("relu_"))
    case(g, "neg_", "neg_", [R(2, 3)], on_clone("neg_"))
    case(g, "exp_", "exp_", [R(2, 3)], on_clone("exp_"))
    case(g, "sqrt_", "sqrt_", [P(2, 3)], on_clone("sqrt_"))
    case(g, "pow_", "pow_", [P(2, 3)], on_clone("pow_", 2.5), {"exponent": 2.5})
    case(g, "fill_", "fill_", [R(2, 3)], on_clone("fill_", 0.25), {"value": 0.25})
    case(g, "masked_fill_", "masked_fill_", [R(2, 3), M(2, 3)],
         lambda x, m: x.clone().masked_fill_(m, 9.0), {"value": 9.0})
    case(g, "copy_broadcast", "copy_", [R(2, 3), R(3)], on_clone("copy_"))


def main():
    torch.set_num_threads(1)
    for make in (arithmetic, unary, activation, selection, reduce, linalg, indexing, views,
                 inplace):
        make()
    os.makedirs(OUT_DIR, exist_ok=True)
    for name, records in sorted(groups.items()):
        path = os.path.join(OUT_DIR, f"{name}.txt")
        with open(path, "w") as out:
            out.write(f"# ember parity fixtures: {name}. Written by tools/make_fixtures.py "
                      f"with torch {torch.__version__}; do not edit.\n")
            out.write("\n".join(records) + "\n")
        print(f"{path}: {len(records)} cases, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
