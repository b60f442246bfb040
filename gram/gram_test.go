package gram

import (
	"math"
	"math/rand/v2"
	"testing"
)

// twoPassCov is the textbook oracle: mean first, then Σ (x−μ)(x−μ)ᵀ/(n−1).
func twoPassCov(x []float64, n, p int) (mean, cov []float64) {
	mean = make([]float64, p)
	for i := 0; i < n; i++ {
		for j := 0; j < p; j++ {
			mean[j] += x[i*p+j]
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	cov = make([]float64, p*p)
	for i := 0; i < n; i++ {
		for a := 0; a < p; a++ {
			da := x[i*p+a] - mean[a]
			for b := 0; b < p; b++ {
				cov[a*p+b] += da * (x[i*p+b] - mean[b])
			}
		}
	}
	for i := range cov {
		cov[i] /= float64(n - 1)
	}
	return mean, cov
}

func randMatrix(rng *rand.Rand, n, p int, loc, spread float64) []float64 {
	x := make([]float64, n*p)
	for i := range x {
		x[i] = loc + float64(i%p) + spread*rng.NormFloat64()
	}
	return x
}

func maxRelDiff(got, want []float64) float64 {
	scale := 0.0
	for _, v := range want {
		scale = math.Max(scale, math.Abs(v))
	}
	d := 0.0
	for i := range got {
		d = math.Max(d, math.Abs(got[i]-want[i]))
	}
	return d / scale
}

// accumulate adds x in blocks of size block with a shift taken from the first block.
func accumulate(x []float64, n, p, block int) *State {
	first := min(block, n)
	shift := make([]float64, p)
	for i := 0; i < first; i++ {
		for j := 0; j < p; j++ {
			shift[j] += x[i*p+j] / float64(first)
		}
	}
	acc := NewState(p, shift)
	part := NewState(p, shift)
	for start := 0; start < n; start += block {
		rows := min(block, n-start)
		b := append([]float64(nil), x[start*p:(start+rows)*p]...)
		part.SetBlock(b, rows)
		acc.Merge(part)
	}
	return acc
}

func TestCovarianceMatchesTwoPass(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, p = 257, 13
	x := randMatrix(rng, n, p, 10, 3)
	wantMean, wantCov := twoPassCov(x, n, p)
	for _, block := range []int{1, 2, 16, 100, n, n + 10} {
		for rep := 0; rep < 2; rep++ { // twice: receivers are reusable
			s := accumulate(x, n, p, block)
			if s.N != n {
				t.Fatalf("block %d: N = %d", block, s.N)
			}
			if d := maxRelDiff(s.Mean(nil), wantMean); d > 1e-13 {
				t.Errorf("block %d: mean rel diff %g", block, d)
			}
			if d := maxRelDiff(s.CovarianceTo(nil), wantCov); d > 1e-12 {
				t.Errorf("block %d: cov rel diff %g", block, d)
			}
		}
	}
}

func TestAddEqualsSetBlockMerge(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, p = 50, 4
	x := randMatrix(rng, n, p, 0, 1)
	a := NewState(p, nil)
	for start := 0; start < n; start += 7 {
		rows := min(7, n-start)
		a.Add(append([]float64(nil), x[start*p:(start+rows)*p]...), rows)
	}
	b := accumulate(x, n, p, 7)
	_, want := twoPassCov(x, n, p)
	if d := maxRelDiff(a.CovarianceTo(nil), want); d > 1e-12 {
		t.Errorf("Add: cov rel diff %g", d)
	}
	if d := maxRelDiff(b.CovarianceTo(nil), want); d > 1e-12 {
		t.Errorf("SetBlock+Merge: cov rel diff %g", d)
	}
}

// TestCancellation: mean 1e5, spread 1e-5. A naive XᵀX − nμμᵀ gives garbage;
// the shifted state must give the variances to 1e-6 relative (the oracle is
// the two-pass formula, itself exact to ~1e-12 here because x−μ is exact).
func TestCancellation(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n, p = 1000, 3
	x := make([]float64, n*p)
	for i := range x {
		x[i] = 1e5 + 1e-5*rng.NormFloat64()
	}
	_, want := twoPassCov(x, n, p)
	for _, block := range []int{1, 64, n} {
		got := accumulate(x, n, p, block).CovarianceTo(nil)
		for j := 0; j < p; j++ {
			if rel := math.Abs(got[j*p+j]-want[j*p+j]) / want[j*p+j]; rel > 1e-6 {
				t.Errorf("block %d col %d: variance %g want %g (rel %g)", block, j, got[j*p+j], want[j*p+j], rel)
			}
		}
	}
}

func TestChanMergeDifferentShifts(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const n, p = 300, 5
	x := randMatrix(rng, n, p, 1e4, 0.5)
	_, want := twoPassCov(x, n, p)
	wantMean, _ := twoPassCov(x, n, p)
	cuts := []int{0, 1, 90, 91, 250, n}
	var acc *State
	for c := 0; c+1 < len(cuts); c++ {
		lo, hi := cuts[c], cuts[c+1]
		part := accumulate(x[lo*p:hi*p], hi-lo, p, 16) // each part has its own shift
		if acc == nil {
			acc = NewState(p, nil)
		}
		acc.Merge(part)
	}
	if acc.N != n {
		t.Fatalf("N = %d", acc.N)
	}
	if d := maxRelDiff(acc.CovarianceTo(nil), want); d > 1e-10 {
		t.Errorf("cov rel diff %g", d)
	}
	if d := maxRelDiff(acc.Mean(nil), wantMean); d > 1e-14 {
		t.Errorf("mean rel diff %g", d)
	}
}

func TestCovarianceInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const n, p = 40, 6
	x := randMatrix(rng, n, p, 2, 1)
	s := accumulate(x, n, p, 8)
	want := s.CovarianceTo(nil)
	got := s.CovarianceTo(s.G)
	if d := maxRelDiff(got, want); d != 0 {
		t.Errorf("in-place covariance differs by %g", d)
	}
}

func BenchmarkSetBlock(b *testing.B) {
	for _, p := range []int{64, 512} {
		b.Run("p="+itoa(p), func(b *testing.B) {
			const rows = 1024
			rng := rand.New(rand.NewPCG(1, 1))
			src := randMatrix(rng, rows, p, 0, 1)
			blk := make([]float64, len(src))
			s := NewState(p, nil)
			b.SetBytes(int64(rows * p * 8))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				copy(blk, src)
				s.SetBlock(blk, rows)
			}
			b.ReportMetric(float64(b.N)*float64(rows)*float64(p)*float64(p+1)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	s := ""
	for ; v > 0; v /= 10 {
		s = string(rune('0'+v%10)) + s
	}
	return s
}
