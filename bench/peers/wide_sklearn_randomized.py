#!/usr/bin/python3
"""Peer: scikit-learn's randomized PCA of a wide .npy file.

usage: wide_sklearn_randomized.py X.npy K OUT.npz
PCA(n_components=K, svd_solver="randomized", random_state=0) with its
defaults (n_oversamples=10, iterated_power="auto") on X as float64. Saves
explained_variance_, components_ (scikit-learn >= 1.5 makes the
largest-magnitude loading positive, as spca does) and prints the wall
seconds of load+fit.
"""
import sys
import time

import numpy as np
from sklearn.decomposition import PCA


def main():
    path, k, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    t0 = time.perf_counter()
    x = np.load(path).astype(np.float64)
    pca = PCA(n_components=k, svd_solver="randomized", random_state=0).fit(x)
    secs = time.perf_counter() - t0
    v = pca.components_
    idx = np.argmax(np.abs(v), axis=1)
    v = v * np.sign(v[np.arange(k), idx])[:, None]
    np.savez(out, explained_variance=pca.explained_variance_, components=v)
    print(f"{secs:.3f}")


if __name__ == "__main__":
    main()
