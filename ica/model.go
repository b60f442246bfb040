package ica

import (
	"fmt"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/hdf5io"
)

// Method is the model file's method attribute for an ICA model; spca
// transform recognises ICA models by it.
const Method = "fastica"

// Model is a fitted FastICA. The field names follow scikit-learn's FastICA
// attributes (components_, mixing_, mean_, whitening_, n_iter_), so the
// model file maps onto a Python FastICA(whiten="unit-variance") object:
// components = unmixing·whitening, sources S = (X − mean)·componentsᵀ have
// unit variance (1/n denominator), and mixing = pinv(components).
type Model struct {
	NSamples    int64 // n: rows read (columns of the file with Transpose)
	NFeatures   int   // p
	NComponents int   // k

	Components []float64 // k×p unmixing in the original space
	Mixing     []float64 // p×k, the pseudo-inverse of Components
	Mean       []float64 // p column means
	Whitening  []float64 // k×p: vᵢᵀ/dᵢ, dᵢ = sqrt(λᵢ(n−1)), each row's first non-zero entry positive
	Unmixing   []float64 // k×k: Components = Unmixing·Whitening
	Skewness   []float64 // of each source, ≥ 0 unless below SkewTie
	Negentropy []float64 // (E[G(y)] − E[G(ν)])², decreasing
	// PCAVariance holds the whitening PCA's top-k eigenvalues, λ₁ ≥ … ≥ λ_k.
	PCAVariance []float64

	Fun        Fun
	Algorithm  Algorithm
	Tol        float64
	MaxIter    int
	Seed       uint64 // seed of the random starting matrix (unused when GivenInit)
	GivenInit  bool   // the starting matrix was given (w_init)
	NIter      int    // iterations run (deflation: the most any component needed)
	Converged  bool   // the last change fell below Tol (deflation: for every component)
	LastChange float64
	Transpose  bool // fitted to the transpose of the input (columns as samples)

	// Not stored in the model file.
	InMemory bool    // the iterations read the in-memory whitened copy
	Passes   int     // passes over the data (input or in-memory copy)
	Seconds  float64 // wall time of the fit
}

func (m *Model) String() string {
	return fmt.Sprintf("FastICA(fun=%s, algorithm=%s, n=%d, p=%d, k=%d)", m.Fun, m.Algorithm, m.NSamples, m.NFeatures, m.NComponents)
}

// WriteModel writes m as HDF5 at path (the caller makes path a temporary
// file). Datasets: components (k×p), mixing (p×k), mean, whitening (k×p),
// unmixing (k×k), skewness, negentropy, pca_variance. Root attributes:
// method = "fastica", n_samples, n_features, n_components, n_iter,
// converged, last_change, fun, algorithm, tol, max_iter, seed, w_init_given,
// whiten = "unit-variance", transpose.
func WriteModel(path string, m *Model) (err error) {
	w, err := hdf5io.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if e := w.Close(); err == nil {
			err = e
		}
	}()
	k, p := m.NComponents, m.NFeatures
	steps := []func() error{
		func() error { return w.WriteMatrix("components", k, p, m.Components) },
		func() error { return w.WriteMatrix("mixing", p, k, m.Mixing) },
		func() error { return w.WriteVector("mean", m.Mean) },
		func() error { return w.WriteMatrix("whitening", k, p, m.Whitening) },
		func() error { return w.WriteMatrix("unmixing", k, k, m.Unmixing) },
		func() error { return w.WriteVector("skewness", m.Skewness) },
		func() error { return w.WriteVector("negentropy", m.Negentropy) },
		func() error { return w.WriteVector("pca_variance", m.PCAVariance) },
		func() error { return w.SetAttrString("method", Method) },
		func() error { return w.SetAttrInt("n_samples", m.NSamples) },
		func() error { return w.SetAttrInt("n_features", int64(p)) },
		func() error { return w.SetAttrInt("n_components", int64(k)) },
		func() error { return w.SetAttrInt("n_iter", int64(m.NIter)) },
		func() error { return w.SetAttrInt("converged", b2i(m.Converged)) },
		func() error { return w.SetAttrFloat("last_change", m.LastChange) },
		func() error { return w.SetAttrString("fun", m.Fun.String()) },
		func() error { return w.SetAttrString("algorithm", m.Algorithm.String()) },
		func() error { return w.SetAttrFloat("tol", m.Tol) },
		func() error { return w.SetAttrInt("max_iter", int64(m.MaxIter)) },
		func() error { return w.SetAttrInt("seed", int64(m.Seed)) },
		func() error { return w.SetAttrInt("w_init_given", b2i(m.GivenInit)) },
		func() error { return w.SetAttrString("whiten", "unit-variance") },
		func() error { return w.SetAttrInt("transpose", b2i(m.Transpose)) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// IsModel reports whether path is an HDF5 file whose method attribute
// says it holds an ICA model.
func IsModel(path string) bool {
	if !hdf5io.IsHDF5(path) {
		return false
	}
	f, err := hdf5io.OpenFile(path)
	if err != nil {
		return false
	}
	defer f.Close()
	s, err := f.AttrString("method")
	return err == nil && s == Method
}

// ReadModel reads a model written by WriteModel, checking that its parts
// agree in shape. Errors are *chunk.Error naming path.
func ReadModel(path string) (*Model, error) {
	f, err := hdf5io.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	bad := func(format string, args ...any) error {
		return chunk.Errorf(path, "not a valid spca ICA model: "+format, args...)
	}
	if s, err := f.AttrString("method"); err != nil || s != Method {
		return nil, bad("method attribute is %q, want %q", s, Method)
	}
	m := &Model{}
	var k, p int
	if k, p, m.Components, err = f.ReadMatrix("components"); err != nil {
		return nil, bad("%v", err)
	}
	if k < 1 || p < 1 {
		return nil, bad("components is %d x %d", k, p)
	}
	m.NComponents, m.NFeatures = k, p
	for _, v := range []struct {
		name       string
		dst        *[]float64
		rows, cols int
	}{
		{"mixing", &m.Mixing, p, k},
		{"whitening", &m.Whitening, k, p},
		{"unmixing", &m.Unmixing, k, k},
		{"mean", &m.Mean, p, 1},
		{"skewness", &m.Skewness, k, 1},
		{"negentropy", &m.Negentropy, k, 1},
		{"pca_variance", &m.PCAVariance, k, 1},
	} {
		r, c, d, err := f.ReadMatrix(v.name)
		if err != nil {
			return nil, bad("%v", err)
		}
		if r != v.rows || c != v.cols {
			return nil, bad("%s is %d x %d, want %d x %d", v.name, r, c, v.rows, v.cols)
		}
		*v.dst = d
	}
	ints := []struct {
		name string
		dst  *int64
	}{{"n_samples", &m.NSamples}}
	for _, v := range ints {
		if *v.dst, err = f.AttrInt(v.name); err != nil {
			return nil, bad("%v", err)
		}
	}
	if n, err := f.AttrInt("n_features"); err != nil || n != int64(p) {
		return nil, bad("n_features %d does not match components (%d columns)", n, p)
	}
	get := func(name string) int64 {
		v, e := f.AttrInt(name)
		if e != nil && err == nil {
			err = e
		}
		return v
	}
	m.NIter = int(get("n_iter"))
	m.Converged = get("converged") != 0
	m.MaxIter = int(get("max_iter"))
	m.Seed = uint64(get("seed"))
	m.GivenInit = get("w_init_given") != 0
	m.Transpose = get("transpose") != 0
	if err != nil {
		return nil, bad("%v", err)
	}
	if m.LastChange, err = f.AttrFloat("last_change"); err != nil {
		return nil, bad("%v", err)
	}
	if m.Tol, err = f.AttrFloat("tol"); err != nil {
		return nil, bad("%v", err)
	}
	s, err := f.AttrString("fun")
	if err == nil {
		m.Fun, err = ParseFun(s)
	}
	if err != nil {
		return nil, bad("%v", err)
	}
	s, err = f.AttrString("algorithm")
	if err == nil {
		m.Algorithm, err = ParseAlgorithm(s)
	}
	if err != nil {
		return nil, bad("%v", err)
	}
	return m, nil
}
