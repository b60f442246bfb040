package main

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fitModel fits the 8×8 uint8 image fixture (500 rows, 64 features) and
// returns the model and scores paths.
func fitModel(t *testing.T, extra ...string) (model, scores string) {
	t.Helper()
	dir := t.TempDir()
	model, scores = filepath.Join(dir, "model.h5"), filepath.Join(dir, "scores.npy")
	args := append([]string{"fit", filepath.Join(fixtures, "uint8_img", "X.npy"), "-k", "6", "--model", model, "--scores", scores}, extra...)
	if code, _, stderr := runCLI(args...); code != 0 {
		t.Fatalf("fit: exit %d: %s", code, stderr)
	}
	return model, scores
}

// checkPNG decodes path and checks its size and that it is not blank: a
// good share of its pixels differ from the background, in several colours.
func checkPNG(t *testing.T, path string, minW, minH int) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b := img.Bounds()
	if b.Dx() < minW || b.Dy() < minH {
		t.Errorf("%s is %dx%d, want at least %dx%d", path, b.Dx(), b.Dy(), minW, minH)
	}
	colours := map[[3]uint32]bool{}
	nonWhite := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				nonWhite++
			}
			colours[[3]uint32{r >> 12, g >> 12, bl >> 12}] = true
		}
	}
	if frac := float64(nonWhite) / float64(b.Dx()*b.Dy()); frac < 0.02 {
		t.Errorf("%s is nearly blank: %.3f of its pixels are not white", path, frac)
	}
	if len(colours) < 8 {
		t.Errorf("%s has only %d distinct colours", path, len(colours))
	}
	return img
}

func TestPlotScreeAndComponents(t *testing.T) {
	model, _ := fitModel(t)
	dir := t.TempDir()
	scree, comps := filepath.Join(dir, "scree.png"), filepath.Join(dir, "comps.png")
	code, out, stderr := runCLI("plot", model, "--scree", scree, "--level", "0.5", "--components", comps, "--image-shape", "8,8")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "wrote "+scree) || !strings.Contains(out, "mean and 6 components as 8×8 images") {
		t.Errorf("output:\n%s", out)
	}
	checkPNG(t, scree, 600, 400)
	img := checkPNG(t, comps, 400, 300)
	// Blue (negative) and red (positive) loadings both appear.
	var red, blue bool
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			red = red || (r > 0xb000 && g < 0x6000 && bl < 0x6000)
			blue = blue || (bl > 0xb000 && r < 0x7000)
		}
	}
	if !red || !blue {
		t.Errorf("diverging map: red %v, blue %v", red, blue)
	}
	// SVG by suffix.
	svg := filepath.Join(dir, "scree.svg")
	if code, _, stderr := runCLI("plot", model, "--scree", svg); code != 0 {
		t.Fatalf("svg: exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(svg); !bytes.Contains(b, []byte("<svg")) || !bytes.Contains(b, []byte("cumulative")) {
		t.Errorf("%s is not an SVG scree plot", svg)
	}
}

func TestPlotScatter(t *testing.T) {
	model, scores := fitModel(t)
	_ = model
	dir := t.TempDir()
	labels := filepath.Join(dir, "labels.npy")
	// 1-D int64 labels, as NumPy saves np.arange(500) % 3.
	hdr := "{'descr': '<i8', 'fortran_order': False, 'shape': (500,), }"
	for (10+len(hdr)+1)%64 != 0 {
		hdr += " "
	}
	var buf bytes.Buffer
	buf.WriteString("\x93NUMPY\x01\x00")
	buf.WriteByte(byte(len(hdr) + 1))
	buf.WriteByte(0)
	buf.WriteString(hdr + "\n")
	for i := 0; i < 500; i++ {
		v := int64(i % 3)
		for b := 0; b < 8; b++ {
			buf.WriteByte(byte(v >> (8 * b)))
		}
	}
	if err := os.WriteFile(labels, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "pc12.png")
	code, stdout, stderr := runCLI("plot", "--scores", scores, "--labels", labels, "--scatter", out, "--max-points", "200")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "200 of 500 rows, uniform sample") {
		t.Errorf("output: %s", stdout)
	}
	checkPNG(t, out, 600, 400)

	// Mismatched labels are bad input, and nothing is left behind.
	short := filepath.Join(dir, "short.npy")
	npyFloat64(t, short, 10, 1, make([]float64, 10))
	bad := filepath.Join(dir, "bad.png")
	code, _, stderr = runCLI("plot", "--scores", scores, "--labels", short, "--scatter", bad)
	if code != 2 || !strings.Contains(stderr, "short.npy") {
		t.Errorf("short labels: exit %d, %q", code, stderr)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*bad.png*")); len(m) != 0 {
		t.Errorf("left behind: %v", m)
	}
}

func TestPlotUsage(t *testing.T) {
	model, _ := fitModel(t)
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"plot", model}, "nothing to draw"},
		{[]string{"plot", model, "--scree", filepath.Join(dir, "a.jpg")}, "use .png or .svg"},
		{[]string{"plot", model, "--components", filepath.Join(dir, "c.png")}, "--image-shape"},
		{[]string{"plot", model, "--components", filepath.Join(dir, "c.png"), "--image-shape", "9,9"}, "81 values"},
		{[]string{"plot", model, "--scree", filepath.Join(dir, "s.png"), "--level", "0"}, "--level"},
	} {
		code, _, stderr := runCLI(c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q, want 2 and %q", c.args, code, stderr, c.want)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) != 0 {
		t.Errorf("left behind: %v", m)
	}
}

// The fit table, with the run time and the certificate's rounding-level
// figures masked, matches testdata/fit_table.golden.
func TestFitTableGolden(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model.h5")
	code, out, stderr := runCLI("fit", filepath.Join(fixtures, "tall_f64", "X.npy"), "-k", "4", "--model", model)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	out = strings.ReplaceAll(out, dir, "DIR")
	out = strings.ReplaceAll(out, fixtures, "FIXTURES")
	out = regexp.MustCompile(`, [0-9.e+-]+ s\n`).ReplaceAllString(out, ", SECONDS s\n")
	out = regexp.MustCompile(`(‖[^‖]*‖(/‖C‖)?) = [0-9.e+-]+`).ReplaceAllString(out, "$1 = ROUNDING")
	// Per-component residuals (rounding level) and auto's memory figures
	// (they follow the machine's RAM and core count).
	out = regexp.MustCompile(` +[0-9.]+e-[0-9]+\n`).ReplaceAllString(out, "  ROUNDING\n")
	out = regexp.MustCompile(`[0-9.e+-]+ GB`).ReplaceAllString(out, "N GB")
	golden := filepath.Join("testdata", "fit_table.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("fit table differs from %s:\n--- got\n%s--- want\n%s", golden, out, want)
	}
}

// The model file loads into scikit-learn's PCA (the README's recipe), and
// PCA.transform gives spca's scores to 1e-10.
func TestSklearnInterop(t *testing.T) {
	for _, c := range []struct {
		fixture string
		extra   []string
	}{
		{"tall_f64", nil},
		{"uint8_img", nil},
		{"uint8_img", []string{"--whiten"}},
	} {
		dir := t.TempDir()
		x := filepath.Join(fixtures, c.fixture, "X.npy")
		model, scores := filepath.Join(dir, "model.h5"), filepath.Join(dir, "scores.npy")
		args := append([]string{"fit", x, "-k", "5", "--model", model, "--scores", scores}, c.extra...)
		if code, _, stderr := runCLI(args...); code != 0 {
			t.Fatalf("fit: exit %d: %s", code, stderr)
		}
		cmd := exec.Command("/usr/bin/python3", "../../testdata/sklearn_interop.py", model, x, scores, "1e-10")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s %v: %v\n%s", c.fixture, c.extra, err, out)
			continue
		}
		t.Logf("%s %v: %s", c.fixture, c.extra, bytes.TrimSpace(out))
	}
}
