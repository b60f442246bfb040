"""NumPy peer: chunked float64 Gram + eigh, the way a careful NumPy user
streams a .npy file larger than memory (memory-mapped, 8192-row chunks,
shifted by the first chunk's mean, X.T @ X per chunk, then eigh).

usage: numpy_gram.py FILE.npy K  ->  one JSON line: seconds, explained_variance
"""
import json
import sys
import time

import numpy as np


def main():
    path, k = sys.argv[1], int(sys.argv[2])
    t0 = time.perf_counter()
    x = np.load(path, mmap_mode="r")
    n, p = x.shape
    step = 8192
    shift = np.asarray(x[:step], dtype=np.float64).mean(axis=0)
    g = np.zeros((p, p))
    s = np.zeros(p)
    for i in range(0, n, step):
        b = np.asarray(x[i:i + step], dtype=np.float64) - shift
        g += b.T @ b
        s += b.sum(axis=0)
    c = (g - np.outer(s, s) / n) / (n - 1)
    w, _ = np.linalg.eigh(c)
    secs = time.perf_counter() - t0
    print(json.dumps({"peer": "numpy chunked gram+eigh", "seconds": secs,
                      "explained_variance": w[::-1][:k].tolist()}))


if __name__ == "__main__":
    main()
