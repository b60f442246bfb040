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
