#!/usr/bin/env python3
"""Writes the regression corpus of the NDArray-file parser: MXNet 1.x files built byte by byte from the format
(see ndarray/serialize.cc), valid ones in every version, and broken ones. Run from this directory."""
import struct

LIST_MAGIC, V1, V2, V3 = 0x112, 0xF993FAC8, 0xF993FAC9, 0xF993FACA


def header(count):
    return struct.pack("<QQQ", LIST_MAGIC, 0, count)


def names(*ns):
    out = struct.pack("<Q", len(ns))
    for n in ns:
        out += struct.pack("<Q", len(n)) + n.encode()
    return out


def v2(shape, dtype_code, data, magic=V2):
    out = struct.pack("<Ii", magic, 0) + struct.pack("<i", len(shape)) + b"".join(struct.pack("<q", d) for d in shape)
    return out + struct.pack("<iii", 1, 0, dtype_code) + data


def v1(shape, dtype_code, data):
    out = struct.pack("<I", V1) + struct.pack("<i", len(shape)) + b"".join(struct.pack("<q", d) for d in shape)
    return out + struct.pack("<iii", 1, 0, dtype_code) + data


def legacy(shape, dtype_code, data):
    out = struct.pack("<I", len(shape)) + b"".join(struct.pack("<I", d) for d in shape)
    return out + struct.pack("<iii", 1, 0, dtype_code) + data


f32 = lambda *v: struct.pack("<%df" % len(v), *v)
files = {
    "valid_v2_list": header(2) + v2((2, 2), 0, f32(1, 2, 3, 4)) + v2((3,), 4, struct.pack("<3i", 7, 8, 9)) + names(),
    "valid_v2_dict": header(2) + v2((1,), 1, struct.pack("<d", 2.5)) + v2((2,), 6, struct.pack("<2q", -1, 1 << 40))
    + names("arg:weight", "aux:mean"),
    "valid_v3_scalar": header(1) + v2((), 0, f32(42), magic=V3) + names(),
    "valid_v1": header(1) + v1((2,), 2, struct.pack("<2H", 0x3C00, 0xC000)) + names(),
    "valid_legacy": header(1) + legacy((2, 1), 3, bytes([5, 250])) + names(),
    "valid_none": header(1) + struct.pack("<Iii", V2, 0, 0) + names(),
    "bad_magic": struct.pack("<QQQ", 0x113, 0, 0) + names(),
    "truncated_data": header(1) + v2((4,), 0, f32(1, 2)),
    "huge_count": struct.pack("<QQQ", LIST_MAGIC, 0, 1 << 62),
    "huge_shape": header(1) + v2((1 << 40, 1 << 40), 0, b""),
    "negative_extent": header(1) + v2((-3,), 0, b""),
    "bad_dtype": header(1) + v2((1,), 99, f32(1)) + names(),
    "sparse": header(1) + struct.pack("<Ii", V2, 1) + names(),
    "names_mismatch": header(1) + v2((1,), 0, f32(1)) + names("a", "b"),
    "huge_name": header(1) + v2((1,), 0, f32(1)) + struct.pack("<QQ", 1, 1 << 60),
    "trailing_bytes": header(0) + names() + b"xyz",
    "empty": b"",
}
for name, data in files.items():
    with open(name, "wb") as f:
        f.write(data)
