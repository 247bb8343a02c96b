#!/usr/bin/python3
"""python/wbtorch against bin/wb (issue 16, item 8): trains two tiny runs with wb (depth 2, one
plain, one residual), loads each with wbtorch.load_run, and checks that the PyTorch model's
predictions equal `wb predict`'s within 1e-4 on float64 images of odd sizes that wb cuts into
tiles; that the configuration is the run's; that wbtorch.metrics returns the logged epochs as
dicts (test at its readings, val at every epoch), equal to what `wb query` reads; and that a missing run or checkpoint is an error.

    make check-python-module     (needs python3-torch and python3-numpy: `make bench-deps`)

Not part of `make test`, which stays free of Python.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "python"))
import wbtorch  # noqa: E402

WB = os.environ.get("WB", os.path.join(ROOT, "bin", "wb"))
FAILS = []


def check(what, ok, detail=""):
    print(("ok: " if ok else "FAIL: ") + what + (f" ({detail})" if detail else ""))
    if not ok:
        FAILS.append(what)


def wb(*args):
    return subprocess.run([WB, *args], check=True, capture_output=True, text=True, cwd=ROOT).stdout


def main():
    with tempfile.TemporaryDirectory(prefix="wbtorch-") as tmp:
        db = os.path.join(tmp, "t.db")
        common = ["--db", db, "--set", "sweep.seeds=1", "--set", "loss.laplacian_weight=0",
                  "--set", "model.depth=2", "--set", "train.epochs=1", "--quiet"]
        wb("run", "experiments/micro.ini", *common)
        wb("run", "experiments/micro.ini", *common, "--set", "model.residual=true")

        rng = np.random.default_rng(16)
        x = rng.random((2, 53, 150, 3))          # float64, as NumPy makes it; 53 is not /4
        xpath, ypath = os.path.join(tmp, "x.npy"), os.path.join(tmp, "y.npy")
        np.save(xpath, x)
        for run in (1, 2):
            model, config = wbtorch.load_run(db, run)
            check(f"run {run}: the configuration is the run's",
                  config["model"]["depth"] == 2 and config["model"]["base_channels"] == 4
                  and config["model"]["residual"] == (run == 2) and config["run"] == run
                  and config["checkpoint"] == "best" and config["epoch"] == 1, str(config["model"]))
            out = wb("predict", str(run), "--db", db, "--input", xpath, "--out", ypath,
                     "--tile", "64")
            check(f"run {run}: wb predict cut the images into tiles", "in 7 tile(s) of 64x56 per image" in out,
                  out.strip().splitlines()[-1])
            want = np.load(ypath)
            got = wbtorch.predict(model, x)
            diff = float(np.abs(got - want).max())
            check(f"run {run}: PyTorch's prediction equals wb predict's within 1e-4",
                  got.shape == want.shape == x.shape and got.dtype == np.float32 and diff <= 1e-4,
                  f"max |difference| {diff:.3g}, largest |output| {float(np.abs(want).max()):.3g}")

        rows = wbtorch.metrics(db, run=1, split="test")
        # test is read at the readings only (the last epoch, and the best validation epoch when
        # that is an earlier one): with one epoch, epoch 1 alone; epoch 0 is read on val only.
        check("metrics: one dict per epoch the split asked was read (test: epoch 1 only)",
              [(r["run"], r["epoch"], r["split"]) for r in rows] == [(1, 1, "test")],
              str([(r["run"], r["epoch"], r["split"]) for r in rows]))
        vals = wbtorch.metrics(db, run=1, split="val")
        check("metrics: val at every epoch (0 and 1)",
              [(r["run"], r["epoch"], r["split"]) for r in vals] == [(1, 0, "val"), (1, 1, "val")])
        logged = wb("query", "--db", db, "--csv",
                    "SELECT value FROM metrics WHERE run_id = 1 AND split = 'test' AND "
                    "name = 'psnr' AND epoch = 1").split()[-1]
        check("metrics: the logged test PSNR", rows[-1]["psnr"] == float(logged),
              f"{rows[-1]['psnr']!r} vs {logged}")
        everything = wbtorch.metrics(db)
        check("metrics: both runs, every split", {(r["run"], r["split"]) for r in everything}
              >= {(k, s) for k in (1, 2) for s in ("train", "val", "test")})
        check("metrics: by sweep name", len(wbtorch.metrics(db, sweep="run:micro")) == len(everything))
        for what, call in (("a missing run", lambda: wbtorch.load_run(db, 99)),
                           ("a missing checkpoint kind", lambda: wbtorch.load_run(db, 1, "worst")),
                           ("a missing database", lambda: wbtorch.metrics(os.path.join(tmp, "no.db")))):
            try:
                call()
                check(f"{what} is an error", False)
            except (LookupError, FileNotFoundError) as e:
                check(f"{what} is an error", True, str(e))
        check("the database was not created by reading", not os.path.exists(os.path.join(tmp, "no.db")))
    print(f"{len(FAILS)} checks failed" if FAILS else "all checks passed")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
