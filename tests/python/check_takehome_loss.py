#!/usr/bin/python3
"""make check-python: the loss to take home computes wb's loss.

The report ends with wb's training loss as PyTorch code (plots/takehome.h). This script runs that
code on fixed tensors and compares its value with wb's own (model/loss.c's loss_value_of, through
the helper binary tests/python/takehome_loss.c) to 1e-6:

1. the PyTorch block extracted from a report that `wb report` generated (REPORT.md, argument 2);
2. the code of every combination the generator knows: every per-channel kernel of the kernel
   table (model/lap_kernels.h, as the helper lists them: 4, 8, ...), kernel_norm none, l1 and
   energy, border reflect101, replicate and zero, pixel loss mse, l1 and charbonnier, with λ = 0
   (the baseline) and a few weights;
3. python/wbtorch's wb_loss (its kernels from `wb config --json`) for every per-channel kernel and
   border, with the MSE pixel loss and no normalisation.

The TensorFlow twin is not executed (TensorFlow is not installed here). Needs python3-torch and
python3-numpy (make python-deps). Not part of make test, which stays free of Python.

usage: check_takehome_loss.py HELPER REPORT.md      (WB names the wb binary python/wbtorch runs)
"""
import itertools
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import wbtorch  # noqa: E402

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


def report_block(path, names):
    """The PyTorch code block of a report.md and the options it was made for; names maps a
    kernel's label ("K8") to its name ("8")."""
    text = open(path, encoding="utf-8").read()
    section = text.split("### PyTorch", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    lam = re.search(r"^LAMBDA = (\S+)", code, re.M).group(1)
    pixel = re.search(r"training loss: pixel (\w+)", code).group(1)
    m = re.search(r"^# (.+), kernel_norm = (\w+), border = (\w+)", code, re.M)
    label, norm, border = m.groups() if m else (None, "none", "reflect101")
    kernel = names[label] if label else "-"
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

        labels = dict(line.split("\t") for line in helper(binary, "kernels").splitlines())
        kernels = list(labels)
        cases = [("report", *report_block(report, {v: k for k, v in labels.items()}))]
        for lam, kernel, norm, border, pixel in itertools.product(
                ["0", "0.05", "1", "10"], kernels, ["none", "l1", "energy"],
                ["reflect101", "replicate", "zero"], ["mse", "l1", "charbonnier"]):
            if lam == "0" and (kernel != kernels[0] or norm != "none" or border != "reflect101"):
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

        # python/wbtorch's loss, its kernels read from `wb config --json`.
        to_torch = lambda a: torch.from_numpy(a.astype(np.float64)).permute(0, 3, 1, 2)
        modules = 0
        for kernel, border in itertools.product(kernels, ["reflect101", "replicate", "zero"]):
            options = ("0.5", kernel, "none", border, "mse")
            expected = float(helper(binary, "value", pred_path, target_path, *options))
            actual = float(wbtorch.wb_loss(to_torch(pred), to_torch(target), 0.5, kernel,
                                           border)[0])
            if not abs(actual - expected) <= TOLERANCE:
                sys.exit(f"FAIL: wbtorch.wb_loss for {options}: {actual!r}, wb {expected!r}")
            modules += 1
        print(f"ok: {len(cases)} loss snippets (1 from {report}) and {modules} wbtorch.wb_loss "
              f"values equal wb's loss, largest |diff| {worst:.3g} (tolerance {TOLERANCE}); the "
              "TensorFlow twin was not executed")


if __name__ == "__main__":
    main()
