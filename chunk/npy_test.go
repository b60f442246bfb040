package chunk_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/chunk/chunktest"
)

// fixtureDir holds files NumPy wrote (testdata/gen_npy.py).
const fixtureDir = "../testdata/npy"

type manifest struct {
	Good map[string]struct {
		DType  string    `json:"dtype"`
		Shape  []int     `json:"shape"`
		Values []float64 `json:"values"`
	} `json:"good"`
	Bad map[string]string `json:"bad"`
}

func readManifest(t testing.TB) manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, "manifest.json"))
	if err != nil {
		t.Fatalf("%v (regenerate with testdata/gen_npy.py)", err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Good) == 0 || len(m.Bad) == 0 {
		t.Fatal("manifest.json lists no fixtures")
	}
	return m
}

// TestNumPyFixtures reads what NumPy wrote, plain and recompressed.
func TestNumPyFixtures(t *testing.T) {
	m := readManifest(t)
	for name, f := range m.Good {
		data, err := os.ReadFile(filepath.Join(fixtureDir, name))
		if err != nil {
			t.Fatal(err)
		}
		d, err := chunk.ParseDType(f.DType)
		if err != nil {
			t.Fatal(err)
		}
		for _, comp := range compressions {
			t.Run(name+"-"+comp, func(t *testing.T) {
				path := filepath.Join(fixtureDir, name)
				if comp != "" {
					path = writeFile(t, name+"."+comp, compress(t, comp, data))
				}
				open := func() (chunk.Reader, error) { return chunk.Open(path, chunk.Options{DType: d, Cols: f.Shape[1]}) }
				chunktest.Run(t, open, f.Values, f.Shape[0], f.Shape[1], true)
			})
		}
	}
	sentinels := map[string]error{"ErrFormat": chunk.ErrFormat, "ErrShape": chunk.ErrShape, "ErrDType": chunk.ErrDType}
	for name, s := range m.Bad {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(fixtureDir, name)
			_, err := chunk.Open(path, chunk.Options{})
			checkErr(t, err, path, []error{sentinels[s]})
		})
	}
}

// FuzzOpenNpy: no header, however hostile, panics or yields a partial row.
func FuzzOpenNpy(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.npy"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add(npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }"))
	f.Add([]byte("\x93NUMPY\x02\x00\xff\xff\xff\xff{"))
	f.Add([]byte("\x93NUMPY\x03\x00\x04\x00\x00\x00{}\n "))
	f.Add(npyHeader("{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3L,), }"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := chunk.OpenStream("fuzz.npy", bytes.NewReader(data), chunk.Options{})
		if err != nil {
			var ce *chunk.Error
			if !errors.As(err, &ce) || ce.File != "fuzz.npy" {
				t.Fatalf("error %q is not a *chunk.Error naming the file", err)
			}
			return
		}
		defer r.Close()
		info := r.Info()
		if info.Cols <= 0 || info.Rows <= 0 || info.DType.Size() == 0 {
			t.Fatalf("Info() = %+v", info)
		}
		if int64(info.Cols)*int64(info.DType.Size()) > int64(len(data)) {
			return // rows wider than the input cannot be read whole; skip the allocation
		}
		dst := make([]float64, 2*info.Cols)
		var rows int64
		for {
			n, err := r.ReadRows(dst)
			rows += int64(n)
			if err != nil {
				if rows > info.Rows {
					t.Fatalf("read %d rows, header says %d", rows, info.Rows)
				}
				return
			}
		}
	})
}
