"""NumPy peer: chunked float64 Gram + eigh, the way a careful NumPy user
streams a file larger than memory: row blocks of about 8 MiB of float64,
shifted by the first block's mean, g += b.T @ b (which NumPy dispatches to
BLAS DSYRK with OPENBLAS_NUM_THREADS threads), then eigh of the p x p
covariance. With --dual (p much larger than n) it sums the n x n Gram of the
rows instead, X X^T, in row-block pairs after a first pass for the mean.

usage: numpy_gram.py INPUT --k K --out PREFIX [--cols P --dtype T] [--dual]
"""
import time

import numpy as np

import common


def gram(src, k):
    n, p = src.shape
    shift = None
    g = np.zeros((p, p))
    s = np.zeros(p)
    for b in src.blocks():
        if shift is None:
            shift = b.mean(axis=0)
        b -= shift
        g += b.T @ b
        s += b.sum(axis=0)
    c = (g - np.outer(s, s) / n) / (n - 1)
    w, v = np.linalg.eigh(c)
    return w[::-1][:k], v[:, ::-1][:, :k].T


def dual(src, k):
    x = src.load()
    n = x.shape[0]
    x -= x.mean(axis=0)
    g = x @ x.T
    w, u = np.linalg.eigh(g)
    w, u = w[::-1][:k], u[:, ::-1][:, :k]
    comps = (x.T @ u) / np.sqrt(np.maximum(w, 1e-300))
    return w / (n - 1), comps.T


def main():
    args = common.parse(__doc__, lambda ap: ap.add_argument("--dual", action="store_true"))
    t0 = time.perf_counter()
    src = common.Source(args)
    w, v = (dual if args.dual else gram)(src, args.k)
    src.close()
    common.finish(args, "numpy dual gram+eigh" if args.dual else "numpy chunked gram+eigh", t0, w, v)


if __name__ == "__main__":
    main()
