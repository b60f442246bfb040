package hdf5io

// #cgo pkg-config: hdf5
// #include <stdlib.h>
// #include "shim.h"
import "C"

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"unsafe"

	"github.com/spca/spca/chunk"
)

// Sentinel errors, matched with errors.Is through *chunk.Error.
var (
	ErrNoDataset = errors.New("no such dataset")
	ErrAmbiguous = errors.New("several 2-D numeric datasets; name one")
)

// mu serialises every libhdf5 call: the library's global state (open-file
// list, id tables, error stack) must not be touched from two threads at once.
var mu sync.Mutex

// lock takes the library and pins the goroutine to its thread so the
// per-thread error stack seen by the shim is the one the failing call set.
func lock() {
	mu.Lock()
	runtime.LockOSThread()
	C.spca_enter()
}

func unlock() {
	runtime.UnlockOSThread()
	mu.Unlock()
}

// lastErr is libhdf5's description of the last failure; call it with mu held.
func lastErr() string {
	return C.GoString(C.spca_last_error())
}

// cstr is a C copy of s; free it with C.free.
func cstr(s string) *C.char { return C.CString(s) }

func cfree(p *C.char) { C.free(unsafe.Pointer(p)) }

// inputError is a bad-input error naming file, dataset and operation.
func inputError(file, dataset string, row int64, op string, cause error) error {
	if dataset != "" {
		return &chunk.Error{File: file, Row: row, Err: fmt.Errorf("dataset %s: %s: %w", dataset, op, cause)}
	}
	return &chunk.Error{File: file, Row: row, Err: fmt.Errorf("%s: %w", op, cause)}
}

// libError wraps libhdf5's last failure under sentinel.
func libError(sentinel error) error {
	return fmt.Errorf("%w: %s", sentinel, lastErr())
}

var hdf5Signature = []byte("\x89HDF\r\n\x1a\n")

// IsHDF5 reports whether path is an HDF5 file: it looks for the signature
// where HDF5 may put it (offset 0, 512, 1024, 2048, …, after a user block).
// It is false for "-", for unreadable files and for non-regular files.
func IsHDF5(path string) bool {
	if path == "" || path == "-" {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	buf := make([]byte, len(hdf5Signature))
	for off := int64(0); off+int64(len(buf)) <= st.Size(); {
		if _, err := f.ReadAt(buf, off); err != nil && err != io.EOF {
			return false
		}
		if bytes.Equal(buf, hdf5Signature) {
			return true
		}
		if off == 0 {
			off = 512
		} else {
			off *= 2
		}
	}
	return false
}

// DatasetInfo describes one dataset in a file.
type DatasetInfo struct {
	Path     string      // absolute path, "/g/sub/X"
	Shape    []int64     // one entry per dimension; empty for a scalar
	DType    chunk.DType // Invalid for non-numeric types (and float16)
	TypeName string      // "float32", "int16 (big-endian)", "string", "vlen string", "compound", …
	Chunks   []int64     // chunk shape, nil if not chunked
	Filters  []string    // filter pipeline in order, e.g. "shuffle", "deflate"
}

// numeric reports whether d can be read by Open (any rank).
func (d DatasetInfo) numeric() bool { return d.DType != chunk.Invalid }

func (d DatasetInfo) describe() string {
	dims := make([]string, len(d.Shape))
	for i, n := range d.Shape {
		dims[i] = fmt.Sprint(n)
	}
	return fmt.Sprintf("%s (%s %s)", d.Path, d.TypeName, strings.Join(dims, "×"))
}

// dsetInfo converts the shim's description; unavailable filters are
// returned separately.
func dsetInfo(path string, ci *C.spca_dinfo) (info DatasetInfo, missingFilters []string) {
	info.Path = path
	info.Shape = make([]int64, int(ci.rank))
	for i := range info.Shape {
		info.Shape[i] = int64(ci.dims[i])
	}
	size := int(ci.size)
	switch ci.cls {
	case C.SPCA_CLS_INTEGER:
		signed := ci.is_signed != 0
		names := map[int][2]chunk.DType{1: {chunk.Uint8, chunk.Int8}, 2: {chunk.Uint16, chunk.Int16},
			4: {chunk.Uint32, chunk.Int32}, 8: {chunk.Uint64, chunk.Int64}}
		if pair, ok := names[size]; ok {
			if signed {
				info.DType = pair[1]
			} else {
				info.DType = pair[0]
			}
			info.TypeName = info.DType.String()
		} else if signed {
			info.TypeName = fmt.Sprintf("int (%d bytes)", size)
		} else {
			info.TypeName = fmt.Sprintf("uint (%d bytes)", size)
		}
	case C.SPCA_CLS_FLOAT:
		switch size {
		case 4:
			info.DType = chunk.Float32
		case 8:
			info.DType = chunk.Float64
		}
		info.TypeName = fmt.Sprintf("float%d", 8*size)
	case C.SPCA_CLS_STRING:
		info.TypeName = "string"
		if ci.vlen_str != 0 {
			info.TypeName = "vlen string"
		}
	default:
		classNames := map[C.int]string{C.SPCA_CLS_BITFIELD: "bitfield", C.SPCA_CLS_OPAQUE: "opaque",
			C.SPCA_CLS_COMPOUND: "compound", C.SPCA_CLS_REFERENCE: "reference", C.SPCA_CLS_ENUM: "enum",
			C.SPCA_CLS_VLEN: "vlen", C.SPCA_CLS_ARRAY: "array", C.SPCA_CLS_TIME: "time"}
		info.TypeName = classNames[ci.cls]
		if info.TypeName == "" {
			info.TypeName = fmt.Sprintf("type class %d", int(ci.cls))
		}
	}
	if (ci.cls == C.SPCA_CLS_INTEGER || ci.cls == C.SPCA_CLS_FLOAT) && ci.big_endian != 0 {
		info.TypeName += " (big-endian)"
	}
	if ci.chunked != 0 && ci.chunk_rank > 0 {
		info.Chunks = make([]int64, int(ci.chunk_rank))
		for i := range info.Chunks {
			info.Chunks[i] = int64(ci.chunk[i])
		}
	}
	for i := 0; i < int(ci.nfilters); i++ {
		name := C.GoString(&ci.filter_name[i][0])
		if name == "" {
			name = fmt.Sprintf("filter %d", int(ci.filter_id[i]))
		}
		info.Filters = append(info.Filters, name)
		if ci.filter_avail[i] == 0 {
			missingFilters = append(missingFilters, fmt.Sprintf("%s (id %d)", name, int(ci.filter_id[i])))
		}
	}
	return info, missingFilters
}

// openFile opens path read-only; call with mu held.
func openFile(path string) (C.hid_t, error) {
	if _, err := os.Stat(path); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is already in the message
		}
		return -1, inputError(path, "", -1, "open HDF5 file", err)
	}
	cpath := cstr(path)
	defer cfree(cpath)
	f := C.spca_fopen(cpath)
	if f < 0 {
		return -1, inputError(path, "", -1, "open HDF5 file", libError(chunk.ErrFormat))
	}
	return f, nil
}

// list returns every dataset of an open file, sorted by path; call with mu held.
func list(path string, f C.hid_t) ([]DatasetInfo, error) {
	var n C.size_t
	buf := C.spca_list(f, &n)
	if buf == nil {
		return nil, inputError(path, "", -1, "list datasets", libError(chunk.ErrFormat))
	}
	names := C.GoStringN(buf, C.int(n))
	C.free(unsafe.Pointer(buf))
	var out []DatasetInfo
	for _, name := range strings.Split(names, "\x00") {
		if name == "" {
			continue
		}
		info, err := describe(path, f, "/"+name)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// describe opens dataset ds just long enough to describe it; call with mu held.
func describe(path string, f C.hid_t, ds string) (DatasetInfo, error) {
	cds := cstr(ds)
	defer cfree(cds)
	d := C.spca_dopen(f, cds, 0, 0)
	if d < 0 {
		return DatasetInfo{}, inputError(path, ds, -1, "open", libError(chunk.ErrFormat))
	}
	defer C.spca_dclose(d)
	var ci C.spca_dinfo
	if C.spca_dinfo_of(d, &ci) < 0 {
		return DatasetInfo{}, inputError(path, ds, -1, "describe", libError(chunk.ErrFormat))
	}
	info, _ := dsetInfo(ds, &ci)
	return info, nil
}

// List returns every dataset in the file (recursively through groups,
// following hard links only), sorted by path.
func List(path string) ([]DatasetInfo, error) {
	lock()
	defer unlock()
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	defer C.spca_fclose(f)
	return list(path, f)
}
