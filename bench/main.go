// Command spca-bench is spca's benchmark harness and data generator. It is
// not imported by the engine.
//
//	spca-bench gen images|gaussian ...   write a reproducible synthetic data set
//	spca-bench run [--quick] ...          run spca and its peers side by side, write the report
//	spca-bench report RESULTS.json        render a report again
//
// plus the harness's own peers, run as child processes: peer-gonum,
// limit-read and limit-dsyrk.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" {
		fmt.Println("usage:\n" + runUsage + "\n\n" + reportUsage + "\n\n" + genUsage + "\n\n" + internalUsage)
		return
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = cmdGen(os.Args[2:])
	case "run":
		err = cmdRun(os.Args[2:])
	case "report":
		err = cmdReport(os.Args[2:])
	case "peer-gonum":
		err = cmdPeerGonum(os.Args[2:])
	case "limit-read":
		err = cmdLimitRead(os.Args[2:])
	case "limit-dsyrk":
		err = cmdLimitDsyrk(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (want gen, run or report)", os.Args[1])
	}
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "spca-bench:", err)
		os.Exit(2)
	}
}
