"""wb's runs from Python: the U-Net in PyTorch with a run's weights, and the metrics as dicts.

    import sys; sys.path.insert(0, "python")          # from the wb checkout
    import wbtorch
    model, config = wbtorch.load_run("results/wb.db", 7)
    rows = wbtorch.metrics("results/wb.db", run=7, split="test")

Standard library, NumPy and PyTorch only (Debian's python3-torch and python3-numpy): the database
is read with sqlite3 (read-only), safetensors files with struct and json; the Laplacian kernels
(`laplacian`, `wb_loss`) come from wb's own table through `wb config --json` ($WB, else the
checkout's bin/wb, else wb on PATH).

Array layouts: wb's files hold images as (N, H, W, 3) (NHWC, RGB last, values in [0, 1]): the
npy:DIR sources, `wb data export`, `wb predict`'s .npy input and output. PyTorch's tensors, and
this module's model, are (N, 3, H, W): `x.permute(0, 3, 1, 2)` in, `y.permute(0, 2, 3, 1)` out
(`predict` below does both). A run's preview.npy is float32 (3, 32, P, P, 3): axis 0 is input,
target, best-epoch prediction; axis 1 the first 32 test patches; then height, width, RGB.

The U-Net here is wb's (docs/DESIGN.md, "The model contract"): the same parameter names and
layouts, so `load_state_dict(strict=True)` takes wb's weight files. tests/golden/make_golden.py
checks wb against it and bench/torch_unet.py times it; tests/python/test_wbtorch.py checks that
`predict` gives what `wb predict` gives.
"""
import functools
import json
import os
import shutil
import sqlite3
import struct
import subprocess

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ["UNet", "Block", "load_run", "metrics", "predict", "laplacian", "lap_kernels",
           "wb_loss", "read_safetensors", "write_safetensors"]


class Block(nn.Module):
    """(conv3x3, padding 1, bias, ReLU) x 2."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)

    def forward(self, x):
        return F.relu(self.conv2(F.relu(self.conv1(x))))


class UNet(nn.Module):
    """docs/DESIGN.md's U-Net; registration order gives wb's state_dict order. Input and output
    (N, 3, H, W) with H and W multiples of 2^depth."""

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


def _wb_binary():
    """The wb binary: $WB, else the checkout's bin/wb, else wb on PATH."""
    if os.environ.get("WB"):
        return os.environ["WB"]
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bin", "wb")
    return here if os.access(here, os.X_OK) else (shutil.which("wb") or "wb")


@functools.lru_cache(maxsize=None)
def lap_kernels():
    """wb's kernel table (model/lap_kernels.h), as `wb config --json` prints it: {name: row}, each
    row with "label", "taps" (9 numbers, row-major), "divisor", "gain", "mixes_channels". Read from
    the binary, never copied, so a kernel added to wb is here too."""
    out = subprocess.run([_wb_binary(), "config", "--json"], check=True, capture_output=True,
                         text=True).stdout
    return {k["name"]: k for k in json.loads(out)["lap_kernels"]}


def laplacian(x, kernel=8, border="reflect101"):
    """Per-channel 3x3 Laplacian of an NCHW tensor with one of wb's per-channel kernels (its
    loss.kernel value: 4, 8, ...), unnormalised; reflect101 is torch's 'reflect' padding."""
    table = lap_kernels()
    row = table.get(str(kernel))
    if row is None or row["mixes_channels"]:
        names = ", ".join(k for k, r in table.items() if not r["mixes_channels"])
        raise ValueError(f"kernel {kernel!r} is not one of wb's per-channel kernels ({names})")
    taps = torch.tensor(row["taps"], dtype=x.dtype).reshape(3, 3) / row["divisor"]
    k = taps.expand(x.shape[1], 1, 3, 3)
    mode = {"reflect101": "reflect", "replicate": "replicate", "zero": "constant"}[border]
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode=mode), k, groups=x.shape[1])


def wb_loss(pred, target, lam, kernel=8, border="reflect101"):
    """mse(ŷ, y) + λ · mean((K*ŷ - K*y)^2); returns (total, pixel, lap)."""
    pixel = F.mse_loss(pred, target)
    lap = (laplacian(pred - target, kernel, border) ** 2).mean()
    return pixel + lam * lap, pixel, lap


def read_safetensors(path):
    """{name: np.ndarray (float32)} and the metadata dict of a safetensors file (F32 only)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, t in header.items():
        if t["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} is {t['dtype']}, wb writes F32")
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


def _connect(db):
    """The database read-only, as wb's readers open it (never created, never written)."""
    if not os.path.isfile(db):
        raise FileNotFoundError(f"{db}: no such database (run a sweep first)")
    con = sqlite3.connect(f"file:{os.path.abspath(db)}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    return con


def _run_id(con, run):
    """A run as wb's commands take it: its integer id, or a unique prefix of its config hash."""
    if isinstance(run, int) or (isinstance(run, str) and run.isdigit()):
        row = con.execute("SELECT id FROM runs WHERE id = ?", (int(run),)).fetchone()
        if row:
            return row[0]
        raise LookupError(f"no run {run}")
    rows = con.execute("SELECT id FROM runs WHERE config_hash LIKE ? || '%'", (str(run),)).fetchall()
    if len(rows) != 1:
        raise LookupError(f"{len(rows)} runs whose hash starts with {run!r}")
    return rows[0][0]


def load_run(db, run, checkpoint="best"):
    """(model, config) of a run of database `db`: the U-Net with the weights of its `checkpoint`
    ("best", "last" or "init") in eval mode, and its resolved configuration as the nested dict
    wb stores ({"data": {...}, "model": {...}, "train": {...}, "loss": {...}, "seed": N}), with
    "run" (the id), "checkpoint" and "epoch" added. `run`: an id or a unique config-hash
    prefix."""
    with _connect(db) as con:
        run_id = _run_id(con, run)
        text = con.execute("SELECT config_json FROM runs WHERE id = ?", (run_id,)).fetchone()[0]
        ck = con.execute("SELECT epoch, path FROM checkpoints WHERE run_id = ? AND kind = ?",
                         (run_id, checkpoint)).fetchone()
    if ck is None:
        raise LookupError(f"run {run_id} has no {checkpoint} checkpoint yet")
    config = json.loads(text)
    m = config["model"]
    model = UNet(int(m["depth"]), int(m["base_channels"]), bool(m["residual"]))
    # Paths are stored relative to the database's folder.
    weights, _ = read_safetensors(os.path.join(os.path.dirname(os.path.abspath(db)), ck["path"]))
    model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()}, strict=True)
    model.eval()
    config.update(run=run_id, checkpoint=checkpoint, epoch=ck["epoch"])
    return model, config


def metrics(db, run=None, split=None, sweep=None):
    """Every logged epoch as a dict, one per run, epoch and split:
    {"run": 7, "epoch": 3, "split": "test", "psnr": 27.1, "ssim": 0.83, ...} (the metric names of
    wb's metric table; a NaN logged as None), ordered by run, epoch and split. Filters: `run`
    (id or hash prefix), `split` ("train", "val", "test", or "val_input" and "test_input": the
    inputs' own scores), `sweep` (its name)."""
    where, args = [], []
    with _connect(db) as con:
        if run is not None:
            where.append("m.run_id = ?")
            args.append(_run_id(con, run))
        if split is not None:
            where.append("m.split = ?")
            args.append(split)
        if sweep is not None:
            where.append("m.run_id IN (SELECT sr.run_id FROM sweep_runs sr JOIN sweeps s "
                         "ON s.id = sr.sweep_id WHERE s.name = ?)")
            args.append(sweep)
        sql = ("SELECT m.run_id, m.epoch, m.split, m.name, m.value FROM metrics m"
               + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY m.run_id, m.epoch, m.split, m.name")
        rows = {}
        for r in con.execute(sql, args):
            key = (r[0], r[1], r[2])
            rows.setdefault(key, {"run": r[0], "epoch": r[1], "split": r[2]})[r[3]] = r[4]
    return list(rows.values())


def predict(model, images):
    """The model's predictions for images (N, H, W, 3) of any size (a NumPy array or a tensor,
    wb's layout), as float32 (N, H, W, 3): each image padded at its bottom and right to a
    multiple of 2^depth by reflection (reflect101), as `wb predict` pads, and cropped back."""
    x = torch.as_tensor(np.asarray(images, dtype=np.float32)).permute(0, 3, 1, 2)
    h, w = x.shape[2], x.shape[3]
    step = 1 << model.depth
    pad_h, pad_w = -h % step, -w % step
    with torch.no_grad():
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h), mode="reflect")
        y = model(x.contiguous())
    return y[:, :, :h, :w].permute(0, 2, 3, 1).contiguous().numpy()
