#!/usr/bin/env python3
"""Fixed lokust/embed-v1 values for embed_v1_test.cpp, computed from docs/embed-v1.md alone.

Python floats are f64; each f32 operation is the f64 result rounded to f32 (struct), which is
exact for +, -, *, / and sqrt of f32 operands (f64 has more than 2 * 24 + 2 mantissa bits).
Run: python3 tests/host/gpu/embed_v1_values.py
"""
import math
import struct

M = (1 << 64) - 1


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def fnv1a32(data):
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def token_id(token):
    return fnv1a32(token) % 16777215 + 1


def normalise(x):
    s = f32(0.0)
    for v in x:
        s = f32(s + f32(v * v))
    if s == 0:
        return [0.0] * 256
    n = f32(math.sqrt(s))
    return [f32(v / n) for v in x]


def u(t):
    v = []
    for j in range(256):
        z = (t * 0x9E3779B97F4A7C15 + (j + 1) * 0xBF58476D1CE4E5B9) & M
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
        z = z ^ (z >> 31)
        k = z >> 40
        v.append(f32(f32(float(k)) / 8388608.0 - 1.0))
    return normalise(v)


def embed_row(ids):
    acc = [0.0] * 256
    any_id = False
    for t in ids:
        if t == 0:
            continue
        any_id = True
        acc = [f32(a + b) for a, b in zip(acc, u(t))]
    return normalise(acc) if any_id else [0.0] * 256


if __name__ == "__main__":
    print("fnv1a32: '' %08X, 'a' %08X, 'foobar' %08X" % (fnv1a32(b""), fnv1a32(b"a"), fnv1a32(b"foobar")))
    hello, world = token_id(b"hello"), token_id(b"world")
    print("token ids: hello %d, world %d" % (hello, world))
    rows = {"u(1)": [1], "E(hello world)": [hello, 0, world], "E(7 7 16777215)": [7, 7, 16777215]}
    for name, ids in rows.items():
        e = embed_row(ids)
        print("%s: [0] %08X, [1] %08X, [128] %08X, [255] %08X" % (name, bits(e[0]), bits(e[1]), bits(e[128]), bits(e[255])))
