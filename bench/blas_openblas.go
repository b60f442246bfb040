//go:build !noopenblas

package main

/*
#cgo LDFLAGS: -lopenblas
void openblas_set_num_threads(int);
*/
import "C"

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/netlib/blas/netlib"
)

func setBLASThreads(n int) { C.openblas_set_num_threads(C.int(n)) }

// dsyrk computes the upper triangle of C = AᵀA for the r×p row-major block
// A with OpenBLAS, as gram.State does (C is p×p row-major).
func dsyrk(p, r int, a, c []float64) {
	netlib.Implementation{}.Dsyrk(blas.Upper, blas.Trans, p, r, 1, a, p, 0, c, p)
}
