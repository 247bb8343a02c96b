#!/usr/bin/env python3
"""tests/fuzz/make_seeds.py: writes the hand-made seeds of tests/fuzz/corpus/ (small PNG, .npy
and safetensors variants, valid and not) with the standard library only. Run it from the top of
the repository; the other seeds come from wb itself (tests/fuzz/README.md says how)."""
import json
import struct
import zlib


def png(path, w, h, bit_depth, color_type, rows, interlace=0, extra=b""):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + r for r in rows)
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, interlace)
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(data)


def npy(path, descr, shape, body, fortran=False, version=(1, 0)):
    dims = "()" if not shape else "(%s,)" % shape[0] if len(shape) == 1 else repr(tuple(shape))
    d = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
        descr, "True" if fortran else "False", dims)
    prefix = 10 if version[0] == 1 else 12
    hl = ((prefix + len(d) + 1 + 63) // 64) * 64 - prefix
    header = (d + " " * (hl - len(d) - 1) + "\n").encode()
    size = struct.pack("<H", hl) if version[0] == 1 else struct.pack("<I", hl)
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY" + bytes(version) + size + header + body)


def safetensors(path, tensors, meta=None, raw_header=None):
    header, data, off = {}, b"", 0
    for name, shape, values in tensors:
        b = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [off, off + len(b)]}
        data += b
        off += len(b)
    if meta is not None:
        header["__metadata__"] = meta
    h = raw_header if raw_header is not None else json.dumps(header, sort_keys=True).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)


P = "tests/fuzz/corpus/png/"
png(P + "rgb8_4x4.png", 4, 4, 8, 2, [bytes(range(i * 12, i * 12 + 12)) for i in range(4)])
png(P + "gray1_8x2.png", 8, 2, 1, 0, [b"\xaa", b"\x55"])
png(P + "gray16_2x2.png", 2, 2, 16, 0, [b"\x00\x00\xff\xff", b"\x80\x00\x12\x34"])
png(P + "rgba16_2x1.png", 2, 1, 16, 6, [bytes(range(16))])
png(P + "gray_alpha8_3x1.png", 3, 1, 8, 4, [b"\x10\xff\x20\x80\x30\x00"])
plte = b"\xff\x00\x00\x00\x00\xff"
plte = struct.pack(">I", len(plte)) + b"PLTE" + plte + struct.pack(">I", zlib.crc32(b"PLTE" + plte))
png(P + "palette2_4x1.png", 4, 1, 2, 3, [b"\x14"], extra=plte)
png(P + "interlaced_5x5.png", 5, 5, 8, 2, [bytes(15)] * 5, interlace=1)
png(P + "bad_crc.png", 2, 2, 8, 2, [bytes(6), bytes(6)])
with open(P + "bad_crc.png", "rb") as f:
    b = bytearray(f.read())
b[29] ^= 0xff
with open(P + "bad_crc.png", "wb") as f:
    f.write(b)
with open(P + "rgb8_4x4.png", "rb") as f, open(P + "truncated.png", "wb") as g:
    g.write(f.read()[:60])

N = "tests/fuzz/corpus/npy/"
npy(N + "u8_2x2x2x3.npy", "|u1", (2, 2, 2, 3), bytes(range(24)))
npy(N + "f4_fortran.npy", "<f4", (1, 2, 2, 3), struct.pack("<12f", *[i / 12 for i in range(12)]),
    fortran=True)
npy(N + "v2_f4.npy", "<f4", (1, 1, 1, 3), struct.pack("<3f", 0, 0.5, 1), version=(2, 0))
npy(N + "v3_u1.npy", "<u1", (3,), b"\x01\x02\x03", version=(3, 0))
npy(N + "scalar.npy", "<f4", (), struct.pack("<f", 1))
npy(N + "big_endian.npy", ">f4", (1,), b"\x3f\x80\x00\x00")
npy(N + "short_body.npy", "<f4", (4, 4), b"\x00" * 10)
npy(N + "zero_rows.npy", "<f4", (0, 8, 8, 3), b"")

S = "tests/fuzz/corpus/safetensors/"
safetensors(S + "two.safetensors", [("a.weight", [2, 1, 1, 1], [1, 2]), ("b", [1], [3])],
            {"epoch": "1", "config": "{\"x\": 1}"})
safetensors(S + "empty.safetensors", [], {})
safetensors(S + "scalar.safetensors", [("s", [], [1.5])])
safetensors(S + "overlap.safetensors", [], raw_header=(
    b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
    b'"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'))
safetensors(S + "f16.safetensors", [], raw_header=(
    b'{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}'))
with open(S + "huge_header.safetensors", "wb") as f:
    f.write(struct.pack("<Q", 1 << 62) + b"{}")
