package hdf5io

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/chunk/chunktest"
)

const method = "gram — ünïcode"

var (
	components = []float64{1, 2, 3, 4, 5, 6, -0.5, math.Pi, 1e-300, 1e300, -7, math.SmallestNonzeroFloat64}
	mean       = []float64{0.25, -1, 1e5}
)

// writeModel writes a small model-like file.
func writeModel(t *testing.T, path string) {
	t.Helper()
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.WriteMatrix("components", 3, 4, components))
	must(w.WriteVector("mean", mean))
	must(w.WriteMatrix("extra/empty", 0, 4, nil))
	must(w.WriteVector("/extra/none", nil))
	must(w.SetAttrInt("n_samples", 1))
	must(w.SetAttrInt("n_samples", math.MaxInt64)) // replaces
	must(w.SetAttrFloat("tol", 1e-9))
	must(w.SetAttrString("method", method))
	must(w.SetAttrString("empty", ""))
	if err := w.WriteVector("mean", mean); err == nil || !strings.Contains(err.Error(), "/mean") {
		t.Errorf("writing /mean twice: error %v", err)
	}
	must(w.Close())
	must(w.Close())
	if err := w.WriteVector("late", mean); !errors.Is(err, os.ErrClosed) {
		t.Errorf("WriteVector after Close: %v", err)
	}
}

func TestWriterRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.h5")
	writeModel(t, path)
	for range 2 { // reopen: nothing was left open
		f, err := OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rows, cols, data, err := f.ReadMatrix("components")
		if err != nil || rows != 3 || cols != 4 || !reflect.DeepEqual(data, components) {
			t.Errorf("ReadMatrix(components) = %d, %d, %v, %v", rows, cols, data, err)
		}
		if rows, cols, data, err := f.ReadMatrix("/mean"); err != nil || rows != 3 || cols != 1 || !reflect.DeepEqual(data, mean) {
			t.Errorf("ReadMatrix(mean) = %d, %d, %v, %v", rows, cols, data, err)
		}
		if v, err := f.ReadVector("mean"); err != nil || !reflect.DeepEqual(v, mean) {
			t.Errorf("ReadVector(mean) = %v, %v", v, err)
		}
		if rows, cols, data, err := f.ReadMatrix("extra/empty"); err != nil || rows != 0 || cols != 4 || len(data) != 0 {
			t.Errorf("ReadMatrix(extra/empty) = %d, %d, %v, %v", rows, cols, data, err)
		}
		if v, err := f.ReadVector("extra/none"); err != nil || len(v) != 0 {
			t.Errorf("ReadVector(extra/none) = %v, %v", v, err)
		}
		if _, err := f.ReadVector("components"); !errors.Is(err, chunk.ErrShape) {
			t.Errorf("ReadVector(components) error = %v", err)
		}
		if _, _, _, err := f.ReadMatrix("nope"); !errors.Is(err, ErrNoDataset) || !chunk.IsInputError(err) ||
			!strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "/nope") {
			t.Errorf("ReadMatrix(nope) error = %v", err)
		}
		for name, want := range map[string]bool{"components": true, "/mean": true, "extra": true, "extra/empty": true,
			"nope": false, "extra/nope": false, "nope/deeper": false, "/": true} {
			if got := f.Has(name); got != want {
				t.Errorf("Has(%q) = %v, want %v", name, got, want)
			}
		}
		if !f.HasAttr("method") || f.HasAttr("nope") {
			t.Errorf("HasAttr wrong")
		}
		if v, err := f.AttrInt("n_samples"); err != nil || v != math.MaxInt64 {
			t.Errorf("AttrInt(n_samples) = %v, %v", v, err)
		}
		if v, err := f.AttrFloat("tol"); err != nil || v != 1e-9 {
			t.Errorf("AttrFloat(tol) = %v, %v", v, err)
		}
		if v, err := f.AttrFloat("n_samples"); err != nil || v != math.MaxInt64 {
			t.Errorf("AttrFloat(n_samples) = %v, %v", v, err)
		}
		if v, err := f.AttrString("method"); err != nil || v != method {
			t.Errorf("AttrString(method) = %q, %v", v, err)
		}
		if v, err := f.AttrString("empty"); err != nil || v != "" {
			t.Errorf("AttrString(empty) = %q, %v", v, err)
		}
		if _, err := f.AttrInt("method"); !errors.Is(err, chunk.ErrDType) {
			t.Errorf("AttrInt(method) error = %v", err)
		}
		if _, err := f.AttrString("tol"); !errors.Is(err, chunk.ErrDType) {
			t.Errorf("AttrString(tol) error = %v", err)
		}
		if _, err := f.AttrInt("nope"); !errors.Is(err, ErrNoAttr) || !strings.Contains(err.Error(), "nope") {
			t.Errorf("AttrInt(nope) error = %v", err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// A model matrix is also a readable input.
	chunktest.Run(t, func() (chunk.Reader, error) { return Open(path, "components", 2) }, components, 3, 4, true)
}

// TestH5pyReadsModel checks that h5py sees the datasets, values and a str
// attribute, and that h5py-written attributes (fixed-length bytes included)
// read back through File.
func TestH5pyReadsModel(t *testing.T) {
	py := python(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "model.h5")
	writeModel(t, path)
	script := `
import json, sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    m = f.attrs["method"]
    print(json.dumps({
        "keys": sorted(f.keys()),
        "components": f["components"][()].tolist(),
        "shape": list(f["components"].shape),
        "dtype": str(f["components"].dtype),
        "mean": f["mean"][()].tolist(),
        "n_samples": int(f.attrs["n_samples"]),
        "tol": float(f.attrs["tol"]),
        "method_type": type(m).__name__,
        "method": m if isinstance(m, str) else m.decode(),
    }))
`
	out, err := exec.Command(py, "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("h5py: %v\n%s", err, out)
	}
	var got struct {
		Keys       []string
		Components [][]float64
		Shape      []int
		DType      string
		Mean       []float64
		NSamples   int64 `json:"n_samples"`
		Tol        float64
		MethodType string `json:"method_type"`
		Method     string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var flat []float64
	for _, row := range got.Components {
		flat = append(flat, row...)
	}
	if !reflect.DeepEqual(got.Keys, []string{"components", "extra", "mean"}) || !reflect.DeepEqual(got.Shape, []int{3, 4}) ||
		got.DType != "float64" || !reflect.DeepEqual(flat, components) || !reflect.DeepEqual(got.Mean, mean) ||
		got.NSamples != math.MaxInt64 || got.Tol != 1e-9 || got.Method != method {
		t.Errorf("h5py read %+v", got)
	}
	if got.MethodType != "str" {
		t.Errorf("h5py reads the string attribute as %s, want str", got.MethodType)
	}

	// And the other way: a file written by h5py.
	h5pyPath := filepath.Join(dir, "h5py.h5")
	script = `
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    f["components"] = np.arange(6, dtype=np.float32).reshape(2, 3) / 4
    f["mean"] = np.array([1, 2, 3], dtype=np.int16)
    f.attrs["n"] = 42
    f.attrs["x"] = 0.5
    f.attrs["s"] = "vlen ✓"
    f.attrs["b"] = np.bytes_(b"fixed")
`
	if out, err := exec.Command(py, "-c", script, h5pyPath).CombinedOutput(); err != nil {
		t.Fatalf("h5py: %v\n%s", err, out)
	}
	f, err := OpenFile(h5pyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if rows, cols, data, err := f.ReadMatrix("components"); err != nil || rows != 2 || cols != 3 ||
		!reflect.DeepEqual(data, []float64{0, 0.25, 0.5, 0.75, 1, 1.25}) {
		t.Errorf("ReadMatrix = %d, %d, %v, %v", rows, cols, data, err)
	}
	if v, err := f.ReadVector("mean"); err != nil || !reflect.DeepEqual(v, []float64{1, 2, 3}) {
		t.Errorf("ReadVector = %v, %v", v, err)
	}
	if v, err := f.AttrInt("n"); err != nil || v != 42 {
		t.Errorf("AttrInt = %v, %v", v, err)
	}
	if v, err := f.AttrFloat("x"); err != nil || v != 0.5 {
		t.Errorf("AttrFloat = %v, %v", v, err)
	}
	if v, err := f.AttrString("s"); err != nil || v != "vlen ✓" {
		t.Errorf("AttrString(s) = %q, %v", v, err)
	}
	if v, err := f.AttrString("b"); err != nil || v != "fixed" {
		t.Errorf("AttrString(b) = %q, %v", v, err)
	}
}

// TestH5dumpReadsModel: the HDF5 command-line tools read the file too.
func TestH5dumpReadsModel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.h5")
	writeModel(t, path)
	out, err := exec.Command("h5dump", path).CombinedOutput()
	if err != nil {
		t.Fatalf("h5dump (apt install hdf5-tools): %v\n%s", err, out)
	}
	for _, s := range []string{`DATASET "components"`, "H5T_IEEE_F64LE", "( 3, 4 )", `ATTRIBUTE "method"`, "H5T_CSET_UTF8", `(0): "gram `,
		`ATTRIBUTE "n_samples"`, "9223372036854775807", "3.14159"} {
		if !strings.Contains(string(out), s) {
			t.Errorf("h5dump output lacks %q:\n%s", s, out)
		}
	}
}

func TestMatrixWriter(t *testing.T) {
	for _, cols := range []int{1, 3, maxChunkCols + 5} {
		path := filepath.Join(t.TempDir(), "scores.h5")
		m, err := CreateMatrix(path, "out/scores", cols)
		if err != nil {
			t.Fatal(err)
		}
		var want []float64
		rows := 0
		for _, n := range []int{1, 5, 0, 17, 2, 40} {
			if cols > 100 && n > 2 {
				n = 2 // keep the wide case small
			}
			block := make([]float64, n*cols)
			for i := range block {
				block[i] = float64(len(want)+i) * 0.5
			}
			if err := m.Append(block); err != nil {
				t.Fatal(err)
			}
			want = append(want, block...)
			rows += n
		}
		if m.Rows() != int64(rows) {
			t.Errorf("Rows() = %d, want %d", m.Rows(), rows)
		}
		if cols > 1 {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("Append of a partial row did not panic")
					}
				}()
				m.Append(make([]float64, cols+1))
			}()
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		if err := m.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		chunktest.Run(t, func() (chunk.Reader, error) { return Open(path, "", 8) }, want, rows, cols, true)
		infos, err := List(path)
		if err != nil || len(infos) != 1 || infos[0].Path != "/out/scores" || infos[0].Chunks == nil {
			t.Errorf("List = %+v, %v", infos, err)
		}
		if st, err := os.Stat(path); err == nil && cols < 100 && st.Size() > 2*chunkBytes {
			t.Errorf("small score file is %d bytes", st.Size())
		}
	}
}

func TestWriterErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing-dir")
	stderr := captureStderr(t, func() {
		if _, err := Create(filepath.Join(dir, "m.h5")); err == nil || !strings.Contains(err.Error(), "m.h5") {
			t.Errorf("Create in a missing directory: %v", err)
		}
		if _, err := CreateMatrix(filepath.Join(dir, "s.h5"), "x", 2); err == nil || !strings.Contains(err.Error(), "s.h5") {
			t.Errorf("CreateMatrix in a missing directory: %v", err)
		}
	})
	if stderr != "" {
		t.Errorf("libhdf5 wrote to stderr:\n%s", stderr)
	}
	w, err := Create(filepath.Join(t.TempDir(), "m.h5"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.SetAttrString("bad", "a\x00b"); err == nil {
		t.Errorf("SetAttrString with NUL succeeded")
	}
	defer func() {
		if recover() == nil {
			t.Errorf("WriteMatrix with a shape mismatch did not panic")
		}
	}()
	w.WriteMatrix("x", 2, 2, make([]float64, 3))
}
