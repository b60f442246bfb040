// Package statefile owns the .spst file: a gram.State saved with the input
// it came from, for the partial results of cluster shards (spca partial,
// spca merge) and for checkpoints of a long fit (spca fit --checkpoint).
// It knows the format and how to write it without losing data (temporary
// file, fsync, rename, fsync of the directory); it knows nothing about
// schedulers or signals.
//
// Format, version 1, all integers little-endian:
//
//	magic    8 bytes  "SPCASTAT"
//	version  uint32   1
//	hlen     uint32   length of the header, at most MaxHeader
//	header   hlen bytes of JSON (Header: kind, input fingerprint, row range, options)
//	p        uint64   number of columns, equal to the header's input.cols
//	n        int64    rows accumulated, equal to end − start
//	shift    p float64
//	sum      p float64
//	gram     p(p+1)/2 float64, the upper triangle row by row
//	crc      uint32   CRC-32C (Castagnoli) of every byte before it
//
// The reader checks the size implied by p against the file size before it
// allocates anything, and the CRC before it returns anything.
package statefile

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/gram"
)

// Magic starts every state file.
const Magic = "SPCASTAT"

// Version is the format version written; readers accept only this one.
const Version = 1

// MaxHeader bounds the JSON header a reader accepts.
const MaxHeader = 1 << 20

// MaxCols bounds p: larger files are refused before any allocation.
const MaxCols = 1 << 24

// Kind says what a state file is for.
type Kind string

const (
	Partial    Kind = "partial"    // rows [Start, End) of the input, from spca partial
	Checkpoint Kind = "checkpoint" // the first End rows of a fit, from spca fit --checkpoint
)

// Input is the fingerprint of the input a state was computed from.
type Input struct {
	Path        string `json:"path"`        // as the user gave it
	Size        int64  `json:"size"`        // bytes on disk
	ModTime     int64  `json:"mtime_ns"`    // modification time, nanoseconds since 1970
	Format      string `json:"format"`      // raw, npy or hdf5
	Compression string `json:"compression"` // "", zstd, gzip, s2, snappy
	Dataset     string `json:"dataset"`     // HDF5 dataset path
	DType       string `json:"dtype"`       // element type on disk
	Rows        int64  `json:"rows"`        // rows of the whole input, -1 when unknown
	Cols        int    `json:"cols"`        // p
}

// Header is everything in a state file but the state.
type Header struct {
	Kind      Kind  `json:"kind"`
	Input     Input `json:"input"`
	Start     int64 `json:"start"`      // first row covered
	End       int64 `json:"end"`        // one past the last row covered
	BlockRows int   `json:"block_rows"` // rows per block of the pass that made it
	Blocks    int64 `json:"blocks"`     // blocks accumulated
}

// File is a decoded state file.
type File struct {
	Header
	State *gram.State
}

// Fingerprint describes the file at path (size and modification time) and
// the matrix info read from it.
func Fingerprint(path string, info chunk.Info) (Input, error) {
	in := Input{Path: path, Format: info.Format, Compression: info.Compression, Dataset: info.Dataset,
		DType: info.DType.String(), Rows: info.Rows, Cols: info.Cols}
	st, err := os.Stat(path)
	if err != nil {
		return in, err
	}
	in.Size, in.ModTime = st.Size(), st.ModTime().UnixNano()
	return in, nil
}

// Differs names the first field in which a and b differ as "field: a vs b",
// or returns "" when they describe the same input. With modTime false the
// modification time is not compared (copies of a file on several nodes).
func (a Input) Differs(b Input, modTime bool) string {
	switch {
	case a.Path != b.Path:
		return fmt.Sprintf("input path %q vs %q", a.Path, b.Path)
	case a.Size != b.Size:
		return fmt.Sprintf("input size %d vs %d bytes", a.Size, b.Size)
	case a.Format != b.Format:
		return fmt.Sprintf("format %s vs %s", a.Format, b.Format)
	case a.Compression != b.Compression:
		return fmt.Sprintf("compression %q vs %q", a.Compression, b.Compression)
	case a.Dataset != b.Dataset:
		return fmt.Sprintf("dataset %q vs %q", a.Dataset, b.Dataset)
	case a.DType != b.DType:
		return fmt.Sprintf("dtype %s vs %s", a.DType, b.DType)
	case a.Rows != b.Rows:
		return fmt.Sprintf("%d vs %d rows", a.Rows, b.Rows)
	case a.Cols != b.Cols:
		return fmt.Sprintf("%d vs %d columns", a.Cols, b.Cols)
	case modTime && a.ModTime != b.ModTime:
		return "modification time of the input (it changed since)"
	}
	return ""
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCRC is wrapped by the error for a file whose checksum does not match.
var ErrCRC = errors.New("CRC mismatch: the file is corrupt")

// Encode writes h and st to w in the format above.
func Encode(w io.Writer, h Header, st *gram.State) error {
	if st.P != h.Input.Cols {
		panic(fmt.Sprintf("statefile: state has p=%d, header says %d columns", st.P, h.Input.Cols))
	}
	js, err := json.Marshal(h)
	if err != nil {
		return err
	}
	crc := crc32.New(castagnoli)
	bw := bufio.NewWriterSize(io.MultiWriter(w, crc), 1<<16)
	var b8 [8]byte
	put32 := func(v uint32) { binary.LittleEndian.PutUint32(b8[:4], v); bw.Write(b8[:4]) }
	put64 := func(v uint64) { binary.LittleEndian.PutUint64(b8[:], v); bw.Write(b8[:]) }
	bw.WriteString(Magic)
	put32(Version)
	put32(uint32(len(js)))
	bw.Write(js)
	put64(uint64(st.P))
	put64(uint64(st.N))
	for _, v := range st.Shift {
		put64(math.Float64bits(v))
	}
	for _, v := range st.Sum {
		put64(math.Float64bits(v))
	}
	p := st.P
	for i := 0; i < p; i++ {
		for _, v := range st.G[i*p+i : i*p+p] {
			put64(math.Float64bits(v))
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	binary.LittleEndian.PutUint32(b8[:4], crc.Sum32())
	_, err = w.Write(b8[:4])
	return err
}

// payloadBytes is the size of everything after the header for p columns.
func payloadBytes(p int64) int64 {
	return 16 + 8*(2*p+p*(p+1)/2) + 4
}

// Decode reads a state file held in memory; name is used in errors.
func Decode(name string, b []byte) (*File, error) {
	return decode(name, bytes.NewReader(b), int64(len(b)))
}

// Read reads and checks the state file at path. Every problem with the
// file is a *chunk.Error naming it.
func Read(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, chunk.Errorf(path, "%v", errors.Unwrap(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return decode(path, bufio.NewReaderSize(f, 1<<16), st.Size())
}

type crcReader struct {
	r   io.Reader
	crc hash.Hash32
}

func (c *crcReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.crc.Write(p[:n])
	return n, err
}

// ReadHeader reads only the header of the state file at path, checking its
// magic, version and size but not its CRC (Read does that), so that many
// parts can be checked against each other before any state is loaded.
func ReadHeader(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, chunk.Errorf(path, "%v", errors.Unwrap(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return decodeHeader(path, bufio.NewReader(f), st.Size(), true)
}

func decode(name string, r io.Reader, size int64) (*File, error) {
	return decodeHeader(name, r, size, false)
}

func decodeHeader(name string, r io.Reader, size int64, headerOnly bool) (*File, error) {
	bad := func(format string, args ...any) error {
		return chunk.Errorf(name, "not a usable spca state file: "+format, args...)
	}
	cr := &crcReader{r: r, crc: crc32.New(castagnoli)}
	var head [16]byte
	if _, err := io.ReadFull(cr, head[:]); err != nil {
		return nil, bad("%d bytes is too short", size)
	}
	if string(head[:8]) != Magic {
		return nil, bad("wrong magic bytes (want %q)", Magic)
	}
	if v := binary.LittleEndian.Uint32(head[8:]); v != Version {
		return nil, bad("format version %d, this spca reads version %d", v, Version)
	}
	hlen := int64(binary.LittleEndian.Uint32(head[12:]))
	if hlen > MaxHeader || 16+hlen+payloadBytes(0) > size {
		return nil, bad("header length %d does not fit in %d bytes", hlen, size)
	}
	js := make([]byte, hlen)
	if _, err := io.ReadFull(cr, js); err != nil {
		return nil, bad("truncated header")
	}
	var pn [16]byte
	if _, err := io.ReadFull(cr, pn[:]); err != nil {
		return nil, bad("truncated")
	}
	p := binary.LittleEndian.Uint64(pn[:8])
	n := int64(binary.LittleEndian.Uint64(pn[8:]))
	if p == 0 || p > MaxCols {
		return nil, bad("%d columns", p)
	}
	if want := 16 + hlen + payloadBytes(int64(p)); want != size {
		return nil, bad("%d bytes, but %d columns need %d (truncated or padded)", size, p, want)
	}
	var h Header
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	// A header that does not parse is reported after the CRC check: a
	// flipped bit should be called corruption, not a strange field.
	jsonErr := dec.Decode(&h)
	if headerOnly {
		if jsonErr != nil {
			return nil, bad("header: %v", jsonErr)
		}
		if err := checkHeader(h, int(p), n); err != nil {
			return nil, bad("%v", err)
		}
		return &File{Header: h}, nil
	}
	st := gram.NewState(int(p), nil)
	st.N = n
	buf := make([]byte, 8*p)
	readVec := func(dst []float64) error {
		b := buf[:8*len(dst)]
		if _, err := io.ReadFull(cr, b); err != nil {
			return bad("truncated")
		}
		for i := range dst {
			dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
		return nil
	}
	if err := readVec(st.Shift); err != nil {
		return nil, err
	}
	if err := readVec(st.Sum); err != nil {
		return nil, err
	}
	pi := int(p)
	for i := 0; i < pi; i++ {
		if err := readVec(st.G[i*pi+i : i*pi+pi]); err != nil {
			return nil, err
		}
	}
	sum := cr.crc.Sum32()
	var tail [4]byte
	if _, err := io.ReadFull(r, tail[:]); err != nil {
		return nil, bad("truncated")
	}
	if stored := binary.LittleEndian.Uint32(tail[:]); stored != sum {
		return nil, chunk.Errorf(name, "%w (stored CRC-32C %08x, computed %08x)", ErrCRC, stored, sum)
	}
	if jsonErr != nil {
		return nil, bad("header: %v", jsonErr)
	}
	// The CRC only proves the bytes are those written; check they make sense.
	if err := checkHeader(h, pi, n); err != nil {
		return nil, bad("%v", err)
	}
	for _, v := range [][]float64{st.Shift, st.Sum, st.G} {
		for _, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, bad("a value is %v", x)
			}
		}
	}
	return &File{Header: h, State: st}, nil
}

// Write saves h and st at path without ever leaving a partial file there:
// it writes a temporary file in the same directory, syncs it, renames it
// over path and syncs the directory, so that after a crash path holds
// either the previous file or the new one, whole.
func Write(path string, h Header, st *gram.State) (err error) {
	dir := filepath.Dir(path)
	f, tmp, err := createTemp(dir, "."+filepath.Base(path)+".tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = Encode(f, h, st); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// createTemp is os.CreateTemp with mode 0666 before the umask (CreateTemp
// makes 0600 files, unreadable by the merge job of another user).
func createTemp(dir, prefix string) (*os.File, string, error) {
	for try := 0; ; try++ {
		name := filepath.Join(dir, prefix+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if err == nil || !errors.Is(err, os.ErrExist) || try == 100 {
			return f, name, err
		}
	}
}

// SyncDir makes a rename or removal in dir durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if e := d.Close(); err == nil {
		err = e
	}
	return err
}

func checkHeader(h Header, p int, n int64) error {
	switch {
	case h.Kind != Partial && h.Kind != Checkpoint:
		return fmt.Errorf("unknown kind %q", h.Kind)
	case h.Input.Cols != p:
		return fmt.Errorf("header says %d columns, the state has %d", h.Input.Cols, p)
	case h.Start < 0 || h.End < h.Start || n != h.End-h.Start:
		return fmt.Errorf("rows %d:%d but %d rows accumulated", h.Start, h.End, n)
	case h.Input.Rows >= 0 && h.End > h.Input.Rows:
		return fmt.Errorf("rows %d:%d beyond the input's %d rows", h.Start, h.End, h.Input.Rows)
	case h.BlockRows < 1 || h.Blocks < 0:
		return fmt.Errorf("block rows %d, blocks %d", h.BlockRows, h.Blocks)
	}
	return nil
}

// checkpointPrefix names checkpoint files: checkpoint-<blocks>.spst with the
// block count zero-padded, so that names sort in the order they were saved.
const checkpointPrefix = "checkpoint-"

// CheckpointPath is the file for the state after blocks blocks in dir.
func CheckpointPath(dir string, blocks int64) string {
	return filepath.Join(dir, fmt.Sprintf("%s%016d.spst", checkpointPrefix, blocks))
}

// Checkpoints lists the checkpoint files in dir, oldest first.
func Checkpoints(dir string) ([]string, error) {
	m, err := filepath.Glob(filepath.Join(dir, checkpointPrefix+"*.spst"))
	if err != nil {
		return nil, err
	}
	sort.Strings(m)
	return m, nil
}

// SaveCheckpoint writes h and st as the checkpoint after h.Blocks blocks in
// dir (atomically, see Write) and then removes all but the newest two, so
// that a checkpoint damaged after it was written still leaves its
// predecessor. It returns the path written.
func SaveCheckpoint(dir string, h Header, st *gram.State) (string, error) {
	path := CheckpointPath(dir, h.Blocks)
	if err := Write(path, h, st); err != nil {
		return "", err
	}
	all, err := Checkpoints(dir)
	if err != nil {
		return path, err
	}
	for len(all) > 2 {
		if err := os.Remove(all[0]); err != nil && !errors.Is(err, os.ErrNotExist) {
			return path, err
		}
		all = all[1:]
	}
	return path, SyncDir(dir)
}

// RemoveCheckpoints deletes the checkpoint files in dir, and temporary
// files a killed writer left behind.
func RemoveCheckpoints(dir string) error {
	all, err := Checkpoints(dir)
	if err != nil {
		return err
	}
	tmps, _ := filepath.Glob(filepath.Join(dir, "."+checkpointPrefix+"*.tmp*"))
	for _, p := range append(all, tmps...) {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return SyncDir(dir)
}
