#!/usr/bin/python3
"""Builds tests/fixtures/golden_unet.safetensors: PyTorch's answers for wb's golden case.

    make golden        (runs golden_export, then this script; needs `make bench-deps`)

From wb's initial weights (loaded with load_state_dict(strict=True), which also proves that wb's
weight files are accepted as a PyTorch state_dict) and a fixed batch, PyTorch 1.13 computes the
output, the loss (mse + 0.6 * Laplacian, kernel 8, reflect101), every parameter gradient, and the
parameters after 3 Adam steps on the same batch. The C test compares wb with all of it.
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from wbtorch import UNet, read_safetensors, wb_loss, write_safetensors  # noqa: E402

DEPTH, WIDTH, LAMBDA, LR, STEPS = 2, 8, 0.6, 1e-3, 3


def main(work, out):
    init, _ = read_safetensors(os.path.join(work, "init.safetensors"))
    batch, _ = read_safetensors(os.path.join(work, "batch.safetensors"))
    torch.set_num_threads(1)
    net = UNet(DEPTH, WIDTH)
    net.load_state_dict({k: torch.from_numpy(v) for k, v in init.items()}, strict=True)
    x = torch.from_numpy(batch["x"]).permute(0, 3, 1, 2).contiguous()
    y = torch.from_numpy(batch["y"]).permute(0, 3, 1, 2).contiguous()

    fixture = {"input": batch["x"], "target": batch["y"]}
    fixture.update({"init." + k: v for k, v in init.items()})
    pred = net(x)
    loss, pixel, lap = wb_loss(pred, y, LAMBDA, 8, "reflect101")
    loss.backward()
    fixture["output"] = pred.detach().permute(0, 2, 3, 1).numpy()
    fixture["loss"] = np.array([loss.item(), pixel.item(), lap.item()], dtype=np.float32)
    fixture.update({"grad." + k: p.grad.numpy().copy() for k, p in net.named_parameters()})

    opt = torch.optim.Adam(net.parameters(), lr=LR)
    for _ in range(STEPS):
        opt.zero_grad()
        wb_loss(net(x), y, LAMBDA, 8, "reflect101")[0].backward()
        opt.step()
    fixture.update({f"adam{STEPS}." + k: v.detach().numpy().copy()
                    for k, v in net.state_dict().items()})
    write_safetensors(out, fixture, {"torch": torch.__version__, "loss": repr(loss.item())})
    print(f"wrote {out}: loss {loss.item():.9g} (pixel {pixel.item():.9g}, lap {lap.item():.9g})")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
