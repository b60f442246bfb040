// Package spca is the Go API of spca, out-of-core streaming PCA: it owns
// the entry points other programs call and nothing else. Fit makes one
// streaming pass over any chunk.Reader (HDF5, .npy, raw binary, compressed
// or not, or a reader of your own) and solves for a Model; Transform and
// TransformTo project rows onto it; InverseTransform maps scores back to
// the data space; Open, OpenHDF5, OpenBinary and FromMatrix make readers;
// FitFile fits a file by any route (gram, dual for p ≫ n, randomized, or
// auto's choice), reading it as many times as the route needs;
// ReadModel and WriteModel load and save the HDF5 model file that the spca
// command and scikit-learn users share.
//
// The work is done by the packages below it: chunk (the Reader interface
// and the file sources), hdf5io (libhdf5), gram (the mergeable Gram
// state) and stream (the pipeline, the solve and the model). Every pass
// honours its context: cancelling it stops the reader and the workers
// within a block and returns ctx.Err(); the caller closes its reader.
//
// Memory does not grow with the number of rows, except in Transform,
// which returns every score in one slice (use TransformTo for large data).
package spca

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/hdf5io"
	"github.com/spca/spca/stream"
)

// Model is a fitted PCA; its fields are named like scikit-learn's PCA
// attributes (Components is k×p row-major, one component per row).
type Model = stream.Model

// Progress is what a WithProgress callback receives after every block.
type Progress = stream.Progress

// RowWriter receives score rows (rows×k, row-major) in row order.
type RowWriter = stream.RowWriter

// Option configures Fit, Transform and TransformTo.
type Option func(*config) error

type config struct {
	opt      stream.Options
	sel      stream.Selection
	scale    bool
	whiten   bool
	fitOnly  []string
	selected bool

	method        string // FitFile's route; "" is auto
	randomized    stream.RandomizedOptions
	randomizedSet bool
}

func (c *config) fitOption(name string) { c.fitOnly = append(c.fitOnly, name) }

// WithComponents keeps k components (1 ≤ k ≤ min(n, p)). Without it or
// WithVariance, Fit keeps min(10, n, p).
func WithComponents(k int) Option {
	return func(c *config) error {
		if k < 1 {
			return fmt.Errorf("spca: WithComponents(%d): k must be at least 1", k)
		}
		if c.selected {
			return errors.New("spca: give WithComponents or WithVariance, not both")
		}
		c.sel, c.selected = stream.Selection{K: k}, true
		c.fitOption("WithComponents")
		return nil
	}
}

// WithVariance keeps the smallest k whose cumulative explained-variance
// ratio reaches f, 0 < f ≤ 1.
func WithVariance(f float64) Option {
	return func(c *config) error {
		if !(f > 0 && f <= 1) {
			return fmt.Errorf("spca: WithVariance(%g): the fraction must be in (0, 1]", f)
		}
		if c.selected {
			return errors.New("spca: give WithComponents or WithVariance, not both")
		}
		c.sel, c.selected = stream.Selection{Variance: f}, true
		c.fitOption("WithVariance")
		return nil
	}
}

// WithScale fits correlation PCA: each column is divided by its standard
// deviation (zero-variance columns are left unscaled).
func WithScale() Option {
	return func(c *config) error { c.scale = true; c.fitOption("WithScale"); return nil }
}

// WithWhiten divides scores by sqrt(explained variance). On Fit it is
// stored in the model; on Transform it applies to that pass.
func WithWhiten() Option {
	return func(c *config) error { c.whiten = true; return nil }
}

// WithThreads sets the number of worker goroutines (default GOMAXPROCS).
// Results are bit-identical for any number.
func WithThreads(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("spca: WithThreads(%d): need at least 1", n)
		}
		c.opt.Threads = n
		return nil
	}
}

// WithBlockRows sets the rows per block (default about 8 MiB of float64).
// The block partition, not the thread count, fixes the rounding.
func WithBlockRows(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("spca: WithBlockRows(%d): need at least 1", n)
		}
		c.opt.BlockRows = n
		return nil
	}
}

// WithMaxMemory caps the bytes the Gram pass may plan for (default: the
// machine's RAM); a wider input is refused before anything is allocated.
func WithMaxMemory(bytes int64) Option {
	return func(c *config) error {
		if bytes < 1 {
			return fmt.Errorf("spca: WithMaxMemory(%d): need a positive number of bytes", bytes)
		}
		c.opt.MaxMemory = bytes
		return nil
	}
}

// WithProgress calls fn from the reading goroutine after every block and
// at the end of each pass; fn must return quickly.
func WithProgress(fn func(Progress)) Option {
	return func(c *config) error { c.opt.Progress = fn; return nil }
}

func configure(opts []Option) (*config, error) {
	c := &config{}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Fit reads r to the end in one streaming pass and returns the fitted
// model. It does not close r. Bad data (NaN, a truncated file, k out of
// range) gives a *chunk.Error naming the input.
func Fit(ctx context.Context, r chunk.Reader, opts ...Option) (*Model, error) {
	c, err := configure(opts)
	if err != nil {
		return nil, err
	}
	if c.method != "" && c.method != "auto" && c.method != "gram" {
		return nil, fmt.Errorf("spca: Fit reads its reader once, and the %s route needs more passes: use FitFile", c.method)
	}
	sel := c.sel
	if !c.selected {
		info := r.Info()
		sel.K = min(10, info.Cols)
		if info.Rows >= 0 {
			sel.K = int(min(int64(sel.K), info.Rows))
		}
	}
	m, err := stream.FitReader(ctx, r, stream.FitOptions{Options: c.opt, Selection: sel, Scale: c.scale})
	if err != nil {
		return nil, err
	}
	m.Whiten = c.whiten
	return m, nil
}

// TransformTo projects every row of r onto m, (x − mean)/scale · V, and
// writes the scores to w in row order. It does not close r.
func TransformTo(ctx context.Context, m *Model, r chunk.Reader, w RowWriter, opts ...Option) (int64, error) {
	c, err := configure(opts)
	if err != nil {
		return 0, err
	}
	if len(c.fitOnly) > 0 {
		return 0, fmt.Errorf("spca: %s applies to Fit, not to a transform", c.fitOnly[0])
	}
	res, err := m.TransformReader(ctx, r, stream.TransformOptions{Options: c.opt, Whiten: c.whiten}, w)
	return res.Rows, err
}

// Transform is TransformTo into memory: it returns the n×k scores
// row-major. Memory grows with the rows; prefer TransformTo for big data.
func Transform(ctx context.Context, m *Model, r chunk.Reader, opts ...Option) ([]float64, error) {
	var s sliceWriter
	if _, err := TransformTo(ctx, m, r, &s, opts...); err != nil {
		return nil, err
	}
	return s.data, nil
}

type sliceWriter struct{ data []float64 }

func (s *sliceWriter) WriteRows(d []float64) error {
	s.data = append(s.data, d...)
	return nil
}

// InverseTransform maps scores (rows×k, row-major) back to the data space:
// X̂ = scores·V (·scale) + mean, undoing whitening when the model was
// fitted with it. It returns rows×p values. It panics if len(scores) is
// not a multiple of k.
func InverseTransform(m *Model, scores []float64) []float64 {
	k, p := m.NComponents, m.NFeatures
	if len(scores)%k != 0 {
		panic(fmt.Sprintf("spca: InverseTransform: %d scores is not a whole number of rows of %d", len(scores), k))
	}
	rows := len(scores) / k
	out := make([]float64, rows*p)
	for i := 0; i < rows; i++ {
		x := out[i*p : (i+1)*p]
		for c := 0; c < k; c++ {
			s := scores[i*k+c]
			if m.Whiten {
				s *= math.Sqrt(m.ExplainedVariance[c])
			}
			v := m.Components[c*p : (c+1)*p]
			for j := range x {
				x[j] += s * v[j]
			}
		}
		for j := range x {
			if m.Scale != nil {
				x[j] *= m.Scale[j]
			}
			x[j] += m.Mean[j]
		}
	}
	return out
}

// Open opens a file for one pass: HDF5 (by its signature; the only 2-D
// dataset) or .npy, compressed or not. Raw binary needs OpenBinary.
func Open(path string) (chunk.Reader, error) {
	return stream.Source{Path: path}.Open(0)
}

// OpenHDF5 opens a 2-D numeric dataset of an HDF5 file ("" picks the only
// 2-D dataset) for one pass.
func OpenHDF5(path, dataset string) (chunk.Reader, error) {
	// The chunk cache is sized for the blocks Fit reads, which depend on the
	// width: learn it first, then open for real.
	r, err := hdf5io.Open(path, dataset, 0)
	if err != nil {
		return nil, err
	}
	cols := r.Info().Cols
	r.Close()
	return hdf5io.Open(path, dataset, stream.DefaultBlockRows(cols))
}

// OpenBinary opens raw little-endian binary of cols columns of dtype,
// optionally zstd, gzip or s2/snappy compressed (detected from the bytes).
func OpenBinary(path string, cols int, dtype chunk.DType) (chunk.Reader, error) {
	return chunk.Open(path, chunk.Options{Cols: cols, DType: dtype})
}

// FromMatrix returns a reader over an in-memory rows×cols row-major
// matrix (it is not copied). It panics if the sizes disagree.
func FromMatrix(rows, cols int, data []float64) chunk.Reader {
	if rows < 1 || cols < 1 || len(data) != rows*cols {
		panic(fmt.Sprintf("spca: FromMatrix: %d values for %d×%d", len(data), rows, cols))
	}
	return &matrixReader{info: chunk.Info{Name: "matrix", Format: "memory", Rows: int64(rows), Cols: cols, DType: chunk.Float64}, data: data}
}

type matrixReader struct {
	info chunk.Info
	data []float64
	next int
}

func (m *matrixReader) Info() chunk.Info { return m.info }

func (m *matrixReader) ReadRows(dst []float64) (int, error) {
	cols := m.info.Cols
	if len(dst) == 0 || len(dst)%cols != 0 {
		panic(fmt.Sprintf("spca: ReadRows: len(dst) = %d is not a positive multiple of %d columns", len(dst), cols))
	}
	if m.next >= len(m.data) {
		return 0, io.EOF
	}
	n := copy(dst, m.data[m.next:])
	m.next += n
	return n / cols, nil
}

func (m *matrixReader) Close() error { return nil }

// ReadModel loads a model file written by WriteModel or by spca fit.
func ReadModel(path string) (*Model, error) { return stream.ReadModel(path) }

// WriteModel saves m as an HDF5 model file at path, through a temporary
// file renamed into place: a failure leaves nothing behind.
func WriteModel(path string, m *Model) error {
	p, err := stream.NewPending(path)
	if err != nil {
		return err
	}
	if err := stream.WriteModel(p.Tmp, m); err != nil {
		p.Abort()
		return fmt.Errorf("%s: writing model: %w", path, err)
	}
	return p.Commit()
}
