#!/usr/bin/python3
"""Generate the PCA oracle fixtures in testdata/pca/ for spca's Go tests.

Run from the repository root:

    python3 testdata/gen_pca.py

Deterministic: fixed seeds, HDF5 written without timestamps, so rerunning
reproduces every file byte for byte (with the same numpy / h5py / libhdf5 /
scikit-learn; made with Debian's numpy 1.24.2, h5py 3.7.0, HDF5 1.10.8,
scikit-learn 1.2.1).

Oracles: scikit-learn PCA(svd_solver='full'), cross-checked against
numpy.linalg.eigh of the ddof=1 covariance; the cancellation case uses exact
rational arithmetic (fractions.Fraction).

Sign rule (spca's, scikit-learn >= 1.5's): in each component the loading with
the largest |value| is positive (first index on a tie); the matching score
column is flipped with it. scikit-learn 1.2 decides signs from U, so the rule
is applied here explicitly.
"""

import os
import sys

try:
    import numpy as np
    import h5py
    import sklearn
    from sklearn.decomposition import PCA
except ImportError:
    # A pyenv / venv python3 may shadow Debian's, which has the oracles.
    if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

from fractions import Fraction

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pca")

EV_RTOL = 1e-10      # sklearn explained_variance vs eigh, relative
COMP_ATOL = 1e-8     # sklearn components vs eigh eigenvectors, up to sign


def save(case, name, arr):
    d = os.path.join(ROOT, case)
    os.makedirs(d, exist_ok=True)
    arr = np.asarray(arr, order="C")  # (ascontiguousarray would turn 0-d into 1-d)
    np.save(os.path.join(d, name + ".npy"), arr, allow_pickle=False)


def save_h5(case, X, chunk):
    path = os.path.join(ROOT, case, "X.h5")
    if os.path.exists(path):
        os.remove(path)
    with h5py.File(path, "w", libver="earliest", track_order=False) as f:
        f.create_dataset("X", data=X, chunks=chunk, compression="gzip",
                         compression_opts=6, shuffle=True, track_times=False)
    with h5py.File(path, "r") as f:  # round-trip check
        assert f["X"].dtype == X.dtype and np.array_equal(f["X"][...], X)


def sign_fix(components):
    """spca's sign rule: per row, largest-|.| entry positive (first on a tie).
    Returns the fixed components and the +-1 vector applied."""
    idx = np.argmax(np.abs(components), axis=1)  # argmax returns the first max
    s = np.sign(components[np.arange(components.shape[0]), idx])
    s[s == 0] = 1.0
    return components * s[:, None], s


def eig_desc(C):
    w, V = np.linalg.eigh(C)
    return w[::-1].copy(), V[:, ::-1].copy()


def check_against_eigh(pca, X64, k):
    """sklearn vs numpy eigh of the ddof=1 covariance."""
    C = np.cov(X64, rowvar=False, ddof=1)
    w, V = eig_desc(C)
    ev = pca.explained_variance_
    assert np.all(np.abs(ev - w[:k]) <= EV_RTOL * np.abs(w[:k])), (ev, w[:k])
    for j in range(k):
        a, b = pca.components_[j], V[:, j]
        d = min(np.max(np.abs(a - b)), np.max(np.abs(a + b)))
        assert d <= COMP_ATOL, (j, d)
    # scikit-learn's total variance equals trace(C)
    assert abs(pca.explained_variance_.sum() / pca.explained_variance_ratio_.sum()
               - np.trace(C)) <= 1e-12 * np.trace(C)
    return w


def oracle(case, X, k, chunk, test=None, standardize=False):
    """Write X.npy, X.h5 and scikit-learn's expected outputs for one case."""
    save(case, "X", X)
    save_h5(case, X, chunk)
    X64 = X.astype(np.float64)
    n, p = X64.shape

    if standardize:
        mean = X64.mean(axis=0)
        scale = X64.std(axis=0, ddof=1)
        scale[scale == 0] = 1.0
        Xf = (X64 - mean) / scale
        save(case, "scale", scale)
    else:
        Xf = X64

    pca = PCA(n_components=k, svd_solver="full").fit(Xf)
    w_all = check_against_eigh(pca, Xf, k)
    comps, s = sign_fix(pca.components_)
    scores = pca.transform(Xf) * s

    pw = PCA(n_components=k, svd_solver="full", whiten=True).fit(Xf)
    _, sw = sign_fix(pw.components_)
    assert np.allclose(pw.components_ * sw[:, None], comps, rtol=0, atol=1e-12)
    scores_w = pw.transform(Xf) * sw

    # cross-check the documented formulas
    ev = pca.explained_variance_
    assert np.allclose(pca.singular_values_, np.sqrt(ev * (n - 1)), rtol=1e-12)
    m = min(n, p)
    nv = 0.0 if k == m else (np.trace(np.cov(Xf, rowvar=False)) - ev.sum()) / (m - k)
    assert abs(pca.noise_variance_ - nv) <= 1e-9 * max(abs(nv), 1e-300) + 1e-15 * np.trace(np.cov(Xf, rowvar=False))
    assert np.allclose(scores_w, scores / np.sqrt(ev), rtol=1e-10, atol=1e-12)
    assert np.allclose(np.cov(scores, rowvar=False, ddof=1), np.diag(ev),
                       rtol=1e-9, atol=1e-9 * ev[0])

    save(case, "components", comps)
    save(case, "explained_variance", ev)
    save(case, "explained_variance_ratio", pca.explained_variance_ratio_)
    save(case, "singular_values", pca.singular_values_)
    save(case, "mean", X64.mean(axis=0) if standardize else pca.mean_)
    save(case, "noise_variance", np.array(float(np.squeeze(pca.noise_variance_)), dtype=np.float64))  # 0-d
    save(case, "scores", scores)
    save(case, "scores_whiten", scores_w)
    save(case, "eigvals_all", np.maximum(w_all, 0.0))

    if test is not None:
        save(case, "test", test)
        T64 = test.astype(np.float64)
        ts = pca.transform(T64)
        rec = pca.inverse_transform(ts)
        err = rec - T64
        save(case, "test_scores", ts * s)
        save(case, "test_mae", np.array(np.mean(np.abs(err)), dtype=np.float64))
        save(case, "test_rmse", np.array(np.sqrt(np.mean(err ** 2)), dtype=np.float64))
    return pca


def orth(rng, p):
    q, r = np.linalg.qr(rng.standard_normal((p, p)))
    return q * np.sign(np.diag(r))


def mixing(rng, p, top, decay):
    """Fixed p x p matrix with singular values top * decay**i."""
    return orth(rng, p) @ np.diag(top * decay ** np.arange(p)) @ orth(rng, p).T


def case_tall_f64():
    rng = np.random.default_rng(20240101)
    p = 12
    A = mixing(rng, p, 10.0, 0.6)
    mean = np.linspace(3.0, 30.0, p)
    X = rng.standard_normal((400, p)) @ A + mean
    T = rng.standard_normal((50, p)) @ A + mean
    oracle("tall_f64", X, 5, (37, p), test=T)


def case_tall_f32():
    rng = np.random.default_rng(20240102)
    p = 9
    A = mixing(rng, p, 8.0, 0.55)
    mean = np.linspace(3.0, 30.0, p)
    X = (rng.standard_normal((300, p)) @ A + mean).astype(np.float32)
    oracle("tall_f32", X, 4, (37, p))


def case_uint8_img():
    rng = np.random.default_rng(20240103)
    n, side = 500, 8
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float64)
    imgs = np.empty((n, side, side))
    for i in range(n):
        img = np.full((side, side), 40.0)
        for _ in range(rng.integers(1, 4)):
            cy, cx = rng.uniform(-0.5, side - 0.5, 2)
            sig = rng.uniform(1.0, 2.5)
            amp = rng.uniform(60.0, 180.0)
            img += amp * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * sig ** 2))
        imgs[i] = img + rng.normal(0.0, 6.0, (side, side))
    X = np.clip(np.rint(imgs), 0, 255).astype(np.uint8).reshape(n, side * side)
    oracle("uint8_img", X, 8, (37, side * side))


def case_wide():
    rng = np.random.default_rng(20240104)
    n, p, r = 30, 80, 20
    B = rng.standard_normal((r, p)) * (6.0 * 0.8 ** np.arange(r))[:, None]
    mean = np.linspace(3.0, 30.0, p)
    X = rng.standard_normal((n, r)) @ B + 0.05 * rng.standard_normal((n, p)) + mean
    oracle("wide", X, 10, (7, 24))


def case_scaled():
    rng = np.random.default_rng(20240105)
    n = 200
    A = mixing(rng, 5, 3.0, 0.6)
    Z = rng.standard_normal((n, 5)) @ A
    scales = np.array([1e-3, 1e-1, 1e1, 1e3, 1.0])
    Z = Z * scales + np.array([0.5, -2.0, 40.0, 7e3, 11.0])
    X = np.empty((n, 6))
    X[:, [0, 1, 3, 4, 5]] = Z
    X[:, 2] = 2.5  # constant column: zero variance, exactly representable mean
    assert X[:, 2].std(ddof=1) == 0.0
    oracle("scaled", X, 3, (37, 6), standardize=True)


def case_cancel():
    rng = np.random.default_rng(20240106)
    n, p = 1000, 4
    X = 1e5 + 1e-5 * rng.standard_normal((n, p))
    save("cancel", "X", X)
    F = [[Fraction(float(v)) for v in row] for row in X]  # exact values
    mu = [sum(F[i][j] for i in range(n)) / n for j in range(p)]
    D = [[F[i][j] - mu[j] for j in range(p)] for i in range(n)]
    C = np.empty((p, p))
    for a in range(p):
        for b in range(a, p):
            c = sum(D[i][a] * D[i][b] for i in range(n)) / (n - 1)
            C[a, b] = C[b, a] = float(c)  # correctly rounded
    var = np.diag(C).copy()
    # sanity: two-pass float64 agrees closely here, naive sum-of-squares does not
    assert np.allclose(X.var(axis=0, ddof=1), var, rtol=1e-6)
    w, _ = eig_desc(C)
    save("cancel", "variances", var)
    save("cancel", "covariance", C)
    save("cancel", "mean", np.array([float(m) for m in mu]))
    save("cancel", "eigvals_all", np.maximum(w, 0.0))


def main():
    case_tall_f64()
    case_tall_f32()
    case_uint8_img()
    case_wide()
    case_scaled()
    case_cancel()
    total = 0
    for dp, _, fs in os.walk(ROOT):
        for f in fs:
            total += os.path.getsize(os.path.join(dp, f))
    assert total < 600 * 1024, total
    print("wrote %s (%d bytes); numpy %s, h5py %s, HDF5 %s, scikit-learn %s"
          % (ROOT, total, np.__version__, h5py.__version__,
             h5py.version.hdf5_version, sklearn.__version__))


if __name__ == "__main__":
    main()
