package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/ica"
	"github.com/spca/spca/stream"
)

const transformSynopsis = `spca transform --model model.h5 INPUT [--scores out.npy] [--error] [flags]

Projects every row of INPUT (for example a held-out test set) onto a saved
model: scores = (X - mean)/scale · V, written in row order. With --error it
also reports the reconstruction error of X̂ = scores·Vᵀ·scale + mean over the
whole input: mean absolute error and root-mean-square error. One pass, so
standard input ("-") works. An ICA model (spca ica) gives its sources
(X - mean)·componentsᵀ instead, and --error reconstructs with its mixing.
With --rows START:END (or --shard i/N, as spca partial) only those rows are
projected: the score files of consecutive ranges concatenate, in order, to
the scores of the whole input.`

func cmdTransform(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("transform", transformSynopsis, args, stdout, stderr)
	var sf sourceFlags
	sf.register(fs)
	modelPath := fs.String("model", "", "the model `file` written by spca fit (required)")
	scoresPath := fs.String("scores", "", "write scores to this `file`: .npy (float64), .h5 (dataset scores) or .csv")
	whiten := fs.Bool("whiten", false, "divide scores by sqrt(explained variance) (implied when the model was fitted with --whiten)")
	withErr := fs.Bool("error", false, "report the reconstruction MAE and RMSE over the input")
	jsonOut := fs.Bool("json", false, "print one JSON object on stdout instead of text")
	var rf rowFlags
	rf.register(fs, true)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("transform takes exactly one INPUT, got %d (see spca transform --help)", len(pos))
	}
	if *modelPath == "" {
		return usageErr("transform needs --model")
	}
	if *scoresPath == "" && !*withErr {
		return usageErr("nothing to do: give --scores FILE and/or --error")
	}
	if *scoresPath != "" && !stream.ScoresFormatOK(*scoresPath) {
		return usageErr("--scores %s: unknown format (use .npy, .h5 or .csv)", *scoresPath)
	}
	src, opt, err := sf.source(pos[0])
	if err != nil {
		return err
	}
	if rf.set() {
		if _, _, err := rf.apply(&src, opt); err != nil {
			return err
		}
	}
	opt.Progress = newProgress(stderr, 1, sf.quiet, sf.logJSON)
	if ica.IsModel(*modelPath) {
		return transformICA(ctx, src, opt, *modelPath, *scoresPath, *withErr, *whiten, *jsonOut, stdout)
	}
	start := time.Now()
	m, err := stream.ReadModel(*modelPath)
	if err != nil {
		if !chunk.IsInputError(err) {
			err = chunk.Errorf(*modelPath, "%v", err)
		}
		return err
	}
	out := &outputs{}
	defer out.abort()
	var w stream.ScoresWriter
	if *scoresPath != "" {
		p, err := out.reserve(*scoresPath)
		if err != nil {
			return err
		}
		if w, err = stream.CreateScores(p.Tmp, p.Final, m.NComponents); err != nil {
			return err
		}
	}
	var rw stream.RowWriter
	if w != nil {
		rw = w
	}
	res, err := m.Transform(ctx, src, stream.TransformOptions{Options: opt, Whiten: *whiten, Error: *withErr}, rw)
	if w != nil {
		if e := w.Close(); err == nil && e != nil {
			err = fmt.Errorf("%s: %w", *scoresPath, e)
		}
	}
	if err != nil {
		return err
	}
	if err := out.commit(); err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	if *jsonOut {
		return writeTransformJSON(stdout, m, res, *withErr, secs, *scoresPath)
	}
	fmt.Fprintf(stdout, "spca transform: %s onto %s: %d rows, %d components (%.3g s)\n", src, *modelPath, res.Rows, m.NComponents, secs)
	if *withErr {
		fmt.Fprintf(stdout, "reconstruction error: MAE %.6g  RMSE %.6g\n", res.MAE, res.RMSE)
	}
	if *scoresPath != "" {
		fmt.Fprintf(stdout, "wrote %s\n", *scoresPath)
	}
	return nil
}
