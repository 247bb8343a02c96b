#!/usr/bin/python3
"""The PyTorch peer of wb's training step for the benchmark: the same U-Net (python/wbtorch's),
loss and optimizer, run by bench/run.sh:
      bench/torch_unet.py --width 16 --threads 1 --batch 64 --steps 30 --reps 7

Needs Debian's python3-torch and python3-numpy (`make bench-deps`); nothing in `make test` does.
"""
import argparse
import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from wbtorch import UNet, wb_loss  # noqa: E402


# ---- the benchmark peer ----------------------------------------------------------------------


def bench(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = UNet(args.depth, args.width)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(1)
    x = torch.rand(args.batch, 3, args.patch, args.patch, generator=g)
    y = torch.rand(args.batch, 3, args.patch, args.patch, generator=g)

    def step():
        opt.zero_grad(set_to_none=True)
        loss, _, _ = wb_loss(net(x), y, args.lam, 8, "reflect101")
        loss.backward()
        opt.step()

    for _ in range(args.warmup):
        step()
    rates = []
    for _ in range(args.reps):
        t0 = time.perf_counter()
        for _ in range(args.steps):
            step()
        rates.append(args.steps * args.batch / (time.perf_counter() - t0))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"samples_per_s": rates, "peak_rss_mb": rss_mb, "torch": torch.__version__,
                      "threads": torch.get_num_threads()}))


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--depth", type=int, default=2)
    p.add_argument("--patch", type=int, default=16)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--lam", type=float, default=0.6)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--reps", type=int, default=7)
    bench(p.parse_args(argv))


if __name__ == "__main__":
    main(sys.argv[1:])
