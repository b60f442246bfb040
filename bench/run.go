package main

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/hdf5io"
)

const runUsage = `spca-bench run [--quick] [--sets tall,iobound,images,wide] [--reps 3] [flags]

Generates the named data sets (fixed seeds; cached in --cache), computes a
float64 reference for each, then runs every applicable peer on each set,
alternating peers within each repetition: spca (one row per method its
"fit --help" lists), NumPy chunked Gram + eigh, scikit-learn PCA (full and
randomized), IncrementalPCA batch by batch, gonum stat.PC in memory, and
the limits (read + decompress only; OpenBLAS DSYRK on the same work). Each
row reports the median wall time, the peak RSS (wait4 rusage of the child),
and the accuracy against the reference: the largest relative error of the
top-k eigenvalues and the largest principal angle. Writes NAME.json,
NAME.md and NAME.png into --out, and with --benchmarks-md the report with
the machine description and the command.`

// Run is one (data set, peer) row of the report.
type Run struct {
	Set      string    `json:"set"`
	Peer     string    `json:"peer"`
	Kind     string    `json:"kind"` // "spca", "peer" or "limit"
	Walls    []float64 `json:"walls,omitempty"`
	Wall     float64   `json:"wall"`                // median of Walls, seconds
	RSSMiB   float64   `json:"rss_mib"`             // largest peak RSS over the runs
	EigErr   *float64  `json:"eig_err,omitempty"`   // largest relative error, top k eigenvalues
	AngleRad *float64  `json:"angle_rad,omitempty"` // largest principal angle to the reference
	Note     string    `json:"note,omitempty"`      // why it did not run, or failed
}

// SetInfo describes one data set as run.
type SetInfo struct {
	Name   string  `json:"name"`
	What   string  `json:"what"`
	Rows   int64   `json:"rows"`
	Cols   int64   `json:"cols"`
	File   string  `json:"file"`
	MiB    float64 `json:"file_mib"`
	RefSec float64 `json:"reference_seconds"`
}

// Report is everything one run of the harness measured.
type Report struct {
	Command    string    `json:"command"`
	Machine    []string  `json:"machine"`
	Started    string    `json:"started"`
	Seconds    float64   `json:"seconds"`
	Quick      bool      `json:"quick"`
	Threads    int       `json:"threads"`
	Reps       int       `json:"reps"`
	K          int       `json:"k"`
	Conditions string    `json:"conditions,omitempty"`
	LoadStart  string    `json:"load_start,omitempty"` // /proc/loadavg when the run started
	LoadEnd    string    `json:"load_end,omitempty"`   // and when the last set finished
	Sets       []SetInfo `json:"sets"`
	Runs       []Run     `json:"runs"`
}

type runEnv struct {
	spca, self, python, peers string
	threads, k, reps          int
	memBytes                  float64
	budget                    float64
	methods                   []string // spca fit methods; "" means no --method flag
}

// peerDef is one row of the benchmark: how to run it on a data set, or why not.
type peerDef struct {
	name, kind string
	argv       func(e *runEnv, d dataset, file, out string) (argv []string, skip string)
	output     string // "model" (spca's HDF5 model), "npy" (PREFIX.values/components.npy) or ""
}

func rawArgs(d dataset) []string {
	if !d.raw() {
		return nil
	}
	return []string{"--cols", strconv.FormatInt(d.Cols, 10), "--dtype", d.DType, "--rows", strconv.FormatInt(d.Rows, 10)}
}

func gib(b float64) string { return fmt.Sprintf("%.1f GiB", b/(1<<30)) }

// memSkip says why a peer needing need bytes does not run, or "".
func memSkip(e *runEnv, need float64, what string) string {
	if need > e.memBytes {
		return fmt.Sprintf("needs %s for %s (budget %s)", gib(need), what, gib(e.memBytes))
	}
	return ""
}

func python(e *runEnv, script string, d dataset, file, out string, extra ...string) []string {
	a := []string{e.python, filepath.Join(e.peers, script)}
	a = append(a, extra...)
	a = append(a, "--k", strconv.Itoa(e.k), "--out", out)
	a = append(a, rawArgs(d)...)
	return append(a, file)
}

// peerDefs lists the rows in the order they run within a repetition.
func peerDefs(e *runEnv) []peerDef {
	var defs []peerDef
	for _, m := range e.methods {
		m := m
		name := "spca"
		if m != "" {
			name = "spca --method " + m
		} else {
			name = "spca (gram)"
		}
		defs = append(defs, peerDef{name: name, kind: "spca", output: "model",
			argv: func(e *runEnv, d dataset, file, out string) ([]string, string) {
				n, p := float64(d.Rows), float64(d.Cols)
				switch m {
				case "", "gram":
					if s := memSkip(e, p*p*8*float64(e.threads+3), "p×p Gram matrices"); s != "" {
						return nil, s
					}
				case "dual":
					if n > p {
						return nil, "n > p: the n×n route is for wide data (its eigen-solve costs n³)"
					}
					if s := memSkip(e, n*n*8*float64(e.threads+3), "n×n Gram matrices"); s != "" {
						return nil, s
					}
				}
				a := []string{e.spca, "fit", "-k", strconv.Itoa(e.k), "--threads", strconv.Itoa(e.threads),
					"--model", out + ".model.h5", "--json"}
				if m != "" {
					a = append(a, "--method", m)
				}
				if d.raw() {
					a = append(a, "--cols", strconv.FormatInt(d.Cols, 10), "--dtype", d.DType)
				}
				return append(a, file), ""
			}})
	}
	defs = append(defs,
		peerDef{name: "NumPy chunked Gram + eigh", kind: "peer", output: "npy",
			argv: func(e *runEnv, d dataset, file, out string) ([]string, string) {
				n, p := float64(d.Rows), float64(d.Cols)
				if p > n {
					if s := memSkip(e, n*p*8*3, "X in memory (dual)"); s != "" {
						return nil, s
					}
					return python(e, "numpy_gram.py", d, file, out, "--dual"), "p > n: X·Xᵀ of X in memory (dual)"
				}
				if s := memSkip(e, p*p*8*4, "p×p Gram + eigh"); s != "" {
					return nil, s
				}
				return python(e, "numpy_gram.py", d, file, out), ""
			}},
		peerDef{name: "scikit-learn PCA full", kind: "peer", output: "npy",
			argv: func(e *runEnv, d dataset, file, out string) ([]string, string) {
				if s := memSkip(e, float64(d.Rows)*float64(d.Cols)*8*4, "X, its centred copy and the SVD"); s != "" {
					return nil, s
				}
				return python(e, "sklearn_pca.py", d, file, out, "--solver", "full"), ""
			}},
		peerDef{name: "scikit-learn PCA randomized", kind: "peer", output: "npy",
			argv: func(e *runEnv, d dataset, file, out string) ([]string, string) {
				if s := memSkip(e, float64(d.Rows)*float64(d.Cols)*8*3, "X and its centred copy"); s != "" {
					return nil, s
				}
				return python(e, "sklearn_pca.py", d, file, out, "--solver", "randomized"), ""
			}},
		peerDef{name: "scikit-learn IncrementalPCA", kind: "peer", output: "npy",
			argv: func(e *runEnv, d dataset, file, out string) ([]string, string) {
				return python(e, "sklearn_pca.py", d, file, out, "--solver", "incremental"), ""
			}},
		peerDef{name: "gonum stat.PC (in memory)", kind: "peer", output: "npy",
			argv: func(e *runEnv, d dataset, file, out string) ([]string, string) {
				if d.Cols > 4096 {
					return nil, "pure-Go SVD with p > 4096: out of reach"
				}
				if s := memSkip(e, float64(d.Rows)*float64(d.Cols)*8*3, "X, its centred copy and U"); s != "" {
					return nil, s
				}
				a := []string{e.self, "peer-gonum", "--k", strconv.Itoa(e.k), "--out", out}
				if d.raw() {
					a = append(a, "--cols", strconv.FormatInt(d.Cols, 10), "--dtype", d.DType)
				}
				return append(a, file), ""
			}},
		peerDef{name: "limit: read + decompress", kind: "limit",
			argv: func(e *runEnv, d dataset, file, out string) ([]string, string) {
				return []string{e.self, "limit-read", file}, ""
			}},
		peerDef{name: "limit: DSYRK, goroutines × 1 thread", kind: "limit",
			argv: func(e *runEnv, d dataset, file, out string) ([]string, string) {
				return dsyrkArgs(e, d, "goroutines"), ""
			}},
		peerDef{name: "limit: DSYRK, 1 call × OpenBLAS threads", kind: "limit",
			argv: func(e *runEnv, d dataset, file, out string) ([]string, string) {
				return dsyrkArgs(e, d, "openblas"), ""
			}},
	)
	return defs
}

// dsyrkArgs: the cheaper Gram's work, max(n,p)·min(n,p)² flops.
func dsyrkArgs(e *runEnv, d dataset, mode string) []string {
	rows, cols := d.Rows, d.Cols
	if cols > rows {
		rows, cols = cols, rows
	}
	return []string{e.self, "limit-dsyrk", "--rows", strconv.FormatInt(rows, 10), "--cols", strconv.FormatInt(cols, 10),
		"--threads", strconv.Itoa(e.threads), "--mode", mode}
}

// methodFlag finds the --method flag in the flag list (not in the usage line).
var methodFlag = regexp.MustCompile(`(?m)^[ \t]+--?method\b`)

// spcaMethods asks the spca binary which fit methods it has: every one of
// gram, dual and randomized that "spca fit --help" names in the text of a
// --method flag; none listed (no such flag) means the single Gram route.
func spcaMethods(spca string) ([]string, error) {
	out, _ := exec.Command(spca, "fit", "--help").CombinedOutput()
	help := string(out)
	if !strings.Contains(help, "Usage: spca fit") {
		return nil, fmt.Errorf("%s fit --help: unexpected output %q", spca, firstLine(help))
	}
	return parseMethods(help), nil
}

func parseMethods(help string) []string {
	loc := methodFlag.FindStringIndex(help)
	if loc == nil {
		return []string{""}
	}
	// The flag's text: its line and the indented description lines after it.
	text := help[loc[0]:]
	lines := strings.Split(text, "\n")
	block := lines[0]
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, "    ") || strings.HasPrefix(strings.TrimSpace(l), "-") {
			break
		}
		block += " " + l
	}
	var ms []string
	for _, m := range []string{"gram", "dual", "randomized"} {
		if regexp.MustCompile(`\b` + m + `\b`).MatchString(block) {
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 {
		return []string{""}
	}
	return ms
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// child runs argv with the harness's thread settings and returns its wall
// time, peak RSS in MiB, stdout and an error carrying the last line of
// stderr. The peak RSS is the child's wait4 ru_maxrss, taken by GNU time
// (/usr/bin/time -f %M) rather than by this process: Go starts children by
// vfork, and Linux carries the parent's high-water mark across that exec,
// so a direct child would report at least the harness's own RSS.
func child(e *runEnv, argv []string) (wall, rssMiB float64, stdout string, err error) {
	rssFile, err := os.CreateTemp("", "spca-bench-rss-")
	if err != nil {
		return 0, 0, "", err
	}
	rssFile.Close()
	defer os.Remove(rssFile.Name())
	full := append([]string{"/usr/bin/time", "-f", "%M", "-o", rssFile.Name()}, argv...)
	cmd := exec.Command(full[0], full[1:]...)
	t := strconv.Itoa(e.threads)
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS="+t, "OPENBLAS_NUM_THREADS="+t, "MKL_NUM_THREADS="+t,
		"GOMAXPROCS="+t, "PYTHONDONTWRITEBYTECODE=1")
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	t0 := time.Now()
	err = cmd.Run()
	wall = time.Since(t0).Seconds()
	if b, e := os.ReadFile(rssFile.Name()); e == nil {
		f := strings.Fields(string(b))
		if len(f) > 0 {
			kib, _ := strconv.ParseFloat(f[len(f)-1], 64)
			rssMiB = kib / 1024
		}
	}
	if err != nil {
		lines := strings.Split(strings.TrimSpace(se.String()), "\n")
		err = fmt.Errorf("%v: %s", err, lines[len(lines)-1])
	}
	return wall, rssMiB, so.String(), err
}

// answer is a peer's top-k eigenvalues and components (k×p row-major).
type answer struct {
	values, comps []float64
	p             int
}

func readAnswer(kind, out string) (answer, error) {
	if kind == "model" {
		f, err := hdf5io.OpenFile(out + ".model.h5")
		if err != nil {
			return answer{}, err
		}
		defer f.Close()
		_, p, comps, err := f.ReadMatrix("components")
		if err != nil {
			return answer{}, err
		}
		vals, err := f.ReadVector("explained_variance")
		return answer{vals, comps, p}, err
	}
	vals, _, err := readNpy(out + ".values.npy")
	if err != nil {
		return answer{}, err
	}
	comps, p, err := readNpy(out + ".components.npy")
	return answer{vals, comps, p}, err
}

func readNpy(path string) ([]float64, int, error) {
	r, err := chunk.Open(path, chunk.Options{})
	if err != nil {
		return nil, 0, err
	}
	defer r.Close()
	p := r.Info().Cols
	rows := r.Info().Rows
	data := make([]float64, int(rows)*p)
	got := 0
	for got < len(data) {
		n, err := r.ReadRows(data[got:])
		got += n * p
		if err != nil {
			return nil, 0, err
		}
	}
	return data, p, nil
}

func accuracy(got, ref answer, k int) (eig, angle float64, err error) {
	if got.p != ref.p {
		return 0, 0, fmt.Errorf("components have %d columns, the reference %d", got.p, ref.p)
	}
	if eig, err = EigenvalueError(got.values, ref.values, k); err != nil {
		return 0, 0, err
	}
	angle, err = LargestPrincipalAngle(got.comps, ref.comps, k, ref.p)
	return eig, angle, err
}

func median(x []float64) float64 {
	s := slices.Clone(x)
	sort.Float64s(s)
	n := len(s)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func cmdRun(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	quick := fs.Bool("quick", false, "small sizes (about 1/10 of the rows); finishes in under 2 minutes")
	sets := fs.String("sets", "tall,iobound,images,wide", "comma-separated data sets")
	reps := fs.Int("reps", 3, "repetitions per peer (the median is reported; at least 3)")
	k := fs.Int("k", 10, "components")
	threads := fs.Int("threads", runtime.NumCPU(), "threads for every peer (spca --threads, OMP/OpenBLAS/GOMAXPROCS)")
	spca := fs.String("spca", "bin/spca", "the spca binary")
	py := fs.String("python", "/usr/bin/python3", "Python with numpy, scikit-learn, h5py, zstandard")
	peersDir := fs.String("peers", "bench/peers", "directory of the Python peer scripts")
	cache := fs.String("cache", "bench/results/cache", "data set cache (gitignored)")
	outDir := fs.String("out", "bench/results", "where NAME.json, NAME.md and NAME.png go")
	name := fs.String("name", "", "report name (default: latest, or quick with --quick)")
	memGiB := fs.Float64("mem-gib", 8, "memory budget per peer: peers needing more are listed as skipped")
	budget := fs.Float64("budget", 300, "a peer whose first run takes longer than this many seconds is not repeated")
	bmd := fs.String("benchmarks-md", "", "also write the report with machine and command to this file (BENCHMARKS.md)")
	conditions := fs.String("conditions", "", "free text on the machine's state during the run, quoted in the report")
	prepare := fs.Bool("prepare", false, "only generate the data sets and their references, then stop")
	fs.Usage = func() { fmt.Fprintln(fs.Output(), runUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *reps < 3 {
		return fmt.Errorf("--reps must be at least 3 (the report gives medians)")
	}
	if *name == "" {
		*name = "latest"
		if *quick {
			*name = "quick"
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	methods, err := spcaMethods(*spca)
	if err != nil {
		return err
	}
	e := &runEnv{spca: *spca, self: self, python: *py, peers: *peersDir, threads: *threads, k: *k, reps: *reps,
		memBytes: *memGiB * (1 << 30), budget: *budget, methods: methods}
	start := time.Now()
	rep := &Report{Command: commandLine(), Machine: machine(*py), Started: start.UTC().Format(time.RFC3339),
		Quick: *quick, Threads: *threads, Reps: *reps, K: *k, Conditions: *conditions, LoadStart: loadavg()}
	tmp, err := os.MkdirTemp("", "spca-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	defs := peerDefs(e)
	for _, sname := range strings.Split(*sets, ",") {
		i := slices.IndexFunc(datasets, func(d dataset) bool { return d.Name == sname })
		if i < 0 {
			return fmt.Errorf("unknown data set %q", sname)
		}
		d := datasets[i].sized(*quick)
		logf("%s: %d × %d %s", d.Name, d.Rows, d.Cols, d.Suffix)
		file, err := d.ensure(*cache)
		if err != nil {
			return err
		}
		st, _ := os.Stat(file)
		si := SetInfo{Name: d.Name, What: d.What, Rows: d.Rows, Cols: d.Cols, File: filepath.Base(file), MiB: float64(st.Size()) / (1 << 20)}
		// The float64 reference, cached beside the data.
		refPrefix := fmt.Sprintf("%s.ref-k%d", file, *k)
		if _, err := os.Stat(refPrefix + ".components.npy"); err != nil {
			logf("  float64 reference")
			t0 := time.Now()
			if _, _, _, err := child(e, python(e, "reference.py", d, file, refPrefix)); err != nil {
				return fmt.Errorf("%s: reference: %w", d.Name, err)
			}
			si.RefSec = time.Since(t0).Seconds()
		}
		if *prepare {
			continue
		}
		ref, err := readAnswer("npy", refPrefix)
		if err != nil {
			return err
		}
		rep.Sets = append(rep.Sets, si)
		// Warm the page cache for everyone: one untimed read.
		child(e, []string{self, "limit-read", file})
		runs := make([]Run, len(defs))
		argvs := make([][]string, len(defs))
		for j, pd := range defs {
			runs[j] = Run{Set: d.Name, Peer: pd.name, Kind: pd.kind}
			argvs[j], runs[j].Note = pd.argv(e, d, file, filepath.Join(tmp, fmt.Sprintf("%s-%d", d.Name, j)))
			if argvs[j] == nil && runs[j].Note == "" {
				runs[j].Note = "not applicable"
			}
		}
		for r := 0; r < *reps; r++ {
			for j, pd := range defs {
				run := &runs[j]
				if argvs[j] == nil {
					continue
				}
				out := filepath.Join(tmp, fmt.Sprintf("%s-%d", d.Name, j))
				wall, rss, _, err := child(e, argvs[j])
				if err != nil {
					run.Note = "failed: " + err.Error()
					argvs[j] = nil
					logf("  %-42s %v", pd.name, err)
					continue
				}
				run.Walls = append(run.Walls, wall)
				run.RSSMiB = math.Max(run.RSSMiB, rss)
				logf("  rep %d  %-42s %8.3f s %8.0f MiB", r+1, pd.name, wall, rss)
				if pd.output != "" {
					got, err := readAnswer(pd.output, out)
					if err == nil {
						var eig, ang float64
						if eig, ang, err = accuracy(got, ref, *k); err == nil {
							if run.EigErr == nil || eig > *run.EigErr {
								run.EigErr = &eig
							}
							if run.AngleRad == nil || ang > *run.AngleRad {
								run.AngleRad = &ang
							}
						}
					}
					if err != nil {
						run.Note = "accuracy: " + err.Error()
					}
				}
				if wall > e.budget && r == 0 {
					run.Note = fmt.Sprintf("one run only: took more than the %g s budget", e.budget)
					argvs[j] = nil
				}
			}
		}
		for j := range runs {
			runs[j].Wall = median(runs[j].Walls)
			if len(runs[j].Walls) == 0 {
				runs[j].Wall = 0
			}
		}
		rep.Runs = append(rep.Runs, runs...)
		// A report after every set: a long run interrupted keeps what it measured.
		rep.Seconds = time.Since(start).Seconds()
		rep.LoadEnd = loadavg()
		if err := writeReport(rep, *outDir, *name, *bmd); err != nil {
			return err
		}
	}
	logf("done in %.0f s", time.Since(start).Seconds())
	if !*prepare {
		fmt.Print(Table(rep))
	}
	return nil
}

// loadavg is the 1, 5 and 15 minute load averages, to judge how quiet the
// machine was.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

func commandLine() string {
	a := []string{"spca-bench"}
	for _, s := range os.Args[1:] {
		if strings.ContainsAny(s, " '\"") {
			s = strconv.Quote(s)
		}
		a = append(a, s)
	}
	return strings.Join(a, " ")
}

// machine describes the host: CPU, cores, memory, OS, and the versions of
// the peers' libraries.
func machine(py string) []string {
	var m []string
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				_, v, _ := strings.Cut(l, ":")
				m = append(m, fmt.Sprintf("CPU: %s, %d logical cores", strings.TrimSpace(v), runtime.NumCPU()))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		l, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(l)
		if len(f) >= 2 {
			kb, _ := strconv.ParseFloat(f[1], 64)
			m = append(m, fmt.Sprintf("memory: %.1f GiB", kb/(1<<20)))
		}
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				m = append(m, "OS: "+strings.Trim(v, `"`))
			}
		}
	}
	m = append(m, "Go: "+runtime.Version())
	if out, err := exec.Command("dpkg-query", "-W", "-f=${Version}", "libopenblas0-pthread").Output(); err == nil {
		m = append(m, "OpenBLAS (Debian libopenblas0-pthread): "+string(out))
	}
	if out, err := exec.Command(py, "-c", "import sys, numpy, sklearn, h5py; print(sys.version.split()[0], numpy.__version__, sklearn.__version__, h5py.__version__)").Output(); err == nil {
		f := strings.Fields(string(out))
		if len(f) == 4 {
			m = append(m, fmt.Sprintf("Python %s, NumPy %s, scikit-learn %s, h5py %s (Debian packages)", f[0], f[1], f[2], f[3]))
		}
	}
	return m
}
