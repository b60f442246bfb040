package stream

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"gonum.org/v1/gonum/mat"

	"github.com/spca/spca/chunk"
)

const fixtures = "../testdata/pca"

// readNpy reads a whole (small) fixture as float64 with its shape.
func readNpy(t *testing.T, path string) (rows, cols int, data []float64) {
	t.Helper()
	r, err := chunk.Open(path, chunk.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	info := r.Info()
	data = make([]float64, int(info.Rows)*info.Cols)
	n := 0
	for n < int(info.Rows) {
		m, err := r.ReadRows(data[n*info.Cols:])
		n += m
		if err != nil {
			t.Fatal(err)
		}
	}
	return int(info.Rows), info.Cols, data
}

// readVec reads a 1-D or 0-d fixture through a float64 raw view of the .npy
// payload (the last 8·len bytes), which the 1-D chunk reader would refuse.
func readVec(t *testing.T, path string) []float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hl := int(b[8]) | int(b[9])<<8
	payload := b[10+hl:]
	out := make([]float64, len(payload)/8)
	for i := range out {
		var u uint64
		for j := 7; j >= 0; j-- {
			u = u<<8 | uint64(payload[8*i+j])
		}
		out[i] = math.Float64frombits(u)
	}
	return out
}

// inMemoryPCA is the independent oracle: two-pass covariance of the whole
// matrix in memory, full eigendecomposition by gonum's float64 LAPACK
// (Dsyev), descending, with the sign rule.
func inMemoryPCA(x []float64, n, p, k int) (vals, vecs []float64) {
	mean := make([]float64, p)
	for i := 0; i < n; i++ {
		for j := 0; j < p; j++ {
			mean[j] += x[i*p+j]
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	xc := mat.NewDense(n, p, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < p; j++ {
			xc.Set(i, j, x[i*p+j]-mean[j])
		}
	}
	var c mat.SymDense
	c.SymOuterK(1/float64(n-1), xc.T())
	var es mat.EigenSym
	if !es.Factorize(&c, true) {
		panic("EigenSym failed")
	}
	w := es.Values(nil)
	var v mat.Dense
	es.VectorsTo(&v)
	vals = make([]float64, k)
	vecs = make([]float64, k*p)
	for i := 0; i < k; i++ {
		vals[i] = w[p-1-i]
		for j := 0; j < p; j++ {
			vecs[i*p+j] = v.At(j, p-1-i)
		}
	}
	applySignRule(vecs, k, p)
	return vals, vecs
}

func relErr(got, want []float64) float64 {
	worst := 0.0
	for i := range want {
		d := math.Abs(got[i] - want[i])
		if s := math.Abs(want[i]); s > 0 {
			d /= s
		}
		worst = math.Max(worst, d)
	}
	return worst
}

func absErr(got, want []float64) float64 {
	worst := 0.0
	for i := range want {
		worst = math.Max(worst, math.Abs(got[i]-want[i]))
	}
	return worst
}

type pcaCase struct {
	name string
	k    int
}

var pcaCases = []pcaCase{{"tall_f64", 5}, {"tall_f32", 4}, {"uint8_img", 8}, {"wide", 10}}

func fit(t *testing.T, src Source, k, threads, blockRows int) *Model {
	t.Helper()
	m, err := Fit(context.Background(), src, FitOptions{Options: Options{Threads: threads, BlockRows: blockRows}, Selection: Selection{K: k}})
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return m
}

// TestFitMatchesOracles: every input format, block size and thread count
// gives the in-memory LAPACK eigenpairs (1e-10 relative) and scikit-learn's
// fitted attributes.
func TestFitMatchesOracles(t *testing.T) {
	for _, c := range pcaCases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(fixtures, c.name)
			n, p, x := readNpy(t, filepath.Join(dir, "X.npy"))
			vals, vecs := inMemoryPCA(x, n, p, c.k)
			skVar := readVec(t, filepath.Join(dir, "explained_variance.npy"))
			skRatio := readVec(t, filepath.Join(dir, "explained_variance_ratio.npy"))
			skSV := readVec(t, filepath.Join(dir, "singular_values.npy"))
			skMean := readVec(t, filepath.Join(dir, "mean.npy"))
			skNoise := readVec(t, filepath.Join(dir, "noise_variance.npy"))[0]
			_, _, skComp := readNpy(t, filepath.Join(dir, "components.npy"))
			for _, src := range []Source{{Path: filepath.Join(dir, "X.npy")}, {Path: filepath.Join(dir, "X.h5")}} {
				for _, br := range []int{1, 7, 64, n + 5} {
					for _, threads := range []int{1, 3} {
						m := fit(t, src, c.k, threads, br)
						tag := func(what string) string {
							return src.Path + " block " + itoa(br) + " threads " + itoa(threads) + ": " + what
						}
						if m.NSamples != int64(n) || m.NFeatures != p || m.NComponents != c.k {
							t.Fatalf("%s shape n=%d p=%d k=%d", tag(""), m.NSamples, m.NFeatures, m.NComponents)
						}
						if e := relErr(m.ExplainedVariance, vals); e > 1e-10 {
							t.Errorf("%s eigenvalues vs LAPACK rel err %g", tag(""), e)
						}
						if e := absErr(m.Components, vecs); e > 1e-10 {
							t.Errorf("%s components vs LAPACK abs err %g", tag(""), e)
						}
						if e := relErr(m.ExplainedVariance, skVar); e > 1e-10 {
							t.Errorf("%s explained_variance vs sklearn %g", tag(""), e)
						}
						if e := relErr(m.ExplainedVarianceRatio, skRatio); e > 1e-10 {
							t.Errorf("%s ratio vs sklearn %g", tag(""), e)
						}
						if e := relErr(m.SingularValues, skSV); e > 1e-10 {
							t.Errorf("%s singular values vs sklearn %g", tag(""), e)
						}
						if e := relErr(m.Mean, skMean); e > 1e-12 {
							t.Errorf("%s mean vs sklearn %g", tag(""), e)
						}
						if e := math.Abs(m.NoiseVariance-skNoise) / skNoise; e > 1e-8 {
							t.Errorf("%s noise variance %g vs sklearn %g", tag(""), m.NoiseVariance, skNoise)
						}
						if e := absErr(m.Components, skComp); e > 1e-8 {
							t.Errorf("%s components vs sklearn abs err %g", tag(""), e)
						}
						if lim := 1e-12 * float64(p); m.Residual > lim || m.Orthogonality > lim {
							t.Errorf("%s certificate residual %g orthogonality %g above %g", tag(""), m.Residual, m.Orthogonality, lim)
						}
					}
				}
			}
		})
	}
}

// TestThreadsBitIdentical: the model does not depend on the thread count.
func TestThreadsBitIdentical(t *testing.T) {
	src := Source{Path: filepath.Join(fixtures, "uint8_img", "X.h5")}
	ref := fit(t, src, 8, 1, 16)
	for _, threads := range []int{2, 3, 8} {
		m := fit(t, src, 8, threads, 16)
		for name, pair := range map[string][2][]float64{
			"components": {ref.Components, m.Components},
			"variance":   {ref.ExplainedVariance, m.ExplainedVariance},
			"mean":       {ref.Mean, m.Mean},
		} {
			for i := range pair[0] {
				if math.Float64bits(pair[0][i]) != math.Float64bits(pair[1][i]) {
					t.Fatalf("threads %d: %s[%d] = %v, threads 1 gave %v", threads, name, i, pair[1][i], pair[0][i])
				}
			}
		}
	}
}

// TestCompressedAndRawInputs: the same numbers from zstd, gzip, s2 and snappy
// streams, raw binary with --cols/--dtype, and standard-input-like streams.
func TestCompressedAndRawInputs(t *testing.T) {
	dir := filepath.Join(fixtures, "tall_f32")
	n, p, x := readNpy(t, filepath.Join(dir, "X.npy"))
	vals, vecs := inMemoryPCA(x, n, p, 4)
	npyBytes, err := os.ReadFile(filepath.Join(dir, "X.npy"))
	if err != nil {
		t.Fatal(err)
	}
	hl := int(npyBytes[8]) | int(npyBytes[9])<<8
	raw := npyBytes[10+hl:]
	tmp := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(tmp, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	compress := func(kind string, data []byte) []byte {
		var buf bytes.Buffer
		var w io.WriteCloser
		switch kind {
		case "zstd":
			w, _ = zstd.NewWriter(&buf)
		case "gzip":
			w = gzip.NewWriter(&buf)
		case "s2":
			w = s2.NewWriter(&buf)
		case "snappy":
			w = s2.NewWriter(&buf, s2.WriterSnappyCompat())
		}
		w.Write(data)
		w.Close()
		return buf.Bytes()
	}
	var srcs []Source
	srcs = append(srcs, Source{Path: write("x.f32", raw), Cols: p, DType: chunk.Float32})
	for _, kind := range []string{"zstd", "gzip", "s2", "snappy"} {
		// Suffixes deliberately lie: detection is by magic bytes.
		srcs = append(srcs, Source{Path: write("npy-"+kind+".dat", compress(kind, npyBytes))})
		srcs = append(srcs, Source{Path: write("raw-"+kind+".bin", compress(kind, raw)), Cols: p, DType: chunk.Float32})
	}
	for _, src := range srcs {
		m := fit(t, src, 4, 2, 13)
		if e := relErr(m.ExplainedVariance, vals); e > 1e-10 {
			t.Errorf("%s: eigenvalues rel err %g", src.Path, e)
		}
		if e := absErr(m.Components, vecs); e > 1e-10 {
			t.Errorf("%s: components abs err %g", src.Path, e)
		}
	}
}

// TestCancellation: mean 1e5, spread 1e-5; variances exact to 1e-6 relative
// (fixture computed with rational arithmetic).
func TestCancellation(t *testing.T) {
	dir := filepath.Join(fixtures, "cancel")
	want := readVec(t, filepath.Join(dir, "variances.npy"))
	wantEig := readVec(t, filepath.Join(dir, "eigvals_all.npy"))
	for _, br := range []int{1, 10, 1000, 5000} {
		st, _, err := Accumulate(context.Background(), Source{Path: filepath.Join(dir, "X.npy")}, Options{Threads: 2, BlockRows: br})
		if err != nil {
			t.Fatal(err)
		}
		c := st.CovarianceTo(nil)
		p := st.P
		for j := 0; j < p; j++ {
			if e := math.Abs(c[j*p+j]-want[j]) / want[j]; e > 1e-6 {
				t.Errorf("block %d: variance %d = %g, want %g (rel %g)", br, j, c[j*p+j], want[j], e)
			}
		}
		m, err := Solve(st, Selection{K: p}, false)
		if err != nil {
			t.Fatal(err)
		}
		if e := relErr(m.ExplainedVariance, wantEig); e > 1e-6 {
			t.Errorf("block %d: eigenvalues rel err %g", br, e)
		}
	}
}

// TestScaled: correlation PCA against scikit-learn on standardized data,
// with a zero-variance column reported and left unscaled.
func TestScaled(t *testing.T) {
	dir := filepath.Join(fixtures, "scaled")
	m, err := Fit(context.Background(), Source{Path: filepath.Join(dir, "X.h5")}, FitOptions{Selection: Selection{K: 3}, Scale: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, chk := range []struct {
		name string
		got  []float64
		tol  float64
	}{
		{"explained_variance", m.ExplainedVariance, 1e-10},
		{"explained_variance_ratio", m.ExplainedVarianceRatio, 1e-10},
		{"scale", m.Scale, 1e-12},
		{"mean", m.Mean, 1e-12},
	} {
		if e := relErr(chk.got, readVec(t, filepath.Join(dir, chk.name+".npy"))); e > chk.tol {
			t.Errorf("%s rel err %g", chk.name, e)
		}
	}
	_, _, comp := readNpy(t, filepath.Join(dir, "components.npy"))
	if e := absErr(m.Components, comp); e > 1e-9 {
		t.Errorf("components abs err %g", e)
	}
	if len(m.ZeroVarianceColumns) != 1 || m.ZeroVarianceColumns[0] != 2 {
		t.Errorf("zero-variance columns %v, want [2]", m.ZeroVarianceColumns)
	}
}

// TestVarianceSelection: --variance picks the smallest k reaching F.
func TestVarianceSelection(t *testing.T) {
	dir := filepath.Join(fixtures, "tall_f64")
	all := readVec(t, filepath.Join(dir, "eigvals_all.npy"))
	total := 0.0
	for _, v := range all {
		total += v
	}
	for _, f := range []float64{0.5, 0.85, 0.99, 1} {
		want, cum := 0, 0.0
		for i, v := range all {
			cum += v
			if cum/total >= f*(1-1e-15) {
				want = i + 1
				break
			}
		}
		m, err := Fit(context.Background(), Source{Path: filepath.Join(dir, "X.npy")}, FitOptions{Selection: Selection{Variance: f}})
		if err != nil {
			t.Fatal(err)
		}
		if m.NComponents != want {
			t.Errorf("variance %g: k = %d, want %d", f, m.NComponents, want)
		}
	}
}

func itoa(v int) string {
	return string(appendInt(nil, v))
}

func appendInt(b []byte, v int) []byte {
	if v >= 10 {
		b = appendInt(b, v/10)
	}
	return append(b, byte('0'+v%10))
}

// TestEveryDType: raw input of each dtype gives the in-memory LAPACK
// eigenpairs of the same values converted to float64, and the residual
// ‖CV − VΛ‖/‖C‖ computed here from the in-memory covariance is tiny.
func TestEveryDType(t *testing.T) {
	const n, p, k = 300, 6, 3
	for _, dt := range []chunk.DType{chunk.Float32, chunk.Float64, chunk.Int8, chunk.Int16, chunk.Int32, chunk.Int64,
		chunk.Uint8, chunk.Uint16, chunk.Uint32, chunk.Uint64} {
		vals := make([]float64, n*p)
		raw := make([]byte, 0, n*p*dt.Size())
		for i := 0; i < n; i++ {
			for j := 0; j < p; j++ {
				// Correlated columns, values exact in every dtype (0..100).
				v := float64((i*7+j*j*3+(i%(j+2))*11)%50 + (i%13)*(j+1)%50)
				vals[i*p+j] = v
				switch dt.Size() {
				case 1:
					raw = append(raw, byte(v))
				case 2:
					raw = binary.LittleEndian.AppendUint16(raw, uint16(v))
				case 4:
					if dt == chunk.Float32 {
						raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(float32(v)))
					} else {
						raw = binary.LittleEndian.AppendUint32(raw, uint32(v))
					}
				case 8:
					if dt == chunk.Float64 {
						raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(v))
					} else {
						raw = binary.LittleEndian.AppendUint64(raw, uint64(v))
					}
				}
			}
		}
		path := filepath.Join(t.TempDir(), "x."+dt.String())
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		m := fit(t, Source{Path: path, Cols: p, DType: dt}, k, 2, 17)
		wantVals, wantVecs := inMemoryPCA(vals, n, p, k)
		if e := relErr(m.ExplainedVariance, wantVals); e > 1e-10 {
			t.Errorf("%s: eigenvalues rel err %g", dt, e)
		}
		if e := absErr(m.Components, wantVecs); e > 1e-10 {
			t.Errorf("%s: components abs err %g", dt, e)
		}
		if r := independentResidual(vals, n, p, m); r > 1e-12*p {
			t.Errorf("%s: residual vs in-memory covariance %g", dt, r)
		}
	}
}

// independentResidual is ‖CV − VΛ‖_F/‖C‖_F with C computed in memory.
func independentResidual(x []float64, n, p int, m *Model) float64 {
	mean := make([]float64, p)
	for i := 0; i < n; i++ {
		for j := 0; j < p; j++ {
			mean[j] += x[i*p+j] / float64(n)
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
	v := mat.NewDense(m.NComponents, p, m.Components)
	var cv mat.Dense
	cv.Mul(&c, v.T())
	for i := 0; i < m.NComponents; i++ {
		for j := 0; j < p; j++ {
			cv.Set(j, i, cv.At(j, i)-m.ExplainedVariance[i]*v.At(i, j))
		}
	}
	return mat.Norm(&cv, 2) / mat.Norm(&c, 2)
}
