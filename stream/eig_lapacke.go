//go:build !noopenblas

package stream

/*
#cgo LDFLAGS: -llapacke -lopenblas
*/
import "C"

import (
	"fmt"

	"gonum.org/v1/netlib/lapack/lapacke"
)

// safeMin is LAPACK's dlamch('S'): dsyevr's abstol for the highest relative accuracy.
const safeMin = 2.2250738585072014e-308

// symEig returns eigenvalues of the symmetric p×p matrix a (upper triangle
// read and destroyed; the strict lower triangle is left alone) in
// descending order: the top k with their eigenvectors (k×p, one per row)
// when k > 0, or all p values and no vectors when k == 0. It calls LAPACK's
// range-selected solver dsyevr (MRRR), so k ≪ p costs far less than a full
// decomposition.
func symEig(a []float64, p, k int) (vals, vecs []float64, err error) {
	jobz, rng, il, iu, m := byte('V'), byte('I'), p-k+1, p, k
	if k == 0 {
		jobz, rng, il, iu, m = 'N', 'A', 1, p, p
	}
	w := make([]float64, p)
	var z []float64
	ldz := 1
	if k > 0 {
		z = make([]float64, p*m)
		ldz = m
	} else {
		z = make([]float64, 1)
	}
	found := make([]int32, 1)
	isuppz := make([]int32, 2*max(m, 1))
	work := make([]float64, 1)
	iwork := make([]int32, 1)
	lapacke.Dsyevr(jobz, rng, 'U', p, a, p, 0, 0, il, iu, safeMin, found, w, z, ldz, isuppz, work, -1, iwork, -1)
	work = make([]float64, int(work[0]))
	iwork = make([]int32, int(iwork[0]))
	if !lapacke.Dsyevr(jobz, rng, 'U', p, a, p, 0, 0, il, iu, safeMin, found, w, z, ldz, isuppz, work, len(work), iwork, len(iwork)) {
		return nil, nil, fmt.Errorf("LAPACK dsyevr failed to converge (p=%d, k=%d)", p, k)
	}
	if int(found[0]) != m {
		return nil, nil, fmt.Errorf("LAPACK dsyevr found %d eigenvalues, want %d", found[0], m)
	}
	vals = make([]float64, m)
	for i := 0; i < m; i++ {
		vals[i] = w[m-1-i]
	}
	if k == 0 {
		return vals, nil, nil
	}
	vecs = make([]float64, k*p)
	for i := 0; i < k; i++ {
		col := m - 1 - i
		for j := 0; j < p; j++ {
			vecs[i*p+j] = z[j*ldz+col]
		}
	}
	return vals, vecs, nil
}

// Solver names the eigen solver in use.
const Solver = "lapacke dsyevr"
