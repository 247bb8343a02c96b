#!/usr/bin/python3
"""make check-python: the loss to take home computes wb's loss.

The report ends with wb's training loss as PyTorch code (plots/takehome.h). This script runs that
code on fixed tensors and compares its value with wb's own (model/loss.c's loss_value_of, through
the helper binary tests/python/takehome_loss.c) to 1e-6:

1. the PyTorch block extracted from a report that `wb report` generated (REPORT.md, argument 2);
2. the code of every combination the generator knows: kernel 4 and 8, kernel_norm none, l1 and
   energy, border reflect101, replicate and zero, pixel loss mse, l1 and charbonnier, with λ = 0
   (the baseline) and a few weights.

The TensorFlow twin is not executed (TensorFlow is not installed here). Needs python3-torch and
python3-numpy (make python-deps). Not part of make test, which stays free of Python.

usage: check_takehome_loss.py HELPER REPORT.md
"""
import itertools
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import torch

TOLERANCE = 1e-6


def helper(binary, *args):
    out = subprocess.run([binary, *map(str, args)], check=True, capture_output=True, text=True)
    return out.stdout


def torch_value(code, pred, target):
    """Runs the code as a module and returns wb_loss(pred, target) for NHWC numpy arrays."""
    namespace = {}
    exec(compile(code, "<takehome>", "exec"), namespace)
    to_torch = lambda a: torch.from_numpy(a.astype(np.float64)).permute(0, 3, 1, 2).contiguous()
    return float(namespace["wb_loss"](to_torch(pred), to_torch(target)))


def report_block(path):
    """The PyTorch code block of a report.md and the options it was made for."""
    text = open(path, encoding="utf-8").read()
    section = text.split("### PyTorch", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    lam = re.search(r"^LAMBDA = (\S+)", code, re.M).group(1)
    pixel = re.search(r"training loss: pixel (\w+)", code).group(1)
    m = re.search(r"^# K(\d), kernel_norm = (\w+), border = (\w+)", code, re.M)
    kernel, norm, border = m.groups() if m else ("-", "none", "reflect101")
    return code, (lam, kernel, norm, border, pixel)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    binary, report = sys.argv[1], sys.argv[2]
    rng = np.random.default_rng(20261201)
    # Two patches of 7x9 pixels (odd and unequal sides, so that rows and columns cannot be
    # swapped unnoticed), in [0, 1] like wb's images.
    pred = rng.uniform(0, 1, (2, 7, 9, 3)).astype(np.float32)
    target = np.clip(pred + rng.normal(0, 0.1, pred.shape), 0, 1).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        pred_path, target_path = os.path.join(tmp, "pred.npy"), os.path.join(tmp, "target.npy")
        np.save(pred_path, pred)
        np.save(target_path, target)

        cases = [("report", *report_block(report))]
        for lam, kernel, norm, border, pixel in itertools.product(
                ["0", "0.05", "1", "10"], ["4", "8"], ["none", "l1", "energy"],
                ["reflect101", "replicate", "zero"], ["mse", "l1", "charbonnier"]):
            if lam == "0" and (kernel != "4" or norm != "none" or border != "reflect101"):
                continue   # the baseline has no Laplacian settings
            options = (lam, kernel if lam != "0" else "-", norm, border, pixel)
            code = helper(binary, "code", "pytorch", *options)
            cases.append(("generated", code, options))

        worst = 0.0
        for where, code, options in cases:
            expected = float(helper(binary, "value", pred_path, target_path, *options))
            actual = torch_value(code, pred, target)
            diff = abs(actual - expected)
            worst = max(worst, diff)
            if not diff <= TOLERANCE:
                sys.exit(f"FAIL: {where} code for {options}: PyTorch {actual!r}, wb {expected!r}, "
                         f"|diff| {diff:.3g} > {TOLERANCE}\n{code}")
        print(f"ok: {len(cases)} loss snippets (1 from {report}) equal wb's loss, "
              f"largest |diff| {worst:.3g} (tolerance {TOLERANCE}); the TensorFlow twin was not "
              "executed")


if __name__ == "__main__":
    main()
