package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/hdf5io"
	"github.com/spca/spca/ica"
	"github.com/spca/spca/stream"
)

const infoSynopsis = `spca info FILE... [--cols N --dtype T]

Describes each FILE without reading its data: for HDF5 every dataset with its
shape, dtype, chunking and filters (a model written by spca fit is
summarised); for .npy and raw binary the compression, shape and dtype.`

func cmdInfo(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("info", infoSynopsis, args, stdout, stderr)
	cols := fs.Int("cols", 0, "raw binary: number of `columns`")
	dtype := fs.String("dtype", "", "raw binary: element `type`")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageErr("info needs at least one FILE (see spca info --help)")
	}
	opt := chunk.Options{Cols: *cols}
	if *dtype != "" {
		if opt.DType, err = chunk.ParseDType(*dtype); err != nil {
			return usageErr("--dtype: %v", err)
		}
	}
	for i, path := range pos {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		if err := infoOne(stdout, path, opt); err != nil {
			return err
		}
	}
	return nil
}

func infoOne(w io.Writer, path string, opt chunk.Options) error {
	if _, err := os.Stat(path); err != nil {
		return chunk.Errorf(path, "%v", err)
	}
	if hdf5io.IsHDF5(path) {
		sets, err := hdf5io.List(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s: HDF5, %d datasets\n", path, len(sets))
		for _, d := range sets {
			shape := make([]string, len(d.Shape))
			for i, s := range d.Shape {
				shape[i] = fmt.Sprint(s)
			}
			layout := "contiguous"
			if d.Chunks != nil {
				c := make([]string, len(d.Chunks))
				for i, s := range d.Chunks {
					c[i] = fmt.Sprint(s)
				}
				layout = "chunks " + strings.Join(c, "x")
			}
			if len(d.Filters) > 0 {
				layout += ", " + strings.Join(d.Filters, "+")
			}
			fmt.Fprintf(w, "  %-28s %-14s %-9s %s\n", d.Path, strings.Join(shape, " x "), d.TypeName, layout)
		}
		if m, err := ica.ReadModel(path); err == nil {
			state := "converged"
			if !m.Converged {
				state = "did not converge"
			}
			fmt.Fprintf(w, "spca ICA model: FastICA %s, fun %s, n = %d, p = %d, k = %d, %s after %d iterations\n",
				m.Algorithm, m.Fun, m.NSamples, m.NFeatures, m.NComponents, state, m.NIter)
		}
		if m, err := stream.ReadModel(path); err == nil {
			kind := "covariance"
			if m.Scale != nil {
				kind = "correlation"
			}
			cum := 0.0
			for _, r := range m.ExplainedVarianceRatio {
				cum += r
			}
			fmt.Fprintf(w, "spca model: %s PCA, method %s, n = %d, p = %d, k = %d, %.2f%% of the variance\n",
				kind, m.Method, m.NSamples, m.NFeatures, m.NComponents, 100*cum)
		}
		return nil
	}
	r, err := chunk.Open(path, opt)
	if err != nil {
		return err
	}
	defer r.Close()
	info := r.Info()
	rows := fmt.Sprint(info.Rows)
	if info.Rows < 0 {
		rows = "? (compressed raw: known after a pass)"
	}
	comp := info.Compression
	if comp == "" {
		comp = "none"
	}
	fmt.Fprintf(w, "%s: %s, compression %s, %s rows x %d columns, %s\n", path, info.Format, comp, rows, info.Cols, info.DType)
	return nil
}
