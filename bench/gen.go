package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"

	"github.com/spca/spca/bench/synth"
	"github.com/spca/spca/chunk"
	"github.com/spca/spca/hdf5io"
)

const genUsage = `spca-bench gen images   --rows N [--side 28] --out FILE [--seed S]
spca-bench gen gaussian --rows N --cols P [--dtype float32] [--rank R] --out FILE [--seed S]

Writes a reproducible synthetic data set. The format follows the suffix:
.h5 (chunked, gzip + shuffle, dataset /images or /X), .npy, or raw
little-endian (.bin, .f32, ...); a further .zst, .gz or .sz suffix
compresses the stream. "images" are side×side uint8 pictures of soft blobs
and strokes; "gaussian" rows have a spectrum decaying like 1/(1+i/R)².`

func cmdGen(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage:\n%s", genUsage)
	}
	kind := args[0]
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	rows := fs.Int64("rows", 60000, "number of rows")
	side := fs.Int("side", 28, "images: side in pixels")
	cols := fs.Int("cols", 512, "gaussian: number of columns")
	dtypeName := fs.String("dtype", "float32", "gaussian: element type (float32 or float64)")
	rank := fs.Float64("rank", 20, "gaussian: spectrum decay scale")
	out := fs.String("out", "", "output file")
	seed := fs.Uint64("seed", 1, "random seed")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *out == "" || *rows < 1 {
		return fmt.Errorf("gen needs --out and --rows ≥ 1\n%s", genUsage)
	}
	var p int
	var dtype chunk.DType
	var fill func(dst []float64, first int64, n int)
	switch kind {
	case "images":
		p, dtype = *side**side, chunk.Uint8
		fill = func(dst []float64, first int64, n int) {
			buf := make([]uint8, n*p)
			synth.Images(buf, first, n, *side, *seed)
			for i, v := range buf {
				dst[i] = float64(v)
			}
		}
	case "gaussian":
		p = *cols
		var err error
		if dtype, err = chunk.ParseDType(*dtypeName); err != nil || (dtype != chunk.Float32 && dtype != chunk.Float64) {
			return fmt.Errorf("gaussian: --dtype must be float32 or float64")
		}
		spectrum := make([]float64, p)
		mean := make([]float64, p)
		for i := range spectrum {
			spectrum[i] = 1 / math.Pow(1 + float64(i) / *rank, 2)
			mean[i] = 10 + float64(i%7)
		}
		fill = func(dst []float64, first int64, n int) {
			synth.Gaussian(dst, first, n, p, spectrum, mean, *seed)
		}
	default:
		return fmt.Errorf("unknown data set %q\n%s", kind, genUsage)
	}
	return writeDataset(*out, kind, *rows, p, dtype, fill)
}

// writeDataset generates rows in parallel blocks and writes them in order to
// a temporary file renamed to path at the end.
func writeDataset(path, kind string, rows int64, p int, dtype chunk.DType, fill func([]float64, int64, int)) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	defer os.Remove(tmp)
	var sink func(block []float64) error
	var closeSink func() error
	base, comp := splitCompression(path)
	if ext := strings.ToLower(filepath.Ext(base)); ext == ".h5" || ext == ".hdf5" {
		if comp != "" {
			return fmt.Errorf("%s: HDF5 output is compressed by its own filters; drop the %s suffix", path, comp)
		}
		name := "/X"
		if kind == "images" {
			name = "/images"
		}
		w, err := hdf5io.CreateMatrixOptions(tmp, name, p, hdf5io.MatrixOptions{DType: dtype, ChunkRows: 1024, Deflate: 4, Shuffle: true})
		if err != nil {
			return err
		}
		sink, closeSink = w.Append, w.Close
	} else {
		f, err := os.Create(tmp)
		if err != nil {
			return err
		}
		var w io.Writer = f
		var cw io.WriteCloser
		switch comp {
		case ".zst":
			cw, _ = zstd.NewWriter(f, zstd.WithEncoderLevel(zstd.SpeedDefault))
		case ".gz":
			cw, _ = gzip.NewWriterLevel(f, gzip.DefaultCompression)
		case ".sz":
			cw = s2.NewWriter(f)
		}
		if cw != nil {
			w = cw
		}
		bw := bufio.NewWriterSize(w, 1<<20)
		if strings.ToLower(filepath.Ext(base)) == ".npy" {
			bw.Write(npyHeader(rows, p, dtype))
		}
		var buf []byte
		sink = func(block []float64) error {
			buf = encode(buf[:0], block, dtype)
			_, err := bw.Write(buf)
			return err
		}
		closeSink = func() error {
			err := bw.Flush()
			if cw != nil {
				if e := cw.Close(); err == nil {
					err = e
				}
			}
			if e := f.Close(); err == nil {
				err = e
			}
			return err
		}
	}
	// About 16 MiB of float64 per block (at most 4096 rows), so wide shapes
	// such as 2000 x 1 000 000 stay in bounded memory. Rows depend only on
	// the seed and their index, so the block size does not change the data.
	blockRows := int64(max(1, min(4096, (16<<20)/(8*p))))
	workers := runtime.GOMAXPROCS(0)
	type job struct {
		first int64
		n     int
		data  []float64
		done  chan struct{}
	}
	jobs := make(chan *job, workers)
	queue := make(chan *job, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				fill(j.data, j.first, j.n)
				close(j.done)
			}
		}()
	}
	go func() {
		for first := int64(0); first < rows; first += blockRows {
			n := int(min(blockRows, rows-first))
			j := &job{first: first, n: n, data: make([]float64, n*p), done: make(chan struct{})}
			queue <- j
			jobs <- j
		}
		close(jobs)
		close(queue)
	}()
	var err error
	for j := range queue {
		<-j.done
		if err == nil {
			err = sink(j.data)
		}
	}
	wg.Wait()
	if e := closeSink(); err == nil {
		err = e
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

func splitCompression(path string) (base, comp string) {
	for _, c := range []string{".zst", ".gz", ".sz"} {
		if strings.HasSuffix(strings.ToLower(path), c) {
			return path[:len(path)-len(c)], c
		}
	}
	return path, ""
}

func npyHeader(rows int64, p int, dtype chunk.DType) []byte {
	descr := map[chunk.DType]string{chunk.Uint8: "|u1", chunk.Float32: "<f4", chunk.Float64: "<f8"}[dtype]
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d), }", descr, rows, p)
	for (10+len(dict)+1)%64 != 0 {
		dict += " "
	}
	dict += "\n"
	h := []byte("\x93NUMPY\x01\x00")
	h = binary.LittleEndian.AppendUint16(h, uint16(len(dict)))
	return append(h, dict...)
}

func encode(dst []byte, block []float64, dtype chunk.DType) []byte {
	switch dtype {
	case chunk.Uint8:
		for _, v := range block {
			dst = append(dst, uint8(v))
		}
	case chunk.Float32:
		for _, v := range block {
			dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(float32(v)))
		}
	default:
		for _, v := range block {
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
		}
	}
	return dst
}
