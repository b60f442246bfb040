package stream

import (
	"fmt"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/hdf5io"
)

// WriteModel writes m as an HDF5 file at path (the caller makes path a
// temporary file). Datasets: components (k×p), explained_variance,
// explained_variance_ratio, singular_values, mean, and scale when scaled.
// Attributes: n_samples, n_features, n_components, noise_variance,
// total_variance, method, whiten. The names are scikit-learn's, so a Python
// user can rebuild a PCA object from the file.
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
	steps := []func() error{
		func() error { return w.WriteMatrix("components", m.NComponents, m.NFeatures, m.Components) },
		func() error { return w.WriteVector("explained_variance", m.ExplainedVariance) },
		func() error { return w.WriteVector("explained_variance_ratio", m.ExplainedVarianceRatio) },
		func() error { return w.WriteVector("singular_values", m.SingularValues) },
		func() error { return w.WriteVector("mean", m.Mean) },
		func() error { return w.SetAttrInt("n_samples", m.NSamples) },
		func() error { return w.SetAttrInt("n_features", int64(m.NFeatures)) },
		func() error { return w.SetAttrInt("n_components", int64(m.NComponents)) },
		func() error { return w.SetAttrFloat("noise_variance", m.NoiseVariance) },
		func() error { return w.SetAttrFloat("total_variance", m.TotalVariance) },
		func() error { return w.SetAttrString("method", m.Method) },
		func() error { return w.SetAttrInt("whiten", b2i(m.Whiten)) },
	}
	if m.Scale != nil {
		steps = append(steps, func() error { return w.WriteVector("scale", m.Scale) })
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

// ReadModel reads a model file written by WriteModel, checking that its
// parts agree in shape.
func ReadModel(path string) (*Model, error) {
	f, err := hdf5io.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	bad := func(format string, args ...any) error {
		return chunk.Errorf(path, "not a valid spca model: "+format, args...)
	}
	m := &Model{}
	var k, p, rows, cols int
	if rows, cols, m.Components, err = f.ReadMatrix("components"); err != nil {
		return nil, bad("%v", err)
	}
	k, p = rows, cols
	for _, v := range []struct {
		name string
		dst  *[]float64
		n    int
	}{
		{"explained_variance", &m.ExplainedVariance, k},
		{"explained_variance_ratio", &m.ExplainedVarianceRatio, k},
		{"singular_values", &m.SingularValues, k},
		{"mean", &m.Mean, p},
	} {
		if *v.dst, err = f.ReadVector(v.name); err != nil {
			return nil, bad("%v", err)
		}
		if len(*v.dst) != v.n {
			return nil, bad("%s has %d values, want %d", v.name, len(*v.dst), v.n)
		}
	}
	if f.Has("scale") {
		if m.Scale, err = f.ReadVector("scale"); err != nil {
			return nil, bad("%v", err)
		}
		if len(m.Scale) != p {
			return nil, bad("scale has %d values, want %d", len(m.Scale), p)
		}
	}
	if m.NSamples, err = f.AttrInt("n_samples"); err != nil {
		return nil, bad("%v", err)
	}
	m.NFeatures, m.NComponents = p, k
	if m.NoiseVariance, err = f.AttrFloat("noise_variance"); err != nil {
		return nil, bad("%v", err)
	}
	if m.TotalVariance, err = f.AttrFloat("total_variance"); err != nil {
		return nil, bad("%v", err)
	}
	if m.Method, err = f.AttrString("method"); err != nil {
		return nil, bad("%v", err)
	}
	if w, err := f.AttrInt("whiten"); err == nil {
		m.Whiten = w != 0
	}
	if k < 1 || p < 1 {
		return nil, bad("components is %d x %d", k, p)
	}
	if n, err := f.AttrInt("n_features"); err != nil || n != int64(p) {
		return nil, bad("n_features %d does not match components (%d columns)", n, p)
	}
	return m, nil
}

// String is a short description used in messages.
func (m *Model) String() string {
	return fmt.Sprintf("PCA(method=%s, n=%d, p=%d, k=%d)", m.Method, m.NSamples, m.NFeatures, m.NComponents)
}
