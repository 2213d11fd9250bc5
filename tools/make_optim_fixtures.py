#!/usr/bin/python3
"""Writes PyTorch reference trajectories for ember's optimizers.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tools/make_optim_fixtures.py
It rewrites tests/fixtures/optim.txt, which tests/optim/test_optimizers.cpp reads.

The format is that of tools/make_fixtures.py (case / op / param / tensor / end).
The first case, "problem", holds the fixed problem every optimizer runs on, in
float64: four parameters p0 [3, 4], p1 [5], p2 [2, 3] (stored transposed, so
non-contiguous) and p3 [2], which the loss never uses (its gradient stays
None, so optimizers must skip it), and the constants w0 [3, 4] and t2 [2, 3]:

    loss = sum(w0 * p0^2) + 0.25 * sum(p1^4) - sum(p1)
           + sum(tanh(p2) * t2) + 0.1 * sum(p0) * sum(p2)

Every other case runs one optimizer for 20 steps of zero_grad, backward, step:
  op NAME                       the optimizer (SGD, Adam, ...)
  param groups N                1: one group [p0 p1 p2 p3]; 2: [p0 p1] and [p2 p3]
  param group0 KEY=VALUE...     each group's options (bools 0/1, betas=b1,b2);
  param group1 KEY=VALUE...     options left out take PyTorch's defaults
  tensor trajectory float64 2 20 23   p0, p1, p2 flattened (row-major), after each step
The default dtype is float64, so PyTorch's scalar state (step, NAdam's
mu_product) is float64 too.
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import OUT_DIR, tensor_line  # noqa: E402

STEPS = 20

# Option grids: (case name, optimizer, [options of group 0, options of group 1]
# or [options of the single group]). Together they cover every option.
CASES = [
    ("sgd_plain", "SGD", [dict(lr=0.05)]),
    ("sgd_momentum", "SGD", [dict(lr=0.05, momentum=0.9)]),
    ("sgd_dampening", "SGD", [dict(lr=0.05, momentum=0.9, dampening=0.3)]),
    ("sgd_nesterov", "SGD", [dict(lr=0.05, momentum=0.9, nesterov=True)]),
    ("sgd_weight_decay", "SGD", [dict(lr=0.05, weight_decay=0.1)]),
    ("sgd_maximize", "SGD", [dict(lr=0.01, momentum=0.5, weight_decay=0.1, maximize=True)]),
    ("sgd_groups", "SGD", [dict(lr=0.05, momentum=0.9),
                           dict(lr=0.01, momentum=0.8, nesterov=True, weight_decay=0.01)]),

    ("adagrad_default", "Adagrad", [dict()]),
    ("adagrad_lr_decay", "Adagrad", [dict(lr=0.1, lr_decay=0.05)]),
    ("adagrad_accumulator", "Adagrad",
     [dict(lr=0.1, initial_accumulator_value=0.5, weight_decay=0.1, eps=1e-6)]),
    ("adagrad_maximize", "Adagrad", [dict(lr=0.05, maximize=True)]),
    ("adagrad_groups", "Adagrad", [dict(lr=0.1, initial_accumulator_value=0.1),
                                   dict(lr=0.05, lr_decay=0.1, initial_accumulator_value=0.1)]),

    ("adadelta_default", "Adadelta", [dict()]),
    ("adadelta_options", "Adadelta", [dict(lr=0.5, rho=0.5, eps=1e-4, weight_decay=0.1)]),
    ("adadelta_maximize", "Adadelta", [dict(lr=0.5, maximize=True)]),
    ("adadelta_groups", "Adadelta", [dict(lr=1.0), dict(lr=0.3, rho=0.95, weight_decay=0.05)]),

    ("rmsprop_default", "RMSprop", [dict()]),
    ("rmsprop_momentum", "RMSprop", [dict(lr=0.01, momentum=0.9)]),
    ("rmsprop_centered", "RMSprop", [dict(lr=0.01, centered=True)]),
    ("rmsprop_centered_momentum", "RMSprop",
     [dict(lr=0.005, alpha=0.9, eps=1e-6, weight_decay=0.1, momentum=0.5, centered=True)]),
    ("rmsprop_maximize", "RMSprop", [dict(lr=0.01, maximize=True)]),
    ("rmsprop_groups", "RMSprop", [dict(lr=0.01, momentum=0.9),
                                   dict(lr=0.002, alpha=0.95, centered=True)]),

    ("adam_default", "Adam", [dict()]),
    ("adam_betas_eps", "Adam", [dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6)]),
    ("adam_weight_decay", "Adam", [dict(lr=0.05, weight_decay=0.1)]),
    ("adam_amsgrad", "Adam", [dict(lr=0.05, amsgrad=True)]),
    ("adam_maximize", "Adam", [dict(lr=0.02, weight_decay=0.1, amsgrad=True, maximize=True)]),
    ("adam_groups", "Adam", [dict(lr=0.05), dict(lr=0.01, betas=(0.5, 0.9), amsgrad=True)]),

    ("adamw_default", "AdamW", [dict()]),
    ("adamw_amsgrad", "AdamW", [dict(lr=0.05, weight_decay=0.1, amsgrad=True)]),
    ("adamw_maximize", "AdamW", [dict(lr=0.02, maximize=True)]),
    ("adamw_groups", "AdamW", [dict(lr=0.05), dict(lr=0.01, weight_decay=0.5, eps=1e-4)]),

    ("nadam_default", "NAdam", [dict()]),
    ("nadam_options", "NAdam", [dict(lr=0.05, betas=(0.85, 0.995), momentum_decay=0.01)]),
    ("nadam_weight_decay", "NAdam", [dict(lr=0.05, weight_decay=0.1, eps=1e-6)]),
    ("nadam_groups", "NAdam", [dict(lr=0.05), dict(lr=0.01, betas=(0.5, 0.9))]),

    ("radam_default", "RAdam", [dict()]),
    ("radam_options", "RAdam", [dict(lr=0.05, betas=(0.8, 0.9), eps=1e-6)]),
    ("radam_weight_decay", "RAdam", [dict(lr=0.05, weight_decay=0.1)]),
    ("radam_groups", "RAdam", [dict(lr=0.05), dict(lr=0.01, betas=(0.5, 0.95))]),
]


def make_problem():
    g = torch.Generator().manual_seed(20240613)
    p0 = torch.randn(3, 4, generator=g)
    p1 = 0.8 * torch.randn(5, generator=g) + 0.5
    p2 = torch.randn(2, 3, generator=g)
    p3 = torch.randn(2, generator=g)
    w0 = 0.5 + 1.5 * torch.rand(3, 4, generator=g)
    t2 = torch.randn(2, 3, generator=g)
    return [p0, p1, p2, p3], w0, t2


def loss_fn(p, w0, t2):
    p0, p1, p2, _ = p
    return ((w0 * p0 * p0).sum() + 0.25 * (p1 ** 4).sum() - p1.sum()
            + (torch.tanh(p2) * t2).sum() + 0.1 * p0.sum() * p2.sum())


def option_text(options):
    words = []
    for key, value in options.items():
        if isinstance(value, bool):
            value = "1" if value else "0"
        elif isinstance(value, tuple):
            value = ",".join(repr(float(v)) for v in value)
        else:
            value = repr(float(value))
        words.append(f"{key}={value}")
    return " ".join(words)


def trajectory(optimizer_name, groups, init, w0, t2):
    params = []
    for k, x in enumerate(init):
        x = x.clone()
        if k == 2:  # the same values, stored transposed (non-contiguous), as in the C++ test
            x = x.t().contiguous().t()
        params.append(x.requires_grad_(True))
    if len(groups) == 1:
        param_groups = [dict(params=params, **groups[0])]
    else:
        param_groups = [dict(params=params[:2], **groups[0]),
                        dict(params=params[2:], **groups[1])]
    # Options shared by every group also go to the constructor: PyTorch's Adagrad
    # fills `sum` with the constructor's initial_accumulator_value, whatever the
    # group says (ember uses each group's own).
    shared = {k: v for k, v in groups[0].items() if all(g.get(k) == v for g in groups)}
    optimizer = getattr(torch.optim, optimizer_name)(param_groups, **shared)

    rows = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss_fn(params, w0, t2).backward()
        optimizer.step()
        rows.append(torch.cat([x.detach().reshape(-1) for x in params[:3]]))
    assert params[3].grad is None and torch.equal(params[3].detach(), init[3])
    return torch.stack(rows)


def main():
    torch.set_default_dtype(torch.float64)
    init, w0, t2 = make_problem()
    lines = ["# ember parity fixtures: optim. Written by tools/make_optim_fixtures.py with "
             f"torch {torch.__version__}; do not edit.",
             "case problem", "op problem"]
    for k, x in enumerate(init):
        lines.append(tensor_line(f"p{k}", x))
    lines.append("layout p2 t")
    lines += [tensor_line("w0", w0), tensor_line("t2", t2), "end"]

    for name, optimizer_name, groups in CASES:
        lines += [f"case {name}", f"op {optimizer_name}", f"param groups {len(groups)}"]
        for k, options in enumerate(groups):
            lines.append(f"param group{k} {option_text(options)}".rstrip())
        lines.append(tensor_line("trajectory", trajectory(optimizer_name, groups, init, w0, t2)))
        lines.append("end")

    path = os.path.join(OUT_DIR, "optim.txt")
    with open(path, "w") as out:
        out.write("\n".join(lines) + "\n")
    print(f"wrote {len(CASES)} optimizer cases to {path}")


if __name__ == "__main__":
    main()
