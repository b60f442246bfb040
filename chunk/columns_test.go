package chunk_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/chunk/chunktest"
)

// TestColumnConformance: every dtype, raw and .npy, reads back by column slabs.
func TestColumnConformance(t *testing.T) {
	const rows, cols = 9, 7
	for _, d := range allDTypes {
		want := matrix(d, rows, cols)
		for _, format := range []string{"raw", "npy"} {
			data := encode(d, want, binary.LittleEndian)
			opt := chunk.Options{Cols: cols, DType: d}
			if format == "npy" {
				data, opt = npyFile(d, want, rows, cols), chunk.Options{}
			}
			t.Run(fmt.Sprintf("%v-%s", d, format), func(t *testing.T) {
				path := writeFile(t, "m."+format, data)
				if !chunk.CanReadColumns(path) {
					t.Fatalf("CanReadColumns(%s) = false", path)
				}
				chunktest.RunColumns(t, func() (chunk.ColumnReader, error) { return chunk.OpenColumns(path, opt) }, want, rows, cols)
			})
		}
	}
}

// TestColumnNumPyFixtures: NumPy's files, big-endian and version 2/3 headers included.
func TestColumnNumPyFixtures(t *testing.T) {
	m := readManifest(t)
	for name, f := range m.Good {
		if len(f.Shape) != 2 || f.Shape[0]*f.Shape[1] == 0 {
			continue
		}
		d, err := chunk.ParseDType(f.DType)
		if err != nil {
			continue
		}
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(fixtureDir, name)
			chunktest.RunColumns(t, func() (chunk.ColumnReader, error) { return chunk.OpenColumns(path, chunk.Options{DType: d}) },
				f.Values, f.Shape[0], f.Shape[1])
		})
	}
}

// TestColumnRefusals: compressed files and standard input cannot give
// column slabs, and say so with ErrNoColumns.
func TestColumnRefusals(t *testing.T) {
	const rows, cols = 4, 3
	want := matrix(chunk.Float64, rows, cols)
	for _, comp := range compressions {
		if comp == "" {
			continue
		}
		path := writeFile(t, "m.npy."+comp, compress(t, comp, npyFile(chunk.Float64, want, rows, cols)))
		if chunk.CanReadColumns(path) {
			t.Errorf("%s: CanReadColumns = true for %s data", path, comp)
		}
		_, err := chunk.OpenColumns(path, chunk.Options{})
		if !errors.Is(err, chunk.ErrNoColumns) || !chunk.IsInputError(err) {
			t.Errorf("%s: OpenColumns error %v, want an input error wrapping ErrNoColumns", comp, err)
		}
	}
	if _, err := chunk.OpenColumns("-", chunk.Options{}); !errors.Is(err, chunk.ErrNoColumns) {
		t.Errorf("stdin: OpenColumns error %v, want ErrNoColumns", err)
	}
}
