#!/usr/bin/python3
"""Peer: exact PCA of a wide .npy file by NumPy's np.linalg.svd(X, full_matrices=False).

usage: wide_numpy_svd.py X.npy K OUT.npz
Loads X, converts it to float64, centres it, takes the thin SVD and saves
explained_variance (s**2/(n-1)), components (top K right singular vectors,
largest-magnitude loading made positive, as spca and scikit-learn do) and
the total variance. Prints the wall seconds of load+centre+SVD.
"""
import sys
import time

import numpy as np


def sign_rule(v):
    idx = np.argmax(np.abs(v), axis=1)
    s = np.sign(v[np.arange(v.shape[0]), idx])
    s[s == 0] = 1
    return v * s[:, None]


def main():
    path, k, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    t0 = time.perf_counter()
    x = np.load(path).astype(np.float64)
    n = x.shape[0]
    x -= x.mean(axis=0)
    total = float((x * x).sum() / (n - 1))
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    secs = time.perf_counter() - t0
    np.savez(out, explained_variance=s[:k] ** 2 / (n - 1), components=sign_rule(vt[:k]), total_variance=total)
    print(f"{secs:.3f}")


if __name__ == "__main__":
    main()
