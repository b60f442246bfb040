package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/stream"
)

// readScores reads a float64 .npy written by spca.
func readScores(t *testing.T, path string) []float64 {
	t.Helper()
	r, err := chunk.Open(path, chunk.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	info := r.Info()
	out := make([]float64, int(info.Rows)*info.Cols)
	for n := 0; n < int(info.Rows); {
		m, err := r.ReadRows(out[n*info.Cols:])
		if err != nil {
			t.Fatal(err)
		}
		n += m
	}
	return out
}

// TestMethods: every route writes the same model file and scores (to its
// accuracy), reports its method and residuals, and auto explains its choice.
func TestMethods(t *testing.T) {
	for _, name := range []string{"wide", "tall_f64"} {
		in := filepath.Join(fixtures, name, "X.npy")
		out := t.TempDir()
		models := map[string]*stream.Model{}
		scores := map[string][]float64{}
		for _, method := range []string{"gram", "dual", "randomized"} {
			model := filepath.Join(out, method+".h5")
			sc := filepath.Join(out, method+".npy")
			code, stdout, stderr := runCLI("fit", in, "-k", "4", "--method", method, "--model", model, "--scores", sc, "--json", "--whiten")
			if code != 0 {
				t.Fatalf("%s %s: exit %d: %s", name, method, code, stderr)
			}
			var fj struct {
				Method    string    `json:"method"`
				Residuals []float64 `json:"residuals"`
				Passes    int       `json:"passes"`
			}
			if err := json.Unmarshal([]byte(stdout), &fj); err != nil {
				t.Fatal(err)
			}
			if fj.Method != method || len(fj.Residuals) != 4 || fj.Passes < 1 {
				t.Errorf("%s %s: JSON %s", name, method, stdout)
			}
			for i, r := range fj.Residuals {
				if !(r < 1e-6) {
					t.Errorf("%s %s: residual %d = %g", name, method, i, r)
				}
			}
			m, err := stream.ReadModel(model)
			if err != nil {
				t.Fatal(err)
			}
			if m.Method != method || !m.Whiten {
				t.Errorf("%s: model file method %q whiten %v", method, m.Method, m.Whiten)
			}
			models[method] = m
			scores[method] = readScores(t, sc)
		}
		g := models["gram"]
		for _, method := range []string{"dual", "randomized"} {
			m := models[method]
			for i := range g.Components {
				if d := m.Components[i] - g.Components[i]; d > 1e-7 || d < -1e-7 {
					t.Fatalf("%s %s: component value %d differs from gram by %g", name, method, i, d)
				}
			}
			for i := range g.ExplainedVarianceRatio {
				if d := m.ExplainedVarianceRatio[i]/g.ExplainedVarianceRatio[i] - 1; d > 1e-9 || d < -1e-9 {
					t.Errorf("%s %s: ratio %d differs from gram by %g", name, method, i, d)
				}
			}
			for i := range scores["gram"] {
				if d := scores[method][i] - scores["gram"][i]; d > 1e-6 || d < -1e-6 {
					t.Fatalf("%s %s: score %d differs from gram by %g", name, method, i, d)
				}
			}
		}
	}
}

func TestMethodAuto(t *testing.T) {
	in := filepath.Join(fixtures, "wide", "X.npy")
	code, stdout, stderr := runCLI("fit", in, "-k", "3")
	if code != 0 || !strings.Contains(stdout, "method auto chose gram: ") || !strings.Contains(stdout, "residual") {
		t.Errorf("auto default: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI("fit", in, "-k", "3", "--memory", "10M")
	if code != 0 || !strings.Contains(stdout, "method auto chose dual: ") {
		t.Errorf("auto, small budget: exit %d\n%s%s", code, stdout, stderr)
	}
	// A compressed copy cannot give column slabs: auto goes randomized;
	// --method dual refuses it, pointing to randomized.
	raw, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := zstd.NewWriter(nil)
	zpath := filepath.Join(t.TempDir(), "X.npy.zst")
	os.WriteFile(zpath, enc.EncodeAll(raw, nil), 0o644)
	code, stdout, stderr = runCLI("fit", zpath, "-k", "3", "--memory", "10M", "--json")
	var fj map[string]any
	json.Unmarshal([]byte(stdout), &fj)
	if code != 0 || fj["method"] != "randomized" || !strings.Contains(fj["method_reason"].(string), "column slabs") {
		t.Errorf("auto on zstd: exit %d\n%s%s", code, stdout, stderr)
	}
	out := t.TempDir()
	code, _, stderr = runCLI("fit", zpath, "-k", "3", "--method", "dual", "--model", filepath.Join(out, "m.h5"))
	if code != 2 || !strings.Contains(stderr, zpath) || !strings.Contains(stderr, "--method randomized") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("dual on zstd: exit %d: %s", code, stderr)
	}
	outDirEmpty(t, out)
	// Standard input: one pass, so auto is gram and the other routes refuse.
	code, _, stderr = runCLI("fit", "-", "--method", "randomized", "-k", "2")
	if code != 2 || !strings.Contains(stderr, "more than once") {
		t.Errorf("randomized on stdin: exit %d: %s", code, stderr)
	}
	for _, bad := range [][]string{{"--method", "svd"}, {"--memory", "lots"}, {"--tol", "-1"}, {"--iterations", "-2"}} {
		code, _, stderr = runCLI(append([]string{"fit", in}, bad...)...)
		if code != 2 || stderr == "" {
			t.Errorf("%v: exit %d: %s", bad, code, stderr)
		}
	}
	// --checkpoint saves the gram pass: refused for the other routes, with
	// nothing written, whether the route was asked for or chosen by auto.
	ck := filepath.Join(out, "ckpt")
	for _, args := range [][]string{{"--method", "dual"}, {"--method", "randomized"}, {"--memory", "10M"}} {
		code, _, stderr = runCLI(append([]string{"fit", in, "-k", "3", "--checkpoint", ck, "--model", filepath.Join(out, "m.h5")}, args...)...)
		if code != 2 || !strings.Contains(stderr, "--checkpoint") || !strings.Contains(stderr, "--method gram") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("--checkpoint %v: exit %d: %s", args, code, stderr)
		}
	}
	outDirEmpty(t, out)
	// --variance with randomized is refused (it cannot see the whole spectrum).
	code, _, stderr = runCLI("fit", in, "--variance", "0.5", "--method", "randomized")
	if code != 2 || !strings.Contains(stderr, "-k") {
		t.Errorf("randomized --variance: exit %d: %s", code, stderr)
	}
	// --variance with dual selects k from the whole n×n spectrum.
	code, stdout, stderr = runCLI("fit", in, "--variance", "0.5", "--method", "dual", "--json")
	json.Unmarshal([]byte(stdout), &fj)
	if code != 0 || fj["n_components"].(float64) != 2 {
		t.Errorf("dual --variance: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"123": 123, "4G": 4 << 30, "512M": 512 << 20, "1.5GB": 3 << 29, "2KiB": 2048, "1t": 1 << 40} {
		if got, err := parseBytes(in, false); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "G", "-1", "0", "x1"} {
		if _, err := parseBytes(in, false); err == nil {
			t.Errorf("parseBytes(%q) accepted", in)
		}
	}
}
