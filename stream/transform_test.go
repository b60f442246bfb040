package stream

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
)

type memRows struct{ data []float64 }

func (m *memRows) WriteRows(d []float64) error { m.data = append(m.data, d...); return nil }

// TestTransformHeldOut: scores and reconstruction error of a held-out set
// match scikit-learn's transform / inverse_transform.
func TestTransformHeldOut(t *testing.T) {
	dir := filepath.Join(fixtures, "tall_f64")
	m := fit(t, Source{Path: filepath.Join(dir, "X.npy")}, 5, 2, 64)
	_, _, want := readNpy(t, filepath.Join(dir, "test_scores.npy"))
	for _, threads := range []int{1, 3} {
		var got memRows
		res, err := m.Transform(context.Background(), Source{Path: filepath.Join(dir, "test.npy")},
			TransformOptions{Options: Options{Threads: threads, BlockRows: 7}, Error: true}, &got)
		if err != nil {
			t.Fatal(err)
		}
		if res.Rows != 50 {
			t.Fatalf("rows %d", res.Rows)
		}
		if e := absErr(got.data, want); e > 1e-9 {
			t.Errorf("threads %d: test scores abs err %g", threads, e)
		}
		mae := readVec(t, filepath.Join(dir, "test_mae.npy"))[0]
		rmse := readVec(t, filepath.Join(dir, "test_rmse.npy"))[0]
		if math.Abs(res.MAE-mae)/mae > 1e-9 || math.Abs(res.RMSE-rmse)/rmse > 1e-9 {
			t.Errorf("threads %d: MAE %g RMSE %g, sklearn %g %g", threads, res.MAE, res.RMSE, mae, rmse)
		}
	}
}

// TestTransformTrainAndWhiten: training scores, plain and whitened, for
// every fixture case (scaled included).
func TestTransformTrainAndWhiten(t *testing.T) {
	cases := append([]pcaCase{}, pcaCases...)
	cases = append(cases, pcaCase{"scaled", 3})
	for _, c := range cases {
		dir := filepath.Join(fixtures, c.name)
		src := Source{Path: filepath.Join(dir, "X.h5")}
		m, err := Fit(context.Background(), src, FitOptions{Selection: Selection{K: c.k}, Scale: c.name == "scaled"})
		if err != nil {
			t.Fatal(err)
		}
		for _, whiten := range []bool{false, true} {
			var got memRows
			if _, err := m.Transform(context.Background(), src, TransformOptions{Whiten: whiten}, &got); err != nil {
				t.Fatal(err)
			}
			name := "scores.npy"
			if whiten {
				name = "scores_whiten.npy"
			}
			_, _, want := readNpy(t, filepath.Join(dir, name))
			scale := 0.0
			for _, v := range want {
				scale = math.Max(scale, math.Abs(v))
			}
			if e := absErr(got.data, want) / scale; e > 1e-9 {
				t.Errorf("%s whiten=%v: scores rel err %g", c.name, whiten, e)
			}
		}
	}
}

// TestModelFileRoundTrip: what WriteModel stores, ReadModel returns.
func TestModelFileRoundTrip(t *testing.T) {
	dir := filepath.Join(fixtures, "scaled")
	m, err := Fit(context.Background(), Source{Path: filepath.Join(dir, "X.npy")}, FitOptions{Selection: Selection{K: 2}, Scale: true})
	if err != nil {
		t.Fatal(err)
	}
	m.Whiten = true
	path := filepath.Join(t.TempDir(), "model.h5")
	if err := WriteModel(path, m); err != nil {
		t.Fatal(err)
	}
	got, err := ReadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.NSamples != m.NSamples || got.NFeatures != m.NFeatures || got.NComponents != m.NComponents ||
		got.NoiseVariance != m.NoiseVariance || got.TotalVariance != m.TotalVariance || got.Method != m.Method || !got.Whiten {
		t.Errorf("attributes differ: %+v vs %+v", got, m)
	}
	for name, pair := range map[string][2][]float64{
		"components": {got.Components, m.Components}, "ev": {got.ExplainedVariance, m.ExplainedVariance},
		"ratio": {got.ExplainedVarianceRatio, m.ExplainedVarianceRatio}, "sv": {got.SingularValues, m.SingularValues},
		"mean": {got.Mean, m.Mean}, "scale": {got.Scale, m.Scale},
	} {
		if len(pair[0]) != len(pair[1]) || absErr(pair[0], pair[1]) != 0 {
			t.Errorf("%s differs after round trip", name)
		}
	}
}

// TestModelFileBytesIdentical: the model file written after a 1-thread fit
// and after a 3-thread fit are the same bytes (no timestamps in the file).
func TestModelFileBytesIdentical(t *testing.T) {
	src := Source{Path: filepath.Join(fixtures, "uint8_img", "X.npy")}
	dir := t.TempDir()
	var files [][]byte
	for i, threads := range []int{1, 3} {
		m := fit(t, src, 8, threads, 32)
		path := filepath.Join(dir, "m"+itoa(i)+".h5")
		if err := WriteModel(path, m); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Errorf("model files differ between --threads 1 and --threads 3")
	}
}

// TestPendingMode: an output gets 0666 less the umask, not CreateTemp's 0600.
func TestPendingMode(t *testing.T) {
	p, err := NewPending(filepath.Join(t.TempDir(), "out.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p.Final)
	if err != nil {
		t.Fatal(err)
	}
	if want := 0o666 &^ umask; st.Mode().Perm() != want {
		t.Errorf("mode %v, want %v", st.Mode().Perm(), want)
	}
}
