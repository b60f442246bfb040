package stream

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/spca/spca/chunk"
)

// BenchmarkFit times a whole fit (read, convert, Gram, solve) of a 50000 x
// 256 float32 raw file from the page cache; MB/s is input bytes.
func BenchmarkFit(b *testing.B) {
	const n, p = 50000, 256
	rng := rand.New(rand.NewPCG(1, 2))
	var buf bytes.Buffer
	row := make([]float32, p)
	for i := 0; i < n; i++ {
		for j := range row {
			row[j] = float32(10 + rng.NormFloat64()/math.Sqrt(1+float64(j)))
		}
		binary.Write(&buf, binary.LittleEndian, row)
	}
	path := filepath.Join(b.TempDir(), "x.f32")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	src := Source{Path: path, Cols: p, DType: chunk.Float32}
	for _, threads := range []int{1, 2} {
		b.Run("threads="+itoa(threads), func(b *testing.B) {
			b.SetBytes(int64(n * p * 4))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := Fit(context.Background(), src, FitOptions{Options: Options{Threads: threads}, Selection: Selection{K: 10}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
