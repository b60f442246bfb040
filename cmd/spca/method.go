package main

import (
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spca/spca/stream"
)

// methodFlags are fit's route flags: --method, --memory and the randomized
// route's knobs.
type methodFlags struct {
	method        string
	memory        string
	oversampling  int
	iterations    int
	tol           float64
	maxIterations int
	seed          uint64
}

func (m *methodFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&m.method, "method", "auto", "fitting `route`: auto, gram, dual or randomized (see above)")
	fs.StringVar(&m.memory, "memory", "", "memory `budget` for auto's choice and the routes' checks, e.g. 4G, 512M or bytes (default: half the RAM)")
	fs.IntVar(&m.oversampling, "oversampling", stream.DefaultOversampling, "randomized: extra basis `columns` beyond k")
	fs.IntVar(&m.iterations, "iterations", stream.DefaultIterations, "randomized: power iterations `q` (at least q+1 passes over the data)")
	fs.Float64Var(&m.tol, "tol", stream.DefaultTol, "randomized: iterate past --iterations until every residual ‖Cv − λv‖/λ is at most this `value` (0: exactly --iterations)")
	fs.IntVar(&m.maxIterations, "max-iterations", stream.DefaultMaxIterations, "randomized: cap on the power iterations that --tol may add")
	fs.Uint64Var(&m.seed, "seed", 0, "randomized: `seed` of the Gaussian start (same seed and input, same model)")
}

// resolve checks the flags and returns the requested plan, the randomized
// options and the memory budget.
func (m *methodFlags) resolve() (stream.Plan, stream.RandomizedOptions, int64, error) {
	ro := stream.RandomizedOptions{Oversampling: m.oversampling, Iterations: m.iterations, Tol: m.tol,
		MaxIterations: m.maxIterations, Seed: m.seed}
	if !slices.Contains(stream.Methods, m.method) {
		return stream.Plan{}, ro, 0, usageErr("--method %q: want %s", m.method, strings.Join(stream.Methods, ", "))
	}
	if m.oversampling < 0 || m.iterations < 0 || m.maxIterations < 0 {
		return stream.Plan{}, ro, 0, usageErr("--oversampling, --iterations and --max-iterations must be ≥ 0")
	}
	if !(m.tol >= 0) {
		return stream.Plan{}, ro, 0, usageErr("--tol must be ≥ 0, got %g", m.tol)
	}
	budget := stream.MemoryBudget()
	if m.memory != "" {
		b, err := parseBytes(m.memory, false)
		if err != nil {
			return stream.Plan{}, ro, 0, usageErr("--memory: %v", err)
		}
		budget = b
	}
	return stream.Plan{Method: m.method}, ro, budget, nil
}

// parseBytes reads a byte count: "123", "512M", "4G", "1.5GB", "2KiB", "2T"
// (powers of 1024; lower case accepted). Zero is accepted only with
// allowZero.
func parseBytes(s string, allowZero bool) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	mult := 1.0
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'T':
			mult = 1 << 40
		}
		if mult != 1 {
			t = t[:n-1]
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || !(v > 0 || allowZero && v == 0) || v*mult > 1<<62 {
		return 0, fmt.Errorf("%q is not a size such as 4G, 512M or 1000000", s)
	}
	return int64(v * mult), nil
}
