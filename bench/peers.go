package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/stream"
)

const internalUsage = `spca-bench peer-gonum --k K --out PREFIX [--cols P --dtype T] INPUT
spca-bench limit-read INPUT
spca-bench limit-dsyrk --rows N --cols P --threads T --mode goroutines|openblas

The harness's own peers (run as child processes by "spca-bench run"):
peer-gonum loads the matrix into memory as float64 and runs gonum's
stat.PC (thin SVD of the centred matrix, pure-Go BLAS and LAPACK), writing
PREFIX.values.npy and PREFIX.components.npy. limit-read reads and
decompresses INPUT to nowhere: raw and .npy files are read in 8 MiB
pieces, zstd/gzip/s2 streams decompressed with klauspost/compress (the
decompressor spca uses), HDF5 read by hyperslab with libhdf5 converting
to float64. limit-dsyrk does N·P² flops of OpenBLAS DSYRK on in-memory
8 MiB float64 blocks: T goroutines with single-threaded OpenBLAS (spca's
arrangement), or one call at a time with T OpenBLAS threads.`

// cmdPeerGonum is the gonum stat.PC peer.
func cmdPeerGonum(args []string) error {
	fs := flag.NewFlagSet("peer-gonum", flag.ContinueOnError)
	k := fs.Int("k", 10, "components")
	out := fs.String("out", "", "output prefix")
	cols := fs.Int("cols", 0, "raw input: columns")
	dtype := fs.String("dtype", "", "raw input: element type")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *out == "" {
		return fmt.Errorf("usage: %s", internalUsage)
	}
	t0 := time.Now()
	x, err := loadMatrix(fs.Arg(0), *cols, *dtype)
	if err != nil {
		return err
	}
	n, p := x.Dims()
	var pc stat.PC
	if !pc.PrincipalComponents(x, nil) {
		return fmt.Errorf("gonum stat.PC: SVD failed")
	}
	var vecs mat.Dense
	pc.VectorsTo(&vecs)
	vars := pc.VarsTo(nil) // n−1 denominator, descending
	kk := min(*k, len(vars))
	comps := make([]float64, kk*p)
	for i := 0; i < kk; i++ {
		for j := 0; j < p; j++ {
			comps[i*p+j] = vecs.At(j, i)
		}
	}
	secs := time.Since(t0).Seconds()
	if err := writeNpy(*out+".values.npy", vars[:kk], kk, 1); err != nil {
		return err
	}
	if err := writeNpy(*out+".components.npy", comps, kk, p); err != nil {
		return err
	}
	_ = n
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"peer": "gonum stat.PC", "seconds": secs})
}

// loadMatrix reads a whole data file as a float64 matrix.
func loadMatrix(path string, cols int, dtype string) (*mat.Dense, error) {
	src := stream.Source{Path: path, Cols: cols}
	if dtype != "" {
		d, err := chunk.ParseDType(dtype)
		if err != nil {
			return nil, err
		}
		src.DType = d
	}
	r, err := src.Open(4096)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	p := r.Info().Cols
	var data []float64
	buf := make([]float64, 4096*p)
	for {
		n, err := r.ReadRows(buf)
		data = append(data, buf[:n*p]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return mat.NewDense(len(data)/p, p, data), nil
}

// writeNpy writes a float64 rows×cols C-order .npy file.
func writeNpy(path string, data []float64, rows, cols int) error {
	b := npyHeader(int64(rows), cols, chunk.Float64)
	b = encode(b, data, chunk.Float64)
	return os.WriteFile(path, b, 0o644)
}

// cmdLimitRead reads and decompresses a file without doing anything else.
func cmdLimitRead(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: %s", internalUsage)
	}
	path := args[0]
	t0 := time.Now()
	var total int64
	if strings.HasSuffix(path, ".h5") {
		r, err := stream.Source{Path: path}.Open(0)
		if err != nil {
			return err
		}
		p := r.Info().Cols
		buf := make([]float64, max(256, (8<<20)/(8*p))*p)
		for {
			n, err := r.ReadRows(buf)
			total += int64(n * p)
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
		}
		r.Close()
	} else {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		var src io.Reader = f
		comp, _, err := chunk.Sniff(path)
		if err != nil {
			return err
		}
		switch comp {
		case "zstd":
			d, err := zstd.NewReader(f)
			if err != nil {
				return err
			}
			defer d.Close()
			src = d
		case "gzip":
			z, err := gzip.NewReader(f)
			if err != nil {
				return err
			}
			src = z
		case "s2", "snappy":
			src = s2.NewReader(f)
		}
		buf := make([]byte, 8<<20)
		for {
			n, err := src.Read(buf)
			total += int64(n)
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
		}
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"limit": "read", "seconds": time.Since(t0).Seconds(), "values_or_bytes": total})
}

// cmdLimitDsyrk times rows·cols² flops of DSYRK on in-memory blocks.
func cmdLimitDsyrk(args []string) error {
	fs := flag.NewFlagSet("limit-dsyrk", flag.ContinueOnError)
	rows := fs.Int64("rows", 0, "rows")
	cols := fs.Int("cols", 0, "columns")
	threads := fs.Int("threads", runtime.NumCPU(), "threads")
	mode := fs.String("mode", "goroutines", "goroutines or openblas")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p := *cols
	if *rows < 1 || p < 1 || *threads < 1 {
		return fmt.Errorf("usage: %s", internalUsage)
	}
	blockRows := max(256, (8<<20)/(8*p))
	nblocks := int((*rows + int64(blockRows) - 1) / int64(blockRows))
	workers := *threads
	if *mode == "openblas" {
		setBLASThreads(*threads)
		workers = 1
	} else {
		setBLASThreads(1)
	}
	type ws struct{ a, c []float64 }
	w := make([]ws, workers)
	for i := range w {
		rng := rand.New(rand.NewPCG(uint64(i), 7))
		w[i].a = make([]float64, blockRows*p)
		for j := range w[i].a {
			w[i].a[j] = rng.NormFloat64()
		}
		w[i].c = make([]float64, p*p)
	}
	t0 := time.Now()
	var wg sync.WaitGroup
	for i := range w {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for b := i; b < nblocks; b += workers {
				r := blockRows
				if b == nblocks-1 {
					r = int(*rows - int64(b)*int64(blockRows))
				}
				dsyrk(p, r, w[i].a, w[i].c)
			}
		}(i)
	}
	wg.Wait()
	secs := time.Since(t0).Seconds()
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"limit": "dsyrk", "mode": *mode, "seconds": secs,
		"gflops": float64(*rows) * float64(p) * float64(p+1) / secs / 1e9})
}
