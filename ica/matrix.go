package ica

import (
	"context"
	"fmt"
	"io"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/stream"
)

// Matrix is an in-memory row-major matrix that can be read like a file:
// it implements stream.Opener, so the whitened copy and a transposed input
// go through the same pipeline, block partition and ordered reduction as
// a file does.
type Matrix struct {
	Name       string // named in errors
	Rows, Cols int
	Data       []float64 // Rows×Cols, row-major
}

// Open returns a reader over the rows; blockRows is ignored.
func (m *Matrix) Open(blockRows int) (chunk.Reader, error) {
	if len(m.Data) != m.Rows*m.Cols {
		panic(fmt.Sprintf("ica: Matrix %s: %d values for %d x %d", m.Name, len(m.Data), m.Rows, m.Cols))
	}
	return &matrixReader{m: m}, nil
}

type matrixReader struct {
	m   *Matrix
	pos int
}

func (r *matrixReader) Info() chunk.Info {
	return chunk.Info{Name: r.m.Name, Format: "memory", Rows: int64(r.m.Rows), Cols: r.m.Cols, DType: chunk.Float64}
}

func (r *matrixReader) ReadRows(dst []float64) (int, error) {
	c := r.m.Cols
	if len(dst) == 0 || len(dst)%c != 0 {
		panic(fmt.Sprintf("ica: ReadRows: len(dst) = %d is not a positive multiple of %d columns", len(dst), c))
	}
	if r.pos >= r.m.Rows {
		return 0, io.EOF
	}
	n := min(len(dst)/c, r.m.Rows-r.pos)
	copy(dst, r.m.Data[r.pos*c:(r.pos+n)*c])
	r.pos += n
	return n, nil
}

func (r *matrixReader) Close() error { return nil }

// LoadTransposed reads the whole of src and returns its transpose (p × n):
// columns become samples, for ICA of image sets where each subject image is
// a mixture of source images. Every row is checked for NaN and Inf (named
// by the row and column of the file). The input and its transpose are both
// held, 2·n·p·8 bytes, which must fit budget (bytes; ≤ 0 means no limit);
// otherwise the error says how much is needed. A compressed stream of
// unknown length is read until it ends or exceeds the budget.
func LoadTransposed(ctx context.Context, src stream.Opener, budget int64) (*Matrix, error) {
	r, err := src.Open(0)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	info := r.Info()
	p := info.Cols
	tooBig := func(n int64) error {
		return chunk.Errorf(info.Name, "%w: --transpose holds the input and its transpose in memory, %d x %d values need %.3g GB, more than the --memory budget of %.3g GB",
			chunk.ErrShape, n, p, float64(2*n*int64(p)*8)/1e9, float64(budget)/1e9)
	}
	if budget > 0 && info.Rows >= 0 && 2*info.Rows*int64(p)*8 > budget {
		return nil, tooBig(info.Rows)
	}
	var x []float64
	if info.Rows >= 0 {
		x = make([]float64, 0, info.Rows*int64(p))
	}
	buf := make([]float64, max(1, (1<<20)/p)*p)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m, err := r.ReadRows(buf)
		if m > 0 {
			if err := chunk.CheckFinite(info.Name, n, p, buf[:m*p]); err != nil {
				return nil, err
			}
			n += int64(m)
			if budget > 0 && 2*n*int64(p)*8 > budget {
				return nil, tooBig(n)
			}
			if need := len(x) + m*p; need > cap(x) {
				// Grow by doubling, but never past half the budget (the
				// transpose takes the other half), so a stream of unknown
				// length stays within it too.
				c := max(2*cap(x), need)
				if budget > 0 {
					c = min(c, max(int(budget/16), need))
				}
				x = append(make([]float64, 0, c), x...)
			}
			x = append(x, buf[:m*p]...)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if info.Rows >= 0 && n != info.Rows {
		return nil, chunk.Errorf(info.Name, "read %d rows, header says %d", n, info.Rows)
	}
	t := make([]float64, len(x))
	rows := int(n)
	// Tiles keep both the reads and the writes within cache.
	const tile = 64
	for i0 := 0; i0 < rows; i0 += tile {
		for j0 := 0; j0 < p; j0 += tile {
			for i := i0; i < min(i0+tile, rows); i++ {
				for j := j0; j < min(j0+tile, p); j++ {
					t[j*rows+i] = x[i*p+j]
				}
			}
		}
	}
	return &Matrix{Name: info.Name + " (transposed)", Rows: p, Cols: rows, Data: t}, nil
}
