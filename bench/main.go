// Command spca-bench is spca's benchmark harness and data generator. It is
// not imported by the engine.
//
//	spca-bench gen images|gaussian ...   write a reproducible synthetic data set
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" {
		fmt.Println("usage:\n" + genUsage)
		return
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = cmdGen(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (want gen)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "spca-bench:", err)
		os.Exit(2)
	}
}
