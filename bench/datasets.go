package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// dataset is one named shape of the benchmark, with its full and --quick
// sizes, its generator and the file format it is stored in.
type dataset struct {
	Name       string
	What       string // one line for the report
	Rows, Cols int64
	QuickRows  int64
	QuickCols  int64
	Gen        string // "gaussian" or "images"
	DType      string // on disk
	Suffix     string // file suffix: the format users have
	Seed       uint64
}

// datasets are the benchmark's data sets, in report order.
var datasets = []dataset{
	{Name: "tall", What: "Gaussian, spectrum 1/(1+i/20)², float32 .npy", Rows: 200_000, Cols: 512, QuickRows: 10_000, QuickCols: 128,
		Gen: "gaussian", DType: "float32", Suffix: ".npy", Seed: 1},
	{Name: "iobound", What: "Gaussian, float32 raw little-endian, zstd-compressed", Rows: 5_000_000, Cols: 32, QuickRows: 200_000, QuickCols: 16,
		Gen: "gaussian", DType: "float32", Suffix: ".f32.zst", Seed: 2},
	{Name: "images", What: "28×28 uint8 synthetic images, chunked gzip+shuffle HDF5", Rows: 70_000, Cols: 784, QuickRows: 2_000, QuickCols: 256,
		Gen: "images", DType: "uint8", Suffix: ".h5", Seed: 3},
	{Name: "wide", What: "Gaussian, float32 .npy, p ≫ n", Rows: 2_000, Cols: 200_000, QuickRows: 200, QuickCols: 2_000,
		Gen: "gaussian", DType: "float32", Suffix: ".npy", Seed: 4},
}

// sized returns the data set at its full or quick size.
func (d dataset) sized(quick bool) dataset {
	if quick {
		d.Rows, d.Cols = d.QuickRows, d.QuickCols
	}
	return d
}

// file is the cached data file's path.
func (d dataset) file(cache string) string {
	return filepath.Join(cache, fmt.Sprintf("%s-%dx%d-s%d%s", d.Name, d.Rows, d.Cols, d.Seed, d.Suffix))
}

func (d dataset) raw() bool { return d.Suffix != ".npy" && d.Suffix != ".h5" }

// elemSize is the on-disk size of one value.
func (d dataset) elemSize() int64 {
	switch d.DType {
	case "uint8":
		return 1
	case "float64":
		return 8
	}
	return 4
}

// ensure generates the data set into the cache unless it is already there.
func (d dataset) ensure(cache string) (string, error) {
	path := d.file(cache)
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", err
	}
	seed := strconv.FormatUint(d.Seed, 10)
	var args []string
	switch d.Gen {
	case "images":
		side := 1
		for int64(side*side) < d.Cols {
			side++
		}
		if int64(side*side) != d.Cols {
			return "", fmt.Errorf("%s: images need a square number of columns", d.Name)
		}
		args = []string{"images", "--rows", strconv.FormatInt(d.Rows, 10), "--side", strconv.Itoa(side), "--out", path, "--seed", seed}
	default:
		args = []string{"gaussian", "--rows", strconv.FormatInt(d.Rows, 10), "--cols", strconv.FormatInt(d.Cols, 10),
			"--dtype", d.DType, "--out", path, "--seed", seed}
	}
	if err := cmdGen(args); err != nil {
		return "", err
	}
	return path, nil
}
