//go:build noopenblas

package main

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

func setBLASThreads(int) {}

// dsyrk is the pure-Go build's DSYRK (the limit is then gonum's, not OpenBLAS's).
func dsyrk(p, r int, a, c []float64) {
	gonum.Implementation{}.Dsyrk(blas.Upper, blas.Trans, p, r, 1, a, p, 0, c, p)
}
