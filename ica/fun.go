package ica

import (
	"fmt"
	"math"
	"sync"
)

// Fun is a FastICA contrast function.
type Fun int

// The contrast functions, named as in scikit-learn.
const (
	LogCosh Fun = iota // G(u) = log cosh u, g = tanh u, g′ = 1 − tanh² u
	Exp                // G(u) = −exp(−u²/2), g = u·exp(−u²/2), g′ = (1 − u²)·exp(−u²/2)
	Cube               // G(u) = u⁴/4, g = u³, g′ = 3u²
)

func (f Fun) String() string {
	switch f {
	case LogCosh:
		return "logcosh"
	case Exp:
		return "exp"
	case Cube:
		return "cube"
	}
	return fmt.Sprintf("Fun(%d)", int(f))
}

// ParseFun parses "logcosh", "exp" or "cube".
func ParseFun(s string) (Fun, error) {
	for _, f := range []Fun{LogCosh, Exp, Cube} {
		if s == f.String() {
			return f, nil
		}
	}
	return 0, fmt.Errorf("unknown contrast function %q (want logcosh, exp or cube)", s)
}

// g returns g(u) and g′(u).
func (f Fun) g(u float64) (g, dg float64) {
	switch f {
	case LogCosh:
		t := math.Tanh(u)
		return t, 1 - t*t
	case Exp:
		e := math.Exp(-u * u / 2)
		return u * e, (1 - u*u) * e
	default:
		u2 := u * u
		return u2 * u, 3 * u2
	}
}

// G is the contrast itself, whose expectation gives the negentropy proxy.
func (f Fun) G(u float64) float64 {
	switch f {
	case LogCosh:
		a := math.Abs(u) // log cosh u = |u| + log1p(e^(−2|u|)) − log 2, without overflow
		return a + math.Log1p(math.Exp(-2*a)) - math.Ln2
	case Exp:
		return -math.Exp(-u * u / 2)
	default:
		u2 := u * u
		return u2 * u2 / 4
	}
}

var (
	gaussOnce sync.Once
	gaussLC   float64
)

// GaussianMean is E[G(ν)] for ν standard normal: −1/√2 for exp, 3/4 for
// cube, and for logcosh ≈ 0.374567 by quadrature.
func (f Fun) GaussianMean() float64 {
	switch f {
	case Exp:
		return -1 / math.Sqrt2
	case Cube:
		return 0.75
	}
	gaussOnce.Do(func() {
		// Composite Simpson on [−16, 16] (the tail beyond is below 1e-50).
		const a, b, m = -16.0, 16.0, 32000
		h := (b - a) / m
		s := 0.0
		for i := 0; i <= m; i++ {
			u := a + float64(i)*h
			w := 2.0
			switch {
			case i == 0 || i == m:
				w = 1
			case i%2 == 1:
				w = 4
			}
			s += w * LogCosh.G(u) * math.Exp(-u*u/2)
		}
		gaussLC = s * h / 3 / math.Sqrt(2*math.Pi)
	})
	return gaussLC
}

// Algorithm is FastICA's way of finding several components.
type Algorithm int

// The algorithms, named as in scikit-learn.
const (
	Parallel  Algorithm = iota // all components at once, symmetric decorrelation
	Deflation                  // one at a time, Gram–Schmidt against the previous
)

func (a Algorithm) String() string {
	if a == Deflation {
		return "deflation"
	}
	return "parallel"
}

// ParseAlgorithm parses "parallel" or "deflation".
func ParseAlgorithm(s string) (Algorithm, error) {
	switch s {
	case "parallel":
		return Parallel, nil
	case "deflation":
		return Deflation, nil
	}
	return 0, fmt.Errorf("unknown algorithm %q (want parallel or deflation)", s)
}
