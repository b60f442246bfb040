package stream

import (
	"bytes"
	"compress/gzip"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/gram"
)

func cloneState(s *gram.State) *gram.State {
	c := gram.NewState(s.P, s.Shift)
	c.N = s.N
	copy(c.Sum, s.Sum)
	copy(c.G, s.G)
	return c
}

func sameBits(t *testing.T, what string, got, want *gram.State) {
	t.Helper()
	if got.N != want.N {
		t.Fatalf("%s: n = %d, want %d", what, got.N, want.N)
	}
	p := want.P
	for j := 0; j < p; j++ {
		if math.Float64bits(got.Shift[j]) != math.Float64bits(want.Shift[j]) || math.Float64bits(got.Sum[j]) != math.Float64bits(want.Sum[j]) {
			t.Fatalf("%s: column %d differs", what, j)
		}
		for k := j; k < p; k++ {
			if math.Float64bits(got.G[j*p+k]) != math.Float64bits(want.G[j*p+k]) {
				t.Fatalf("%s: G[%d,%d] = %v, want %v", what, j, k, got.G[j*p+k], want.G[j*p+k])
			}
		}
	}
}

// Resuming from any checkpoint gives the bits of an uninterrupted pass,
// for any thread count; a stop saves the state and returns ErrStopped.
func TestCheckpointResumeBitIdentical(t *testing.T) {
	const n, p, br = 1000, 6, 64
	rng := rand.New(rand.NewPCG(3, 3))
	x := make([]float64, n*p)
	for i := range x {
		x[i] = 1e4 + rng.NormFloat64()*float64(1+i%p)
	}
	src := Source{Path: writeRaw(t, x), Cols: p, DType: chunk.Float64}
	opt := Options{Threads: 3, BlockRows: br}
	want, _, err := Accumulate(context.Background(), src, opt)
	if err != nil {
		t.Fatal(err)
	}
	type saved struct {
		st     *gram.State
		blocks int64
	}
	var all []saved
	ck := Checkpoints{Every: 2, Save: func(st *gram.State, blocks, rows int64) error {
		if rows != blocks*br {
			t.Errorf("saved %d rows after %d blocks", rows, blocks)
		}
		all = append(all, saved{cloneState(st), blocks})
		return nil
	}}
	got, _, err := AccumulateCheckpointed(context.Background(), src, opt, ck)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "checkpointed pass", got, want)
	if len(all) != 7 { // 16 blocks, the last short: saves after 2, 4, ..., 14
		t.Errorf("%d checkpoints, want 7", len(all))
	}
	for _, s := range all {
		for _, threads := range []int{1, 4} {
			o := Options{Threads: threads, BlockRows: br}
			got, _, err := AccumulateCheckpointed(context.Background(), src, o, Checkpoints{Resume: cloneState(s.st), ResumeBlocks: s.blocks})
			if err != nil {
				t.Fatal(err)
			}
			sameBits(t, "resumed after "+itoa(int(s.blocks))+" blocks", got, want)
		}
	}
	// Stop after the fifth block: saved there, ErrStopped.
	var stopAt int64
	calls := 0
	_, _, err = AccumulateCheckpointed(context.Background(), src, Options{Threads: 2, BlockRows: br}, Checkpoints{
		Stop: func() bool { calls++; return calls >= 5 },
		Save: func(st *gram.State, blocks, rows int64) error { stopAt = blocks; return nil },
	})
	if err != ErrStopped || stopAt != 5 {
		t.Errorf("stop: err %v, saved after %d blocks; want ErrStopped after 5", err, stopAt)
	}
}

// A row range reads exactly its rows: its state equals Accumulate over a
// file holding only those rows.
func TestRangeAccumulate(t *testing.T) {
	const n, p = 500, 4
	rng := rand.New(rand.NewPCG(5, 5))
	x := make([]float64, n*p)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	whole := writeRaw(t, x)
	for _, r := range [][2]int64{{0, 500}, {37, 200}, {499, 500}, {100, 0}} {
		end := r[1]
		if end == 0 {
			end = n
		}
		src := Source{Path: whole, Cols: p, DType: chunk.Float64, Start: r[0], End: r[1]}
		got, info, err := Accumulate(context.Background(), src, Options{Threads: 2, BlockRows: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if info.Rows != end-r[0] {
			t.Errorf("range %v: %d rows", r, info.Rows)
		}
		part := writeRaw(t, x[r[0]*p:end*p])
		want, _, err := Accumulate(context.Background(), Source{Path: part, Cols: p, DType: chunk.Float64}, Options{Threads: 2, BlockRows: 1000})
		if err != nil {
			t.Fatal(err)
		}
		sameBits(t, "range", got, want)
	}
}

// A checkpoint after the last block of a compressed input (row count
// unknown until the end) resumes to the same state with nothing left to read.
func TestCheckpointAtEndOfStream(t *testing.T) {
	const n, p, br = 256, 3, 64
	rng := rand.New(rand.NewPCG(9, 9))
	x := make([]float64, n*p)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	path := writeRaw(t, x)
	gz := path + ".gz"
	raw, _ := os.ReadFile(path)
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(raw)
	w.Close()
	os.WriteFile(gz, b.Bytes(), 0o644)
	src := Source{Path: gz, Cols: p, DType: chunk.Float64}
	opt := Options{Threads: 2, BlockRows: br}
	want, _, err := Accumulate(context.Background(), src, opt)
	if err != nil {
		t.Fatal(err)
	}
	var last *gram.State
	var lastBlocks int64
	_, _, err = AccumulateCheckpointed(context.Background(), src, opt, Checkpoints{Every: 1, Save: func(st *gram.State, blocks, rows int64) error {
		last, lastBlocks = cloneState(st), blocks
		return nil
	}})
	if err != nil || lastBlocks != 4 {
		t.Fatalf("err %v, last checkpoint after %d blocks", err, lastBlocks)
	}
	got, info, err := AccumulateCheckpointed(context.Background(), src, opt, Checkpoints{Resume: last, ResumeBlocks: lastBlocks})
	if err != nil {
		t.Fatal(err)
	}
	if info.Rows != n {
		t.Errorf("%d rows", info.Rows)
	}
	sameBits(t, "resumed at the end", got, want)
}
