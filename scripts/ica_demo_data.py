#!/usr/bin/python3
"""Writes the two ICA demonstration inputs of the README into a directory:

    cocktail.npy        100 000 x 3: sine, square wave and sawtooth (plus a
                        little noise) mixed by [[.7,.2,.1],[.1,.7,.2],[.2,.1,.7]];
                        cocktail_sources.npy holds the true sources
    two_gaussians.npy   10 000 x 2: the seed's mixture, half the points from
                        N(0, [[4, 1.8], [1.8, 1]]) (correlation +0.9), half from
                        N(0, [[4, -1.8], [-1.8, 1]]) (correlation -0.9)

Usage: /usr/bin/python3 scripts/ica_demo_data.py DIR   (fixed seeds)
"""
import os
import sys

import numpy as np

out = sys.argv[1] if len(sys.argv) > 1 else "."
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(2024)

n = 100_000
t = np.linspace(0, 8, n)
s = np.column_stack([
    np.sin(2 * t),
    np.sign(np.sin(3 * t)),
    2 * ((1.7 * t) % 1.0) - 1,
]) + 0.05 * rng.standard_normal((n, 3))
mix = np.array([[.7, .2, .1], [.1, .7, .2], [.2, .1, .7]])
np.save(os.path.join(out, "cocktail.npy"), s @ mix.T)
np.save(os.path.join(out, "cocktail_sources.npy"), s)

m = 10_000
a = rng.multivariate_normal([0, 0], [[4, 1.8], [1.8, 1]], size=m // 2)
b = rng.multivariate_normal([0, 0], [[4, -1.8], [-1.8, 1]], size=m // 2)
np.save(os.path.join(out, "two_gaussians.npy"), np.vstack([a, b]))
print("wrote cocktail.npy, cocktail_sources.npy and two_gaussians.npy in", out)
