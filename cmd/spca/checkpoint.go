package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/gram"
	"github.com/spca/spca/statefile"
	"github.com/spca/spca/stream"
)

// ExitCheckpointed is the exit status of a fit that SIGTERM or SIGUSR1
// stopped after saving a checkpoint: EX_TEMPFAIL of sysexits.h, "try
// again later". Rerunning the same command resumes.
const ExitCheckpointed = 75

// checkpointFlags are fit's checkpoint flags.
type checkpointFlags struct {
	dir      string
	every    int64
	interval time.Duration

	saved string // the last checkpoint written
}

func (c *checkpointFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.dir, "checkpoint", "", "save the Gram pass state in `DIR` (created if missing) and resume from it; SIGTERM or SIGUSR1 then saves and exits with status 75")
	fs.Int64Var(&c.every, "checkpoint-every", 0, "with --checkpoint: save after every `N` blocks (0: by time only)")
	fs.DurationVar(&c.interval, "checkpoint-interval", 5*time.Minute, "with --checkpoint: save when this `duration` has passed since the last save (0: by block count only)")
}

func (c *checkpointFlags) check(src stream.Source) error {
	if c.dir == "" {
		return nil
	}
	if !src.Reopenable() {
		return usageErr("--checkpoint needs a file: standard input cannot be resumed")
	}
	if c.every < 0 || c.interval < 0 {
		return usageErr("--checkpoint-every and --checkpoint-interval must not be negative")
	}
	return nil
}

// accumulate runs the Gram pass, with checkpoints when --checkpoint is set.
func (c *checkpointFlags) accumulate(ctx context.Context, src stream.Source, opt stream.Options, stderr io.Writer) (*gram.State, chunk.Info, error) {
	if c.dir == "" {
		return stream.Accumulate(ctx, src, opt)
	}
	// During the pass SIGTERM and SIGUSR1 mean "save and stop", not
	// "abort": the pass runs under a context that run()'s SIGTERM handler
	// does not cancel (only Ctrl-C does). After the pass, SIGTERM cancels
	// ctx as usual, so that the solve and the scores pass clean up.
	passCtx, cancelPass := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelPass()
	var stopSig atomic.Value
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGUSR1, os.Interrupt)
	defer signal.Stop(sigs)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case s := <-sigs:
				if s == os.Interrupt {
					cancelPass()
				} else {
					stopSig.CompareAndSwap(nil, s)
				}
			case <-done:
				return
			}
		}
	}()

	probe, err := src.Open(stream.DefaultBlockRows(1))
	if err != nil {
		return nil, chunk.Info{}, err
	}
	info := probe.Info()
	probe.Close()
	br := blockRowsOf(opt, info.Cols)
	opt.BlockRows = br // resolved once: the checkpoint records it
	in, err := statefile.Fingerprint(src.Path, info)
	if err != nil {
		return nil, info, err
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return nil, info, &exitError{2, fmt.Errorf("--checkpoint: %w", err)}
	}
	var ck stream.Checkpoints
	all, err := statefile.Checkpoints(c.dir)
	if err != nil {
		return nil, info, err
	}
	if len(all) > 0 {
		latest := all[len(all)-1]
		f, err := statefile.Read(latest)
		if err != nil {
			if errors.Is(err, statefile.ErrCRC) && len(all) > 1 {
				err = fmt.Errorf("%w; remove it to resume from %s", err, all[len(all)-2])
			}
			return nil, info, err
		}
		refuse := func(why string) error {
			return chunk.Errorf(latest, "checkpoint of another run: %s; remove %s to start afresh", why, c.dir)
		}
		switch {
		case f.Kind != statefile.Checkpoint:
			return nil, info, refuse(fmt.Sprintf("a %s state, not a checkpoint", f.Kind))
		case f.Input.Differs(in, true) != "":
			return nil, info, refuse(f.Input.Differs(in, true))
		case f.BlockRows != br:
			return nil, info, refuse(fmt.Sprintf("--block-rows %d, this run %d", f.BlockRows, br))
		case f.Start != 0 || f.End != f.Blocks*int64(br):
			return nil, info, refuse(fmt.Sprintf("rows %d:%d are not %d whole blocks", f.Start, f.End, f.Blocks))
		}
		ck.Resume, ck.ResumeBlocks = f.State, f.Blocks
		c.saved = latest
		fmt.Fprintf(stderr, "spca: resuming from %s (rows 0:%d); SIGTERM or SIGUSR1 saves and exits with status %d\n", latest, f.End, ExitCheckpointed)
	} else {
		fmt.Fprintf(stderr, "spca: checkpoints in %s; SIGTERM or SIGUSR1 saves and exits with status %d\n", c.dir, ExitCheckpointed)
	}

	ck.Every, ck.Interval = c.every, c.interval
	// SPCA_TEST_BLOCK_DELAY (a duration) slows every block down, so that
	// the kill tests can hit a fit at many points; it is not for users.
	delay, _ := time.ParseDuration(os.Getenv("SPCA_TEST_BLOCK_DELAY"))
	ck.Stop = func() bool {
		if delay > 0 {
			time.Sleep(delay)
		}
		return stopSig.Load() != nil
	}
	ck.Save = func(st *gram.State, blocks, rows int64) error {
		h := statefile.Header{Kind: statefile.Checkpoint, Input: in, Start: 0, End: rows, BlockRows: br, Blocks: blocks}
		path, err := statefile.SaveCheckpoint(c.dir, h, st)
		if err != nil {
			return fmt.Errorf("--checkpoint: %w", err)
		}
		c.saved = path
		return nil
	}
	st, info, err := stream.AccumulateCheckpointed(passCtx, src, opt, ck)
	if errors.Is(err, stream.ErrStopped) {
		return nil, info, &exitError{ExitCheckpointed, fmt.Errorf("stopped by %s: saved %s; run the same command again to resume", sigName(stopSig.Load()), c.saved)}
	}
	return st, info, err
}

// finish removes the checkpoints once the model is safely written.
func (c *checkpointFlags) finish() error {
	if c.dir == "" {
		return nil
	}
	return statefile.RemoveCheckpoints(c.dir)
}

func sigName(s any) string {
	switch s {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGUSR1:
		return "SIGUSR1"
	}
	return fmt.Sprint(s)
}
