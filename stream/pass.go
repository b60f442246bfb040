package stream

import (
	"context"
	"runtime"

	"github.com/spca/spca/chunk"
)

// Opener opens a fresh reader over the same matrix for one pass. Source is
// one; an in-memory matrix (ica's whitened copy, a transposed input) is another.
type Opener interface {
	Open(blockRows int) (chunk.Reader, error)
}

// Block is one row block handed to a Stage: Rows rows of the reader's
// columns, row-major in Data, the first being row Start of the matrix.
type Block struct {
	Start int64
	Rows  int
	Data  []float64
}

// Stage is what an exported pass does with each block, the public face of
// the pipeline's stage: Process runs concurrently on the worker that owns
// the Stage (one Stage per worker, made by the newStage function of Pass)
// and may modify Data; Commit runs serially in block order, so reductions
// done there do not depend on the number of workers. Data is recycled after
// Commit returns.
type Stage interface {
	Process(b *Block) error
	Commit(b *Block) error
}

// Pass reads r once in blocks of exactly blockRows rows (the last may be
// shorter; blockRows ≤ 0 picks DefaultBlockRows) on threads workers
// (0: GOMAXPROCS) and returns the number of rows read. It is the same
// pipeline as the Gram pass: the block partition depends on blockRows
// alone and commits happen in block order, so a reduction in Commit is
// bit-identical for any thread count. Process must refuse non-finite
// values (chunk.CheckFinite). progress, when non-nil, is called from the
// reader goroutine after each block, with pass as the pass's name.
func Pass(ctx context.Context, r chunk.Reader, blockRows, threads int, newStage func() Stage, pass string, progress func(Progress)) (int64, error) {
	info := r.Info()
	if blockRows <= 0 {
		blockRows = DefaultBlockRows(info.Cols)
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	cols := info.Cols
	rows := progressFunc(Options{Progress: progress}, pass, info.Rows, rowBytes(info))
	return pipeline(ctx, r, blockRows, threads, nil, func() stage { return &stageAdapter{s: newStage(), cols: cols} }, rows)
}

type stageAdapter struct {
	s    Stage
	cols int
	b    Block
}

func (a *stageAdapter) process(b *block) error {
	a.b = Block{Start: b.start, Rows: b.rows, Data: b.data[:b.rows*a.cols]}
	return a.s.Process(&a.b)
}

func (a *stageAdapter) commit(b *block) error { return a.s.Commit(&a.b) }

// PhysicalMemory returns the machine's RAM in bytes (from /proc/meminfo),
// or 0 when it cannot be read; callers derive default budgets from it.
func PhysicalMemory() int64 { return physicalMemory() }
