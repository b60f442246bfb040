package viz

import (
	"fmt"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// categorical is Tableau 10: distinct hues for up to ten labels; more
// labels reuse them with another glyph shape.
var categorical = []color.RGBA{
	{0x4e, 0x79, 0xa7, 0xff}, {0xf2, 0x8e, 0x2b, 0xff}, {0xe1, 0x57, 0x59, 0xff}, {0x76, 0xb7, 0xb2, 0xff},
	{0x59, 0xa1, 0x4f, 0xff}, {0xed, 0xc9, 0x48, 0xff}, {0xb0, 0x7a, 0xa1, 0xff}, {0xff, 0x9d, 0xa7, 0xff},
	{0x9c, 0x75, 0x5f, 0xff}, {0x79, 0x70, 0x6e, 0xff},
}

// MaxCategories is the largest number of distinct labels drawn with a
// legend; more distinct values are coloured by a sequential map instead.
const MaxCategories = 30

// ScatterInput is what the PC scatter shows.
type ScatterInput struct {
	Title          string
	XLabel, YLabel string
	X, Y           []float64
	Labels         []float64 // one per point, or nil
	Note           string    // a line under the title, e.g. "20000 of 60000 rows, sampled"
}

// Scatter draws Y against X, coloured by label when labels are given:
// one colour per distinct label with a legend (up to MaxCategories), or
// a sequential colour map for more.
func Scatter(in ScatterInput) (*Figure, error) {
	n := len(in.X)
	if n == 0 || len(in.Y) != n {
		return nil, fmt.Errorf("scatter: %d x values and %d y values", n, len(in.Y))
	}
	if in.Labels != nil && len(in.Labels) != n {
		return nil, fmt.Errorf("scatter: %d labels for %d points", len(in.Labels), n)
	}
	p := plot.New()
	p.Title.Text = in.Title
	if in.Note != "" {
		p.Title.Text += "\n" + in.Note
	}
	p.X.Label.Text = in.XLabel
	p.Y.Label.Text = in.YLabel
	p.Add(plotter.NewGrid())
	// Margins inside the axes, so that the outermost points are drawn whole
	// (p.Add has set the ranges by the time this runs; drawing comes later).
	defer padAxes(p, 0.03)
	radius := vg.Points(math.Max(0.6, math.Min(2.5, 40/math.Sqrt(float64(n)))))
	shapes := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}}

	if in.Labels == nil {
		s, err := scatterOf(in.X, in.Y, nil)
		if err != nil {
			return nil, err
		}
		s.GlyphStyle = draw.GlyphStyle{Color: categorical[0], Radius: radius, Shape: draw.CircleGlyph{}}
		p.Add(s)
		return &Figure{Width: 6 * vg.Inch, Height: 5 * vg.Inch, draw: p.Draw}, nil
	}
	distinct := map[float64]bool{}
	for _, l := range in.Labels {
		distinct[l] = true
		if len(distinct) > MaxCategories {
			break
		}
	}
	if len(distinct) <= MaxCategories {
		keys := make([]float64, 0, len(distinct))
		for l := range distinct {
			keys = append(keys, l)
		}
		sort.Float64s(keys)
		for i, l := range keys {
			s, err := scatterOf(in.X, in.Y, func(j int) bool { return in.Labels[j] == l })
			if err != nil {
				return nil, err
			}
			s.GlyphStyle = draw.GlyphStyle{Color: categorical[i%len(categorical)], Radius: radius, Shape: shapes[(i/len(categorical))%len(shapes)]}
			p.Add(s)
			leg := *s
			leg.GlyphStyle.Radius = vg.Points(3)
			p.Legend.Add(fmt.Sprintf("%g", l), &leg)
		}
		p.Legend.Top = true
		p.Legend.Left = false
		// Outside the data area, on the right.
		p.Legend.XOffs = vg.Points(0)
		return &Figure{Width: 6.5 * vg.Inch, Height: 5 * vg.Inch, draw: withRightLegend(p)}, nil
	}
	// Many distinct values: a sequential map from the smallest to the largest.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, l := range in.Labels {
		lo, hi = math.Min(lo, l), math.Max(hi, l)
	}
	cm := moreland.ExtendedBlackBody()
	cm.SetMin(lo)
	cm.SetMax(math.Max(hi, lo+1e-300))
	s, err := scatterOf(in.X, in.Y, nil)
	if err != nil {
		return nil, err
	}
	s.GlyphStyleFunc = func(i int) draw.GlyphStyle {
		c, err := cm.At(in.Labels[i])
		if err != nil {
			c = color.Black
		}
		return draw.GlyphStyle{Color: c, Radius: radius, Shape: draw.CircleGlyph{}}
	}
	p.Title.Text += fmt.Sprintf("\ncolour: label from %.4g (dark) to %.4g (light)", lo, hi)
	p.Add(s)
	return &Figure{Width: 6 * vg.Inch, Height: 5 * vg.Inch, draw: p.Draw}, nil
}

// padAxes widens both axis ranges by frac of their span on each side.
func padAxes(p *plot.Plot, frac float64) {
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		d := (a.Max - a.Min) * frac
		if d == 0 {
			d = math.Max(math.Abs(a.Max)*frac, 1e-300)
		}
		a.Min, a.Max = a.Min-d, a.Max+d
	}
}

// scatterOf makes a scatter of the points keep accepts (all when nil).
func scatterOf(x, y []float64, keep func(int) bool) (*plotter.Scatter, error) {
	xys := make(plotter.XYs, 0, len(x))
	for i := range x {
		if keep == nil || keep(i) {
			xys = append(xys, plotter.XY{X: x[i], Y: y[i]})
		}
	}
	return plotter.NewScatter(xys)
}

// withRightLegend draws the plot in the left part of the canvas and its
// legend in a column on the right, so the legend never hides points.
func withRightLegend(p *plot.Plot) func(dc draw.Canvas) {
	return func(dc draw.Canvas) {
		dc.SetColor(color.White)
		dc.Fill(dc.Rectangle.Path())
		legendW := vg.Points(50)
		leg := p.Legend
		p.Legend = plot.NewLegend()
		main := draw.Crop(dc, 0, -legendW, 0, 0)
		p.Draw(main)
		p.Legend = leg
		// The legend is drawn against the full height, right-aligned.
		col := draw.Crop(dc, dc.Max.X-dc.Min.X-legendW, 0, 0, -vg.Points(30))
		leg.Draw(col)
	}
}
