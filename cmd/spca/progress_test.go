package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spca/spca/stream"
)

func TestProgressJSON(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Unix(0, 0)
	r := &progressReporter{w: &buf, json: true, passes: 2, now: func() time.Time { return clock }}
	r.update(stream.Progress{Pass: "gram", Rows: 100, TotalRows: 1000, Bytes: 800})
	clock = clock.Add(time.Second)
	r.update(stream.Progress{Pass: "gram", Rows: 200, TotalRows: 1000, Bytes: 1600}) // too soon: no line
	clock = clock.Add(5 * time.Second)
	r.update(stream.Progress{Pass: "gram", Rows: 600, TotalRows: 1000, Bytes: 4800})
	clock = clock.Add(4 * time.Second)
	r.update(stream.Progress{Pass: "gram", Rows: 1000, TotalRows: 1000, Bytes: 8000, Done: true})
	r.update(stream.Progress{Pass: "transform", Rows: 1000, TotalRows: 1000, Bytes: 8000, Done: true})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	var got []progressJSON
	for _, l := range lines {
		var p progressJSON
		if err := json.Unmarshal([]byte(l), &p); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		got = append(got, p)
	}
	if got[0].Event != "pass_start" || got[1].Event != "progress" || got[2].Event != "pass_done" || got[3].PassIndex != 2 || got[3].Passes != 2 {
		t.Errorf("events: %+v", got)
	}
	// 600 rows in 6 s: 100 rows/s, 4800 bytes in 6 s, 400 rows left: ETA 4 s.
	if p := got[1]; p.RowsPerS != 100 || p.MBPerS != 800e-6 || p.ETA != 4 || p.Elapsed != 6 {
		t.Errorf("rates: %+v", p)
	}
}

func TestProgressTerminalLine(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Unix(0, 0)
	r := &progressReporter{w: &buf, passes: 1, now: func() time.Time { return clock }}
	r.update(stream.Progress{Pass: "transform", Rows: 10, TotalRows: 40, Bytes: 80})
	clock = clock.Add(2 * time.Second)
	r.update(stream.Progress{Pass: "transform", Rows: 20000, TotalRows: 40000, Bytes: 160000})
	out := buf.String()
	for _, want := range []string{"\rpass 1 of 1 (transform): 20,000 rows of 40,000 (50 %), 10.0k rows/s, 0.1 MB/s, ETA 0:02"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in %q", want, out)
		}
	}
}

// Progress is silent when stderr is not a terminal (a test buffer), and
// --log-json prints JSON lines whatever stderr is.
func TestProgressFlags(t *testing.T) {
	dir := t.TempDir()
	x := filepath.Join(fixtures, "tall_f64", "X.npy")
	code, _, stderr := runCLI("fit", x, "-k", "2", "--model", filepath.Join(dir, "a.h5"))
	if code != 0 || stderr != "" {
		t.Errorf("not a terminal: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCLI("fit", x, "-k", "2", "--scores", filepath.Join(dir, "s.npy"), "--log-json")
	if code != 0 || strings.Count(stderr, `"event":"pass_done"`) != 2 || !strings.Contains(stderr, `"passes":2`) {
		t.Errorf("--log-json: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCLI("fit", x, "-k", "2", "--log-json", "--quiet")
	if code != 0 || stderr != "" {
		t.Errorf("--quiet: exit %d, stderr %q", code, stderr)
	}
}
