package ica

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/stream"
)

// BenchmarkIteration times one parallel FastICA iteration (a pass) over
// 100 000 x 32 float64 with k = 8: over the input file, whitening each
// block on the fly, and over the in-memory whitened copy.
func BenchmarkIteration(b *testing.B) {
	const n, p, k = 100000, 32, 8
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, n*p)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	kw := make([]float64, k*p)
	for i := range kw {
		kw[i] = rng.NormFloat64() / 8
	}
	w := make([]float64, k*k)
	for i := range w {
		w[i] = rng.NormFloat64()
	}
	w = symDecorrelate(w, k)
	path := writeRaw(b, x)
	file := &whitened{name: "x", src: stream.Source{Path: path, Cols: p, DType: chunk.Float64}, raw: true,
		n: n, p: p, k: k, mean: make([]float64, p), kw: kw, blockRows: stream.DefaultBlockRows(p), threads: 2}
	z, err := file.copyToMemory(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	mem := &whitened{name: "x", src: z, n: n, p: p, k: k, blockRows: file.blockRows, threads: 2}
	for _, c := range []struct {
		name  string
		d     *whitened
		bytes int64
	}{{"input", file, n * p * 8}, {"memory", mem, n * k * 8}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(c.bytes)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				a, s := make([]float64, k*k), make([]float64, k)
				if err := c.d.pass(context.Background(), "bench", func() work { return &parWork{fun: LogCosh, w: w, k: k, a: a, s: s} }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
