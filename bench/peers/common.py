"""Shared input and output for the Python peers of spca-bench.

Every peer reads the data set the way a careful user of its library would,
in row blocks converted to float64 (the same dtype handling as spca, which
accumulates in float64 whatever the file holds):

  .npy          memory-mapped (np.load(mmap_mode="r"))
  .h5 / .hdf5   h5py, by row slices (the only 2-D dataset, or --dataset)
  raw + .zst    streamed through python3-zstandard, --cols and --dtype given

and writes its answer as two .npy files, PREFIX.values.npy (the top-k
eigenvalues of the covariance, n-1 denominator, descending) and
PREFIX.components.npy (k x p, one component per row), plus one JSON line on
stdout with the seconds spent after the imports.
"""
import argparse
import json
import time

import numpy as np

BLOCK_BYTES = 8 << 20  # about 8 MiB of float64 per block, as spca


def parse(description, extra=None):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("input")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--out", required=True, help="output prefix")
    ap.add_argument("--cols", type=int, default=0, help="raw input: columns")
    ap.add_argument("--dtype", default="", help="raw input: element type")
    ap.add_argument("--rows", type=int, default=0, help="raw input: rows (default: from the size)")
    ap.add_argument("--dataset", default="", help="HDF5 dataset path")
    if extra:
        extra(ap)
    return ap.parse_args()


class Source:
    """A row-block view of one input file: shape, and blocks in float64."""

    def __init__(self, args):
        self.path = args.input
        low = self.path.lower()
        self._close = None
        if low.endswith(".npy"):
            self.x = np.load(self.path, mmap_mode="r")
            self.kind = "npy"
        elif low.endswith(".h5") or low.endswith(".hdf5"):
            import h5py
            f = h5py.File(self.path, "r")
            name = args.dataset
            if not name:
                names = []
                f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) and o.ndim == 2 else None)
                if len(names) != 1:
                    raise SystemExit(f"{self.path}: give --dataset (2-D datasets: {names})")
                name = names[0]
            self.x = f[name]
            self._close = f.close
            self.kind = "h5"
        else:
            if not args.cols or not args.dtype:
                raise SystemExit(f"{self.path}: raw input needs --cols and --dtype")
            self.kind = "raw"
            self.dtype = np.dtype(args.dtype).newbyteorder("<")
            self.cols = args.cols
            rows = args.rows or self._raw_size() // (self.cols * self.dtype.itemsize)
            self.x = None
            self.shape_ = (rows, self.cols)
        self.shape = self.x.shape if self.x is not None else self.shape_
        self.step = max(256, BLOCK_BYTES // (8 * self.shape[1]))
        if self.kind == "h5" and self.x.chunks:
            c = self.x.chunks[0]
            self.step = max(c, (self.step // c) * c)  # whole chunks per read

    def _raw_stream(self):
        f = open(self.path, "rb")
        if self.path.lower().endswith(".zst"):
            import zstandard
            return zstandard.ZstdDecompressor().stream_reader(f, read_size=1 << 20, closefd=True)
        return f

    def _raw_size(self):
        if not self.path.lower().endswith(".zst"):
            import os
            return os.path.getsize(self.path)
        raise SystemExit(f"{self.path}: compressed raw input needs --rows")

    def blocks(self):
        """Yields consecutive row blocks as C-contiguous float64 arrays."""
        n, p = self.shape
        if self.kind != "raw":
            for i in range(0, n, self.step):
                yield np.asarray(self.x[i:i + self.step], dtype=np.float64)
            return
        row = p * self.dtype.itemsize
        with self._raw_stream() as r:
            while True:
                buf = r.read(self.step * row)
                if not buf:
                    return
                while len(buf) % row:
                    more = r.read(row - len(buf) % row)
                    if not more:
                        raise SystemExit(f"{self.path}: truncated row")
                    buf += more
                yield np.frombuffer(buf, dtype=self.dtype).reshape(-1, p).astype(np.float64)

    def load(self):
        """The whole matrix in memory as float64 (for the in-memory peers)."""
        if self.kind == "npy":
            return np.asarray(self.x, dtype=np.float64)
        out = np.empty(self.shape, dtype=np.float64)
        i = 0
        for b in self.blocks():
            out[i:i + len(b)] = b
            i += len(b)
        return out

    def close(self):
        if self._close:
            self._close()


def finish(args, peer, t0, values, components, **extra):
    """Writes the answer files and prints the JSON line."""
    secs = time.perf_counter() - t0
    np.save(args.out + ".values.npy", np.ascontiguousarray(values, dtype=np.float64).reshape(-1, 1))
    np.save(args.out + ".components.npy", np.ascontiguousarray(components, dtype=np.float64))
    d = {"peer": peer, "seconds": secs}
    d.update(extra)
    print(json.dumps(d), flush=True)
