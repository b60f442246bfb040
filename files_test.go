package spca_test

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spca/spca"
	"github.com/spca/spca/chunk"
)

// writeRaw writes x as raw little-endian float64 and returns the File.
func writeRaw(t *testing.T, x []float64, cols int) spca.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.f64")
	raw := make([]byte, 0, 8*len(x))
	for _, v := range x {
		raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(v))
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return spca.File{Path: path, Cols: cols, DType: chunk.Float64}
}

// TestFitFileRoutes: every route of FitFile agrees with the in-memory
// one-pass Fit on a wide matrix with a decaying spectrum, and auto says
// what it chose and why.
func TestFitFileRoutes(t *testing.T) {
	const n, p, k = 40, 300, 5
	rng := rand.New(rand.NewPCG(11, 3))
	x := make([]float64, n*p)
	for i := range x {
		x[i] = rng.NormFloat64()*10/float64(1+i%p) + 3
	}
	ctx := context.Background()
	ref, err := spca.Fit(ctx, spca.FromMatrix(n, p, x), spca.WithComponents(k))
	if err != nil {
		t.Fatal(err)
	}
	f := writeRaw(t, x, p)
	for _, c := range []struct {
		opts        []spca.Option
		method      string
		vals, comps float64 // tolerances
	}{
		{[]spca.Option{spca.WithMethod("gram")}, "gram", 1e-12, 1e-10},
		{[]spca.Option{spca.WithMaxMemory(1 << 20)}, "dual", 1e-10, 1e-8}, // auto: p×p does not fit
		{[]spca.Option{spca.WithMethod("dual")}, "dual", 1e-10, 1e-8},
		{[]spca.Option{spca.WithMethod("randomized"), spca.WithRandomized(spca.DefaultRandomized)}, "randomized", 1e-8, 1e-6},
	} {
		m, err := spca.FitFile(ctx, f, append(c.opts, spca.WithComponents(k))...)
		if err != nil {
			t.Fatalf("%s: %v", c.method, err)
		}
		if m.Method != c.method || m.NSamples != n || m.NFeatures != p || len(m.Residuals) != k {
			t.Fatalf("%s: method %q, n %d, p %d, %d residuals", c.method, m.Method, m.NSamples, m.NFeatures, len(m.Residuals))
		}
		for i := 0; i < k; i++ {
			if d := math.Abs(m.ExplainedVariance[i]-ref.ExplainedVariance[i]) / ref.ExplainedVariance[i]; d > c.vals {
				t.Errorf("%s: eigenvalue %d off by %.2g", c.method, i, d)
			}
			if d := math.Abs(m.ExplainedVarianceRatio[i]-ref.ExplainedVarianceRatio[i]) / ref.ExplainedVarianceRatio[i]; d > c.vals {
				t.Errorf("%s: ratio %d off by %.2g", c.method, i, d)
			}
			for j := 0; j < p; j++ {
				if d := math.Abs(m.Components[i*p+j] - ref.Components[i*p+j]); d > c.comps {
					t.Fatalf("%s: component %d entry %d off by %.2g", c.method, i, j, d)
				}
			}
			if c.method == "randomized" && !(m.Residuals[i] <= spca.DefaultRandomized.Tol) {
				t.Errorf("randomized: residual %d = %g above the default tolerance", i, m.Residuals[i])
			}
		}
	}
	auto, err := spca.FitFile(ctx, f, spca.WithComponents(k), spca.WithMaxMemory(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	if auto.Method != "dual" || !strings.Contains(auto.MethodReason, "column slabs") {
		t.Errorf("auto's reason %q does not explain its choice", auto.MethodReason)
	}
}

func TestFitFileErrors(t *testing.T) {
	ctx := context.Background()
	x := randomMatrix(20, 3, 1)
	if _, err := spca.Fit(ctx, spca.FromMatrix(20, 3, x), spca.WithMethod("dual")); err == nil || !strings.Contains(err.Error(), "FitFile") {
		t.Errorf("Fit with the dual route: %v", err)
	}
	if _, err := spca.Fit(ctx, spca.FromMatrix(20, 3, x), spca.WithMethod("svd")); err == nil {
		t.Error("WithMethod(svd) accepted")
	}
	if _, err := spca.Fit(ctx, spca.FromMatrix(20, 3, x), spca.WithRandomized(spca.RandomizedOptions{Tol: -1})); err == nil {
		t.Error("negative Tol accepted")
	}
	m, err := spca.Fit(ctx, spca.FromMatrix(20, 3, x), spca.WithMethod("gram"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := spca.Transform(ctx, m, spca.FromMatrix(20, 3, x), spca.WithMethod("gram")); err == nil {
		t.Error("Transform accepted WithMethod")
	}
	_, err = spca.FitFile(ctx, spca.File{Path: filepath.Join(t.TempDir(), "missing.npy")})
	if !chunk.IsInputError(err) || !strings.Contains(err.Error(), "missing.npy") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := spca.FitFile(ctx, spca.File{Path: "-"}); err == nil {
		t.Error("FitFile accepted standard input")
	}
}
