// Package synth makes reproducible synthetic data sets for the demo, the
// tests and the benchmark harness: small grayscale images with a few latent
// factors (so PCA has structure to find), and Gaussian matrices with a
// chosen spectrum. Everything is a pure function of a seed.
package synth

import (
	"math"
	"math/rand/v2"
	"sync"
)

// Images fills dst (rows × side·side uint8, row-major) with synthetic images
// number first, first+1, …: one to three soft elliptical blobs and a stroke
// at random positions, sizes and angles, plus sensor noise. Image i depends
// only on seed and i, so any row range can be generated independently.
func Images(dst []uint8, first int64, rows, side int, seed uint64) {
	px := side * side
	img := make([]float64, px)
	for r := 0; r < rows; r++ {
		rng := rand.New(rand.NewPCG(seed, uint64(first)+uint64(r)))
		clear(img)
		s := float64(side)
		nblobs := 1 + rng.IntN(3)
		for b := 0; b < nblobs; b++ {
			cx, cy := s*(0.25+0.5*rng.Float64()), s*(0.25+0.5*rng.Float64())
			sx, sy := s*(0.06+0.14*rng.Float64()), s*(0.06+0.14*rng.Float64())
			th := math.Pi * rng.Float64()
			amp := 120 + 120*rng.Float64()
			c, si := math.Cos(th), math.Sin(th)
			for y := 0; y < side; y++ {
				for x := 0; x < side; x++ {
					dx, dy := float64(x)-cx, float64(y)-cy
					u, v := (c*dx+si*dy)/sx, (-si*dx+c*dy)/sy
					img[y*side+x] += amp * math.Exp(-0.5*(u*u+v*v))
				}
			}
		}
		// A stroke: a soft line segment through the middle region.
		x0, y0 := s*(0.2+0.6*rng.Float64()), s*(0.2+0.6*rng.Float64())
		th := math.Pi * rng.Float64()
		half := s * (0.15 + 0.2*rng.Float64())
		width := 0.8 + 1.2*rng.Float64()
		amp := 80 + 100*rng.Float64()
		c, si := math.Cos(th), math.Sin(th)
		for y := 0; y < side; y++ {
			for x := 0; x < side; x++ {
				dx, dy := float64(x)-x0, float64(y)-y0
				along := c*dx + si*dy
				across := -si*dx + c*dy
				if math.Abs(along) <= half {
					img[y*side+x] += amp * math.Exp(-0.5*across*across/(width*width))
				}
			}
		}
		out := dst[r*px : r*px+px]
		for i, v := range img {
			v += 6 * rng.NormFloat64()
			out[i] = uint8(math.Round(min(max(v, 0), 255)))
		}
	}
}

// Gaussian fills dst (rows × p, row-major) with rows first, first+1, … of a
// matrix X = Z·diag(sqrt(spectrum))·Q + mean, where Z is standard normal,
// Q a fixed random rotation-like mixing (a product of Householder
// reflections made from seed), so the covariance has the given spectrum.
// Row i depends only on seed and i.
func Gaussian(dst []float64, first int64, rows, p int, spectrum, mean []float64, seed uint64) {
	hh := householders(p, seed)
	z := make([]float64, p)
	for r := 0; r < rows; r++ {
		rng := rand.New(rand.NewPCG(seed^0x9e3779b97f4a7c15, uint64(first)+uint64(r)))
		for j := range z {
			z[j] = rng.NormFloat64() * math.Sqrt(spectrum[j])
		}
		for _, v := range hh { // z ← (I − 2vvᵀ) z
			d := 0.0
			for j := range z {
				d += v[j] * z[j]
			}
			for j := range z {
				z[j] -= 2 * d * v[j]
			}
		}
		out := dst[r*p : r*p+p]
		for j := range out {
			out[j] = z[j]
			if mean != nil {
				out[j] += mean[j]
			}
		}
	}
}

// hhCache keeps the last mixing made, so that callers generating a wide
// matrix a few rows at a time do not redraw p·3 normals per call.
var hhCache struct {
	sync.Mutex
	p    int
	seed uint64
	hh   [][]float64
}

func householders(p int, seed uint64) [][]float64 {
	hhCache.Lock()
	defer hhCache.Unlock()
	if hhCache.hh != nil && hhCache.p == p && hhCache.seed == seed {
		return hhCache.hh
	}
	hh := makeHouseholders(p, seed)
	hhCache.p, hhCache.seed, hhCache.hh = p, seed, hh
	return hh
}

func makeHouseholders(p int, seed uint64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 0xabcdef))
	hh := make([][]float64, 3)
	for i := range hh {
		v := make([]float64, p)
		norm := 0.0
		for j := range v {
			v[j] = rng.NormFloat64()
			norm += v[j] * v[j]
		}
		norm = math.Sqrt(norm)
		for j := range v {
			v[j] /= norm
		}
		hh[i] = v
	}
	return hh
}
