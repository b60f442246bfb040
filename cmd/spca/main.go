// Command spca computes principal components of data matrices larger than
// memory, streaming row blocks from HDF5, .npy and raw binary files
// (optionally zstd, gzip or s2/snappy compressed).
//
//	spca fit INPUT [-k N | --variance F] [--model model.h5] [--scores scores.npy] [--json]
//	spca transform --model model.h5 INPUT [--scores out.npy] [--error] [--json]
//	spca ica INPUT [-k N] [--model ica.h5] [--sources sources.npy] [--json]
//	spca info FILE...
//	spca plot MODEL [--scree scree.png] [--components comps.png --image-shape 28,28]
//	spca plot --scores scores.npy [--labels labels.npy] --scatter pc12.png
//
// Exit status: 0 success, 1 internal failure, 2 bad input or usage,
// 130 interrupted. Outputs are written to temporary files and renamed into
// place only when everything succeeded.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spca/spca/chunk"
)

const usage = `spca — out-of-core streaming PCA

Usage:
  spca fit INPUT [flags]             fit a PCA model (--method auto picks gram, dual or randomized)
  spca transform --model M INPUT     project new data onto a saved model (scores, reconstruction error)
  spca ica INPUT [flags]             independent components by FastICA (whitening by the streaming PCA)
  spca info FILE...                  describe inputs (shape, dtype, compression, HDF5 datasets) or a model
  spca partial INPUT --shard i/N --out part.spst   one shard's mergeable state (cluster batch jobs)
  spca merge PART.spst... --model M  merge the shards' states and solve, as spca fit would
  spca plot MODEL --scree FILE       draw the scree plot, the eigen-images (--components) or a score
                                     scatter (--scores S --scatter FILE), as PNG or SVG

INPUT is an HDF5 file (--dataset picks the 2-D dataset), a .npy file, or raw
little-endian binary (--cols and --dtype), optionally compressed with zstd,
gzip or s2/snappy (detected from the bytes, not the suffix). "-" reads
standard input (one pass: a fit without --scores, or a transform).

Progress: fit and transform redraw one line per pass on stderr when it is a
terminal (rows, rows/s, MB/s, ETA, pass i of N); --quiet silences it and
--log-json prints a JSON line every 5 s instead (for batch logs).

Run "spca COMMAND --help" for a command's flags.
Exit status: 0 ok, 1 internal failure, 2 bad input or usage, 75 checkpointed
and stopped (fit --checkpoint), 130 interrupted.
`

// exitError carries an exit status through the command functions.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func usageErr(format string, args ...any) error {
	return &exitError{2, fmt.Errorf(format, args...)}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "fit":
		err = cmdFit(ctx, args[1:], stdout, stderr)
	case "transform":
		err = cmdTransform(ctx, args[1:], stdout, stderr)
	case "info":
		err = cmdInfo(args[1:], stdout, stderr)
	case "partial":
		err = cmdPartial(ctx, args[1:], stdout, stderr)
	case "merge":
		err = cmdMerge(ctx, args[1:], stdout, stderr)
	case "ica":
		err = cmdICA(ctx, args[1:], stdout, stderr)
	case "plot":
		err = cmdPlot(ctx, args[1:], stdout, stderr)
	default:
		err = usageErr("unknown command %q (want fit, transform, ica, info, plot, partial or merge; see spca --help)", args[0])
	}
	return report(ctx, err, stderr)
}

// report prints err as one line and returns the exit status.
func report(ctx context.Context, err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	fmt.Fprintln(stderr, "spca: "+msg)
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		return ee.code
	case ctx.Err() != nil:
		return 130
	case chunk.IsInputError(err):
		return 2
	}
	return 1
}

// parseInterspersed parses flags that may come before, between or after
// positional arguments ("spca fit data.h5 -k 10").
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &exitError{2, err}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// newFlagSet makes a subcommand's flag set; help goes to stdout (asked for),
// flag errors to stderr.
func newFlagSet(name, synopsis string, args []string, stdout, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(stdout)
		}
		if a == "--" {
			break
		}
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s\n\nFlags:\n", synopsis)
		printFlags(fs)
	}
	return fs
}

// printFlags lists flags GNU-style ("--name value"), as the README writes
// them; a one-letter flag keeps one dash ("-k N").
func printFlags(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		line := "  " + dash + f.Name
		if name != "" {
			line += " " + strings.ToUpper(name)
		}
		if def := f.DefValue; def != "" && def != "0" && def != "false" {
			usage += " (default " + def + ")"
		}
		fmt.Fprintf(fs.Output(), "%s\n      %s\n", line, usage)
	})
}
