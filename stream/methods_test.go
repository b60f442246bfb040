package stream

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
	"gonum.org/v1/gonum/mat"

	"github.com/spca/spca/chunk"
)

// lowRank returns an n×p matrix Σ_t g_t·decay^t·h_tᵀ + noise·E + mean with
// Gaussian g, h and E: a spectrum decaying geometrically over r directions
// above a flat noise floor.
func lowRank(n, p, r int, decay, noise float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	g := make([]float64, n*r)
	h := make([]float64, r*p)
	for i := range g {
		g[i] = rng.NormFloat64()
	}
	s := 1.0
	for t := 0; t < r; t++ {
		for j := 0; j < p; j++ {
			h[t*p+j] = rng.NormFloat64() * s / math.Sqrt(float64(p))
		}
		s *= decay
	}
	x := make([]float64, n*p)
	mat.NewDense(n, p, x).Mul(mat.NewDense(n, r, g), mat.NewDense(r, p, h))
	for i := range x {
		x[i] += noise*rng.NormFloat64()/math.Sqrt(float64(p)) + 3 + float64(i%p%5)
	}
	return x
}

// writeNpy writes x (n×p float64) as a .npy file and returns its path.
func writeNpy(t testing.TB, dir, name string, x []float64, n, p int) string {
	t.Helper()
	path := filepath.Join(dir, name)
	w, err := CreateScores(path, path, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRows(x[:n*p]); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// oracle is the independent in-memory answer for the centred matrix Xc
// (two-pass mean). With svd it is the thin SVD (LAPACK's dgesdd, or gonum's
// Dgesvd in the pure-Go build): λ = σ²/(n−1), components the right singular
// vectors. Without, it is gonum's full symmetric eigensolver (Dsyev) on the
// smaller of XcᵀXc and XcXcᵀ formed in memory, with v = Xcᵀu/σ for the
// latter: cheaper at the full sizes, and still a different algorithm from
// every streaming route. The sign rule is applied to the components.
func oracle(t testing.TB, x []float64, n, p, k int, svd bool) (vals, vecs []float64, total float64) {
	t.Helper()
	xc := make([]float64, n*p)
	mean := make([]float64, p)
	for i := 0; i < n; i++ {
		for j := 0; j < p; j++ {
			mean[j] += x[i*p+j]
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	for i := 0; i < n; i++ {
		for j := 0; j < p; j++ {
			d := x[i*p+j] - mean[j]
			xc[i*p+j] = d
			total += d * d
		}
	}
	total /= float64(n - 1)
	vals = make([]float64, k)
	switch {
	case svd:
		var s []float64
		s, vecs = thinSVD(t, xc, n, p, k)
		for i := range vals {
			vals[i] = s[i] * s[i] / float64(n-1)
		}
	case p <= n:
		vals, vecs = inMemoryPCA(x, n, p, k)
		return vals, vecs, total
	default:
		a := mat.NewDense(n, p, xc)
		var g mat.SymDense
		g.SymOuterK(1, a) // XcXcᵀ
		var es mat.EigenSym
		if !es.Factorize(&g, true) {
			t.Fatal("EigenSym failed")
		}
		w := es.Values(nil)
		var u mat.Dense
		es.VectorsTo(&u)
		vecs = make([]float64, k*p)
		for i := 0; i < k; i++ {
			sigma := math.Sqrt(w[n-1-i])
			vals[i] = w[n-1-i] / float64(n-1)
			var v mat.VecDense
			v.MulVec(a.T(), u.ColView(n-1-i))
			for j := 0; j < p; j++ {
				vecs[i*p+j] = v.AtVec(j) / sigma
			}
		}
	}
	applySignRule(vecs, k, p)
	return vals, vecs, total
}

// subspaceDist is ‖(I − AAᵀ)B‖_F for k×p row-orthonormal A and B: zero when
// they span the same subspace.
func subspaceDist(a, b []float64, k, p int) float64 {
	am := mat.NewDense(k, p, a)
	bm := mat.NewDense(k, p, b)
	var c mat.Dense
	c.Mul(am, bm.T()) // k×k = A·Bᵀ
	var proj mat.Dense
	proj.Mul(c.T(), am) // k×p = (A·Bᵀ)ᵀ·A: rows of B projected onto span A
	proj.Sub(bm, &proj)
	return mat.Norm(&proj, 2)
}

type methodRun struct {
	name string
	fit  func(t *testing.T, src Source, k, threads int) *Model
}

func fitGram(t *testing.T, src Source, k, threads int) *Model {
	t.Helper()
	m, err := Fit(context.Background(), src, FitOptions{Options: Options{Threads: threads}, Selection: Selection{K: k}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func fitDual(t *testing.T, src Source, k, threads int) *Model {
	t.Helper()
	m, _, _, err := FitDual(context.Background(), src, FitOptions{Options: Options{Threads: threads}, Selection: Selection{K: k}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func defaultRandomized() RandomizedOptions {
	return RandomizedOptions{Oversampling: DefaultOversampling, Iterations: DefaultIterations, Tol: DefaultTol,
		MaxIterations: DefaultMaxIterations, Seed: 1}
}

func fitRandomized(t *testing.T, src Source, k, threads int) *Model {
	t.Helper()
	m, _, err := FitRandomized(context.Background(), src, FitOptions{Options: Options{Threads: threads}, Selection: Selection{K: k}}, defaultRandomized())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// checkAgainstOracle compares a model with the in-memory SVD: eigenvalues
// to valTol relative, subspace to subTol, the exact trace, and a
// certificate that is small and consistent with the error.
func checkAgainstOracle(t *testing.T, tag string, m *Model, vals, vecs []float64, total float64, k, p int, valTol, subTol float64) {
	t.Helper()
	if m.NComponents != k || len(m.Residuals) != k {
		t.Fatalf("%s: k=%d with %d residuals, want %d", tag, m.NComponents, len(m.Residuals), k)
	}
	if e := relErr(m.ExplainedVariance, vals); e > valTol {
		t.Errorf("%s: eigenvalues rel err %.3g > %.1g", tag, e, valTol)
	}
	if d := subspaceDist(vecs, m.Components, k, p); d > subTol {
		t.Errorf("%s: subspace distance %.3g > %.1g", tag, d, subTol)
	}
	if e := math.Abs(m.TotalVariance-total) / total; e > 1e-12 {
		t.Errorf("%s: total variance %.17g, exact %.17g", tag, m.TotalVariance, total)
	}
	for i, r := range m.Residuals {
		if !(r <= subTol) {
			t.Errorf("%s: residual %d = %.3g > %.1g", tag, i, r, subTol)
		}
	}
	if m.Orthogonality > 1e-12 {
		t.Errorf("%s: orthogonality %.3g", tag, m.Orthogonality)
	}
}

// methodsOnShapes: dual, gram and randomized against the in-memory SVD on a
// wide and a tall matrix. gram is run where p² fits, dual where n² fits.
func methodsOnShapes(t *testing.T, wideN, wideP, tallN, tallP int, svd bool) {
	dir := t.TempDir()
	type shape struct {
		name    string
		n, p, k int
		methods []methodRun
	}
	shapes := []shape{
		{"wide", wideN, wideP, 10, []methodRun{{"dual", fitDual}, {"randomized", fitRandomized}}},
		{"tall", tallN, tallP, 10, []methodRun{{"gram", fitGram}, {"randomized", fitRandomized}}},
		{"tall-dual", min(tallN/10, 2000), tallP, 10, []methodRun{{"gram", fitGram}, {"dual", fitDual}}},
	}
	if wideP*wideP*8*4 < 1<<30 {
		shapes[0].methods = append(shapes[0].methods, methodRun{"gram", fitGram})
	}
	for si, s := range shapes {
		x := lowRank(s.n, s.p, 30, 0.8, 1e-3, uint64(si+1))
		vals, vecs, total := oracle(t, x, s.n, s.p, s.k, svd)
		path := writeNpy(t, dir, s.name+".npy", x, s.n, s.p)
		for _, mr := range s.methods {
			m := mr.fit(t, Source{Path: path}, s.k, 2)
			tag := s.name + " " + mr.name
			if m.Method != mr.name {
				t.Errorf("%s: Method = %q", tag, m.Method)
			}
			valTol, subTol := 1e-10, 1e-8
			if mr.name == "randomized" {
				valTol = 1e-8
			}
			checkAgainstOracle(t, tag, m, vals, vecs, total, s.k, s.p, valTol, subTol)
		}
	}
}

// TestMethodsAgree runs the comparison against the thin SVD at sizes the
// race detector can afford; TestMethodsFullSize (methods_full_test.go) at
// the sizes against in-memory eigensolves.
func TestMethodsAgree(t *testing.T) {
	methodsOnShapes(t, 60, 1500, 1500, 60, true)
}

// TestMethodsOnFixtures: dual and randomized reproduce scikit-learn's
// fitted attributes on the committed fixtures, from .npy and HDF5.
func TestMethodsOnFixtures(t *testing.T) {
	for _, c := range pcaCases {
		dir := filepath.Join(fixtures, c.name)
		skVar := readVec(t, filepath.Join(dir, "explained_variance.npy"))
		skRatio := readVec(t, filepath.Join(dir, "explained_variance_ratio.npy"))
		skMean := readVec(t, filepath.Join(dir, "mean.npy"))
		skNoise := readVec(t, filepath.Join(dir, "noise_variance.npy"))[0]
		_, _, skComp := readNpy(t, filepath.Join(dir, "components.npy"))
		for _, src := range []Source{{Path: filepath.Join(dir, "X.npy")}, {Path: filepath.Join(dir, "X.h5")}} {
			for _, mr := range []methodRun{{"dual", fitDual}, {"randomized", fitRandomized}} {
				tag := c.name + " " + filepath.Base(src.Path) + " " + mr.name
				m := mr.fit(t, src, c.k, 3)
				tol := 1e-10
				if mr.name == "randomized" {
					tol = 1e-8
				}
				if e := relErr(m.ExplainedVariance, skVar); e > tol {
					t.Errorf("%s: explained_variance vs sklearn %.3g", tag, e)
				}
				if e := relErr(m.ExplainedVarianceRatio, skRatio); e > tol {
					t.Errorf("%s: ratio vs sklearn %.3g", tag, e)
				}
				if e := relErr(m.Mean, skMean); e > 1e-12 {
					t.Errorf("%s: mean vs sklearn %.3g", tag, e)
				}
				if e := math.Abs(m.NoiseVariance-skNoise) / skNoise; e > 1e-8 {
					t.Errorf("%s: noise variance %g vs sklearn %g", tag, m.NoiseVariance, skNoise)
				}
				if e := absErr(m.Components, skComp); e > 1e-6 {
					t.Errorf("%s: components vs sklearn abs err %.3g", tag, e)
				}
			}
		}
	}
}

// TestMethodsThreadsBitIdentical: dual and randomized models do not depend
// on the thread count.
func TestMethodsThreadsBitIdentical(t *testing.T) {
	x := lowRank(80, 300, 20, 0.8, 1e-2, 9)
	path := writeNpy(t, t.TempDir(), "x.npy", x, 80, 300)
	for _, mr := range []methodRun{{"dual", fitDual}, {"randomized", fitRandomized}} {
		a := mr.fit(t, Source{Path: path}, 6, 1)
		b := mr.fit(t, Source{Path: path}, 6, 4)
		for i := range a.Components {
			if math.Float64bits(a.Components[i]) != math.Float64bits(b.Components[i]) {
				t.Fatalf("%s: component value %d differs between 1 and 4 threads", mr.name, i)
			}
		}
		for i := range a.ExplainedVariance {
			if math.Float64bits(a.ExplainedVariance[i]) != math.Float64bits(b.ExplainedVariance[i]) {
				t.Fatalf("%s: eigenvalue %d differs between 1 and 4 threads", mr.name, i)
			}
		}
	}
}

// TestRandomizedFlatSpectrumCertificate: on pure noise (no gap) a few
// iterations cannot converge; the certificate must say so, and what it
// says must be the true residual ‖Cv − λv‖/λ computed in memory.
func TestRandomizedFlatSpectrumCertificate(t *testing.T) {
	const n, p, k = 200, 80, 5
	rng := rand.New(rand.NewPCG(3, 3))
	x := make([]float64, n*p)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	path := writeNpy(t, t.TempDir(), "flat.npy", x, n, p)
	ro := RandomizedOptions{Oversampling: 2, Iterations: 1, Seed: 5}
	m, _, err := FitRandomized(context.Background(), Source{Path: path}, FitOptions{Selection: Selection{K: k}}, ro)
	if err != nil {
		t.Fatal(err)
	}
	if m.Passes != 2 {
		t.Errorf("passes = %d, want 2", m.Passes)
	}
	// The true residuals from the in-memory covariance.
	mean := make([]float64, p)
	for i := 0; i < n; i++ {
		for j := 0; j < p; j++ {
			mean[j] += x[i*p+j] / n
		}
	}
	xc := mat.NewDense(n, p, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < p; j++ {
			xc.Set(i, j, x[i*p+j]-mean[j])
		}
	}
	var c mat.Dense
	c.Mul(xc.T(), xc)
	c.Scale(1/float64(n-1), &c)
	worst := 0.0
	for i := 0; i < k; i++ {
		v := mat.NewVecDense(p, m.Components[i*p:i*p+p])
		var cv mat.VecDense
		cv.MulVec(&c, v)
		cv.AddScaledVec(&cv, -m.ExplainedVariance[i], v)
		truth := mat.Norm(&cv, 2) / m.ExplainedVariance[i]
		if math.Abs(truth-m.Residuals[i]) > 1e-8*truth {
			t.Errorf("component %d: certificate %.6g, true residual %.6g", i, m.Residuals[i], truth)
		}
		worst = max(worst, truth)
	}
	if worst < 1e-3 {
		t.Errorf("a flat spectrum converged to %.3g in 2 passes: the test no longer shows an unconverged fit", worst)
	}
	// With a tolerance the same start keeps iterating and the certificate improves.
	ro.Tol, ro.MaxIterations = 1e-2, 200
	m2, _, err := FitRandomized(context.Background(), Source{Path: path}, FitOptions{Selection: Selection{K: k}}, ro)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range m2.Residuals {
		if r > 1e-2 {
			t.Errorf("--tol 1e-2: residual %d = %.3g after %d passes", i, r, m2.Passes)
		}
	}
	if m2.Passes <= 2 {
		t.Errorf("--tol 1e-2 made %d passes, want more than 2", m2.Passes)
	}
}

// TestRandomizedCompressedAndScaled: compressed streams work, and correlation
// PCA matches the gram route.
func TestRandomizedCompressedAndScaled(t *testing.T) {
	const n, p, k = 400, 50, 4
	x := lowRank(n, p, 10, 0.6, 1e-2, 4)
	for j := 0; j < p; j++ { // columns on very different scales
		for i := 0; i < n; i++ {
			x[i*p+j] *= float64(1 + j%4*100)
		}
	}
	dir := t.TempDir()
	path := writeNpy(t, dir, "x.npy", x, n, p)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc, _ := zstd.NewWriter(&buf)
	enc.Write(raw)
	enc.Close()
	zpath := filepath.Join(dir, "x.npy.zst")
	if err := os.WriteFile(zpath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, scale := range []bool{false, true} {
		want, err := Fit(context.Background(), Source{Path: path}, FitOptions{Selection: Selection{K: k}, Scale: scale})
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := FitRandomized(context.Background(), Source{Path: zpath}, FitOptions{Selection: Selection{K: k}, Scale: scale}, defaultRandomized())
		if err != nil {
			t.Fatal(err)
		}
		if e := relErr(got.ExplainedVariance, want.ExplainedVariance); e > 1e-8 {
			t.Errorf("scale=%v: eigenvalues rel err %.3g", scale, e)
		}
		if d := subspaceDist(want.Components, got.Components, k, p); d > 1e-7 {
			t.Errorf("scale=%v: subspace distance %.3g", scale, d)
		}
		if e := math.Abs(got.TotalVariance-want.TotalVariance) / want.TotalVariance; e > 1e-12 {
			t.Errorf("scale=%v: total variance %g vs %g", scale, got.TotalVariance, want.TotalVariance)
		}
		dual, _, _, err := FitDual(context.Background(), Source{Path: path}, FitOptions{Selection: Selection{K: k}, Scale: scale})
		if err != nil {
			t.Fatal(err)
		}
		if e := relErr(dual.ExplainedVariance, want.ExplainedVariance); e > 1e-10 {
			t.Errorf("scale=%v: dual eigenvalues rel err %.3g", scale, e)
		}
		if e := absErr(dual.Components, want.Components); e > 1e-9 {
			t.Errorf("scale=%v: dual components abs err %.3g", scale, e)
		}
		if scale {
			if e := relErr(dual.Scale, want.Scale); e > 1e-12 {
				t.Errorf("dual scale rel err %.3g", e)
			}
		}
	}
	// The dual route refuses the compressed file and points to randomized.
	_, _, _, err = FitDual(context.Background(), Source{Path: zpath}, FitOptions{Selection: Selection{K: k}})
	if !errors.Is(err, chunk.ErrNoColumns) || !chunk.IsInputError(err) || !bytes.Contains([]byte(err.Error()), []byte("randomized")) {
		t.Errorf("dual on zstd: %v", err)
	}
}

// TestDualScoresAndErrors: dual scores equal the projection pass's, a NaN
// is reported with its row and column, k = n is refused.
func TestDualScoresAndErrors(t *testing.T) {
	const n, p, k = 40, 200, 5
	x := lowRank(n, p, 10, 0.7, 1e-2, 6)
	dir := t.TempDir()
	path := writeNpy(t, dir, "x.npy", x, n, p)
	m, f, _, err := FitDual(context.Background(), Source{Path: path}, FitOptions{Selection: Selection{K: k}})
	if err != nil {
		t.Fatal(err)
	}
	for _, whiten := range []bool{false, true} {
		m.Whiten = whiten
		var direct, projected memRows
		if err := f.WriteScores(m, &direct); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Transform(context.Background(), Source{Path: path}, TransformOptions{}, &projected); err != nil {
			t.Fatal(err)
		}
		if len(direct.data) != n*k || absErr(direct.data, projected.data) > 1e-10 {
			t.Errorf("whiten=%v: dual scores differ from the projection by %.3g", whiten, absErr(direct.data, projected.data))
		}
	}
	x[17*p+123] = math.NaN()
	bad := writeNpy(t, dir, "bad.npy", x, n, p)
	_, _, _, err = FitDual(context.Background(), Source{Path: bad}, FitOptions{Selection: Selection{K: k}})
	var ce *chunk.Error
	if !errors.As(err, &ce) || ce.Row != 17 || !errors.Is(err, chunk.ErrNotFinite) || !bytes.Contains([]byte(err.Error()), []byte("column 123")) {
		t.Errorf("NaN: %v", err)
	}
	_, _, err = FitRandomized(context.Background(), Source{Path: bad}, FitOptions{Selection: Selection{K: k}}, defaultRandomized())
	if !errors.As(err, &ce) || ce.Row != 17 || !errors.Is(err, chunk.ErrNotFinite) {
		t.Errorf("randomized NaN: %v", err)
	}
	_, _, _, err = FitDual(context.Background(), Source{Path: path}, FitOptions{Selection: Selection{K: n}})
	if !errors.Is(err, ErrBadK) || !chunk.IsInputError(err) {
		t.Errorf("k = n: %v", err)
	}
}
