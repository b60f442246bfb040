package stream

import (
	"context"
	"fmt"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/gram"
)

// Methods are the fitting routes.
var Methods = []string{"auto", "gram", "dual", "randomized"}

// GramPreferredUpTo is the width up to which auto keeps the Gram route even
// when p > n (the p×p solve is cheap there, and the route is one pass).
const GramPreferredUpTo = 2048

// Plan is the route a fit takes and, for auto, why.
type Plan struct {
	Method string
	Reason string // empty unless chosen by auto
	K      int    // k resolved from the default (min(10, n, p)) when the caller gave -1
}

// MemoryBudget is the default --memory: half the physical RAM (8 GB when
// it cannot be read).
func MemoryBudget() int64 {
	if m := physicalMemory(); m > 0 {
		return m / 2
	}
	return 8 << 30
}

// ChooseMethod resolves method ("auto" or a route name) for src. It probes
// the input's shape (not for standard input, which can be read only once),
// and for auto picks, in order: gram when its p×p matrices fit in budget
// and p ≤ n or p ≤ GramPreferredUpTo; dual when the input gives column
// slabs and its n×n matrices fit; randomized otherwise (it needs -k and a
// file it can read several times). k = -1 means the default min(10, n, p).
func ChooseMethod(src Source, method string, opt Options, sel Selection, oversampling int, budget int64) (Plan, error) {
	plan := Plan{Method: method, K: sel.K}
	if !src.Reopenable() {
		if sel.K == -1 {
			plan.K = -1 // resolved after the pass
		}
		switch method {
		case "auto", "gram":
			plan.Method = "gram"
			if method == "auto" {
				plan.Reason = "standard input can be read only once, and only the gram route needs a single pass"
			}
			return plan, nil
		}
		return plan, chunk.Errorf(src.Path, "%w: --method %s reads the input more than once; give a file", chunk.ErrNoSeek, method)
	}
	r, err := src.Open(1)
	if err != nil {
		return plan, err
	}
	info := r.Info()
	r.Close()
	n, p := info.Rows, info.Cols
	if sel.K == -1 {
		plan.K = min(10, p)
		if n >= 0 {
			plan.K = int(min(int64(plan.K), n))
		}
	}
	if method == "gram" && sel.K == -1 {
		plan.K = -1 // exactly as Fit: resolved after the pass
	}
	if method != "auto" {
		return plan, nil
	}
	k := plan.K
	threads := opt.threads()
	gb := func(b int64) string { return fmt.Sprintf("%.3g GB", float64(b)/1e9) }
	gramNeed := GramBytes(p, opt.blockRows(p), threads)
	gramOK := gramNeed <= budget && p <= 1<<26
	slabs := n >= 2 && src.ColumnSlabs()
	var dualNeed int64
	dualOK := false
	if slabs {
		dualNeed = DualBytes(n, min(DualSlabCols(n), p), threads)
		dualOK = dualNeed <= budget && (sel.K == 0 || int64(k) < n)
	}
	l := min(k+oversampling, p)
	rbr := RandomizedBlockRows(p)
	if n > 0 {
		rbr = int(min(int64(rbr), n))
	}
	randNeed := RandomizedBytes(p, l, rbr, threads)
	randOK := sel.K != 0 && randNeed <= budget
	nText := fmt.Sprint(n)
	if n < 0 {
		nText = "unknown until the end of the stream"
	}
	switch {
	case gramOK && (int64(p) <= n || p <= GramPreferredUpTo || !dualOK):
		plan.Method = "gram"
		plan.Reason = fmt.Sprintf("p = %d features: the p×p Gram route needs %s of the %s budget", p, gb(gramNeed), gb(budget))
	case dualOK:
		plan.Method = "dual"
		if gramOK {
			plan.Reason = fmt.Sprintf("p = %d ≫ n = %d and the input gives column slabs: the n×n route needs %s and n²p flops instead of np²", p, n, gb(dualNeed))
		} else {
			plan.Reason = fmt.Sprintf("the p×p Gram route needs %s, over the %s budget; n = %d and the input gives column slabs: the n×n route needs %s",
				gb(gramNeed), gb(budget), n, gb(dualNeed))
		}
	case randOK:
		plan.Method = "randomized"
		why := "the input cannot give column slabs (compressed or a stream)"
		if slabs {
			why = fmt.Sprintf("the n×n dual route needs %s", gb(dualNeed))
		}
		plan.Reason = fmt.Sprintf("n = %s, p = %d: the p×p Gram route needs %s, over the %s budget, and %s; subspace iteration with l = %d needs %s",
			nText, p, gb(gramNeed), gb(budget), why, l, gb(randNeed))
	default:
		if sel.K == 0 {
			return plan, chunk.Errorf(info.Name, "%w: neither the gram (%s) nor the dual route fits in the %s budget, and the randomized route needs -k instead of --variance",
				chunk.ErrShape, gb(gramNeed), gb(budget))
		}
		dual := ""
		if slabs {
			dual = ", dual " + gb(dualNeed)
		}
		return plan, chunk.Errorf(info.Name, "%w: no route fits in the %s budget (gram %s%s, randomized %s); raise --memory or lower -k",
			chunk.ErrShape, gb(budget), gb(gramNeed), dual, gb(randNeed))
	}
	if plan.Method == "gram" && sel.K == -1 {
		plan.K = -1
	}
	return plan, nil
}

// Fitted is the result of FitPlan.
type Fitted struct {
	Model *Model
	Info  chunk.Info
	Dual  *DualFactors // dual route only: scores without another pass
}

// FitPlan runs the route of plan. The gram route is Accumulate then Solve,
// exactly as Fit.
func FitPlan(ctx context.Context, src Source, plan Plan, opt FitOptions, ro RandomizedOptions) (Fitted, error) {
	opt.Selection.K = plan.K
	switch plan.Method {
	case "gram":
		acc := opt.Accumulate
		if acc == nil {
			acc = func(ctx context.Context, src Source, o Options) (*gram.State, chunk.Info, error) {
				return Accumulate(ctx, src, o)
			}
		}
		st, info, err := acc(ctx, src, opt.Options)
		if err != nil {
			return Fitted{Info: info}, err
		}
		if opt.Selection.K == -1 {
			opt.Selection.K = int(min(10, info.Rows, int64(info.Cols)))
		}
		m, err := Solve(st, opt.Selection, opt.Scale)
		if err != nil {
			return Fitted{Info: info}, BadInput(info.Name, err)
		}
		return Fitted{Model: m, Info: info}, nil
	case "dual":
		m, f, info, err := FitDual(ctx, src, opt)
		if err != nil {
			return Fitted{Info: info}, badInput(src.Path, err)
		}
		return Fitted{Model: m, Info: info, Dual: f}, nil
	case "randomized":
		m, info, err := FitRandomized(ctx, src, opt, ro)
		if err != nil {
			return Fitted{Info: info}, badInput(src.Path, err)
		}
		return Fitted{Model: m, Info: info}, nil
	}
	return Fitted{}, fmt.Errorf("unknown method %q", plan.Method)
}

// badInput is BadInput for errors that may already name the file.
func badInput(name string, err error) error {
	if chunk.IsInputError(err) {
		return err
	}
	return BadInput(name, err)
}
