package chunk

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

// Options for Open and OpenStream.
type Options struct {
	Cols  int   // required for raw input; for .npy, checked against the header when > 0
	DType DType // required for raw input (Invalid means not given); for .npy, must match when given
	// Vector admits a 1-D .npy array of shape (n,) as an n×1 matrix (labels,
	// for instance); without it a 1-D array is refused as the wrong shape.
	Vector bool
}

// ZstdMaxWindow caps the memory a zstd stream may ask the decoder for (its
// window), so a hostile header cannot make spca allocate without bound.
// 1 GiB admits everything `zstd --long=30` writes.
const ZstdMaxWindow = 1 << 30

// zstdConcurrency is the number of zstd blocks decoded ahead of the reader
// for regular files: decompression overlaps conversion without taking the
// cores the Gram workers need.
const zstdConcurrency = 2

const (
	fileBufSize = 256 << 10 // buffered reads of the file under a decoder
	dataBufSize = 64 << 10  // buffered reads of the decompressed stream
)

// Magic bytes that choose the decompressor.
var (
	zstdMagic   = []byte{0x28, 0xb5, 0x2f, 0xfd}
	gzipMagic   = []byte{0x1f, 0x8b}
	snappyMagic = []byte("\xff\x06\x00\x00sNaPpY")
	s2Magic     = []byte("\xff\x06\x00\x00S2sTwO")
)

func sniffCompression(head []byte) string {
	switch {
	case bytes.HasPrefix(head, zstdMagic):
		return "zstd"
	case bytes.HasPrefix(head, gzipMagic):
		return "gzip"
	case bytes.HasPrefix(head, snappyMagic):
		return "snappy"
	case bytes.HasPrefix(head, s2Magic):
		return "s2"
	}
	return ""
}

// Open opens path ("-" means standard input, via OpenStream(os.Stdin)). It
// detects compression by magic bytes (zstd, gzip, s2 or snappy framed), then
// .npy by its "\x93NUMPY" magic in the decompressed stream; anything else is
// raw little-endian rows and needs opt.Cols and opt.DType.
//
// For an uncompressed regular file the row count is known at Open (from the
// size, or the .npy header checked against the size); for compressed input
// and streams a raw source reports Rows = -1 and a .npy source is checked
// when its data ends. Bad input is an *Error naming path; an operating
// system failure while reading is a plain error naming path.
func Open(path string, opt Options) (Reader, error) {
	if path == "-" {
		return OpenStream("-", os.Stdin, opt)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, openError(path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, openError(path, err)
	}
	if st.IsDir() {
		f.Close()
		return nil, Errorf(path, "is a directory")
	}
	size := int64(-1)
	if st.Mode().IsRegular() {
		size = st.Size()
	}
	s, err := open(path, f, f, size, opt)
	if err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// OpenStream is Open for an already-open stream r named name (used in Info
// and errors). It never seeks and never closes r: Close releases only the
// decompressor.
func OpenStream(name string, r io.Reader, opt Options) (Reader, error) {
	s, err := open(name, r, nil, -1, opt)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Sniff reports the compression ("" for none, "zstd", "gzip", "s2" or
// "snappy") and the format ("raw" or "npy") of path, reading only its first
// bytes. Standard input ("-") cannot be sniffed, since it cannot be read twice.
func Sniff(path string) (compression, format string, err error) {
	if path == "-" {
		return "", "", &Error{File: path, Row: -1, Err: fmt.Errorf("%w: cannot sniff standard input", ErrNoSeek)}
	}
	f, err := os.Open(path)
	if err != nil {
		return "", "", openError(path, err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 4096)
	head, err := br.Peek(len(s2Magic))
	if err != nil && err != io.EOF {
		return "", "", ioError(path, err)
	}
	compression = sniffCompression(head)
	var data io.Reader = br
	switch compression {
	case "zstd":
		d, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(ZstdMaxWindow))
		if err != nil {
			return "", "", &Error{File: path, Row: -1, Err: &corruptError{compression, err}}
		}
		defer d.Close()
		data = d
	case "gzip":
		z, err := gzip.NewReader(br)
		if err != nil {
			return "", "", &Error{File: path, Row: -1, Err: &corruptError{compression, err}}
		}
		defer z.Close()
		data = z
	case "s2", "snappy":
		data = s2.NewReader(br)
	}
	var magic [len(npyMagic)]byte
	n, err := io.ReadFull(data, magic[:])
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		if compression != "" {
			return "", "", &Error{File: path, Row: -1, Err: &corruptError{compression, err}}
		}
		return "", "", ioError(path, err)
	}
	if string(magic[:n]) == npyMagic {
		return compression, "npy", nil
	}
	return compression, "raw", nil
}

// source is the Reader for raw and .npy input, compressed or not.
type source struct {
	info      Info
	rowsKnown bool
	rowBytes  int
	bigEndian bool
	convert   converter

	file     io.Closer    // closed by Close; nil for streams
	dec      io.Closer    // the decompressor, if any
	fileRead *trackReader // the input as given
	decRead  *trackReader // the decompressor's output, if any
	rd       io.Reader    // the (decompressed) data after any header

	row     int64  // rows returned so far
	dataOff int64  // byte offset of row 0 in an uncompressed file (the .npy header size)
	buf     []byte // reused for every ReadRows
	err     error  // sticky: io.EOF or the first error
}

func open(name string, in io.Reader, file io.Closer, size int64, opt Options) (*source, error) {
	s := &source{file: file, fileRead: &trackReader{r: in}}
	s.info = Info{Name: name, Format: "raw", Rows: -1}
	if opt.Cols < 0 {
		return nil, Errorf(name, "%w: --cols %d must be positive", ErrShape, opt.Cols)
	}
	if opt.DType != Invalid && opt.DType.Size() == 0 {
		return nil, Errorf(name, "%w: %v", ErrDType, opt.DType)
	}
	br := bufio.NewReaderSize(s.fileRead, fileBufSize)
	head, err := br.Peek(len(s2Magic))
	if err != nil && err != io.EOF {
		return nil, s.readError(err, -1)
	}
	s.info.Compression = sniffCompression(head)
	s.rd = br
	if s.info.Compression != "" {
		var dec io.Reader
		switch s.info.Compression {
		case "zstd":
			conc := zstdConcurrency
			if size < 0 {
				// A stream read by a decoder goroutine could block Close forever.
				conc = 1
			}
			d, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(conc), zstd.WithDecoderMaxMemory(ZstdMaxWindow))
			if err != nil {
				return nil, s.readError(err, -1)
			}
			dec, s.dec = d, d.IOReadCloser()
		case "gzip":
			z, err := gzip.NewReader(br)
			if err != nil {
				return nil, s.readError(&decodeError{err}, -1)
			}
			dec, s.dec = z, z
		default:
			dec = s2.NewReader(br)
		}
		s.decRead = &trackReader{r: dec}
		s.rd = bufio.NewReaderSize(s.decRead, dataBufSize)
		size = -1
	}
	if err := s.openData(s.rd.(*bufio.Reader), size, opt); err != nil {
		if s.dec != nil {
			s.dec.Close()
		}
		return nil, err // the caller closes the file
	}
	s.convert = converterFor(s.info.DType)
	return s, nil
}

// openData reads the .npy header if there is one and settles the shape.
func (s *source) openData(rd *bufio.Reader, size int64, opt Options) error {
	name := s.info.Name
	magic, err := rd.Peek(len(npyMagic))
	if err != nil && err != io.EOF {
		return s.readError(err, -1)
	}
	if string(magic) != npyMagic {
		if opt.Cols == 0 || opt.DType == Invalid {
			return Errorf(name, "%w: raw input needs --cols and --dtype (or give a .npy file)", ErrFormat)
		}
		s.info.Cols, s.info.DType = opt.Cols, opt.DType
		s.rowBytes = opt.Cols * opt.DType.Size()
		if size >= 0 {
			if size%int64(s.rowBytes) != 0 {
				return Errorf(name, "%w: %d bytes is not a whole number of rows of %d %v values (%d bytes each); check --cols and --dtype",
					ErrShape, size, s.info.Cols, s.info.DType, s.rowBytes)
			}
			if size == 0 {
				return Errorf(name, "%w: the file is empty", ErrShape)
			}
			s.info.Rows, s.rowsKnown = size/int64(s.rowBytes), true
		}
		return nil
	}

	s.info.Format = "npy"
	h, err := readNpyHeader(rd)
	if err != nil {
		return s.readError(err, -1)
	}
	if h.vector && !opt.Vector {
		return Errorf(name, "%w: .npy shape (%d,) is 1-D; spca needs a 2-D (rows, cols) matrix", ErrShape, h.rows)
	}
	s.info.Cols, s.info.DType, s.bigEndian = h.cols, h.dtype, h.bigEndian
	s.info.Rows, s.rowsKnown = h.rows, true
	s.rowBytes = h.cols * h.dtype.Size()
	s.dataOff = h.size
	if opt.Cols > 0 && opt.Cols != h.cols {
		return Errorf(name, "%w: --cols %d does not match the .npy shape (%d, %d)", ErrShape, opt.Cols, h.rows, h.cols)
	}
	if opt.DType != Invalid && opt.DType != h.dtype {
		return Errorf(name, "%w: --dtype %v does not match the .npy dtype %v", ErrDType, opt.DType, h.dtype)
	}
	if size >= 0 {
		want := h.size + h.rows*int64(s.rowBytes)
		switch {
		case size < want:
			return Errorf(name, "%w: .npy file is truncated: %d bytes, but its header (shape (%d, %d) %v) needs %d",
				io.ErrUnexpectedEOF, size, h.rows, h.cols, h.dtype, want)
		case size > want:
			return Errorf(name, "%w: .npy file has %d bytes after the data its header (shape (%d, %d) %v) describes",
				ErrFormat, size-want, h.rows, h.cols, h.dtype)
		}
	}
	return nil
}

// Info describes the matrix.
func (s *source) Info() Info { return s.info }

// ReadRows reads up to len(dst)/Cols rows into dst. On an error it returns no
// rows; the error stays for every later call.
func (s *source) ReadRows(dst []float64) (int, error) {
	cols := s.info.Cols
	if len(dst) == 0 || len(dst)%cols != 0 {
		panic(fmt.Sprintf("chunk: ReadRows: len(dst) = %d is not a positive multiple of %d columns", len(dst), cols))
	}
	if s.err != nil {
		return 0, s.err
	}
	n := len(dst) / cols
	if s.rowsKnown {
		left := s.info.Rows - s.row
		if left == 0 {
			s.err = s.checkEnd()
			return 0, s.err
		}
		if int64(n) > left {
			n = int(left)
		}
	}
	need := n * s.rowBytes
	if cap(s.buf) < need {
		s.buf = make([]byte, need)
	}
	b := s.buf[:need]
	m, err := io.ReadFull(s.rd, b)
	if err == nil {
		s.decode(dst[:n*cols], b)
		s.row += int64(n)
		return n, nil
	}
	full := m / s.rowBytes
	if err != io.EOF && err != io.ErrUnexpectedEOF || s.streamFailed() {
		s.err = s.readError(err, s.row+int64(full))
		return 0, s.err
	}
	if !s.rowsKnown && m%s.rowBytes == 0 {
		if full == 0 {
			s.err = io.EOF
			return 0, s.err
		}
		s.decode(dst[:full*cols], b[:full*s.rowBytes])
		s.row += int64(full)
		return full, nil
	}
	at := s.row + int64(full)
	if s.rowsKnown {
		s.err = &Error{File: s.info.Name, Row: at, Err: fmt.Errorf("%w: the data ends after %d of the %d rows the header declares",
			io.ErrUnexpectedEOF, at, s.info.Rows)}
	} else {
		s.err = &Error{File: s.info.Name, Row: at, Err: fmt.Errorf("%w: the data ends inside a row (%d of its %d bytes present)",
			io.ErrUnexpectedEOF, m%s.rowBytes, s.rowBytes)}
	}
	return 0, s.err
}

func (s *source) decode(dst []float64, b []byte) {
	if s.bigEndian {
		swapBytes(b, s.info.DType.Size())
	}
	s.convert(dst, b)
}

// checkEnd is called once all declared rows are read: the input must end
// there. Reading to the end also makes a decompressor verify its checksum.
func (s *source) checkEnd() error {
	var one [1]byte
	n, err := io.ReadFull(s.rd, one[:])
	if n > 0 {
		return &Error{File: s.info.Name, Row: s.row, Err: fmt.Errorf("%w: trailing data after the %d rows the header declares",
			ErrFormat, s.info.Rows)}
	}
	if err == io.EOF && !s.streamFailed() {
		return io.EOF
	}
	return s.readError(err, s.row)
}

// streamFailed reports whether the input or decompressor returned an error
// other than io.EOF (a truncated compressed stream may report it as
// io.ErrUnexpectedEOF, which io.ReadFull alone cannot tell from a short read).
func (s *source) streamFailed() bool {
	if err := s.fileRead.Err(); err != nil && err != io.EOF {
		return true
	}
	if s.decRead != nil {
		if err := s.decRead.Err(); err != nil && err != io.EOF {
			return true
		}
	}
	return false
}

// readError classifies err, met while reading row row (-1 before the data):
// an operating-system read failure stays a plain error; a decompressor
// failure is an *Error wrapping ErrFormat that names the compression; other
// errors (npy header problems) become an *Error.
func (s *source) readError(err error, row int64) error {
	name := s.info.Name
	if ferr := s.fileRead.Err(); ferr != nil && ferr != io.EOF {
		return ioError(name, ferr)
	}
	var de *decodeError
	if errors.As(err, &de) {
		return &Error{File: name, Row: row, Err: &corruptError{s.info.Compression, de.err}}
	}
	if s.decRead != nil {
		if derr := s.decRead.Err(); derr != nil && derr != io.EOF {
			return &Error{File: name, Row: row, Err: &corruptError{s.info.Compression, derr}}
		}
	}
	if s.info.Compression != "" && (err == io.EOF || err == io.ErrUnexpectedEOF) {
		// A gzip header or similar cut short before the decompressor could say so.
		return &Error{File: name, Row: row, Err: &corruptError{s.info.Compression, io.ErrUnexpectedEOF}}
	}
	var ce *Error
	if errors.As(err, &ce) {
		return err
	}
	return &Error{File: name, Row: row, Err: err}
}

// Close releases the decompressor and the file (never a stream given to
// OpenStream, nor standard input).
func (s *source) Close() error {
	if s.err == errClosed {
		return nil
	}
	s.err = errClosed
	if s.dec != nil {
		s.dec.Close() // its errors repeat those ReadRows saw
	}
	if s.file != nil {
		return s.file.Close()
	}
	return nil
}

var errClosed = errors.New("chunk: reader is closed")

// trackReader remembers the first error its reader returned, so a failure
// deep in a decompressor can be told from a clean end of data. The zstd
// decoder reads from a goroutine of its own, hence the mutex.
type trackReader struct {
	r   io.Reader
	mu  sync.Mutex
	err error
}

func (t *trackReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil {
		t.mu.Lock()
		if t.err == nil {
			t.err = err
		}
		t.mu.Unlock()
	}
	return n, err
}

func (t *trackReader) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// decodeError marks an error returned by a decompressor's constructor.
type decodeError struct{ err error }

func (e *decodeError) Error() string { return e.err.Error() }
func (e *decodeError) Unwrap() error { return e.err }

// corruptError is a decompressor's complaint: it reads "zstd: <problem>" and
// matches ErrFormat as well as the decompressor's own error.
type corruptError struct {
	compression string
	err         error
}

func (e *corruptError) Error() string {
	msg := e.err.Error()
	if errors.Is(e.err, io.ErrUnexpectedEOF) || errors.Is(e.err, io.EOF) {
		msg = "compressed stream ends early (truncated or corrupt): " + msg
	}
	// The s2 package reads snappy streams too and says "s2:".
	for _, p := range []string{e.compression + ": ", "s2: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return e.compression + ": " + msg
}

func (e *corruptError) Unwrap() error { return e.err }

func (e *corruptError) Is(target error) bool { return target == ErrFormat }

// openError turns an os.Open failure into an *Error: a missing or unreadable
// file is bad input. errors.Is(err, fs.ErrNotExist) still works.
func openError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &Error{File: path, Row: -1, Err: err}
}

// ioError is a failure of the operating system, not of the input.
func ioError(name string, err error) error {
	return fmt.Errorf("%s: read: %w", name, err)
}
