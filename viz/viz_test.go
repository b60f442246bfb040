package viz

import (
	"bytes"
	"image/png"
	"testing"
)

func TestLevelK(t *testing.T) {
	r := []float64{0.5, 0.3, 0.1, 0.05}
	for _, c := range []struct {
		level float64
		want  int
	}{{0.5, 1}, {0.8, 2}, {0.85, 3}, {0.9, 3}, {0.96, 0}} {
		if got := LevelK(r, c.level); got != c.want {
			t.Errorf("LevelK(%v) = %d, want %d", c.level, got, c.want)
		}
	}
}

func TestFormat(t *testing.T) {
	for name, want := range map[string]string{"a.png": "png", "b.SVG": "svg", "c.jpg": ""} {
		got, err := Format(name)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("Format(%q) = %q, %v", name, got, err)
		}
	}
}

// RGB loadings: a 2×2×3 image whose single loading is +1 on red and −1 on
// blue of one pixel shows that pixel as (255, 128, 0) and mid-grey elsewhere.
func TestComponentsRGB(t *testing.T) {
	sh := ImageShape{Height: 2, Width: 2, Channels: 3}
	comp := make([]float64, 12)
	comp[0], comp[2] = 1, -1
	img := loadingImage(comp, sh, 1, divergingLUT())
	if r, g, b, _ := img.At(0, 0).RGBA(); r>>8 != 255 || g>>8 != 128 || b>>8 != 0 {
		t.Errorf("pixel (0,0) = %d %d %d", r>>8, g>>8, b>>8)
	}
	if r, g, b, _ := img.At(1, 1).RGBA(); r>>8 != 128 || g>>8 != 128 || b>>8 != 128 {
		t.Errorf("pixel (1,1) = %d %d %d, want mid-grey", r>>8, g>>8, b>>8)
	}
	fig, err := Components(ComponentsInput{Title: "rgb", Shape: sh, Mean: make([]float64, 12), Components: comp, Ratios: []float64{0.5}})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := fig.Encode(&buf, "png"); err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := Components(ComponentsInput{Shape: ImageShape{2, 2, 2}, Mean: make([]float64, 8), Components: make([]float64, 8), Ratios: []float64{1}}); err == nil {
		t.Error("2 channels accepted")
	}
}

// Diverging map: negative blue, zero near white, positive red.
func TestDivergingLUT(t *testing.T) {
	lut := divergingLUT()
	lo, mid, hi := lut[0], lut[lutSize/2], lut[lutSize-1]
	if !(lo.B > lo.R && hi.R > hi.B && mid.R > 200 && mid.G > 200 && mid.B > 200) {
		t.Errorf("lut ends %v %v %v", lo, mid, hi)
	}
}
