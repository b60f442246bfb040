package stream

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/spca/spca/chunk"
)

// RowWriter receives score rows (rows×k, row-major) in row order.
type RowWriter interface {
	WriteRows(data []float64) error
}

// TransformOptions control the projection pass.
type TransformOptions struct {
	Options
	Whiten bool // divide scores by sqrt(λ) (also implied by a model fitted with Whiten)
	Error  bool // measure the reconstruction error X̂ = scores·Vᵀ·scale + mean
}

// TransformResult summarises a projection pass.
type TransformResult struct {
	Rows int64
	MAE  float64 // mean |X̂ − X| over all entries (Error only)
	RMSE float64 // sqrt(mean (X̂ − X)²) over all entries (Error only)
}

// Transform projects every row of src onto the model, (x − mean)/scale · V,
// writing scores to w (nil to only measure the error) in row order.
func (m *Model) Transform(ctx context.Context, src Source, opt TransformOptions, w RowWriter) (TransformResult, error) {
	r, err := src.Open(opt.BlockRows)
	if err != nil {
		return TransformResult{}, err
	}
	defer r.Close()
	return m.TransformReader(ctx, r, opt, w)
}

// TransformReader is Transform over an open reader, which it reads to the
// end but does not close.
func (m *Model) TransformReader(ctx context.Context, r chunk.Reader, opt TransformOptions, w RowWriter) (TransformResult, error) {
	info := r.Info()
	if info.Cols != m.NFeatures {
		return TransformResult{}, chunk.Errorf(info.Name, "%w: %d columns, but the model has %d features", chunk.ErrShape, info.Cols, m.NFeatures)
	}
	var res TransformResult
	var absSum, sqSum float64
	newStage := func() stage {
		return &projectStage{name: info.Name, m: m, whiten: opt.Whiten || m.Whiten, wantErr: opt.Error, w: w, absSum: &absSum, sqSum: &sqSum}
	}
	progress := progressFunc(opt.Options, "transform", info.Rows, rowBytes(info))
	n, err := pipeline(ctx, r, opt.blockRows(m.NFeatures), opt.threads(), nil, newStage, progress)
	if err != nil {
		return res, err
	}
	if info.Rows >= 0 && n != info.Rows {
		return res, chunk.Errorf(info.Name, "read %d rows, header says %d", n, info.Rows)
	}
	res.Rows = n
	if opt.Error && n > 0 {
		total := float64(n) * float64(m.NFeatures)
		res.MAE = absSum / total
		res.RMSE = math.Sqrt(sqSum / total)
	}
	return res, nil
}

// projectStage projects one block; commit writes its scores and adds its
// error sums in block order.
type projectStage struct {
	name              string
	m                 *Model
	whiten            bool
	wantErr           bool
	w                 RowWriter
	absSum, sqSum     *float64
	scores, recon     []float64
	blockAbs, blockSq float64
}

func (s *projectStage) process(b *block) error {
	m := s.m
	p, k := m.NFeatures, m.NComponents
	x := b.data[:b.rows*p]
	if err := chunk.CheckFinite(s.name, b.start, p, x); err != nil {
		return err
	}
	for i := 0; i < b.rows; i++ {
		row := x[i*p : i*p+p]
		for j := range row {
			row[j] -= m.Mean[j]
		}
		if m.Scale != nil {
			for j := range row {
				row[j] /= m.Scale[j]
			}
		}
	}
	s.scores = grow(s.scores, b.rows*k)
	impl := blas64.Implementation()
	impl.Dgemm(blas.NoTrans, blas.Trans, b.rows, k, p, 1, x, p, m.Components, p, 0, s.scores, k)
	if s.wantErr {
		s.recon = grow(s.recon, b.rows*p)
		impl.Dgemm(blas.NoTrans, blas.NoTrans, b.rows, p, k, 1, s.scores, k, m.Components, p, 0, s.recon, p)
		var a, q float64
		for i := 0; i < b.rows; i++ {
			for j := 0; j < p; j++ {
				d := s.recon[i*p+j] - x[i*p+j]
				if m.Scale != nil {
					d *= m.Scale[j]
				}
				a += math.Abs(d)
				q += d * d
			}
		}
		s.blockAbs, s.blockSq = a, q
	}
	if s.whiten {
		for i := 0; i < b.rows; i++ {
			for c := 0; c < k; c++ {
				if l := m.ExplainedVariance[c]; l > 0 {
					s.scores[i*k+c] /= math.Sqrt(l)
				} else {
					s.scores[i*k+c] = 0
				}
			}
		}
	}
	return nil
}

func (s *projectStage) commit(b *block) error {
	*s.absSum += s.blockAbs
	*s.sqSum += s.blockSq
	if s.w == nil {
		return nil
	}
	if err := s.w.WriteRows(s.scores[:b.rows*s.m.NComponents]); err != nil {
		return fmt.Errorf("writing scores: %w", err)
	}
	return nil
}

func grow(x []float64, n int) []float64 {
	if cap(x) >= n {
		return x[:n]
	}
	return make([]float64, n)
}
