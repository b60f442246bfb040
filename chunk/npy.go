package chunk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// npyMagic starts every .npy file.
const npyMagic = "\x93NUMPY"

// MaxNpyHeader is the largest .npy header (the dict after the length field)
// spca reads; a longer one is refused before anything is allocated. NumPy's
// own reader stops at 10 000 bytes by default.
const MaxNpyHeader = 1 << 20

// npyHeader is what a .npy header tells about the array that follows it.
type npyHeader struct {
	size      int64 // bytes of magic, version, length field and dict
	dtype     DType
	bigEndian bool
	rows      int64
	cols      int
	vector    bool // the header's shape is 1-D (n,): read as n×1 only with Options.Vector
}

// readNpyHeader reads a .npy header (versions 1.0, 2.0 and 3.0) from r,
// which must be positioned at the magic string. Errors are plain; the caller
// wraps them with the file name.
func readNpyHeader(r io.Reader) (npyHeader, error) {
	var h npyHeader
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return h, npyReadErr("npy preamble", err)
	}
	if string(pre[:6]) != npyMagic {
		return h, fmt.Errorf("%w: not a .npy file (no \\x93NUMPY magic)", ErrFormat)
	}
	var hlen int64
	switch major, minor := pre[6], pre[7]; {
	case major == 1 && minor == 0:
		var l [2]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return h, npyReadErr("npy header length", err)
		}
		hlen = int64(binary.LittleEndian.Uint16(l[:]))
		h.size = 10
	case (major == 2 || major == 3) && minor == 0:
		var l [4]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return h, npyReadErr("npy header length", err)
		}
		hlen = int64(binary.LittleEndian.Uint32(l[:]))
		h.size = 12
	default:
		return h, fmt.Errorf("%w: unsupported .npy version %d.%d (want 1.0, 2.0 or 3.0)", ErrFormat, major, minor)
	}
	if hlen > MaxNpyHeader {
		return h, fmt.Errorf("%w: .npy header of %d bytes is longer than the %d-byte limit", ErrFormat, hlen, MaxNpyHeader)
	}
	dict := make([]byte, hlen)
	if _, err := io.ReadFull(r, dict); err != nil {
		return h, npyReadErr("npy header", err)
	}
	h.size += hlen
	if err := h.parseDict(string(dict)); err != nil {
		return h, err
	}
	return h, nil
}

func npyReadErr(what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: truncated %s: %w", ErrFormat, what, io.ErrUnexpectedEOF)
	}
	return err
}

// parseDict parses the header dict, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
// without evaluating it: a tiny tokenizer for the literals NumPy writes.
func (h *npyHeader) parseDict(s string) error {
	p := &dictParser{s: s}
	bad := func(why string) error {
		return fmt.Errorf("%w: bad .npy header %s: %s", ErrFormat, p.quote(), why)
	}
	p.skipSpace()
	if !p.eat('{') {
		return bad("does not start with '{'")
	}
	var descr string
	var fortran bool
	var shape []int64
	seen := map[string]bool{}
	for {
		p.skipSpace()
		if p.eat('}') {
			break
		}
		key, ok := p.str()
		if !ok {
			return bad("expected a quoted key")
		}
		p.skipSpace()
		if !p.eat(':') {
			return bad(fmt.Sprintf("expected ':' after %q", key))
		}
		p.skipSpace()
		switch key {
		case "descr":
			if descr, ok = p.str(); !ok {
				return fmt.Errorf("%w: .npy descr is not a simple dtype string (structured arrays are not supported)", ErrDType)
			}
		case "fortran_order":
			if fortran, ok = p.boolean(); !ok {
				return bad("fortran_order is not True or False")
			}
		case "shape":
			if shape, ok = p.tuple(); !ok {
				return bad("shape is not a tuple of integers")
			}
		default:
			return bad(fmt.Sprintf("unexpected key %q", key))
		}
		if seen[key] {
			return bad(fmt.Sprintf("duplicate key %q", key))
		}
		seen[key] = true
		p.skipSpace()
		if !p.eat(',') {
			p.skipSpace()
			if !p.eat('}') {
				return bad("expected ',' or '}'")
			}
			break
		}
	}
	if rest := strings.TrimSpace(p.s[p.i:]); rest != "" {
		return bad("trailing characters after '}'")
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return bad(fmt.Sprintf("missing key %q", k))
		}
	}
	if fortran {
		return fmt.Errorf("%w: Fortran-order .npy is not supported; save with np.ascontiguousarray", ErrFormat)
	}
	var err error
	if h.dtype, h.bigEndian, err = parseDescr(descr); err != nil {
		return err
	}
	if len(shape) == 1 {
		shape, h.vector = []int64{shape[0], 1}, true
	}
	if len(shape) != 2 {
		return fmt.Errorf("%w: .npy shape %s is %d-D; spca needs a 2-D (rows, cols) matrix", ErrShape, shapeString(shape), len(shape))
	}
	if shape[0] <= 0 || shape[1] <= 0 {
		return fmt.Errorf("%w: .npy shape %s is empty; spca needs at least one row and one column", ErrShape, shapeString(shape))
	}
	if shape[1] > math.MaxInt32 || shape[0] > math.MaxInt64/(shape[1]*int64(h.dtype.Size())) {
		return fmt.Errorf("%w: .npy shape %s is too large", ErrShape, shapeString(shape))
	}
	h.rows, h.cols = shape[0], int(shape[1])
	return nil
}

func shapeString(shape []int64) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.FormatInt(d, 10)
	}
	if len(shape) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// parseDescr maps a NumPy dtype string ('<f4', '|u1', '>i8', '=f8') to a
// DType and its byte order. '=' (native) is taken as little-endian, which is
// what every machine spca runs on is.
func parseDescr(descr string) (DType, bool, error) {
	if len(descr) < 3 {
		return Invalid, false, fmt.Errorf("%w: .npy dtype '%s'", ErrDType, descr)
	}
	d, err := ParseDType(descr[1:])
	if err != nil || descr[1:] == "float" || descr[1:] == "double" || len(descr[1:]) != 2 {
		return Invalid, false, fmt.Errorf("%w: .npy dtype '%s' (want f4, f8, i1..i8 or u1..u8)", ErrDType, descr)
	}
	switch descr[0] {
	case '<', '=':
		return d, false, nil
	case '>':
		return d, d.Size() > 1, nil
	case '|':
		if d.Size() == 1 {
			return d, false, nil
		}
	}
	return Invalid, false, fmt.Errorf("%w: .npy dtype '%s' has no valid byte order", ErrDType, descr)
}

// dictParser walks a header dict.
type dictParser struct {
	s string
	i int
}

func (p *dictParser) quote() string {
	s := strings.TrimSpace(p.s)
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return strconv.Quote(s)
}

func (p *dictParser) skipSpace() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *dictParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a '…' or "…" literal without escapes (NumPy never writes any in
// the keys and dtype strings spca accepts).
func (p *dictParser) str() (string, bool) {
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", false
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", false
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.IndexByte(v, '\\') >= 0 {
		return "", false
	}
	p.i += end + 2
	return v, true
}

func (p *dictParser) boolean() (bool, bool) {
	for _, w := range []struct {
		lit string
		v   bool
	}{{"True", true}, {"False", false}} {
		if strings.HasPrefix(p.s[p.i:], w.lit) {
			p.i += len(w.lit)
			return w.v, true
		}
	}
	return false, false
}

// tuple reads (), (n,), (a, b) … with an optional trailing comma and
// Python 2 long suffixes (3L).
func (p *dictParser) tuple() ([]int64, bool) {
	if !p.eat('(') {
		return nil, false
	}
	var dims []int64
	for {
		p.skipSpace()
		if p.eat(')') {
			return dims, true
		}
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		if j == p.i || j-p.i > 19 {
			return nil, false
		}
		d, err := strconv.ParseInt(p.s[p.i:j], 10, 64)
		if err != nil || len(dims) >= 32 {
			return nil, false
		}
		dims = append(dims, d)
		p.i = j
		if p.i < len(p.s) && (p.s[p.i] == 'L' || p.s[p.i] == 'l') {
			p.i++
		}
		p.skipSpace()
		if !p.eat(',') {
			p.skipSpace()
			return dims, p.eat(')')
		}
	}
}
