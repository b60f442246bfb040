//go:build !noopenblas

package gram

/*
#cgo LDFLAGS: -lopenblas
void openblas_set_num_threads(int);
*/
import "C"

import (
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
)

// BLAS names the BLAS implementation in use.
const BLAS = "openblas"

func init() {
	// Go parallelises across blocks; OpenBLAS threads would oversubscribe the
	// cores and make results depend on its own partition.
	C.openblas_set_num_threads(1)
	blas64.Use(netlib.Implementation{})
}
