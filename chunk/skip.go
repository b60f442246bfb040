package chunk

import (
	"bufio"
	"fmt"
	"io"
)

// Skipper is implemented by Readers that can move past rows without
// converting them: a seek for uncompressed files, a hyperslab offset for
// HDF5, decoding and discarding the bytes for compressed input.
//
// SkipRows advances the reader by up to n rows and returns how many it
// skipped; fewer than n (with io.EOF) means the input ended first.
type Skipper interface {
	SkipRows(n int64) (int64, error)
}

// Skip advances r by n rows, through SkipRows when r has it and otherwise by
// reading into a scratch buffer. It returns the rows skipped; fewer than n
// come with io.EOF.
func Skip(r Reader, n int64) (int64, error) {
	if n <= 0 {
		return 0, nil
	}
	if s, ok := r.(Skipper); ok {
		return s.SkipRows(n)
	}
	cols := r.Info().Cols
	buf := make([]float64, cols*int(min(n, int64(max(1, (1<<20)/(8*cols))))))
	var done int64
	for done < n {
		want := min(int64(len(buf)/cols), n-done)
		m, err := r.ReadRows(buf[:int(want)*cols])
		done += int64(m)
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// SkipRows implements Skipper: an uncompressed regular file seeks; anything
// else decodes and discards the bytes (no conversion to float64).
func (s *source) SkipRows(n int64) (int64, error) {
	if s.err != nil {
		return 0, s.err
	}
	if n <= 0 {
		return 0, nil
	}
	if s.rowsKnown {
		n = min(n, s.info.Rows-s.row)
		if n == 0 {
			return 0, io.EOF
		}
	}
	seeker, ok := s.file.(io.Seeker)
	if br, isBuf := s.rd.(*bufio.Reader); ok && isBuf && s.info.Compression == "" && s.rowsKnown {
		off := s.dataOff + (s.row+n)*int64(s.rowBytes)
		if _, err := seeker.Seek(off, io.SeekStart); err != nil {
			s.err = ioError(s.info.Name, err)
			return 0, s.err
		}
		br.Reset(s.fileRead)
		s.row += n
		return n, nil
	}
	want := n * int64(s.rowBytes)
	m, err := io.CopyN(io.Discard, s.rd, want)
	full := m / int64(s.rowBytes)
	s.row += full
	if err == nil {
		return n, nil
	}
	if err != io.EOF || s.streamFailed() {
		s.err = s.readError(err, s.row)
		return full, s.err
	}
	if m%int64(s.rowBytes) != 0 {
		s.err = &Error{File: s.info.Name, Row: s.row, Err: fmt.Errorf("%w: the data ends inside a row (%d of its %d bytes present)",
			io.ErrUnexpectedEOF, m%int64(s.rowBytes), s.rowBytes)}
		return full, s.err
	}
	if s.rowsKnown {
		s.err = &Error{File: s.info.Name, Row: s.row, Err: fmt.Errorf("%w: the data ends after %d of the %d rows the header declares",
			io.ErrUnexpectedEOF, s.row, s.info.Rows)}
		return full, s.err
	}
	s.err = io.EOF
	return full, io.EOF
}

// Range returns a Reader over rows [start, end) of r (end < 0: to the end
// of r). It skips to start at once (see Skip). Info().FirstRow is start, so
// that callers can name rows of the file in errors, and Info().Rows is the
// length of the range when known. A range that starts or ends beyond the
// input is an *Error naming the file. Closing the range closes r.
func Range(r Reader, start, end int64) (Reader, error) {
	return rangeOf(r, start, end, false)
}

// From is Range(r, start, -1) where the input may end exactly at start (the
// reader then yields no rows): for resuming a pass that had read start rows.
func From(r Reader, start int64) (Reader, error) {
	return rangeOf(r, start, -1, true)
}

func rangeOf(r Reader, start, end int64, mayBeEmpty bool) (Reader, error) {
	info := r.Info()
	name := info.Name
	if start < 0 || (end >= 0 && end <= start) {
		return nil, Errorf(name, "%w: row range %d:%d is empty or negative", ErrShape, start, end)
	}
	if info.Rows >= 0 {
		if start > info.Rows || (start == info.Rows && !mayBeEmpty) {
			return nil, Errorf(name, "%w: row range %s starts after the last row (the input has %d rows)", ErrShape, rangeString(start, end), info.Rows)
		}
		if end > info.Rows {
			return nil, Errorf(name, "%w: row range %s ends after the last row (the input has %d rows)", ErrShape, rangeString(start, end), info.Rows)
		}
	}
	got, err := Skip(r, start)
	if err == io.EOF || (err == nil && got < start) {
		return nil, Errorf(name, "%w: row range %s starts after the last row (the input has %d rows)", ErrShape, rangeString(start, end), got)
	}
	if err != nil {
		return nil, err
	}
	rr := &rangeReader{r: r, info: info, start: start, end: end, row: start, mayBeEmpty: mayBeEmpty}
	rr.info.FirstRow = info.FirstRow + start
	switch {
	case end >= 0:
		rr.info.Rows = end - start
	case info.Rows >= 0:
		rr.info.Rows = info.Rows - start
	}
	return rr, nil
}

func rangeString(start, end int64) string {
	if end < 0 {
		return fmt.Sprintf("%d:", start)
	}
	return fmt.Sprintf("%d:%d", start, end)
}

type rangeReader struct {
	r     Reader
	info  Info
	start int64 // first row of r
	end   int64 // -1: to the end of r
	// mayBeEmpty: an input ending at start is not an error
	mayBeEmpty bool
	row        int64 // next row of r
}

func (rr *rangeReader) Info() Info { return rr.info }

func (rr *rangeReader) ReadRows(dst []float64) (int, error) {
	cols := rr.info.Cols
	if len(dst) == 0 || len(dst)%cols != 0 {
		panic(fmt.Sprintf("chunk: ReadRows: len(dst) = %d is not a positive multiple of %d columns", len(dst), cols))
	}
	if rr.end >= 0 {
		left := rr.end - rr.row
		if left == 0 {
			return 0, io.EOF
		}
		dst = dst[:int(min(int64(len(dst)/cols), left))*cols]
	}
	n, err := rr.r.ReadRows(dst)
	rr.row += int64(n)
	if err == io.EOF && rr.end >= 0 && rr.row < rr.end {
		return n, &Error{File: rr.info.Name, Row: rr.row, Err: fmt.Errorf("%w: the input ends at row %d, inside the row range %d:%d",
			io.ErrUnexpectedEOF, rr.row, rr.start, rr.end)}
	}
	if err == io.EOF && rr.row == rr.start && !rr.mayBeEmpty {
		return 0, Errorf(rr.info.Name, "%w: row range %d: starts after the last row (the input has %d rows)", ErrShape, rr.start, rr.row)
	}
	return n, err
}

func (rr *rangeReader) Close() error { return rr.r.Close() }
