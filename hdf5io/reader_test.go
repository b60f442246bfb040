package hdf5io

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/chunk/chunktest"
)

func TestConformanceDTypes(t *testing.T) {
	for _, dt := range allDTypes {
		t.Run(dt.String(), func(t *testing.T) {
			path := fixture("dtype_" + dt.String() + ".h5")
			want := expected(dt, 23, 5)
			for _, ds := range []string{"", "X", "/X"} {
				chunktest.Run(t, func() (chunk.Reader, error) { return Open(path, ds, 4) }, want, 23, 5, true)
			}
			r, err := Open(path, "", 4)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			info := r.Info()
			if info.DType != dt || info.Format != "hdf5" || info.Dataset != "/X" || info.Name != path {
				t.Errorf("Info() = %+v", info)
			}
		})
	}
}

func TestConformanceBigEndian(t *testing.T) {
	for _, dt := range []chunk.DType{chunk.Float64, chunk.Int32} {
		path := fixture("be_" + dt.String() + ".h5")
		chunktest.Run(t, func() (chunk.Reader, error) { return Open(path, "", 3) }, expected(dt, 23, 5), 23, 5, true)
	}
}

func TestConformanceChunked(t *testing.T) {
	path := fixture("chunked.h5")
	want := expected(chunk.Float32, 50, 6)
	for _, blockRows := range []int{-1, 0, 1, 6, 7, 8, 50, 1000} {
		chunktest.Run(t, func() (chunk.Reader, error) { return Open(path, "", blockRows) }, want, 50, 6, true)
	}
}

func TestConformanceGroup(t *testing.T) {
	path := fixture("group.h5")
	want := expected(chunk.Float64, 23, 5)
	for _, ds := range []string{"", "g/sub/X", "/g/sub/X"} {
		chunktest.Run(t, func() (chunk.Reader, error) { return Open(path, ds, 10) }, want, 23, 5, true)
	}
	r, err := Open(path, "g/sub/X", 10)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := r.Info().Dataset; got != "/g/sub/X" {
		t.Errorf("Dataset = %q, want /g/sub/X", got)
	}
}

func TestConformanceNamedInAmbiguousFile(t *testing.T) {
	path := fixture("ambiguous.h5")
	chunktest.Run(t, func() (chunk.Reader, error) { return Open(path, "B", 5) }, expected(chunk.Int16, 23, 5), 23, 5, true)
}

func TestList(t *testing.T) {
	got, err := List(fixture("group.h5"))
	if err != nil {
		t.Fatal(err)
	}
	want := []DatasetInfo{
		{Path: "/g/sub/X", Shape: []int64{23, 5}, DType: chunk.Float64, TypeName: "float64"},
		{Path: "/g/v", Shape: []int64{7}, DType: chunk.Float64, TypeName: "float64"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("List(group.h5) = %+v, want %+v", got, want)
	}

	got, err = List(fixture("chunked.h5"))
	if err != nil {
		t.Fatal(err)
	}
	want = []DatasetInfo{{Path: "/X", Shape: []int64{50, 6}, DType: chunk.Float32, TypeName: "float32",
		Chunks: []int64{7, 4}, Filters: []string{"shuffle", "deflate"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("List(chunked.h5) = %+v, want %+v", got, want)
	}

	for file, want := range map[string]DatasetInfo{
		"string.h5":   {Path: "/names", Shape: []int64{3, 2}, DType: chunk.Invalid, TypeName: "string"},
		"be_int32.h5": {Path: "/X", Shape: []int64{23, 5}, DType: chunk.Int32, TypeName: "int32 (big-endian)"},
		"threed.h5":   {Path: "/cube", Shape: []int64{2, 3, 4}, DType: chunk.Float64, TypeName: "float64"},
	} {
		got, err := List(fixture(file))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
			t.Errorf("List(%s) = %+v, want [%+v]", file, got, want)
		}
	}

	got, err = List(fixture("ambiguous.h5"))
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, d := range got {
		paths = append(paths, d.Path)
	}
	if strings.Join(paths, " ") != "/A /B /v" {
		t.Errorf("List(ambiguous.h5) paths = %v", paths)
	}
}

func TestIsHDF5(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "text.h5")
	if err := os.WriteFile(text, []byte("not an HDF5 file at all\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A 512-byte user block before the superblock is legal HDF5.
	src, err := os.ReadFile(fixture("dtype_int8.h5"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{
		fixture("dtype_float64.h5"): true,
		fixture("chunked.h5"):       true,
		text:                        false,
		filepath.Join(dir, "none"):  false,
		dir:                         false,
		"-":                         false,
		"":                          false,
	} {
		if got := IsHDF5(name); got != want {
			t.Errorf("IsHDF5(%q) = %v, want %v", name, got, want)
		}
	}
	ub := filepath.Join(dir, "userblock.h5")
	if err := os.WriteFile(ub, append(make([]byte, 512), src...), 0o644); err != nil {
		t.Fatal(err)
	}
	if !IsHDF5(ub) {
		t.Errorf("IsHDF5 misses a signature at offset 512")
	}
}

// errorCase is an Open that must fail with a *chunk.Error matching sentinel
// and containing every string in has (and none in hasNot).
type errorCase struct {
	name, file, dataset string
	sentinel            error
	has, hasNot         []string
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(fixture("dtype_float64.h5"))
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.h5")
	if err := os.WriteFile(truncated, src[:len(src)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "text.h5")
	if err := os.WriteFile(text, []byte("a,b\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	amb := fixture("ambiguous.h5")
	cases := []errorCase{
		{"missing", amb, "nope", ErrNoDataset, []string{amb, "/nope", "/A (float64 23×5)", "/B (int16 23×5)"}, []string{"/v"}},
		{"missing in group", fixture("group.h5"), "g/nope/X", ErrNoDataset, []string{"/g/nope/X", "/g/sub/X"}, nil},
		{"group not dataset", fixture("group.h5"), "g", ErrNoDataset, []string{"/g is not a dataset"}, nil},
		{"ambiguous", amb, "", ErrAmbiguous, []string{amb, "/A", "/B"}, []string{"/v"}},
		{"string named", fixture("string.h5"), "names", chunk.ErrDType, []string{"/names", "string"}, nil},
		{"string default", fixture("string.h5"), "", chunk.ErrDType, []string{"/names (string 3×2)"}, nil},
		{"1-D named", fixture("oned.h5"), "v", chunk.ErrShape, []string{"/v", "is 1-D"}, nil},
		{"1-D default", fixture("oned.h5"), "", ErrNoDataset, []string{"no 2-D dataset", "/v (float64 7)"}, nil},
		{"3-D", fixture("threed.h5"), "cube", chunk.ErrShape, []string{"/cube (float64 2×3×4)", "is 3-D"}, nil},
		{"truncated", truncated, "", chunk.ErrFormat, []string{truncated, "H5Fopen", "truncated"}, nil},
		{"not HDF5", text, "X", chunk.ErrFormat, []string{text, "H5Fopen", "signature"}, nil},
		{"no file", filepath.Join(dir, "absent.h5"), "", fs.ErrNotExist, []string{"absent.h5"}, nil},
	}
	stderr := captureStderr(t, func() {
		for _, c := range cases {
			for range 2 { // the second run checks nothing was left half-open
				r, err := Open(c.file, c.dataset, 8)
				if err == nil {
					r.Close()
					t.Errorf("%s: Open succeeded", c.name)
					continue
				}
				checkError(t, c, err)
			}
		}
		if _, err := List(truncated); !chunk.IsInputError(err) || !errors.Is(err, chunk.ErrFormat) {
			t.Errorf("List(truncated) error = %v", err)
		}
		if _, err := OpenFile(truncated); !chunk.IsInputError(err) || !errors.Is(err, chunk.ErrFormat) {
			t.Errorf("OpenFile(truncated) error = %v", err)
		}
	})
	if stderr != "" {
		t.Errorf("libhdf5 wrote to stderr:\n%s", stderr)
	}
}

func checkError(t *testing.T, c errorCase, err error) {
	t.Helper()
	if !chunk.IsInputError(err) {
		t.Errorf("%s: error %v (%T) is not a *chunk.Error", c.name, err, err)
	}
	if !errors.Is(err, c.sentinel) {
		t.Errorf("%s: error %v is not %v", c.name, err, c.sentinel)
	}
	msg := err.Error()
	for _, s := range c.has {
		if !strings.Contains(msg, s) {
			t.Errorf("%s: error %q does not contain %q", c.name, msg, s)
		}
	}
	for _, s := range c.hasNot {
		if strings.Contains(msg, s) {
			t.Errorf("%s: error %q contains %q", c.name, msg, s)
		}
	}
}

func TestReadRowsMisuse(t *testing.T) {
	r, err := Open(fixture("dtype_int8.h5"), "", 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 4, 6} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("ReadRows(len %d) with 5 columns did not panic", n)
				}
			}()
			r.ReadRows(make([]float64, n))
		}()
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := r.ReadRows(make([]float64, 5)); !errors.Is(err, os.ErrClosed) {
		t.Errorf("ReadRows after Close: %v", err)
	}
}

// TestConcurrentReadWrite reads and writes from several goroutines at once:
// the package mutex must keep libhdf5 (and the race detector) happy.
func TestConcurrentReadWrite(t *testing.T) {
	dir := t.TempDir()
	want := expected(chunk.Float32, 50, 6)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range 5 {
				r, err := Open(fixture("chunked.h5"), "", 3)
				if err != nil {
					t.Error(err)
					return
				}
				got := readAll(t, r)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("goroutine %d: read differs", g)
				}
			}
		}()
		go func() {
			defer wg.Done()
			path := filepath.Join(dir, "scores"+string(rune('a'+g))+".h5")
			m, err := CreateMatrix(path, "scores", 6)
			if err != nil {
				t.Error(err)
				return
			}
			for i := 0; i < len(want); i += 18 {
				if err := m.Append(want[i:min(i+18, len(want))]); err != nil {
					t.Error(err)
				}
			}
			if err := m.Close(); err != nil {
				t.Error(err)
			}
			r, err := Open(path, "", 7)
			if err != nil {
				t.Error(err)
				return
			}
			if got := readAll(t, r); !reflect.DeepEqual(got, want) {
				t.Errorf("goroutine %d: written matrix differs", g)
			}
		}()
	}
	wg.Wait()
}

func readAll(t *testing.T, r chunk.Reader) []float64 {
	t.Helper()
	defer r.Close()
	cols := r.Info().Cols
	buf := make([]float64, 4*cols)
	var out []float64
	for {
		n, err := r.ReadRows(buf)
		out = append(out, buf[:n*cols]...)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Error(err)
			return out
		}
	}
}

func TestCacheSize(t *testing.T) {
	// 50×6 float32 in 7×4 chunks read 8 rows at a time: ⌈8/7⌉+1 = 3 chunk
	// rows × 2 chunk columns = 6 chunks of 112 bytes, below the 1 MiB floor.
	if nbytes, nslots := cacheSize([]int64{7, 4}, 50, 6, 8, 4); nbytes != defaultCacheBytes || nslots != 601 {
		t.Errorf("cacheSize = %d, %d; want %d, 601", nbytes, nslots, defaultCacheBytes)
	}
	// 1e6×1000 float64 in 1000×100 chunks, 10000-row blocks: 11×10 chunks of 800 kB.
	if nbytes, nslots := cacheSize([]int64{1000, 100}, 1e6, 1000, 10000, 8); nbytes != 110*800000 || nslots != 11003 {
		t.Errorf("cacheSize = %d, %d; want %d, 11003", nbytes, nslots, 110*800000)
	}
	// A block larger than the dataset needs only the dataset's chunks.
	if nbytes, _ := cacheSize([]int64{100, 1000}, 1000, 1000, 1<<20, 8); nbytes != 10*800000 {
		t.Errorf("cacheSize for a huge block = %d, want %d", nbytes, 10*800000)
	}
}

func TestChunkCacheApplied(t *testing.T) {
	// 1000×300 float64 in MatrixWriter's chunks (54 rows × 300 columns).
	path := filepath.Join(t.TempDir(), "wide.h5")
	m, err := CreateMatrix(path, "X", 300)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Append(make([]float64, 1000*300)); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	infos, err := List(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, blockRows := range []int{1, 100, 5000} {
		r, err := Open(path, "", blockRows)
		if err != nil {
			t.Fatal(err)
		}
		wantBytes, wantSlots := cacheSize(infos[0].Chunks, 1000, 300, blockRows, 8)
		nbytes, nslots, err := r.(*reader).chunkCache()
		if err != nil || nbytes != wantBytes || nslots != wantSlots {
			t.Errorf("blockRows %d: chunk cache = %d bytes, %d slots, %v; want %d, %d", blockRows, nbytes, nslots, err, wantBytes, wantSlots)
		}
		r.Close()
	}
}

func BenchmarkReadRows(b *testing.B) {
	const rows, cols, block = 20000, 100, 1000
	path := filepath.Join(b.TempDir(), "bench.h5")
	m, err := CreateMatrix(path, "X", cols)
	if err != nil {
		b.Fatal(err)
	}
	data := make([]float64, block*cols)
	for i := range data {
		data[i] = float64(i)
	}
	for range rows / block {
		if err := m.Append(data); err != nil {
			b.Fatal(err)
		}
	}
	if err := m.Close(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(rows * cols * 8)
	b.ReportAllocs()
	for b.Loop() {
		r, err := Open(path, "", block)
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := r.ReadRows(data); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
	}
}

// TestCorruptChunk damages one compressed chunk: the blocks before it read,
// the one that needs it fails with a *chunk.Error naming its first row.
func TestCorruptChunk(t *testing.T) {
	py := python(t)
	path := filepath.Join(t.TempDir(), "corrupt.h5")
	src, err := os.ReadFile(fixture("chunked.h5"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	// Chunk (2, 0) holds rows 14..20, columns 0..3.
	out, err := exec.Command(py, "-c", `
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    c = f["X"].id.get_chunk_info_by_coord((14, 0))
    print(c.byte_offset, c.size)
`, path).CombinedOutput()
	if err != nil {
		t.Fatalf("h5py: %v\n%s", err, out)
	}
	var off, size int
	if _, err := fmt.Sscan(string(out), &off, &size); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for i := off; i < off+size; i++ {
		src[i] = 0xff
	}
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	stderr := captureStderr(t, func() {
		r, err := Open(path, "", 7)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		dst := make([]float64, 7*6)
		for _, first := range []int64{0, 7} {
			if n, err := r.ReadRows(dst); n != 7 || err != nil {
				t.Fatalf("rows %d..: ReadRows = %d, %v", first, n, err)
			}
		}
		n, err := r.ReadRows(dst)
		t.Logf("error: %v", err)
		var ce *chunk.Error
		if n != 0 || !errors.As(err, &ce) || ce.Row != 14 || ce.File != path || !errors.Is(err, chunk.ErrFormat) ||
			!strings.Contains(err.Error(), "/X") || !strings.Contains(err.Error(), "H5Dread") {
			t.Errorf("ReadRows over the bad chunk = %d, %v", n, err)
		}
	})
	if stderr != "" {
		t.Errorf("libhdf5 wrote to stderr:\n%s", stderr)
	}
}
