// Package gram owns the mergeable second-moment state of a data matrix: the
// shifted column sums and the upper triangle of the shifted Gram matrix
// Σᵢ (xᵢ−c)(xᵢ−c)ᵀ, from which the covariance follows without cancellation.
// It also owns the BLAS hook: DSYRK through OpenBLAS (single-threaded; the
// caller parallelises across blocks) unless built with the noopenblas tag, in
// which case gonum's pure-Go BLAS is used. It does no I/O.
//
// Numerics. Forming XᵀX − n·μμᵀ from raw values loses every digit when the
// mean is large against the spread. State instead subtracts a shift c (the
// caller's pilot mean, usually the first block's) from every row before the
// rank-k update, so that the final correction
//
//	C = (G − s·sᵀ/n) / (n−1),  s = Σᵢ (xᵢ−c),  G = Σᵢ (xᵢ−c)(xᵢ−c)ᵀ
//
// only removes the small residual s/n. When the value x−c is formed in
// float64 from inputs within a factor of two of c it is exact (Sterbenz), so
// data with mean 1e5 and spread 1e-5 keep their variances. States with
// different shifts merge by the pairwise update of Chan, Golub & LeVeque:
// M = M_A + M_B + (n_A·n_B/n)·δδᵀ on centred co-moments.
package gram

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// State is the accumulated second-moment state of the rows seen so far.
// The zero value is not usable; call Reset first.
type State struct {
	P     int       // number of columns
	N     int64     // number of rows added
	Shift []float64 // c, length P
	Sum   []float64 // s = Σ (x−c), length P
	G     []float64 // P×P row-major; only the upper triangle (j ≥ i) is meaningful
}

// NewState returns an empty state for p columns with the given shift
// (copied; nil means zero).
func NewState(p int, shift []float64) *State {
	s := &State{}
	s.Reset(p, shift)
	return s
}

// Reset empties s for p columns and sets its shift, reusing storage.
func (s *State) Reset(p int, shift []float64) {
	if p <= 0 {
		panic("gram: Reset with p <= 0")
	}
	if shift != nil && len(shift) != p {
		panic("gram: shift length mismatch")
	}
	s.P, s.N = p, 0
	s.Shift = resize(s.Shift, p)
	s.Sum = resize(s.Sum, p)
	s.G = resize(s.G, p*p)
	if shift != nil {
		copy(s.Shift, shift)
	} else {
		clear(s.Shift)
	}
	clear(s.Sum)
	clear(s.G)
}

func resize(x []float64, n int) []float64 {
	if cap(x) >= n {
		return x[:n]
	}
	return make([]float64, n)
}

// SetBlock replaces the contents of s (keeping its shift) with the moments
// of one block: rows×P values, row-major. The block is overwritten with its
// shifted values x−c. The Gram update is one DSYRK with β = 0, so G need not
// be cleared first; the cost is rows·P² flops.
func (s *State) SetBlock(block []float64, rows int) {
	p := s.P
	if rows <= 0 || len(block) < rows*p {
		panic(fmt.Sprintf("gram: SetBlock with %d rows and %d values for p=%d", rows, len(block), p))
	}
	// Locals and equal lengths let the compiler keep the slices in
	// registers and drop the bounds checks; each column is still summed in
	// row order.
	shift, sum := s.Shift[:p], s.Sum[:p]
	clear(sum)
	for r := 0; r < rows; r++ {
		row := block[r*p : r*p+p]
		row, sum := row[:len(shift)], sum[:len(shift)]
		for j, c := range shift {
			v := row[j] - c
			row[j] = v
			sum[j] += v
		}
	}
	blas64.Implementation().Dsyrk(blas.Upper, blas.Trans, p, rows, 1, block[:rows*p], p, 0, s.G, p)
	s.N = int64(rows)
}

// Add adds one block (rows×P, row-major) to s; the block is overwritten with
// its shifted values. Add is SetBlock followed by Merge without the scratch
// state; callers that need bit-identical results across thread counts use
// SetBlock on per-worker states and Merge them in a fixed order instead.
func (s *State) Add(block []float64, rows int) {
	t := NewState(s.P, s.Shift)
	t.SetBlock(block, rows)
	s.Merge(t)
}

// Merge adds the rows of o to s. With equal shifts this is a plain sum, in a
// fixed element order; otherwise both are first centred and combined by the
// Chan et al. update, and s takes the merged mean as its shift.
func (s *State) Merge(o *State) {
	if o.P != s.P {
		panic("gram: Merge of states with different P")
	}
	if o.N == 0 {
		return
	}
	if s.N == 0 {
		s.N = o.N
		copy(s.Shift, o.Shift)
		copy(s.Sum, o.Sum)
		copyUpper(s.G, o.G, s.P)
		return
	}
	if equal(s.Shift, o.Shift) {
		s.N += o.N
		for j, v := range o.Sum {
			s.Sum[j] += v
		}
		p := s.P
		for i := 0; i < p; i++ {
			dst, src := s.G[i*p+i:i*p+p], o.G[i*p+i:i*p+p]
			for j, v := range src {
				dst[j] += v
			}
		}
		return
	}
	s.chanMerge(o)
}

// chanMerge combines centred co-moments: M = M_A + M_B + (nA·nB/n)·δδᵀ with
// δ = μB − μA, then stores the result with shift μ and zero sums.
func (s *State) chanMerge(o *State) {
	p := s.P
	na, nb := float64(s.N), float64(o.N)
	n := na + nb
	muA, muB := s.Mean(nil), o.Mean(nil)
	delta := make([]float64, p)
	mu := make([]float64, p)
	for j := range delta {
		delta[j] = muB[j] - muA[j]
		mu[j] = muA[j] + delta[j]*nb/n
	}
	f := na * nb / n
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			ma := s.G[i*p+j] - s.Sum[i]*s.Sum[j]/na
			mb := o.G[i*p+j] - o.Sum[i]*o.Sum[j]/nb
			s.G[i*p+j] = ma + mb + f*delta[i]*delta[j]
		}
	}
	s.N += o.N
	copy(s.Shift, mu)
	clear(s.Sum)
}

func copyUpper(dst, src []float64, p int) {
	for i := 0; i < p; i++ {
		copy(dst[i*p+i:i*p+p], src[i*p+i:i*p+p])
	}
}

func equal(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Mean writes the column means c + s/n into dst (allocated when nil) and
// returns it.
func (s *State) Mean(dst []float64) []float64 {
	if dst == nil {
		dst = make([]float64, s.P)
	}
	n := float64(s.N)
	for j := range dst {
		dst[j] = s.Shift[j] + s.Sum[j]/n
	}
	return dst
}

// CovarianceTo writes the full symmetric sample covariance
// C = (G − s·sᵀ/n)/(n−1) into dst (P×P row-major, allocated when nil; it may
// be s.G itself) and returns it. It panics when N < 2.
func (s *State) CovarianceTo(dst []float64) []float64 {
	if s.N < 2 {
		panic("gram: covariance needs at least 2 rows")
	}
	p := s.P
	if dst == nil {
		dst = make([]float64, p*p)
	}
	n := float64(s.N)
	inv := 1 / (n - 1)
	for i := 0; i < p; i++ {
		si := s.Sum[i] / n
		for j := i; j < p; j++ {
			v := (s.G[i*p+j] - si*s.Sum[j]) * inv
			dst[i*p+j] = v
			dst[j*p+i] = v
		}
	}
	return dst
}
