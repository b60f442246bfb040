package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/gram"
	"github.com/spca/spca/stream"
)

// sourceFlags are the input flags shared by fit and transform.
type sourceFlags struct {
	dataset   string
	cols      int
	dtype     string
	threads   int
	blockRows int
	quiet     bool
	logJSON   bool
}

func (s *sourceFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.dataset, "dataset", "", "HDF5 dataset `path` such as /X (default: the only 2-D dataset in the file)")
	fs.IntVar(&s.cols, "cols", 0, "raw binary input: number of `columns` (features)")
	fs.StringVar(&s.dtype, "dtype", "", "raw binary input: element `type`: float32, float64, int8..int64, uint8..uint64")
	fs.IntVar(&s.threads, "threads", runtime.NumCPU(), "worker goroutines (results are identical for any value)")
	fs.IntVar(&s.blockRows, "block-rows", 0, "rows per block (default: about 8 MiB of float64 per block, at least 256 rows)")
	fs.BoolVar(&s.quiet, "quiet", false, "no progress on stderr (progress is shown only when stderr is a terminal)")
	fs.BoolVar(&s.logJSON, "log-json", false, "print one JSON progress line on stderr every 5 s and at the end of each pass (for batch logs)")
}

func (s *sourceFlags) source(path string) (stream.Source, stream.Options, error) {
	src := stream.Source{Path: path, Dataset: s.dataset, Cols: s.cols}
	if s.dtype != "" {
		d, err := chunk.ParseDType(s.dtype)
		if err != nil {
			return src, stream.Options{}, usageErr("--dtype: %v", err)
		}
		src.DType = d
	}
	if s.cols < 0 {
		return src, stream.Options{}, usageErr("--cols must be positive, got %d", s.cols)
	}
	if s.threads < 1 {
		return src, stream.Options{}, usageErr("--threads must be at least 1, got %d", s.threads)
	}
	if s.blockRows < 0 {
		return src, stream.Options{}, usageErr("--block-rows must be positive, got %d", s.blockRows)
	}
	return src, stream.Options{Threads: s.threads, BlockRows: s.blockRows}, nil
}

const fitSynopsis = `spca fit INPUT [-k N | --variance F] [--method M] [--model model.h5] [--scores scores.npy] [flags]

Fits PCA to INPUT by one of three routes, all writing the same model file
and scores, with each component's largest loading made positive:

  gram        one streaming pass sums the p×p Gram matrix of the shifted rows
              in float64; LAPACK's dsyevr gives the top k eigenpairs of the
              covariance (n-1 denominator). Memory ~ p²·8·(threads+2) bytes.
  dual        for p ≫ n: column slabs of X (HDF5 hyperslabs, strided reads of
              uncompressed raw/.npy; compressed streams cannot give them) are
              centred exactly and summed into the n×n matrix XXᵀ; its top k
              eigenpairs give the variances and scores, one more pass over the
              slabs gives the loadings. Memory ~ n²·8·(threads+2) bytes.
  randomized  subspace iteration on the covariance: each pass over the row
              blocks computes C·Q for a p×(k+oversampling) basis Q, with a
              Rayleigh-Ritz step after every pass; stops after --iterations
              when every residual is below --tol (else iterates on, up to
              --max-iterations). Memory ~ 3·p·(k+oversampling)·8 bytes. Works
              on every input but standard input; seeded and deterministic.
  auto        (default) gram when its matrices fit in --memory and p ≤ n or
              p ≤ 2048; else dual when the input gives column slabs and n×n
              fits; else randomized. The output says which and why.

Every route reports each component's residual ‖Cv − λv‖/λ (the table's
"residual" column, JSON "residuals") and explained_variance_ratio relative
to the exact total variance (trace of C), computed in the same passes.
With --scores the scores (X - mean)·V are written in row order (gram and
randomized: one more pass; dual: from XXᵀ's eigenvectors, no pass).
Without -k or --variance, k = min(10, n, p).

With --checkpoint DIR (gram route only) the Gram pass saves its state in DIR every
--checkpoint-every blocks or --checkpoint-interval; SIGTERM or SIGUSR1 makes
it finish the current block, save and exit with status 75. Running the same
command again resumes there and writes the same model, bit for bit. A
checkpoint from another input (path, size, modification time, shape) or
another --block-rows is refused. The checkpoints are removed once the model
is written.`

func cmdFit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("fit", fitSynopsis, args, stdout, stderr)
	var sf sourceFlags
	sf.register(fs)
	k := fs.Int("k", 0, "number of `components` (1 ≤ k ≤ min(n, p))")
	variance := fs.Float64("variance", 0, "keep the smallest k whose cumulative explained-variance ratio reaches this `fraction` (0 < F ≤ 1)")
	scale := fs.Bool("scale", false, "correlation PCA: divide each column by its standard deviation (zero-variance columns are left as they are and reported)")
	whiten := fs.Bool("whiten", false, "divide scores by sqrt(explained variance); stored in the model")
	modelPath := fs.String("model", "", "write the model to this HDF5 `file`")
	scoresPath := fs.String("scores", "", "write scores to this `file`: .npy (float64), .h5 (dataset scores) or .csv")
	jsonOut := fs.Bool("json", false, "print one JSON object on stdout instead of the table")
	var mf methodFlags
	mf.register(fs)
	var cf checkpointFlags
	cf.register(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("fit takes exactly one INPUT, got %d (see spca fit --help)", len(pos))
	}
	src, opt, err := sf.source(pos[0])
	if err != nil {
		return err
	}
	if err := cf.check(src); err != nil {
		return err
	}
	if err := checkSelection(*k, *variance); err != nil {
		return err
	}
	if *scoresPath != "" {
		if !src.Reopenable() {
			return usageErr("--scores needs a second pass over the input, and standard input can be read only once: fit from a file, or fit with --model and pipe the data again into spca transform")
		}
		if !stream.ScoresFormatOK(*scoresPath) {
			return usageErr("--scores %s: unknown format (use .npy, .h5 or .csv)", *scoresPath)
		}
	}
	plan, ro, budget, err := mf.resolve()
	if err != nil {
		return err
	}
	if mf.memory != "" {
		opt.MaxMemory = budget
	}
	if *whiten && *scoresPath == "" && *modelPath == "" {
		return usageErr("--whiten only affects --scores and the saved --model")
	}
	out := &outputs{}
	defer out.abort()
	// Reserve outputs first: an unwritable path fails before hours of reading.
	var modelOut, scoresOut *stream.Pending
	if *modelPath != "" {
		if modelOut, err = out.reserve(*modelPath); err != nil {
			return err
		}
	}
	if *scoresPath != "" {
		if scoresOut, err = out.reserve(*scoresPath); err != nil {
			return err
		}
	}

	start := time.Now()
	sel := stream.Selection{K: *k, Variance: *variance}
	if sel.K == 0 && sel.Variance == 0 {
		sel.K = -1 // resolved after the pass, when n and p are known
	}
	plan, err = stream.ChooseMethod(src, plan.Method, opt, sel, ro.Oversampling, budget)
	if err != nil {
		return err
	}
	fo := stream.FitOptions{Options: opt, Selection: sel, Scale: *scale}
	if cf.dir != "" {
		if plan.Method != "gram" {
			why := "--method " + plan.Method
			if plan.Reason != "" {
				why = plan.Reason
			}
			return usageErr("--checkpoint saves the Gram pass, and this fit takes the %s route (%s): add --method gram, or drop --checkpoint", plan.Method, why)
		}
		fo.Accumulate = func(ctx context.Context, src stream.Source, opt stream.Options) (*gram.State, chunk.Info, error) {
			return cf.accumulate(ctx, src, opt, stderr)
		}
	}
	// Passes announced by the progress line: randomized may add some for --tol.
	passes := 1
	switch plan.Method {
	case "dual":
		passes = 2
	case "randomized":
		passes = ro.Iterations + 1
	}
	if scoresOut != nil && plan.Method != "dual" {
		passes++
	}
	opt.Progress = newProgress(stderr, passes, sf.quiet, sf.logJSON)
	fo.Options = opt
	fitted, err := stream.FitPlan(ctx, src, plan, fo, ro)
	if err != nil {
		return err
	}
	m, info := fitted.Model, fitted.Info
	m.MethodReason = plan.Reason
	m.Whiten = *whiten
	var tr stream.TransformResult
	if scoresOut != nil {
		w, err := stream.CreateScores(scoresOut.Tmp, scoresOut.Final, m.NComponents)
		if err != nil {
			return err
		}
		if fitted.Dual != nil {
			tr.Rows = m.NSamples
			err = fitted.Dual.WriteScores(m, w)
		} else {
			tr, err = m.Transform(ctx, src, stream.TransformOptions{Options: opt}, w)
		}
		if e := w.Close(); err == nil && e != nil {
			err = fmt.Errorf("%s: %w", *scoresPath, e)
		}
		if err != nil {
			return err
		}
		if tr.Rows != m.NSamples {
			return chunk.Errorf(info.Name, "second pass read %d rows, the first read %d: the file changed during the fit", tr.Rows, m.NSamples)
		}
	}
	if modelOut != nil {
		if err := stream.WriteModel(modelOut.Tmp, m); err != nil {
			return fmt.Errorf("%s: writing model: %w", *modelPath, err)
		}
	}
	if err := out.commit(); err != nil {
		return err
	}
	if err := cf.finish(); err != nil {
		return err
	}
	m.Seconds = time.Since(start).Seconds()
	if *jsonOut {
		return writeFitJSON(stdout, m, info, sf.threads, *modelPath, *scoresPath)
	}
	writeFitTable(stdout, m, info, *modelPath, *scoresPath)
	return nil
}

// chunkError names the input in data-dependent solve errors (k out of
// range, too few rows, zero variance); they are bad input, exit status 2.
func chunkError(name string, err error) error {
	return stream.BadInput(name, err)
}

// outputs tracks pending output files: all are committed at the end, or
// all removed.
type outputs struct {
	pending []*stream.Pending
	done    bool
}

func (o *outputs) reserve(path string) (*stream.Pending, error) {
	for _, p := range o.pending {
		if p.Final == path {
			return nil, usageErr("%s is named as two outputs", path)
		}
	}
	p, err := stream.NewPending(path)
	if err != nil {
		return nil, &exitError{2, err}
	}
	o.pending = append(o.pending, p)
	return p, nil
}

func (o *outputs) commit() error {
	for _, p := range o.pending {
		if err := p.Commit(); err != nil {
			return err
		}
	}
	o.done = true
	return nil
}

func (o *outputs) abort() {
	if o.done {
		return
	}
	for _, p := range o.pending {
		p.Abort()
	}
}

// checkSelection checks -k and --variance as fit and merge take them.
func checkSelection(k int, variance float64) error {
	if k != 0 && variance != 0 {
		return usageErr("give -k or --variance, not both")
	}
	if k < 0 {
		return usageErr("-k must be at least 1, got %d", k)
	}
	if variance != 0 && !(variance > 0 && variance <= 1) {
		return usageErr("--variance must be in (0, 1], got %g", variance)
	}
	return nil
}
