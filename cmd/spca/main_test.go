package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

const fixtures = "../../testdata/pca"

func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

// npyFloat64 writes rows×cols float64 values as a .npy file.
func npyFloat64(t *testing.T, path string, rows, cols int, vals []float64) {
	t.Helper()
	dict := "{'descr': '<f8', 'fortran_order': False, 'shape': (" + itoa(rows) + ", " + itoa(cols) + "), }"
	for (10+len(dict)+1)%64 != 0 {
		dict += " "
	}
	dict += "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(dict)))
	b.WriteString(dict)
	binary.Write(&b, binary.LittleEndian, vals)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func itoa(v int) string {
	if v < 10 {
		return string(rune('0' + v))
	}
	return itoa(v/10) + string(rune('0'+v%10))
}

// outDirEmpty fails when a run left files (finished or temporary) in dir.
func outDirEmpty(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		t.Errorf("output left behind: %s", e.Name())
	}
}

func TestFitTransformEndToEnd(t *testing.T) {
	dir := filepath.Join(fixtures, "tall_f64")
	out := t.TempDir()
	model := filepath.Join(out, "model.h5")
	code, stdout, stderr := runCLI("fit", filepath.Join(dir, "X.npy"), "-k", "5", "--model", model,
		"--scores", filepath.Join(out, "scores.npy"), "--json", "--threads", "2")
	if code != 0 {
		t.Fatalf("fit exit %d: %s", code, stderr)
	}
	var fj map[string]any
	if err := json.Unmarshal([]byte(stdout), &fj); err != nil {
		t.Fatalf("fit --json is not one JSON object: %v\n%s", err, stdout)
	}
	for _, key := range []string{"n_samples", "n_features", "n_components", "explained_variance", "explained_variance_ratio", "singular_values", "noise_variance", "method", "seconds"} {
		if _, ok := fj[key]; !ok {
			t.Errorf("fit JSON lacks %q", key)
		}
	}
	if fj["n_samples"].(float64) != 400 || fj["n_components"].(float64) != 5 || fj["method"] != "gram" {
		t.Errorf("fit JSON: %v", fj)
	}
	code, stdout, stderr = runCLI("transform", "--model", model, filepath.Join(dir, "test.npy"), "--error", "--json",
		"--scores", filepath.Join(out, "test.csv"))
	if code != 0 {
		t.Fatalf("transform exit %d: %s", code, stderr)
	}
	var tj map[string]float64
	json.Unmarshal([]byte(strings.ReplaceAll(stdout, `"gram"`, `0`)), &tj)
	if tj["n_samples"] != 50 || !(tj["rmse"] > 0) || !(tj["mae"] > 0) || tj["mae"] > tj["rmse"] {
		t.Errorf("transform JSON: %s", stdout)
	}
	csv, err := os.ReadFile(filepath.Join(out, "test.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(csv), "\n"); lines != 51 {
		t.Errorf("test.csv has %d lines, want header + 50", lines)
	}
	// The human table names each component and the cumulative ratio.
	code, stdout, stderr = runCLI("fit", filepath.Join(dir, "X.npy"), "--variance", "0.9")
	if code != 0 || !strings.Contains(stdout, "cumulative") || !strings.Contains(stdout, "certificate") {
		t.Errorf("fit table: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ = runCLI("info", model, filepath.Join(dir, "X.npy"))
	if code != 0 || !strings.Contains(stdout, "spca model") || !strings.Contains(stdout, "400 rows x 12 columns") {
		t.Errorf("info: exit %d\n%s", code, stdout)
	}
}

// TestBadInput: every kind of bad input exits 2 with one line naming the
// file and the problem, and leaves no output file behind.
func TestBadInput(t *testing.T) {
	src := t.TempDir()
	good, err := os.ReadFile(filepath.Join(fixtures, "tall_f64", "X.npy"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(src, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	truncated := write("trunc.npy", good[:len(good)-100])
	var zb bytes.Buffer
	zw, _ := zstd.NewWriter(&zb)
	zw.Write(good)
	zw.Close()
	corrupt := append([]byte(nil), zb.Bytes()...)
	for i := len(corrupt) / 3; i < len(corrupt)/3+16; i++ {
		corrupt[i] ^= 0x5a
	}
	corruptPath := write("corrupt.npy.zst", corrupt)
	rawPath := write("x.bin", make([]byte, 8*7*3+4))
	vals := make([]float64, 10*3)
	for i := range vals {
		vals[i] = float64(i % 7)
	}
	vals[5*3+1] = math.NaN()
	nanPath := filepath.Join(src, "nan.npy")
	npyFloat64(t, nanPath, 10, 3, vals)
	onePath := filepath.Join(src, "one.npy")
	npyFloat64(t, onePath, 1, 3, []float64{1, 2, 3})
	h5 := filepath.Join(fixtures, "tall_f64", "X.h5")

	cases := []struct {
		name string
		args []string
		want []string // substrings of the message
	}{
		{"truncated", []string{"fit", truncated, "-k", "2"}, []string{"trunc.npy"}},
		{"corrupt zstd", []string{"fit", corruptPath, "-k", "2"}, []string{"corrupt.npy.zst", "zstd"}},
		{"wrong cols", []string{"fit", rawPath, "--cols", "7", "--dtype", "float64", "-k", "2"}, []string{"x.bin", "row"}},
		{"nan row", []string{"fit", nanPath, "-k", "2"}, []string{"nan.npy", "row 5", "NaN"}},
		{"missing dataset", []string{"fit", h5, "--dataset", "/nope", "-k", "2"}, []string{"X.h5", "/nope"}},
		{"k too large", []string{"fit", h5, "-k", "13"}, []string{"X.h5", "k=13", "min(n, p)"}},
		{"one row", []string{"fit", onePath, "-k", "1"}, []string{"one.npy", "at least 2 rows"}},
		{"stdin scores", []string{"fit", "-", "--cols", "3", "--dtype", "float64", "--scores", "s.npy"}, []string{"standard input"}},
		{"transform wrong width", []string{"transform", "--model", "MODEL", nanPath, "--error"}, []string{"nan.npy", "columns"}},
	}
	modelDir := t.TempDir()
	model := filepath.Join(modelDir, "m.h5")
	if code, _, stderr := runCLI("fit", h5, "-k", "2", "--model", model); code != 0 {
		t.Fatal(stderr)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			args := append([]string{}, c.args...)
			for i, a := range args {
				if a == "MODEL" {
					args[i] = model
				}
			}
			args = append(args, "--model", filepath.Join(out, "model.h5"), "--scores", filepath.Join(out, "scores.npy"))
			if args[0] == "transform" {
				args = append(args[:len(args)-4], "--scores", filepath.Join(out, "scores.npy"))
			}
			code, stdout, stderr := runCLI(args...)
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr %q", code, stderr)
			}
			if strings.Count(strings.TrimRight(stderr, "\n"), "\n") != 0 || !strings.HasPrefix(stderr, "spca: ") {
				t.Errorf("want one line on stderr, got %q", stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("message %q lacks %q", stderr, w)
				}
			}
			if stdout != "" {
				t.Errorf("stdout not empty: %q", stdout)
			}
			outDirEmpty(t, out)
		})
	}
}

func TestUsage(t *testing.T) {
	if code, _, _ := runCLI("frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d", code)
	}
	if code, _, stderr := runCLI("fit", "a", "b"); code != 2 || !strings.Contains(stderr, "exactly one INPUT") {
		t.Errorf("two inputs: exit %d %q", code, stderr)
	}
	if code, _, _ := runCLI("fit", "x.npy", "-k", "2", "--variance", "0.5"); code != 2 {
		t.Errorf("-k with --variance: exit %d", code)
	}
	if code, stdout, _ := runCLI("--help"); code != 0 || !strings.Contains(stdout, "spca fit") {
		t.Errorf("--help: exit %d", code)
	}
	if code, stdout, _ := runCLI("fit", "--help"); code != 0 || !strings.Contains(stdout, "--variance") {
		t.Errorf("fit --help: exit %d %q", code, stdout)
	}
}

// TestStdin: "-" fits in one pass and transforms; the numbers equal the
// file's. The compressed stream is detected from its bytes.
func TestStdin(t *testing.T) {
	path := filepath.Join(fixtures, "tall_f64", "X.npy")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var zb bytes.Buffer
	zw, _ := zstd.NewWriter(&zb)
	zw.Write(data)
	zw.Close()
	withStdin := func(b []byte, args ...string) (int, string, string) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		go func() { w.Write(b); w.Close() }()
		old := os.Stdin
		os.Stdin = r
		defer func() { os.Stdin = old; r.Close() }()
		return runCLI(args...)
	}
	out := t.TempDir()
	code, fromFile, stderr := runCLI("fit", path, "-k", "3", "--json")
	if code != 0 {
		t.Fatal(stderr)
	}
	code, fromStdin, stderr := withStdin(zb.Bytes(), "fit", "-", "-k", "3", "--json", "--model", filepath.Join(out, "m.h5"))
	if code != 0 {
		t.Fatal(stderr)
	}
	ev := func(s string) []any {
		var m map[string]any
		json.Unmarshal([]byte(s), &m)
		return m["explained_variance"].([]any)
	}
	a, b := ev(fromFile), ev(fromStdin)
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("stdin eigenvalue %d = %v, file gave %v", i, b[i], a[i])
		}
	}
	code, stdout, stderr := withStdin(data, "transform", "--model", filepath.Join(out, "m.h5"), "-", "--error", "--json")
	if code != 0 || !strings.Contains(stdout, `"rmse"`) {
		t.Errorf("transform from stdin: exit %d %s %s", code, stdout, stderr)
	}
}
