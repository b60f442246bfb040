package spca

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/stream"
)

// File names an input that FitFile may read more than once, as the dual
// and randomized routes do: an HDF5 file (Dataset "" picks the only 2-D
// dataset), a .npy file, or raw little-endian binary (Cols and DType),
// compressed or not.
type File struct {
	Path    string
	Dataset string
	Cols    int
	DType   chunk.DType
}

// RandomizedOptions tune the randomized route (see WithRandomized).
type RandomizedOptions = stream.RandomizedOptions

// DefaultRandomized is the randomized route's default tuning, as the spca
// command uses it: 10 extra basis columns, 4 power iterations, then more
// (up to 60) until every residual is at most 1e-6; seed 0.
var DefaultRandomized = RandomizedOptions{
	Oversampling:  stream.DefaultOversampling,
	Iterations:    stream.DefaultIterations,
	Tol:           stream.DefaultTol,
	MaxIterations: stream.DefaultMaxIterations,
}

// WithMethod picks FitFile's route: "auto" (the default: gram when its p×p
// matrices fit the memory budget and p ≤ n or p ≤ 2048, else dual when the
// input gives column slabs and its n×n matrices fit, else randomized),
// "gram", "dual" or "randomized". Fit, which reads its reader once, takes
// only "auto" and "gram".
func WithMethod(name string) Option {
	return func(c *config) error {
		if !slices.Contains(stream.Methods, name) {
			return fmt.Errorf("spca: WithMethod(%q): want one of %s", name, strings.Join(stream.Methods, ", "))
		}
		c.method = name
		c.fitOption("WithMethod")
		return nil
	}
}

// WithRandomized sets the randomized route's tuning (start from
// DefaultRandomized). It implies nothing about the route: combine it with
// WithMethod("randomized"), or let auto choose.
func WithRandomized(o RandomizedOptions) Option {
	return func(c *config) error {
		if o.Oversampling < 0 || o.Iterations < 0 || o.MaxIterations < 0 || !(o.Tol >= 0) {
			return fmt.Errorf("spca: WithRandomized(%+v): counts and Tol must be ≥ 0", o)
		}
		c.randomized, c.randomizedSet = o, true
		c.fitOption("WithRandomized")
		return nil
	}
}

// FitFile fits f by the route WithMethod names (auto by default) and
// returns the model; Model.Method says which route ran and, for auto,
// Model.MethodReason why. Every route gives the same model file layout,
// the same sign rule and explained-variance ratios relative to the exact
// total variance; Model.Residuals certifies each component. WithMaxMemory
// is auto's budget (default half the RAM). Bad input gives a *chunk.Error
// naming the file.
func FitFile(ctx context.Context, f File, opts ...Option) (*Model, error) {
	c, err := configure(opts)
	if err != nil {
		return nil, err
	}
	if f.Path == "" || f.Path == "-" {
		return nil, fmt.Errorf("spca: FitFile needs a file path; for a stream use Fit with a reader")
	}
	src := stream.Source{Path: f.Path, Dataset: f.Dataset, Cols: f.Cols, DType: f.DType}
	sel := c.sel
	if !c.selected {
		sel.K = -1 // min(10, n, p), resolved once n and p are known
	}
	ro := DefaultRandomized
	if c.randomizedSet {
		ro = c.randomized
	}
	budget := stream.MemoryBudget()
	if c.opt.MaxMemory > 0 {
		budget = c.opt.MaxMemory
	}
	method := c.method
	if method == "" {
		method = "auto"
	}
	plan, err := stream.ChooseMethod(src, method, c.opt, sel, ro.Oversampling, budget)
	if err != nil {
		return nil, err
	}
	fitted, err := stream.FitPlan(ctx, src, plan, stream.FitOptions{Options: c.opt, Selection: sel, Scale: c.scale}, ro)
	if err != nil {
		return nil, err
	}
	m := fitted.Model
	m.MethodReason = plan.Reason
	m.Whiten = c.whiten
	return m, nil
}
