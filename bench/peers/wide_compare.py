#!/usr/bin/python3
"""One run, one wide file: spca --method dual and --method randomized against
NumPy's exact SVD and scikit-learn's randomized PCA.

usage: wide_compare.py X.npy K [SPCA]
Runs each under /usr/bin/time -v (wall seconds, peak RSS), then compares
every result with NumPy's: top-K eigenvalues (max relative error) and the
subspace (‖(I − V_np V_npᵀ) V‖_F). Prints a Markdown table.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(cmd):
    r = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({r.returncode}):\n{r.stderr}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", r.stderr).group(1)
    secs = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall.split(":"))))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1))
    return r.stdout, secs, rss / 1024


def main():
    path, k = sys.argv[1], int(sys.argv[2])
    spca = sys.argv[3] if len(sys.argv) > 3 else os.path.join(HERE, "..", "..", "bin", "spca")
    tmp = tempfile.mkdtemp(prefix="spca-wide-")
    rows = []
    results = {}
    for method in ("dual", "randomized"):
        model = os.path.join(tmp, method + ".h5")
        out, secs, rss = timed([spca, "fit", path, "-k", str(k), "--method", method, "--model", model, "--json"])
        j = json.loads(out)
        with h5py.File(model) as f:
            results["spca " + method] = (f["explained_variance"][()], f["components"][()])
        rows.append(("spca --method " + method, secs, rss, j["passes"], max(j["residuals"])))
    for name, script in (("numpy svd", "wide_numpy_svd.py"), ("sklearn randomized", "wide_sklearn_randomized.py")):
        npz = os.path.join(tmp, name.replace(" ", "_") + ".npz")
        _, secs, rss = timed(["/usr/bin/python3", os.path.join(HERE, script), path, str(k), npz])
        d = np.load(npz)
        results[name] = (d["explained_variance"], d["components"])
        rows.append((name, secs, rss, None, None))
    ref_vals, ref_vecs = results["numpy svd"]
    n, p = np.load(path, mmap_mode="r").shape
    print(f"{path}: n = {n}, p = {p}, k = {k}\n")
    print("| run | wall s | peak RSS MB | passes | max residual | max rel err λ vs NumPy | subspace dist vs NumPy |")
    print("|---|---|---|---|---|---|---|")
    names = ["spca dual", "spca randomized", "numpy svd", "sklearn randomized"]
    for name, (label, secs, rss, passes, res) in zip(names, rows):
        vals, vecs = results[name]
        err = np.max(np.abs(vals - ref_vals) / ref_vals)
        dist = np.linalg.norm(vecs - (vecs @ ref_vecs.T) @ ref_vecs)
        fmt = lambda v: "" if v is None else (str(v) if isinstance(v, int) else f"{v:.1e}")
        print(f"| {label} | {secs:.1f} | {rss:.0f} | {fmt(passes)} | {fmt(res)} | {err:.1e} | {dist:.1e} |")


if __name__ == "__main__":
    main()
