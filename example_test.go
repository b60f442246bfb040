package spca_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"

	"github.com/spca/spca"
	"github.com/spca/spca/chunk"
	"github.com/spca/spca/hdf5io"
)

// Four points on the axes: the covariance is diag(8/3, 2/3), so the
// components are the axes and the ratios 0.8 and 0.2.
var cross = []float64{
	2, 0,
	0, 1,
	-2, 0,
	0, -1,
}

func ExampleFit() {
	m, err := spca.Fit(context.Background(), spca.FromMatrix(4, 2, cross), spca.WithComponents(2))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("explained variance %.4f\n", m.ExplainedVariance)
	fmt.Printf("ratio %.2f\n", m.ExplainedVarianceRatio)
	fmt.Printf("components %.0f\n", clean(m.Components))
	// Output:
	// explained variance [2.6667 0.6667]
	// ratio [0.80 0.20]
	// components [1 0 0 1]
}

func ExampleWithVariance() {
	// The smallest k that explains at least 75 % of the variance.
	m, err := spca.Fit(context.Background(), spca.FromMatrix(4, 2, cross), spca.WithVariance(0.75))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("k =", m.NComponents)
	// Output:
	// k = 1
}

func ExampleTransform() {
	ctx := context.Background()
	m, err := spca.Fit(ctx, spca.FromMatrix(4, 2, cross), spca.WithComponents(1))
	if err != nil {
		log.Fatal(err)
	}
	test := []float64{3, 5, -1, 0}
	scores, err := spca.Transform(ctx, m, spca.FromMatrix(2, 2, test))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%.1f\n", scores)
	// Output:
	// [3.0 -1.0]
}

func ExampleTransformTo() {
	ctx := context.Background()
	m, err := spca.Fit(ctx, spca.FromMatrix(4, 2, cross), spca.WithComponents(2))
	if err != nil {
		log.Fatal(err)
	}
	var w printRows
	n, err := spca.TransformTo(ctx, m, spca.FromMatrix(4, 2, cross), &w, spca.WithWhiten(), spca.WithBlockRows(2))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, "rows")
	// Output:
	// block [1.22 0.00 0.00 1.22]
	// block [-1.22 0.00 0.00 -1.22]
	// 4 rows
}

// clean rounds to 1e-9 so that rounding noise and -0 print as 0.
func clean(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Round(x*1e9)/1e9 + 0
	}
	return out
}

// printRows is a RowWriter that prints each block of scores.
type printRows struct{}

func (printRows) WriteRows(d []float64) error {
	fmt.Printf("block %.2f\n", clean(d))
	return nil
}

func ExampleInverseTransform() {
	m, err := spca.Fit(context.Background(), spca.FromMatrix(4, 2, cross), spca.WithComponents(1))
	if err != nil {
		log.Fatal(err)
	}
	// A score of 3 on the first component is the point (3, 0); the second
	// component was dropped, so nothing comes back along it.
	fmt.Printf("%.1f\n", spca.InverseTransform(m, []float64{3, -2}))
	// Output:
	// [3.0 0.0 -2.0 0.0]
}

func ExampleFromMatrix() {
	r := spca.FromMatrix(4, 2, cross)
	info := r.Info()
	fmt.Println(info.Rows, "rows,", info.Cols, "columns")
	// Output:
	// 4 rows, 2 columns
}

func ExampleOpenHDF5() {
	dir, err := os.MkdirTemp("", "spca-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "data.h5")
	w, err := hdf5io.CreateMatrix(path, "X", 2)
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Append(cross); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	r, err := spca.OpenHDF5(path, "/X")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	m, err := spca.Fit(context.Background(), r, spca.WithComponents(1))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d rows, ratio %.2f\n", m.NSamples, m.ExplainedVarianceRatio)
	// Output:
	// 4 rows, ratio [0.80]
}

func ExampleOpenBinary() {
	dir, err := os.MkdirTemp("", "spca-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "data.f32")
	var raw []byte
	for _, v := range cross {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(float32(v)))
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		log.Fatal(err)
	}

	r, err := spca.OpenBinary(path, 2, chunk.Float32)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	m, err := spca.Fit(context.Background(), r, spca.WithComponents(2), spca.WithThreads(1))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("mean %.1f, ratio %.2f\n", m.Mean, m.ExplainedVarianceRatio)
	// Output:
	// mean [0.0 0.0], ratio [0.80 0.20]
}

func ExampleOpen() {
	// Open recognises HDF5 by its signature and .npy by its header.
	_, err := spca.Open("no-such-file.npy")
	fmt.Println(chunk.IsInputError(err))
	// Output:
	// true
}

func ExampleWriteModel() {
	dir, err := os.MkdirTemp("", "spca-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	m, err := spca.Fit(context.Background(), spca.FromMatrix(4, 2, cross), spca.WithComponents(2))
	if err != nil {
		log.Fatal(err)
	}
	path := filepath.Join(dir, "model.h5")
	if err := spca.WriteModel(path, m); err != nil {
		log.Fatal(err)
	}
	back, err := spca.ReadModel(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(back)
	// Output:
	// PCA(method=gram, n=4, p=2, k=2)
}

func ExampleWithProgress() {
	var last spca.Progress
	_, err := spca.Fit(context.Background(), spca.FromMatrix(4, 2, cross),
		spca.WithBlockRows(1), spca.WithProgress(func(p spca.Progress) { last = p }))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d of %d rows, %d bytes, done %v\n", last.Pass, last.Rows, last.TotalRows, last.Bytes, last.Done)
	// Output:
	// gram: 4 of 4 rows, 64 bytes, done true
}

func ExampleFitFile() {
	// A wide file (3 samples of 6 features) as raw float32: the dual route
	// sums the 3×3 matrix XXᵀ over column slabs instead of the 6×6 Gram.
	dir, err := os.MkdirTemp("", "spca-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	x := []float64{
		1, 2, 0, 0, 1, 0,
		-1, -2, 0, 0, 1, 0,
		0, 0, 0, 0, -2, 0,
	}
	var raw []byte
	for _, v := range x {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(float32(v)))
	}
	path := filepath.Join(dir, "wide.f32")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		log.Fatal(err)
	}
	f := spca.File{Path: path, Cols: 6, DType: chunk.Float32}
	m, err := spca.FitFile(context.Background(), f, spca.WithComponents(2), spca.WithMethod("dual"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("method", m.Method)
	fmt.Printf("explained variance %.1f, ratio %.3f\n", m.ExplainedVariance, m.ExplainedVarianceRatio)
	// Output:
	// method dual
	// explained variance [5.0 3.0], ratio [0.625 0.375]
}
