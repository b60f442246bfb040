package ica

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/spca/spca/chunk"

	"github.com/spca/spca/stream"
)

// cocktail returns n samples of three sources (sine, square wave, sawtooth,
// plus a little Gaussian noise), their mixtures x = s·Mᵀ with the issue's
// M = [[.7,.2,.1],[.1,.7,.2],[.2,.1,.7]], and M.
func cocktail(n int) (s, x, mix []float64) {
	mix = []float64{.7, .2, .1, .1, .7, .2, .2, .1, .7}
	rng := rand.New(rand.NewPCG(7, 7))
	s = make([]float64, n*3)
	x = make([]float64, n*3)
	for i := 0; i < n; i++ {
		t := 8 * float64(i) / float64(n)
		s[i*3+0] = math.Sin(2*t) + 0.05*rng.NormFloat64()
		sq := 1.0
		if math.Sin(3*t) < 0 {
			sq = -1
		}
		s[i*3+1] = sq + 0.05*rng.NormFloat64()
		s[i*3+2] = 2*(t*1.7-math.Floor(t*1.7)) - 1 + 0.05*rng.NormFloat64()
		for r := 0; r < 3; r++ {
			for c := 0; c < 3; c++ {
				x[i*3+r] += mix[r*3+c] * s[i*3+c]
			}
		}
	}
	return s, x, mix
}

func corr(a, b []float64, n, stride, ia, ib int) float64 {
	var ma, mb float64
	for i := 0; i < n; i++ {
		ma += a[i*stride+ia]
		mb += b[i*stride+ib]
	}
	ma /= float64(n)
	mb /= float64(n)
	var sab, saa, sbb float64
	for i := 0; i < n; i++ {
		da, db := a[i*stride+ia]-ma, b[i*stride+ib]-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	return sab / math.Sqrt(saa*sbb)
}

// writeRaw writes row-major float64 values as a raw little-endian file.
func writeRaw(t testing.TB, vals []float64) string {
	t.Helper()
	b := make([]byte, 8*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	}
	path := filepath.Join(t.TempDir(), "x.f64")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// amari is the Amari index of a k×k matrix P, in [0, 1]: 0 exactly when P
// is a scaled permutation.
func amari(pm []float64, k int) float64 {
	var s float64
	for i := 0; i < k; i++ {
		rowMax, colMax := 0.0, 0.0
		for j := 0; j < k; j++ {
			rowMax = max(rowMax, math.Abs(pm[i*k+j]))
			colMax = max(colMax, math.Abs(pm[j*k+i]))
		}
		var rs, cs float64
		for j := 0; j < k; j++ {
			rs += math.Abs(pm[i*k+j]) / rowMax
			cs += math.Abs(pm[j*k+i]) / colMax
		}
		s += rs - 1 + cs - 1
	}
	return s / (2 * float64(k) * float64(k-1))
}

// sources computes (X − mean)·componentsᵀ in memory, the oracle for Transform.
func sources(m *Model, x []float64, n int) []float64 {
	p, k := m.NFeatures, m.NComponents
	s := make([]float64, n*k)
	for i := 0; i < n; i++ {
		for c := 0; c < k; c++ {
			v := 0.0
			for j := 0; j < p; j++ {
				v += (x[i*p+j] - m.Mean[j]) * m.Components[c*p+j]
			}
			s[i*k+c] = v
		}
	}
	return s
}

// TestCocktailParty: sine, square and sawtooth mixed by the matrix
// come back: each recovered source correlates ≥ 0.99 in |r| with exactly
// one true source, and the Amari index of components·M (true sources
// scaled to unit variance) is below 0.05; for both algorithms and every
// contrast function (the case, parallel logcosh, on 100 000
// samples, the others on 20 000 to keep the race-detector run short).
func TestCocktailParty(t *testing.T) {
	cocktailCase(t, LogCosh, []Algorithm{Parallel}, 100000)
	cocktailCase(t, LogCosh, []Algorithm{Deflation}, 20000)
	cocktailCase(t, Exp, []Algorithm{Parallel, Deflation}, 20000)
	cocktailCase(t, Cube, []Algorithm{Parallel, Deflation}, 20000)
}

func cocktailCase(t *testing.T, fun Fun, algs []Algorithm, n int) {
	s, x, mix := cocktail(n)
	path := writeRaw(t, x)
	// M' = M·diag(sd(s)): the mixing of unit-variance true sources.
	var sd [3]float64
	for c := 0; c < 3; c++ {
		var mu, v float64
		for i := 0; i < n; i++ {
			mu += s[i*3+c]
		}
		mu /= float64(n)
		for i := 0; i < n; i++ {
			v += (s[i*3+c] - mu) * (s[i*3+c] - mu)
		}
		sd[c] = math.Sqrt(v / float64(n))
	}
	{
		for _, alg := range algs {
			t.Run(fun.String()+"/"+alg.String(), func(t *testing.T) {
				m, err := Fit(context.Background(), stream.Source{Path: path, Cols: 3, DType: chunk.Float64},
					Options{K: 3, Fun: fun, Algorithm: alg, Tol: 1e-6, Seed: 1})
				if err != nil {
					t.Fatal(err)
				}
				if !m.Converged {
					t.Errorf("not converged after %d iterations (last change %g)", m.NIter, m.LastChange)
				}
				est := sources(m, x, n)
				for e := 0; e < 3; e++ {
					hits := 0
					for c := 0; c < 3; c++ {
						if r := math.Abs(corr(est, s, n, 3, e, c)); r >= 0.99 {
							hits++
						}
					}
					if hits != 1 {
						t.Errorf("source %d correlates ≥ 0.99 with %d true sources", e, hits)
					}
				}
				pm := make([]float64, 9)
				for i := 0; i < 3; i++ {
					for j := 0; j < 3; j++ {
						for q := 0; q < 3; q++ {
							pm[i*3+j] += m.Components[i*3+q] * mix[q*3+j] * sd[j]
						}
					}
				}
				if a := amari(pm, 3); !(a < 0.05) {
					t.Errorf("Amari index %.3g ≥ 0.05", a)
				} else {
					t.Logf("Amari index %.2g after %d iterations", a, m.NIter)
				}
				checkRule(t, m, est, n)
			})
		}
	}
}

// checkRule checks the documented output rule on in-memory sources:
// unit variance (1/n), positive skewness, decreasing negentropy.
func checkRule(t *testing.T, m *Model, est []float64, n int) {
	t.Helper()
	k := m.NComponents
	for c := 0; c < k; c++ {
		var mu, v, m3 float64
		for i := 0; i < n; i++ {
			mu += est[i*k+c]
		}
		mu /= float64(n)
		for i := 0; i < n; i++ {
			d := est[i*k+c] - mu
			v += d * d
			m3 += d * d * d
		}
		v /= float64(n)
		if math.Abs(v-1) > 1e-9 || math.Abs(mu) > 1e-9 {
			t.Errorf("source %d: mean %g, variance %.12g, want 0 and 1", c, mu, v)
		}
		skew := m3 / float64(n) / math.Pow(v, 1.5)
		if math.Abs(skew-m.Skewness[c]) > 1e-9 {
			t.Errorf("source %d: skewness %g, model says %g", c, skew, m.Skewness[c])
		}
		if !(skew > 0) && math.Abs(skew) > SkewTie {
			t.Errorf("source %d: skewness %g is negative", c, skew)
		}
		if c > 0 && m.Negentropy[c] > m.Negentropy[c-1] {
			t.Errorf("negentropy not decreasing: %v", m.Negentropy)
		}
	}
	// mixing is the pseudo-inverse: components·mixing = I.
	p := m.NFeatures
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			v := 0.0
			for q := 0; q < p; q++ {
				v += m.Components[i*p+q] * m.Mixing[q*k+j]
			}
			if i == j {
				v--
			}
			if math.Abs(v) > 1e-10 {
				t.Errorf("components·mixing − I [%d,%d] = %g", i, j, v)
			}
		}
	}
}

// TestStreamingEqualsInMemory: iterating over the input (Memory < 0,
// whitening each block on the fly) and over the in-memory whitened copy
// give bit-identical models, for any thread count and both algorithms.
func TestStreamingEqualsInMemory(t *testing.T) {
	const n = 8000
	_, x, _ := cocktail(n)
	src := stream.Source{Path: writeRaw(t, x), Cols: 3, DType: chunk.Float64}
	for _, alg := range []Algorithm{Parallel, Deflation} {
		var ref *Model
		for _, c := range []struct {
			mem     int64
			threads int
		}{{0, 1}, {-1, 1}, {-1, 3}, {1 << 30, 4}, {8*n*3 - 1, 2}} {
			m, err := Fit(context.Background(), src, Options{K: 3, Algorithm: alg, Tol: 1e-5, MaxIter: 6, Seed: 3,
				Memory: c.mem, Options: stream.Options{Threads: c.threads, BlockRows: 997}})
			if err != nil {
				t.Fatal(err)
			}
			if m.InMemory != (c.mem == 0 || c.mem >= 8*n*3) {
				t.Errorf("memory %d: in memory = %v", c.mem, m.InMemory)
			}
			if ref == nil {
				ref = m
				continue
			}
			for i := range ref.Components {
				if m.Components[i] != ref.Components[i] || m.Mixing[i] != ref.Mixing[i] {
					t.Fatalf("%v memory %d threads %d: components differ from the first run at %d: %v vs %v",
						alg, c.mem, c.threads, i, m.Components[i], ref.Components[i])
				}
			}
			if m.NIter != ref.NIter || m.LastChange != ref.LastChange || m.Converged != ref.Converged {
				t.Errorf("iterations differ: %d %g %v vs %d %g %v", m.NIter, m.LastChange, m.Converged, ref.NIter, ref.LastChange, ref.Converged)
			}
		}
		if ref.InMemory && ref.Passes != 3+ref.NIter && alg == Parallel {
			t.Errorf("in memory: %d passes for %d iterations, want gram + whiten + iterations + statistics", ref.Passes, ref.NIter)
		}
	}
}

// TestNonConvergence: stopping at max_iter is a result, not an error.
func TestNonConvergence(t *testing.T) {
	const n = 5000
	_, x, _ := cocktail(n)
	m, err := Fit(context.Background(), &Matrix{Name: "x", Rows: n, Cols: 3, Data: x}, Options{K: 3, Tol: 1e-12, MaxIter: 2})
	if err != nil {
		t.Fatal(err)
	}
	if m.Converged || m.NIter != 2 || !(m.LastChange >= 1e-12) {
		t.Errorf("converged %v after %d iterations, last change %g", m.Converged, m.NIter, m.LastChange)
	}
}

func TestRankDeficient(t *testing.T) {
	const n = 500
	x := make([]float64, n*3)
	for i := 0; i < n; i++ {
		a, b := math.Sin(float64(i)), math.Cos(float64(i)*0.3)
		x[i*3], x[i*3+1], x[i*3+2] = a, b, a+b // rank 2
	}
	_, err := Fit(context.Background(), &Matrix{Name: "flat.npy", Rows: n, Cols: 3, Data: x}, Options{K: 3})
	if !errors.Is(err, ErrRank) || !chunk.IsInputError(err) || !strings.Contains(err.Error(), "flat.npy") {
		t.Errorf("rank 2 data, k = 3: %v", err)
	}
	if _, err := Fit(context.Background(), &Matrix{Name: "flat.npy", Rows: n, Cols: 3, Data: x}, Options{K: 2, MaxIter: 5}); err != nil {
		t.Errorf("rank 2 data, k = 2: %v", err)
	}
	if _, err := Fit(context.Background(), &Matrix{Name: "x", Rows: n, Cols: 3, Data: x}, Options{K: 4}); !errors.Is(err, stream.ErrBadK) || !chunk.IsInputError(err) {
		t.Errorf("k = 4 > p: %v", err)
	}
}

func TestNonFiniteLaterPass(t *testing.T) {
	const n = 3000
	_, x, _ := cocktail(n)
	m := &Matrix{Name: "x", Rows: n, Cols: 3, Data: x}
	model, err := Fit(context.Background(), m, Options{K: 3, MaxIter: 3})
	if err != nil {
		t.Fatal(err)
	}
	x[1234*3+1] = math.NaN()
	_, err = model.Transform(context.Background(), m, stream.Options{BlockRows: 100}, false, nil)
	if !errors.Is(err, chunk.ErrNotFinite) || !strings.Contains(err.Error(), "row 1234") {
		t.Errorf("transform over a NaN: %v", err)
	}
	// The streaming iterations whiten every block: the NaN is named there too.
	d := &whitened{name: "x", src: m, raw: true, n: n, p: 3, k: 3, mean: model.Mean, kw: model.Whitening, blockRows: 100, threads: 2}
	err = d.pass(context.Background(), "test", func() work { return &copyWork{dst: make([]float64, n*3), k: 3} })
	if !errors.Is(err, chunk.ErrNotFinite) || !strings.Contains(err.Error(), "row 1234") {
		t.Errorf("streaming pass over a NaN: %v", err)
	}
}

// TestTransformAndModelFile: the sources Transform writes equal the
// in-memory product, the reconstruction error is that of the projection,
// and the model file round-trips.
func TestTransformAndModelFile(t *testing.T) {
	const n = 4000
	_, x, _ := cocktail(n)
	src := &Matrix{Name: "x", Rows: n, Cols: 3, Data: x}
	m, err := Fit(context.Background(), src, Options{K: 2, Tol: 1e-6})
	if err != nil {
		t.Fatal(err)
	}
	var got collect
	res, err := m.Transform(context.Background(), src, stream.Options{BlockRows: 333, Threads: 3}, true, &got)
	if err != nil {
		t.Fatal(err)
	}
	want := sources(m, x, n)
	if res.Rows != n || len(got) != len(want) {
		t.Fatalf("%d rows, %d values", res.Rows, len(got))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("source value %d: %g, want %g", i, got[i], want[i])
		}
	}
	// Reconstruction error of the rank-2 projection, computed in memory.
	var abs float64
	for i := 0; i < n; i++ {
		for j := 0; j < 3; j++ {
			v := m.Mean[j]
			for c := 0; c < 2; c++ {
				v += want[i*2+c] * m.Mixing[j*2+c]
			}
			abs += math.Abs(v - x[i*3+j])
		}
	}
	if mae := abs / (3 * n); math.Abs(mae-res.MAE) > 1e-12*mae || !(mae > 0) {
		t.Errorf("MAE %g, want %g", res.MAE, mae)
	}
	checkRule(t, m, want, n)

	path := filepath.Join(t.TempDir(), "ica.h5")
	if err := WriteModel(path, m); err != nil {
		t.Fatal(err)
	}
	if !IsModel(path) {
		t.Error("IsModel false on an ICA model")
	}
	back, err := ReadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	m.InMemory, m.Passes, m.Seconds = false, 0, 0
	if !reflect.DeepEqual(back, m) {
		t.Errorf("round trip:\n%+v\n%+v", back, m)
	}
	if IsModel(filepath.Join(fixtures, "X.npy")) {
		t.Error("IsModel true on a .npy file")
	}
}

type collect []float64

func (c *collect) WriteRows(d []float64) error {
	*c = append(*c, d...)
	return nil
}

func TestLoadTransposed(t *testing.T) {
	const n, p = 37, 5
	x := make([]float64, n*p)
	for i := range x {
		x[i] = float64(i*7%13) + 0.5*float64(i)
	}
	path := writeRaw(t, x)
	src := stream.Source{Path: path, Cols: p, DType: chunk.Float64}
	m, err := LoadTransposed(context.Background(), src, 0)
	if err != nil {
		t.Fatal(err)
	}
	if m.Rows != p || m.Cols != n {
		t.Fatalf("shape %d x %d", m.Rows, m.Cols)
	}
	for i := 0; i < n; i++ {
		for j := 0; j < p; j++ {
			if m.Data[j*n+i] != x[i*p+j] {
				t.Fatalf("[%d,%d] = %g, want %g", j, i, m.Data[j*n+i], x[i*p+j])
			}
		}
	}
	if _, err := LoadTransposed(context.Background(), src, 2*n*p*8-1); !errors.Is(err, chunk.ErrShape) || !strings.Contains(err.Error(), "--memory") {
		t.Errorf("over budget: %v", err)
	}
	// A compressed raw stream does not say its length: read to the end,
	// within the budget.
	var zb bytes.Buffer
	zw, _ := zstd.NewWriter(&zb)
	raw, _ := os.ReadFile(path)
	zw.Write(raw)
	zw.Close()
	zpath := filepath.Join(t.TempDir(), "x.f64.zst")
	os.WriteFile(zpath, zb.Bytes(), 0o644)
	zsrc := stream.Source{Path: zpath, Cols: p, DType: chunk.Float64}
	zm, err := LoadTransposed(context.Background(), zsrc, 2*n*p*8)
	if err != nil || !reflect.DeepEqual(zm.Data, m.Data) {
		t.Errorf("zstd stream: %v", err)
	}
	if _, err := LoadTransposed(context.Background(), zsrc, 2*n*p*8-1); !errors.Is(err, chunk.ErrShape) {
		t.Errorf("zstd stream over budget: %v", err)
	}
	x[20*p+3] = math.Inf(1)
	if _, err := LoadTransposed(context.Background(), stream.Source{Path: writeRaw(t, x), Cols: p, DType: chunk.Float64}, 0); !errors.Is(err, chunk.ErrNotFinite) || !strings.Contains(err.Error(), "row 20") {
		t.Errorf("Inf: %v", err)
	}
}

// TestGaussianMean: E[log cosh ν] against scipy.integrate.quad
// (0.37456720749143807), and the closed forms.
func TestGaussianMean(t *testing.T) {
	if d := math.Abs(LogCosh.GaussianMean() - 0.37456720749143807); d > 1e-12 {
		t.Errorf("logcosh: off by %g", d)
	}
	if Exp.GaussianMean() != -1/math.Sqrt2 || Cube.GaussianMean() != 0.75 {
		t.Error("closed forms")
	}
	for _, u := range []float64{0, 0.3, -2, 40, -800} {
		if want := math.Log(math.Cosh(u)); !math.IsInf(want, 0) && math.Abs(LogCosh.G(u)-want) > 1e-13*max(1, math.Abs(want)) {
			t.Errorf("G(%g) = %g, want %g", u, LogCosh.G(u), want)
		}
	}
	if g := LogCosh.G(-800); math.IsInf(g, 0) || math.Abs(g-(800-math.Ln2)) > 1e-9 {
		t.Errorf("G(-800) = %g", g)
	}
}

// TestTwoGaussians: the seed's mixture (half the points with correlation
// +0.9, half −0.9), which is not a mix of independent sources, runs: not
// converging is a result, and the output rule still holds.
func TestTwoGaussians(t *testing.T) {
	const n = 4000
	rng := rand.New(rand.NewPCG(11, 12))
	x := make([]float64, n*2)
	for i := 0; i < n; i++ {
		// N(0, [[4, ±1.8], [±1.8, 1]]) by its Cholesky factor.
		a, b := rng.NormFloat64(), rng.NormFloat64()
		r := 0.9
		if i >= n/2 {
			r = -0.9
		}
		x[i*2] = 2 * a
		x[i*2+1] = r*a + math.Sqrt(1-r*r)*b
	}
	m, err := Fit(context.Background(), &Matrix{Name: "two", Rows: n, Cols: 2, Data: x}, Options{K: 2, Tol: 1e-7, MaxIter: 50, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if m.NIter < 1 || m.NIter > 50 || (m.NIter < 50) != m.Converged {
		t.Errorf("%d iterations, converged %v", m.NIter, m.Converged)
	}
	checkRule(t, m, sources(m, x, n), n)
}
