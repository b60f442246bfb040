package hdf5io

// #include "shim.h"
import "C"

import (
	"fmt"
	"io"
	"os"
	"strings"
	"unsafe"

	"github.com/spca/spca/chunk"
)

// maxListed bounds how many datasets an error message names.
const maxListed = 20

// Open opens a 2-D numeric dataset (float32/64, int8..int64, uint8..uint64 of
// either byte order; contiguous or chunked; any filter libhdf5 decodes) for
// row-block reading. dataset "" means the only 2-D numeric dataset in the
// file; a leading "/" is optional.
//
// blockRows is the number of rows the caller reads at a time; it sizes the
// dataset's chunk cache so that a block reads each chunk once and the chunks
// straddling its end stay cached for the next block: nbytes covers
// (⌈blockRows/chunkRows⌉+1) chunk rows × all chunk columns, nslots is a prime
// near 100× that many chunks, w0 = 1. blockRows ≤ 0 keeps libhdf5's default.
//
// Reads are hyperslabs converted by libhdf5 to float64. Values are not
// checked for finiteness. Every error is a *chunk.Error naming file and
// dataset (errors.Is: ErrNoDataset, ErrAmbiguous, chunk.ErrDType,
// chunk.ErrShape, chunk.ErrFormat).
func Open(path, dataset string, blockRows int) (chunk.Reader, error) {
	lock()
	defer unlock()
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	r, err := openReader(path, f, dataset, blockRows)
	if err != nil {
		C.spca_fclose(f)
		return nil, err
	}
	return r, nil
}

type reader struct {
	info chunk.Info
	file C.hid_t
	dset C.hid_t
	pos  int64
	open bool
}

func listing(infos []DatasetInfo) string {
	var parts []string
	for i, d := range infos {
		if i == maxListed {
			parts = append(parts, fmt.Sprintf("and %d more", len(infos)-maxListed))
			break
		}
		parts = append(parts, d.describe())
	}
	return strings.Join(parts, ", ")
}

func filter2D(infos []DatasetInfo, numeric bool) []DatasetInfo {
	var out []DatasetInfo
	for _, d := range infos {
		if len(d.Shape) == 2 && d.numeric() == numeric {
			out = append(out, d)
		}
	}
	return out
}

// pickDefault finds the only 2-D numeric dataset; call with mu held.
func pickDefault(path string, f C.hid_t) (string, error) {
	all, err := list(path, f)
	if err != nil {
		return "", err
	}
	cands := filter2D(all, true)
	switch {
	case len(cands) == 1:
		return cands[0].Path, nil
	case len(cands) > 1:
		return "", inputError(path, "", -1, "choose dataset",
			fmt.Errorf("%w: %s", ErrAmbiguous, listing(cands)))
	}
	if other := filter2D(all, false); len(other) > 0 {
		return "", inputError(path, "", -1, "choose dataset",
			fmt.Errorf("%w: no 2-D numeric dataset; 2-D datasets of other types: %s", chunk.ErrDType, listing(other)))
	}
	if len(all) == 0 {
		return "", inputError(path, "", -1, "choose dataset", fmt.Errorf("%w: the file has no datasets", ErrNoDataset))
	}
	return "", inputError(path, "", -1, "choose dataset",
		fmt.Errorf("%w: no 2-D dataset in the file; datasets: %s", ErrNoDataset, listing(all)))
}

// missing explains why dataset ds could not be opened; call with mu held.
func missing(path string, f C.hid_t, ds string) error {
	cds := cstr(ds)
	exists := C.spca_exists(f, cds) != 0
	cfree(cds)
	if exists {
		return inputError(path, ds, -1, "open", fmt.Errorf("%w: %s is not a dataset", ErrNoDataset, ds))
	}
	all, err := list(path, f)
	if err != nil {
		return inputError(path, ds, -1, "open", ErrNoDataset)
	}
	if cands := filter2D(all, true); len(cands) > 0 {
		return inputError(path, ds, -1, "open", fmt.Errorf("%w; 2-D numeric datasets in the file: %s", ErrNoDataset, listing(cands)))
	}
	if len(all) > 0 {
		return inputError(path, ds, -1, "open", fmt.Errorf("%w; the file has no 2-D numeric dataset; datasets: %s", ErrNoDataset, listing(all)))
	}
	return inputError(path, ds, -1, "open", fmt.Errorf("%w; the file has no datasets", ErrNoDataset))
}

// openReader opens and checks the dataset; call with mu held.
func openReader(path string, f C.hid_t, dataset string, blockRows int) (*reader, error) {
	ds := "/" + strings.TrimLeft(dataset, "/")
	if dataset == "" {
		var err error
		if ds, err = pickDefault(path, f); err != nil {
			return nil, err
		}
	}
	cds := cstr(ds)
	defer cfree(cds)
	d := C.spca_dopen(f, cds, 0, 0)
	if d < 0 {
		return nil, missing(path, f, ds)
	}
	var ci C.spca_dinfo
	if C.spca_dinfo_of(d, &ci) < 0 {
		err := inputError(path, ds, -1, "describe", libError(chunk.ErrFormat))
		C.spca_dclose(d)
		return nil, err
	}
	info, missingFilters := dsetInfo(ds, &ci)
	fail := func(op string, err error) (*reader, error) {
		C.spca_dclose(d)
		return nil, inputError(path, ds, -1, op, err)
	}
	if !info.numeric() {
		return fail("open", fmt.Errorf("%w %s (want float32, float64, int8..int64 or uint8..uint64)", chunk.ErrDType, info.TypeName))
	}
	if len(info.Shape) != 2 {
		return fail("open", fmt.Errorf("%w: %s is %d-D; want 2-D (rows × columns)", chunk.ErrShape, info.describe(), len(info.Shape)))
	}
	rows, cols := info.Shape[0], info.Shape[1]
	if cols < 1 || cols > int64(maxInt/8) {
		return fail("open", fmt.Errorf("%w: %s: want 1 to %d columns", chunk.ErrShape, info.describe(), maxInt/8))
	}
	if len(missingFilters) > 0 {
		return fail("open", fmt.Errorf("%w: compressed with %s, which this libhdf5 cannot decode (install the filter plugin and set HDF5_PLUGIN_PATH)",
			chunk.ErrFormat, strings.Join(missingFilters, ", ")))
	}
	if info.Chunks != nil && blockRows > 0 {
		nbytes, nslots := cacheSize(info.Chunks, rows, cols, blockRows, info.DType.Size())
		C.spca_dclose(d)
		if d = C.spca_dopen(f, cds, C.size_t(nbytes), C.size_t(nslots)); d < 0 {
			return nil, inputError(path, ds, -1, "open with chunk cache", libError(chunk.ErrFormat))
		}
	}
	return &reader{
		info: chunk.Info{Name: path, Format: "hdf5", Dataset: ds, Rows: rows, Cols: int(cols), DType: info.DType},
		file: f, dset: d, open: true,
	}, nil
}

const maxInt = int(^uint(0) >> 1)

// defaultCacheBytes is libhdf5's default chunk cache (1 MiB); we never go below it.
const defaultCacheBytes = 1 << 20

// cacheSize returns the chunk cache for reading blocks of blockRows rows:
// enough bytes for the chunks one block touches, plus one chunk row for the
// block's ragged end, and a prime ~100× that many slots.
func cacheSize(chunks []int64, rows, cols int64, blockRows, elemSize int) (nbytes, nslots int64) {
	c0, c1 := max(chunks[0], 1), max(chunks[1], 1)
	chunkRows := (rows + c0 - 1) / c0
	chunkCols := (cols + c1 - 1) / c1
	perBlock := min((int64(blockRows)+c0-1)/c0+1, max(chunkRows, 1))
	nchunks := perBlock * chunkCols
	nbytes = max(nchunks*c0*c1*int64(elemSize), defaultCacheBytes)
	return nbytes, nextPrime(max(100*nchunks, 521))
}

func nextPrime(n int64) int64 {
	for ; ; n++ {
		prime := n >= 2
		for d := int64(2); d*d <= n && prime; d++ {
			prime = n%d != 0
		}
		if prime {
			return n
		}
	}
}

func (r *reader) Info() chunk.Info { return r.info }

// chunkCache returns the dataset's chunk cache size and slot count (for tests).
func (r *reader) chunkCache() (nbytes, nslots int64, err error) {
	lock()
	defer unlock()
	var b, s C.size_t
	if C.spca_dcache(r.dset, &b, &s) < 0 {
		return 0, 0, inputError(r.info.Name, r.info.Dataset, -1, "chunk cache", libError(chunk.ErrFormat))
	}
	return int64(b), int64(s), nil
}

func (r *reader) ReadRows(dst []float64) (int, error) {
	cols := r.info.Cols
	if len(dst) == 0 || len(dst)%cols != 0 {
		panic(fmt.Sprintf("hdf5io: ReadRows: len(dst) = %d is not a positive multiple of %d columns", len(dst), cols))
	}
	if !r.open {
		return 0, inputError(r.info.Name, r.info.Dataset, r.pos, "read", os.ErrClosed)
	}
	n := min(int64(len(dst)/cols), r.info.Rows-r.pos)
	if n <= 0 {
		return 0, io.EOF
	}
	lock()
	defer unlock()
	if C.spca_read_rows(r.dset, C.hsize_t(r.pos), C.hsize_t(n), C.hsize_t(cols), (*C.double)(unsafe.Pointer(&dst[0]))) < 0 {
		return 0, inputError(r.info.Name, r.info.Dataset, r.pos, fmt.Sprintf("read rows %d..%d", r.pos, r.pos+n-1), libError(chunk.ErrFormat))
	}
	r.pos += n
	return int(n), nil
}

// SkipRows implements chunk.Skipper: the next hyperslab starts n rows later.
func (r *reader) SkipRows(n int64) (int64, error) {
	if !r.open {
		return 0, inputError(r.info.Name, r.info.Dataset, r.pos, "skip", os.ErrClosed)
	}
	n = max(0, min(n, r.info.Rows-r.pos))
	r.pos += n
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (r *reader) Close() error {
	if !r.open {
		return nil
	}
	r.open = false
	lock()
	defer unlock()
	var err error
	if C.spca_dclose(r.dset) < 0 {
		err = inputError(r.info.Name, r.info.Dataset, -1, "close", libError(chunk.ErrFormat))
	}
	if C.spca_fclose(r.file) < 0 && err == nil {
		err = inputError(r.info.Name, "", -1, "close", libError(chunk.ErrFormat))
	}
	return err
}
