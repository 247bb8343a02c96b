#!/usr/bin/env python3
"""The learning-rate fixture: the rate every optimizer update uses under PyTorch's own schedulers.

    python3 tests/golden/make_lr_schedule.py > tests/fixtures/lr_schedule_torch.txt

Each case is a line `case KIND LR LR_MIN WARMUP TOTAL START_FACTOR [DECAY SHAPE]` followed by
TOTAL lines, the rate of update k = 0 .. TOTAL - 1 as torch left it in param_groups[0]['lr']
before that update (%.17g). KIND cosine is SequentialLR([LinearLR, CosineAnnealingLR],
milestones=[WARMUP]) (plain CosineAnnealingLR without warm-up), KIND constant is LinearLR alone (no
scheduler without warm-up); KIND wsd (warm-up, stable, decay over the last DECAY updates) is, with
SHAPE linear, SequentialLR([LinearLR (warm-up), ConstantLR(factor=1), LinearLR(1, LR_MIN / LR,
DECAY)], milestones=[WARMUP, TOTAL - DECAY]) as a practitioner writes it, and with SHAPE 1-sqrt the
same with a LambdaLR(1 - (1 - LR_MIN / LR) sqrt(j / DECAY)) for the decay (Hagele et al. 2024); the
warm-up ends before the decay starts in every case. scheduler.step() follows every
optimizer.step(), as wb steps it. tests/test_model_schedule.c
compares model/optim.c's lr_schedule_at with these numbers.
"""
import math
import warnings

import torch

warnings.simplefilter("ignore")   # SequentialLR's "step() before optimizer.step()" noise
START_FACTOR = 0.01               # model/optim.h LR_WARMUP_START_FACTOR

CASES = [  # kind, lr, lr_min, warmup, total
    ("cosine", 3e-3, 1e-5, 0, 100),
    ("cosine", 3e-3, 1e-5, 10, 100),
    ("cosine", 1e-3, 0.0, 0, 7),
    ("cosine", 2e-3, 0.0, 64, 1000),
    ("cosine", 5e-4, 5e-4, 3, 20),     # lr_min = lr: a constant after the warm-up
    ("constant", 1e-3, 0.0, 25, 60),
    ("constant", 1e-3, 0.0, 1, 5),
]
WSD_CASES = [  # lr, lr_min, warmup, total, decay, shape
    (3e-3, 1e-5, 100, 1024, 256, "linear"),
    (3e-3, 1e-5, 100, 1024, 256, "1-sqrt"),
    (1e-3, 0.0, 10, 50, 10, "linear"),
    (2e-3, 1e-4, 1, 40, 39, "1-sqrt"),
    (5e-4, 5e-4, 3, 20, 5, "linear"),   # lr_min = lr: no decay at all
]


def rates(kind, lr, lr_min, warmup, total):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.Adam([p], lr=lr)
    sched = None
    if warmup > 0:
        lin = torch.optim.lr_scheduler.LinearLR(opt, start_factor=START_FACTOR, end_factor=1.0,
                                                total_iters=warmup)
        sched = lin
        if kind == "cosine":
            cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warmup,
                                                             eta_min=lr_min)
            sched = torch.optim.lr_scheduler.SequentialLR(opt, [lin, cos], milestones=[warmup])
    elif kind == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total, eta_min=lr_min)
    out = []
    for _ in range(total):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        if sched is not None:
            sched.step()
    return out


def wsd_rates(lr, lr_min, warmup, total, decay, shape):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.Adam([p], lr=lr)
    warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=START_FACTOR, end_factor=1.0,
                                             total_iters=warmup)
    stable = torch.optim.lr_scheduler.ConstantLR(opt, factor=1.0, total_iters=0)
    if shape == "linear":
        end = torch.optim.lr_scheduler.LinearLR(opt, start_factor=1.0, end_factor=lr_min / lr,
                                                total_iters=decay)
    else:
        end = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda j: 1.0 - (1.0 - lr_min / lr) * math.sqrt(min(j, decay) / decay))
    sched = torch.optim.lr_scheduler.SequentialLR(opt, [warm, stable, end],
                                                  milestones=[warmup, total - decay])
    out = []
    for _ in range(total):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def main():
    print(f"# torch {torch.__version__}; made by tests/golden/make_lr_schedule.py")
    for kind, lr, lr_min, warmup, total in CASES:
        print(f"case {kind} {lr!r} {lr_min!r} {warmup} {total} {START_FACTOR!r}")
        for r in rates(kind, lr, lr_min, warmup, total):
            print(f"{r:.17g}")
    for lr, lr_min, warmup, total, decay, shape in WSD_CASES:
        print(f"case wsd {lr!r} {lr_min!r} {warmup} {total} {START_FACTOR!r} {decay} {shape}")
        for r in wsd_rates(lr, lr_min, warmup, total, decay, shape):
            print(f"{r:.17g}")


if __name__ == "__main__":
    main()
