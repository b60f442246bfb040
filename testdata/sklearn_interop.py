"""Loads an spca model file with h5py into scikit-learn's PCA and checks
that PCA.transform gives spca's scores.

    /usr/bin/python3 testdata/sklearn_interop.py MODEL.h5 X.npy SCORES.npy TOL

Prints the largest absolute difference; exits 1 when it exceeds TOL. This
is the recipe the README gives, run as a test (cmd/spca TestSklearnInterop).
"""
import sys

import h5py
import numpy as np
from sklearn.decomposition import PCA


def load(path):
    with h5py.File(path, "r") as f:
        pca = PCA(n_components=int(f.attrs["n_components"]), whiten=bool(f.attrs["whiten"]))
        for name in ("components", "explained_variance", "explained_variance_ratio",
                     "singular_values", "mean"):
            setattr(pca, name + "_", f[name][()])
        pca.n_components_ = pca.components_.shape[0]
        pca.noise_variance_ = float(f.attrs["noise_variance"])
        pca.n_features_in_ = int(f.attrs["n_features"])
        pca.n_samples_ = int(f.attrs["n_samples"])
    return pca


def main():
    model, xpath, spath, tol = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    pca = load(model)
    x = np.load(xpath).astype(np.float64)
    got = pca.transform(x)
    want = np.load(spath)
    if got.shape != want.shape:
        print(f"shape {got.shape} != {want.shape}")
        sys.exit(1)
    diff = float(np.max(np.abs(got - want)))
    print(f"max |sklearn - spca| = {diff:.3g}")
    back = pca.inverse_transform(got)
    print(f"inverse_transform shape {back.shape}")
    sys.exit(0 if diff <= tol else 1)


if __name__ == "__main__":
    main()
