package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

// dispatch runs the subcommand named by args[0] and returns the exit code.
func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: scaling slots|million|refused [flags] (scaling CMD -h for its flags)")
		return 2
	}
	var err error
	switch args[0] {
	case "slots":
		err = runSlots(args[1:], stdout, stderr)
	case "million":
		err = runMillion(args[1:], stdout, stderr)
	case "refused":
		err = runRefused(args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "scaling: unknown command %q (slots, million or refused)\n", args[0])
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "scaling %s: %v\n", args[0], err)
		return 1
	}
	return 0
}
