package spca_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/spca/spca"
)

func randomMatrix(rows, cols int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float64, rows*cols)
	for i := range x {
		x[i] = rng.NormFloat64()*float64(1+i%cols) + 3
	}
	return x
}

// With every component kept, InverseTransform undoes Transform exactly (up
// to rounding), scaled, whitened or not.
func TestInverseTransformRoundTrip(t *testing.T) {
	const n, p = 300, 6
	x := randomMatrix(n, p, 7)
	for _, opts := range [][]spca.Option{nil, {spca.WithScale()}, {spca.WithWhiten()}} {
		ctx := context.Background()
		m, err := spca.Fit(ctx, spca.FromMatrix(n, p, x), append(opts, spca.WithComponents(p), spca.WithBlockRows(64))...)
		if err != nil {
			t.Fatal(err)
		}
		scores, err := spca.Transform(ctx, m, spca.FromMatrix(n, p, x))
		if err != nil {
			t.Fatal(err)
		}
		back := spca.InverseTransform(m, scores)
		for i := range x {
			if math.Abs(back[i]-x[i]) > 1e-10*(1+math.Abs(x[i])) {
				t.Fatalf("opts %d: x̂[%d] = %v, want %v", len(opts), i, back[i], x[i])
			}
		}
	}
}

func TestOptionErrors(t *testing.T) {
	r := spca.FromMatrix(4, 2, []float64{1, 2, 3, 4, 5, 6, 7, 9})
	for _, o := range []spca.Option{spca.WithComponents(0), spca.WithVariance(1.5), spca.WithThreads(0), spca.WithBlockRows(-1), spca.WithMaxMemory(0)} {
		if _, err := spca.Fit(context.Background(), r, o); err == nil {
			t.Errorf("option accepted, want an error")
		}
	}
	if _, err := spca.Fit(context.Background(), r, spca.WithComponents(1), spca.WithVariance(0.5)); err == nil {
		t.Error("both WithComponents and WithVariance accepted")
	}
	m, err := spca.Fit(context.Background(), r, spca.WithComponents(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := spca.Transform(context.Background(), m, spca.FromMatrix(1, 2, []float64{1, 2}), spca.WithScale()); err == nil {
		t.Error("Transform accepted a fit-only option")
	}
}

// Cancelling the context stops a fit within a few blocks, returns
// context.Canceled, and leaves no goroutine behind.
func TestFitCancel(t *testing.T) {
	const n, p = 200000, 8
	x := randomMatrix(n, p, 3)
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	var rows int64
	_, err := spca.Fit(ctx, spca.FromMatrix(n, p, x), spca.WithBlockRows(100), spca.WithThreads(2),
		spca.WithProgress(func(pr spca.Progress) {
			rows = pr.Rows
			if pr.Rows >= 1000 {
				cancel()
			}
		}))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if rows > 1000+100*10 {
		t.Errorf("read %d rows after cancelling at 1000", rows)
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before {
		t.Errorf("%d goroutines after the cancelled fit, %d before", g, before)
	}
}
