package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/pinnsweep/pinnsweep/worker"
)

func init() {
	register("work", command{
		summary: "run trials for a coordinator (a worker process)",
		run:     runWork,
	})
}

// runWork implements `pinnsweep work`: a worker that leases trials from a
// coordinator and trains them until SIGINT or SIGTERM, when it releases
// its running trials so that the coordinator requeues them at once.
func runWork(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("work", flag.ContinueOnError)
	coord := fs.String("coordinator", "", "coordinator address `host:port` (required)")
	creds := addClientAuthFlags(fs)
	slots := fs.Int("slots", 1, "trials run at once, one thread each")
	id := fs.String("id", "", "worker id (default <hostname>-<pid>)")
	sweepNames := listFlag{what: "sweep name"}
	fs.Var(&sweepNames, "sweep", "run only trials of sweep `NAME` (repeat for several; default: any sweep)")
	logJSON := fs.Bool("log-json", false, "log JSON lines instead of text")
	logLevel := fs.String("log-level", "info", "log level: trace, debug, info, warn, error")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: pinnsweep work --coordinator ADDR [--slots N] [--sweep NAME]... [--id ID] [--log-json]")
		fmt.Fprintln(fs.Output(), clientAuthUsage)
		fmt.Fprintln(fs.Output(), "\nLeases trials from a coordinator and trains them until SIGINT or SIGTERM.\n\nFlags:")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "pinnsweep work: unexpected argument %q\n", fs.Arg(0))
		return 2
	case *coord == "":
		fmt.Fprintln(stderr, "pinnsweep work: --coordinator is required")
		return 2
	case *slots < 1:
		fmt.Fprintf(stderr, "pinnsweep work: --slots %d: must be at least 1\n", *slots)
		return 2
	}
	dialOpts, err := creds.dialOptions()
	if err != nil {
		fmt.Fprintf(stderr, "pinnsweep work: %v\n", oneLine(err))
		return 2
	}
	log := newRootLogger(stderr, *logLevel, *logJSON)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = worker.Run(ctx, worker.Options{
		Coordinator: *coord,
		DialOptions: dialOpts,
		ID:          *id,
		Slots:       *slots,
		Sweeps:      sweepNames.values,
		Runner:      worker.TrainerRunner{Threads: 1},
		Logger:      log,
	})
	if err != nil {
		fmt.Fprintf(stderr, "pinnsweep work: %v\n", oneLine(err))
		return 1
	}
	return 0
}

// listFlag collects the values of a repeated flag (--sweep, --trial);
// what names a value in the error for an empty one.
type listFlag struct {
	what   string
	values []string
}

func (l *listFlag) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(l.values, ",")
}

func (l *listFlag) Set(v string) error {
	if v == "" {
		return fmt.Errorf("empty %s", l.what)
	}
	l.values = append(l.values, v)
	return nil
}
