package ica_test

import (
	"context"
	"fmt"
	"math"

	"github.com/spca/spca/ica"
)

// Two independent signals, a sine and a sawtooth, heard through two
// microphones; FastICA recovers each up to sign and order.
func ExampleFit() {
	const n = 20000
	x := make([]float64, 0, 2*n)
	src := make([][2]float64, n)
	for i := range src {
		t := float64(i) / 100
		s1, s2 := math.Sin(t), t/7-math.Floor(t/7)
		src[i] = [2]float64{s1, s2}
		x = append(x, 0.8*s1+0.3*s2, 0.4*s1+0.9*s2)
	}
	data := &ica.Matrix{Name: "mics", Rows: n, Cols: 2, Data: x}
	m, err := ica.Fit(context.Background(), data, ica.Options{K: 2, Tol: 1e-8})
	if err != nil {
		panic(err)
	}
	fmt.Println("converged:", m.Converged)
	// Each recovered source against the true ones: |correlation|.
	for c := 0; c < 2; c++ {
		var r [2]float64
		for j := 0; j < 2; j++ {
			var sxy, sxx, syy, mx, my float64
			for i := 0; i < n; i++ {
				mx += (x[2*i]-m.Mean[0])*m.Components[2*c] + (x[2*i+1]-m.Mean[1])*m.Components[2*c+1]
				my += src[i][j]
			}
			mx, my = mx/n, my/n
			for i := 0; i < n; i++ {
				e := (x[2*i]-m.Mean[0])*m.Components[2*c] + (x[2*i+1]-m.Mean[1])*m.Components[2*c+1] - mx
				d := src[i][j] - my
				sxy, sxx, syy = sxy+e*d, sxx+e*e, syy+d*d
			}
			r[j] = math.Abs(sxy / math.Sqrt(sxx*syy))
		}
		fmt.Printf("source %d: |r| = %.3f, %.3f\n", c+1, r[0], r[1])
	}
	// Output:
	// converged: true
	// source 1: |r| = 1.000, 0.012
	// source 2: |r| = 0.027, 1.000
}
