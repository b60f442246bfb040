package main

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/spca/spca/stream"
)

// clusterMatrix is n×p with column means near 1e3 and spreads from 1e-2 to
// 10, so that shifts matter; it is written as a .npy file.
func clusterMatrix(t *testing.T, dir string, n, p int) (string, []float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(4, 4))
	x := make([]float64, n*p)
	for i := 0; i < n; i++ {
		z := rng.NormFloat64()
		for j := 0; j < p; j++ {
			x[i*p+j] = 1e3 + float64(j) + math.Pow(10, float64(j%4)-2)*(rng.NormFloat64()+0.5*z*float64(j%3))
		}
	}
	path := filepath.Join(dir, "x.npy")
	npyFloat64(t, path, n, p, x)
	return path, x
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := runCLI(args...)
	if code != 0 {
		t.Fatalf("spca %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

func relDiff(a, b []float64) float64 {
	var d, s float64
	for i := range a {
		d += (a[i] - b[i]) * (a[i] - b[i])
		s += b[i] * b[i]
	}
	return math.Sqrt(d / s)
}

func TestMergeEqualsFit(t *testing.T) {
	dir := t.TempDir()
	const n, p, k = 1000, 9, 4
	input, x := clusterMatrix(t, dir, n, p)
	ref := filepath.Join(dir, "ref.h5")
	mustRun(t, "fit", input, "-k", "4", "--block-rows", "64", "--model", ref)
	refBytes, _ := os.ReadFile(ref)
	want, err := stream.ReadModel(ref)
	if err != nil {
		t.Fatal(err)
	}

	// Independent oracle: the covariance of the whole matrix in memory.
	X := mat.NewDense(n, p, append([]float64(nil), x...))
	var c mat.SymDense
	var mean [p]float64
	for j := 0; j < p; j++ {
		mean[j] = mat.Sum(X.ColView(j)) / n
	}
	for i := 0; i < n; i++ {
		for j := 0; j < p; j++ {
			X.Set(i, j, X.At(i, j)-mean[j])
		}
	}
	c.SymOuterK(1/float64(n-1), X.T())
	var eig mat.EigenSym
	if !eig.Factorize(&c, false) {
		t.Fatal("EigenSym failed")
	}
	lambda := eig.Values(nil)
	sort.Sort(sort.Reverse(sort.Float64Slice(lambda)))

	for _, cuts := range [][]int64{
		{0, n},
		{0, 377, n},
		{0, 64, 700, n},
		{0, 13, 150, 151, 400, 555, 801, n},
	} {
		t.Run(fmt.Sprintf("%d-shards", len(cuts)-1), func(t *testing.T) {
			var parts []string
			for i := 0; i+1 < len(cuts); i++ {
				part := filepath.Join(dir, fmt.Sprintf("part-%d-%d.spst", len(cuts), i))
				mustRun(t, "partial", input, "--rows", fmt.Sprintf("%d:%d", cuts[i], cuts[i+1]), "--block-rows", "64", "--out", part)
				parts = append(parts, part)
			}
			model := filepath.Join(dir, fmt.Sprintf("merged-%d.h5", len(cuts)))
			mustRun(t, append([]string{"merge", "-k", "4", "--model", model}, parts...)...)
			first, _ := os.ReadFile(model)
			got, err := stream.ReadModel(model)
			if err != nil {
				t.Fatal(err)
			}
			if len(parts) == 1 && !bytes.Equal(first, refBytes) {
				t.Error("one shard: the model differs from spca fit's")
			}
			for _, c := range []struct {
				name      string
				got, want []float64
			}{
				{"components", got.Components, want.Components},
				{"explained_variance", got.ExplainedVariance, want.ExplainedVariance},
				{"mean", got.Mean, want.Mean},
				{"singular_values", got.SingularValues, want.SingularValues},
			} {
				if d := relDiff(c.got, c.want); d > 1e-12 {
					t.Errorf("%s: relative difference %.3g from spca fit > 1e-12", c.name, d)
				}
			}
			if d := relDiff(got.ExplainedVariance, lambda[:k]); d > 1e-10 {
				t.Errorf("explained variance %v vs in-memory EigenSym %v (relative %.3g)", got.ExplainedVariance, lambda[:k], d)
			}
			// Every order of the files gives the same bytes: all orders up
			// to 3 parts, 12 random ones of the 5040 for 7.
			var orders [][]string
			if len(parts) <= 3 {
				orders = permutations(parts)
			} else {
				rng := rand.New(rand.NewPCG(7, 7))
				for o := 0; o < 12; o++ {
					perm := append([]string(nil), parts...)
					rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
					orders = append(orders, perm)
				}
			}
			for _, perm := range orders {
				again := filepath.Join(dir, "again.h5")
				mustRun(t, append([]string{"merge", "--model", again, "-k", "4"}, perm...)...)
				b, _ := os.ReadFile(again)
				if !bytes.Equal(b, first) {
					t.Fatalf("order %v: the model bytes differ", perm)
				}
			}
		})
	}
}

func permutations(s []string) [][]string {
	if len(s) <= 1 {
		return [][]string{append([]string(nil), s...)}
	}
	var out [][]string
	for i := range s {
		rest := append(append([]string(nil), s[:i]...), s[i+1:]...)
		for _, p := range permutations(rest) {
			out = append(out, append([]string{s[i]}, p...))
		}
	}
	return out
}

func TestShardsSplitEvenly(t *testing.T) {
	dir := t.TempDir()
	input, _ := clusterMatrix(t, dir, 100, 3)
	var parts []string
	for i := 0; i < 7; i++ {
		part := filepath.Join(dir, fmt.Sprintf("s%d.spst", i))
		out := mustRun(t, "partial", input, "--shard", fmt.Sprintf("%d/7", i), "--out", part)
		lo, hi := shardBounds(100, int64(i), 7)
		if !strings.Contains(out, fmt.Sprintf("rows %d:%d", lo, hi)) || hi-lo < 14 || hi-lo > 15 {
			t.Errorf("shard %d/7: %q (want rows %d:%d)", i, out, lo, hi)
		}
		parts = append(parts, part)
	}
	mustRun(t, append([]string{"merge", "--model", filepath.Join(dir, "m.h5")}, parts...)...)
	if code, _, e := runCLI("partial", input, "--shard", "7/7", "--out", filepath.Join(dir, "x.spst")); code != 2 || !strings.Contains(e, "--shard") {
		t.Errorf("--shard 7/7: exit %d, %q", code, e)
	}
}

func TestMergeRefusesBadParts(t *testing.T) {
	dir := t.TempDir()
	input, _ := clusterMatrix(t, dir, 500, 4)
	part := func(name, rows string) string {
		p := filepath.Join(dir, name)
		mustRun(t, "partial", input, "--rows", rows, "--out", p)
		return p
	}
	a, b, c, d := part("a.spst", "0:200"), part("b.spst", "150:300"), part("c.spst", "400:500"), part("d.spst", "200:400")
	for _, tc := range []struct {
		parts []string
		want  []string
	}{
		{[]string{a, c}, []string{"rows 200:400 are in no part"}},
		{[]string{c, a, b}, []string{"overlap in rows 150:200", "rows 300:400 are in no part"}},
		{[]string{a, d}, []string{"rows 400:500 are in no part"}},
		{[]string{d, c}, []string{"rows 0:200 are in no part"}},
		{[]string{a, a, d, c}, []string{"overlap in rows 0:200"}},
	} {
		model := filepath.Join(dir, "m.h5")
		code, _, e := runCLI(append([]string{"merge", "--model", model}, tc.parts...)...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", tc.parts, code)
		}
		for _, w := range tc.want {
			if !strings.Contains(e, w) {
				t.Errorf("%v: %q does not say %q", tc.parts, e, w)
			}
		}
		if _, err := os.Stat(model); err == nil {
			t.Errorf("%v: a model was left behind", tc.parts)
		}
	}
	// A part of another input is refused, naming the difference.
	other, _ := clusterMatrix(t, t.TempDir(), 500, 4)
	o := filepath.Join(dir, "o.spst")
	mustRun(t, "partial", other, "--rows", "200:500", "--out", o)
	if code, _, e := runCLI("merge", a, o, "--model", filepath.Join(dir, "m.h5")); code != 2 || !strings.Contains(e, "another input") {
		t.Errorf("parts of two inputs: exit %d, %q", code, e)
	}
	// A corrupt part is refused by its CRC.
	raw, _ := os.ReadFile(c)
	raw[len(raw)-20] ^= 0x10 // in the Gram matrix
	os.WriteFile(c, raw, 0o644)
	if code, _, e := runCLI("merge", a, d, c, "--model", filepath.Join(dir, "m.h5")); code != 2 || !strings.Contains(e, "CRC") {
		t.Errorf("corrupt part: exit %d, %q", code, e)
	}
}

func TestTransformRowsConcatenate(t *testing.T) {
	dir := t.TempDir()
	input, _ := clusterMatrix(t, dir, 3000, 6)
	model := filepath.Join(dir, "m.h5")
	mustRun(t, "fit", input, "-k", "3", "--model", model, "--block-rows", "100")
	whole := filepath.Join(dir, "all.csv")
	mustRun(t, "transform", "--model", model, input, "--scores", whole, "--block-rows", "100")
	var cat bytes.Buffer
	for i, r := range []string{"0:1", "1:777", "777:2950", "2950:"} {
		part := filepath.Join(dir, fmt.Sprintf("p%d.csv", i))
		mustRun(t, "transform", "--model", model, input, "--rows", r, "--scores", part, "--block-rows", "100")
		b, _ := os.ReadFile(part)
		if i > 0 {
			b = b[bytes.IndexByte(b, '\n')+1:] // the header line
		}
		cat.Write(b)
	}
	want, _ := os.ReadFile(whole)
	if !bytes.Equal(cat.Bytes(), want) {
		t.Error("the scores of the row ranges do not concatenate to the scores of the whole input")
	}
	if code, _, e := runCLI("transform", "--model", model, input, "--rows", "2000:3001", "--error"); code != 2 || !strings.Contains(e, "3000 rows") {
		t.Errorf("range beyond the input: exit %d, %q", code, e)
	}
}
