#!/usr/bin/python3
"""Writes PyTorch reference values for ember's LR schedulers and gradient clipping.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tools/make_scheduler_fixtures.py
It rewrites tests/fixtures/scheduler.txt (read by tests/optim/test_lr_scheduler.cpp) and
tests/fixtures/clip_grad.txt (read by tests/nn/test_clip_grad.cpp), in the record format
of tools/make_fixtures.py that tests/parity/fixture_reader.h reads.

Scheduler cases: `op` names the scheduler, `param lrs` the groups' starting learning
rates, the other params its options. `tensor lr` holds one row per step, one column per
group: row 0 right after construction, row k after the k-th step() (or step(metric),
step(epoch)). OneCycle cases add `tensor momentum` (SGD's momentum or Adam's beta1).
Lambda schedules name their functions (`param lambdas`); the C++ test defines the same
functions under those names.

Clip cases: `in<i>` are the gradients before clipping (`param no_grad` lists the
parameters that have none), `out<i>` after; `param total_norm` is the returned norm.
"""

import math
import os
import sys

import torch
from torch.nn.utils import clip_grad_norm_, clip_grad_value_
from torch.optim import lr_scheduler as sched

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import OUT_DIR, param_text, tensor_line  # noqa: E402

# The lambdas of the LambdaLR cases; test_lr_scheduler.cpp mirrors each one.
LAMBDAS = {
    "pow095": lambda epoch: 0.95 ** epoch,
    "step_decay": lambda epoch: 1.0 / (1 + epoch // 10),
    "warmup5": lambda epoch: min(1.0, (epoch + 1) / 5),
}


def make_optimizer(lrs, kind="sgd"):
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    if kind == "adam":
        return torch.optim.Adam(groups, betas=(0.9, 0.999))
    return torch.optim.SGD(groups, lr=lrs[0], momentum=0.9)


def momentum_of(group):
    return group["betas"][0] if "betas" in group else group["momentum"]


class Recorder:
    """Collects each group's lr (and momentum) after construction and every step."""

    def __init__(self, optimizer, momentum=False):
        self.optimizer = optimizer
        self.momentum = momentum
        self.lrs = []
        self.momenta = []
        self.record()

    def record(self):
        groups = self.optimizer.param_groups
        self.lrs.append([group["lr"] for group in groups])
        if self.momentum:
            self.momenta.append([momentum_of(group) for group in groups])

    def lines(self):
        out = [tensor_line("lr", torch.tensor(self.lrs, dtype=torch.float64))]
        if self.momentum:
            out.append(tensor_line("momentum", torch.tensor(self.momenta, dtype=torch.float64)))
        return out


records = []


def write_case(name, op, lrs, params, recorder):
    lines = [f"case {name}", f"op {op}", f"param lrs {param_text(lrs)}"]
    for key, value in params.items():
        lines.append(f"param {key} {param_text(value)}")
    lines += recorder.lines()
    lines.append("end")
    records.append("\n".join(lines))


def stepped(name, op, lrs, params, build, steps, kind="sgd", momentum=False):
    """Builds a scheduler over fresh groups and calls step() `steps` times."""
    optimizer = make_optimizer(lrs, kind)
    scheduler = build(optimizer)
    recorder = Recorder(optimizer, momentum)
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        recorder.record()
    write_case(name, op, lrs, dict(params, steps=steps), recorder)


ONE = [0.1]
TWO = [0.1, 0.01]


def scheduler_cases():
    for lrs, suffix in ((ONE, "one_group"), (TWO, "two_groups")):
        for step_size, gamma in ((3, 0.1), (7, 0.5)):
            stepped(f"step_lr_{step_size}_{suffix}", "StepLR", lrs,
                    {"step_size": step_size, "gamma": gamma},
                    lambda o: sched.StepLR(o, step_size, gamma), 40)

        for milestones, gamma in (([5, 12, 12, 30], 0.3), ([2, 4], 0.1)):
            tag = "_".join(str(m) for m in milestones)
            stepped(f"multistep_lr_{tag}_{suffix}", "MultiStepLR", lrs,
                    {"milestones": milestones, "gamma": gamma},
                    lambda o: sched.MultiStepLR(o, milestones, gamma), 40)

        for gamma in (0.9, 0.97):
            stepped(f"exponential_lr_{gamma}_{suffix}", "ExponentialLR", lrs, {"gamma": gamma},
                    lambda o: sched.ExponentialLR(o, gamma), 50)

        # Past T_max the recursive form climbs back up: run to 5 T_max.
        for t_max, eta_min in ((10, 0.0), (7, 0.001), (1, 0.0)):
            stepped(f"cosine_lr_{t_max}_{eta_min}_{suffix}", "CosineAnnealingLR", lrs,
                    {"T_max": t_max, "eta_min": eta_min},
                    lambda o: sched.CosineAnnealingLR(o, t_max, eta_min), max(5 * t_max, 30))

        for t_0, t_mult, eta_min in ((5, 1, 0.0), (3, 2, 0.001), (2, 3, 0.0)):
            stepped(f"warm_restarts_{t_0}_{t_mult}_{suffix}", "CosineAnnealingWarmRestarts",
                    lrs, {"T_0": t_0, "T_mult": t_mult, "eta_min": eta_min},
                    lambda o: sched.CosineAnnealingWarmRestarts(o, t_0, t_mult, eta_min), 60)

        for start, end, total in ((1.0 / 3, 1.0, 5), (1.0, 0.1, 10), (0.25, 0.75, 1)):
            stepped(f"linear_lr_{total}_{suffix}", "LinearLR", lrs,
                    {"start_factor": start, "end_factor": end, "total_iters": total},
                    lambda o: sched.LinearLR(o, start, end, total), 20)

        stepped(f"lambda_lr_shared_{suffix}", "LambdaLR", lrs, {"lambdas": ["pow095"]},
                lambda o: sched.LambdaLR(o, LAMBDAS["pow095"]), 40)

    per_group = ["step_decay", "warmup5"]
    stepped("lambda_lr_per_group", "LambdaLR", TWO, {"lambdas": per_group},
            lambda o: sched.LambdaLR(o, [LAMBDAS[n] for n in per_group]), 40)

    warm_restarts_fractional()
    cosine_chained_with_exponential()
    one_cycle_cases()
    plateau_cases()


def warm_restarts_fractional():
    """step(epoch + i / iters) inside each epoch, as PyTorch's docs show."""
    for t_0, t_mult in ((4, 2), (3, 1)):
        for lrs, suffix in ((ONE, "one_group"), (TWO, "two_groups")):
            optimizer = make_optimizer(lrs)
            scheduler = sched.CosineAnnealingWarmRestarts(optimizer, t_0, t_mult, 0.0005)
            recorder = Recorder(optimizer)
            epochs = [epoch + i / 5 for epoch in range(15) for i in range(5)]
            for epoch in epochs:
                optimizer.step()
                scheduler.step(epoch)
                recorder.record()
            write_case(f"warm_restarts_fractional_{t_0}_{t_mult}_{suffix}",
                       "CosineAnnealingWarmRestartsEpochs", lrs,
                       {"T_0": t_0, "T_mult": t_mult, "eta_min": 0.0005, "epochs": epochs},
                       recorder)


def cosine_chained_with_exponential():
    """Two schedulers over one optimizer: each reads the lr the other wrote."""
    for lrs, suffix in ((ONE, "one_group"), (TWO, "two_groups")):
        optimizer = make_optimizer(lrs)
        first = sched.ExponentialLR(optimizer, 0.95)
        second = sched.CosineAnnealingLR(optimizer, 10, 0.0)
        recorder = Recorder(optimizer)
        for _ in range(45):
            optimizer.step()
            first.step()
            second.step()
            recorder.record()
        write_case(f"cosine_chained_with_exponential_{suffix}", "ExponentialThenCosine", lrs,
                   {"gamma": 0.95, "T_max": 10, "eta_min": 0.0, "steps": 45}, recorder)


def one_cycle_cases():
    grid = [
        ("defaults_total_100", {"max_lr": [0.1], "total_steps": 100}),
        ("epochs_linear", {"max_lr": [0.1], "epochs": 10, "steps_per_epoch": 5,
                           "anneal_strategy": "linear"}),
        ("three_phase_cos", {"max_lr": [0.1], "total_steps": 60, "three_phase": True}),
        ("three_phase_linear", {"max_lr": [0.3], "total_steps": 45, "three_phase": True,
                                "anneal_strategy": "linear", "pct_start": 0.4}),
        ("per_group_max_lr", {"max_lr": [0.1, 0.05], "total_steps": 50}),
        ("custom", {"max_lr": [0.2, 0.02], "total_steps": 40, "pct_start": 0.25,
                    "div_factor": 10.0, "final_div_factor": 100.0,
                    "base_momentum": [0.8, 0.7], "max_momentum": [0.9, 0.95]}),
        ("no_momentum", {"max_lr": [0.1], "total_steps": 30, "cycle_momentum": False}),
        ("adam_beta1", {"max_lr": [0.01], "total_steps": 40, "optimizer": "adam"}),
        ("no_warmup", {"max_lr": [0.1], "total_steps": 30, "pct_start": 0.0}),
    ]
    for name, options in grid:
        options = dict(options)
        kind = options.pop("optimizer", "sgd")
        lrs = [0.5] * len(options["max_lr"])
        kwargs = dict(options)
        for key in ("max_lr", "base_momentum", "max_momentum"):
            if key in kwargs and len(kwargs[key]) == 1:
                kwargs[key] = kwargs[key][0]
        total = options.get("total_steps") or options["epochs"] * options["steps_per_epoch"]
        cycle = options.get("cycle_momentum", True)
        params = dict(options, optimizer=kind)
        # total_steps steps past construction: the last one extrapolates the final
        # phase by one step, which PyTorch allows.
        stepped(f"one_cycle_{name}", "OneCycleLR", lrs, params,
                lambda o: sched.OneCycleLR(o, **kwargs), total, kind, momentum=cycle)


def plateau_cases():
    # Loss-like: fast progress, a long plateau, tiny (below-threshold) gains, progress.
    loss = ([1.0, 0.8, 0.7, 0.7, 0.7, 0.7, 0.69995, 0.69995, 0.7, 0.6] + [0.6] * 14
            + [0.59, 0.58, 0.58, 0.58, 0.58, 0.5799, 0.5799, 0.5799] + [0.5] * 30)
    accuracy = ([0.1, 0.3, 0.5, 0.5, 0.5, 0.51, 0.51, 0.51, 0.51, 0.6] + [0.6] * 10
                + [0.605, 0.605, 0.61] + [0.61] * 20)
    grid = [
        ("defaults", loss, TWO, {}),
        ("patience2_half", loss, TWO, {"patience": 2, "factor": 0.5}),
        ("abs_threshold", loss, ONE, {"patience": 1, "threshold": 0.005,
                                      "threshold_mode": "abs"}),
        ("max_mode", accuracy, TWO, {"mode": "max", "patience": 2, "factor": 0.3}),
        ("max_mode_abs", accuracy, ONE, {"mode": "max", "patience": 1, "threshold": 0.02,
                                         "threshold_mode": "abs"}),
        ("cooldown", loss, TWO, {"patience": 1, "cooldown": 3, "factor": 0.5}),
        ("min_lr_per_group", loss, TWO, {"patience": 0, "factor": 0.5,
                                         "min_lr": [0.01, 0.004]}),
        ("eps_blocks_small_steps", loss, TWO, {"patience": 0, "factor": 0.9, "eps": 1e-3}),
    ]
    for name, metrics, lrs, options in grid:
        optimizer = make_optimizer(lrs)
        scheduler = sched.ReduceLROnPlateau(optimizer, **options)
        recorder = Recorder(optimizer)
        for metric in metrics:
            optimizer.step()
            scheduler.step(metric)
            recorder.record()
        write_case(f"plateau_{name}", "ReduceLROnPlateau", lrs,
                   dict(options, metrics=metrics), recorder)


# ---- gradient clipping ----

clip_records = []


def clip_case(name, op, grads, options, dtype):
    """grads: list of value lists (None = a parameter without gradient)."""
    g = torch.Generator().manual_seed(len(clip_records) + 1)
    params = []
    for values in grads:
        if values is None:
            params.append(torch.zeros(2, dtype=dtype, requires_grad=True))
            continue
        if isinstance(values, tuple):  # a shape: random values
            data = torch.randn(values, generator=g, dtype=torch.float64) * 3
        else:
            data = torch.tensor(values, dtype=torch.float64)
        p = torch.zeros(data.shape, dtype=dtype, requires_grad=True)
        p.grad = data.to(dtype)
        params.append(p)
    before = [p.grad.clone() if p.grad is not None else None for p in params]

    if op == "clip_grad_norm":
        total = clip_grad_norm_(params, **options)
        options = dict(options, total_norm=float(total))
    else:
        clip_grad_value_(params, **options)

    dtype_tag = "f32" if dtype == torch.float32 else "f64"
    lines = [f"case {name}_{dtype_tag}", f"op {op}"]
    for key, value in options.items():
        lines.append(f"param {key} {param_text(value)}")
    missing = [i for i, grad in enumerate(before) if grad is None]
    if missing:
        lines.append(f"param no_grad {param_text(missing)}")
    for i, (grad, p) in enumerate(zip(before, params)):
        if grad is None:
            continue
        lines.append(tensor_line(f"in{i}", grad))
        lines.append(tensor_line(f"out{i}", p.grad))
    lines.append("end")
    clip_records.append("\n".join(lines))


def clip_cases():
    inf = math.inf
    shapes = [(3, 4), (7,), None, (2, 3, 2)]  # None: no gradient
    for dtype in (torch.float64, torch.float32):
        for norm_type, tag in ((2.0, "l2"), (1.0, "l1"), (inf, "inf"), (0.5, "p0_5"),
                               (3.0, "p3"), (-inf, "minus_inf")):
            clip_case(f"norm_{tag}_clipped", "clip_grad_norm", shapes,
                      {"max_norm": 1.5, "norm_type": norm_type}, dtype)
            clip_case(f"norm_{tag}_below_max", "clip_grad_norm", [(5,), (2, 2)],
                      {"max_norm": 1e4, "norm_type": norm_type}, dtype)
        clip_case("norm_single_zero_grad", "clip_grad_norm", [[0.0, 0.0, 0.0]],
                  {"max_norm": 1.0, "norm_type": 2.0}, dtype)
        clip_case("norm_l0_counts_nonzero_grads", "clip_grad_norm",
                  [[0.0, 2.0, 0.0], [0.0, 0.0], [1.0, -1.0]],
                  {"max_norm": 0.5, "norm_type": 0.0}, dtype)
        clip_case("norm_with_inf_grad", "clip_grad_norm", [[1.0, inf, -2.0], [3.0, 4.0]],
                  {"max_norm": 1.0, "norm_type": 2.0}, dtype)
        clip_case("norm_with_nan_grad", "clip_grad_norm", [[1.0, math.nan], [3.0]],
                  {"max_norm": 1.0, "norm_type": 2.0}, dtype)
        clip_case("value_clipped", "clip_grad_value", shapes, {"clip_value": 0.75}, dtype)
        clip_case("value_with_nan", "clip_grad_value", [[1.0, math.nan, -3.0, 0.25]],
                  {"clip_value": 0.5}, dtype)


def write(path, header, body):
    with open(path, "w") as out:
        out.write(header)
        out.write("\n\n".join(body))
        out.write("\n")


def main():
    torch.set_default_dtype(torch.float64)
    scheduler_cases()
    clip_cases()
    header = (f"# Written by tools/make_scheduler_fixtures.py with torch {torch.__version__};"
              " do not edit.\n")
    write(os.path.join(OUT_DIR, "scheduler.txt"), header, records)
    write(os.path.join(OUT_DIR, "clip_grad.txt"), header, clip_records)
    print(f"{len(records)} scheduler cases, {len(clip_records)} clip cases")


if __name__ == "__main__":
    import warnings
    warnings.simplefilter("ignore")
    main()
