"""The float64 reference for the accuracy columns of spca-bench: the whole
matrix in memory in float64, centred by its exact two-pass mean, then the
thin SVD (LAPACK gesdd) of the centred matrix when it fits in a few GB, or
else the eigendecomposition of the smaller Gram (X X^T when p > n). No
shifted sums, no streaming: independent of how spca computes.

usage: reference.py INPUT --k K --out PREFIX [--cols P --dtype T]
"""
import time

import numpy as np

import common


def main():
    args = common.parse(__doc__)
    t0 = time.perf_counter()
    src = common.Source(args)
    x = src.load()
    src.close()
    n, p = x.shape
    x -= x.mean(axis=0)
    if p > n:
        w, u = np.linalg.eigh(x @ x.T)
        w, u = w[::-1][:args.k], u[:, ::-1][:, :args.k]
        v = ((x.T @ u) / np.sqrt(w)).T
        w = w / (n - 1)
    elif n * p <= 40_000_000:
        _, s, vt = np.linalg.svd(x, full_matrices=False)
        w, v = s[:args.k] ** 2 / (n - 1), vt[:args.k]
    else:
        # Tall and large: the p x p Gram of the exactly centred float64
        # matrix, in blocks (the SVD's workspace would not fit).
        g = np.zeros((p, p))
        step = max(1, (64 << 20) // (8 * p))
        for i in range(0, n, step):
            b = x[i:i + step]
            g += b.T @ b
        w, vv = np.linalg.eigh(g / (n - 1))
        w, v = w[::-1][:args.k], vv[:, ::-1][:, :args.k].T
    common.finish(args, "float64 reference", t0, w, v)


if __name__ == "__main__":
    main()
