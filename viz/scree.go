package viz

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Colours shared by the figures (Tableau 10, which stays distinct for
// the common forms of colour blindness in its first four entries).
var (
	barColor  = color.RGBA{R: 0x4e, G: 0x79, B: 0xa7, A: 0xff} // blue
	lineColor = color.RGBA{R: 0xe1, G: 0x57, B: 0x59, A: 0xff} // red
	markColor = color.RGBA{R: 0x59, G: 0xa1, B: 0x4f, A: 0xff} // green
)

// LevelK returns the smallest k whose cumulative ratio reaches level, or 0
// when the ratios given never reach it.
func LevelK(ratios []float64, level float64) int {
	cum := 0.0
	for i, r := range ratios {
		cum += r
		if cum >= level-1e-12 {
			return i + 1
		}
	}
	return 0
}

// Scree draws the explained-variance ratio of each component as bars and
// its cumulative sum as a line, both in percent, with a dashed line at
// level (a fraction, 0.85 for 85 %) and a dotted one at the first k that
// reaches it. ratios are the model's explained_variance_ratio (descending).
func Scree(ratios []float64, level float64, title string) (*Figure, error) {
	k := len(ratios)
	if k == 0 {
		return nil, fmt.Errorf("scree: no components")
	}
	if !(level > 0 && level <= 1) {
		return nil, fmt.Errorf("scree: level must be in (0, 1], got %g", level)
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "principal component"
	p.Y.Label.Text = "explained variance (%)"
	p.X.Tick.Marker = intTicks{}
	p.Y.Min, p.Y.Max = 0, 100
	p.Y.Tick.Marker = plot.TickerFunc(func(min, max float64) []plot.Tick {
		var t []plot.Tick
		for v := 0.0; v <= 100; v += 10 {
			t = append(t, plot.Tick{Value: v, Label: fmt.Sprintf("%g", v)})
		}
		return t
	})
	p.Add(plotter.NewGrid())

	pct := make(plotter.Values, k)
	cum := make(plotter.XYs, k)
	sum := 0.0
	for i, r := range ratios {
		pct[i] = 100 * r
		sum += r
		cum[i] = plotter.XY{X: float64(i + 1), Y: 100 * sum}
	}
	// Bars about 70 % of the slot, at least a hairline.
	width := vg.Length(math.Max(0.5, 0.7*float64(5*vg.Inch)/float64(k)))
	bars, err := plotter.NewBarChart(pct, width)
	if err != nil {
		return nil, err
	}
	bars.XMin = 1
	bars.Color = barColor
	bars.LineStyle.Width = 0
	line, points, err := plotter.NewLinePoints(cum)
	if err != nil {
		return nil, err
	}
	line.Color = lineColor
	line.Width = vg.Points(1.5)
	points.Color = lineColor
	points.Shape = draw.CircleGlyph{}
	points.Radius = vg.Points(math.Min(2.5, math.Max(1, 60/float64(k))))

	levelLine, err := plotter.NewLine(plotter.XYs{{X: 0.5, Y: 100 * level}, {X: float64(k) + 0.5, Y: 100 * level}})
	if err != nil {
		return nil, err
	}
	levelLine.Color = markColor
	levelLine.Width = vg.Points(1.2)
	levelLine.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}

	p.Add(bars, line, points, levelLine)
	p.Legend.Add("ratio per component", bars)
	p.Legend.Add("cumulative", line, points)
	lk := LevelK(ratios, level)
	if lk > 0 {
		mark, err := plotter.NewLine(plotter.XYs{{X: float64(lk), Y: 0}, {X: float64(lk), Y: 100 * level}})
		if err != nil {
			return nil, err
		}
		mark.Color = markColor
		mark.Width = vg.Points(1.2)
		mark.Dashes = []vg.Length{vg.Points(1.5), vg.Points(2)}
		p.Add(mark)
		p.Legend.Add(fmt.Sprintf("%s reached at k = %d", percent(level), lk), levelLine)
	} else {
		p.Legend.Add(fmt.Sprintf("%s not reached by the %d stored components (%.1f %%)", percent(level), k, 100*sum), levelLine)
	}
	p.Legend.Top = false
	p.Legend.Left = false
	p.Legend.XOffs = -vg.Points(6)
	p.Legend.YOffs = vg.Points(30)
	p.X.Min, p.X.Max = 0.5, float64(k)+0.5
	p.Y.Min, p.Y.Max = 0, 100

	return &Figure{Width: 6 * vg.Inch, Height: 4 * vg.Inch, draw: p.Draw}, nil
}

// percent formats a fraction as "85 %" (or "87.5 %").
func percent(f float64) string {
	return fmt.Sprintf("%s %%", trimFloat(100*f))
}

func trimFloat(v float64) string {
	return fmt.Sprintf("%.4g", v)
}

// intTicks labels whole numbers only, at most about twelve of them.
type intTicks struct{}

func (intTicks) Ticks(min, max float64) []plot.Tick {
	lo, hi := math.Ceil(min), math.Floor(max)
	if hi < lo {
		return nil
	}
	n := hi - lo + 1
	step := 1.0
	for _, s := range []float64{1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000} {
		step = s
		if n/s <= 12 {
			break
		}
	}
	var ticks []plot.Tick
	for v := lo; v <= hi; v++ {
		t := plot.Tick{Value: v}
		if math.Mod(v, step) == 0 || (step > 1 && v == 1 && lo == 1) {
			t.Label = fmt.Sprintf("%d", int64(v))
		}
		if t.Label != "" || n <= 60 {
			ticks = append(ticks, t)
		}
	}
	return ticks
}
