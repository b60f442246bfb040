package ica

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/stream"
)

// Transform writes the sources S = (X − mean)·componentsᵀ of every row of
// src to w (nil to only measure the error), in row order, in one pass.
// With wantErr it also measures the reconstruction X̂ = S·mixingᵀ + mean
// (the projection of X on the k-dimensional whitened subspace).
func (m *Model) Transform(ctx context.Context, src stream.Opener, opt stream.Options, wantErr bool, w stream.RowWriter) (stream.TransformResult, error) {
	var res stream.TransformResult
	r, err := src.Open(opt.BlockRows)
	if err != nil {
		return res, err
	}
	defer r.Close()
	info := r.Info()
	if info.Cols != m.NFeatures {
		return res, chunk.Errorf(info.Name, "%w: %d columns, but the ICA model has %d features", chunk.ErrShape, info.Cols, m.NFeatures)
	}
	var absSum, sqSum float64
	n, err := stream.Pass(ctx, r, opt.BlockRows, opt.Threads, func() stream.Stage {
		return &sourceStage{name: info.Name, m: m, wantErr: wantErr, w: w, absSum: &absSum, sqSum: &sqSum}
	}, "sources", opt.Progress)
	if err != nil {
		return res, err
	}
	if info.Rows >= 0 && n != info.Rows {
		return res, chunk.Errorf(info.Name, "read %d rows, header says %d", n, info.Rows)
	}
	res.Rows = n
	if wantErr && n > 0 {
		total := float64(n) * float64(m.NFeatures)
		res.MAE = absSum / total
		res.RMSE = math.Sqrt(sqSum / total)
	}
	return res, nil
}

type sourceStage struct {
	name          string
	m             *Model
	wantErr       bool
	w             stream.RowWriter
	absSum, sqSum *float64
	s, recon      []float64
	abs, sq       float64
}

func (t *sourceStage) Process(b *stream.Block) error {
	m := t.m
	p, k := m.NFeatures, m.NComponents
	x := b.Data
	if err := chunk.CheckFinite(t.name, b.Start, p, x); err != nil {
		return err
	}
	for i := 0; i < b.Rows; i++ {
		row := x[i*p : i*p+p]
		for j := range row {
			row[j] -= m.Mean[j]
		}
	}
	t.s = growTo(t.s, b.Rows*k)
	impl := blas64.Implementation()
	impl.Dgemm(blas.NoTrans, blas.Trans, b.Rows, k, p, 1, x, p, m.Components, p, 0, t.s, k)
	if t.wantErr {
		t.recon = growTo(t.recon, b.Rows*p)
		impl.Dgemm(blas.NoTrans, blas.Trans, b.Rows, p, k, 1, t.s, k, m.Mixing, k, 0, t.recon, p)
		var a, q float64
		for i, v := range t.recon {
			d := v - x[i]
			a += math.Abs(d)
			q += d * d
		}
		t.abs, t.sq = a, q
	}
	return nil
}

func (t *sourceStage) Commit(b *stream.Block) error {
	*t.absSum += t.abs
	*t.sqSum += t.sq
	if t.w == nil {
		return nil
	}
	if err := t.w.WriteRows(t.s[:b.Rows*t.m.NComponents]); err != nil {
		return fmt.Errorf("writing sources: %w", err)
	}
	return nil
}
