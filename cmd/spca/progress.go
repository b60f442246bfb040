package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/spca/spca/stream"
)

// Progress output. On a terminal one line per pass is redrawn in place
// (rows, rows/s, MB/s, ETA, pass i of N); --log-json prints one JSON object
// per line every logInterval for batch systems' logs; otherwise, and with
// --quiet, nothing.
const (
	redrawInterval = 250 * time.Millisecond
	logInterval    = 5 * time.Second
)

// progressJSON is one --log-json line.
type progressJSON struct {
	Event     string  `json:"event"` // "pass_start" (after the first block), "progress", "pass_done"
	Pass      string  `json:"pass"`
	PassIndex int     `json:"pass_index"`
	Passes    int     `json:"passes"`
	Rows      int64   `json:"rows"`
	TotalRows int64   `json:"total_rows"` // -1 when unknown (standard input)
	Bytes     int64   `json:"bytes"`
	Elapsed   float64 `json:"elapsed_s"`
	RowsPerS  float64 `json:"rows_per_s"`
	MBPerS    float64 `json:"mb_per_s"`
	ETA       float64 `json:"eta_s"` // -1 when unknown
}

type progressReporter struct {
	mu       sync.Mutex
	w        io.Writer
	json     bool
	passes   int
	index    int
	pass     string
	start    time.Time
	last     time.Time
	now      func() time.Time
	drawnLen int
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// newProgress returns the Options.Progress callback for a command making
// passes passes, or nil when nothing is to be shown.
func newProgress(stderr io.Writer, passes int, quiet, logJSON bool) func(stream.Progress) {
	if quiet {
		return nil
	}
	if !logJSON && !isTerminal(stderr) {
		return nil
	}
	r := &progressReporter{w: stderr, json: logJSON, passes: passes, now: time.Now}
	return r.update
}

func (r *progressReporter) update(p stream.Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if p.Pass != r.pass || r.index == 0 {
		r.pass, r.start, r.last = p.Pass, now, time.Time{}
		r.index++
	}
	interval := redrawInterval
	if r.json {
		interval = logInterval
	}
	if !p.Done && now.Sub(r.last) < interval {
		return
	}
	first := r.last.IsZero()
	r.last = now
	s := r.stats(p, now)
	if r.json {
		switch {
		case p.Done:
			s.Event = "pass_done"
		case first:
			s.Event = "pass_start"
		}
		b, _ := json.Marshal(s)
		fmt.Fprintf(r.w, "%s\n", b)
		return
	}
	line := fmt.Sprintf("pass %d of %d (%s): %s rows", s.PassIndex, s.Passes, s.Pass, groupDigits(s.Rows))
	if s.TotalRows >= 0 {
		line += fmt.Sprintf(" of %s (%.0f %%)", groupDigits(s.TotalRows), 100*float64(s.Rows)/float64(max(s.TotalRows, 1)))
	}
	line += fmt.Sprintf(", %s rows/s, %.1f MB/s", humanRate(s.RowsPerS), s.MBPerS)
	switch {
	case p.Done:
		line += fmt.Sprintf(", done in %s", clock(s.Elapsed))
	case s.ETA >= 0:
		line += ", ETA " + clock(s.ETA)
	}
	pad := max(r.drawnLen-len(line), 0)
	fmt.Fprintf(r.w, "\r%s%*s", line, pad, "")
	r.drawnLen = len(line)
	if p.Done {
		fmt.Fprintln(r.w)
		r.drawnLen = 0
	}
}

func (r *progressReporter) stats(p stream.Progress, now time.Time) progressJSON {
	el := now.Sub(r.start).Seconds()
	s := progressJSON{Event: "progress", Pass: p.Pass, PassIndex: r.index, Passes: max(r.passes, r.index),
		Rows: p.Rows, TotalRows: p.TotalRows, Bytes: p.Bytes, Elapsed: el, ETA: -1}
	if el > 0 {
		s.RowsPerS = float64(p.Rows) / el
		s.MBPerS = float64(p.Bytes) / el / 1e6
	}
	if p.TotalRows >= 0 && s.RowsPerS > 0 {
		s.ETA = float64(p.TotalRows-p.Rows) / s.RowsPerS
	}
	if p.Done {
		s.ETA = 0
	}
	return s
}

func groupDigits(n int64) string {
	s := fmt.Sprintf("%d", n)
	out := []byte{}
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func humanRate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

func clock(sec float64) string {
	d := time.Duration(sec * float64(time.Second)).Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}
