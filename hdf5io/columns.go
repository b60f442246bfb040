package hdf5io

// #include "shim.h"
import "C"

import (
	"fmt"
	"os"
	"unsafe"

	"github.com/spca/spca/chunk"
)

// OpenColumns opens a 2-D numeric dataset (as Open does) for column-slab
// reading: every row of a range of columns per hyperslab. slabCols is the
// slab width the caller reads; for a chunked dataset it sizes the chunk
// cache to hold every chunk a slab touches plus one column of chunks for a
// slab's ragged edge. Compressed (filtered) chunked datasets work too, at
// the price of decoding each chunk once per slab it overlaps.
func OpenColumns(path, dataset string, slabCols int) (chunk.ColumnReader, error) {
	lock()
	defer unlock()
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	r, err := openReader(path, f, dataset, 0)
	if err != nil {
		C.spca_fclose(f)
		return nil, err
	}
	info, _ := describe(path, f, r.info.Dataset)
	if info.Chunks != nil && slabCols > 0 {
		c0, c1 := max(info.Chunks[0], 1), max(info.Chunks[1], 1)
		chunkRows := (r.info.Rows + c0 - 1) / c0
		nchunks := max(chunkRows, 1) * ((int64(slabCols)+c1-1)/c1 + 1)
		nbytes := max(nchunks*c0*c1*int64(r.info.DType.Size()), defaultCacheBytes)
		cds := cstr(r.info.Dataset)
		C.spca_dclose(r.dset)
		r.dset = C.spca_dopen(f, cds, C.size_t(nbytes), C.size_t(nextPrime(max(100*nchunks, 521))))
		cfree(cds)
		if r.dset < 0 {
			C.spca_fclose(f)
			return nil, inputError(path, r.info.Dataset, -1, "open with chunk cache", libError(chunk.ErrFormat))
		}
	}
	return &colReader{r}, nil
}

type colReader struct{ *reader }

func (r *colReader) ReadCols(c0, w int, dst []float64) error {
	rows := r.info.Rows
	if c0 < 0 || w <= 0 || c0+w > r.info.Cols || int64(len(dst)) < rows*int64(w) {
		panic(fmt.Sprintf("hdf5io: ReadCols(%d, %d) with %d values for a %d x %d dataset", c0, w, len(dst), rows, r.info.Cols))
	}
	if !r.open {
		return inputError(r.info.Name, r.info.Dataset, -1, "read", os.ErrClosed)
	}
	if rows == 0 {
		return nil
	}
	lock()
	defer unlock()
	if C.spca_read_cols(r.dset, C.hsize_t(rows), C.hsize_t(c0), C.hsize_t(w), (*C.double)(unsafe.Pointer(&dst[0]))) < 0 {
		return inputError(r.info.Name, r.info.Dataset, -1, fmt.Sprintf("read columns %d..%d", c0, c0+w-1), libError(chunk.ErrFormat))
	}
	return nil
}
