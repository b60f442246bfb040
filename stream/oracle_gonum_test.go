//go:build noopenblas

package stream

import (
	"testing"

	"gonum.org/v1/gonum/mat"
)

// thinSVD is the pure-Go oracle: gonum's Dgesvd (see the lapacke version).
func thinSVD(t testing.TB, a []float64, n, p, k int) (s, vt []float64) {
	t.Helper()
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(n, p, a), mat.SVDThin) {
		t.Fatal("SVD failed")
	}
	s = svd.Values(nil)
	var v mat.Dense
	svd.VTo(&v)
	vt = make([]float64, k*p)
	for i := 0; i < k; i++ {
		for j := 0; j < p; j++ {
			vt[i*p+j] = v.At(j, i)
		}
	}
	return s, vt
}
