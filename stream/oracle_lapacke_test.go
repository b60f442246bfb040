//go:build !noopenblas

package stream

import (
	"testing"

	"gonum.org/v1/netlib/lapack/lapacke"
)

// thinSVD returns the singular values and the first k right singular
// vectors (k×p rows) of the n×p matrix a (destroyed), by LAPACK's divide
// and conquer dgesdd through LAPACKE: the in-memory oracle.
func thinSVD(t testing.TB, a []float64, n, p, k int) (s, vt []float64) {
	t.Helper()
	r := min(n, p)
	s = make([]float64, r)
	u := make([]float64, n*r)
	vtAll := make([]float64, r*p)
	work := make([]float64, 1)
	iwork := make([]int32, 8*r)
	lapacke.Dgesdd('S', n, p, a, p, s, u, r, vtAll, p, work, -1, iwork)
	work = make([]float64, int(work[0]))
	if !lapacke.Dgesdd('S', n, p, a, p, s, u, r, vtAll, p, work, len(work), iwork) {
		t.Fatal("dgesdd failed")
	}
	return s, vtAll[:k*p]
}
