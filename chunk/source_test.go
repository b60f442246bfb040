package chunk_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/chunk/chunktest"
)

var allDTypes = []chunk.DType{chunk.Float32, chunk.Float64, chunk.Int8, chunk.Int16, chunk.Int32, chunk.Int64,
	chunk.Uint8, chunk.Uint16, chunk.Uint32, chunk.Uint64}

var compressions = []string{"", "zstd", "gzip", "s2", "snappy"}

// extremes are values each dtype holds exactly, its limits included (for
// 64-bit integers, limits that float64 also holds exactly).
func extremes(d chunk.DType) []float64 {
	switch d {
	case chunk.Float32:
		return []float64{0, -1.5, math.MaxFloat32, -math.SmallestNonzeroFloat32, float64(float32(0.1))}
	case chunk.Float64:
		return []float64{0, -1.5, math.MaxFloat64, math.SmallestNonzeroFloat64, 0.1}
	case chunk.Int8:
		return []float64{0, -1, math.MinInt8, math.MaxInt8}
	case chunk.Int16:
		return []float64{0, -1, math.MinInt16, math.MaxInt16}
	case chunk.Int32:
		return []float64{0, -1, math.MinInt32, math.MaxInt32}
	case chunk.Int64:
		return []float64{0, -1, math.MinInt64, 1 << 53}
	case chunk.Uint8:
		return []float64{0, 1, math.MaxUint8}
	case chunk.Uint16:
		return []float64{0, 1, math.MaxUint16}
	case chunk.Uint32:
		return []float64{0, 1, math.MaxUint32}
	case chunk.Uint64:
		return []float64{0, 1, 1 << 63}
	}
	panic(d)
}

// matrix returns rows x cols values of dtype d: its extremes, then a pattern
// of small values (negative ones for signed types).
func matrix(d chunk.DType, rows, cols int) []float64 {
	ext := extremes(d)
	v := make([]float64, rows*cols)
	for k := range v {
		switch {
		case k < len(ext):
			v[k] = ext[k]
		case d == chunk.Float32 || d == chunk.Float64:
			v[k] = float64(float32(math.Sin(float64(k)) * 1000))
		case ext[2] < 0: // signed
			v[k] = float64(k*37%101 - 50)
		default:
			v[k] = float64(k * 37 % 101)
		}
	}
	return v
}

// encode writes v as little-endian (or big-endian) elements of d.
func encode(d chunk.DType, v []float64, order binary.AppendByteOrder) []byte {
	b := make([]byte, 0, len(v)*d.Size())
	for _, x := range v {
		switch d {
		case chunk.Float32:
			b = order.AppendUint32(b, math.Float32bits(float32(x)))
		case chunk.Float64:
			b = order.AppendUint64(b, math.Float64bits(x))
		case chunk.Int8:
			b = append(b, byte(int8(x)))
		case chunk.Int16:
			b = order.AppendUint16(b, uint16(int16(x)))
		case chunk.Int32:
			b = order.AppendUint32(b, uint32(int32(x)))
		case chunk.Int64:
			b = order.AppendUint64(b, uint64(int64(x)))
		case chunk.Uint8:
			b = append(b, byte(x))
		case chunk.Uint16:
			b = order.AppendUint16(b, uint16(x))
		case chunk.Uint32:
			b = order.AppendUint32(b, uint32(x))
		case chunk.Uint64:
			b = order.AppendUint64(b, uint64(x))
		}
	}
	return b
}

var npyKinds = map[chunk.DType]string{chunk.Float32: "f4", chunk.Float64: "f8", chunk.Int8: "i1", chunk.Int16: "i2",
	chunk.Int32: "i4", chunk.Int64: "i8", chunk.Uint8: "u1", chunk.Uint16: "u2", chunk.Uint32: "u4", chunk.Uint64: "u8"}

// npyHeader builds a version 1.0 .npy header around dict, padded as NumPy pads it.
func npyHeader(dict string) []byte {
	n := 10 + len(dict) + 1
	pad := (64 - n%64) % 64
	dict += strings.Repeat(" ", pad) + "\n"
	h := append([]byte("\x93NUMPY\x01\x00"), 0, 0)
	binary.LittleEndian.PutUint16(h[8:], uint16(len(dict)))
	return append(h, dict...)
}

func npyFile(d chunk.DType, v []float64, rows, cols int) []byte {
	order := "<"
	if d.Size() == 1 {
		order = "|"
	}
	h := npyHeader(fmt.Sprintf("{'descr': '%s%s', 'fortran_order': False, 'shape': (%d, %d), }", order, npyKinds[d], rows, cols))
	return append(h, encode(d, v, binary.LittleEndian)...)
}

func compress(t testing.TB, kind string, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	var err error
	switch kind {
	case "":
		return b
	case "zstd":
		w, err = zstd.NewWriter(&buf)
	case "gzip":
		w = gzip.NewWriter(&buf)
	case "s2":
		w = s2.NewWriter(&buf)
	case "snappy":
		w = s2.NewWriter(&buf, s2.WriterSnappyCompat())
	default:
		t.Fatalf("compression %q", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestConformance runs every dtype × {raw, npy} × compression through the
// conformance suite, from a file and from a stream.
func TestConformance(t *testing.T) {
	const rows, cols = 23, 3
	for _, d := range allDTypes {
		want := matrix(d, rows, cols)
		for _, format := range []string{"raw", "npy"} {
			plain := encode(d, want, binary.LittleEndian)
			opt := chunk.Options{Cols: cols, DType: d}
			if format == "npy" {
				plain, opt = npyFile(d, want, rows, cols), chunk.Options{}
			}
			for _, comp := range compressions {
				data := compress(t, comp, plain)
				rowsKnown := format == "npy" || comp == ""
				name := fmt.Sprintf("%v-%s-%s", d, format, comp)
				t.Run(name, func(t *testing.T) {
					path := writeFile(t, "m."+format, data)
					open := func() (chunk.Reader, error) { return chunk.Open(path, opt) }
					chunktest.Run(t, open, want, rows, cols, rowsKnown)
					r, err := open()
					if err != nil {
						t.Fatal(err)
					}
					defer r.Close()
					info := r.Info()
					if info.Name != path || info.Format != format || info.Compression != comp || info.DType != d {
						t.Errorf("Info() = %+v, want name %s format %s compression %q dtype %v", info, path, format, comp, d)
					}
					gotComp, gotFormat, err := chunk.Sniff(path)
					if err != nil || gotComp != comp || gotFormat != format {
						t.Errorf("Sniff = %q, %q, %v; want %q, %q", gotComp, gotFormat, err, comp, format)
					}
				})
				t.Run(name+"-stream", func(t *testing.T) {
					open := func() (chunk.Reader, error) {
						return chunk.OpenStream("stdin", iotest.OneByteReader(bytes.NewReader(data)), opt)
					}
					chunktest.Run(t, open, want, rows, cols, format == "npy")
				})
			}
		}
	}
}

// TestLargeStreams crosses block and buffer boundaries of every
// decompressor, with the zstd decoder running ahead in goroutines.
func TestLargeStreams(t *testing.T) {
	const rows, cols = 20011, 13
	want := matrix(chunk.Float64, rows, cols)
	plain := encode(chunk.Float64, want, binary.LittleEndian)
	for _, comp := range compressions {
		t.Run("c="+comp, func(t *testing.T) {
			path := writeFile(t, "big.f64", compress(t, comp, plain))
			open := func() (chunk.Reader, error) { return chunk.Open(path, chunk.Options{Cols: cols, DType: chunk.Float64}) }
			chunktest.Run(t, open, want, rows, cols, comp == "")
		})
	}
}

// TestPipe reads through an io.Pipe fed in uneven pieces, as standard input is.
func TestPipe(t *testing.T) {
	const rows, cols = 1000, 7
	want := matrix(chunk.Int16, rows, cols)
	for _, comp := range compressions {
		data := compress(t, comp, npyFile(chunk.Int16, want, rows, cols))
		t.Run("c="+comp, func(t *testing.T) {
			open := func() (chunk.Reader, error) {
				pr, pw := io.Pipe()
				go func() {
					for b := data; len(b) > 0; {
						n := min(len(b), 1+len(b)%997)
						if _, err := pw.Write(b[:n]); err != nil {
							return
						}
						b = b[n:]
					}
					pw.Close()
				}()
				return chunk.OpenStream("-", pr, chunk.Options{})
			}
			chunktest.Run(t, open, want, rows, cols, true)
		})
	}
}

// TestBigEndianNpy checks the byte swap for every multi-byte dtype.
func TestBigEndianNpy(t *testing.T) {
	const rows, cols = 9, 4
	for _, d := range allDTypes {
		want := matrix(d, rows, cols)
		order := ">"
		if d.Size() == 1 {
			order = "|"
		}
		h := npyHeader(fmt.Sprintf("{'descr': '%s%s', 'fortran_order': False, 'shape': (%d, %d), }", order, npyKinds[d], rows, cols))
		path := writeFile(t, "be.npy", append(h, encode(d, want, binary.BigEndian)...))
		chunktest.Run(t, func() (chunk.Reader, error) { return chunk.Open(path, chunk.Options{}) }, want, rows, cols, true)
	}
}

// checkErr asserts err is an *Error naming file, wrapping each of targets,
// and mentioning each of words.
func checkErr(t *testing.T, err error, file string, targets []error, words ...string) *chunk.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want %v", targets)
	}
	var ce *chunk.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %q (%T) is not a *chunk.Error", err, err)
	}
	if ce.File != file || !strings.Contains(err.Error(), file) {
		t.Errorf("error %q does not name %s", err, file)
	}
	for _, target := range targets {
		if !errors.Is(err, target) {
			t.Errorf("error %q does not wrap %v", err, target)
		}
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
	return ce
}

// readAll reads r to the end in blocks of 4 rows and returns the error that ended it.
func readAll(r chunk.Reader) (rows int64, err error) {
	dst := make([]float64, 4*r.Info().Cols)
	for {
		n, err := r.ReadRows(dst)
		rows += int64(n)
		if err != nil {
			return rows, err
		}
	}
}

func TestRawErrors(t *testing.T) {
	const rows, cols = 10, 3
	plain := encode(chunk.Float32, matrix(chunk.Float32, rows, cols), binary.LittleEndian)
	opt := chunk.Options{Cols: cols, DType: chunk.Float32}

	t.Run("truncated", func(t *testing.T) {
		path := writeFile(t, "short.f32", plain[:len(plain)-2])
		_, err := chunk.Open(path, opt)
		checkErr(t, err, path, []error{chunk.ErrShape}, "118 bytes is not a whole number of rows of 3 float32 values")
	})
	t.Run("wrong-cols", func(t *testing.T) {
		path := writeFile(t, "x.f32", plain)
		_, err := chunk.Open(path, chunk.Options{Cols: 7, DType: chunk.Float32})
		checkErr(t, err, path, []error{chunk.ErrShape}, "not a whole number of rows of 7 float32")
	})
	t.Run("no-cols-or-dtype", func(t *testing.T) {
		path := writeFile(t, "x.bin", plain)
		for _, o := range []chunk.Options{{}, {Cols: 3}, {DType: chunk.Float32}} {
			_, err := chunk.Open(path, o)
			checkErr(t, err, path, []error{chunk.ErrFormat}, "raw input needs --cols and --dtype")
		}
		_, err := chunk.OpenStream("-", bytes.NewReader(plain), chunk.Options{})
		checkErr(t, err, "-", []error{chunk.ErrFormat}, "raw input needs --cols and --dtype")
	})
	t.Run("negative-cols", func(t *testing.T) {
		path := writeFile(t, "x.bin", plain)
		_, err := chunk.Open(path, chunk.Options{Cols: -3, DType: chunk.Float32})
		checkErr(t, err, path, []error{chunk.ErrShape})
	})
	t.Run("empty", func(t *testing.T) {
		path := writeFile(t, "empty.bin", nil)
		_, err := chunk.Open(path, opt)
		checkErr(t, err, path, []error{chunk.ErrShape}, "empty")
	})
	t.Run("missing", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nope.bin")
		_, err := chunk.Open(path, opt)
		checkErr(t, err, path, []error{fs.ErrNotExist})
	})
	t.Run("directory", func(t *testing.T) {
		dir := t.TempDir()
		_, err := chunk.Open(dir, opt)
		checkErr(t, err, dir, nil, "directory")
	})
	for _, comp := range compressions[1:] {
		t.Run("truncated-row-"+comp, func(t *testing.T) {
			path := writeFile(t, "short.f32."+comp, compress(t, comp, plain[:len(plain)-2]))
			r, err := chunk.Open(path, opt)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			n, err := readAll(r)
			ce := checkErr(t, err, path, []error{io.ErrUnexpectedEOF}, "row 9")
			if ce.Row != 9 || n != 8 {
				t.Errorf("row %d after %d rows read; want row 9 after 8 (whole blocks only)", ce.Row, n)
			}
			if n, err2 := r.ReadRows(make([]float64, cols)); n != 0 || err2 != err {
				t.Errorf("ReadRows after error = %d, %v; want the same error", n, err2)
			}
		})
		t.Run("cut-stream-"+comp, func(t *testing.T) {
			z := compress(t, comp, plain)
			path := writeFile(t, "cut."+comp, z[:len(z)*2/3])
			r, err := chunk.Open(path, opt)
			if err == nil {
				defer r.Close()
				_, err = readAll(r)
			}
			checkErr(t, err, path, []error{chunk.ErrFormat}, comp+": ")
		})
	}
}

func TestCorruptFrames(t *testing.T) {
	const rows, cols = 2000, 16
	plain := encode(chunk.Float64, matrix(chunk.Float64, rows, cols), binary.LittleEndian)
	opt := chunk.Options{Cols: cols, DType: chunk.Float64}
	for _, comp := range compressions[1:] {
		z := compress(t, comp, plain)
		for _, at := range []int{len(z) / 3, len(z) / 2, len(z) - 6} {
			t.Run(fmt.Sprintf("%s-at-%d", comp, at), func(t *testing.T) {
				bad := bytes.Clone(z)
				for i := at; i < at+4; i++ {
					bad[i] ^= 0x5a
				}
				path := writeFile(t, "data.bin."+comp, bad)
				r, err := chunk.Open(path, opt)
				if err == nil {
					defer r.Close()
					_, err = readAll(r)
				}
				checkErr(t, err, path, []error{chunk.ErrFormat}, path+": ", comp+": ")
			})
		}
	}
	t.Run("gzip-header", func(t *testing.T) {
		path := writeFile(t, "bad.gz", []byte("\x1f\x8bgarbage that is no gzip header at all"))
		_, err := chunk.Open(path, opt)
		checkErr(t, err, path, []error{chunk.ErrFormat}, "gzip: ")
		_, _, err = chunk.Sniff(path)
		checkErr(t, err, path, []error{chunk.ErrFormat}, "gzip: ")
	})
}

func TestNpyErrors(t *testing.T) {
	const rows, cols = 6, 4
	want := matrix(chunk.Float32, rows, cols)
	good := npyFile(chunk.Float32, want, rows, cols)
	header := len(good) - rows*cols*4

	t.Run("truncated", func(t *testing.T) {
		path := writeFile(t, "short.npy", good[:len(good)-5])
		_, err := chunk.Open(path, chunk.Options{})
		checkErr(t, err, path, []error{io.ErrUnexpectedEOF}, "truncated")
	})
	t.Run("too-long", func(t *testing.T) {
		path := writeFile(t, "long.npy", append(bytes.Clone(good), 0, 0, 0, 0))
		_, err := chunk.Open(path, chunk.Options{})
		checkErr(t, err, path, []error{chunk.ErrFormat}, "4 bytes after the data")
	})
	t.Run("truncated-header", func(t *testing.T) {
		path := writeFile(t, "hdr.npy", good[:header-9])
		_, err := chunk.Open(path, chunk.Options{})
		checkErr(t, err, path, []error{chunk.ErrFormat, io.ErrUnexpectedEOF}, "truncated npy header")
	})
	for _, comp := range compressions {
		t.Run("truncated-stream-"+comp, func(t *testing.T) {
			data := compress(t, comp, good[:len(good)-4*cols-1])
			r, err := chunk.OpenStream("short.npy", bytes.NewReader(data), chunk.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			_, err = readAll(r)
			ce := checkErr(t, err, "short.npy", []error{io.ErrUnexpectedEOF}, "ends after 4 of the 6 rows")
			if ce.Row != 4 {
				t.Errorf("row %d, want 4", ce.Row)
			}
		})
		t.Run("trailing-stream-"+comp, func(t *testing.T) {
			data := compress(t, comp, append(bytes.Clone(good), 1))
			r, err := chunk.OpenStream("long.npy", bytes.NewReader(data), chunk.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			n, err := readAll(r)
			checkErr(t, err, "long.npy", []error{chunk.ErrFormat}, "trailing data")
			if n != rows {
				t.Errorf("read %d rows before the error, want %d", n, rows)
			}
		})
	}
	t.Run("dtype-mismatch", func(t *testing.T) {
		path := writeFile(t, "m.npy", good)
		_, err := chunk.Open(path, chunk.Options{DType: chunk.Float64})
		checkErr(t, err, path, []error{chunk.ErrDType}, "float64", "float32")
		_, err = chunk.Open(path, chunk.Options{Cols: 5})
		checkErr(t, err, path, []error{chunk.ErrShape}, "--cols 5")
		r, err := chunk.Open(path, chunk.Options{Cols: cols, DType: chunk.Float32})
		if err != nil {
			t.Fatalf("matching --cols and --dtype: %v", err)
		}
		r.Close()
	})

	bad := []struct {
		name  string
		data  []byte
		err   error
		words []string
	}{
		{"garbage", npyHeader("this is not a dict"), chunk.ErrFormat, []string{"bad .npy header"}},
		{"unterminated", npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2"), chunk.ErrFormat, nil},
		{"missing-key", npyHeader("{'descr': '<f4', 'shape': (2, 2), }"), chunk.ErrFormat, []string{"fortran_order"}},
		{"extra-key", npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'x': 1}"), chunk.ErrFormat, nil},
		{"duplicate-key", npyHeader("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 2)}"), chunk.ErrFormat, []string{"duplicate"}},
		{"huge-header-v1", []byte("\x93NUMPY\x01\x00\xff\xff{"), chunk.ErrFormat, []string{"truncated"}},
		{"huge-header-v2", []byte("\x93NUMPY\x02\x00\xff\xff\xff\xff{"), chunk.ErrFormat, []string{"limit"}},
		{"version-9", []byte("\x93NUMPY\x09\x00\x10\x00{}"), chunk.ErrFormat, []string{"version 9.0"}},
		{"3-D", npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2), }"), chunk.ErrShape, []string{"(2, 2, 2)", "3-D"}},
		{"1-D", npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }"), chunk.ErrShape, []string{"(4,)"}},
		{"0-D", npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (), }"), chunk.ErrShape, nil},
		{"zero-rows", npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }"), chunk.ErrShape, []string{"empty"}},
		{"zero-cols", npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 0), }"), chunk.ErrShape, nil},
		{"overflow", npyHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (9223372036854775807, 2), }"), chunk.ErrShape, []string{"too large"}},
		{"fortran", npyHeader("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }"), chunk.ErrFormat,
			[]string{"Fortran-order .npy is not supported; save with np.ascontiguousarray"}},
		{"float16", npyHeader("{'descr': '<f2', 'fortran_order': False, 'shape': (2, 2), }"), chunk.ErrDType, []string{"'<f2'"}},
		{"bool", npyHeader("{'descr': '|b1', 'fortran_order': False, 'shape': (2, 2), }"), chunk.ErrDType, nil},
		{"bad-order", npyHeader("{'descr': '|f4', 'fortran_order': False, 'shape': (2, 2), }"), chunk.ErrDType, []string{"byte order"}},
		{"structured", npyHeader("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2, 2), }"), chunk.ErrDType, []string{"structured"}},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, c.name+".npy", c.data)
			_, err := chunk.Open(path, chunk.Options{})
			checkErr(t, err, path, []error{c.err}, c.words...)
			_, err = chunk.OpenStream("z.npy", bytes.NewReader(compress(t, "zstd", c.data)), chunk.Options{})
			checkErr(t, err, "z.npy", []error{c.err}, c.words...)
		})
	}
}

// TestHeaderVariants accepts what NumPy and other writers emit.
func TestHeaderVariants(t *testing.T) {
	want := []float64{1, 2, 3, 4, 5, 6}
	le := encode(chunk.Int8, want, binary.LittleEndian)
	for _, dict := range []string{
		"{'descr': '|i1', 'fortran_order': False, 'shape': (3, 2), }",
		"{'descr': '<i1', 'fortran_order': False, 'shape': (3, 2)}",
		"{'descr': '=i1', 'fortran_order': False, 'shape': (3, 2)}",
		`{"shape": (3,2), "fortran_order": False, "descr": "|i1"}`,
		"{'descr':'|i1','fortran_order':False,'shape':(3L, 2L),}",
		" {\t'descr' : '|i1' ,\n 'fortran_order' : False , 'shape' : ( 3 , 2 , ) } ",
	} {
		path := writeFile(t, "v.npy", append(npyHeader(dict), le...))
		chunktest.Run(t, func() (chunk.Reader, error) { return chunk.Open(path, chunk.Options{}) }, want, 3, 2, true)
	}
}

func TestSniffStdin(t *testing.T) {
	_, _, err := chunk.Sniff("-")
	checkErr(t, err, "-", []error{chunk.ErrNoSeek})
}

func TestReadRowsPanicsOnBadDst(t *testing.T) {
	r, err := chunk.OpenStream("x", bytes.NewReader(make([]byte, 24)), chunk.Options{Cols: 3, DType: chunk.Float64})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, n := range []int{0, 4} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("ReadRows with len(dst) = %d did not panic", n)
				}
			}()
			r.ReadRows(make([]float64, n))
		}()
	}
}

// TestReadRowsAllocs: after warm-up ReadRows allocates nothing.
func TestReadRowsAllocs(t *testing.T) {
	const rows, cols = 4096, 32
	plain := encode(chunk.Float32, matrix(chunk.Float32, rows, cols), binary.LittleEndian)
	for _, comp := range []string{"", "zstd", "s2"} {
		path := writeFile(t, "a.f32", compress(t, comp, plain))
		r, err := chunk.Open(path, chunk.Options{Cols: cols, DType: chunk.Float32})
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]float64, 16*cols)
		if _, err := r.ReadRows(dst); err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := r.ReadRows(dst); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("compression %q: %v allocations per ReadRows", comp, allocs)
		}
		r.Close()
	}
}
