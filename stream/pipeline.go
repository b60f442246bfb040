package stream

import (
	"context"
	"io"
	"runtime"
	"sync"

	"github.com/spca/spca/chunk"
)

// block is one row block in flight: rows×cols values starting at row start.
type block struct {
	seq   int64
	start int64
	rows  int
	data  []float64
}

// stage is what a pass does with each block. process runs concurrently on
// the worker that owns the stage and must refuse non-finite values (with
// chunk.CheckFinite, or something cheaper that finds the same row); commit
// runs serially, in block order, so that reductions, outputs and the error
// reported (the first bad block's) do not depend on the number of workers.
type stage interface {
	process(b *block) error
	commit(b *block) error
}

// pipeline reads r in blocks of exactly blockRows rows (the last may be
// shorter; a range starting at FirstRow aligns its blocks with those of the
// whole file) and feeds them to threads workers
// made by newStage. The block partition depends only on blockRows, never on
// threads. first, when non-nil, sees the first block before any worker does
// (the Gram pass takes its shift from it). Reading, and the decompression
// behind it, runs in its own goroutine, concurrently with the workers;
// threads+2 block buffers are recycled, so memory is bounded by
// (threads+2)·blockRows·cols·8 bytes plus what the stages hold.
func pipeline(ctx context.Context, r chunk.Reader, blockRows, threads int, first func(b *block), newStage func() stage, progress func(rows int64, done bool)) (rows int64, err error) {
	cols := r.Info().Cols
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	nbuf := threads + 2
	free := make(chan []float64, nbuf)
	for i := 0; i < nbuf; i++ {
		free <- make([]float64, blockRows*cols)
	}
	jobs := make(chan *block, threads)

	var (
		mu       sync.Mutex
		firstErr error
	)
	fail := func(e error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = e
		}
		mu.Unlock()
		cancel()
	}

	// Reader goroutine.
	var total int64
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		defer close(jobs)
		// Blocks carry rows of the file (a row range starts at FirstRow),
		// so that errors name the row a user can find.
		base := r.Info().FirstRow
		var seq, start int64
		for {
			var buf []float64
			select {
			case buf = <-free:
			case <-ctx.Done():
				return
			}
			// A range that starts inside a block of the whole file first reads
			// up to that block's end, so that every later block covers the
			// same rows as in a pass over the whole file (and gives the same
			// bits: BLAS kernels may round a row differently at another
			// position in its block).
			fill := buf
			if off := int((base + start) % int64(blockRows)); off != 0 {
				fill = buf[:(blockRows-off)*cols]
			}
			n, err := ReadFull(r, fill)
			if n > 0 {
				b := &block{seq: seq, start: base + start, rows: n, data: buf}
				if seq == 0 && first != nil {
					first(b)
				}
				seq++
				start += int64(n)
				select {
				case jobs <- b:
				case <-ctx.Done():
					return
				}
				if progress != nil && err != io.EOF {
					progress(start, false)
				}
			}
			if err == io.EOF {
				total = start
				if progress != nil {
					progress(start, true)
				}
				return
			}
			if err != nil {
				fail(err)
				return
			}
		}
	}()

	// Workers; commits are serialised in block order by a turn counter.
	var (
		turnMu sync.Mutex
		turn   = sync.NewCond(&turnMu)
		next   int64
	)
	var wg sync.WaitGroup
	for w := 0; w < threads; w++ {
		st := newStage()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range jobs {
				if ctx.Err() != nil {
					continue // drain
				}
				err := st.process(b)
				turnMu.Lock()
				for next != b.seq && ctx.Err() == nil {
					turn.Wait()
				}
				if err == nil && ctx.Err() == nil {
					err = st.commit(b)
				}
				next++
				turn.Broadcast()
				turnMu.Unlock()
				free <- b.data
				if err != nil {
					fail(err)
				}
			}
		}()
	}
	// Wake waiters when cancelled so that they do not wait for a turn that never comes.
	stop := context.AfterFunc(ctx, func() {
		turnMu.Lock()
		turn.Broadcast()
		turnMu.Unlock()
	})
	defer stop()
	wg.Wait()
	<-readDone
	if firstErr != nil {
		return 0, firstErr
	}
	if err := ctx.Err(); err != nil { // the caller's context was cancelled
		return 0, err
	}
	return total, nil
}

// ReadFull reads whole rows into buf until it is full or r ends (io.EOF),
// and returns the rows read, so that a block partition is fixed by the
// buffer size alone. A reader that returns no rows and no error gives
// io.ErrNoProgress.
func ReadFull(r chunk.Reader, buf []float64) (int, error) {
	cols := r.Info().Cols
	n := 0
	for n*cols < len(buf) {
		m, err := r.ReadRows(buf[n*cols:])
		n += m
		if err != nil {
			return n, err
		}
		if m == 0 {
			return n, io.ErrNoProgress
		}
	}
	return n, nil
}
