package chunk

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ColumnReader reads a matrix as column slabs: every row of a range of
// columns. It is the view the dual (XXᵀ) route needs when p ≫ n; only
// inputs with random access give it (uncompressed raw and .npy files here,
// HDF5 datasets in package hdf5io).
//
// ReadCols fills dst (Rows × w values, row-major) with columns c0..c0+w−1 of
// every row. It may be called in any order and from one goroutine at a time.
type ColumnReader interface {
	Info() Info
	ReadCols(c0, w int, dst []float64) error
	Close() error
}

// ErrNoColumns says an input cannot be read by columns (compressed data or
// a stream): match it with errors.Is.
var ErrNoColumns = errors.New("cannot be read by column slabs")

// CanReadColumns reports whether path (a raw or .npy file, not HDF5) can be
// opened by OpenColumns: a regular, uncompressed file.
func CanReadColumns(path string) bool {
	if path == "-" {
		return false
	}
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	comp, _, err := Sniff(path)
	return err == nil && comp == ""
}

// OpenColumns opens an uncompressed raw or .npy file for column-slab
// reading by positioned reads (one strided read per row and slab). A
// compressed file or standard input is an *Error wrapping ErrNoColumns.
func OpenColumns(path string, opt Options) (ColumnReader, error) {
	if path == "-" {
		return nil, Errorf(path, "%w: standard input can be read only once, front to back", ErrNoColumns)
	}
	comp, _, err := Sniff(path)
	if err != nil {
		return nil, err
	}
	if comp != "" {
		return nil, Errorf(path, "%w: %s-compressed data can only be read front to back", ErrNoColumns, comp)
	}
	// Open parses and checks the header and the size; the data offset is
	// what the header occupied.
	r, err := Open(path, opt)
	if err != nil {
		return nil, err
	}
	s := r.(*source)
	info := s.info
	off := s.dataOff
	s.Close()
	f, err := os.Open(path)
	if err != nil {
		return nil, openError(path, err)
	}
	return &columnFile{info: info, f: f, off: off, rowBytes: int64(s.rowBytes), bigEndian: s.bigEndian,
		convert: converterFor(info.DType)}, nil
}

type columnFile struct {
	info      Info
	f         *os.File
	off       int64 // byte offset of row 0
	rowBytes  int64
	bigEndian bool
	convert   converter
	buf       []byte
}

func (c *columnFile) Info() Info { return c.info }

// ReadCols reads columns c0..c0+w−1 of every row with one positioned read
// per row into a reused buffer.
func (c *columnFile) ReadCols(c0, w int, dst []float64) error {
	rows := c.info.Rows
	if c0 < 0 || w <= 0 || c0+w > c.info.Cols || int64(len(dst)) < rows*int64(w) {
		panic(fmt.Sprintf("chunk: ReadCols(%d, %d) with %d values for a %d x %d matrix", c0, w, len(dst), rows, c.info.Cols))
	}
	es := c.info.DType.Size()
	need := w * es
	if cap(c.buf) < need {
		c.buf = make([]byte, need)
	}
	b := c.buf[:need]
	for r := int64(0); r < rows; r++ {
		at := c.off + r*c.rowBytes + int64(c0*es)
		if _, err := c.f.ReadAt(b, at); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return &Error{File: c.info.Name, Row: r, Err: fmt.Errorf("%w: the file shrank while being read", io.ErrUnexpectedEOF)}
			}
			return ioError(c.info.Name, err)
		}
		if c.bigEndian {
			swapBytes(b, es)
		}
		c.convert(dst[r*int64(w):(r+1)*int64(w)], b)
	}
	return nil
}

func (c *columnFile) Close() error {
	if c.f == nil {
		return nil
	}
	err := c.f.Close()
	c.f = nil
	return err
}
