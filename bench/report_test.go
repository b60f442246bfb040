package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func loadReport(t *testing.T) *Report {
	t.Helper()
	b, err := os.ReadFile("testdata/report.json")
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return &rep
}

// The table of a fixed results file matches the golden file: ratios to the
// fastest spca method, spca's fraction of the limit (the slower of read and
// the faster DSYRK), skipped and failed rows, escaped notes.
func TestTableGolden(t *testing.T) {
	got := Table(loadReport(t))
	const golden = "testdata/report.golden.md"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("table differs from %s (run go test ./bench -run TestTableGolden -update to accept):\n%s", golden, got)
	}
}

func TestLimitAndBest(t *testing.T) {
	rep := loadReport(t)
	runs := setRuns(rep, "tall")
	if b := spcaBest(runs); b == nil || b.Peer != "spca --method gram" {
		t.Errorf("fastest spca row: %+v", b)
	}
	if secs, what := limit(runs); secs != 1.6 || what != "DSYRK" {
		t.Errorf("limit %g (%s), want 1.6 (DSYRK)", secs, what)
	}
	wide := setRuns(rep, "wide")
	if b := spcaBest(wide); b != nil {
		t.Errorf("wide has no spca run, got %+v", b)
	}
	if secs, what := limit(wide); secs != 0.85 || what != "read + decompress" {
		t.Errorf("wide limit %g (%s), want 0.85 (read + decompress)", secs, what)
	}
}

// The report files (JSON round trip, table, PNG chart, BENCHMARKS.md keeping
// the hand-written notes) are written.
func TestWriteReport(t *testing.T) {
	rep := loadReport(t)
	dir := t.TempDir()
	md := filepath.Join(dir, "BENCHMARKS.md")
	if err := os.WriteFile(md, []byte("old\n"+notesMarker+"\nhand-written analysis\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeReport(rep, dir, "r", md); err != nil {
		t.Fatal(err)
	}
	png, err := os.ReadFile(filepath.Join(dir, "r.png"))
	if err != nil || len(png) < 8 || string(png[1:4]) != "PNG" {
		t.Errorf("chart is not a PNG (%d bytes, %v)", len(png), err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "r.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(&back, rep) {
		t.Errorf("JSON round trip changed the report (%v)", err)
	}
	out, _ := os.ReadFile(md)
	for _, want := range []string{"spca-bench run --reps 3", "CPU: Test CPU", "| tall | 2.100 |", "![wall time", notesMarker + "\nhand-written analysis\n"} {
		if !contains(string(out), want) {
			t.Errorf("BENCHMARKS.md lacks %q", want)
		}
	}
	if contains(string(out), "old\n") {
		t.Error("BENCHMARKS.md kept the old generated part")
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func TestParseMethods(t *testing.T) {
	today := "Usage: spca fit INPUT\n\nFlags:\n  -block-rows int\n    \trows per block\n  -json\n    \tprint JSON\n"
	if got := parseMethods(today); !reflect.DeepEqual(got, []string{""}) {
		t.Errorf("no --method flag: %q, want the single default route", got)
	}
	later := "Usage: spca fit INPUT\n\nFlags:\n  -json\n    \tprint JSON\n  -method name\n    \tgram (p×p Gram), dual (n×n Gram for p ≫ n),\n    \trandomized or auto (default auto)\n  -model file\n    \twrite the model; the gram route is exact\n"
	if got := parseMethods(later); !reflect.DeepEqual(got, []string{"gram", "dual", "randomized"}) {
		t.Errorf("with --method: %q", got)
	}
	// spca's own help: the usage line names [--method M] too, and only the
	// flag's text counts.
	current := "Usage: spca fit INPUT [-k N] [--method M] [flags]\n\nFlags:\n  --memory BUDGET\n      memory budget for auto's choice\n  --method ROUTE\n      fitting route: auto, gram, dual or randomized (see above) (default auto)\n  --model FILE\n      write the model\n"
	if got := parseMethods(current); !reflect.DeepEqual(got, []string{"gram", "dual", "randomized"}) {
		t.Errorf("spca's help: %q", got)
	}
	usageOnly := "Usage: spca fit INPUT [--method M]\n\nFlags:\n  --model FILE\n      the gram route, dual or randomized\n"
	if got := parseMethods(usageOnly); !reflect.DeepEqual(got, []string{""}) {
		t.Errorf("usage line only: %q", got)
	}
	partial := "Usage: spca fit INPUT\n  -method string\n    \tgram|dual|auto\n  -model file\n    \trandomized is not a method here\n"
	if got := parseMethods(partial); !reflect.DeepEqual(got, []string{"gram", "dual"}) {
		t.Errorf("gram|dual|auto: %q", got)
	}
}
