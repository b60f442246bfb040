#!/usr/bin/python3
"""Write the small NumPy fixtures that chunk/npy_test.go reads.

Run from anywhere with a python3 that has numpy (Debian: /usr/bin/python3 with
python3-numpy):  /usr/bin/python3 testdata/gen_npy.py

Every file is made by NumPy itself (np.save / np.lib.format.write_array), the
reference implementation of the format. manifest.json lists, for each file,
either the dtype, shape and exact row-major values the Go reader must yield
(as float64; JSON floats from Python's repr round-trip exactly) or the error
sentinel it must report. Keep everything tiny: the directory stays < 10 KB.
"""
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "npy")


def grid(rows, cols):
    """k = i*cols + j, the element's row-major index."""
    return np.arange(rows * cols, dtype=np.float64).reshape(rows, cols)


def save(name, a, version=None):
    with open(os.path.join(OUT, name), "wb") as f:
        np.lib.format.write_array(f, a, version=version, allow_pickle=False)


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = {"good": {}, "bad": {}}

    good = [
        # name, array, version
        ("f4_7x5.npy", (np.sin(grid(7, 5)) * 1000).astype("<f4"), (1, 0)),
        ("f8be_4x3.npy", (grid(4, 3) * 0.5 - 3).astype(">f8"), (1, 0)),
        ("i4be_2x3.npy", (grid(2, 3) * -100000 + 7).astype(">i4"), (1, 0)),
        ("u1_6x4.npy", (grid(6, 4) * 11).astype("|u1"), (1, 0)),
        ("i2_5x2.npy", (grid(5, 2) * 7 - 20).astype("<i2"), (1, 0)),
        ("i8_3x3_v2.npy", (grid(3, 3) * -(2 ** 40) + 5).astype("<i8"), (2, 0)),
        ("f8_2x2_v3.npy", (grid(2, 2) / 3).astype("<f8"), (3, 0)),
        ("u8_1x1.npy", np.array([[2 ** 53]], dtype="<u8"), (1, 0)),
    ]
    for name, a, version in good:
        save(name, a, version)
        manifest["good"][name] = {
            "dtype": a.dtype.name,
            "shape": list(a.shape),
            "values": [float(v) for v in a.ravel(order="C")],
        }

    bad = [
        # name, array, sentinel the reader must wrap
        ("fortran_3x2.npy", np.asfortranarray(grid(3, 2)), "ErrFormat"),
        ("vector_5.npy", np.arange(5, dtype="<f8"), "ErrShape"),
        ("cube_2x2x2.npy", np.zeros((2, 2, 2), dtype="<f4"), "ErrShape"),
        ("empty_0x3.npy", np.zeros((0, 3), dtype="<f8"), "ErrShape"),
        ("f2_2x2.npy", np.zeros((2, 2), dtype="<f2"), "ErrDType"),
        ("c16_2x2.npy", np.zeros((2, 2), dtype="<c16"), "ErrDType"),
    ]
    for name, a, sentinel in bad:
        save(name, a, (1, 0))
        manifest["bad"][name] = sentinel

    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
