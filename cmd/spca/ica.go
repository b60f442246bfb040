package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/ica"
	"github.com/spca/spca/stream"
)

const icaSynopsis = `spca ica INPUT [-k N] [--model ica.h5] [--sources sources.npy] [flags]

Independent component analysis by FastICA, out of core. Whitening comes
from the streaming PCA (one Gram pass, top k components); then FastICA's
fixed-point iteration, scikit-learn's algorithm, runs with one pass per
iteration: over an in-memory copy of the whitened data (n x k values) when
n·k·8 bytes fit --memory (one more pass makes it), otherwise over INPUT,
whitening each block on the fly. The results are the same either way, and
for any --threads.

Sources have unit variance (1/n denominator, scikit-learn's
whiten="unit-variance"), each is signed so that its skewness is positive
(when |skewness| < 1e-6, so that the largest entry of its mixing column is
positive), and they are ordered by decreasing negentropy
(E[G(y)] - E[G(gaussian)])², G the contrast function.

The model file uses scikit-learn FastICA's names: components (k x p
unmixing), mixing (p x k), mean, whitening (k x p), unmixing (k x k), with
attributes n_iter, converged, method = "fastica"; spca transform writes the
sources of new data from it. Not converging within --max-iter is a warning
(exit status 0, "converged": false).

--transpose treats the columns of INPUT as the samples (ICA of image sets:
subject images as mixtures of source images). HDF5 datasets and
uncompressed raw and .npy files are read by column slabs, never whole, so
they may be larger than memory; a compressed file or standard input cannot
give column slabs and is read into memory instead (the matrix and its
transpose, 2·n·p·8 bytes, must then fit --memory).`

// icaFlags are ica's own flags.
type icaFlags struct {
	k          int
	fun, alg   string
	maxIter    int
	tol        float64
	seed       uint64
	wInit      string
	memory     string
	transpose  bool
	modelPath  string
	sourcesOut string
	jsonOut    bool
}

func cmdICA(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ica", icaSynopsis, args, stdout, stderr)
	var sf sourceFlags
	sf.register(fs)
	var f icaFlags
	fs.IntVar(&f.k, "k", 0, "number of independent `components` (1 ≤ k ≤ min(n, p); default min(10, n, p))")
	fs.StringVar(&f.fun, "fun", "logcosh", "contrast `function`: logcosh, exp or cube")
	fs.StringVar(&f.alg, "algorithm", "parallel", "`name`: parallel (all components at once) or deflation (one at a time)")
	fs.IntVar(&f.maxIter, "max-iter", ica.DefaultMaxIter, "maximum `iterations` (per component for deflation); each is one pass over the data")
	fs.Float64Var(&f.tol, "tol", 1e-4, "convergence `threshold` on max |(|⟨w_new, w_old⟩| − 1)| (0 runs --max-iter iterations)")
	fs.Uint64Var(&f.seed, "seed", 0, "`seed` of the random (standard normal) starting matrix")
	fs.StringVar(&f.wInit, "w-init", "", "starting matrix, a k x k .npy `file` (scikit-learn's w_init; overrides --seed)")
	fs.StringVar(&f.memory, "memory", "", "memory `budget` for the whitened copy and --transpose, e.g. 512M, 8G (default a quarter of RAM)")
	fs.BoolVar(&f.transpose, "transpose", false, "treat the columns of INPUT as the samples (read by column slabs; compressed input and standard input are read into memory)")
	fs.StringVar(&f.modelPath, "model", "", "write the model to this HDF5 `file`")
	fs.StringVar(&f.sourcesOut, "sources", "", "write the sources (n x k) to this `file`: .npy (float64), .h5 (dataset scores) or .csv")
	fs.BoolVar(&f.jsonOut, "json", false, "print one JSON object on stdout instead of the table")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("ica takes exactly one INPUT, got %d (see spca ica --help)", len(pos))
	}
	src, opt, err := sf.source(pos[0])
	if err != nil {
		return err
	}
	passes := 3 // at least: the Gram pass, one iteration, the statistics pass
	if f.sourcesOut != "" {
		passes++
	}
	opt.Progress = newProgress(stderr, passes, sf.quiet, sf.logJSON)
	iopt := ica.Options{Options: opt, K: f.k, MaxIter: f.maxIter, Tol: f.tol, Seed: f.seed}
	if f.k < 0 {
		return usageErr("-k must be at least 1, got %d", f.k)
	}
	if iopt.Fun, err = ica.ParseFun(f.fun); err != nil {
		return usageErr("--fun: %v", err)
	}
	if iopt.Algorithm, err = ica.ParseAlgorithm(f.alg); err != nil {
		return usageErr("--algorithm: %v", err)
	}
	if f.maxIter < 1 {
		return usageErr("--max-iter must be at least 1, got %d", f.maxIter)
	}
	if !(f.tol >= 0) || math.IsInf(f.tol, 0) {
		return usageErr("--tol must be a finite number ≥ 0, got %g", f.tol)
	}
	budget := stream.PhysicalMemory() / 4
	if f.memory != "" {
		if budget, err = parseBytes(f.memory, true); err != nil {
			return usageErr("--memory: %v", err)
		}
	}
	iopt.Memory = budget
	if budget == 0 {
		iopt.Memory = -1 // no RAM figure and no budget: never copy
	}
	if f.sourcesOut != "" && !stream.ScoresFormatOK(f.sourcesOut) {
		return usageErr("--sources %s: unknown format (use .npy, .h5 or .csv)", f.sourcesOut)
	}
	if !src.Reopenable() && !f.transpose {
		return usageErr("ica reads its input several times and standard input can be read only once: save it to a file first (or use --transpose, which holds it in memory)")
	}
	if f.wInit != "" {
		rows, cols, w, err := readSmallNpy(f.wInit)
		if err != nil {
			return err
		}
		if rows != cols || (f.k != 0 && rows != f.k) {
			return chunk.Errorf(f.wInit, "%w: --w-init is %d x %d, want k x k with k = %d", chunk.ErrShape, rows, cols, f.k)
		}
		iopt.K, iopt.WInit = rows, w
	}
	out := &outputs{}
	defer out.abort()
	var modelOut, sourcesOut *stream.Pending
	if f.modelPath != "" {
		if modelOut, err = out.reserve(f.modelPath); err != nil {
			return err
		}
	}
	if f.sourcesOut != "" {
		if sourcesOut, err = out.reserve(f.sourcesOut); err != nil {
			return err
		}
	}

	start := time.Now()
	var data stream.Opener = src
	if f.transpose {
		if data, err = transposeSource(ctx, src, budget); err != nil {
			return err
		}
	}
	m, err := ica.Fit(ctx, data, iopt)
	if err != nil {
		return err
	}
	m.Transpose = f.transpose
	if sourcesOut != nil {
		w, err := stream.CreateScores(sourcesOut.Tmp, sourcesOut.Final, m.NComponents)
		if err != nil {
			return err
		}
		res, err := m.Transform(ctx, data, opt, false, w)
		if e := w.Close(); err == nil && e != nil {
			err = fmt.Errorf("%s: %w", f.sourcesOut, e)
		}
		if err != nil {
			return err
		}
		m.Passes++
		if res.Rows != m.NSamples {
			return chunk.Errorf(src.Path, "the sources pass read %d rows, the fit %d: the file changed during the run", res.Rows, m.NSamples)
		}
	}
	if modelOut != nil {
		if err := ica.WriteModel(modelOut.Tmp, m); err != nil {
			return fmt.Errorf("%s: writing model: %w", f.modelPath, err)
		}
	}
	if err := out.commit(); err != nil {
		return err
	}
	m.Seconds = time.Since(start).Seconds()
	if !m.Converged {
		fmt.Fprintf(stderr, "spca: warning: FastICA did not converge: %d iterations, last change %.3g ≥ --tol %g; raise --max-iter or --tol\n",
			m.NIter, m.LastChange, m.Tol)
	}
	if f.jsonOut {
		return writeICAJSON(stdout, m, src.String(), sf.threads, f)
	}
	writeICATable(stdout, m, src.String(), f)
	return nil
}

type icaJSON struct {
	Input       string    `json:"input"`
	NSamples    int64     `json:"n_samples"`
	NFeatures   int       `json:"n_features"`
	NComponents int       `json:"n_components"`
	Method      string    `json:"method"`
	Fun         string    `json:"fun"`
	Algorithm   string    `json:"algorithm"`
	Tol         float64   `json:"tol"`
	MaxIter     int       `json:"max_iter"`
	NIter       int       `json:"n_iter"`
	Converged   bool      `json:"converged"`
	LastChange  float64   `json:"last_change"`
	Skewness    []float64 `json:"skewness"`
	Negentropy  []float64 `json:"negentropy"`
	PCAVariance []float64 `json:"pca_variance"`
	InMemory    bool      `json:"whitened_in_memory"`
	Passes      int       `json:"passes"`
	Transpose   bool      `json:"transpose"`
	Threads     int       `json:"threads"`
	Seconds     float64   `json:"seconds"`
	Model       string    `json:"model,omitempty"`
	Sources     string    `json:"sources,omitempty"`
}

func writeICAJSON(w io.Writer, m *ica.Model, input string, threads int, f icaFlags) error {
	return json.NewEncoder(w).Encode(icaJSON{
		Input: input, NSamples: m.NSamples, NFeatures: m.NFeatures, NComponents: m.NComponents,
		Method: ica.Method, Fun: m.Fun.String(), Algorithm: m.Algorithm.String(), Tol: m.Tol, MaxIter: m.MaxIter,
		NIter: m.NIter, Converged: m.Converged, LastChange: m.LastChange, Skewness: m.Skewness,
		Negentropy: m.Negentropy, PCAVariance: m.PCAVariance, InMemory: m.InMemory, Passes: m.Passes,
		Transpose: m.Transpose, Threads: threads, Seconds: m.Seconds, Model: f.modelPath, Sources: f.sourcesOut,
	})
}

func writeICATable(w io.Writer, m *ica.Model, input string, f icaFlags) {
	samples := "samples"
	if m.Transpose {
		samples = "samples (columns of the input)"
	}
	fmt.Fprintf(w, "spca ica: %s\n", input)
	fmt.Fprintf(w, "n = %d %s, p = %d features, k = %d components; FastICA %s, fun %s, tol %g\n",
		m.NSamples, samples, m.NFeatures, m.NComponents, m.Algorithm, m.Fun, m.Tol)
	state := "converged"
	if !m.Converged {
		state = "did NOT converge"
	}
	where := "iterations read the input"
	if m.InMemory {
		where = fmt.Sprintf("iterations read the whitened copy in memory (%.3g MB)", float64(m.NSamples)*float64(m.NComponents)*8/1e6)
	}
	fmt.Fprintf(w, "%s after %d iterations (last change %.3g); %s; %d passes, %.3g s\n", state, m.NIter, m.LastChange, where, m.Passes, m.Seconds)
	fmt.Fprintf(w, "whitening: the top %d principal components, variances", m.NComponents)
	for _, v := range m.PCAVariance {
		fmt.Fprintf(w, " %.4g", v)
	}
	fmt.Fprintf(w, "\n\n%6s  %10s  %12s\n", "source", "skewness", "negentropy")
	for i := 0; i < m.NComponents; i++ {
		fmt.Fprintf(w, "%6d  %10.4g  %12.4g\n", i+1, m.Skewness[i], m.Negentropy[i])
	}
	if f.modelPath != "" {
		fmt.Fprintf(w, "\nwrote model %s\n", f.modelPath)
	}
	if f.sourcesOut != "" {
		fmt.Fprintf(w, "wrote sources %s (%d x %d)\n", f.sourcesOut, m.NSamples, m.NComponents)
	}
}

// transformICA is spca transform for an ICA model: it writes the sources
// (X − mean)·componentsᵀ of every row of INPUT (of every column, when the
// model was fitted with --transpose).
func transformICA(ctx context.Context, src stream.Source, opt stream.Options, modelPath, sourcesPath string, withErr, whiten, jsonOut bool, stdout io.Writer) error {
	if whiten {
		return usageErr("--whiten applies to PCA models; %s is an ICA model, whose sources already have unit variance", modelPath)
	}
	start := time.Now()
	m, err := ica.ReadModel(modelPath)
	if err != nil {
		return err
	}
	var data stream.Opener = src
	if m.Transpose {
		if data, err = transposeSource(ctx, src, stream.PhysicalMemory()/4); err != nil {
			return err
		}
	}
	out := &outputs{}
	defer out.abort()
	var w stream.ScoresWriter
	if sourcesPath != "" {
		p, err := out.reserve(sourcesPath)
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
	res, err := m.Transform(ctx, data, opt, withErr, rw)
	if w != nil {
		if e := w.Close(); err == nil && e != nil {
			err = fmt.Errorf("%s: %w", sourcesPath, e)
		}
	}
	if err != nil {
		return err
	}
	if err := out.commit(); err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	if jsonOut {
		o := transformJSON{NSamples: res.Rows, NFeatures: m.NFeatures, NComponents: m.NComponents,
			Method: ica.Method, Seconds: secs, Scores: sourcesPath}
		if withErr {
			mae, rmse := res.MAE, res.RMSE
			o.MAE, o.RMSE = &mae, &rmse
		}
		return json.NewEncoder(stdout).Encode(o)
	}
	fmt.Fprintf(stdout, "spca transform: %s onto ICA model %s: %d rows, %d sources (%.3g s)\n", src, modelPath, res.Rows, m.NComponents, secs)
	if withErr {
		fmt.Fprintf(stdout, "reconstruction error (sources·mixingᵀ + mean): MAE %.6g  RMSE %.6g\n", res.MAE, res.RMSE)
	}
	if sourcesPath != "" {
		fmt.Fprintf(stdout, "wrote %s\n", sourcesPath)
	}
	return nil
}

// readSmallNpy reads a whole small 2-D .npy file (a starting matrix).
func readSmallNpy(path string) (rows, cols int, data []float64, err error) {
	r, err := chunk.Open(path, chunk.Options{})
	if err != nil {
		return 0, 0, nil, err
	}
	defer r.Close()
	info := r.Info()
	if info.Rows < 0 || info.Rows*int64(info.Cols) > 1<<24 {
		return 0, 0, nil, chunk.Errorf(path, "%w: not a small .npy matrix", chunk.ErrShape)
	}
	data = make([]float64, int(info.Rows)*info.Cols)
	n := 0
	for n < int(info.Rows) {
		m, err := r.ReadRows(data[n*info.Cols:])
		n += m
		if err != nil {
			return 0, 0, nil, err
		}
	}
	if err := chunk.CheckFinite(path, 0, info.Cols, data); err != nil {
		return 0, 0, nil, err
	}
	return int(info.Rows), info.Cols, data, nil
}

// transposeSource gives the transpose of src for --transpose: read by
// column slabs when src can give them (HDF5, uncompressed raw and .npy),
// otherwise held in memory within budget bytes.
func transposeSource(ctx context.Context, src stream.Source, budget int64) (stream.Opener, error) {
	if src.ColumnSlabs() {
		return stream.Transposed{Source: src}, nil
	}
	t, err := ica.LoadTransposed(ctx, src, budget)
	if err != nil {
		return nil, err
	}
	return t, nil
}
