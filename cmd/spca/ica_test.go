package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/spca/spca/hdf5io"
	"github.com/spca/spca/ica"
)

const icaFixtures = "../../testdata/ica"

func icaJSONOut(t *testing.T, stdout string) map[string]any {
	t.Helper()
	var j map[string]any
	if err := json.Unmarshal([]byte(stdout), &j); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, stdout)
	}
	return j
}

// TestICAEndToEnd: spca ica from scikit-learn's starting matrix converges
// in scikit-learn's number of iterations; spca transform recognises the
// model and writes the same sources; info describes it.
func TestICAEndToEnd(t *testing.T) {
	out := t.TempDir()
	model := filepath.Join(out, "ica.h5")
	src := filepath.Join(out, "sources.npy")
	x := filepath.Join(icaFixtures, "X.npy")
	code, stdout, stderr := runCLI("ica", x, "-k", "3", "--w-init", filepath.Join(icaFixtures, "par_logcosh_conv", "w_init.npy"),
		"--tol", "1e-8", "--model", model, "--sources", src, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	j := icaJSONOut(t, stdout)
	for _, key := range []string{"n_samples", "n_features", "n_components", "n_iter", "converged", "last_change", "skewness", "negentropy", "method", "whitened_in_memory", "passes"} {
		if _, ok := j[key]; !ok {
			t.Errorf("JSON lacks %q", key)
		}
	}
	_, _, nIter := readNpyCLI(t, filepath.Join(icaFixtures, "par_logcosh_conv", "n_iter.npy"))
	if j["converged"] != true || j["n_iter"].(float64) != nIter[0] || j["method"] != "fastica" || j["n_samples"].(float64) != 3000 {
		t.Errorf("JSON: %s", stdout)
	}
	if stderr != "" {
		t.Errorf("stderr: %s", stderr)
	}
	again := filepath.Join(out, "again.npy")
	code, stdout, stderr = runCLI("transform", "--model", model, x, "--scores", again, "--error", "--json")
	if code != 0 {
		t.Fatalf("transform exit %d: %s", code, stderr)
	}
	tj := icaJSONOut(t, stdout)
	if tj["method"] != "fastica" || tj["n_components"].(float64) != 3 || !(tj["mae"].(float64) > 0) {
		t.Errorf("transform JSON: %s", stdout)
	}
	_, _, a := readNpyCLI(t, src)
	_, _, b := readNpyCLI(t, again)
	if !reflect.DeepEqual(a, b) {
		t.Error("spca transform's sources differ from spca ica --sources")
	}
	if code, _, stderr = runCLI("transform", "--model", model, x, "--scores", again, "--whiten"); code != 2 || !strings.Contains(stderr, "ICA model") {
		t.Errorf("--whiten on an ICA model: exit %d: %s", code, stderr)
	}
	code, stdout, _ = runCLI("info", model)
	if code != 0 || !strings.Contains(stdout, "spca ICA model") || !strings.Contains(stdout, "converged") {
		t.Errorf("info: exit %d\n%s", code, stdout)
	}
	// The human table: one row per source, the convergence line, files.
	code, stdout, _ = runCLI("ica", x, "-k", "2", "--seed", "4")
	if code != 0 || !strings.Contains(stdout, "negentropy") || !strings.Contains(stdout, "converged after") {
		t.Errorf("table: exit %d\n%s", code, stdout)
	}
}

func readNpyCLI(t *testing.T, path string) (int, int, []float64) {
	t.Helper()
	r, c, d, err := readSmallNpy(path)
	if err != nil {
		t.Fatal(err)
	}
	return r, c, d
}

// TestICANonConvergence: a warning, exit status 0, converged false, and
// the iterations and last change reported.
func TestICANonConvergence(t *testing.T) {
	out := t.TempDir()
	model := filepath.Join(out, "ica.h5")
	code, stdout, stderr := runCLI("ica", filepath.Join(icaFixtures, "X.npy"), "-k", "3", "--max-iter", "2", "--tol", "1e-14", "--model", model, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	j := icaJSONOut(t, stdout)
	if j["converged"] != false || j["n_iter"].(float64) != 2 || !(j["last_change"].(float64) > 0) {
		t.Errorf("JSON: %s", stdout)
	}
	if !strings.Contains(stderr, "warning") || !strings.Contains(stderr, "did not converge") || !strings.Contains(stderr, "2 iterations") {
		t.Errorf("stderr: %q", stderr)
	}
	m, err := ica.ReadModel(model)
	if err != nil || m.Converged || m.NIter != 2 {
		t.Errorf("model: %v %+v", err, m)
	}
}

// TestICAMemoryBudget: a tiny --memory makes every iteration read the
// input; the model is the same as from the in-memory whitened copy, for
// any --threads.
func TestICAMemoryBudget(t *testing.T) {
	out := t.TempDir()
	var ref *ica.Model
	for _, c := range []struct {
		mem, threads string
		inMemory     bool
	}{{"", "1", true}, {"1K", "1", false}, {"1k", "3", false}, {"1G", "2", true}} {
		model := filepath.Join(out, "m"+c.mem+c.threads+".h5")
		args := []string{"ica", filepath.Join(icaFixtures, "X.npy"), "-k", "3", "--algorithm", "deflation", "--fun", "exp",
			"--model", model, "--json", "--threads", c.threads, "--block-rows", "500"}
		if c.mem != "" {
			args = append(args, "--memory", c.mem)
		}
		code, stdout, stderr := runCLI(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		if j := icaJSONOut(t, stdout); j["whitened_in_memory"] != c.inMemory {
			t.Errorf("--memory %q: whitened_in_memory %v", c.mem, j["whitened_in_memory"])
		}
		m, err := ica.ReadModel(model)
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = m
		} else if !reflect.DeepEqual(m, ref) {
			t.Errorf("--memory %q --threads %s: model differs", c.mem, c.threads)
		}
	}
}

// TestICATranspose: --transpose fits the columns as samples, exactly as
// a fit of the transposed file; standard input works with it.
func TestICATranspose(t *testing.T) {
	out := t.TempDir()
	const n, p = 6, 400 // 400 columns become 400 samples of 6 features
	x := make([]float64, n*p)
	xt := make([]float64, n*p)
	for j := 0; j < p; j++ {
		u := float64(j) / p
		s1, s2 := math.Sin(40*u), 2*(7*u-math.Floor(7*u))-1
		for i := 0; i < n; i++ {
			v := s1*float64(i+1) + s2*float64((i*3)%5+1) + 0.01*math.Cos(float64(i*j))
			x[i*p+j] = v
			xt[j*n+i] = v
		}
	}
	in := filepath.Join(out, "x.npy")
	npyFloat64(t, in, n, p, x)
	tin := filepath.Join(out, "xt.npy")
	npyFloat64(t, tin, p, n, xt)
	m1, m2 := filepath.Join(out, "a.h5"), filepath.Join(out, "b.h5")
	if code, _, stderr := runCLI("ica", in, "--transpose", "-k", "2", "--model", m1); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI("ica", tin, "-k", "2", "--model", m2); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	a, err := ica.ReadModel(m1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ica.ReadModel(m2)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Transpose || b.Transpose || a.NSamples != p || a.NFeatures != n {
		t.Errorf("transpose %v/%v, n %d, p %d", a.Transpose, b.Transpose, a.NSamples, a.NFeatures)
	}
	a.Transpose = false
	if !reflect.DeepEqual(a, b) {
		t.Error("--transpose (column slabs of .npy) differs from a fit of the transposed file")
	}
	// The same by column hyperslabs of an HDF5 dataset, and with a budget
	// far below the matrix (column slabs hold neither X nor Xᵀ); transform
	// of a transposed model reads by column slabs too.
	h5 := filepath.Join(out, "x.h5")
	mw, err := hdf5io.CreateMatrix(h5, "/X", p)
	if err != nil {
		t.Fatal(err)
	}
	if err := mw.Append(x); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{h5}, {in, "--memory", "10K"}} {
		m3 := filepath.Join(out, "c.h5")
		if code, _, stderr := runCLI(append([]string{"ica", "--transpose", "-k", "2", "--model", m3}, args...)...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		c, err := ica.ReadModel(m3)
		if err != nil {
			t.Fatal(err)
		}
		c.Transpose = false
		if !reflect.DeepEqual(c, b) {
			t.Errorf("%v: --transpose differs from a fit of the transposed file", args)
		}
		os.Remove(m3)
	}
	s1, s2 := filepath.Join(out, "s1.npy"), filepath.Join(out, "s2.npy")
	if code, _, stderr := runCLI("transform", "--model", m1, h5, "--scores", s1); code != 0 {
		t.Fatalf("transform: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI("transform", "--model", m2, tin, "--scores", s2); code != 0 {
		t.Fatalf("transform: exit %d: %s", code, stderr)
	}
	if a, b := readScores(t, s1), readScores(t, s2); !reflect.DeepEqual(a, b) {
		t.Error("transform of a transposed model by column slabs differs from the transposed file's")
	}
	// Standard input, held in memory by --transpose.
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	old := os.Stdin
	os.Stdin = f
	code, stdout, stderr := runCLI("ica", "-", "--transpose", "-k", "2", "--json")
	os.Stdin = old
	if code != 0 || icaJSONOut(t, stdout)["n_samples"].(float64) != p {
		t.Errorf("stdin --transpose: exit %d %s %s", code, stdout, stderr)
	}
	// A compressed file cannot give column slabs and is held in memory:
	// over the budget it is refused, with the figure, nothing written.
	raw, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := zstd.NewWriter(nil)
	zin := filepath.Join(out, "x.npy.zst")
	os.WriteFile(zin, enc.EncodeAll(raw, nil), 0o644)
	bad := filepath.Join(out, "bad")
	os.Mkdir(bad, 0o755)
	code, _, stderr = runCLI("ica", zin, "--transpose", "-k", "2", "--memory", "10K", "--model", filepath.Join(bad, "m.h5"))
	if code != 2 || !strings.Contains(stderr, "--memory") || !strings.Contains(stderr, "x.npy.zst") {
		t.Errorf("over budget: exit %d: %s", code, stderr)
	}
	outDirEmpty(t, bad)
	// NaN at row 4, column 123 of the file: named by both, nothing written.
	x[4*p+123] = math.NaN()
	npyFloat64(t, in, n, p, x)
	code, _, stderr = runCLI("ica", in, "--transpose", "-k", "2", "--model", filepath.Join(bad, "m.h5"))
	if code != 2 || !strings.Contains(stderr, "x.npy") || !strings.Contains(stderr, "row 4") || !strings.Contains(stderr, "column 123") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("NaN with --transpose: exit %d: %s", code, stderr)
	}
	outDirEmpty(t, bad)
}

// TestICABadInput: exit 2, one line naming the file or flag, no output left.
func TestICABadInput(t *testing.T) {
	src := t.TempDir()
	vals := make([]float64, 50*3)
	for i := range vals {
		vals[i] = math.Sin(float64(i * i))
	}
	vals[17*3+2] = math.Inf(-1)
	nan := filepath.Join(src, "inf.npy")
	npyFloat64(t, nan, 50, 3, vals)
	x := filepath.Join(icaFixtures, "X.npy")
	wbad := filepath.Join(src, "w.npy")
	npyFloat64(t, wbad, 2, 3, make([]float64, 6))
	for _, c := range []struct {
		args  []string
		words []string
	}{
		{[]string{nan, "-k", "2"}, []string{"inf.npy", "row 17"}},
		{[]string{x, "-k", "5"}, []string{"X.npy", "k=5"}},
		{[]string{x, "--fun", "tanh"}, []string{"--fun", "tanh"}},
		{[]string{x, "--algorithm", "serial"}, []string{"--algorithm"}},
		{[]string{x, "--tol", "-1"}, []string{"--tol"}},
		{[]string{x, "--max-iter", "0"}, []string{"--max-iter"}},
		{[]string{x, "--memory", "lots"}, []string{"--memory"}},
		{[]string{x, "--w-init", wbad}, []string{"w.npy", "2 x 3"}},
		{[]string{"-", "-k", "2"}, []string{"standard input"}},
		{[]string{x, "--sources", filepath.Join(src, "s.txt")}, []string{"s.txt"}},
	} {
		out := t.TempDir()
		args := append([]string{"ica"}, c.args...)
		args = append(args, "--model", filepath.Join(out, "m.h5"), "--sources", filepath.Join(out, "s.npy"))
		if c.args[len(c.args)-2] == "--sources" {
			args = append([]string{"ica"}, c.args...)
		}
		code, _, stderr := runCLI(args...)
		if code != 2 || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, stderr)
		}
		for _, w := range c.words {
			if !strings.Contains(stderr, w) {
				t.Errorf("%v: stderr %q lacks %q", c.args, stderr, w)
			}
		}
		outDirEmpty(t, out)
	}
}

// TestParseBudget: ica's --memory, where 0 is allowed.
func TestParseBudget(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1024": 1024, "1K": 1024, "1k": 1024, "2MB": 2 << 20, "1.5G": 3 << 29, "3GiB": 3 << 30, "1T": 1 << 40} {
		if got, err := parseBytes(in, true); err != nil || got != want {
			t.Errorf("%q: %d %v, want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x", "-1G", "1P", "NaN", "1e30G"} {
		if _, err := parseBytes(in, true); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
