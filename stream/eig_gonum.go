//go:build noopenblas

package stream

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// symEig is the pure-Go fallback: a full decomposition by gonum's Dsyev,
// then the top k (see the lapacke version for the contract).
func symEig(a []float64, p, k int) (vals, vecs []float64, err error) {
	sym := mat.NewSymDense(p, nil)
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			sym.SetSym(i, j, a[i*p+j])
		}
	}
	var es mat.EigenSym
	if !es.Factorize(sym, k > 0) {
		return nil, nil, fmt.Errorf("gonum EigenSym failed to converge (p=%d)", p)
	}
	w := es.Values(nil) // ascending
	m := k
	if k == 0 {
		m = p
	}
	vals = make([]float64, m)
	for i := 0; i < m; i++ {
		vals[i] = w[p-1-i]
	}
	if k == 0 {
		return vals, nil, nil
	}
	var ev mat.Dense
	es.VectorsTo(&ev)
	vecs = make([]float64, k*p)
	for i := 0; i < k; i++ {
		for j := 0; j < p; j++ {
			vecs[i*p+j] = ev.At(j, p-1-i)
		}
	}
	return vals, vecs, nil
}

// Solver names the eigen solver in use.
const Solver = "gonum dsyev"
