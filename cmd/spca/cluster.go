package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/gram"
	"github.com/spca/spca/statefile"
	"github.com/spca/spca/stream"
)

// rowFlags select a row range: --rows START:END or --shard i/N.
type rowFlags struct {
	rows  string
	shard string
}

func (r *rowFlags) register(fs *flag.FlagSet, shard bool) {
	fs.StringVar(&r.rows, "rows", "", "read only rows `START:END` (zero-based, END excluded; START: reads to the end)")
	if shard {
		fs.StringVar(&r.shard, "shard", "", "read only shard `i/N` of the rows split evenly in N (i from 0 to N-1)")
	}
}

func (r *rowFlags) set() bool { return r.rows != "" || r.shard != "" }

// apply resolves the range into src (Start/End) and returns the total rows
// of the input (counted when its header does not say).
func (r *rowFlags) apply(src *stream.Source, opt stream.Options) (total int64, info chunk.Info, err error) {
	if r.rows != "" && r.shard != "" {
		return 0, info, usageErr("give --rows or --shard, not both")
	}
	probe, err := src.Open(stream.DefaultBlockRows(1))
	if err != nil {
		return 0, info, err
	}
	defer probe.Close()
	info = probe.Info()
	total = info.Rows
	countRows := func() error {
		if total >= 0 {
			return nil
		}
		n, err := chunk.Skip(probe, math.MaxInt64)
		if err != nil && err != io.EOF {
			return err
		}
		total = n
		return nil
	}
	switch {
	case r.rows != "":
		a, b, ok := strings.Cut(r.rows, ":")
		start, err1 := strconv.ParseInt(a, 10, 64)
		end, err2 := int64(0), error(nil)
		if b != "" {
			end, err2 = strconv.ParseInt(b, 10, 64)
		}
		if !ok || err1 != nil || err2 != nil || start < 0 || (b != "" && end <= start) {
			return 0, info, usageErr("--rows %q: want START:END with 0 ≤ START < END (or START: for the rest)", r.rows)
		}
		src.Start, src.End = start, end
	case r.shard != "":
		a, b, ok := strings.Cut(r.shard, "/")
		i, err1 := strconv.ParseInt(a, 10, 64)
		n, err2 := strconv.ParseInt(b, 10, 64)
		if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
			return 0, info, usageErr("--shard %q: want i/N with N ≥ 1 and 0 ≤ i < N", r.shard)
		}
		if err := countRows(); err != nil {
			return 0, info, err
		}
		// Shard i is rows ⌊i·n/N⌋ to ⌊(i+1)·n/N⌋: sizes differ by at most one.
		src.Start, src.End = shardBounds(total, i, n)
		if src.Start == src.End {
			return 0, info, chunk.Errorf(info.Name, "shard %d/%d is empty: the input has only %d rows", i, n, total)
		}
		return total, info, nil
	}
	if err := countRows(); err != nil {
		return 0, info, err
	}
	if src.Start >= total || src.End > total {
		return 0, info, chunk.Errorf(info.Name, "%w: --rows %s is beyond the input's %d rows", chunk.ErrShape, r.rows, total)
	}
	return total, info, nil
}

func shardBounds(total, i, n int64) (int64, int64) {
	return mulDiv(total, i, n), mulDiv(total, i+1, n)
}

// mulDiv returns ⌊a·b/c⌋ without overflowing for a, b, c ≥ 0 and b ≤ c.
func mulDiv(a, b, c int64) int64 {
	q, r := a/c, a%c
	return q*b + r*b/c
}

const partialSynopsis = `spca partial INPUT (--rows START:END | --shard i/N) --out part.spst [flags]

One pass over a row range of INPUT, saving the mergeable Gram state (row
count, shift, shifted column sums, Gram matrix) with the input's fingerprint
(path, size, format, dataset, dtype, rows, columns) and a CRC-32C to a .spst
file, written atomically. Run one per shard (a Slurm job array, a Kubernetes
Indexed Job, GNU parallel), then combine them with spca merge.`

func cmdPartial(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("partial", partialSynopsis, args, stdout, stderr)
	var sf sourceFlags
	sf.register(fs)
	var rf rowFlags
	rf.register(fs, true)
	outPath := fs.String("out", "", "write the partial state to this `file` (.spst)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("partial takes exactly one INPUT, got %d (see spca partial --help)", len(pos))
	}
	if *outPath == "" {
		return usageErr("partial needs --out FILE")
	}
	if !rf.set() {
		return usageErr("partial needs --rows START:END or --shard i/N")
	}
	src, opt, err := sf.source(pos[0])
	if err != nil {
		return err
	}
	if !src.Reopenable() {
		return usageErr("partial needs a file: a merge checks the parts against the input's size")
	}
	opt.Progress = newProgress(stderr, 1, sf.quiet, sf.logJSON)
	start := time.Now()
	total, whole, err := rf.apply(&src, opt)
	if err != nil {
		return err
	}
	out := &outputs{}
	defer out.abort()
	pending, err := out.reserve(*outPath)
	if err != nil {
		return err
	}
	st, info, err := stream.Accumulate(ctx, src, opt)
	if err != nil {
		return err
	}
	whole.Rows = total
	in, err := statefile.Fingerprint(src.Path, whole)
	if err != nil {
		return err
	}
	br := int64(blockRowsOf(opt, info.Cols))
	h := statefile.Header{Kind: statefile.Partial, Input: in, Start: src.Start, End: src.Start + info.Rows,
		BlockRows: int(br), Blocks: (info.Rows + br - 1) / br}
	if err := statefile.Write(pending.Tmp, h, st); err != nil {
		return fmt.Errorf("%s: %w", *outPath, err)
	}
	if err := out.commit(); err != nil {
		return err
	}
	if err := statefile.SyncDir(dirOf(*outPath)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: rows %d:%d of %s (%d of %d rows, %d features), %.3g s\n",
		*outPath, h.Start, h.End, inputName(whole), info.Rows, total, info.Cols, time.Since(start).Seconds())
	return nil
}

func blockRowsOf(opt stream.Options, p int) int {
	if opt.BlockRows > 0 {
		return opt.BlockRows
	}
	return stream.DefaultBlockRows(p)
}

func dirOf(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		if i == 0 {
			return "/"
		}
		return path[:i]
	}
	return "."
}

const mergeSynopsis = `spca merge PART.spst... --model model.h5 [-k N | --variance F] [flags]

Combines the partial states written by spca partial and solves, as spca fit
would. The parts must come from the same input (same path, size, format,
dataset, dtype, shape) and cover its rows exactly once: gaps and overlaps are
reported by row range. They are merged in row order whatever order they are
given in (Chan, Golub & LeVeque's pairwise update), so the model file is the
same bytes for any order of the arguments; it equals a single spca fit to
rounding (1e-12 relative).`

func cmdMerge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("merge", mergeSynopsis, args, stdout, stderr)
	k := fs.Int("k", 0, "number of `components` (1 ≤ k ≤ min(n, p))")
	variance := fs.Float64("variance", 0, "keep the smallest k whose cumulative explained-variance ratio reaches this `fraction` (0 < F ≤ 1)")
	scale := fs.Bool("scale", false, "correlation PCA: divide each column by its standard deviation")
	whiten := fs.Bool("whiten", false, "store whiten in the model (spca transform then divides scores by sqrt(explained variance))")
	modelPath := fs.String("model", "", "write the model to this HDF5 `file`")
	jsonOut := fs.Bool("json", false, "print one JSON object on stdout instead of the table")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageErr("merge needs at least one PART.spst (see spca merge --help)")
	}
	if err := checkSelection(*k, *variance); err != nil {
		return err
	}
	start := time.Now()
	out := &outputs{}
	defer out.abort()
	var modelOut *stream.Pending
	if *modelPath != "" {
		if modelOut, err = out.reserve(*modelPath); err != nil {
			return err
		}
	}
	st, in, err := mergeParts(ctx, pos)
	if err != nil {
		return err
	}
	info := chunk.Info{Name: in.Path, Format: in.Format, Compression: in.Compression, Dataset: in.Dataset, Rows: in.Rows, Cols: in.Cols}
	info.DType, _ = chunk.ParseDType(in.DType)
	sel := stream.Selection{K: *k, Variance: *variance}
	if sel.K == 0 && sel.Variance == 0 {
		sel.K = int(min(10, st.N, int64(st.P)))
	}
	m, err := stream.Solve(st, sel, *scale)
	if err != nil {
		return chunkError(info.Name, err)
	}
	m.Whiten = *whiten
	if modelOut != nil {
		if err := stream.WriteModel(modelOut.Tmp, m); err != nil {
			return fmt.Errorf("%s: writing model: %w", *modelPath, err)
		}
	}
	if err := out.commit(); err != nil {
		return err
	}
	m.Seconds = time.Since(start).Seconds()
	if *jsonOut {
		return writeFitJSON(stdout, m, info, 1, *modelPath, "")
	}
	writeFitTable(stdout, m, info, *modelPath, "")
	return nil
}

// mergeParts reads the parts, checks that they tile the input's rows and
// merges them in row order.
func mergeParts(ctx context.Context, paths []string) (*gram.State, statefile.Input, error) {
	type part struct {
		path string
		hdr  statefile.Header
	}
	parts := make([]part, 0, len(paths))
	for _, p := range paths {
		f, err := statefile.ReadHeader(p)
		if err != nil {
			return nil, statefile.Input{}, err
		}
		if f.Kind != statefile.Partial {
			return nil, statefile.Input{}, chunk.Errorf(p, "is a %s, not a partial state from spca partial", f.Kind)
		}
		parts = append(parts, part{p, f.Header})
	}
	ref := parts[0]
	for _, q := range parts[1:] {
		if d := ref.hdr.Input.Differs(q.hdr.Input, false); d != "" {
			return nil, statefile.Input{}, chunk.Errorf(q.path, "comes from another input than %s: %s", ref.path, d)
		}
	}
	// A fixed order, whatever the order of the arguments: by row range, then
	// by path (equal ranges are an overlap and refused below anyway).
	sort.Slice(parts, func(i, j int) bool {
		a, b := parts[i].hdr, parts[j].hdr
		if a.Start != b.Start {
			return a.Start < b.Start
		}
		if a.End != b.End {
			return a.End < b.End
		}
		return parts[i].path < parts[j].path
	})
	var problems []string
	total := ref.hdr.Input.Rows
	if s := parts[0].hdr.Start; s > 0 {
		problems = append(problems, fmt.Sprintf("rows 0:%d are in no part (the first, %s, starts at row %d)", s, parts[0].path, s))
	}
	for i := 1; i < len(parts); i++ {
		a, b := parts[i-1], parts[i]
		switch {
		case b.hdr.Start < a.hdr.End:
			problems = append(problems, fmt.Sprintf("%s (rows %d:%d) and %s (rows %d:%d) overlap in rows %d:%d",
				a.path, a.hdr.Start, a.hdr.End, b.path, b.hdr.Start, b.hdr.End, b.hdr.Start, min(a.hdr.End, b.hdr.End)))
		case b.hdr.Start > a.hdr.End:
			problems = append(problems, fmt.Sprintf("rows %d:%d are in no part (between %s and %s)", a.hdr.End, b.hdr.Start, a.path, b.path))
		}
	}
	last := parts[len(parts)-1]
	if total >= 0 && last.hdr.End < total {
		problems = append(problems, fmt.Sprintf("rows %d:%d are in no part (the last, %s, ends at row %d of %d)", last.hdr.End, total, last.path, last.hdr.End, total))
	}
	if len(problems) > 0 {
		return nil, statefile.Input{}, chunk.Errorf(ref.hdr.Input.Path, "the parts do not cover its rows exactly once: %s", strings.Join(problems, "; "))
	}
	var acc *gram.State
	for _, q := range parts {
		if err := ctx.Err(); err != nil {
			return nil, statefile.Input{}, err
		}
		f, err := statefile.Read(q.path)
		if err != nil {
			return nil, statefile.Input{}, err
		}
		if f.Header != q.hdr {
			return nil, statefile.Input{}, chunk.Errorf(q.path, "changed while spca merge was reading it")
		}
		if acc == nil {
			acc = gram.NewState(f.State.P, nil)
		}
		acc.Merge(f.State)
	}
	return acc, ref.hdr.Input, nil
}
