package ica

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/spca/spca/stream"
)

// cocktail returns n samples of three sources (sine, square wave, sawtooth,
// plus a little Gaussian noise), their mixtures x = s·Mᵀ with the issue's
// M = [[.7,.2,.1],[.1,.7,.2],[.2,.1,.7]], and M.
func cocktail(n int) (s, x, mix []float64) {
	mix = []float64{.7, .2, .1, .1, .7, .2, .2, .1, .7}
	rng := rand.New(rand.NewPCG(7, 7))
	s = make([]float64, n*3)
	x = make([]float64, n*3)
	for i := 0; i < n; i++ {
		t := 8 * float64(i) / float64(n)
		s[i*3+0] = math.Sin(2*t) + 0.05*rng.NormFloat64()
		sq := 1.0
		if math.Sin(3*t) < 0 {
			sq = -1
		}
		s[i*3+1] = sq + 0.05*rng.NormFloat64()
		s[i*3+2] = 2*(t*1.7-math.Floor(t*1.7)) - 1 + 0.05*rng.NormFloat64()
		for r := 0; r < 3; r++ {
			for c := 0; c < 3; c++ {
				x[i*3+r] += mix[r*3+c] * s[i*3+c]
			}
		}
	}
	return s, x, mix
}

func corr(a, b []float64, n, stride, ia, ib int) float64 {
	var ma, mb float64
	for i := 0; i < n; i++ {
		ma += a[i*stride+ia]
		mb += b[i*stride+ib]
	}
	ma /= float64(n)
	mb /= float64(n)
	var sab, saa, sbb float64
	for i := 0; i < n; i++ {
		da, db := a[i*stride+ia]-ma, b[i*stride+ib]-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	return sab / math.Sqrt(saa*sbb)
}

func TestCocktailQuick(t *testing.T) {
	const n = 100000
	_, x, _ := cocktail(n)
	m, err := Fit(context.Background(), &Matrix{Name: "x", Rows: n, Cols: 3, Data: x}, Options{K: 3, Tol: 1e-4})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", *m)
	_ = stream.Options{}
}
