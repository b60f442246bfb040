package ica

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/stream"
)

// Options control Fit.
type Options struct {
	stream.Options           // threads, block rows, progress; MaxMemory bounds the Gram pass
	K              int       // number of components, 1 ≤ K ≤ min(n, p); 0 means min(10, n, p)
	Fun            Fun       // contrast function
	Algorithm      Algorithm // parallel or deflation
	MaxIter        int       // iterations (per component for deflation); 0 means 200
	Tol            float64   // convergence threshold, ≥ 0 (0 runs MaxIter iterations)
	Seed           uint64    // seeds the random starting matrix when WInit is nil
	WInit          []float64 // K×K row-major starting matrix (scikit-learn's w_init); nil: standard normal from Seed
	// Memory is the budget in bytes for the in-memory whitened copy: when
	// n·K·8 ≤ Memory the iterations read that copy instead of the input.
	// 0 means a quarter of the physical memory; negative never copies.
	Memory int64
}

// DefaultMaxIter is scikit-learn's default max_iter.
const DefaultMaxIter = 200

// ErrRank is returned (wrapped) when the data have fewer than K
// directions of non-zero variance, so that they cannot be whitened.
var ErrRank = errors.New("cannot whiten")

// Fit runs FastICA on src: the Gram pass and solve for the whitening, then
// one pass per iteration (over the input, or over the in-memory whitened
// copy made by one extra pass), then a statistics pass for scale, sign and
// order. Non-convergence is not an error: the model says Converged = false.
func Fit(ctx context.Context, src stream.Opener, opt Options) (*Model, error) {
	start := time.Now()
	if opt.MaxIter == 0 {
		opt.MaxIter = DefaultMaxIter
	}
	if opt.MaxIter < 0 || !(opt.Tol >= 0) || opt.K < 0 {
		return nil, fmt.Errorf("ica: bad options: max_iter %d, tol %g, k %d", opt.MaxIter, opt.Tol, opt.K)
	}
	st, info, err := stream.Accumulate(ctx, src, opt.Options)
	if err != nil {
		return nil, err
	}
	if opt.K == 0 {
		opt.K = int(min(10, info.Rows, int64(info.Cols)))
	}
	pca, err := stream.Solve(st, stream.Selection{K: opt.K}, false)
	if err != nil {
		return nil, stream.BadInput(info.Name, err)
	}
	st = nil
	n, p, k := pca.NSamples, pca.NFeatures, pca.NComponents
	if opt.WInit != nil && len(opt.WInit) != k*k {
		return nil, fmt.Errorf("ica: w_init has %d values, want %d x %d", len(opt.WInit), k, k)
	}
	m := &Model{NSamples: n, NFeatures: p, NComponents: k, Fun: opt.Fun, Algorithm: opt.Algorithm,
		Tol: opt.Tol, MaxIter: opt.MaxIter, Mean: pca.Mean, Seed: opt.Seed, GivenInit: opt.WInit != nil}
	m.PCAVariance = pca.ExplainedVariance

	// Whitening: K (scikit-learn's whitening_) and kw = sqrt(n)·K, which
	// gives the whitened data unit variance with the 1/n denominator.
	m.Whitening = make([]float64, k*p)
	kw := make([]float64, k*p)
	sqn := math.Sqrt(float64(n))
	for i := 0; i < k; i++ {
		l := pca.ExplainedVariance[i]
		if !(l > 1e-13*pca.ExplainedVariance[0]) {
			return nil, chunk.Errorf(info.Name, "%w: component %d has variance %.3g (the largest is %.3g): the data have fewer than k = %d independent directions; lower -k",
				ErrRank, i+1, l, pca.ExplainedVariance[0], k)
		}
		d := math.Sqrt(l * float64(n-1))
		v := pca.Components[i*p : i*p+p]
		sign := 1.0
		for _, x := range v {
			if x != 0 {
				if x < 0 {
					sign = -1
				}
				break
			}
		}
		for j, x := range v {
			m.Whitening[i*p+j] = sign * x / d
			kw[i*p+j] = sign * x / d * sqn
		}
	}

	br := opt.BlockRows
	if br <= 0 {
		br = stream.DefaultBlockRows(p)
	}
	data := &whitened{name: info.Name, src: src, raw: true, n: n, p: p, k: k, mean: m.Mean, kw: kw,
		blockRows: br, threads: opt.Threads, progress: opt.Progress}
	if data.threads <= 0 {
		data.threads = runtime.GOMAXPROCS(0)
	}
	budget := opt.Memory
	if budget == 0 {
		budget = stream.PhysicalMemory() / 4
	}
	if budget > 0 && n*int64(k)*8 <= budget {
		z, err := data.copyToMemory(ctx)
		if err != nil {
			return nil, err
		}
		data = &whitened{name: info.Name, src: z, n: n, p: p, k: k, blockRows: br, threads: data.threads, progress: opt.Progress}
		m.InMemory = true
	}
	m.Passes = 2 // the Gram pass, and the statistics pass below
	if m.InMemory {
		m.Passes++
	}

	w0 := opt.WInit
	if w0 == nil {
		rng := rand.New(rand.NewPCG(opt.Seed, 0x5ca1ab1e))
		w0 = make([]float64, k*k)
		for i := range w0 {
			w0[i] = rng.NormFloat64()
		}
	}
	var w []float64
	if opt.Algorithm == Deflation {
		w, err = m.deflation(ctx, data, w0)
	} else {
		w, err = m.parallel(ctx, data, w0)
	}
	if err != nil {
		return nil, err
	}
	if err := m.finish(ctx, data, w, kw); err != nil {
		return nil, err
	}
	m.Seconds = time.Since(start).Seconds()
	return m, nil
}

// parallel is scikit-learn's _ica_par: W = sym(w_init), then one pass per
// iteration until the largest |(|⟨w_new, w_old⟩| − 1)| is below tol.
func (m *Model) parallel(ctx context.Context, data *whitened, w0 []float64) ([]float64, error) {
	k := m.NComponents
	w := symDecorrelate(append([]float64(nil), w0...), k)
	nf := float64(m.NSamples)
	for it := 1; it <= m.MaxIter; it++ {
		a := make([]float64, k*k) // Σ g(WZ)·Zᵀ
		s := make([]float64, k)   // Σ g′(WZ)
		err := data.pass(ctx, fmt.Sprintf("ica %d", it), func() work { return &parWork{fun: m.Fun, w: w, k: k, a: a, s: s} })
		if err != nil {
			return nil, err
		}
		m.Passes++
		w1 := make([]float64, k*k)
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				w1[i*k+j] = a[i*k+j]/nf - s[i]/nf*w[i*k+j]
			}
		}
		w1 = symDecorrelate(w1, k)
		lim := 0.0
		for i := 0; i < k; i++ {
			dot := 0.0
			for j := 0; j < k; j++ {
				dot += w1[i*k+j] * w[i*k+j]
			}
			lim = max(lim, math.Abs(math.Abs(dot)-1))
		}
		w = w1
		m.NIter, m.LastChange = it, lim
		if lim < m.Tol {
			m.Converged = true
			break
		}
	}
	return w, nil
}

// deflation is scikit-learn's _ica_def: component j starts from row j of
// w_init (normalised) and is kept orthogonal to components 0..j−1.
func (m *Model) deflation(ctx context.Context, data *whitened, w0 []float64) ([]float64, error) {
	k := m.NComponents
	nf := float64(m.NSamples)
	w := make([]float64, k*k)
	m.Converged = true
	for j := 0; j < k; j++ {
		v := append([]float64(nil), w0[j*k:j*k+k]...)
		scaleTo1(v)
		converged := false
		var lim float64
		it := 0
		for it < m.MaxIter {
			it++
			a := make([]float64, k)
			var s float64
			err := data.pass(ctx, fmt.Sprintf("ica %d.%d", j+1, it), func() work { return &defWork{fun: m.Fun, w: v, k: k, a: a, s: &s} })
			if err != nil {
				return nil, err
			}
			m.Passes++
			v1 := make([]float64, k)
			for c := range v1 {
				v1[c] = a[c]/nf - s/nf*v[c]
			}
			// Gram–Schmidt against the components already found.
			for r := 0; r < j; r++ {
				dot := 0.0
				for c := 0; c < k; c++ {
					dot += v1[c] * w[r*k+c]
				}
				for c := 0; c < k; c++ {
					v1[c] -= dot * w[r*k+c]
				}
			}
			scaleTo1(v1)
			dot := 0.0
			for c := range v1 {
				dot += v1[c] * v[c]
			}
			lim = math.Abs(math.Abs(dot) - 1)
			v = v1
			if lim < m.Tol {
				converged = true
				break
			}
		}
		copy(w[j*k:], v)
		m.NIter = max(m.NIter, it)
		m.LastChange = max(m.LastChange, lim)
		m.Converged = m.Converged && converged
	}
	return w, nil
}

func scaleTo1(v []float64) {
	s := 0.0
	for _, x := range v {
		s += x * x
	}
	s = math.Sqrt(s)
	for i := range v {
		v[i] /= s
	}
}

// symDecorrelate returns (W·Wᵀ)^(−1/2)·W, eigenvalues clipped below at the
// smallest normal float64 as scikit-learn does.
func symDecorrelate(w []float64, k int) []float64 {
	wm := mat.NewDense(k, k, w)
	var g mat.SymDense
	g.SymOuterK(1, wm)
	var eig mat.EigenSym
	if !eig.Factorize(&g, true) {
		// Only NaN input makes a k×k symmetric eigenproblem fail.
		panic("ica: symmetric decorrelation failed to converge")
	}
	vals := eig.Values(nil)
	var u mat.Dense
	eig.VectorsTo(&u)
	var ud mat.Dense
	ud.CloneFrom(&u)
	for j, s := range vals {
		f := 1 / math.Sqrt(max(s, math.SmallestNonzeroFloat64*(1<<52)))
		for i := 0; i < k; i++ {
			ud.Set(i, j, ud.At(i, j)*f)
		}
	}
	var t, out mat.Dense
	t.Mul(&ud, u.T())
	out.Mul(&t, wm)
	return out.RawMatrix().Data
}

// finish makes the statistics pass over the sources of w and fills the
// model: unit variance, sign (positive skewness), order (decreasing
// negentropy), components, unmixing and mixing.
func (m *Model) finish(ctx context.Context, data *whitened, w, kw []float64) error {
	k, p := m.NComponents, m.NFeatures
	sums := make([]float64, 4*k) // Σy, Σy², Σy³, ΣG(y) per component
	if err := data.pass(ctx, "statistics", func() work { return &statWork{fun: m.Fun, w: w, k: k, sums: sums} }); err != nil {
		return err
	}
	nf := float64(m.NSamples)
	sd := make([]float64, k)
	skew := make([]float64, k)
	negent := make([]float64, k)
	eg := m.Fun.GaussianMean()
	for c := 0; c < k; c++ {
		mu := sums[c] / nf
		m2 := sums[k+c]/nf - mu*mu
		m3 := sums[2*k+c]/nf - 3*mu*sums[k+c]/nf + 2*mu*mu*mu
		sd[c] = math.Sqrt(max(m2, 0))
		if sd[c] > 0 {
			skew[c] = m3 / (sd[c] * sd[c] * sd[c])
		}
		d := sums[3*k+c]/nf - eg
		negent[c] = d * d
	}
	// Mixing of the rotation before scaling, sign and order: with W
	// orthogonal and kw⁺ = kwᵀ·diag(1/‖kwᵢ‖²), A = kw⁺·Wᵀ·diag(sd).
	norm2 := make([]float64, k)
	for i := 0; i < k; i++ {
		for j := 0; j < p; j++ {
			norm2[i] += kw[i*p+j] * kw[i*p+j]
		}
	}
	mix := make([]float64, p*k) // p×k
	for j := 0; j < p; j++ {
		for c := 0; c < k; c++ {
			s := 0.0
			for i := 0; i < k; i++ {
				s += kw[i*p+j] / norm2[i] * w[c*k+i]
			}
			mix[j*k+c] = s * sd[c]
		}
	}
	order := make([]int, k)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return negent[order[a]] > negent[order[b]] })
	sqn := math.Sqrt(nf)
	m.Unmixing = make([]float64, k*k)
	m.Components = make([]float64, k*p)
	m.Mixing = make([]float64, p*k)
	m.Skewness = make([]float64, k)
	m.Negentropy = make([]float64, k)
	for r, c := range order {
		if !(sd[c] > 0) {
			return fmt.Errorf("ica: source %d has zero variance", c+1)
		}
		sign := 1.0
		if math.Abs(skew[c]) > SkewTie {
			if skew[c] < 0 {
				sign = -1
			}
		} else {
			best := 0
			for j := 0; j < p; j++ {
				if math.Abs(mix[j*k+c]) > math.Abs(mix[best*k+c]) {
					best = j
				}
			}
			if mix[best*k+c] < 0 {
				sign = -1
			}
		}
		m.Skewness[r] = sign * skew[c]
		m.Negentropy[r] = negent[c]
		// components = unmixing·whitening, unmixing = sign·sqrt(n)/sd·W.
		for i := 0; i < k; i++ {
			m.Unmixing[r*k+i] = sign * sqn / sd[c] * w[c*k+i]
		}
		for j := 0; j < p; j++ {
			s := 0.0
			for i := 0; i < k; i++ {
				s += w[c*k+i] * kw[i*p+j]
			}
			m.Components[r*p+j] = sign * s / sd[c]
			m.Mixing[j*k+r] = sign * mix[j*k+c]
		}
	}
	return nil
}

// SkewTie is the |skewness| below which a source's sign is instead set by
// its mixing column (largest-magnitude entry positive): such a skewness is
// zero to within rounding for any realistic n, so its sign would be noise.
const SkewTie = 1e-6

// whitened is the data the iterations read: the input, whitened block by
// block (raw), or the in-memory whitened copy.
type whitened struct {
	name      string
	src       stream.Opener
	raw       bool
	n         int64
	p, k      int
	mean, kw  []float64 // raw only
	blockRows int
	threads   int
	progress  func(stream.Progress)
}

// work is one worker's share of a pass over whitened blocks: process sees
// rows×k whitened values (which it may not modify), commit runs in block order.
type work interface {
	process(z []float64, start int64, rows int)
	commit()
}

type whitenStage struct {
	d    *whitened
	w    work
	z    []float64
	name string
}

func (s *whitenStage) Process(b *stream.Block) error {
	z := b.Data
	if s.d.raw {
		var err error
		if z, err = s.d.whiten(b, &s.z); err != nil {
			return err
		}
	} else if err := chunk.CheckFinite(s.name, b.Start, s.d.k, z); err != nil {
		return err
	}
	s.w.process(z, b.Start, b.Rows)
	return nil
}

func (s *whitenStage) Commit(b *stream.Block) error {
	s.w.commit()
	return nil
}

// whiten turns a block of input rows into (x − mean)·kwᵀ in *buf; it
// refuses NaN and Inf, naming the row.
func (d *whitened) whiten(b *stream.Block, buf *[]float64) ([]float64, error) {
	p, k := d.p, d.k
	x := b.Data
	for i := 0; i < b.Rows; i++ {
		row := x[i*p : i*p+p]
		for j := range row {
			row[j] -= d.mean[j]
		}
	}
	if cap(*buf) < b.Rows*k {
		*buf = make([]float64, b.Rows*k)
	}
	z := (*buf)[:b.Rows*k]
	blas64.Implementation().Dgemm(blas.NoTrans, blas.Trans, b.Rows, k, p, 1, x, p, d.kw, p, 0, z, k)
	// A NaN or Inf in x reaches z; only then scan x to name the row.
	for _, v := range z {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			if err := chunk.CheckFinite(d.name, b.Start, p, x); err != nil {
				return nil, err
			}
			return nil, chunk.Errorf(d.name, "%w: rows %d..%d overflow float64 when whitened", chunk.ErrNotFinite, b.Start, b.Start+int64(b.Rows)-1)
		}
	}
	return z, nil
}

// pass reads the whitened data once, checking the row count.
func (d *whitened) pass(ctx context.Context, name string, newWork func() work) error {
	r, err := d.src.Open(d.blockRows)
	if err != nil {
		return err
	}
	defer r.Close()
	want := d.k
	if d.raw {
		want = d.p
	}
	if r.Info().Cols != want {
		return chunk.Errorf(d.name, "%w: %d columns in a later pass, %d in the first: the file changed during the fit", chunk.ErrShape, r.Info().Cols, d.p)
	}
	rows, err := stream.Pass(ctx, r, d.blockRows, d.threads, func() stream.Stage {
		return &whitenStage{d: d, w: newWork(), name: d.name}
	}, name, d.progress)
	if err != nil {
		return err
	}
	if rows != d.n {
		return chunk.Errorf(d.name, "a later pass read %d rows, the first read %d: the file changed during the fit", rows, d.n)
	}
	return nil
}

// copyToMemory makes the in-memory whitened copy Z (n×k) in one pass, with
// the same block partition and arithmetic as the streaming passes, so both
// paths give bit-identical results.
func (d *whitened) copyToMemory(ctx context.Context) (*Matrix, error) {
	z := &Matrix{Name: d.name, Rows: int(d.n), Cols: d.k, Data: make([]float64, d.n*int64(d.k))}
	err := d.pass(ctx, "whiten", func() work { return &copyWork{dst: z.Data, k: d.k} })
	return z, err
}

type copyWork struct {
	dst []float64
	k   int
}

// process copies into the block's own rows of dst: disjoint per block.
func (c *copyWork) process(z []float64, start int64, rows int) {
	copy(c.dst[start*int64(c.k):], z[:rows*c.k])
}
func (c *copyWork) commit() {}

// parWork sums one block's share of E[g(WZ)·Zᵀ] and E[g′(WZ)].
type parWork struct {
	fun       Fun
	w         []float64 // k×k
	k         int
	a, s      []float64 // shared sums, added to in commit
	y, ap, sp []float64
}

func (t *parWork) process(z []float64, start int64, rows int) {
	k := t.k
	t.y = growTo(t.y, rows*k)
	t.ap = growTo(t.ap, k*k)
	t.sp = growTo(t.sp, k)
	impl := blas64.Implementation()
	impl.Dgemm(blas.NoTrans, blas.Trans, rows, k, k, 1, z, k, t.w, k, 0, t.y, k)
	clear(t.sp)
	for r := 0; r < rows; r++ {
		row := t.y[r*k : r*k+k]
		for c, u := range row {
			g, dg := t.fun.g(u)
			row[c] = g
			t.sp[c] += dg
		}
	}
	impl.Dgemm(blas.Trans, blas.NoTrans, k, k, rows, 1, t.y, k, z, k, 0, t.ap, k)
}

func (t *parWork) commit() {
	for i, v := range t.ap {
		t.a[i] += v
	}
	for i, v := range t.sp {
		t.s[i] += v
	}
}

// defWork sums one block's share of E[g(wᵀz)·z] and E[g′(wᵀz)].
type defWork struct {
	fun   Fun
	w     []float64 // k
	k     int
	a     []float64 // shared sums
	s     *float64
	y, ap []float64
	sp    float64
}

func (t *defWork) process(z []float64, start int64, rows int) {
	k := t.k
	t.y = growTo(t.y, rows)
	t.ap = growTo(t.ap, k)
	impl := blas64.Implementation()
	impl.Dgemv(blas.NoTrans, rows, k, 1, z, k, t.w, 1, 0, t.y, 1)
	t.sp = 0
	for r, u := range t.y {
		g, dg := t.fun.g(u)
		t.y[r] = g
		t.sp += dg
	}
	impl.Dgemv(blas.Trans, rows, k, 1, z, k, t.y, 1, 0, t.ap, 1)
}

func (t *defWork) commit() {
	for i, v := range t.ap {
		t.a[i] += v
	}
	*t.s += t.sp
}

// statWork sums Σy, Σy², Σy³ and ΣG(y) of the sources y = W·z.
type statWork struct {
	fun     Fun
	w       []float64
	k       int
	sums    []float64 // shared, 4k
	y, part []float64
}

func (t *statWork) process(z []float64, start int64, rows int) {
	k := t.k
	t.y = growTo(t.y, rows*k)
	t.part = growTo(t.part, 4*k)
	blas64.Implementation().Dgemm(blas.NoTrans, blas.Trans, rows, k, k, 1, z, k, t.w, k, 0, t.y, k)
	clear(t.part)
	for r := 0; r < rows; r++ {
		for c, u := range t.y[r*k : r*k+k] {
			u2 := u * u
			t.part[c] += u
			t.part[k+c] += u2
			t.part[2*k+c] += u2 * u
			t.part[3*k+c] += t.fun.G(u)
		}
	}
}

func (t *statWork) commit() {
	for i, v := range t.part {
		t.sums[i] += v
	}
}

func growTo(x []float64, n int) []float64 {
	if cap(x) >= n {
		return x[:n]
	}
	return make([]float64, n)
}
