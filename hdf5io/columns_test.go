package hdf5io

import (
	"testing"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/chunk/chunktest"
)

// TestColumnConformance: h5py's fixtures (every dtype, big-endian, chunked
// and gzip-compressed) read back by column hyperslabs.
func TestColumnConformance(t *testing.T) {
	for _, dt := range allDTypes {
		path := fixture("dtype_" + dt.String() + ".h5")
		chunktest.RunColumns(t, func() (chunk.ColumnReader, error) { return OpenColumns(path, "", 2) }, expected(dt, 23, 5), 23, 5)
	}
	for _, dt := range []chunk.DType{chunk.Float64, chunk.Int32} {
		path := fixture("be_" + dt.String() + ".h5")
		chunktest.RunColumns(t, func() (chunk.ColumnReader, error) { return OpenColumns(path, "", 3) }, expected(dt, 23, 5), 23, 5)
	}
	path := fixture("chunked.h5")
	for _, slab := range []int{0, 1, 4, 6} {
		chunktest.RunColumns(t, func() (chunk.ColumnReader, error) { return OpenColumns(path, "", slab) }, expected(chunk.Float32, 50, 6), 50, 6)
	}
}
