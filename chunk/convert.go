package chunk

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// converter turns len(dst) little-endian elements in src into float64.
type converter func(dst []float64, src []byte)

// hostLittleEndian is true on every platform spca is built for in practice;
// the portable loops below serve the others.
var hostLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// converterFor returns the conversion loop for d. The portable loops are
// unrolled by four over fixed-size subslices so the compiler drops most
// bounds checks; float32 and float64, the common inputs, read the buffer in
// place on little-endian hosts, which is faster still.
func converterFor(d DType) converter {
	if hostLittleEndian {
		switch d {
		case Float32:
			return func(dst []float64, src []byte) {
				if !aligned(src, 4) {
					convertFloat32(dst, src)
					return
				}
				f := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(src))), len(dst))
				dst = dst[:len(f)]
				for i, v := range f {
					dst[i] = float64(v)
				}
			}
		case Float64:
			return func(dst []float64, src []byte) {
				if !aligned(src, 8) {
					convertFloat64(dst, src)
					return
				}
				copy(dst, unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(src))), len(dst)))
			}
		}
	}
	switch d {
	case Float32:
		return convertFloat32
	case Float64:
		return convertFloat64
	case Int8:
		return convertInt8
	case Int16:
		return convertInt16
	case Int32:
		return convertInt32
	case Int64:
		return convertInt64
	case Uint8:
		return convertUint8
	case Uint16:
		return convertUint16
	case Uint32:
		return convertUint32
	case Uint64:
		return convertUint64
	}
	panic("chunk: no converter for " + d.String())
}

func aligned(b []byte, n uintptr) bool {
	return len(b) > 0 && uintptr(unsafe.Pointer(unsafe.SliceData(b)))%n == 0
}

func convertFloat32(dst []float64, src []byte) {
	src = src[:4*len(dst)]
	for len(dst) >= 4 {
		s, d := src[:16:16], dst[:4:4]
		d[0] = float64(math.Float32frombits(binary.LittleEndian.Uint32(s[0:])))
		d[1] = float64(math.Float32frombits(binary.LittleEndian.Uint32(s[4:])))
		d[2] = float64(math.Float32frombits(binary.LittleEndian.Uint32(s[8:])))
		d[3] = float64(math.Float32frombits(binary.LittleEndian.Uint32(s[12:])))
		src, dst = src[16:], dst[4:]
	}
	for i := range dst {
		s := src[4*i:]
		dst[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(s[0:])))
	}
}

func convertFloat64(dst []float64, src []byte) {
	src = src[:8*len(dst)]
	for len(dst) >= 4 {
		s, d := src[:32:32], dst[:4:4]
		d[0] = math.Float64frombits(binary.LittleEndian.Uint64(s[0:]))
		d[1] = math.Float64frombits(binary.LittleEndian.Uint64(s[8:]))
		d[2] = math.Float64frombits(binary.LittleEndian.Uint64(s[16:]))
		d[3] = math.Float64frombits(binary.LittleEndian.Uint64(s[24:]))
		src, dst = src[32:], dst[4:]
	}
	for i := range dst {
		s := src[8*i:]
		dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(s[0:]))
	}
}

func convertInt8(dst []float64, src []byte) {
	src = src[:1*len(dst)]
	for len(dst) >= 4 {
		s, d := src[:4:4], dst[:4:4]
		d[0] = float64(int8(s[0]))
		d[1] = float64(int8(s[1]))
		d[2] = float64(int8(s[2]))
		d[3] = float64(int8(s[3]))
		src, dst = src[4:], dst[4:]
	}
	for i := range dst {
		s := src[1*i:]
		dst[i] = float64(int8(s[0]))
	}
}

func convertInt16(dst []float64, src []byte) {
	src = src[:2*len(dst)]
	for len(dst) >= 4 {
		s, d := src[:8:8], dst[:4:4]
		d[0] = float64(int16(binary.LittleEndian.Uint16(s[0:])))
		d[1] = float64(int16(binary.LittleEndian.Uint16(s[2:])))
		d[2] = float64(int16(binary.LittleEndian.Uint16(s[4:])))
		d[3] = float64(int16(binary.LittleEndian.Uint16(s[6:])))
		src, dst = src[8:], dst[4:]
	}
	for i := range dst {
		s := src[2*i:]
		dst[i] = float64(int16(binary.LittleEndian.Uint16(s[0:])))
	}
}

func convertInt32(dst []float64, src []byte) {
	src = src[:4*len(dst)]
	for len(dst) >= 4 {
		s, d := src[:16:16], dst[:4:4]
		d[0] = float64(int32(binary.LittleEndian.Uint32(s[0:])))
		d[1] = float64(int32(binary.LittleEndian.Uint32(s[4:])))
		d[2] = float64(int32(binary.LittleEndian.Uint32(s[8:])))
		d[3] = float64(int32(binary.LittleEndian.Uint32(s[12:])))
		src, dst = src[16:], dst[4:]
	}
	for i := range dst {
		s := src[4*i:]
		dst[i] = float64(int32(binary.LittleEndian.Uint32(s[0:])))
	}
}

func convertInt64(dst []float64, src []byte) {
	src = src[:8*len(dst)]
	for len(dst) >= 4 {
		s, d := src[:32:32], dst[:4:4]
		d[0] = float64(int64(binary.LittleEndian.Uint64(s[0:])))
		d[1] = float64(int64(binary.LittleEndian.Uint64(s[8:])))
		d[2] = float64(int64(binary.LittleEndian.Uint64(s[16:])))
		d[3] = float64(int64(binary.LittleEndian.Uint64(s[24:])))
		src, dst = src[32:], dst[4:]
	}
	for i := range dst {
		s := src[8*i:]
		dst[i] = float64(int64(binary.LittleEndian.Uint64(s[0:])))
	}
}

func convertUint8(dst []float64, src []byte) {
	src = src[:1*len(dst)]
	for len(dst) >= 4 {
		s, d := src[:4:4], dst[:4:4]
		d[0] = float64(s[0])
		d[1] = float64(s[1])
		d[2] = float64(s[2])
		d[3] = float64(s[3])
		src, dst = src[4:], dst[4:]
	}
	for i := range dst {
		s := src[1*i:]
		dst[i] = float64(s[0])
	}
}

func convertUint16(dst []float64, src []byte) {
	src = src[:2*len(dst)]
	for len(dst) >= 4 {
		s, d := src[:8:8], dst[:4:4]
		d[0] = float64(binary.LittleEndian.Uint16(s[0:]))
		d[1] = float64(binary.LittleEndian.Uint16(s[2:]))
		d[2] = float64(binary.LittleEndian.Uint16(s[4:]))
		d[3] = float64(binary.LittleEndian.Uint16(s[6:]))
		src, dst = src[8:], dst[4:]
	}
	for i := range dst {
		s := src[2*i:]
		dst[i] = float64(binary.LittleEndian.Uint16(s[0:]))
	}
}

func convertUint32(dst []float64, src []byte) {
	src = src[:4*len(dst)]
	for len(dst) >= 4 {
		s, d := src[:16:16], dst[:4:4]
		d[0] = float64(binary.LittleEndian.Uint32(s[0:]))
		d[1] = float64(binary.LittleEndian.Uint32(s[4:]))
		d[2] = float64(binary.LittleEndian.Uint32(s[8:]))
		d[3] = float64(binary.LittleEndian.Uint32(s[12:]))
		src, dst = src[16:], dst[4:]
	}
	for i := range dst {
		s := src[4*i:]
		dst[i] = float64(binary.LittleEndian.Uint32(s[0:]))
	}
}

func convertUint64(dst []float64, src []byte) {
	src = src[:8*len(dst)]
	for len(dst) >= 4 {
		s, d := src[:32:32], dst[:4:4]
		d[0] = float64(binary.LittleEndian.Uint64(s[0:]))
		d[1] = float64(binary.LittleEndian.Uint64(s[8:]))
		d[2] = float64(binary.LittleEndian.Uint64(s[16:]))
		d[3] = float64(binary.LittleEndian.Uint64(s[24:]))
		src, dst = src[32:], dst[4:]
	}
	for i := range dst {
		s := src[8*i:]
		dst[i] = float64(binary.LittleEndian.Uint64(s[0:]))
	}
}

// swapBytes reverses each size-byte element of b in place (big-endian .npy).
func swapBytes(b []byte, size int) {
	switch size {
	case 2:
		for i := 0; i+1 < len(b); i += 2 {
			b[i], b[i+1] = b[i+1], b[i]
		}
	case 4:
		for i := 0; i+3 < len(b); i += 4 {
			binary.LittleEndian.PutUint32(b[i:], binary.BigEndian.Uint32(b[i:]))
		}
	case 8:
		for i := 0; i+7 < len(b); i += 8 {
			binary.LittleEndian.PutUint64(b[i:], binary.BigEndian.Uint64(b[i:]))
		}
	}
}
