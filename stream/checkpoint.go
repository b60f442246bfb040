package stream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/gram"
)

// ErrStopped is returned by AccumulateCheckpointed when Stop asked it to
// end early: the state after the last whole block has been saved.
var ErrStopped = errors.New("stopped after saving a checkpoint")

// Checkpoints control AccumulateCheckpointed.
//
// Bit-identical resume: the Gram pass adds block states, all with the
// shift of the file's first block, to the running sum in block order. A
// checkpoint is that running sum (and its shift) at a block boundary; a
// resumed pass starts reading at the next block with the same block
// partition and the saved shift, so it performs the same floating-point
// additions in the same order as an uninterrupted pass.
type Checkpoints struct {
	Resume       *gram.State   // the state after ResumeBlocks blocks; nil starts afresh
	ResumeBlocks int64         // blocks in Resume (all of BlockRows rows)
	Every        int64         // save after every Every blocks (0: not by count)
	Interval     time.Duration // save when this long has passed since the last save (0: not by time)
	// Stop, polled after each block is added, asks to save and return ErrStopped.
	Stop func() bool
	// Save stores the state after blocks blocks (rows rows). It runs in
	// block order with the pipeline paused; st must not be kept.
	Save func(st *gram.State, blocks, rows int64) error
}

// AccumulateCheckpointed is Accumulate that saves its state at block
// boundaries and can resume from a saved state. opt.BlockRows is resolved
// here exactly as Accumulate does, and must be the same on resume (the
// caller checks it against the checkpoint).
func AccumulateCheckpointed(ctx context.Context, src Source, opt Options, ck Checkpoints) (*gram.State, chunk.Info, error) {
	if src.Start != 0 || src.End != 0 {
		panic("stream: AccumulateCheckpointed over a row range")
	}
	probe, err := src.Open(opt.blockRows(1))
	if err != nil {
		return nil, chunk.Info{}, err
	}
	whole := probe.Info()
	probe.Close()
	p := whole.Cols
	br := opt.blockRows(p)
	if err := checkMemory(whole, p, br, opt); err != nil {
		return nil, whole, err
	}
	acc := gram.NewState(p, nil)
	var shift []float64
	var first func(b *block)
	resumeRows := ck.ResumeBlocks * int64(br)
	if ck.Resume != nil {
		if ck.Resume.P != p || ck.Resume.N != resumeRows {
			panic(fmt.Sprintf("stream: resume state with p=%d n=%d for p=%d, %d blocks of %d rows", ck.Resume.P, ck.Resume.N, p, ck.ResumeBlocks, br))
		}
		acc = ck.Resume
		shift = append([]float64(nil), acc.Shift...)
	} else {
		first = func(b *block) {
			shift = pilotMean(b.data[:b.rows*p], p)
			acc.Reset(p, shift)
		}
	}
	if whole.Rows >= 0 && resumeRows == whole.Rows {
		return acc, whole, nil // the checkpoint holds every row
	}
	var progress func(int64, bool)
	if pf := progressFunc(opt, "gram", whole.Rows, rowBytes(whole)); pf != nil {
		progress = func(rows int64, done bool) { pf(resumeRows+rows, done) }
	}
	blocks := ck.ResumeBlocks
	lastSave := time.Now()
	after := func() error {
		blocks++
		if acc.N != blocks*int64(br) {
			return nil // a short block is the last: the pass ends now anyway
		}
		due := ck.Stop != nil && ck.Stop()
		stop := due
		due = due || (ck.Every > 0 && blocks%ck.Every == 0)
		due = due || (ck.Interval > 0 && time.Since(lastSave) >= ck.Interval)
		if due && ck.Save != nil {
			if err := ck.Save(acc, blocks, acc.N); err != nil {
				return err
			}
			lastSave = time.Now()
		}
		if stop {
			return ErrStopped
		}
		return nil
	}
	r0, err := src.Open(br)
	if err != nil {
		return nil, whole, err
	}
	r, err := chunk.From(r0, resumeRows)
	if err != nil {
		r0.Close()
		return nil, whole, err
	}
	defer r.Close()
	newStage := func() stage {
		return &ckptStage{gramStage: gramStage{name: whole.Name, acc: acc, shift: &shift}, after: after}
	}
	n, err := pipeline(ctx, r, br, opt.threads(), first, newStage, progress)
	if err != nil {
		return nil, whole, err
	}
	n += resumeRows
	if acc.N != n {
		return nil, whole, fmt.Errorf("internal: accumulated %d rows of %d", acc.N, n)
	}
	if whole.Rows >= 0 && n != whole.Rows {
		return nil, whole, chunk.Errorf(whole.Name, "read %d rows, header says %d", n, whole.Rows)
	}
	whole.Rows = n
	return acc, whole, nil
}

// ckptStage is the Gram stage with a hook after each block is added.
type ckptStage struct {
	gramStage
	after func() error
}

func (c *ckptStage) commit(b *block) error {
	if err := c.gramStage.commit(b); err != nil {
		return err
	}
	return c.after()
}
