// Package stream owns the pipeline from a data source to a model and back:
// the prefetching reader goroutine and worker pool with a deterministic,
// block-ordered reduction (pipeline.go), the Gram pass, the solve into a
// Model (model.go), the scores/transform pass, and the atomic output files.
// It holds no flag parsing: cmd/spca drives it.
//
// Determinism: the block partition is fixed by the block size alone and
// every reduction is done in block order, so the same input gives a
// bit-identical model for any number of threads.
package stream

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/gram"
)

// Options control a pass over the data.
type Options struct {
	Threads   int                           // worker goroutines; 0 means GOMAXPROCS
	BlockRows int                           // rows per block; 0 picks DefaultBlockRows(p)
	Progress  func(pass string, rows int64) // called from the reader goroutine; may be nil
}

func (o Options) threads() int {
	if o.Threads > 0 {
		return o.Threads
	}
	return runtime.GOMAXPROCS(0)
}

func (o Options) blockRows(p int) int {
	if o.BlockRows > 0 {
		return o.BlockRows
	}
	return DefaultBlockRows(p)
}

// DefaultBlockRows is the block height for p columns: about 4 MiB of
// float64 per block, at least 256 rows so DSYRK runs near peak, at most 65536.
func DefaultBlockRows(p int) int {
	return min(max((4<<20)/(8*max(p, 1)), 256), 65536)
}

// FitOptions are the options of Fit.
type FitOptions struct {
	Options
	Selection
	Scale bool // correlation PCA: unit-variance columns
}

// Accumulate makes one pass over src and returns the Gram state.
// Memory: (threads+1) p×p float64 states plus (threads+2) blocks.
func Accumulate(ctx context.Context, src Source, opt Options) (*gram.State, chunk.Info, error) {
	r, err := src.Open(opt.blockRows(1))
	if err != nil {
		return nil, chunk.Info{}, err
	}
	defer r.Close()
	info := r.Info()
	p := info.Cols
	br := opt.blockRows(p)
	acc := gram.NewState(p, nil)
	var progress func(int64)
	if opt.Progress != nil {
		progress = func(rows int64) { opt.Progress("gram", rows) }
	}
	first := func(b *block) {
		shift := make([]float64, p)
		for i := 0; i < b.rows; i++ {
			for j, v := range b.data[i*p : i*p+p] {
				shift[j] += v
			}
		}
		for j := range shift {
			shift[j] /= float64(b.rows)
		}
		acc.Reset(p, shift)
	}
	newStage := func() stage { return &gramStage{acc: acc} }
	n, err := pipeline(ctx, r, br, opt.threads(), first, newStage, progress)
	if err != nil {
		return nil, info, err
	}
	if acc.N != n {
		return nil, info, fmt.Errorf("internal: accumulated %d rows of %d", acc.N, n)
	}
	if info.Rows >= 0 && n != info.Rows {
		return nil, info, chunk.Errorf(info.Name, "read %d rows, header says %d", n, info.Rows)
	}
	info.Rows = n
	return acc, info, nil
}

// gramStage computes one block's moments into its own state, then merges
// them into the shared accumulator in block order.
type gramStage struct {
	acc  *gram.State
	part *gram.State
}

func (g *gramStage) process(b *block) error {
	if g.part == nil {
		g.part = gram.NewState(g.acc.P, g.acc.Shift)
	}
	g.part.SetBlock(b.data, b.rows)
	return nil
}

func (g *gramStage) commit(b *block) error {
	g.acc.Merge(g.part)
	return nil
}

// Fit makes the Gram pass over src and solves for the model.
func Fit(ctx context.Context, src Source, opt FitOptions) (*Model, error) {
	start := time.Now()
	st, info, err := Accumulate(ctx, src, opt.Options)
	if err != nil {
		return nil, err
	}
	m, err := Solve(st, opt.Selection, opt.Scale)
	if err != nil {
		return nil, BadInput(info.Name, err)
	}
	m.Seconds = time.Since(start).Seconds()
	return m, nil
}

// BadInput marks data-dependent solve failures (k out of range, n < 2,
// zero variance) as bad input naming the file; numerical failures stay
// internal errors.
func BadInput(name string, err error) error {
	if isDataError(err) {
		return &chunk.Error{File: name, Row: -1, Err: err}
	}
	return err
}
