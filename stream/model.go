package stream

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/spca/spca/gram"
)

// Model is a fitted PCA. Field names follow scikit-learn's PCA attributes so
// that the model file maps onto a Python PCA object one to one.
type Model struct {
	NSamples    int64 // n
	NFeatures   int   // p
	NComponents int   // k

	Components             []float64 // k×p row-major: loadings, one component per row (sign rule applied)
	ExplainedVariance      []float64 // λ₁ ≥ … ≥ λ_k, eigenvalues of the (n−1)-denominator covariance
	ExplainedVarianceRatio []float64 // λᵢ / trace(C)
	SingularValues         []float64 // sqrt(λᵢ·(n−1))
	Mean                   []float64 // column means
	Scale                  []float64 // column standard deviations when fitted with Scale (1 for zero-variance columns); nil otherwise
	NoiseVariance          float64   // (trace − Σλ)/(min(n,p) − k); 0 when k = min(n,p)
	TotalVariance          float64   // trace(C)
	Method                 string    // "gram", "dual" or "randomized"
	Whiten                 bool      // scores are divided by sqrt(λ)

	// Certificate of the eigen solve, not stored in the model file.
	Residual            float64   // ‖CV − VΛ‖_F / ‖C‖_F
	Orthogonality       float64   // ‖VᵀV − I‖_F
	Residuals           []float64 // per component ‖Cvᵢ − λᵢvᵢ‖/λᵢ (divided by λ₁ instead when λᵢ ≈ 0)
	Passes              int       // passes over the data the fit made (scores excluded)
	MethodReason        string    // why --method auto chose Method; empty otherwise
	ZeroVarianceColumns []int     // columns left unscaled because their variance is 0 (Scale only)
	Seconds             float64   // wall time of the fit
}

// Selection says how many components to keep.
type Selection struct {
	K        int     // exact number of components; 0 to use Variance
	Variance float64 // in (0, 1]: the smallest k whose cumulative ratio reaches it
}

// Data-dependent reasons a solve cannot proceed; matched with errors.Is.
var (
	ErrBadK       = errors.New("number of components out of range")
	ErrTooFew     = errors.New("too few rows")
	ErrNoVariance = errors.New("every column is constant: the total variance is zero")
)

func isDataError(err error) bool {
	return errors.Is(err, ErrBadK) || errors.Is(err, ErrTooFew) || errors.Is(err, ErrNoVariance)
}

// Solve turns an accumulated state into a model: covariance (optionally
// correlation, with scale), top-k eigenpairs by dsyevr, the sign rule
// (each component's largest-magnitude loading is positive, first index on
// ties) and the derived quantities. It consumes s.G as workspace.
func Solve(s *gram.State, sel Selection, scale bool) (*Model, error) {
	n, p := s.N, s.P
	if n < 2 {
		return nil, fmt.Errorf("%w: need at least 2 rows, got %d", ErrTooFew, n)
	}
	limit := int(min(n, int64(p)))
	if sel.K < 0 || sel.K > limit || (sel.K == 0 && !(sel.Variance > 0 && sel.Variance <= 1)) {
		if sel.K == 0 {
			return nil, fmt.Errorf("%w: --variance must be in (0, 1], got %g", ErrBadK, sel.Variance)
		}
		return nil, fmt.Errorf("%w: k=%d, but 1 ≤ k ≤ min(n, p) = min(%d, %d) = %d", ErrBadK, sel.K, n, p, limit)
	}
	m := &Model{NSamples: n, NFeatures: p, Method: "gram"}
	m.Mean = s.Mean(nil)
	c := s.CovarianceTo(s.G) // full symmetric, in place
	if scale {
		m.Scale = make([]float64, p)
		for j := 0; j < p; j++ {
			d := math.Sqrt(c[j*p+j])
			if !(d > 0) {
				d = 1
				m.ZeroVarianceColumns = append(m.ZeroVarianceColumns, j)
			}
			m.Scale[j] = d
		}
		for i := 0; i < p; i++ {
			for j := 0; j < p; j++ {
				c[i*p+j] /= m.Scale[i] * m.Scale[j]
			}
		}
	}
	diag := make([]float64, p)
	for j := range diag {
		diag[j] = c[j*p+j]
		m.TotalVariance += diag[j]
	}
	if !(m.TotalVariance > 0) {
		return nil, ErrNoVariance
	}
	// dsyevr destroys the upper triangle and the diagonal; the strict lower
	// triangle and diag restore C afterwards for the certificate.
	restore := func() { restoreUpper(c, p, diag) }
	k := sel.K
	if k == 0 {
		all, _, err := symEig(c, p, 0)
		if err != nil {
			return nil, err
		}
		restore()
		k = chooseK(all, m.TotalVariance, sel.Variance, limit)
	}
	vals, vecs, err := symEig(c, p, k)
	if err != nil {
		return nil, err
	}
	restore()
	for i := range vals {
		vals[i] = max(vals[i], 0) // clip rounding noise below zero
	}
	applySignRule(vecs, k, p)
	m.NComponents = k
	m.Components = vecs
	m.ExplainedVariance = vals
	m.ExplainedVarianceRatio = make([]float64, k)
	m.SingularValues = make([]float64, k)
	sum := 0.0
	for i, l := range vals {
		m.ExplainedVarianceRatio[i] = l / m.TotalVariance
		m.SingularValues[i] = math.Sqrt(l * float64(n-1))
		sum += l
	}
	if k < limit {
		m.NoiseVariance = max(m.TotalVariance-sum, 0) / float64(limit-k)
	}
	m.Residual, m.Orthogonality, m.Residuals = certificate(c, vecs, vals, p, k)
	m.Passes = 1
	return m, nil
}

// chooseK returns the smallest k whose cumulative explained-variance ratio
// reaches f (eigenvalues descending), capped at limit.
func chooseK(vals []float64, total, f float64, limit int) int {
	cum := 0.0
	for i, l := range vals {
		cum += max(l, 0)
		if cum/total >= f || i+1 >= limit {
			return i + 1
		}
	}
	return limit
}

// applySignRule makes each row's largest-magnitude entry positive (the first
// on ties), the scikit-learn ≥ 1.5 convention: it needs no scores, so it does
// not depend on block size, threads or shards.
// It reports which rows it negated.
func applySignRule(vecs []float64, k, p int) (flipped []bool) {
	flipped = make([]bool, k)
	for i := 0; i < k; i++ {
		row := vecs[i*p : i*p+p]
		best := 0
		for j, v := range row {
			if math.Abs(v) > math.Abs(row[best]) {
				best = j
			}
		}
		if row[best] < 0 {
			for j := range row {
				row[j] = -row[j]
			}
			flipped[i] = true
		}
	}
	return flipped
}

// certificate returns ‖CV − VΛ‖_F/‖C‖_F, ‖VᵀV − I‖_F for V = vecsᵀ and
// each component's ‖Cv − λv‖/λ.
func certificate(c, vecs, vals []float64, p, k int) (residual, orth float64, each []float64) {
	impl := blas64.Implementation()
	cv := make([]float64, k*p) // (C·V)ᵀ = Vᵀ·C, k×p
	impl.Dgemm(blas.NoTrans, blas.NoTrans, k, p, p, 1, vecs, p, c, p, 0, cv, p)
	var r2, c2 float64
	each = make([]float64, k)
	for i := 0; i < k; i++ {
		var ri float64
		for j := 0; j < p; j++ {
			d := cv[i*p+j] - vals[i]*vecs[i*p+j]
			r2 += d * d
			ri += d * d
		}
		each[i] = relResidual(math.Sqrt(ri), vals[i], vals[0])
	}
	for _, v := range c {
		c2 += v * v
	}
	orth = orthogonality(vecs, k, p)
	if c2 == 0 {
		return 0, orth, each
	}
	return math.Sqrt(r2 / c2), orth, each
}

// restoreUpper rebuilds the n×n symmetric matrix a from its strict lower
// triangle and diag, after dsyevr has destroyed the upper triangle and the
// diagonal.
func restoreUpper(a []float64, n int, diag []float64) {
	for i := 0; i < n; i++ {
		a[i*n+i] = diag[i]
		for j := i + 1; j < n; j++ {
			a[i*n+j] = a[j*n+i]
		}
	}
}
