package stream

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"

	"github.com/spca/spca/chunk"
)

// RandomizedOptions tune the randomized route (subspace iteration on the
// covariance with a Rayleigh–Ritz step after every pass).
type RandomizedOptions struct {
	Oversampling  int     // extra basis columns beyond k; the basis has l = k + Oversampling columns
	Iterations    int     // power iterations: at least Iterations+1 passes over the data
	Tol           float64 // > 0: keep iterating until every residual ‖Cv − λv‖/λ is ≤ Tol (up to MaxIterations)
	MaxIterations int     // cap on the power iterations when Tol > 0
	Seed          uint64  // seed of the Gaussian start Ω
}

// Defaults of the randomized route.
const (
	DefaultOversampling  = 10
	DefaultIterations    = 4
	DefaultTol           = 1e-6
	DefaultMaxIterations = 60
)

// RandomizedBlockRows is the block height of the randomized passes for p
// columns: about 32 MiB of float64 per block, between 8 and 65536 rows. It
// depends on p alone, so the result does not depend on the thread count.
func RandomizedBlockRows(p int) int {
	return min(max((32<<20)/(8*max(p, 1)), 8), 65536)
}

// RandomizedBytes is the memory the randomized route plans for: the basis Q
// and the product Y (p×l each), the Ritz vectors (p×l), the column sums
// and squares, and threads+2 blocks.
func RandomizedBytes(p, l, blockRows, threads int) int64 {
	return 3*int64(p)*int64(l)*8 + 4*int64(p)*8 + int64(threads+2)*int64(blockRows)*int64(p)*8
}

// FitRandomized fits k components by subspace iteration. Each pass over the
// row blocks B (shifted by the first block's mean c) computes Y = C·Q for
// the current orthonormal basis Q (p×l): T = B·Q, Y += Bᵀ·T, with the mean
// correction C·Q = (Y − s·(sᵀQ)/n)/(n−1) from the shifted column sums s of
// the same pass. Rayleigh–Ritz on (Q, Y) gives the components and, since
// Y = C·Q exactly, each residual ‖Cv − λv‖/λ without another pass; the next
// basis is orth(Y). The first pass also gathers the exact trace. Memory is
// O(p·l), never p². The start Ω is Gaussian from ro.Seed, and every
// reduction runs in block order: the result is bit-identical for any
// number of threads.
func FitRandomized(ctx context.Context, src Source, opt FitOptions, ro RandomizedOptions) (*Model, chunk.Info, error) {
	start := time.Now()
	if opt.Selection.K <= 0 {
		return nil, chunk.Info{}, fmt.Errorf("%w: the randomized method needs -k (it cannot see the spectrum beyond k + oversampling to apply --variance)", ErrBadK)
	}
	if !src.Reopenable() {
		return nil, chunk.Info{}, chunk.Errorf(src.Path, "%w: the randomized method reads the data once per iteration; give a file, not standard input", chunk.ErrNoSeek)
	}
	if ro.Oversampling < 0 || ro.Iterations < 0 {
		return nil, chunk.Info{}, fmt.Errorf("%w: oversampling and iterations must be ≥ 0", ErrBadK)
	}
	maxIter := max(ro.MaxIterations, ro.Iterations)
	k := opt.Selection.K
	var (
		op   *productOp
		info chunk.Info
		n    int64
	)
	var q []float64 // p×l orthonormal basis, row-major
	var l, p int
	var scale, scaled []float64
	m := &Model{Method: "randomized"}
	for pass := 1; ; pass++ {
		r, err := src.Open(opt.blockRows(1))
		if err != nil {
			return nil, info, err
		}
		pinfo := r.Info()
		if pass == 1 {
			info = pinfo
			p = info.Cols
			l = min(k+ro.Oversampling, p)
			if k > p {
				r.Close()
				return nil, info, BadInput(info.Name, fmt.Errorf("%w: k=%d, but 1 ≤ k ≤ min(n, p) and p = %d", ErrBadK, k, p))
			}
			q = gaussianBasis(p, l, ro.Seed)
			op = &productOp{p: p, l: l, wantSq: true}
		} else if pinfo.Cols != p {
			r.Close()
			return nil, info, chunk.Errorf(info.Name, "the file changed between passes (%d columns, then %d)", p, pinfo.Cols)
		}
		op.reset()
		if scale != nil {
			// Correlation PCA: C_s·Q = D⁻¹·C·(D⁻¹·Q).
			if scaled == nil {
				scaled = make([]float64, p*l)
			}
			op.in = scaleRowsTo(scaled, q, scale, p, l)
		} else {
			op.in = q
		}
		br := opt.BlockRows
		if br <= 0 {
			br = RandomizedBlockRows(p)
			if info.Rows > 0 {
				br = int(min(int64(br), info.Rows)) // no buffers larger than the data
			}
		}
		progress := progressFunc(opt.Options, fmt.Sprintf("randomized %d", pass), pinfo.Rows, int64(p*pinfo.DType.Size()))
		var first func(b *block)
		if pass == 1 {
			first = func(b *block) { op.shift = pilotMean(b.data[:b.rows*p], p) }
		}
		newStage := func() stage { return &productStage{name: info.Name, op: op} }
		rows, err := pipeline(ctx, r, br, opt.threads(), first, newStage, progress)
		r.Close()
		// The pass's block buffers are garbage now; collecting them before
		// the next pass allocates its own keeps the peak near one pass's
		// worth instead of the collector's 2× headroom (a few ms per pass).
		runtime.GC()
		if err != nil {
			return nil, info, err
		}
		if pinfo.Rows >= 0 && rows != pinfo.Rows {
			return nil, info, chunk.Errorf(info.Name, "read %d rows, header says %d", rows, pinfo.Rows)
		}
		if pass == 1 {
			n = rows
			if n < 2 {
				return nil, info, BadInput(info.Name, fmt.Errorf("%w: need at least 2 rows, got %d", ErrTooFew, n))
			}
			if int64(k) > n {
				return nil, info, BadInput(info.Name, fmt.Errorf("%w: k=%d, but 1 ≤ k ≤ min(n, p) = min(%d, %d) = %d", ErrBadK, k, n, p, min(n, int64(p))))
			}
			m.NSamples, m.NFeatures = n, p
			m.Mean = make([]float64, p)
			diag := make([]float64, p)
			for j := 0; j < p; j++ {
				m.Mean[j] = op.shift[j] + op.sum[j]/float64(n)
				diag[j] = max(op.sq[j]-op.sum[j]*op.sum[j]/float64(n), 0) / float64(n-1)
			}
			if opt.Scale {
				scale = make([]float64, p)
				for j, d := range diag {
					s := math.Sqrt(d)
					if !(s > 0) {
						s = 1
						m.ZeroVarianceColumns = append(m.ZeroVarianceColumns, j)
					}
					scale[j] = s
					m.TotalVariance += d / (s * s)
				}
				m.Scale = scale
			} else {
				for _, d := range diag {
					m.TotalVariance += d
				}
			}
			if !(m.TotalVariance > 0) {
				return nil, info, BadInput(info.Name, ErrNoVariance)
			}
			op.wantSq = false
		} else if rows != n {
			return nil, info, chunk.Errorf(info.Name, "pass %d read %d rows, the first read %d: the file changed during the fit", pass, rows, n)
		}
		y := op.covTimes(n) // C·in
		if scale != nil {
			scaleRowsTo(y, y, scale, p, l) // D⁻¹·C·D⁻¹·Q
		}
		// Rayleigh–Ritz is valid once Q is orthonormal and Y = C_s·Q; with
		// scaling the first pass only gives a start (the scale was unknown).
		if scale == nil || pass > 1 {
			vals, comps, res, err := rayleighRitz(q, y, p, l, k)
			if err != nil {
				return nil, info, err
			}
			worst := 0.0
			for _, r := range res {
				worst = max(worst, r)
			}
			m.Passes = pass
			done := pass >= ro.Iterations+1 && (ro.Tol <= 0 || worst <= ro.Tol || pass >= maxIter+1)
			if done {
				m.ExplainedVariance, m.Components, m.Residuals = vals, comps, res
				break
			}
		}
		if err := orthonormalize(y, p, l); err != nil {
			return nil, info, err
		}
		// y is the new basis; the old basis's storage takes the next product.
		q, op.y = y, q
	}
	finishModel(m, k)
	m.Seconds = time.Since(start).Seconds()
	return m, info, nil
}

// finishModel applies the sign rule (to the components and, in the same
// order, nothing else) and fills the derived quantities from
// ExplainedVariance, Components, TotalVariance and NSamples.
func finishModel(m *Model, k int) {
	p, n := m.NFeatures, m.NSamples
	m.NComponents = k
	for i := range m.ExplainedVariance {
		m.ExplainedVariance[i] = max(m.ExplainedVariance[i], 0)
	}
	applySignRule(m.Components, k, p)
	m.ExplainedVarianceRatio = make([]float64, k)
	m.SingularValues = make([]float64, k)
	sum := 0.0
	for i, l := range m.ExplainedVariance {
		m.ExplainedVarianceRatio[i] = l / m.TotalVariance
		m.SingularValues[i] = math.Sqrt(l * float64(n-1))
		sum += l
	}
	limit := int(min(n, int64(p)))
	if k < limit {
		m.NoiseVariance = max(m.TotalVariance-sum, 0) / float64(limit-k)
	}
	m.Orthogonality = orthogonality(m.Components, k, p)
	// ‖CV − VΛ‖_F/‖C‖_F is not available without C; the per-component
	// residuals bound it: ‖CV − VΛ‖_F = sqrt(Σ (λᵢ·rᵢ)²) and ‖C‖_F ≥ sqrt(Σλᵢ²).
	var num, den float64
	for i, r := range m.Residuals {
		num += (m.ExplainedVariance[i] * r) * (m.ExplainedVariance[i] * r)
		den += m.ExplainedVariance[i] * m.ExplainedVariance[i]
	}
	if den > 0 {
		m.Residual = math.Sqrt(num / den)
	}
}

// orthogonality is ‖VᵀV − I‖_F for the k×p rows of vecs.
func orthogonality(vecs []float64, k, p int) float64 {
	g := make([]float64, k*k)
	blas64.Implementation().Dgemm(blas.NoTrans, blas.Trans, k, k, p, 1, vecs, p, vecs, p, 0, g, k)
	var o2 float64
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			d := g[i*k+j]
			if i == j {
				d--
			}
			o2 += d * d
		}
	}
	return math.Sqrt(o2)
}

// gaussianBasis returns orth(Ω) for a p×l standard normal Ω drawn from seed.
func gaussianBasis(p, l int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x5ca1ab1e))
	q := make([]float64, p*l)
	for i := range q {
		q[i] = rng.NormFloat64()
	}
	if err := orthonormalize(q, p, l); err != nil {
		panic(err) // a Gaussian matrix has full rank with probability 1
	}
	return q
}

// orthonormalize replaces the p×l matrix a (row-major) by the Q of its
// Householder QR factorisation.
func orthonormalize(a []float64, p, l int) error {
	g := blas64.General{Rows: p, Cols: l, Stride: l, Data: a}
	tau := make([]float64, l)
	work := make([]float64, 1)
	lapack64.Geqrf(g, tau, work, -1)
	lapack64.Orgqr(g, tau, work, -1)
	work = make([]float64, max(int(work[0]), l))
	lapack64.Geqrf(g, tau, work, len(work))
	lapack64.Orgqr(g, tau, work, len(work))
	for _, v := range a {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("randomized: the basis is not finite after orthonormalisation")
		}
	}
	return nil
}

// rayleighRitz solves the projected problem QᵀY z = θ z (Y = C·Q, Q
// orthonormal) and returns the top k Ritz values θ, the Ritz vectors Q·z
// (k×p rows) and the residuals ‖Y·z − θ·Q·z‖/θ = ‖Cv − θv‖/θ.
func rayleighRitz(q, y []float64, p, l, k int) (vals, comps, res []float64, err error) {
	impl := blas64.Implementation()
	h := make([]float64, l*l)
	impl.Dgemm(blas.Trans, blas.NoTrans, l, l, p, 1, q, l, y, l, 0, h, l)
	for i := 0; i < l; i++ {
		for j := i + 1; j < l; j++ {
			v := (h[i*l+j] + h[j*l+i]) / 2
			h[i*l+j], h[j*l+i] = v, v
		}
	}
	vals, z, err := symEig(h, l, k) // z: k×l, one eigenvector per row
	if err != nil {
		return nil, nil, nil, err
	}
	// V = Q·Z and C·V = Y·Z, a panel of rows at a time so that C·V is never
	// held whole (it would be another k×p matrix).
	comps = make([]float64, k*p)
	const panel = 4096
	vp := make([]float64, panel*k)
	cvp := make([]float64, panel*k)
	r2 := make([]float64, k)
	for j0 := 0; j0 < p; j0 += panel {
		rows := min(panel, p-j0)
		impl.Dgemm(blas.NoTrans, blas.Trans, rows, k, l, 1, q[j0*l:], l, z, l, 0, vp, k)
		impl.Dgemm(blas.NoTrans, blas.Trans, rows, k, l, 1, y[j0*l:], l, z, l, 0, cvp, k)
		for r := 0; r < rows; r++ {
			for i := 0; i < k; i++ {
				v := vp[r*k+i]
				comps[i*p+j0+r] = v
				d := cvp[r*k+i] - vals[i]*v
				r2[i] += d * d
			}
		}
	}
	res = make([]float64, k)
	for i := range res {
		res[i] = relResidual(math.Sqrt(r2[i]), vals[i], vals[0])
	}
	return vals, comps, res, nil
}

// relResidual is r/λ; for λ ≈ 0 (a null direction) it is r/λ₁ instead, so
// that an exact zero eigenpair does not read as an infinite error.
func relResidual(r, lambda, lambda1 float64) float64 {
	if lambda > 1e-12*lambda1 && lambda > 0 {
		return r / lambda
	}
	if lambda1 > 0 {
		return r / lambda1
	}
	return r
}

// scaleRowsTo writes the p×l matrix a with row j divided by s[j] to out
// (which may be a) and returns it.
func scaleRowsTo(out, a, s []float64, p, l int) []float64 {
	for j := 0; j < p; j++ {
		for c := 0; c < l; c++ {
			out[j*l+c] = a[j*l+c] / s[j]
		}
	}
	return out
}

// productOp is the state of one pass computing C·in.
type productOp struct {
	p, l   int
	shift  []float64 // c, set from the first block of the first pass
	in     []float64 // p×l
	y      []float64 // p×l: Σ Bᵀ(B·in) over shifted blocks
	sum    []float64 // Σ (x − c)
	sq     []float64 // Σ (x − c)² (first pass only)
	wantSq bool
}

func (o *productOp) reset() {
	if o.y == nil {
		o.y = make([]float64, o.p*o.l)
	}
	clear(o.y)
	o.sum = make([]float64, o.p)
	if o.wantSq {
		o.sq = make([]float64, o.p)
	}
}

// covTimes returns C·in = (Y − s·(sᵀ·in)/n)/(n−1).
func (o *productOp) covTimes(n int64) []float64 {
	p, l := o.p, o.l
	st := make([]float64, l) // sᵀ·in
	for j := 0; j < p; j++ {
		for c := 0; c < l; c++ {
			st[c] += o.sum[j] * o.in[j*l+c]
		}
	}
	nf := float64(n)
	inv := 1 / (nf - 1)
	y := o.y
	for j := 0; j < p; j++ {
		sj := o.sum[j] / nf
		for c := 0; c < l; c++ {
			y[j*l+c] = (y[j*l+c] - sj*st[c]) * inv
		}
	}
	return y
}

// productStage shifts a block, sums its columns and computes T = B·in in
// parallel; the commit adds Bᵀ·T and the sums in block order.
type productStage struct {
	name    string
	op      *productOp
	t       []float64
	sum, sq []float64
}

func (s *productStage) process(b *block) error {
	op := s.op
	p, l := op.p, op.l
	if s.sum == nil {
		s.sum = make([]float64, p)
		if op.wantSq {
			s.sq = make([]float64, p)
		}
	}
	clear(s.sum)
	clear(s.sq)
	data := b.data[:b.rows*p]
	for r := 0; r < b.rows; r++ {
		row := data[r*p : r*p+p]
		for j, c := range op.shift {
			v := row[j] - c
			row[j] = v
			s.sum[j] += v
		}
		if s.sq != nil {
			for j, v := range row {
				s.sq[j] += v * v
			}
		}
	}
	for _, v := range s.sum {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			if err := chunk.CheckFinite(s.name, b.start, p, data); err != nil {
				return err
			}
			return chunk.Errorf(s.name, "%w: rows %d..%d overflow float64 (a column sum is %v)", chunk.ErrNotFinite, b.start, b.start+int64(b.rows)-1, v)
		}
	}
	if cap(s.t) < b.rows*l {
		s.t = make([]float64, b.rows*l)
	}
	s.t = s.t[:b.rows*l]
	blas64.Implementation().Dgemm(blas.NoTrans, blas.NoTrans, b.rows, l, p, 1, data, p, op.in, l, 0, s.t, l)
	return nil
}

func (s *productStage) commit(b *block) error {
	op := s.op
	p, l := op.p, op.l
	blas64.Implementation().Dgemm(blas.Trans, blas.NoTrans, p, l, b.rows, 1, b.data[:b.rows*p], p, s.t, l, 1, op.y, l)
	for j, v := range s.sum {
		op.sum[j] += v
	}
	for j, v := range s.sq {
		op.sq[j] += v
	}
	return nil
}
