// Package chunk owns the row-block view of a data matrix: the Reader
// interface every input source implements, the raw little-endian and .npy
// sources, decompression chosen by magic bytes (zstd, gzip, s2/snappy framed,
// all through klauspost/compress), dtype → float64 conversion, and the
// conformance suite (package chunktest) that every source, HDF5 included,
// must pass. It knows nothing about PCA.
package chunk

import (
	"errors"
	"fmt"
	"math"
)

// Info describes a source's matrix.
type Info struct {
	Name        string // path as the user gave it ("-" for standard input); used in errors
	Format      string // "raw", "npy" or "hdf5"
	Compression string // "", "zstd", "gzip", "s2" or "snappy"
	Dataset     string // HDF5 dataset path; empty for other formats
	Rows        int64  // number of rows, or -1 when unknown until the end of a stream
	Cols        int    // number of columns (features), always > 0
	DType       DType  // element type on disk
	FirstRow    int64  // row of the file that the first row read is (non-zero for a Range)
}

// Reader yields a matrix as row blocks converted to float64.
//
// ReadRows fills dst, row-major, with up to len(dst)/Cols whole rows and
// returns how many it read. It returns (0, io.EOF) once every row has been
// read, and never returns a partial row: a file that ends inside a row is an
// *Error wrapping io.ErrUnexpectedEOF. len(dst) must be a positive multiple of
// Cols (a programmer mistake otherwise, which panics).
//
// A Reader is used by one goroutine at a time.
type Reader interface {
	Info() Info
	ReadRows(dst []float64) (int, error)
	Close() error
}

// Sentinel errors, matched with errors.Is through *Error.
var (
	ErrFormat    = errors.New("unrecognised or corrupt format")
	ErrShape     = errors.New("wrong shape")
	ErrDType     = errors.New("unsupported dtype")
	ErrNotFinite = errors.New("value is not finite")
	ErrNoSeek    = errors.New("standard input cannot be read twice")
)

// Error is a bad-input error: it names the file, where in it (a row, when
// known) and what was wrong. Callers map it to exit status 2.
type Error struct {
	File string // the file as the user named it
	Row  int64  // zero-based row, or -1 when the problem is not tied to a row
	Err  error  // the problem; often wraps a sentinel above or io.ErrUnexpectedEOF
}

func (e *Error) Error() string {
	if e.Row >= 0 {
		return fmt.Sprintf("%s: row %d: %v", e.File, e.Row, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error for file (row -1) with a formatted message; %w works.
func Errorf(file string, format string, args ...any) error {
	return &Error{File: file, Row: -1, Err: fmt.Errorf(format, args...)}
}

// IsInputError reports whether err is (or wraps) a bad-input *Error.
func IsInputError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// CheckFinite returns an *Error naming the first row and column of block
// (rows of cols values starting at row firstRow of file) that holds a NaN or
// an infinity, or nil.
func CheckFinite(file string, firstRow int64, cols int, block []float64) error {
	for i, v := range block {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &Error{File: file, Row: firstRow + int64(i/cols),
				Err: fmt.Errorf("%w: %v in column %d", ErrNotFinite, v, i%cols)}
		}
	}
	return nil
}
