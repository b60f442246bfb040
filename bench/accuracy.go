package main

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// EigenvalueError is the largest relative error of the first k eigenvalues
// of got against want: max over i < k of |got_i − want_i| / |want_i|.
// Both are in descending order; a zero reference value counts by the
// absolute error.
func EigenvalueError(got, want []float64, k int) (float64, error) {
	if len(got) < k || len(want) < k {
		return 0, fmt.Errorf("eigenvalues: have %d and %d, need %d", len(got), len(want), k)
	}
	worst := 0.0
	for i := 0; i < k; i++ {
		e := math.Abs(got[i] - want[i])
		if want[i] != 0 {
			e /= math.Abs(want[i])
		}
		if math.IsNaN(e) {
			return e, nil
		}
		worst = math.Max(worst, e)
	}
	return worst, nil
}

// LargestPrincipalAngle is the largest principal angle θ_max (radians, in
// [0, π/2]) between the subspaces spanned by the first k rows of a and of b
// (row-major, k×p each; the rows need not be orthonormal). With Qa, Qb
// orthonormal bases, sin θ_max = ‖Qa − Qb·QbᵀQa‖₂ and cos θ_max =
// σ_min(QbᵀQa); the angle is atan2 of the two, accurate for tiny angles
// (where acos of a cosine near 1 loses every digit) and near π/2 alike.
func LargestPrincipalAngle(a, b []float64, k, p int) (float64, error) {
	if k < 1 || p < k || len(a) < k*p || len(b) < k*p {
		return 0, fmt.Errorf("principal angle: need two %d×%d bases with k ≤ p, have %d and %d values", k, p, len(a), len(b))
	}
	qa, err := orthonormalBasis(a[:k*p], k, p)
	if err != nil {
		return 0, err
	}
	qb, err := orthonormalBasis(b[:k*p], k, p)
	if err != nil {
		return 0, err
	}
	var m mat.Dense // QbᵀQa, k×k
	m.Mul(qb.T(), qa)
	var r mat.Dense // Qa − Qb·(QbᵀQa), p×k
	r.Mul(qb, &m)
	r.Sub(qa, &r)
	var svd mat.SVD
	if !svd.Factorize(&r, mat.SVDNone) {
		return 0, fmt.Errorf("principal angle: SVD failed")
	}
	sinMax := svd.Values(nil)[0]
	if !svd.Factorize(&m, mat.SVDNone) {
		return 0, fmt.Errorf("principal angle: SVD failed")
	}
	cs := svd.Values(nil)
	cosMin := cs[len(cs)-1]
	return math.Atan2(sinMax, cosMin), nil
}

// orthonormalBasis returns a p×k matrix whose columns are an orthonormal
// basis of the span of the k rows of x (k×p row-major): Gram–Schmidt with
// one full re-orthogonalisation ("twice is enough"), O(p·k²), with no p×p
// factor (p is 200 000 on the wide set).
func orthonormalBasis(x []float64, k, p int) (*mat.Dense, error) {
	v := make([][]float64, k)
	for i := range v {
		row := append([]float64(nil), x[i*p:(i+1)*p]...)
		n0 := norm(row)
		for pass := 0; pass < 2; pass++ {
			for j := 0; j < i; j++ {
				d := dot(v[j], row)
				for t := range row {
					row[t] -= d * v[j][t]
				}
			}
		}
		n := norm(row)
		if !(n > 1e-10*n0) {
			return nil, fmt.Errorf("principal angle: the %d rows are linearly dependent or not finite", k)
		}
		for t := range row {
			row[t] /= n
		}
		v[i] = row
	}
	q := mat.NewDense(p, k, nil)
	for i := range v {
		q.SetCol(i, v[i])
	}
	return q, nil
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func norm(a []float64) float64 { return math.Sqrt(dot(a, a)) }
