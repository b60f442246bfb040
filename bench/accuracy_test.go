package main

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestEigenvalueError(t *testing.T) {
	got := []float64{10.5, 4, 1.02, 99}
	want := []float64{10, 4, 1, 0.001}
	e, err := EigenvalueError(got, want, 3)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(e-0.05) > 1e-15 { // 0.5/10 beats 0.02/1; the 4th is beyond k
		t.Errorf("error %g, want 0.05", e)
	}
	if e, _ := EigenvalueError([]float64{math.NaN(), 1}, []float64{1, 1}, 2); !math.IsNaN(e) {
		t.Errorf("NaN eigenvalue gives error %g, want NaN", e)
	}
	if _, err := EigenvalueError(got[:2], want, 3); err == nil {
		t.Error("too few eigenvalues accepted")
	}
}

// rotated returns the k×p rows of an orthonormal basis whose largest
// principal angle against span(e_0..e_{k-1}) is theta: e_i for i < k−1 and
// cos θ·e_{k−1} + sin θ·e_k, then mixed by a random invertible k×k matrix
// and mapped by a random orthogonal p×p matrix (both change no angle).
func rotated(rng *rand.Rand, k, p int, theta float64) (a, b []float64) {
	a = make([]float64, k*p)
	b = make([]float64, k*p)
	for i := 0; i < k; i++ {
		a[i*p+i] = 1
		b[i*p+i] = 1
	}
	b[(k-1)*p+k-1] = math.Cos(theta)
	b[(k-1)*p+k] = math.Sin(theta)
	// Random orthogonal Q (p×p) from the QR of a Gaussian matrix.
	g := mat.NewDense(p, p, nil)
	for i := 0; i < p; i++ {
		for j := 0; j < p; j++ {
			g.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q mat.Dense
	qr.QTo(&q)
	mix := mat.NewDense(k, k, nil)
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			mix.Set(i, j, rng.NormFloat64())
		}
		mix.Set(i, i, mix.At(i, i)+3)
	}
	var am, bm, tmp mat.Dense
	tmp.Mul(mat.NewDense(k, p, a), &q)
	am.Mul(mix, &tmp)
	bm.Mul(mat.NewDense(k, p, b), &q)
	return am.RawMatrix().Data, bm.RawMatrix().Data
}

func TestLargestPrincipalAngleKnown(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, theta := range []float64{0, 1e-9, 1e-4, 0.3, math.Pi / 4, 1.5, math.Pi / 2} {
		for _, kp := range [][2]int{{1, 2}, {3, 7}, {10, 40}} {
			k, p := kp[0], kp[1]
			a, b := rotated(rng, k, p, theta)
			got, err := LargestPrincipalAngle(a, b, k, p)
			if err != nil {
				t.Fatal(err)
			}
			// Absolute accuracy near 1e-15, and relative for tiny angles.
			if tol := 1e-12 + 1e-6*theta; math.Abs(got-theta) > tol {
				t.Errorf("k=%d p=%d: angle %.17g, want %.17g", k, p, got, theta)
			}
			// The angle is symmetric in its arguments.
			if back, _ := LargestPrincipalAngle(b, a, k, p); math.Abs(back-got) > 1e-12+1e-6*theta {
				t.Errorf("k=%d p=%d: angle(b,a) %g ≠ angle(a,b) %g", k, p, back, got)
			}
		}
	}
}

// Two 2-D planes in R⁴ with principal angles 0.2 and 0.7: the largest is 0.7.
func TestLargestPrincipalAngleTwoAngles(t *testing.T) {
	a := []float64{1, 0, 0, 0, 0, 1, 0, 0}
	b := []float64{
		math.Cos(0.2), 0, math.Sin(0.2), 0,
		0, math.Cos(0.7), 0, math.Sin(0.7),
	}
	got, err := LargestPrincipalAngle(a, b, 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-0.7) > 1e-14 {
		t.Errorf("angle %g, want 0.7", got)
	}
	// Sign flips and order of the basis vectors change nothing.
	b2 := []float64{0, -math.Cos(0.7), 0, -math.Sin(0.7), math.Cos(0.2), 0, math.Sin(0.2), 0}
	if got2, _ := LargestPrincipalAngle(a, b2, 2, 4); math.Abs(got2-0.7) > 1e-14 {
		t.Errorf("reordered basis: angle %g, want 0.7", got2)
	}
}

func TestLargestPrincipalAngleDependent(t *testing.T) {
	a := []float64{1, 2, 3, 2, 4, 6} // two parallel rows
	if _, err := LargestPrincipalAngle(a, a, 2, 3); err == nil {
		t.Error("rank-deficient basis accepted")
	}
	if _, err := LargestPrincipalAngle([]float64{math.NaN(), 1}, []float64{1, 0}, 1, 2); err == nil {
		t.Error("NaN basis accepted")
	}
}
