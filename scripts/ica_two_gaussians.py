#!/usr/bin/python3
"""For the README's two-Gaussians example: prints the directions of PCA's
components (pca.h5) and of ICA's mixing columns (ica2.h5), in degrees, and
the standard deviation of the PCA scores and ICA sources over each half of
the data (rows 0..4999 have correlation +0.9, rows 5000.. -0.9).

Usage, in the directory of the files: /usr/bin/python3 ica_two_gaussians.py
"""
import h5py
import numpy as np


def report(name, directions, scores):
    angles = np.degrees(np.arctan2(directions[1], directions[0])) % 180
    print(f"{name}: directions at {np.round(angles, 1)} degrees")
    print(f"  std on the +0.9 half {np.round(scores[:5000].std(0), 2)}, "
          f"on the -0.9 half {np.round(scores[5000:].std(0), 2)}")


with h5py.File("pca.h5") as f:
    report("PCA", f["components"][()].T, np.load("pca_scores.npy"))
with h5py.File("ica2.h5") as f:
    report("ICA", f["mixing"][()], np.load("ica2_sources.npy"))
