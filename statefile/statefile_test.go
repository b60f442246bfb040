package statefile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/gram"
)

func testState(p int, rows int) *gram.State {
	rng := rand.New(rand.NewPCG(1, uint64(p)))
	block := make([]float64, rows*p)
	for i := range block {
		block[i] = 1e3 + rng.NormFloat64()
	}
	st := gram.NewState(p, block[:p])
	st.SetBlock(block, rows)
	return st
}

func testHeader(p int, n int64) Header {
	return Header{Kind: Partial, Start: 10, End: 10 + n, BlockRows: 64, Blocks: 1,
		Input: Input{Path: "data.npy", Size: 12345, ModTime: 1, Format: "npy", DType: "float64", Rows: 1000, Cols: p}}
}

func encode(t testing.TB, h Header, st *gram.State) []byte {
	var b bytes.Buffer
	if err := Encode(&b, h, st); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestRoundTrip(t *testing.T) {
	for _, p := range []int{1, 2, 7, 40} {
		st := testState(p, 33)
		h := testHeader(p, st.N)
		path := filepath.Join(t.TempDir(), "part.spst")
		for run := 0; run < 2; run++ { // twice: Write replaces the file
			if err := Write(path, h, st); err != nil {
				t.Fatal(err)
			}
			f, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			if f.Header != h {
				t.Errorf("p=%d: header %+v, want %+v", p, f.Header, h)
			}
			g := f.State
			if g.P != p || g.N != st.N {
				t.Fatalf("p=%d: state p=%d n=%d", p, g.P, g.N)
			}
			for j := 0; j < p; j++ {
				if math.Float64bits(g.Shift[j]) != math.Float64bits(st.Shift[j]) || math.Float64bits(g.Sum[j]) != math.Float64bits(st.Sum[j]) {
					t.Fatalf("p=%d: column %d differs", p, j)
				}
				for k := j; k < p; k++ {
					if math.Float64bits(g.G[j*p+k]) != math.Float64bits(st.G[j*p+k]) {
						t.Fatalf("p=%d: G[%d,%d] differs", p, j, k)
					}
				}
			}
			hf, err := ReadHeader(path)
			if err != nil || hf.Header != h || hf.State != nil {
				t.Errorf("ReadHeader: %+v, %v", hf, err)
			}
		}
		ents, _ := os.ReadDir(filepath.Dir(path))
		if len(ents) != 1 {
			t.Errorf("Write left %d files, want 1", len(ents))
		}
	}
}

// Every single flipped bit is refused; bits of the state are refused by the CRC.
func TestFlippedBits(t *testing.T) {
	st := testState(5, 20)
	b := encode(t, testHeader(5, st.N), st)
	hlen := 16 + int(uint32(b[12])|uint32(b[13])<<8)
	for i := 0; i < len(b); i++ {
		for _, bit := range []byte{0x01, 0x80} {
			c := append([]byte(nil), b...)
			c[i] ^= bit
			_, err := Decode("x.spst", c)
			if err == nil {
				t.Fatalf("byte %d bit %#x flipped: accepted", i, bit)
			}
			if !chunk.IsInputError(err) || !strings.Contains(err.Error(), "x.spst") {
				t.Fatalf("byte %d: %v is not an input error naming the file", i, err)
			}
			if i >= hlen+8 && !errors.Is(err, ErrCRC) { // p is checked against the size first
				t.Fatalf("byte %d (after the header and p): %v, want a CRC mismatch", i, err)
			}
		}
	}
}

func TestDecodeRefuses(t *testing.T) {
	st := testState(3, 10)
	good := encode(t, testHeader(3, st.N), st)
	for name, b := range map[string][]byte{
		"empty":     nil,
		"truncated": good[:len(good)-1],
		"padded":    append(append([]byte(nil), good...), 0),
		"magic":     append([]byte("SPCASTAX"), good[8:]...),
		"header":    good[:20],
	} {
		if _, err := Decode(name, b); err == nil || !chunk.IsInputError(err) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	// A header that lies about the rows, with a valid CRC, is refused too.
	h := testHeader(3, st.N)
	h.End++
	if _, err := Decode("rows", encode(t, h, st)); err == nil || !strings.Contains(err.Error(), "rows") {
		t.Errorf("wrong row range: %v", err)
	}
	// Hostile p: refused from the size, before allocation.
	c := append([]byte(nil), good...)
	hlen := 16 + int(uint32(c[12])|uint32(c[13])<<8)
	c[hlen+7] = 0x10
	if _, err := Decode("p", c); err == nil {
		t.Error("a huge p was accepted")
	}
}

func TestCheckpointRotation(t *testing.T) {
	dir := t.TempDir()
	st := testState(4, 8)
	for blocks := int64(1); blocks <= 5; blocks++ {
		h := Header{Kind: Checkpoint, Input: Input{Cols: 4, Rows: -1}, End: st.N, BlockRows: 8, Blocks: blocks}
		if _, err := SaveCheckpoint(dir, h, st); err != nil {
			t.Fatal(err)
		}
	}
	all, _ := Checkpoints(dir)
	if len(all) != 2 || all[0] != CheckpointPath(dir, 4) || all[1] != CheckpointPath(dir, 5) {
		t.Errorf("kept %v, want the checkpoints of blocks 4 and 5", all)
	}
	os.WriteFile(filepath.Join(dir, ".checkpoint-x.spst.tmp123"), []byte("x"), 0o644)
	if err := RemoveCheckpoints(dir); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("%d files left", len(ents))
	}
}

// FuzzDecode: the decoder never panics nor allocates beyond the input's
// size, and whatever it accepts encodes back to the same bytes.
func FuzzDecode(f *testing.F) {
	for _, p := range []int{1, 3} {
		st := testState(p, 4)
		f.Add(encode(f, testHeader(p, st.N), st))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeChecked(t, b)
		// The same bytes with a correct CRC, so that mutations reach the
		// checks after it (header JSON, row range, values).
		if len(b) >= 4 {
			c := append([]byte(nil), b...)
			binary.LittleEndian.PutUint32(c[len(c)-4:], crc32.Checksum(c[:len(c)-4], castagnoli))
			decodeChecked(t, c)
		}
	})
}

func decodeChecked(t *testing.T, b []byte) {
	file, err := Decode("fuzz.spst", b)
	if err != nil {
		if !chunk.IsInputError(err) {
			t.Fatalf("not an input error: %v", err)
		}
		return
	}
	var again bytes.Buffer
	if err := Encode(&again, file.Header, file.State); err != nil {
		t.Fatal(err)
	}
	if _, err := Decode("again", again.Bytes()); err != nil {
		t.Fatalf("re-encoded file refused: %v", err)
	}
}
