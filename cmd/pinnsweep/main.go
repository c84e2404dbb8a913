// Command pinnsweep maps where physics-informed neural networks fail: it
// trains PINNs (train), runs sweeps of PDE coefficients × strategies × seeds
// on one machine (run) or a cluster (serve, work, submit), and reports them.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/pinnsweep/pinnsweep/worker"
)

// command is one subcommand. run returns the process exit code: 0 success,
// 1 failure, 2 bad usage.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands is filled by each subcommand's file in an init function, so the
// subcommands stay independent of each other.
var commands = map[string]command{}

func register(name string, c command) {
	if _, dup := commands[name]; dup {
		panic("duplicate command " + name)
	}
	commands[name] = c
}

func main() {
	worker.ShimMain() // the binary is also the command-trial shim (worker/doc.go)
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Fprintln(stdout, "pinnsweep", version)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "pinnsweep: unknown command %q (run 'pinnsweep help')\n", args[0])
		return 2
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "pinnsweep maps where physics-informed neural networks fail.")
	fmt.Fprintln(w, "\nUsage: pinnsweep COMMAND [flags]   (pinnsweep COMMAND -h for its flags)\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "  %-8s %s\n", "version", "print the version")
}

// parseFlags parses args with fs, printing a one-line error on failure. It
// returns the exit code to use (2) and false when the caller must stop.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (int, bool) {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fs.Usage()
			return 0, false
		}
		fmt.Fprintf(stderr, "pinnsweep %s: %v\n", fs.Name(), oneLine(err))
		return 2, false
	}
	return 0, true
}

func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
