package hdf5io

// #include <stdlib.h>
// #include "shim.h"
import "C"

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"unsafe"

	"github.com/spca/spca/chunk"
)

// ErrNoAttr is matched with errors.Is when a root attribute is missing.
var ErrNoAttr = errors.New("no such attribute")

// outError describes a failed write; output failures are not bad input.
func outError(file, what, op string) error {
	if what != "" {
		return fmt.Errorf("hdf5io: %s: %s: %s: %s", file, what, op, lastErr())
	}
	return fmt.Errorf("hdf5io: %s: %s: %s", file, op, lastErr())
}

// objPath turns "x", "/x" or "g/x" into an absolute HDF5 path.
func objPath(name string) string { return "/" + strings.TrimLeft(name, "/") }

// Writer writes a new HDF5 file of float64 datasets and root-group scalar
// attributes (a model). It truncates path; the caller handles temp-file +
// rename. Names may contain groups ("a/b"), which are created as needed.
type Writer struct {
	path string
	file C.hid_t
	open bool
}

// Create creates (or truncates) path.
func Create(path string) (*Writer, error) {
	lock()
	defer unlock()
	cpath := cstr(path)
	defer cfree(cpath)
	f := C.spca_fcreate(cpath)
	if f < 0 {
		return nil, outError(path, "", "create")
	}
	return &Writer{path: path, file: f, open: true}, nil
}

func (w *Writer) closedError() error {
	return fmt.Errorf("hdf5io: %s: %w", w.path, os.ErrClosed)
}

func (w *Writer) write(name string, dims []C.hsize_t, data []float64) error {
	if !w.open {
		return w.closedError()
	}
	ds := objPath(name)
	var p *C.double
	if len(data) > 0 {
		p = (*C.double)(unsafe.Pointer(&data[0]))
	}
	lock()
	defer unlock()
	cname := cstr(ds)
	defer cfree(cname)
	if C.spca_write(w.file, cname, C.int(len(dims)), &dims[0], p) < 0 {
		return outError(w.path, "dataset "+ds, "write")
	}
	return nil
}

// WriteMatrix writes a rows × cols float64 dataset from row-major data.
// It panics if len(data) != rows*cols.
func (w *Writer) WriteMatrix(name string, rows, cols int, data []float64) error {
	if rows < 0 || cols < 0 || len(data) != rows*cols {
		panic(fmt.Sprintf("hdf5io: WriteMatrix %s: %d values for %d × %d", name, len(data), rows, cols))
	}
	return w.write(name, []C.hsize_t{C.hsize_t(rows), C.hsize_t(cols)}, data)
}

// WriteVector writes a 1-D float64 dataset.
func (w *Writer) WriteVector(name string, data []float64) error {
	return w.write(name, []C.hsize_t{C.hsize_t(len(data))}, data)
}

func (w *Writer) setAttr(name string, set func(cname *C.char) C.int) error {
	if !w.open {
		return w.closedError()
	}
	lock()
	defer unlock()
	cname := cstr(name)
	defer cfree(cname)
	if set(cname) < 0 {
		return outError(w.path, "attribute "+name, "write")
	}
	return nil
}

// SetAttrInt sets a root-group scalar int64 attribute, replacing any old one.
func (w *Writer) SetAttrInt(name string, v int64) error {
	return w.setAttr(name, func(n *C.char) C.int { return C.spca_attr_write_int(w.file, n, C.longlong(v)) })
}

// SetAttrFloat sets a root-group scalar float64 attribute.
func (w *Writer) SetAttrFloat(name string, v float64) error {
	return w.setAttr(name, func(n *C.char) C.int { return C.spca_attr_write_double(w.file, n, C.double(v)) })
}

// SetAttrString sets a root-group scalar string attribute, stored as a
// variable-length UTF-8 string: h5py 3 returns it as str, h5dump prints it
// quoted. v must not contain NUL.
func (w *Writer) SetAttrString(name string, v string) error {
	if strings.IndexByte(v, 0) >= 0 {
		return fmt.Errorf("hdf5io: %s: attribute %s: string contains NUL", w.path, name)
	}
	cv := cstr(v)
	defer cfree(cv)
	return w.setAttr(name, func(n *C.char) C.int { return C.spca_attr_write_string(w.file, n, cv) })
}

// Close flushes and closes the file; the file is complete only if Close
// returns nil. Closing twice is a no-op.
func (w *Writer) Close() error {
	if !w.open {
		return nil
	}
	w.open = false
	lock()
	defer unlock()
	if C.spca_fclose(w.file) < 0 {
		return outError(w.path, "", "close")
	}
	return nil
}

// File reads back datasets and root attributes of a file written by Writer
// (or by h5py). Errors are *chunk.Error: the file is the user's input.
type File struct {
	path string
	file C.hid_t
	open bool
}

// OpenFile opens path read-only.
func OpenFile(path string) (*File, error) {
	lock()
	defer unlock()
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	return &File{path: path, file: f, open: true}, nil
}

// maxReadValues bounds what ReadMatrix allocates (16 GiB of float64).
const maxReadValues = 1 << 31

// ReadMatrix reads a numeric dataset whole, converted to float64: a 2-D
// dataset row-major, a 1-D one as rows = len, cols = 1.
func (f *File) ReadMatrix(name string) (rows, cols int, data []float64, err error) {
	ds := objPath(name)
	if !f.open {
		return 0, 0, nil, inputError(f.path, ds, -1, "read", os.ErrClosed)
	}
	lock()
	defer unlock()
	cname := cstr(ds)
	defer cfree(cname)
	d := C.spca_dopen(f.file, cname, 0, 0)
	if d < 0 {
		if C.spca_exists(f.file, cname) == 0 {
			return 0, 0, nil, inputError(f.path, ds, -1, "open", ErrNoDataset)
		}
		return 0, 0, nil, inputError(f.path, ds, -1, "open", libError(chunk.ErrFormat))
	}
	defer C.spca_dclose(d)
	var ci C.spca_dinfo
	if C.spca_dinfo_of(d, &ci) < 0 {
		return 0, 0, nil, inputError(f.path, ds, -1, "describe", libError(chunk.ErrFormat))
	}
	info, missingFilters := dsetInfo(ds, &ci)
	switch {
	case !info.numeric():
		return 0, 0, nil, inputError(f.path, ds, -1, "read", fmt.Errorf("%w %s", chunk.ErrDType, info.TypeName))
	case len(info.Shape) == 1:
		rows, cols = int(info.Shape[0]), 1
	case len(info.Shape) == 2:
		rows, cols = int(info.Shape[0]), int(info.Shape[1])
	default:
		return 0, 0, nil, inputError(f.path, ds, -1, "read", fmt.Errorf("%w: %s; want 1 or 2 dimensions", chunk.ErrShape, info.describe()))
	}
	if len(missingFilters) > 0 {
		return 0, 0, nil, inputError(f.path, ds, -1, "read", fmt.Errorf("%w: filter %s unavailable", chunk.ErrFormat, strings.Join(missingFilters, ", ")))
	}
	if rows < 0 || cols < 0 || (cols > 0 && rows > maxReadValues/cols) {
		return 0, 0, nil, inputError(f.path, ds, -1, "read", fmt.Errorf("%w: %s is too large to read whole", chunk.ErrShape, info.describe()))
	}
	data = make([]float64, rows*cols)
	if len(data) > 0 && C.spca_read_all(d, (*C.double)(unsafe.Pointer(&data[0]))) < 0 {
		return 0, 0, nil, inputError(f.path, ds, -1, "read", libError(chunk.ErrFormat))
	}
	return rows, cols, data, nil
}

// ReadVector reads a 1-D numeric dataset (or a 2-D one with a single row or
// column) as float64.
func (f *File) ReadVector(name string) ([]float64, error) {
	rows, cols, data, err := f.ReadMatrix(name)
	if err != nil {
		return nil, err
	}
	if rows != 1 && cols != 1 {
		return nil, inputError(f.path, objPath(name), -1, "read", fmt.Errorf("%w: %d × %d; want a vector", chunk.ErrShape, rows, cols))
	}
	return data, nil
}

// Has reports whether the file has an object (dataset or group) at name.
func (f *File) Has(name string) bool {
	if !f.open {
		return false
	}
	lock()
	defer unlock()
	cname := cstr(objPath(name))
	defer cfree(cname)
	return C.spca_exists(f.file, cname) != 0
}

// HasAttr reports whether the root group has attribute name.
func (f *File) HasAttr(name string) bool {
	if !f.open {
		return false
	}
	lock()
	defer unlock()
	cname := cstr(name)
	defer cfree(cname)
	return C.spca_attr_exists(f.file, cname) != 0
}

// attr checks that root attribute name exists, is a single value and is of
// one of the wanted classes, then runs read; it holds mu throughout.
func (f *File) attr(name, want string, classes []C.int, read func(cname *C.char) C.int) error {
	what := "attribute " + name
	if !f.open {
		return inputError(f.path, "", -1, what, os.ErrClosed)
	}
	lock()
	defer unlock()
	cname := cstr(name)
	defer cfree(cname)
	if C.spca_attr_exists(f.file, cname) == 0 {
		return inputError(f.path, "", -1, "read "+what, ErrNoAttr)
	}
	var cls C.int
	var npoints C.longlong
	if C.spca_attr_info(f.file, cname, &cls, &npoints) < 0 {
		return inputError(f.path, "", -1, "read "+what, libError(chunk.ErrFormat))
	}
	ok := false
	for _, c := range classes {
		ok = ok || cls == c
	}
	if !ok || npoints != 1 {
		return inputError(f.path, "", -1, "read "+what, fmt.Errorf("%w: want a single %s", chunk.ErrDType, want))
	}
	if read(cname) < 0 {
		return inputError(f.path, "", -1, "read "+what, libError(chunk.ErrFormat))
	}
	return nil
}

// AttrInt reads an integer root attribute.
func (f *File) AttrInt(name string) (int64, error) {
	var v C.longlong
	err := f.attr(name, "integer", []C.int{C.SPCA_CLS_INTEGER}, func(n *C.char) C.int { return C.spca_attr_read_int(f.file, n, &v) })
	return int64(v), err
}

// AttrFloat reads a floating-point (or integer) root attribute as float64.
func (f *File) AttrFloat(name string) (float64, error) {
	var v C.double
	err := f.attr(name, "number", []C.int{C.SPCA_CLS_FLOAT, C.SPCA_CLS_INTEGER}, func(n *C.char) C.int { return C.spca_attr_read_double(f.file, n, &v) })
	return float64(v), err
}

// AttrString reads a string root attribute, fixed or variable length
// (trailing NUL and space padding removed for fixed-length ones).
func (f *File) AttrString(name string) (string, error) {
	var s string
	err := f.attr(name, "string", []C.int{C.SPCA_CLS_STRING}, func(n *C.char) C.int {
		p := C.spca_attr_read_string(f.file, n)
		if p == nil {
			return -1
		}
		s = C.GoString(p)
		C.free(unsafe.Pointer(p))
		return 0
	})
	return strings.TrimRight(s, " \x00"), err
}

// Close closes the file. Closing twice is a no-op.
func (f *File) Close() error {
	if !f.open {
		return nil
	}
	f.open = false
	lock()
	defer unlock()
	if C.spca_fclose(f.file) < 0 {
		return inputError(f.path, "", -1, "close", libError(chunk.ErrFormat))
	}
	return nil
}

// MatrixWriter appends row blocks to a chunked float64 dataset with
// unlimited rows in a new file (scores). Chunks are about 128 KiB of whole
// rows (column-split only past 16384 columns), so a small output stays small.
type MatrixWriter struct {
	path, dataset string
	cols          int
	rows          int64
	file, dset    C.hid_t
	open          bool
}

const (
	chunkBytes   = 1 << 17
	maxChunkCols = chunkBytes / 8
)

// CreateMatrix creates (or truncates) path holding an empty rows × cols
// float64 dataset, uncompressed. It panics if cols < 1.
func CreateMatrix(path, dataset string, cols int) (*MatrixWriter, error) {
	return CreateMatrixOptions(path, dataset, cols, MatrixOptions{})
}

// MatrixOptions shape the dataset CreateMatrixOptions makes.
type MatrixOptions struct {
	DType     chunk.DType // element type in the file (libhdf5 converts from float64); Invalid means float64
	ChunkRows int         // rows per chunk; 0 picks about 128 KiB of whole rows
	Deflate   int         // gzip level 1..9; 0 for none
	Shuffle   bool        // byte-shuffle filter before gzip
}

// CreateMatrixOptions is CreateMatrix with a chosen element type, chunk
// height and filters (the data generator writes compressed uint8 images).
func CreateMatrixOptions(path, dataset string, cols int, opt MatrixOptions) (*MatrixWriter, error) {
	if cols < 1 {
		panic(fmt.Sprintf("hdf5io: CreateMatrix %s: %d columns", path, cols))
	}
	if opt.Deflate < 0 || opt.Deflate > 9 {
		panic(fmt.Sprintf("hdf5io: CreateMatrix %s: deflate level %d", path, opt.Deflate))
	}
	ds := objPath(dataset)
	ccols := min(cols, maxChunkCols)
	crows := max(1, chunkBytes/(8*ccols))
	if opt.ChunkRows > 0 {
		crows = opt.ChunkRows
	}
	perRow := int64((cols + ccols - 1) / ccols)
	nbytes := max(2*perRow*int64(crows*ccols*8), defaultCacheBytes)
	nslots := nextPrime(max(200*perRow, 521))

	lock()
	defer unlock()
	cpath, cds := cstr(path), cstr(ds)
	defer cfree(cpath)
	defer cfree(cds)
	f := C.spca_fcreate(cpath)
	if f < 0 {
		return nil, outError(path, "", "create")
	}
	d := C.spca_matrix_create(f, cds, C.hsize_t(cols), C.hsize_t(crows), C.hsize_t(ccols), C.size_t(nbytes), C.size_t(nslots),
		C.int(opt.DType), C.int(opt.Deflate), C.int(b2i(opt.Shuffle)))
	if d < 0 {
		err := outError(path, "dataset "+ds, "create")
		C.spca_fclose(f)
		return nil, err
	}
	return &MatrixWriter{path: path, dataset: ds, cols: cols, file: f, dset: d, open: true}, nil
}

// Rows returns how many rows have been appended.
func (m *MatrixWriter) Rows() int64 { return m.rows }

// Append writes whole rows (row-major) after those already written. It
// panics if len(data) is not a multiple of the column count.
func (m *MatrixWriter) Append(data []float64) error {
	if len(data)%m.cols != 0 {
		panic(fmt.Sprintf("hdf5io: Append to %s: %d values is not a multiple of %d columns", m.dataset, len(data), m.cols))
	}
	if !m.open {
		return fmt.Errorf("hdf5io: %s: %w", m.path, os.ErrClosed)
	}
	if len(data) == 0 {
		return nil
	}
	n := int64(len(data) / m.cols)
	lock()
	defer unlock()
	if C.spca_matrix_append(m.dset, C.hsize_t(m.rows), C.hsize_t(n), C.hsize_t(m.cols), (*C.double)(unsafe.Pointer(&data[0]))) < 0 {
		return outError(m.path, "dataset "+m.dataset, fmt.Sprintf("append rows %d..%d", m.rows, m.rows+n-1))
	}
	m.rows += n
	return nil
}

// Close closes the dataset and the file; the file is complete only if Close
// returns nil. Closing twice is a no-op.
func (m *MatrixWriter) Close() error {
	if !m.open {
		return nil
	}
	m.open = false
	lock()
	defer unlock()
	var err error
	if C.spca_dclose(m.dset) < 0 {
		err = outError(m.path, "dataset "+m.dataset, "close")
	}
	if C.spca_fclose(m.file) < 0 && err == nil {
		err = outError(m.path, "", "close")
	}
	return err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
