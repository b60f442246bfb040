package viz

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ImageShape is the shape each loading is reshaped to, in C order:
// Height×Width (one channel) or Height×Width×3 (RGB).
type ImageShape struct {
	Height, Width, Channels int
}

// Size is the number of values in one image.
func (s ImageShape) Size() int { return s.Height * s.Width * s.Channels }

func (s ImageShape) String() string {
	if s.Channels == 1 {
		return fmt.Sprintf("%d×%d", s.Height, s.Width)
	}
	return fmt.Sprintf("%d×%d×%d", s.Height, s.Width, s.Channels)
}

// ComponentsInput is what the eigen-image grid shows.
type ComponentsInput struct {
	Title      string
	Shape      ImageShape
	Mean       []float64 // p values, shown first
	Components []float64 // k×p row-major loadings
	Ratios     []float64 // k explained-variance ratios, for the tile titles
	Columns    int       // tiles per row; 0 picks up to 5
}

// lutSize is the number of colours precomputed from the diverging map.
const lutSize = 257

// divergingLUT samples Moreland's smooth blue–red map on [-1, 1]: blue
// negative, near-white zero, red positive.
func divergingLUT() []color.RGBA {
	cm := moreland.SmoothBlueRed()
	cm.SetMin(-1)
	cm.SetMax(1)
	lut := make([]color.RGBA, lutSize)
	for i := range lut {
		v := -1 + 2*float64(i)/float64(lutSize-1)
		c, err := cm.At(v)
		if err != nil { // cannot happen inside [min, max]
			panic(err)
		}
		r, g, b, _ := c.RGBA()
		lut[i] = color.RGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0xff}
	}
	return lut
}

// Components draws the mean image and each loading reshaped to
// in.Shape in a grid. Single-channel loadings use a diverging colour map
// (blue < 0 < red, white at 0), each scaled to its own largest |value|;
// the mean uses a grey ramp from its minimum (black) to its maximum
// (white). RGB loadings are shown as 0.5 + v/(2·max|v|) per channel, so
// mid-grey is zero.
func Components(in ComponentsInput) (*Figure, error) {
	sh := in.Shape
	if sh.Height < 1 || sh.Width < 1 || (sh.Channels != 1 && sh.Channels != 3) {
		return nil, fmt.Errorf("image shape %s: want HEIGHT,WIDTH or HEIGHT,WIDTH,3", sh)
	}
	p := sh.Size()
	if len(in.Mean) != p {
		return nil, fmt.Errorf("image shape %s has %d values, but the model has %d features", sh, p, len(in.Mean))
	}
	k := len(in.Ratios)
	if len(in.Components) != k*p {
		return nil, fmt.Errorf("components: %d values for %d components of %d features", len(in.Components), k, p)
	}
	n := k + 1
	cols := in.Columns
	if cols <= 0 {
		cols = min(n, 5)
		for _, c := range []int{5, 6, 7, 4} { // a full last row when one fits
			if n > c && n%c == 0 {
				cols = c
				break
			}
		}
	}
	rows := (n + cols - 1) / cols
	lut := divergingLUT()
	scale := max(1, int(math.Ceil(224/float64(max(sh.Height, sh.Width)))))

	imgs := make([]image.Image, n)
	titles := make([]string, n)
	imgs[0], titles[0] = meanImage(in.Mean, sh, scale), "mean"
	for i := 0; i < k; i++ {
		imgs[i+1] = loadingImage(in.Components[i*p:(i+1)*p], sh, scale, lut)
		titles[i+1] = fmt.Sprintf("PC%d (%.1f %%)", i+1, 100*in.Ratios[i])
	}

	const pad = 8 // points between tiles
	tileW := vg.Inch * 1.5
	tileH := tileW * vg.Length(sh.Height) / vg.Length(sh.Width)
	label := textStyle(10)
	head := textStyle(12)
	labelH := label.Height("PC") + vg.Points(4)
	headH := head.Height(in.Title) + vg.Points(10)
	barH := vg.Points(34)
	width := vg.Length(cols)*(tileW+vg.Points(pad)) + vg.Points(pad)
	height := headH + vg.Length(rows)*(tileH+labelH+vg.Points(pad)) + barH + vg.Points(pad)

	drawFn := func(dc draw.Canvas) {
		dc.SetColor(color.White)
		dc.Fill(dc.Rectangle.Path())
		top := dc.Max.Y
		dc.FillText(head, vg.Point{X: dc.Center().X, Y: top - vg.Points(4)}, in.Title)
		top -= headH
		for i, img := range imgs {
			r, c := i/cols, i%cols
			x0 := dc.Min.X + vg.Points(pad) + vg.Length(c)*(tileW+vg.Points(pad))
			yTop := top - vg.Length(r)*(tileH+labelH+vg.Points(pad))
			dc.FillText(label, vg.Point{X: x0 + tileW/2, Y: yTop}, titles[i])
			rect := vg.Rectangle{Min: vg.Point{X: x0, Y: yTop - labelH - tileH}, Max: vg.Point{X: x0 + tileW, Y: yTop - labelH}}
			dc.DrawImage(rect, img)
			dc.SetLineStyle(draw.LineStyle{Color: color.Gray{Y: 0xb0}, Width: vg.Points(0.5)})
			dc.Stroke(rect.Path())
		}
		drawColorBar(dc, lut, sh.Channels, barH)
	}
	return &Figure{Width: width, Height: height, draw: drawFn}, nil
}

// drawColorBar explains the colours along the bottom edge.
func drawColorBar(dc draw.Canvas, lut []color.RGBA, channels int, barH vg.Length) {
	small := textStyle(8)
	small.YAlign = draw.YTop
	y0 := dc.Min.Y + vg.Points(16)
	if channels != 1 {
		small.XAlign = draw.XCenter
		dc.FillText(small, vg.Point{X: dc.Center().X, Y: y0 + vg.Points(8)},
			"RGB loadings: mid-grey = 0, each channel scaled to the component's largest |loading|")
		return
	}
	bar := image.NewRGBA(image.Rect(0, 0, len(lut), 1))
	for i, c := range lut {
		bar.Set(i, 0, c)
	}
	w := min(dc.Max.X-dc.Min.X-vg.Points(40), vg.Inch*3)
	x0 := dc.Center().X - w/2
	rect := vg.Rectangle{Min: vg.Point{X: x0, Y: y0}, Max: vg.Point{X: x0 + w, Y: y0 + vg.Points(8)}}
	dc.DrawImage(rect, bar)
	for _, t := range []struct {
		x   vg.Length
		txt string
	}{{x0, "−max |loading|"}, {x0 + w/2, "0"}, {x0 + w, "+max |loading|"}} {
		small.XAlign = draw.XCenter
		dc.FillText(small, vg.Point{X: t.x, Y: y0 - vg.Points(2)}, t.txt)
	}
}

func textStyle(size float64) text.Style {
	s := plot.New().Title.TextStyle
	s.Font = font.From(plot.DefaultFont, font.Length(size))
	s.XAlign = draw.XCenter
	s.YAlign = draw.YTop
	return s
}

// loadingImage maps one loading to pixels, upscaled by nearest neighbour
// (so no renderer blurs the pixel grid).
func loadingImage(v []float64, sh ImageShape, scale int, lut []color.RGBA) image.Image {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	if m == 0 {
		m = 1
	}
	return pixels(sh, scale, func(pix int) color.RGBA {
		if sh.Channels == 1 {
			i := int(math.Round((v[pix]/m + 1) / 2 * float64(lutSize-1)))
			return lut[min(max(i, 0), lutSize-1)]
		}
		var c [3]uint8
		for ch := 0; ch < 3; ch++ {
			c[ch] = unit8(0.5 + v[pix*3+ch]/(2*m))
		}
		return color.RGBA{R: c[0], G: c[1], B: c[2], A: 0xff}
	})
}

// meanImage maps the mean to a grey (or RGB) ramp from its minimum to its
// maximum.
func meanImage(v []float64, sh ImageShape, scale int) image.Image {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	span := hi - lo
	if span == 0 {
		span = 1
	}
	return pixels(sh, scale, func(pix int) color.RGBA {
		if sh.Channels == 1 {
			g := unit8((v[pix] - lo) / span)
			return color.RGBA{R: g, G: g, B: g, A: 0xff}
		}
		return color.RGBA{R: unit8((v[pix*3] - lo) / span), G: unit8((v[pix*3+1] - lo) / span), B: unit8((v[pix*3+2] - lo) / span), A: 0xff}
	})
}

func pixels(sh ImageShape, scale int, at func(pix int) color.RGBA) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, sh.Width*scale, sh.Height*scale))
	for y := 0; y < sh.Height; y++ {
		for x := 0; x < sh.Width; x++ {
			c := at(y*sh.Width + x)
			for dy := 0; dy < scale; dy++ {
				for dx := 0; dx < scale; dx++ {
					img.SetRGBA(x*scale+dx, y*scale+dy, c)
				}
			}
		}
	}
	return img
}

func unit8(f float64) uint8 {
	return uint8(math.Round(255 * math.Min(math.Max(f, 0), 1)))
}
