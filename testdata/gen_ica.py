#!/usr/bin/python3
"""Generate the FastICA oracle fixtures in testdata/ica/ for spca's Go tests.

Run from the repository root:

    python3 testdata/gen_ica.py

Deterministic (fixed seeds); made with Debian's numpy 1.24.2 and
scikit-learn 1.2.1.

Oracle: scikit-learn's FastICA(whiten="unit-variance", whiten_solver="svd")
with a given starting matrix w_init, so that spca can run the same
iteration from the same start (spca ica --w-init). X.npy is the input of
every case; each case directory stores w_init and scikit-learn's components_, mixing_, mean_,
whitening_ and n_iter_. spca orders and signs its sources by its own rule,
so the Go test compares up to sign and order.

The whitening is checked here against an independent computation, numpy's
eigh of the ddof=1 covariance (K = V^T / sqrt(lambda (n-1)), rows signed
so that the first entry is positive), which is how spca whitens.
"""

import os
import sys
import warnings

try:
    import numpy as np
    import sklearn
    from sklearn.decomposition import FastICA
    from sklearn.exceptions import ConvergenceWarning
except ImportError:
    if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ica")


def save(case, name, arr):
    d = os.path.join(ROOT, case)
    os.makedirs(d, exist_ok=True)
    np.save(os.path.join(d, name + ".npy"), np.asarray(arr, order="C"), allow_pickle=False)


def eigh_whitening(X, k):
    n = X.shape[0]
    w, V = np.linalg.eigh(np.cov(X, rowvar=False, ddof=1))
    w, V = w[::-1][:k], V[:, ::-1][:, :k]
    V = V * np.where(V[0] < 0, -1.0, 1.0)
    return (V / np.sqrt(w * (n - 1))).T


def sources_data():
    """n x 4: three non-Gaussian sources and a weak Gaussian one, mixed."""
    rng = np.random.default_rng(20240707)
    n = 3000
    S = np.column_stack([
        rng.laplace(size=n),
        rng.uniform(-1.7, 1.7, size=n),
        rng.exponential(size=n) - 1.0,
        0.1 * rng.standard_normal(n),
    ])
    A = np.array([[1.0, 0.5, 0.3, 0.2],
                  [0.4, 1.2, -0.5, 0.1],
                  [-0.3, 0.6, 0.9, 0.3],
                  [0.2, -0.4, 0.5, 1.1]])
    return S @ A.T + np.array([5.0, -2.0, 10.0, 0.5])


def case(name, X, k, fun, algorithm, tol, max_iter, seed):
    rng = np.random.default_rng(seed)
    w_init = rng.standard_normal((k, k))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ica = FastICA(n_components=k, algorithm=algorithm, whiten="unit-variance",
                      fun=fun, tol=tol, max_iter=max_iter, w_init=w_init,
                      whiten_solver="svd")
        S = ica.fit_transform(X)
    K = eigh_whitening(X, k)
    assert np.allclose(ica.whitening_, K, rtol=0, atol=1e-10 * np.abs(K).max()), (ica.whitening_, K)
    assert np.allclose(S.std(axis=0), 1.0, atol=1e-12)
    assert np.allclose(ica.components_ @ ica.mixing_, np.eye(k), atol=1e-10)
    save(name, "w_init", w_init)
    save(name, "components", ica.components_)
    save(name, "mixing", ica.mixing_)
    save(name, "mean", ica.mean_[None, :])  # 2-D: spca's .npy reader wants (rows, cols)
    save(name, "whitening", ica.whitening_)
    save(name, "n_iter", np.array([[ica.n_iter_]], dtype=np.float64))
    with open(os.path.join(ROOT, name, "params.txt"), "w") as f:
        f.write("k=%d fun=%s algorithm=%s tol=%r max_iter=%d\n" % (k, fun, algorithm, tol, max_iter))


def main():
    X = sources_data()
    os.makedirs(ROOT, exist_ok=True)
    np.save(os.path.join(ROOT, "X.npy"), X, allow_pickle=False)  # shared by every case
    # tol=0: exactly max_iter iterations, so every step of the update is compared.
    case("par_logcosh_5", X, 3, "logcosh", "parallel", 0.0, 5, 1)
    case("par_exp_5", X, 3, "exp", "parallel", 0.0, 5, 2)
    case("par_cube_5", X, 4, "cube", "parallel", 0.0, 5, 3)
    case("def_logcosh_5", X, 3, "logcosh", "deflation", 0.0, 5, 4)
    # Run to convergence: the number of iterations must match too.
    case("par_logcosh_conv", X, 3, "logcosh", "parallel", 1e-8, 200, 5)
    case("def_exp_conv", X, 3, "exp", "deflation", 1e-8, 200, 6)
    total = 0
    for dp, _, fs in os.walk(ROOT):
        for f in fs:
            total += os.path.getsize(os.path.join(dp, f))
    print("wrote %s (%d bytes); numpy %s, scikit-learn %s" % (ROOT, total, np.__version__, sklearn.__version__))


if __name__ == "__main__":
    main()
