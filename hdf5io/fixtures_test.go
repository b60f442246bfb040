package hdf5io

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/spca/spca/chunk"
)

// fixtureDir holds the files made by testdata/gen_hdf5.py.
var fixtureDir = filepath.Join("..", "testdata", "hdf5")

func fixture(name string) string { return filepath.Join(fixtureDir, name) }

var allDTypes = []chunk.DType{chunk.Float32, chunk.Float64, chunk.Int8, chunk.Int16, chunk.Int32, chunk.Int64,
	chunk.Uint8, chunk.Uint16, chunk.Uint32, chunk.Uint64}

// limits are each dtype's min and max, as np.iinfo / np.finfo give them.
var limits = map[chunk.DType][2]float64{
	chunk.Float32: {-math.MaxFloat32, math.MaxFloat32},
	chunk.Float64: {-math.MaxFloat64, math.MaxFloat64},
	chunk.Int8:    {math.MinInt8, math.MaxInt8},
	chunk.Int16:   {math.MinInt16, math.MaxInt16},
	chunk.Int32:   {math.MinInt32, math.MaxInt32},
	chunk.Int64:   {math.MinInt64, math.MaxInt64},
	chunk.Uint8:   {0, math.MaxUint8},
	chunk.Uint16:  {0, math.MaxUint16},
	chunk.Uint32:  {0, math.MaxUint32},
	chunk.Uint64:  {0, math.MaxUint64},
}

// expected recomputes gen_hdf5.py's matrix(dtype, rows, cols) as float64:
// base = (k*37) % 97 for flat index k; floats (base-40)/8, signed base-40,
// unsigned base; then v[0,0] = min, v[0,1] = max of the dtype.
func expected(dt chunk.DType, rows, cols int) []float64 {
	v := make([]float64, rows*cols)
	for k := range v {
		base := float64((k * 37) % 97)
		switch dt {
		case chunk.Float32, chunk.Float64:
			v[k] = (base - 40) / 8
		case chunk.Int8, chunk.Int16, chunk.Int32, chunk.Int64:
			v[k] = base - 40
		default:
			v[k] = base
		}
	}
	v[0], v[1] = limits[dt][0], limits[dt][1]
	return v
}

// python finds a Python with h5py: $SPCA_PYTHON, python3 on PATH, then
// /usr/bin/python3 (pyenv shims may hide Debian's python3-h5py). CI installs
// python3-h5py, so a missing h5py fails the test rather than skipping it.
func python(t *testing.T) string {
	t.Helper()
	cands := []string{os.Getenv("SPCA_PYTHON"), "python3", "/usr/bin/python3"}
	for _, c := range cands {
		if c == "" {
			continue
		}
		if err := exec.Command(c, "-c", "import h5py, numpy").Run(); err == nil {
			return c
		}
	}
	t.Fatalf("no python3 with h5py and numpy (tried %q); install python3-h5py python3-numpy or set SPCA_PYTHON", cands)
	return ""
}
