#!/usr/bin/env python3
"""Generate the HDF5 fixtures in testdata/hdf5/ for package hdf5io.

Run from anywhere with a Python that has h5py and numpy (Debian:
python3-h5py python3-numpy; here /usr/bin/python3):

    python3 testdata/gen_hdf5.py

Values are deterministic, so the Go tests recompute them instead of
storing expected arrays. For a rows x cols matrix of dtype T:

    base[i, j] = ((i*cols + j) * 37) % 97                  # 0..96
    signed integers:  v = base - 40
    unsigned integers: v = base
    floats:           v = (base - 40) / 8                  # exact in binary
    then row 0 is overwritten: v[0, 0] = min(T), v[0, 1] = max(T)
    (np.iinfo for integers, np.finfo for floats), so conversions of the
    extremes are checked too.

Files (all written with track_times=False so reruns are byte-identical):
    dtype_<T>.h5        /X  T 23x5 contiguous, for every T in DTYPES
    be_float64.h5       /X  >f8 23x5 (big-endian), be_int32.h5 /X >i4 23x5
    chunked.h5          /X  float32 50x6, chunks (7, 4), gzip + shuffle
    group.h5            /g/sub/X float64 23x5, plus a 1-D /g/v
    ambiguous.h5        /A float64 23x5, /B int16 23x5, /v float64 1-D (len 7)
    oned.h5             /v  float64 1-D (len 7)
    threed.h5           /cube float64 2x3x4
    string.h5           /names fixed-length bytes S8, 3x2
"""
import os

import h5py
import numpy as np

DTYPES = ["float32", "float64", "int8", "int16", "int32", "int64",
          "uint8", "uint16", "uint32", "uint64"]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hdf5")


def matrix(dtype, rows, cols):
    dt = np.dtype(dtype)
    base = (np.arange(rows * cols, dtype=np.int64).reshape(rows, cols) * 37) % 97
    if dt.kind == "f":
        v = ((base - 40) / 8).astype(dt)
        lim = np.finfo(dt)
    elif dt.kind == "i":
        v = (base - 40).astype(dt)
        lim = np.iinfo(dt)
    else:
        v = base.astype(dt)
        lim = np.iinfo(dt)
    v[0, 0] = lim.min
    v[0, 1] = lim.max
    return v


def create(name):
    return h5py.File(os.path.join(OUT, name), "w", libver="earliest")


def main():
    os.makedirs(OUT, exist_ok=True)
    for t in DTYPES:
        with create("dtype_%s.h5" % t) as f:
            f.create_dataset("X", data=matrix(t, 23, 5), track_times=False)
    for t in ["float64", "int32"]:
        with create("be_%s.h5" % t) as f:
            f.create_dataset("X", data=matrix(t, 23, 5).astype(">" + np.dtype(t).str[1:]),
                             track_times=False)
    with create("chunked.h5") as f:
        f.create_dataset("X", data=matrix("float32", 50, 6), chunks=(7, 4),
                         compression="gzip", compression_opts=4, shuffle=True,
                         track_times=False)
    with create("group.h5") as f:
        g = f.create_group("g").create_group("sub")
        g.create_dataset("X", data=matrix("float64", 23, 5), track_times=False)
        f["g"].create_dataset("v", data=np.arange(7, dtype=np.float64), track_times=False)
    with create("ambiguous.h5") as f:
        f.create_dataset("A", data=matrix("float64", 23, 5), track_times=False)
        f.create_dataset("B", data=matrix("int16", 23, 5), track_times=False)
        f.create_dataset("v", data=np.arange(7, dtype=np.float64), track_times=False)
    with create("oned.h5") as f:
        f.create_dataset("v", data=np.arange(7, dtype=np.float64), track_times=False)
    with create("threed.h5") as f:
        f.create_dataset("cube", data=np.arange(24, dtype=np.float64).reshape(2, 3, 4),
                         track_times=False)
    with create("string.h5") as f:
        f.create_dataset("names", data=np.array([[b"a", b"bb"], [b"ccc", b"dddd"],
                                                 [b"e", b"ff"]], dtype="S8"),
                         track_times=False)


if __name__ == "__main__":
    main()
