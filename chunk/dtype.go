package chunk

import "fmt"

// DType is an element type on disk.
type DType int

// The element types spca reads. Integers are converted to float64 exactly up
// to 2⁵³ in magnitude.
const (
	Invalid DType = iota
	Float32
	Float64
	Int8
	Int16
	Int32
	Int64
	Uint8
	Uint16
	Uint32
	Uint64
)

var dtypeNames = [...]string{"invalid", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"}
var dtypeSizes = [...]int{0, 4, 8, 1, 2, 4, 8, 1, 2, 4, 8}

// String returns the NumPy-style name ("float32").
func (d DType) String() string {
	if d < 0 || int(d) >= len(dtypeNames) {
		return fmt.Sprintf("DType(%d)", int(d))
	}
	return dtypeNames[d]
}

// Size returns the element size in bytes (0 for Invalid).
func (d DType) Size() int {
	if d < 0 || int(d) >= len(dtypeSizes) {
		return 0
	}
	return dtypeSizes[d]
}

// ParseDType parses a NumPy-style name such as "float32", "f4", "uint8" or "u1".
func ParseDType(s string) (DType, error) {
	alias := map[string]DType{"f4": Float32, "f8": Float64, "i1": Int8, "i2": Int16, "i4": Int32, "i8": Int64,
		"u1": Uint8, "u2": Uint16, "u4": Uint32, "u8": Uint64, "float": Float64, "double": Float64}
	if d, ok := alias[s]; ok {
		return d, nil
	}
	for i, n := range dtypeNames {
		if i > 0 && n == s {
			return DType(i), nil
		}
	}
	return Invalid, fmt.Errorf("%w %q (want float32, float64, int8..int64 or uint8..uint64)", ErrDType, s)
}
