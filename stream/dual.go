package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/gram"
	"github.com/spca/spca/hdf5io"
)

// OpenColumns opens the source for column-slab reading (HDF5 datasets and
// uncompressed raw or .npy files). slabCols sizes HDF5's chunk cache.
// Compressed streams and standard input are an *chunk.Error wrapping
// chunk.ErrNoColumns.
func (s Source) OpenColumns(slabCols int) (chunk.ColumnReader, error) {
	if s.Path != "-" && hdf5io.IsHDF5(s.Path) {
		return hdf5io.OpenColumns(s.Path, s.Dataset, slabCols)
	}
	if s.Dataset != "" {
		return nil, chunk.Errorf(s.Path, "--dataset given but the file is not HDF5")
	}
	return chunk.OpenColumns(s.Path, chunk.Options{Cols: s.Cols, DType: s.DType})
}

// ColumnSlabs reports whether the source can give column slabs (without
// opening it for reading).
func (s Source) ColumnSlabs() bool {
	if s.Path == "-" {
		return false
	}
	return hdf5io.IsHDF5(s.Path) || chunk.CanReadColumns(s.Path)
}

// DualSlabCols is the slab width of the dual route for n rows: about 16 MiB
// of float64 per slab, at least one column. It depends on n alone.
func DualSlabCols(n int64) int {
	return int(min(max((16<<20)/(8*max(n, 1)), 1), 1<<20))
}

// DualBytes is the memory the dual route plans for: threads+2 n×n float64
// matrices (the running sum, one per worker, LAPACKE's copy) and threads+3
// slabs (one of them the reader's untransposed scratch).
func DualBytes(n int64, slabCols, threads int) int64 {
	return n*n*8*int64(threads+2) + int64(threads+3)*int64(slabCols)*n*8
}

// DualFactors holds what the dual solve knows beyond the model: the left
// singular vectors U (k×n, one per row, signs matching the components), from
// which the scores follow without another pass.
type DualFactors struct {
	U []float64
}

// FitDual fits by the dual (XXᵀ) route, for p ≫ n. The first pass reads
// column slabs; every column is centred by its exact mean (and, with Scale,
// divided by its exact standard deviation) inside its slab, and the slab's
// n×n Gram K += X_s·X_sᵀ is summed in slab order (a DSYRK on the transposed
// slab). The top k eigenpairs (λ, u) of K/(n−1) give the explained variances;
// a second pass over the slabs gives the loadings v = Xcᵀu/sqrt((n−1)λ), and
// the scores are u·sqrt((n−1)λ). The certificate needs no third pass: with
// r = K u/(n−1) − λu, ‖Cv − λv‖² = rᵀ(K/(n−1))r/λ exactly.
func FitDual(ctx context.Context, src Source, opt FitOptions) (*Model, *DualFactors, chunk.Info, error) {
	start := time.Now()
	cr, err := src.OpenColumns(0)
	if err != nil {
		var ce *chunk.Error
		if errors.Is(err, chunk.ErrNoColumns) && errors.As(err, &ce) {
			ce.Err = fmt.Errorf("%w; the dual method needs them: use --method randomized, which streams row blocks", ce.Err)
		}
		return nil, nil, chunk.Info{}, err
	}
	info := cr.Info()
	cr.Close()
	n, p := info.Rows, info.Cols
	if n < 2 {
		return nil, nil, info, BadInput(info.Name, fmt.Errorf("%w: need at least 2 rows, got %d", ErrTooFew, n))
	}
	limit := int(min(n, int64(p)))
	sel := opt.Selection
	if sel.K < 0 || sel.K > limit || (sel.K == 0 && !(sel.Variance > 0 && sel.Variance <= 1)) {
		return nil, nil, info, BadInput(info.Name, fmt.Errorf("%w: k=%d, but 1 ≤ k ≤ min(n, p) = min(%d, %d) = %d", ErrBadK, sel.K, n, p, limit))
	}
	w := opt.BlockRows
	if w <= 0 {
		w = min(DualSlabCols(n), p)
	}
	if opt.MaxMemory > 0 {
		if need := DualBytes(n, w, opt.threads()); need > opt.MaxMemory {
			return nil, nil, info, chunk.Errorf(info.Name, "%w: %d rows need %.3g GB for the dual route, more than the %.3g GB budget", chunk.ErrShape, n, float64(need)/1e9, float64(opt.MaxMemory)/1e9)
		}
	}
	m := &Model{Method: "dual", NSamples: n, NFeatures: p, Mean: make([]float64, p), Passes: 2}
	if opt.Scale {
		m.Scale = make([]float64, p)
	}
	// Pass 1: K = Σ_slabs X_s X_sᵀ over centred (scaled) columns.
	acc := gram.NewState(int(n), nil)
	var trace float64
	zeroVar := make([]bool, p)
	newStage := func() stage {
		return &dualGramStage{name: info.Name, n: int(n), m: m, acc: acc, trace: &trace, zeroVar: zeroVar}
	}
	if err := slabPass(ctx, src, w, opt, "dual gram", newStage); err != nil {
		return nil, nil, info, err
	}
	for j, z := range zeroVar {
		if z {
			m.ZeroVarianceColumns = append(m.ZeroVarianceColumns, j)
		}
	}
	m.TotalVariance = trace / float64(n-1)
	if !(m.TotalVariance > 0) {
		return nil, nil, info, BadInput(info.Name, ErrNoVariance)
	}
	nn := int(n)
	kmat := acc.G
	acc = nil
	inv := 1 / float64(n-1)
	for i := 0; i < nn; i++ {
		for j := i; j < nn; j++ {
			v := kmat[i*nn+j] * inv
			kmat[i*nn+j], kmat[j*nn+i] = v, v
		}
	}
	diag := make([]float64, nn)
	for i := range diag {
		diag[i] = kmat[i*nn+i]
	}
	restore := func() { restoreUpper(kmat, nn, diag) }
	k := sel.K
	if k == 0 {
		all, _, err := symEig(kmat, nn, 0)
		if err != nil {
			return nil, nil, info, err
		}
		restore()
		k = chooseK(all, m.TotalVariance, sel.Variance, limit)
	}
	vals, u, err := symEig(kmat, nn, k)
	if err != nil {
		return nil, nil, info, err
	}
	restore()
	for i := range vals {
		if !(vals[i] > 1e-13*vals[0]) {
			return nil, nil, info, BadInput(info.Name, fmt.Errorf("%w: component %d has (numerically) zero variance, so the dual route cannot form its loading; ask for at most %d components or use --method gram",
				ErrBadK, i+1, i))
		}
	}
	m.ExplainedVariance = vals
	// Certificate from K alone.
	m.Residuals = make([]float64, k)
	r := make([]float64, nn)
	kr := make([]float64, nn)
	impl := blas64.Implementation()
	var num, kf float64
	for _, v := range kmat {
		kf += v * v
	}
	for i := 0; i < k; i++ {
		ui := u[i*nn : i*nn+nn]
		impl.Dgemv(blas.NoTrans, nn, nn, 1, kmat, nn, ui, 1, 0, r, 1)
		for t := range r {
			r[t] -= vals[i] * ui[t]
		}
		impl.Dgemv(blas.NoTrans, nn, nn, 1, kmat, nn, r, 1, 0, kr, 1)
		q := max(impl.Ddot(nn, r, 1, kr, 1), 0) / vals[i] // ‖Cv − λv‖²
		num += q
		m.Residuals[i] = relResidual(math.Sqrt(q), vals[i], vals[0])
	}
	m.Residual = math.Sqrt(num / kf)
	kmat, diag = nil, nil
	runtime.GC() // release the n×n matrices and the first pass's slabs before the second pass

	// Pass 2: loadings V = Xcᵀ U Λ^{-1/2}/sqrt(n−1), written column by column.
	m.Components = make([]float64, k*p)
	coef := make([]float64, k)
	for i, l := range vals {
		coef[i] = 1 / math.Sqrt(float64(n-1)*l)
	}
	newLoad := func() stage {
		return &dualLoadStage{name: info.Name, n: nn, k: k, m: m, u: u, coef: coef}
	}
	if err := slabPass(ctx, src, w, opt, "dual loadings", newLoad); err != nil {
		return nil, nil, info, err
	}
	// Sign rule on V, mirrored on U so that the scores keep V's signs.
	for i, f := range applySignRule(m.Components, k, p) {
		if f {
			for t := 0; t < nn; t++ {
				u[i*nn+t] = -u[i*nn+t]
			}
		}
	}
	res, resid := m.Residuals, m.Residual
	finishModel(m, k) // the sign rule there now finds every component positive
	m.Residuals, m.Residual = res, resid
	m.Seconds = time.Since(start).Seconds()
	return m, &DualFactors{U: u}, info, nil
}

// WriteScores writes the scores u·sqrt((n−1)λ) (whitened: u·sqrt(n−1)) to w
// in row order.
func (f *DualFactors) WriteScores(m *Model, w RowWriter) error {
	n, k := int(m.NSamples), m.NComponents
	c := make([]float64, k)
	for i, l := range m.ExplainedVariance {
		c[i] = math.Sqrt(float64(n-1) * l)
		if m.Whiten {
			c[i] = math.Sqrt(float64(n - 1))
		}
	}
	const rows = 4096
	buf := make([]float64, 0, rows*k)
	for t := 0; t < n; t++ {
		for i := 0; i < k; i++ {
			buf = append(buf, f.U[i*n+t]*c[i])
		}
		if len(buf) == cap(buf) || t == n-1 {
			if err := w.WriteRows(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	return nil
}

// slabPass runs one pipeline over the column slabs of src: each block is w
// columns of X, transposed (one column of X per row of the block).
func slabPass(ctx context.Context, src Source, w int, opt FitOptions, name string, newStage func() stage) error {
	cr, err := src.OpenColumns(w)
	if err != nil {
		return err
	}
	defer cr.Close()
	tr := &transposed{cr: cr}
	info := cr.Info()
	tr.info = info
	tr.info.Rows, tr.info.Cols = int64(info.Cols), int(info.Rows)
	// Progress counts columns (rows of Xᵀ): a slab pass reads all rows at once.
	progress := progressFunc(opt.Options, name, int64(info.Cols), info.Rows*int64(info.DType.Size()))
	got, err := pipeline(ctx, tr, w, opt.threads(), nil, newStage, progress)
	if err != nil {
		return err
	}
	if got != int64(info.Cols) {
		return fmt.Errorf("internal: %s read %d of %d columns", name, got, info.Cols)
	}
	return nil
}

// Transposed is an Opener of Xᵀ: its rows are the columns of Source, read
// as column slabs (HDF5 column hyperslabs; strided reads of uncompressed raw
// and .npy files), so neither X nor its transpose is ever held: memory is a
// few slabs of blockRows columns. Every value is checked for NaN and Inf,
// named by its row and column in the file. Compressed streams and standard
// input cannot give column slabs: Open returns an error wrapping
// chunk.ErrNoColumns (see Source.ColumnSlabs).
type Transposed struct{ Source Source }

// Open opens the column-slab reader; blockRows (columns of X per slab)
// sizes HDF5's chunk cache.
func (t Transposed) Open(blockRows int) (chunk.Reader, error) {
	cr, err := t.Source.OpenColumns(max(blockRows, 1))
	if err != nil {
		return nil, err
	}
	tr := &transposed{cr: cr, checkFinite: true}
	info := cr.Info()
	tr.info = info
	tr.info.Rows, tr.info.Cols = int64(info.Cols), int(info.Rows)
	return tr, nil
}

// transposed presents a ColumnReader as a chunk.Reader of Xᵀ: each "row" is
// one column of X (n values).
type transposed struct {
	cr          chunk.ColumnReader
	info        chunk.Info // Rows = p, Cols = n
	pos         int
	scratch     []float64
	checkFinite bool // report NaN and Inf (the dual route checks them itself)
}

func (t *transposed) Info() chunk.Info { return t.info }
func (t *transposed) Close() error     { return t.cr.Close() }

func (t *transposed) ReadRows(dst []float64) (int, error) {
	n := t.info.Cols
	w := min(len(dst)/n, int(t.info.Rows)-t.pos)
	if w <= 0 {
		return 0, io.EOF
	}
	if cap(t.scratch) < n*w {
		t.scratch = make([]float64, n*w)
	}
	s := t.scratch[:n*w]
	if err := t.cr.ReadCols(t.pos, w, s); err != nil {
		return 0, err
	}
	if t.checkFinite {
		for i, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, &chunk.Error{File: t.info.Name, Row: int64(i / w),
					Err: fmt.Errorf("%w: %v in column %d", chunk.ErrNotFinite, v, t.pos+i%w)}
			}
		}
	}
	for i := 0; i < n; i++ {
		for j := 0; j < w; j++ {
			dst[j*n+i] = s[i*w+j]
		}
	}
	t.pos += w
	return w, nil
}

// prepareColumns centres (and with scale, scales) each row of the
// transposed block — one column of X — by its exact mean and standard
// deviation, two-pass. It records the means (and scales) in m at the
// columns' indices and returns Σ variance over the block's columns (scaled
// when m.Scale != nil), times n−1. A non-finite value is reported with its
// row and column in X.
func prepareColumns(name string, b *block, n int, m *Model, zeroVar []bool, stored bool) (float64, error) {
	var trace float64
	nf := float64(n)
	for r := 0; r < b.rows; r++ {
		col := b.data[r*n : r*n+n]
		j := int(b.start) + r
		var mean, scale float64
		if stored {
			mean = m.Mean[j]
			scale = 1
			if m.Scale != nil {
				scale = m.Scale[j]
			}
		} else {
			var s float64
			for _, v := range col {
				s += v
			}
			if math.IsNaN(s) || math.IsInf(s, 0) {
				for i, v := range col {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						return 0, &chunk.Error{File: name, Row: int64(i), Err: fmt.Errorf("%w: %v in column %d", chunk.ErrNotFinite, v, j)}
					}
				}
				return 0, chunk.Errorf(name, "%w: column %d overflows float64 (its sum is %v)", chunk.ErrNotFinite, j, s)
			}
			mean = s / nf
			var c, ss float64 // corrected two-pass sums
			for _, v := range col {
				d := v - mean
				c += d
				ss += d * d
			}
			ss -= c * c / nf
			mean += c / nf
			ss = max(ss, 0)
			m.Mean[j] = mean
			scale = 1
			if m.Scale != nil {
				scale = math.Sqrt(ss / (nf - 1))
				if !(scale > 0) {
					scale = 1
					zeroVar[j] = true
				}
				m.Scale[j] = scale
			}
			trace += ss / (scale * scale)
		}
		if scale == 1 {
			for i, v := range col {
				col[i] = v - mean
			}
		} else {
			for i, v := range col {
				col[i] = (v - mean) / scale
			}
		}
	}
	return trace, nil
}

// dualGramStage computes one slab's n×n Gram; commits add them in slab order.
type dualGramStage struct {
	name    string
	n       int
	m       *Model
	acc     *gram.State
	trace   *float64
	zeroVar []bool
	part    *gram.State
	tr      float64
}

func (s *dualGramStage) process(b *block) error {
	tr, err := prepareColumns(s.name, b, s.n, s.m, s.zeroVar, false)
	if err != nil {
		return err
	}
	if s.part == nil {
		s.part = gram.NewState(s.n, nil)
	}
	s.part.SetBlock(b.data, b.rows)
	s.tr = tr
	return nil
}

func (s *dualGramStage) commit(b *block) error {
	s.acc.Merge(s.part)
	*s.trace += s.tr
	return nil
}

// dualLoadStage writes one slab's loadings: V[cols, :] = X_sᵀ·U·diag(coef).
type dualLoadStage struct {
	name string
	n, k int
	m    *Model
	u    []float64 // k×n
	coef []float64
	out  []float64
}

func (s *dualLoadStage) process(b *block) error {
	if _, err := prepareColumns(s.name, b, s.n, s.m, nil, true); err != nil {
		return err
	}
	n, k, p := s.n, s.k, s.m.NFeatures
	if cap(s.out) < b.rows*k {
		s.out = make([]float64, b.rows*k)
	}
	out := s.out[:b.rows*k]
	blas64.Implementation().Dgemm(blas.NoTrans, blas.Trans, b.rows, k, n, 1, b.data[:b.rows*n], n, s.u, n, 0, out, k)
	for r := 0; r < b.rows; r++ {
		j := int(b.start) + r
		for i := 0; i < k; i++ {
			s.m.Components[i*p+j] = out[r*k+i] * s.coef[i]
		}
	}
	return nil
}

func (s *dualLoadStage) commit(b *block) error { return nil }
