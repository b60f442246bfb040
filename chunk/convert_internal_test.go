package chunk

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

var portable = map[DType]converter{Float32: convertFloat32, Float64: convertFloat64, Int8: convertInt8, Int16: convertInt16,
	Int32: convertInt32, Int64: convertInt64, Uint8: convertUint8, Uint16: convertUint16, Uint32: convertUint32, Uint64: convertUint64}

// reference converts one element the obvious way.
func reference(d DType, b []byte) float64 {
	le := binary.LittleEndian
	switch d {
	case Float32:
		return float64(math.Float32frombits(le.Uint32(b)))
	case Float64:
		return math.Float64frombits(le.Uint64(b))
	case Int8:
		return float64(int8(b[0]))
	case Int16:
		return float64(int16(le.Uint16(b)))
	case Int32:
		return float64(int32(le.Uint32(b)))
	case Int64:
		return float64(int64(le.Uint64(b)))
	case Uint8:
		return float64(b[0])
	case Uint16:
		return float64(le.Uint16(b))
	case Uint32:
		return float64(le.Uint32(b))
	case Uint64:
		return float64(le.Uint64(b))
	}
	panic(d)
}

// TestConverters checks the fast and the portable loops, on aligned and
// misaligned buffers, for lengths around the unrolling width.
func TestConverters(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for d, slow := range portable {
		for _, n := range []int{0, 1, 3, 4, 5, 8, 13, 1000} {
			raw := make([]byte, n*d.Size()+1)
			for i := range raw {
				raw[i] = byte(rng.Uint32())
			}
			for _, off := range []int{0, 1} {
				src := raw[off : off+n*d.Size()]
				for name, conv := range map[string]converter{"fast": converterFor(d), "portable": slow} {
					dst := make([]float64, n)
					conv(dst, src)
					for i := range dst {
						want := reference(d, src[i*d.Size():])
						if dst[i] != want && !(math.IsNaN(dst[i]) && math.IsNaN(want)) {
							t.Fatalf("%v %s n=%d off=%d: element %d = %v, want %v", d, name, n, off, i, dst[i], want)
						}
					}
				}
			}
		}
	}
}

func TestSwapBytes(t *testing.T) {
	b := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	swapBytes(b, 8)
	if string(b) != "\x08\x07\x06\x05\x04\x03\x02\x01" {
		t.Errorf("swap 8: %v", b)
	}
	swapBytes(b, 4)
	if string(b) != "\x05\x06\x07\x08\x01\x02\x03\x04" {
		t.Errorf("swap 4: %v", b)
	}
	swapBytes(b, 2)
	if string(b) != "\x06\x05\x08\x07\x02\x01\x04\x03" {
		t.Errorf("swap 2: %v", b)
	}
}

// BenchmarkConvert measures the conversion loops alone (bytes/s of input).
func BenchmarkConvert(b *testing.B) {
	for _, d := range []DType{Float32, Float64, Int16, Uint8} {
		b.Run(d.String(), func(b *testing.B) {
			const n = 65536
			src := make([]byte, n*d.Size())
			dst := make([]float64, n)
			conv := converterFor(d)
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				conv(dst, src)
			}
		})
	}
}
