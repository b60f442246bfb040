package chunk_test

import (
	"encoding/binary"
	"io"
	"testing"

	"github.com/spca/spca/chunk"
)

// BenchmarkReadRows reads a 16 MiB float32 matrix (256 columns) in blocks of
// 256 rows; bytes/s is the on-disk (uncompressed) rate.
func BenchmarkReadRows(b *testing.B) {
	const rows, cols, block = 16384, 256, 256
	plain := encode(chunk.Float32, matrix(chunk.Float32, rows, cols), binary.LittleEndian)
	opt := chunk.Options{Cols: cols, DType: chunk.Float32}
	for _, comp := range []string{"", "zstd", "s2", "gzip"} {
		name := comp
		if name == "" {
			name = "none"
		}
		b.Run("raw-f32-"+name, func(b *testing.B) {
			path := writeFile(b, "bench.f32", compress(b, comp, plain))
			r, err := chunk.Open(path, opt)
			if err != nil {
				b.Fatal(err)
			}
			dst := make([]float64, block*cols)
			if _, err := r.ReadRows(dst); err != nil { // warm-up: allocates the byte buffer
				b.Fatal(err)
			}
			b.SetBytes(block * cols * 4)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_, err := r.ReadRows(dst)
				if err == io.EOF {
					b.StopTimer()
					r.Close()
					if r, err = chunk.Open(path, opt); err != nil {
						b.Fatal(err)
					}
					if _, err := r.ReadRows(dst); err != nil { // warm-up: allocates the byte buffer
						b.Fatal(err)
					}
					b.StartTimer()
					i--
					continue
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			r.Close()
		})
	}
}
