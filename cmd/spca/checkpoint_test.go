package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spca/spca/statefile"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
	buildDir  string
)

// buildSpca builds the command once for the tests that signal a real
// process; TestMain removes it.
func buildSpca(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "spca-test-bin"); buildErr != nil {
			return
		}
		builtBin = filepath.Join(buildDir, "spca")
		gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
		out, err := exec.Command(gobin, "build", "-o", builtBin, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// runFor starts bin with args, sends sig after wait (none when wait < 0)
// and returns the exit status (-1 when killed) and stderr.
func runFor(t *testing.T, bin string, env []string, wait time.Duration, sig syscall.Signal, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	copied := make(chan struct{})
	ready := make(chan struct{})
	go func() {
		defer close(copied)
		buf := make([]byte, 4096)
		seen := false
		for {
			n, err := pr.Read(buf)
			stderr.Write(buf[:n])
			// The first line says the signal handlers are in place.
			if !seen && bytes.Contains(stderr.Bytes(), []byte("\n")) {
				seen = true
				close(ready)
			}
			if err != nil {
				if !seen {
					close(ready)
				}
				return
			}
		}
	}()
	if wait >= 0 {
		<-ready
		time.Sleep(wait)
		cmd.Process.Signal(sig)
	}
	err = cmd.Wait()
	<-copied
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stderr.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), stderr.String()
	}
	t.Fatal(err)
	return 0, ""
}

// TestCheckpointKillResume kills a checkpointed fit (kill -9 and SIGTERM,
// SIGUSR1) at several points, resumes it, possibly several times and with
// other thread counts, and checks that every resumed run writes the same
// model bytes as an uninterrupted fit.
func TestCheckpointKillResume(t *testing.T) {
	bin := buildSpca(t)
	dir := t.TempDir()
	input, _ := clusterMatrix(t, dir, 6000, 12)
	// The reference comes from the same binary (the test itself may be
	// built with other tags, such as noopenblas).
	ref := filepath.Join(dir, "ref.h5")
	if code, e := runFor(t, bin, nil, -1, 0, "fit", input, "-k", "5", "--block-rows", "100", "--model", ref); code != 0 {
		t.Fatalf("reference fit: exit %d: %s", code, e)
	}
	want, _ := os.ReadFile(ref)

	slow := []string{"SPCA_TEST_BLOCK_DELAY=4ms"} // 60 blocks: about 0.25 s
	type kill struct {
		after time.Duration
		sig   syscall.Signal
	}
	for i, plan := range [][]kill{
		{{30 * time.Millisecond, syscall.SIGKILL}},
		{{90 * time.Millisecond, syscall.SIGTERM}},
		{{150 * time.Millisecond, syscall.SIGUSR1}},
		{{25 * time.Millisecond, syscall.SIGTERM}, {40 * time.Millisecond, syscall.SIGKILL}, {60 * time.Millisecond, syscall.SIGTERM}},
		{{70 * time.Millisecond, syscall.SIGKILL}, {70 * time.Millisecond, syscall.SIGKILL}, {20 * time.Millisecond, syscall.SIGUSR1}},
		{{200 * time.Millisecond, syscall.SIGKILL}, {10 * time.Millisecond, syscall.SIGTERM}},
		{{60 * time.Millisecond, syscall.SIGINT}, {60 * time.Millisecond, syscall.SIGTERM}}, // Ctrl-C aborts: 130
	} {
		ck := filepath.Join(dir, fmt.Sprintf("ck%d", i))
		model := filepath.Join(dir, fmt.Sprintf("m%d.h5", i))
		args := []string{"fit", input, "-k", "5", "--block-rows", "100", "--model", model, "--checkpoint", ck, "--checkpoint-every", "3"}
		for j, k := range plan {
			threads := []string{"--threads", fmt.Sprint(1 + (i+j)%2)}
			code, stderr := runFor(t, bin, slow, k.after, k.sig, append(args, threads...)...)
			switch {
			case k.sig == syscall.SIGKILL && code != -1 && code != 0:
				t.Fatalf("plan %d step %d: kill -9: exit %d: %s", i, j, code, stderr)
			case k.sig == syscall.SIGINT && code != 130:
				t.Fatalf("plan %d step %d: Ctrl-C: exit %d, want 130: %s", i, j, code, stderr)
			case k.sig != syscall.SIGKILL && k.sig != syscall.SIGINT && code != ExitCheckpointed && code != 0:
				t.Fatalf("plan %d step %d: %v: exit %d, want %d: %s", i, j, k.sig, code, ExitCheckpointed, stderr)
			case code == ExitCheckpointed && !strings.Contains(stderr, "run the same command again to resume"):
				t.Errorf("plan %d step %d: stderr %q", i, j, stderr)
			}
			if code == ExitCheckpointed {
				if _, err := os.Stat(model); err == nil {
					t.Fatalf("plan %d step %d: a model was written by a stopped run", i, j)
				}
			}
			all, _ := statefile.Checkpoints(ck)
			// Two are kept; a kill -9 between the rename of a new one and
			// the removal of the oldest may leave three until the next save.
			if limit := map[bool]int{true: 3, false: 2}[k.sig == syscall.SIGKILL]; len(all) > limit {
				t.Errorf("plan %d step %d: %d checkpoints kept, want at most %d", i, j, len(all), limit)
			}
			if code == 0 && j == 0 {
				t.Fatalf("plan %d: the fit ended before the first signal, so nothing was tested", i)
			}
			if code == 0 {
				break
			}
		}
		if code, stderr := runFor(t, bin, nil, -1, 0, args...); code != 0 {
			t.Fatalf("plan %d: final run: exit %d: %s", i, code, stderr)
		}
		got, _ := os.ReadFile(model)
		if !bytes.Equal(got, want) {
			t.Errorf("plan %d: the resumed model differs from the uninterrupted fit", i)
		}
		if all, _ := statefile.Checkpoints(ck); len(all) != 0 {
			t.Errorf("plan %d: %d checkpoints left after the model was written", i, len(all))
		}
	}
}

// TestCheckpointRefused: a flipped byte is refused by the CRC; a checkpoint
// of another input or another --block-rows is refused with the reason.
func TestCheckpointRefused(t *testing.T) {
	bin := buildSpca(t)
	dir := t.TempDir()
	input, _ := clusterMatrix(t, dir, 6000, 12)
	ck := filepath.Join(dir, "ck")
	model := filepath.Join(dir, "m.h5")
	args := []string{"fit", input, "-k", "5", "--block-rows", "100", "--model", model, "--checkpoint", ck, "--checkpoint-every", "2"}
	stop := func() {
		t.Helper()
		os.RemoveAll(ck)
		if code, e := runFor(t, bin, []string{"SPCA_TEST_BLOCK_DELAY=4ms"}, 80*time.Millisecond, syscall.SIGTERM, args...); code != ExitCheckpointed {
			t.Fatalf("SIGTERM: exit %d: %s", code, e)
		}
	}

	stop()
	all, _ := statefile.Checkpoints(ck)
	newest := all[len(all)-1]
	raw, _ := os.ReadFile(newest)
	for _, at := range []int{40, len(raw) / 2, len(raw) - 9} {
		b := append([]byte(nil), raw...)
		b[at] ^= 0x04
		os.WriteFile(newest, b, 0o644)
		code, e := runFor(t, bin, nil, -1, 0, args...)
		if code != 2 || !strings.Contains(e, "CRC") || !strings.Contains(e, newest) {
			t.Errorf("byte %d flipped: exit %d, %q; want 2 and a CRC mismatch naming the file", at, code, e)
		}
	}
	os.WriteFile(newest, raw, 0o644)

	code, e := runFor(t, bin, nil, -1, 0, append(args, "--block-rows", "50")...)
	if code != 2 || !strings.Contains(e, "--block-rows 100, this run 50") {
		t.Errorf("other --block-rows: exit %d, %q", code, e)
	}
	if _, err := os.Stat(model); err == nil {
		t.Error("a refused resume wrote a model")
	}
	other := filepath.Join(dir, "other.npy")
	clusterMatrixTo(t, other, 5000, 12)
	os.Rename(other, input) // same path, other contents
	code, e = runFor(t, bin, nil, -1, 0, args...)
	if code != 2 || !strings.Contains(e, "checkpoint of another run") || !strings.Contains(e, "size") {
		t.Errorf("other input: exit %d, %q", code, e)
	}
}

func clusterMatrixTo(t *testing.T, path string, n, p int) {
	t.Helper()
	d := t.TempDir()
	src, _ := clusterMatrix(t, d, n, p)
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, b, 0o644)
}
