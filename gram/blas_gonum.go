//go:build noopenblas

package gram

// BLAS names the BLAS implementation in use.
const BLAS = "gonum"
