package ica

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/stream"
)

const fixtures = "../testdata/ica"

// readNpy reads a whole (small) 2-D fixture as float64 with its shape.
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

// matchRows finds, for each row of got (k×p), the row of want with the
// largest |cosine|, and returns the permutation and the signs; it fails
// the test when that is not a one-to-one matching.
func matchRows(t *testing.T, got, want []float64, k, p int) (perm []int, sign []float64) {
	t.Helper()
	perm = make([]int, k)
	sign = make([]float64, k)
	used := make([]bool, k)
	for i := 0; i < k; i++ {
		best, bestCos := -1, 0.0
		for j := 0; j < k; j++ {
			var d, a, b float64
			for c := 0; c < p; c++ {
				d += got[i*p+c] * want[j*p+c]
				a += got[i*p+c] * got[i*p+c]
				b += want[j*p+c] * want[j*p+c]
			}
			if cos := d / math.Sqrt(a*b); math.Abs(cos) > math.Abs(bestCos) {
				best, bestCos = j, cos
			}
		}
		if used[best] {
			t.Fatalf("rows %d and another both match row %d", i, best)
		}
		used[best] = true
		perm[i] = best
		sign[i] = math.Copysign(1, bestCos)
	}
	return perm, sign
}

func maxAbs(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		m = max(m, math.Abs(v))
	}
	return m
}

// TestScikitLearnFastICA: the same whitening, contrast function and
// starting matrix give scikit-learn's unmixing (components_) and mixing_
// to 1e-6 relative, up to sign and order, and the same iteration count.
func TestScikitLearnFastICA(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(fixtures, "*", "params.txt"))
	if err != nil || len(dirs) < 6 {
		t.Fatalf("fixtures missing (%v): run make fixtures", err)
	}
	for _, pf := range dirs {
		dir := filepath.Dir(pf)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			b, err := os.ReadFile(pf)
			if err != nil {
				t.Fatal(err)
			}
			var k, maxIter int
			var fun, alg string
			var tol float64
			if _, err := fmt.Sscanf(strings.TrimSpace(string(b)), "k=%d fun=%s algorithm=%s tol=%g max_iter=%d", &k, &fun, &alg, &tol, &maxIter); err != nil {
				t.Fatalf("%s: %v", pf, err)
			}
			opt := Options{K: k, Tol: tol, MaxIter: maxIter, Options: stream.Options{Threads: 2}}
			if opt.Fun, err = ParseFun(fun); err != nil {
				t.Fatal(err)
			}
			if opt.Algorithm, err = ParseAlgorithm(alg); err != nil {
				t.Fatal(err)
			}
			_, _, opt.WInit = readNpy(t, filepath.Join(dir, "w_init.npy"))
			m, err := Fit(context.Background(), stream.Source{Path: filepath.Join(fixtures, "X.npy")}, opt)
			if err != nil {
				t.Fatal(err)
			}
			_, p, comp := readNpy(t, filepath.Join(dir, "components.npy"))
			_, _, mix := readNpy(t, filepath.Join(dir, "mixing.npy"))
			_, _, mean := readNpy(t, filepath.Join(dir, "mean.npy"))
			_, _, white := readNpy(t, filepath.Join(dir, "whitening.npy"))
			_, _, nIter := readNpy(t, filepath.Join(dir, "n_iter.npy"))

			check := func(what string, got, want []float64, tol float64) {
				d := 0.0
				for i := range want {
					d = max(d, math.Abs(got[i]-want[i]))
				}
				rel := d / maxAbs(want)
				t.Logf("%s: relative difference %.2g", what, rel)
				if !(rel <= tol) {
					t.Errorf("%s: relative difference %.3g > %.0e", what, rel, tol)
				}
			}
			check("mean", m.Mean, mean, 1e-12)
			check("whitening", m.Whitening, white, 1e-9)
			perm, sign := matchRows(t, m.Components, comp, k, p)
			gotC := make([]float64, k*p)
			gotM := make([]float64, p*k)
			for i := 0; i < k; i++ {
				for c := 0; c < p; c++ {
					gotC[perm[i]*p+c] = sign[i] * m.Components[i*p+c]
					gotM[c*k+perm[i]] = sign[i] * m.Mixing[c*k+i]
				}
			}
			check("components", gotC, comp, 1e-6)
			check("mixing", gotM, mix, 1e-6)
			if m.NIter != int(nIter[0]) {
				t.Errorf("n_iter %d, scikit-learn %d", m.NIter, int(nIter[0]))
			}
			if want := tol > 0 && m.NIter < maxIter; m.Converged != want {
				t.Errorf("converged %v, want %v", m.Converged, want)
			}
		})
	}
}
