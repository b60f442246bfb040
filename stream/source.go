package stream

import (
	"fmt"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/hdf5io"
)

// Source says where the data matrix is and how to read it.
type Source struct {
	Path    string      // file path; "-" is standard input (one pass only)
	Dataset string      // HDF5 dataset path; "" picks the only 2-D dataset
	Cols    int         // raw binary: number of columns
	DType   chunk.DType // raw binary: element type
	Start   int64       // first row to read (0: the first row of the file)
	End     int64       // one past the last row to read (0: to the end of the file)
}

// Open opens the source for one pass. HDF5 files are recognised by their
// signature, everything else goes to chunk.Open (raw, .npy, compressed).
// With Start or End set, the reader covers rows [Start, End) only.
func (s Source) Open(blockRows int) (chunk.Reader, error) {
	r, err := s.openAll(blockRows)
	if err != nil || (s.Start == 0 && s.End == 0) {
		return r, err
	}
	end := s.End
	if end == 0 {
		end = -1
	}
	rr, err := chunk.Range(r, s.Start, end)
	if err != nil {
		r.Close()
		return nil, err
	}
	return rr, nil
}

func (s Source) openAll(blockRows int) (chunk.Reader, error) {
	if s.Path != "-" && hdf5io.IsHDF5(s.Path) {
		return hdf5io.Open(s.Path, s.Dataset, blockRows)
	}
	if s.Dataset != "" {
		return nil, chunk.Errorf(s.Path, "--dataset given but the file is not HDF5")
	}
	return chunk.Open(s.Path, chunk.Options{Cols: s.Cols, DType: s.DType})
}

// Reopenable reports whether a second pass over the source is possible.
func (s Source) Reopenable() bool { return s.Path != "-" }

func (s Source) String() string {
	if s.Dataset != "" {
		return fmt.Sprintf("%s:%s", s.Path, s.Dataset)
	}
	return s.Path
}
