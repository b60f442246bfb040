package stream

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spca/spca/chunk"
)

// writeRaw writes rows×cols float64 values as raw little-endian binary.
func writeRaw(t *testing.T, vals []float64) string {
	t.Helper()
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, vals)
	path := filepath.Join(t.TempDir(), "x.f64")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestNonFiniteNamesRow: a NaN or Inf deep in the file is reported with its
// row and column, whatever the block size and thread count.
func TestNonFiniteNamesRow(t *testing.T) {
	const rows, cols = 100, 3
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		vals := make([]float64, rows*cols)
		for i := range vals {
			vals[i] = float64(i % 11)
		}
		vals[73*cols+2] = bad
		path := writeRaw(t, vals)
		for _, br := range []int{1, 8, 200} {
			for _, threads := range []int{1, 3} {
				_, err := Fit(context.Background(), Source{Path: path, Cols: cols, DType: chunk.Float64},
					FitOptions{Options: Options{Threads: threads, BlockRows: br}, Selection: Selection{K: 2}})
				if !errors.Is(err, chunk.ErrNotFinite) || !strings.Contains(err.Error(), "row 73") ||
					!strings.Contains(err.Error(), "column 2") || !strings.Contains(err.Error(), "x.f64") {
					t.Errorf("%v block %d threads %d: error %v", bad, br, threads, err)
				}
			}
		}
	}
}

// TestCancelStopsPromptly: a cancelled context ends the pass with its error.
func TestCancelStopsPromptly(t *testing.T) {
	vals := make([]float64, 5000*4)
	for i := range vals {
		vals[i] = float64(i % 13)
	}
	path := writeRaw(t, vals)
	ctx, cancel := context.WithCancel(context.Background())
	rows := 0
	_, _, err := Accumulate(ctx, Source{Path: path, Cols: 4, DType: chunk.Float64},
		Options{Threads: 2, BlockRows: 10, Progress: func(pr Progress) {
			r := pr.Rows
			rows = int(r)
			if r >= 100 {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if rows >= 5000 {
		t.Errorf("read all %d rows despite cancellation", rows)
	}
}

// TestMemoryGuard: a Gram pass that cannot fit is refused before it allocates.
func TestMemoryGuard(t *testing.T) {
	path := writeRaw(t, make([]float64, 40*20))
	_, _, err := Accumulate(context.Background(), Source{Path: path, Cols: 20, DType: chunk.Float64},
		Options{Threads: 2, MaxMemory: 1000})
	if !chunk.IsInputError(err) || !strings.Contains(err.Error(), "20 features") {
		t.Fatalf("error %v", err)
	}
}

// TestTooFewRows: zero rows and one row are refused as bad input.
func TestTooFewRows(t *testing.T) {
	for _, rows := range []int{0, 1} {
		path := writeRaw(t, make([]float64, rows*3))
		_, err := Fit(context.Background(), Source{Path: path, Cols: 3, DType: chunk.Float64}, FitOptions{Selection: Selection{K: 1}})
		if !chunk.IsInputError(err) {
			t.Errorf("%d rows: error %v, want bad input", rows, err)
		}
	}
}
