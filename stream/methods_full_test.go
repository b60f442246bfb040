//go:build !race && !noopenblas

package stream

import "testing"

// TestMethodsFullSize is the comparison at the sizes: n=500,
// p=20 000 (dual and randomized) and n=20 000, p=500 (gram and randomized;
// dual at n=2000, since its n×n matrix at n=20 000 is 3.2 GB per partial).
// It is compiled out of the race-detector run, where TestMethodsAgree runs
// the same checks on smaller matrices, and `make test` runs it without
// -race.
func TestMethodsFullSize(t *testing.T) {
	methodsOnShapes(t, 500, 20000, 20000, 500, false)
}
