"""scikit-learn peers: PCA(svd_solver="full"), PCA(svd_solver="randomized")
on the whole matrix in memory, and IncrementalPCA fed batch by batch with
partial_fit (batch = the same ~8 MiB float64 row blocks as the other peers,
at least k rows). Inputs are converted to float64, as spca does, so that
every peer does its arithmetic in the same precision.

usage: sklearn_pca.py INPUT --solver full|randomized|incremental --k K --out PREFIX
"""
import time

import numpy as np
from sklearn.decomposition import PCA, IncrementalPCA

import common


def main():
    args = common.parse(__doc__, lambda ap: ap.add_argument(
        "--solver", required=True, choices=["full", "randomized", "incremental"]))
    t0 = time.perf_counter()
    src = common.Source(args)
    if args.solver == "incremental":
        m = IncrementalPCA(n_components=args.k)
        carry = None
        for b in src.blocks():
            # partial_fit needs at least k rows per batch: carry a short tail.
            if carry is not None:
                b = np.vstack([carry, b])
                carry = None
            if len(b) < args.k:
                carry = b
                continue
            m.partial_fit(b)
        if carry is not None:
            m.partial_fit(carry)
    else:
        x = src.load()
        m = PCA(n_components=args.k, svd_solver=args.solver, random_state=0).fit(x)
    src.close()
    common.finish(args, "sklearn " + args.solver, t0, m.explained_variance_, m.components_)


if __name__ == "__main__":
    main()
