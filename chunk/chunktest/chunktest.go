// Package chunktest is the conformance suite every chunk.Reader passes: raw,
// .npy, compressed streams and HDF5 datasets alike. A source's tests call Run
// with a function that opens the source afresh and the matrix it must yield.
package chunktest

import (
	"errors"
	"io"
	"testing"

	"github.com/spca/spca/chunk"
)

// Run checks that open() yields exactly want (rows x cols, row-major) for
// several block sizes — one row, a few rows, exactly n, more than n — that
// Info reports the shape (Rows may be -1 when wantRowsKnown is false), that
// the end is io.EOF and stays io.EOF, and that Close succeeds.
func Run(t *testing.T, open func() (chunk.Reader, error), want []float64, rows, cols int, wantRowsKnown bool) {
	t.Helper()
	if rows*cols != len(want) {
		t.Fatalf("chunktest: want has %d values, not %d x %d", len(want), rows, cols)
	}
	for _, block := range []int{1, 3, 7, rows, rows + 5} {
		if block < 1 {
			continue
		}
		r, err := open()
		if err != nil {
			t.Fatalf("block %d: open: %v", block, err)
		}
		info := r.Info()
		if info.Cols != cols {
			t.Errorf("block %d: Info().Cols = %d, want %d", block, info.Cols, cols)
		}
		if wantRowsKnown && info.Rows != int64(rows) {
			t.Errorf("block %d: Info().Rows = %d, want %d", block, info.Rows, rows)
		}
		if !wantRowsKnown && info.Rows != -1 && info.Rows != int64(rows) {
			t.Errorf("block %d: Info().Rows = %d, want -1 or %d", block, info.Rows, rows)
		}
		if info.Name == "" {
			t.Errorf("block %d: Info().Name is empty", block)
		}
		dst := make([]float64, block*cols)
		got := make([]float64, 0, len(want))
		for {
			for i := range dst {
				dst[i] = -12345 // poison: a reader must overwrite what it reports
			}
			n, err := r.ReadRows(dst)
			if n < 0 || n > block {
				t.Fatalf("block %d: ReadRows returned %d rows", block, n)
			}
			got = append(got, dst[:n*cols]...)
			if err == io.EOF {
				if n != 0 {
					t.Errorf("block %d: io.EOF returned with %d rows", block, n)
				}
				break
			}
			if err != nil {
				t.Fatalf("block %d: ReadRows: %v", block, err)
			}
			if n == 0 {
				t.Fatalf("block %d: ReadRows returned 0 rows and no error", block)
			}
			if len(got) > len(want) {
				t.Fatalf("block %d: read more than %d values", block, len(want))
			}
		}
		if len(got) != len(want) {
			t.Fatalf("block %d: read %d values, want %d", block, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("block %d: value %d (row %d col %d) = %v, want %v", block, i, i/cols, i%cols, got[i], want[i])
			}
		}
		if n, err := r.ReadRows(dst); n != 0 || !errors.Is(err, io.EOF) {
			t.Errorf("block %d: ReadRows after EOF = %d, %v; want 0, io.EOF", block, n, err)
		}
		if err := r.Close(); err != nil {
			t.Errorf("block %d: Close: %v", block, err)
		}
	}
	runRanges(t, open, want, rows, cols)
}

// runRanges checks chunk.Range over the source: every range yields exactly
// its rows (whether the source skips by seeking, by hyperslab or by
// decoding), reports FirstRow, and a range beyond the input is an *Error.
func runRanges(t *testing.T, open func() (chunk.Reader, error), want []float64, rows, cols int) {
	t.Helper()
	type span struct{ start, end int64 }
	n := int64(rows)
	spans := []span{{0, n}, {1, n}, {n / 3, 2 * n / 3}, {n - 1, n}, {n / 2, -1}, {0, 1}}
	beyond := []span{{n, -1}, {n + 3, n + 5}, {0, n + 1}}
	if rows > 1000 { // large inputs: fewer passes (each decodes up to the range)
		spans, beyond = []span{{n / 3, 2 * n / 3}, {n - 1, -1}}, []span{{0, n + 1}}
	}
	for _, sp := range spans {
		if sp.start < 0 || (sp.end >= 0 && sp.end <= sp.start) || sp.start >= n {
			continue
		}
		end := sp.end
		if end < 0 {
			end = n
		}
		r, err := open()
		if err != nil {
			t.Fatalf("range %d:%d: open: %v", sp.start, sp.end, err)
		}
		rr, err := chunk.Range(r, sp.start, sp.end)
		if err != nil {
			t.Fatalf("range %d:%d: %v", sp.start, sp.end, err)
		}
		if info := rr.Info(); info.FirstRow != sp.start || (info.Rows != -1 && info.Rows != end-sp.start) {
			t.Errorf("range %d:%d: Info() FirstRow %d Rows %d", sp.start, sp.end, info.FirstRow, info.Rows)
		}
		got := readAll(t, rr, cols, max(4, rows/16))
		w := want[sp.start*int64(cols) : end*int64(cols)]
		if len(got) != len(w) {
			t.Fatalf("range %d:%d: read %d values, want %d", sp.start, sp.end, len(got), len(w))
		}
		for i := range w {
			if got[i] != w[i] {
				t.Fatalf("range %d:%d: value %d = %v, want %v", sp.start, sp.end, i, got[i], w[i])
			}
		}
		if err := rr.Close(); err != nil {
			t.Errorf("range %d:%d: Close: %v", sp.start, sp.end, err)
		}
	}
	for _, sp := range beyond {
		r, err := open()
		if err != nil {
			t.Fatalf("range %d:%d: open: %v", sp.start, sp.end, err)
		}
		rr, err := chunk.Range(r, sp.start, sp.end)
		if err == nil {
			for err == nil {
				_, err = rr.ReadRows(make([]float64, 4*cols))
			}
			if err == io.EOF {
				err = nil
			}
		}
		if !chunk.IsInputError(err) {
			t.Errorf("range %d:%d beyond %d rows: err = %v, want a *chunk.Error", sp.start, sp.end, n, err)
		}
		r.Close()
	}
}

func readAll(t *testing.T, r chunk.Reader, cols, block int) []float64 {
	t.Helper()
	var got []float64
	dst := make([]float64, block*cols)
	for {
		n, err := r.ReadRows(dst)
		got = append(got, dst[:n*cols]...)
		if err == io.EOF {
			return got
		}
		if err != nil {
			t.Fatalf("ReadRows: %v", err)
		}
	}
}

// RunColumns checks that a ColumnReader yields exactly want (rows x cols,
// row-major) for several slab widths — one column, a few, all — read in
// order and out of order, and that Close succeeds.
func RunColumns(t *testing.T, open func() (chunk.ColumnReader, error), want []float64, rows, cols int) {
	t.Helper()
	for _, w := range []int{1, 2, 3, cols} {
		if w < 1 || w > cols {
			continue
		}
		r, err := open()
		if err != nil {
			t.Fatalf("width %d: open: %v", w, err)
		}
		if info := r.Info(); info.Cols != cols || info.Rows != int64(rows) {
			t.Errorf("width %d: Info() shape %d x %d, want %d x %d", w, info.Rows, info.Cols, rows, cols)
		}
		var starts []int
		for c0 := 0; c0 < cols; c0 += w {
			starts = append([]int{c0}, starts...) // backwards: random access, not a scan
		}
		dst := make([]float64, rows*w)
		for _, c0 := range starts {
			cw := min(w, cols-c0)
			if err := r.ReadCols(c0, cw, dst[:rows*cw]); err != nil {
				t.Fatalf("width %d: ReadCols(%d, %d): %v", w, c0, cw, err)
			}
			for i := 0; i < rows; i++ {
				for j := 0; j < cw; j++ {
					g, e := dst[i*cw+j], want[i*cols+c0+j]
					if g != e && !(g != g && e != e) {
						t.Fatalf("width %d: row %d column %d = %v, want %v", w, i, c0+j, g, e)
					}
				}
			}
		}
		if err := r.Close(); err != nil {
			t.Errorf("width %d: Close: %v", w, err)
		}
	}
}
