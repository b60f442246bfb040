package stream

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spca/spca/hdf5io"
)

// Pending is an output written to a temporary file beside its final path
// and renamed into place by Commit; Abort (or a failed Commit) removes it,
// so a failed run leaves nothing behind.
type Pending struct {
	Final string
	Tmp   string
}

// NewPending reserves a temporary file in the directory of final.
func NewPending(final string) (*Pending, error) {
	dir, base := filepath.Split(final)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("%s: cannot create output: %w", final, err)
	}
	f.Close()
	// CreateTemp makes the file 0600; an output should get the mode any new
	// file gets (0666 less the umask), as if created in place.
	if err := os.Chmod(f.Name(), 0o666&^umask); err != nil {
		os.Remove(f.Name())
		return nil, fmt.Errorf("%s: cannot create output: %w", final, err)
	}
	return &Pending{Final: final, Tmp: f.Name()}, nil
}

// Commit renames the temporary file to its final path.
func (p *Pending) Commit() error {
	if err := os.Rename(p.Tmp, p.Final); err != nil {
		os.Remove(p.Tmp)
		return fmt.Errorf("%s: %w", p.Final, err)
	}
	return nil
}

// Abort removes the temporary file.
func (p *Pending) Abort() { os.Remove(p.Tmp) }

// ScoresWriter writes k-column score rows to a file whose format follows its
// suffix: .npy (float64), .h5/.hdf5 (dataset "scores") or .csv.
type ScoresWriter interface {
	RowWriter
	Close() error
}

// CreateScores opens a scores writer on path (normally a Pending's Tmp)
// in the format named by the suffix of final.
func CreateScores(path, final string, k int) (ScoresWriter, error) {
	switch strings.ToLower(filepath.Ext(final)) {
	case ".npy":
		return newNpyWriter(path, k)
	case ".h5", ".hdf5":
		w, err := hdf5io.CreateMatrix(path, "scores", k)
		if err != nil {
			return nil, err
		}
		return h5Scores{w}, nil
	case ".csv":
		return newCSVWriter(path, k)
	}
	return nil, fmt.Errorf("%s: unknown scores format (use .npy, .h5 or .csv)", final)
}

// ScoresFormatOK reports whether final has a suffix CreateScores accepts.
func ScoresFormatOK(final string) bool {
	switch strings.ToLower(filepath.Ext(final)) {
	case ".npy", ".h5", ".hdf5", ".csv":
		return true
	}
	return false
}

type h5Scores struct{ *hdf5io.MatrixWriter }

func (h h5Scores) WriteRows(data []float64) error { return h.Append(data) }

const npyHeaderLen = 128 // fixed, so the row count can be written at the end

type npyWriter struct {
	f    *os.File
	bw   *bufio.Writer
	k    int
	rows int64
	buf  []byte
}

func newNpyWriter(path string, k int) (*npyWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	w := &npyWriter{f: f, bw: bufio.NewWriterSize(f, 1<<20), k: k}
	if _, err := w.bw.Write(npyHeader(0, k)); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

// npyHeader is a version 1.0 header padded to npyHeaderLen bytes.
func npyHeader(rows int64, k int) []byte {
	dict := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }", rows, k)
	h := make([]byte, 0, npyHeaderLen)
	h = append(h, "\x93NUMPY\x01\x00"...)
	h = binary.LittleEndian.AppendUint16(h, npyHeaderLen-10)
	h = append(h, dict...)
	for len(h) < npyHeaderLen-1 {
		h = append(h, ' ')
	}
	return append(h, '\n')
}

func (w *npyWriter) WriteRows(data []float64) error {
	w.buf = w.buf[:0]
	for _, v := range data {
		w.buf = binary.LittleEndian.AppendUint64(w.buf, math.Float64bits(v))
	}
	w.rows += int64(len(data) / w.k)
	_, err := w.bw.Write(w.buf)
	return err
}

func (w *npyWriter) Close() error {
	err := w.bw.Flush()
	if err == nil {
		_, err = w.f.WriteAt(npyHeader(w.rows, w.k), 0)
	}
	if e := w.f.Close(); err == nil {
		err = e
	}
	return err
}

type csvWriter struct {
	f   *os.File
	bw  *bufio.Writer
	k   int
	buf []byte
}

func newCSVWriter(path string, k int) (*csvWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	w := &csvWriter{f: f, bw: bufio.NewWriterSize(f, 1<<20), k: k}
	for c := 0; c < k; c++ {
		if c > 0 {
			w.bw.WriteByte(',')
		}
		fmt.Fprintf(w.bw, "PC%d", c+1)
	}
	w.bw.WriteByte('\n')
	return w, nil
}

func (w *csvWriter) WriteRows(data []float64) error {
	for i := 0; i < len(data); i += w.k {
		w.buf = w.buf[:0]
		for c, v := range data[i : i+w.k] {
			if c > 0 {
				w.buf = append(w.buf, ',')
			}
			w.buf = strconv.AppendFloat(w.buf, v, 'g', -1, 64) // shortest exact round trip
		}
		w.buf = append(w.buf, '\n')
		if _, err := w.bw.Write(w.buf); err != nil {
			return err
		}
	}
	return nil
}

func (w *csvWriter) Close() error {
	err := w.bw.Flush()
	if e := w.f.Close(); err == nil {
		err = e
	}
	return err
}
