package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/stream"
	"github.com/spca/spca/viz"
)

const plotSynopsis = `spca plot MODEL --scree FILE [--level F]
       spca plot MODEL --components FILE --image-shape H,W[,3]
       spca plot --scores SCORES [--labels LABELS] --scatter FILE [--pcs 1,2]

Draws pictures of a model or of its scores, as PNG or SVG (by the suffix).
--scree: the explained-variance ratio of each stored component (bars) and
its cumulative sum (line), in percent, with a dashed line at --level and a
dotted one at the first k that reaches it.
--components: the mean image, then each loading reshaped to --image-shape
(C order, like NumPy's reshape) in a grid titled "PC1 (33.1 %)", ...;
one-channel loadings use a diverging blue-white-red map (white = 0), each
scaled to its own largest |loading|; RGB loadings show mid-grey as 0.
--scatter: one score column against another (--pcs, default 1,2) from a
scores file written by spca fit or spca transform (.npy, .h5 or raw),
coloured by --labels (a .npy of one label per row) when given. At most
--max-points rows are drawn, a uniform sample when there are more.`

func cmdPlot(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("plot", plotSynopsis, args, stdout, stderr)
	scree := fs.String("scree", "", "draw the scree plot of MODEL to this `file` (.png or .svg)")
	level := fs.Float64("level", 0.85, "scree: mark the cumulative explained-variance `fraction` (0 < F ≤ 1)")
	comps := fs.String("components", "", "draw the mean and the loadings of MODEL as images to this `file` (.png or .svg)")
	shape := fs.String("image-shape", "", "components: `H,W` (grey) or H,W,3 (RGB): the shape of one image, whose product is the number of features")
	maxComps := fs.Int("max-components", 24, "components: draw at most `N` components")
	cols := fs.Int("columns", 0, "components: images per `row` (default 5, or 4 to 7 when that fills the last row)")
	scores := fs.String("scores", "", "scatter: the scores `file` (.npy, .h5, or raw with --cols and --dtype)")
	labels := fs.String("labels", "", "scatter: a .npy `file` with one label per score row (integer or float)")
	scatter := fs.String("scatter", "", "draw the score scatter to this `file` (.png or .svg)")
	pcs := fs.String("pcs", "1,2", "scatter: the two `components` to draw, x,y (1-based)")
	maxPoints := fs.Int("max-points", 20000, "scatter: draw a uniform sample of at most `N` rows")
	sf := sourceFlags{threads: 1}
	fs.StringVar(&sf.dataset, "dataset", "", "scatter: HDF5 dataset `path` of the scores (default: the only 2-D dataset)")
	fs.IntVar(&sf.cols, "cols", 0, "scatter: raw scores: number of `columns`")
	fs.StringVar(&sf.dtype, "dtype", "", "scatter: raw scores: element `type`")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *scree == "" && *comps == "" && *scatter == "" {
		return usageErr("nothing to draw: give --scree, --components or --scatter (see spca plot --help)")
	}
	if len(pos) > 1 {
		return usageErr("plot takes at most one MODEL, got %d", len(pos))
	}
	if (*scree != "" || *comps != "") && len(pos) != 1 {
		return usageErr("--scree and --components need a MODEL file")
	}
	if *scatter != "" && *scores == "" {
		return usageErr("--scatter needs --scores FILE")
	}
	if *scores != "" && *scatter == "" {
		return usageErr("--scores is only used with --scatter FILE")
	}
	if *comps != "" && *shape == "" {
		return usageErr("--components needs --image-shape H,W or H,W,3")
	}
	if !(*level > 0 && *level <= 1) {
		return usageErr("--level must be in (0, 1], got %g", *level)
	}
	for _, f := range []string{*scree, *comps, *scatter} {
		if f != "" {
			if _, err := viz.Format(f); err != nil {
				return usageErr("%v", err)
			}
		}
	}
	out := &outputs{}
	defer out.abort()
	var m *stream.Model
	if len(pos) == 1 {
		if m, err = readModel(pos[0]); err != nil {
			return err
		}
	}
	if *scree != "" {
		fig, err := viz.Scree(m.ExplainedVarianceRatio, *level, fmt.Sprintf("%s: explained variance (n = %d, p = %d)", filepath.Base(pos[0]), m.NSamples, m.NFeatures))
		if err != nil {
			return err
		}
		if err := save(out, *scree, fig); err != nil {
			return err
		}
		if k := viz.LevelK(m.ExplainedVarianceRatio, *level); k > 0 {
			fmt.Fprintf(stdout, "wrote %s (%d components; %.4g %% of the variance reached at k = %d)\n", *scree, m.NComponents, 100**level, k)
		} else {
			fmt.Fprintf(stdout, "wrote %s (%d components; %.4g %% not reached: they explain %.4g %%)\n", *scree, m.NComponents, 100**level, 100*sum(m.ExplainedVarianceRatio))
		}
	}
	if *comps != "" {
		sh, err := parseImageShape(*shape)
		if err != nil {
			return err
		}
		if sh.Size() != m.NFeatures {
			return usageErr("--image-shape %s has %d values, but %s has %d features", *shape, sh.Size(), pos[0], m.NFeatures)
		}
		if *maxComps < 1 {
			return usageErr("--max-components must be at least 1, got %d", *maxComps)
		}
		k := min(*maxComps, m.NComponents)
		kind := "covariance"
		if m.Scale != nil {
			kind = "correlation"
		}
		fig, err := viz.Components(viz.ComponentsInput{
			Title:      fmt.Sprintf("%s: mean and first %d of %d components (%s, %s PCA)", filepath.Base(pos[0]), k, m.NComponents, sh, kind),
			Shape:      sh,
			Mean:       m.Mean,
			Components: m.Components[:k*m.NFeatures],
			Ratios:     m.ExplainedVarianceRatio[:k],
			Columns:    *cols,
		})
		if err != nil {
			return err
		}
		if err := save(out, *comps, fig); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s (mean and %d components as %s images)\n", *comps, k, sh)
	}
	if *scatter != "" {
		xy, err := parsePCs(*pcs)
		if err != nil {
			return err
		}
		if *maxPoints < 1 {
			return usageErr("--max-points must be at least 1, got %d", *maxPoints)
		}
		src, _, err := sf.source(*scores)
		if err != nil {
			return err
		}
		pts, err := readScatter(ctx, src, *labels, xy, *maxPoints)
		if err != nil {
			return err
		}
		note := fmt.Sprintf("%d rows", pts.total)
		if int64(len(pts.x)) < pts.total {
			note = fmt.Sprintf("%d of %d rows, uniform sample", len(pts.x), pts.total)
		}
		in := viz.ScatterInput{
			Title:  fmt.Sprintf("%s: PC%d against PC%d", filepath.Base(*scores), xy[1]+1, xy[0]+1),
			Note:   note,
			XLabel: fmt.Sprintf("PC%d score", xy[0]+1), YLabel: fmt.Sprintf("PC%d score", xy[1]+1),
			X: pts.x, Y: pts.y, Labels: pts.labels,
		}
		fig, err := viz.Scatter(in)
		if err != nil {
			return err
		}
		if err := save(out, *scatter, fig); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s (PC%d against PC%d, %s)\n", *scatter, xy[1]+1, xy[0]+1, note)
	}
	return out.commit()
}

func sum(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

// readModel reads a model file; every failure is bad input naming it.
func readModel(path string) (*stream.Model, error) {
	m, err := stream.ReadModel(path)
	if err != nil && !chunk.IsInputError(err) {
		err = chunk.Errorf(path, "%v", err)
	}
	return m, err
}

// save writes fig to a temporary file beside path, renamed at the end.
func save(out *outputs, path string, fig *viz.Figure) error {
	format, err := viz.Format(path)
	if err != nil {
		return usageErr("%v", err)
	}
	pend, err := out.reserve(path)
	if err != nil {
		return err
	}
	f, err := os.Create(pend.Tmp)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := fig.Encode(f, format); err != nil {
		f.Close()
		return fmt.Errorf("%s: drawing: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// parseImageShape parses "H,W" or "H,W,3".
func parseImageShape(s string) (viz.ImageShape, error) {
	parts := strings.Split(s, ",")
	var v []int
	for _, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 {
			return viz.ImageShape{}, usageErr("--image-shape %q: want H,W or H,W,3 with positive integers", s)
		}
		v = append(v, n)
	}
	switch {
	case len(v) == 2:
		return viz.ImageShape{Height: v[0], Width: v[1], Channels: 1}, nil
	case len(v) == 3 && (v[2] == 3 || v[2] == 1):
		return viz.ImageShape{Height: v[0], Width: v[1], Channels: v[2]}, nil
	}
	return viz.ImageShape{}, usageErr("--image-shape %q: want H,W (grey) or H,W,3 (RGB)", s)
}

// parsePCs parses "1,2" into 0-based column indices.
func parsePCs(s string) ([2]int, error) {
	parts := strings.Split(s, ",")
	var xy [2]int
	if len(parts) != 2 {
		return xy, usageErr("--pcs %q: want two component numbers such as 1,2", s)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 {
			return xy, usageErr("--pcs %q: want two component numbers (1-based) such as 1,2", s)
		}
		xy[i] = n - 1
	}
	return xy, nil
}

type scatterPoints struct {
	x, y, labels []float64
	total        int64
}

// readScatter streams the scores (and labels) and keeps a uniform sample
// of at most maxPoints rows (reservoir sampling with a fixed seed, so the
// picture is the same every run); memory does not grow with the rows.
func readScatter(ctx context.Context, src stream.Source, labelsPath string, xy [2]int, maxPoints int) (*scatterPoints, error) {
	r, err := src.Open(4096)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	info := r.Info()
	if xy[0] >= info.Cols || xy[1] >= info.Cols {
		return nil, usageErr("--pcs %d,%d: %s has only %d score columns", xy[0]+1, xy[1]+1, info.Name, info.Cols)
	}
	var lr chunk.Reader
	if labelsPath != "" {
		if lr, err = chunk.Open(labelsPath, chunk.Options{Vector: true}); err != nil {
			return nil, err
		}
		defer lr.Close()
		li := lr.Info()
		if li.Cols != 1 {
			return nil, chunk.Errorf(labelsPath, "%w: labels must be one per row (shape (n,) or (n, 1)), got %d columns", chunk.ErrShape, li.Cols)
		}
		if info.Rows >= 0 && li.Rows >= 0 && li.Rows != info.Rows {
			return nil, chunk.Errorf(labelsPath, "%w: %d labels for %d score rows in %s", chunk.ErrShape, li.Rows, info.Rows, info.Name)
		}
	}
	pts := &scatterPoints{}
	rng := rand.New(rand.NewPCG(0x5eed, 0x5ca7))
	const blockRows = 4096
	buf := make([]float64, blockRows*info.Cols)
	lbuf := make([]float64, blockRows)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, rerr := stream.ReadFull(r, buf)
		if lr != nil && n > 0 {
			m, lerr := stream.ReadFull(lr, lbuf[:n])
			if m != n {
				if lerr == nil || lerr == io.EOF {
					lerr = chunk.Errorf(labelsPath, "%w: fewer labels than the %d+ score rows of %s", chunk.ErrShape, pts.total+int64(n), info.Name)
				}
				return nil, lerr
			}
		}
		if err := chunk.CheckFinite(info.Name, pts.total, info.Cols, buf[:n*info.Cols]); err != nil {
			return nil, err
		}
		for i := 0; i < n; i++ {
			row := buf[i*info.Cols:]
			slot := len(pts.x)
			if slot >= maxPoints {
				j := rng.Int64N(pts.total + 1)
				if j >= int64(maxPoints) {
					pts.total++
					continue
				}
				slot = int(j)
			} else {
				pts.x, pts.y = append(pts.x, 0), append(pts.y, 0)
				if lr != nil {
					pts.labels = append(pts.labels, 0)
				}
			}
			pts.x[slot], pts.y[slot] = row[xy[0]], row[xy[1]]
			if lr != nil {
				pts.labels[slot] = lbuf[i]
			}
			pts.total++
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return nil, rerr
		}
	}
	if pts.total == 0 {
		return nil, chunk.Errorf(info.Name, "%w: no score rows", chunk.ErrShape)
	}
	if lr != nil {
		var one [1]float64
		if m, _ := lr.ReadRows(one[:]); m > 0 {
			return nil, chunk.Errorf(labelsPath, "%w: more labels than the %d score rows of %s", chunk.ErrShape, pts.total, info.Name)
		}
	}
	return pts, nil
}
