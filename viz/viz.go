// Package viz owns the pictures spca draws from a fitted model or its
// scores, with gonum/plot: the scree plot (explained-variance ratio per
// component and its cumulative sum), the eigen-image grid (each loading
// reshaped into an image under a diverging colour map, the mean image
// first) and the PC scatter (two score columns, coloured by label). Each
// figure is a Figure that writes PNG or SVG, chosen by the file suffix.
// It reads no files and parses no flags: cmd/spca does both.
package viz

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// DPI is the resolution of PNG output.
const DPI = 144

// Figure is a picture of a given size that can draw itself on a canvas.
type Figure struct {
	Width, Height vg.Length
	draw          func(dc draw.Canvas)
}

// Format returns "png" or "svg" for a file name by its suffix, or an error
// naming the suffixes that work.
func Format(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".png":
		return "png", nil
	case ".svg":
		return "svg", nil
	default:
		return "", fmt.Errorf("%s: unknown picture format %q (use .png or .svg)", path, ext)
	}
}

// Encode writes the figure to w as format ("png" or "svg").
func (f *Figure) Encode(w io.Writer, format string) error {
	switch format {
	case "png":
		c := vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(DPI))
		f.draw(draw.New(c))
		_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
		return err
	case "svg":
		c := vgsvg.New(f.Width, f.Height)
		f.draw(draw.New(c))
		_, err := c.WriteTo(w)
		return err
	}
	return fmt.Errorf("unknown picture format %q (use png or svg)", format)
}
