// Package stream owns the pipeline from a data source to a model and back:
// the prefetching reader goroutine and worker pool with a deterministic,
// block-ordered reduction (pipeline.go), the Gram pass, the dual (XXᵀ over
// column slabs, dual.go) and randomized (subspace iteration, randomized.go)
// routes and auto's choice among them (method.go), the solve into a Model
// (model.go), the scores/transform pass, and the atomic output files.
// It holds no flag parsing: cmd/spca drives it.
//
// Determinism: the block partition is fixed by the block size alone and
// every reduction is done in block order, so the same input gives a
// bit-identical model for any number of threads.
package stream

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/gram"
)

// Options control a pass over the data.
type Options struct {
	Threads   int            // worker goroutines; 0 means GOMAXPROCS
	BlockRows int            // rows per block; 0 picks DefaultBlockRows(p)
	Progress  func(Progress) // called from the reader goroutine after each block; may be nil
	MaxMemory int64          // bytes the Gram pass may plan for; 0 means physical RAM
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

// DefaultBlockRows is the block height for p columns: about 8 MiB of
// float64 per block, at least 256 rows so DSYRK runs near peak, at most 65536.
func DefaultBlockRows(p int) int {
	return min(max((8<<20)/(8*max(p, 1)), 256), 65536)
}

// FitOptions are the options of Fit.
type FitOptions struct {
	Options
	Selection
	Scale bool // correlation PCA: unit-variance columns
	// Accumulate, when set, replaces the gram route's pass (spca fit
	// --checkpoint runs it with checkpoints); it must return the state
	// Accumulate would.
	Accumulate func(ctx context.Context, src Source, opt Options) (*gram.State, chunk.Info, error)
}

// Accumulate makes one pass over src and returns the Gram state.
// Memory: (threads+1) p×p float64 states plus (threads+2) blocks.
func Accumulate(ctx context.Context, src Opener, opt Options) (*gram.State, chunk.Info, error) {
	r, err := src.Open(opt.blockRows(1))
	if err != nil {
		return nil, chunk.Info{}, err
	}
	defer r.Close()
	return AccumulateReader(ctx, r, opt)
}

// AccumulateReader is Accumulate over an open reader (any chunk.Reader),
// which it reads to the end but does not close.
func AccumulateReader(ctx context.Context, r chunk.Reader, opt Options) (*gram.State, chunk.Info, error) {
	info := r.Info()
	p := info.Cols
	br := opt.blockRows(p)
	if err := checkMemory(info, p, br, opt); err != nil {
		return nil, info, err
	}
	acc := gram.NewState(p, nil)
	progress := progressFunc(opt, "gram", info.Rows, rowBytes(info))
	// The shift is set once, from the first block, before any worker sees a
	// block; workers read this slice, never acc.Shift (which merges rewrite).
	var shift []float64
	first := func(b *block) {
		shift = pilotMean(b.data[:b.rows*p], p)
		acc.Reset(p, shift)
	}
	newStage := func() stage { return &gramStage{name: info.Name, acc: acc, shift: &shift} }
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

// rowBytes is the size of one input row on disk (before decompression).
func rowBytes(info chunk.Info) int64 {
	return int64(info.Cols) * int64(max(info.DType.Size(), 1))
}

// gramStage computes one block's moments into its own state, then merges
// them into the shared accumulator in block order.
type gramStage struct {
	name  string
	acc   *gram.State
	shift *[]float64
	part  *gram.State
}

func (g *gramStage) process(b *block) error {
	if g.part == nil {
		g.part = gram.NewState(g.acc.P, *g.shift)
	}
	g.part.SetBlock(b.data, b.rows)
	// A NaN or ±Inf anywhere makes its column sum non-finite: an O(p) check
	// per block instead of a scan of every value. The shifted block keeps
	// NaN and ±Inf where they were, so the scan finds the same row.
	for _, v := range g.part.Sum {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			if err := chunk.CheckFinite(g.name, b.start, g.acc.P, b.data[:b.rows*g.acc.P]); err != nil {
				return err
			}
			return chunk.Errorf(g.name, "%w: rows %d..%d overflow float64 (a column sum is %v)", chunk.ErrNotFinite, b.start, b.start+int64(b.rows)-1, v)
		}
	}
	return nil
}

func (g *gramStage) commit(b *block) error {
	g.acc.Merge(g.part)
	return nil
}

// Fit makes the Gram pass over src and solves for the model.
func Fit(ctx context.Context, src Source, opt FitOptions) (*Model, error) {
	r, err := src.Open(opt.blockRows(1))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return FitReader(ctx, r, opt)
}

// FitReader is Fit over an open reader, which it reads to the end but does
// not close.
func FitReader(ctx context.Context, r chunk.Reader, opt FitOptions) (*Model, error) {
	start := time.Now()
	st, info, err := AccumulateReader(ctx, r, opt.Options)
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

// GramBytes is the memory the Gram pass plans for: threads+2 p×p float64
// matrices (the running sum, one block Gram per worker, LAPACKE's copy at
// the solve) and threads+2 blocks of blockRows rows.
func GramBytes(p, blockRows, threads int) int64 {
	pp := int64(p) * int64(p) * 8
	return pp*int64(threads+2) + int64(threads+2)*int64(blockRows)*int64(p)*8
}

// checkMemory refuses, before allocating anything, a Gram pass that cannot
// fit: a very wide input (or a hostile header claiming one).
func checkMemory(info chunk.Info, p, blockRows int, opt Options) error {
	limit := opt.MaxMemory
	if limit <= 0 {
		limit = physicalMemory()
	}
	need := GramBytes(p, blockRows, opt.threads())
	if limit > 0 && (need > limit || need < 0 || p > 1<<26) {
		return chunk.Errorf(info.Name, "%w: %d features need %.3g GB for the Gram route with %d threads, more than the %.3g GB available (fewer --threads lowers it by %.3g GB each)",
			chunk.ErrShape, p, float64(need)/1e9, opt.threads(), float64(limit)/1e9, float64(int64(p)*int64(p)*8)/1e9)
	}
	return nil
}

// physicalMemory returns the machine's RAM in bytes from /proc/meminfo, or 0.
func physicalMemory() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err == nil {
				return kb * 1024
			}
		}
	}
	return 0
}

// pilotMean is the shift: the first block's column means over its finite
// values (a NaN or Inf there is reported by the worker with its row; it
// must not poison the shift of every other block). If the mean itself
// overflows, the shift is 0: correct, only less well conditioned.
func pilotMean(block []float64, p int) []float64 {
	shift := make([]float64, p)
	count := make([]float64, p)
	for i := 0; i < len(block); i += p {
		for j, v := range block[i : i+p] {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				shift[j] += v
				count[j]++
			}
		}
	}
	for j := range shift {
		if count[j] > 0 {
			shift[j] /= count[j]
		}
		if math.IsInf(shift[j], 0) || math.IsNaN(shift[j]) {
			shift[j] = 0
		}
	}
	return shift
}
