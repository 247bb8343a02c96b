#!/usr/bin/python3
"""The PyTorch peer of wb's U-Net: the same architecture, parameter names, loss and optimizer.

Used two ways:
  * imported by tests/golden/make_golden.py, which checks wb against it and writes the fixture;
  * run as the benchmark peer by bench/run.sh:
      bench/torch_unet.py --width 16 --threads 1 --batch 64 --steps 30 --reps 7

Needs Debian's python3-torch and python3-numpy (`make bench-deps`); nothing in `make test` does.
Safetensors files are read with json + numpy (Debian has no safetensors package).
"""
import argparse
import json
import resource
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    """(conv3x3, padding 1, bias, ReLU) x 2."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)

    def forward(self, x):
        return F.relu(self.conv2(F.relu(self.conv1(x))))


class UNet(nn.Module):
    """DESIGN.md's U-Net; registration order gives wb's state_dict order."""

    def __init__(self, depth=2, base=16, residual=False):
        super().__init__()
        self.depth, self.residual = depth, residual
        for i in range(depth):
            setattr(self, f"enc{i}", Block(3 if i == 0 else base << (i - 1), base << i))
        self.mid = Block(base << (depth - 1), base << depth)
        for i in reversed(range(depth)):
            setattr(self, f"up{i}", nn.ConvTranspose2d(base << (i + 1), base << i, 2, stride=2))
            setattr(self, f"dec{i}", Block(2 * (base << i), base << i))
        self.out = nn.Conv2d(base, 3, 1)

    def forward(self, x):
        skips, h = [], x
        for i in range(self.depth):
            h = getattr(self, f"enc{i}")(h)
            skips.append(h)
            h = F.max_pool2d(h, 2)
        h = self.mid(h)
        for i in reversed(range(self.depth)):
            h = getattr(self, f"up{i}")(h)
            h = getattr(self, f"dec{i}")(torch.cat([skips[i], h], 1))
        y = self.out(h)
        return y + x if self.residual else y


K4 = [[0, 1, 0], [1, -4, 1], [0, 1, 0]]
K8 = [[1, 1, 1], [1, -8, 1], [1, 1, 1]]


def laplacian(x, kernel=8, border="reflect101"):
    """Per-channel 3x3 Laplacian of an NCHW tensor; reflect101 is torch's 'reflect' padding."""
    k = torch.tensor(K8 if kernel == 8 else K4, dtype=x.dtype).expand(x.shape[1], 1, 3, 3)
    mode = {"reflect101": "reflect", "replicate": "replicate", "zero": "constant"}[border]
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode=mode), k, groups=x.shape[1])


def wb_loss(pred, target, lam, kernel=8, border="reflect101"):
    """mse(ŷ, y) + λ · mean((K*ŷ - K*y)^2); returns (total, pixel, lap)."""
    pixel = F.mse_loss(pred, target)
    lap = (laplacian(pred - target, kernel, border) ** 2).mean()
    return pixel + lam * lap, pixel, lap


def read_safetensors(path):
    """{name: np.ndarray} and the metadata dict of a safetensors file (F32 only)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, t in header.items():
        assert t["dtype"] == "F32", (name, t["dtype"])
        b, e = t["data_offsets"]
        out[name] = np.frombuffer(data[base + b:base + e], dtype="<f4").reshape(t["shape"]).copy()
    return out, meta


def write_safetensors(path, tensors, meta=None):
    """Writes {name: array} as F32 safetensors, sorted by name, header padded to 8 bytes."""
    header, blobs, off = {}, [], 0
    if meta:
        header["__metadata__"] = {k: str(v) for k, v in meta.items()}
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        blobs.append(a.tobytes())
        off += a.nbytes
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


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
