#!/usr/bin/python3
"""Writes PyTorch reference values for ember's activations, softmax and losses.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tools/make_nn_fixtures.py
It rewrites tests/fixtures/nn.txt, which tests/parity/test_nn_parity.cpp reads.

The file format, the input specifications and the writers are those of
tools/make_fixtures.py (imported from there). One addition: inputs wrapped in
const() (class weights, pos_weight) are recorded without requires_grad, since
PyTorch refuses gradients for them. Every case is written for float32 and
float64; values come from a generator seeded by the case's name.
"""

import os
import sys
import zlib

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import (DTYPES, OUT_DIR, A, I, P, R, Spec, V,  # noqa: E402
                           non_contiguous, param_text, tensor_line)

records = []


def U(low, high, *shape):
    """Uniform values in [low, high)."""
    return Spec(lambda g: low + (high - low) * torch.rand(shape, generator=g,
                                                         dtype=torch.float64))


def S(scale, *shape):
    """Normal values times `scale`, to reach the kinks at +-3 and 6."""
    return Spec(lambda g: scale * torch.randn(shape, generator=g, dtype=torch.float64))


def const(spec):
    """An input PyTorch gives no gradient (class weights, pos_weight)."""
    spec.constant = True
    return spec


def case(name, op, inputs, fn, params=None, gradcheck=True):
    """Records fn(*inputs) under name_f32 and name_f64."""
    for dtype_name, float_dtype in DTYPES.items():
        full_name = f"{name}_{dtype_name}"
        g = torch.Generator().manual_seed(zlib.crc32(full_name.encode()))

        tensors = []
        for spec in inputs:
            x = spec.make(g)
            if x.is_floating_point():
                x = x.to(spec.dtype or float_dtype)
            if spec.layout == "t":
                x = non_contiguous(x)
            if x.is_floating_point() and not getattr(spec, "constant", False):
                x = x.detach().requires_grad_(True)
            tensors.append(x)
        out = fn(*tensors)

        lines = [f"case {full_name}", f"op {op}"]
        for key, value in (params or {}).items():
            lines.append(f"param {key} {param_text(value)}")
        if not gradcheck:
            lines.append("nogradcheck")
        for i, (spec, x) in enumerate(zip(inputs, tensors)):
            lines.append(tensor_line(f"in{i}", x))
            if spec.layout == "t":
                lines.append(f"layout in{i} t")
        lines.append(tensor_line("out", out))
        if out.requires_grad:
            gout = torch.randn(out.shape, generator=g, dtype=torch.float64).to(out.dtype)
            out.backward(gout)
            lines.append(tensor_line("gout", gout))
            for i, x in enumerate(tensors):
                if x.is_floating_point() and x.grad is not None:
                    lines.append(tensor_line(f"grad{i}", x.grad))
        lines.append("end")
        records.append("\n".join(lines))


# ---- activations ----

def activations():
    # 3.0 comes last: PyTorch's vectorized hardswish gradient gives 1 at x = 3
    # and its scalar loop 1.5; with 9 elements the last one takes the scalar
    # loop for both dtypes (float32 vectorizes only from 16 elements).
    kinks = V([-7.0, -6.0, -3.0, -1.0, 0.0, 1.0, 6.0, 7.0, 3.0])
    for op, fn in (("relu6", F.relu6), ("selu", F.selu), ("silu", F.silu), ("mish", F.mish),
                   ("hardsigmoid", F.hardsigmoid), ("hardswish", F.hardswish)):
        case(op, op, [S(3.0, 2, 5)], fn)
        case(f"{op}_long", op, [S(3.0, 21)], fn)
        case(f"{op}_noncontiguous", op, [S(3.0, 4, 3).t()], fn)
        case(f"{op}_at_kinks", op, [kinks], fn, gradcheck=False)
    case("silu_large_magnitude", "silu", [V([-1e4, -50.0, 50.0, 1e4])], F.silu)
    case("mish_large_magnitude", "mish", [V([-60.0, -20.0, 20.0, 1e4])], F.mish)

    for alpha in (1.0, 0.5, -0.3):
        tag = param_text(alpha).replace(".", "p").replace("-", "m")
        case(f"elu_alpha_{tag}", "elu", [S(2.0, 3, 5)], lambda x, a=alpha: F.elu(x, a),
             {"alpha": alpha})
    case("elu_at_zero", "elu", [V([-1.0, 0.0, 1.0])], lambda x: F.elu(x, 0.5),
         {"alpha": 0.5}, gradcheck=False)
    case("elu_long", "elu", [S(2.0, 21)], F.elu, {"alpha": 1.0})

    for beta, threshold in ((1.0, 20.0), (2.0, 3.0), (0.5, 1.0)):
        tag = f"{param_text(beta)}_{param_text(threshold)}".replace(".", "p")
        case(f"softplus_{tag}", "softplus", [S(4.0, 3, 7)],
             lambda x, b=beta, t=threshold: F.softplus(x, b, t),
             {"beta": beta, "threshold": threshold})
    case("softplus_large_magnitude", "softplus", [V([-1e4, -30.0, 30.0, 1e4])], F.softplus,
         {"beta": 1.0, "threshold": 20.0})

    for low, high in ((-1.0, 1.0), (-2.0, 0.5)):
        tag = f"{param_text(low)}_{param_text(high)}".replace(".", "p").replace("-", "m")
        case(f"hardtanh_{tag}", "hardtanh", [S(2.0, 3, 5)],
             lambda x, lo=low, hi=high: F.hardtanh(x, lo, hi), {"min_val": low, "max_val": high})
    case("hardtanh_on_bounds", "hardtanh", [V([-1.5, -1.0, 0.0, 1.0, 1.5])], F.hardtanh,
         {"min_val": -1.0, "max_val": 1.0}, gradcheck=False)
    case("hardtanh_noncontiguous", "hardtanh", [S(2.0, 5, 4).t()], F.hardtanh,
         {"min_val": -1.0, "max_val": 1.0})


def softmaxes():
    for op, fn in (("softmax", F.softmax), ("log_softmax", F.log_softmax)):
        case(f"{op}_rows", op, [R(3, 5)], lambda x, fn=fn: fn(x, 1), {"dim": 1})
        case(f"{op}_long_rows", op, [S(3.0, 2, 21)], lambda x, fn=fn: fn(x, -1), {"dim": -1})
        case(f"{op}_dim0", op, [R(4, 3)], lambda x, fn=fn: fn(x, 0), {"dim": 0})
        case(f"{op}_middle_dim", op, [R(2, 3, 11)], lambda x, fn=fn: fn(x, 1), {"dim": 1})
        case(f"{op}_noncontiguous", op, [R(2, 5, 3).t()], lambda x, fn=fn: fn(x, 2),
             {"dim": 2})
        case(f"{op}_size1_dim", op, [R(3, 1)], lambda x, fn=fn: fn(x, 1), {"dim": 1})
        case(f"{op}_1d", op, [R(6)], lambda x, fn=fn: fn(x, 0), {"dim": 0})
        # Differences of whole numbers keep x - max exact in float32 too.
        case(f"{op}_large_logits", op,
             [V([1e4, -1e4, 0.0, 1e4 - 1.0, 1e4, 1e4 - 2.0], (2, 3))],
             lambda x, fn=fn: fn(x, 1), {"dim": 1})


# ---- losses ----

REDUCTIONS = ("none", "mean", "sum")


def regression_losses():
    for reduction in REDUCTIONS:
        r = {"reduction": reduction}
        case(f"mse_loss_{reduction}", "mse_loss", [R(3, 4), R(3, 4)],
             lambda x, y, red=reduction: F.mse_loss(x, y, reduction=red), r)
        case(f"l1_loss_{reduction}", "l1_loss", [R(3, 4), R(3, 4)],
             lambda x, y, red=reduction: F.l1_loss(x, y, reduction=red), r)
        case(f"smooth_l1_loss_{reduction}", "smooth_l1_loss", [R(3, 4), R(3, 4)],
             lambda x, y, red=reduction: F.smooth_l1_loss(x, y, reduction=red, beta=0.5),
             {**r, "beta": 0.5})
        case(f"huber_loss_{reduction}", "huber_loss", [R(3, 4), R(3, 4)],
             lambda x, y, red=reduction: F.huber_loss(x, y, reduction=red, delta=0.5),
             {**r, "delta": 0.5})
    case("mse_loss_noncontiguous", "mse_loss", [R(3, 4).t(), R(3, 4)], F.mse_loss,
         {"reduction": "mean"})
    case("smooth_l1_loss_beta0", "smooth_l1_loss", [R(3, 4), R(3, 4)],
         lambda x, y: F.smooth_l1_loss(x, y, beta=0.0), {"reduction": "mean", "beta": 0.0})
    case("huber_loss_default", "huber_loss", [S(2.0, 3, 4), R(3, 4)], F.huber_loss,
         {"reduction": "mean", "delta": 1.0})


def class_losses():
    labels = I([1, 4, 0, 2, 4, 3])
    labels_ignored = I([1, -100, 0, 2, -100, 3])
    for reduction in REDUCTIONS:
        r = {"reduction": reduction}
        case(f"nll_loss_{reduction}", "nll_loss", [R(6, 5), labels],
             lambda x, t, red=reduction: F.nll_loss(x, t, reduction=red), r)
        case(f"nll_loss_weight_ignore_{reduction}", "nll_loss",
             [R(6, 5), labels_ignored, const(P(5))],
             lambda x, t, w, red=reduction: F.nll_loss(x, t, w, reduction=red), r)
        case(f"cross_entropy_{reduction}", "cross_entropy", [R(6, 5), labels],
             lambda x, t, red=reduction: F.cross_entropy(x, t, reduction=red), r)
        case(f"cross_entropy_weight_ignore_{reduction}", "cross_entropy",
             [R(6, 5), I([1, 4, 0, 2, 4, 3]), const(P(5))],
             lambda x, t, w, red=reduction: F.cross_entropy(x, t, w, ignore_index=4,
                                                            reduction=red),
             {**r, "ignore_index": 4})
        case(f"cross_entropy_smoothing_{reduction}", "cross_entropy",
             [R(6, 5), labels_ignored, const(P(5))],
             lambda x, t, w, red=reduction: F.cross_entropy(x, t, w, reduction=red,
                                                            label_smoothing=0.2),
             {**r, "label_smoothing": 0.2})
        case(f"cross_entropy_probabilities_{reduction}", "cross_entropy",
             [R(4, 5), U(0.0, 1.0, 4, 5)],
             lambda x, t, red=reduction: F.cross_entropy(x, t, reduction=red), r)
        case(f"cross_entropy_probabilities_weight_smoothing_{reduction}", "cross_entropy",
             [R(4, 5), U(0.0, 1.0, 4, 5), const(P(5))],
             lambda x, t, w, red=reduction: F.cross_entropy(x, t, w, reduction=red,
                                                            label_smoothing=0.3),
             {**r, "label_smoothing": 0.3})

    spatial = I([0, 2, 1, -100, 2, 2, 0, 1, 1, 0, -100, 2], (2, 2, 3))
    case("nll_loss_spatial", "nll_loss", [R(2, 3, 2, 3), spatial, const(P(3))],
         lambda x, t, w: F.nll_loss(x, t, w), {"reduction": "mean"})
    case("nll_loss_spatial_none", "nll_loss", [R(2, 3, 2, 3), spatial],
         lambda x, t: F.nll_loss(x, t, reduction="none"), {"reduction": "none"})
    case("nll_loss_unbatched", "nll_loss", [R(5), I(3, ())], F.nll_loss, {"reduction": "mean"})
    case("nll_loss_batch_of_one", "nll_loss", [R(1, 5), I([2])], F.nll_loss,
         {"reduction": "mean"})
    case("cross_entropy_spatial_smoothing", "cross_entropy", [R(2, 3, 2, 3), spatial, const(P(3))],
         lambda x, t, w: F.cross_entropy(x, t, w, label_smoothing=0.1),
         {"reduction": "mean", "label_smoothing": 0.1})
    case("cross_entropy_spatial_none", "cross_entropy", [R(2, 3, 9), I(
        [0, 1, 2, 2, 1, 0, 0, 1, 2, 1, 1, 1, 0, 0, 2, 2, -100, 0], (2, 9))],
        lambda x, t: F.cross_entropy(x, t, reduction="none"), {"reduction": "none"})
    case("cross_entropy_unbatched", "cross_entropy", [R(5), I(1, ())], F.cross_entropy,
         {"reduction": "mean"})
    case("cross_entropy_noncontiguous", "cross_entropy", [R(4, 5).t(), I([0, 4, 2, 1])],
         F.cross_entropy, {"reduction": "mean"})
    case("cross_entropy_large_logits", "cross_entropy",
         [V([1e4, -1e4, 0.0, -1e4, 1e4, 0.0], (2, 3)), I([0, 2])],
         lambda x, t: F.cross_entropy(x, t, reduction="none"), {"reduction": "none"})
    case("cross_entropy_probabilities_spatial", "cross_entropy",
         [R(2, 3, 4), U(0.0, 1.0, 2, 3, 4)],
         lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1),
         {"reduction": "mean", "label_smoothing": 0.1})


def binary_losses():
    for reduction in REDUCTIONS:
        r = {"reduction": reduction}
        case(f"binary_cross_entropy_{reduction}", "binary_cross_entropy",
             [U(0.05, 0.95, 3, 4), U(0.0, 1.0, 3, 4)],
             lambda x, t, red=reduction: F.binary_cross_entropy(x, t, reduction=red), r)
        case(f"binary_cross_entropy_weight_{reduction}", "binary_cross_entropy",
             [U(0.05, 0.95, 3, 4), U(0.0, 1.0, 3, 4), const(P(4))],
             lambda x, t, w, red=reduction: F.binary_cross_entropy(x, t, w, reduction=red), r)
        case(f"bce_with_logits_{reduction}", "binary_cross_entropy_with_logits",
             [S(3.0, 3, 4), U(0.0, 1.0, 3, 4)],
             lambda x, t, red=reduction: F.binary_cross_entropy_with_logits(
                 x, t, reduction=red), {**r, "weight": 0, "pos_weight": 0})
        case(f"bce_with_logits_weights_{reduction}", "binary_cross_entropy_with_logits",
             [S(3.0, 3, 4), U(0.0, 1.0, 3, 4), const(P(3, 1)), const(P(4))],
             lambda x, t, w, pw, red=reduction: F.binary_cross_entropy_with_logits(
                 x, t, w, reduction=red, pos_weight=pw), {**r, "weight": 1, "pos_weight": 1})
    case("binary_cross_entropy_at_0_and_1", "binary_cross_entropy",
         [V([0.0, 1.0, 0.0, 1.0, 0.5]), V([0.0, 1.0, 1.0, 0.0, 0.3])],
         lambda x, t: F.binary_cross_entropy(x, t, reduction="none"), {"reduction": "none"},
         gradcheck=False)
    case("bce_with_logits_large", "binary_cross_entropy_with_logits",
         [V([1e4, -1e4, 1e4, -1e4, 40.0, -40.0]), V([1.0, 0.0, 0.0, 1.0, 0.5, 0.5]),
          const(V([2.0, 2.0, 0.5, 0.5, 3.0, 3.0]))],
         lambda x, t, pw: F.binary_cross_entropy_with_logits(x, t, reduction="none",
                                                             pos_weight=pw),
         {"reduction": "none", "weight": 0, "pos_weight": 1})
    case("bce_with_logits_noncontiguous", "binary_cross_entropy_with_logits",
         [S(3.0, 3, 4).t(), U(0.0, 1.0, 3, 4)], F.binary_cross_entropy_with_logits,
         {"reduction": "mean", "weight": 0, "pos_weight": 0})


def divergence_and_pairwise_losses():
    for reduction in REDUCTIONS + ("batchmean",):
        r = {"reduction": reduction}
        case(f"kl_div_{reduction}", "kl_div", [R(3, 4), U(0.05, 1.0, 3, 4)],
             lambda x, t, red=reduction: F.kl_div(x, t, reduction=red), {**r, "log_target": 0})
        case(f"kl_div_log_target_{reduction}", "kl_div", [R(3, 4), R(3, 4)],
             lambda x, t, red=reduction: F.kl_div(x, t, reduction=red, log_target=True),
             {**r, "log_target": 1})
    case("kl_div_zero_target", "kl_div", [R(4), V([0.0, 0.5, 1.0, 0.25])],
         lambda x, t: F.kl_div(x, t, reduction="none"),
         {"reduction": "none", "log_target": 0}, gradcheck=False)

    for reduction in REDUCTIONS:
        r = {"reduction": reduction}
        case(f"cosine_embedding_loss_{reduction}", "cosine_embedding_loss",
             [R(4, 6), R(4, 6), I([1, -1, -1, 1])],
             lambda a, b, y, red=reduction: F.cosine_embedding_loss(a, b, y, margin=-0.2,
                                                                    reduction=red),
             {**r, "margin": -0.2})
        case(f"margin_ranking_loss_{reduction}", "margin_ranking_loss",
             [R(3, 1), R(1, 4), U(-1.0, 1.0, 3, 4)],
             lambda a, b, y, red=reduction: F.margin_ranking_loss(a, b, y, margin=0.3,
                                                                  reduction=red),
             {**r, "margin": 0.3})
    case("cosine_embedding_loss_1d", "cosine_embedding_loss", [R(5), R(5), I(-1, ())],
         lambda a, b, y: F.cosine_embedding_loss(a, b, y, margin=-0.5),
         {"reduction": "mean", "margin": -0.5})
    case("cosine_embedding_loss_float_target", "cosine_embedding_loss",
         [R(3, 6), R(3, 6), const(V([1.0, -1.0, 0.0]))],
         lambda a, b, y: F.cosine_embedding_loss(a, b, y, reduction="none"),
         {"reduction": "none", "margin": 0.0})
    case("margin_ranking_loss_signs", "margin_ranking_loss",
         [R(5), R(5), const(V([1.0, -1.0, 1.0, -1.0, 1.0]))],
         lambda a, b, y: F.margin_ranking_loss(a, b, y), {"reduction": "mean", "margin": 0.0})


def main():
    torch.set_num_threads(1)
    for make in (activations, softmaxes, regression_losses, class_losses, binary_losses,
                 divergence_and_pairwise_losses):
        make()
    path = os.path.join(OUT_DIR, "nn.txt")
    with open(path, "w") as out:
        out.write(f"# ember parity fixtures: nn. Written by tools/make_nn_fixtures.py "
                  f"with torch {torch.__version__}; do not edit.\n")
        out.write("\n".join(records) + "\n")
    print(f"{path}: {len(records)} cases, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
