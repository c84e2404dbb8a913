package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/pinnsweep/pinnsweep/coordinator"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

func init() {
	register("export", command{
		summary: "export a sweep's trials and results as CSV or JSON",
		run:     runExport,
	})
}

// runExport implements `pinnsweep export SWEEP (--db FILE | --coordinator
// ADDR) --format csv|json [--out FILE]`.
func runExport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	db := fs.String("db", "", "read the sweep database `file` directly (no coordinator may hold it)")
	addr := fs.String("coordinator", "", "ask the coordinator at `host:port`")
	creds := addClientAuthFlags(fs)
	format := fs.String("format", coordinator.FormatCSV, "output format: csv or json")
	out := fs.String("out", "", "write to `file` instead of standard output")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: pinnsweep export SWEEP (--db FILE | --coordinator ADDR) [--format csv|json] [--out FILE]")
		fmt.Fprintln(fs.Output(), clientAuthUsage)
		fmt.Fprintln(fs.Output(), "\nWrites one row (CSV) or object (JSON) per trial: its key, status, attempts, axis values")
		fmt.Fprintln(fs.Output(), "and seed, metrics, worker and reason; the JSON also holds each full result.\n\nFlags:")
		fs.PrintDefaults()
	}
	sweep, code, ok := parseOneArg(fs, args, stderr, "SWEEP (usage: pinnsweep export SWEEP (--db FILE | --coordinator ADDR))")
	if !ok {
		return code
	}
	switch {
	case (*db == "") == (*addr == ""):
		fmt.Fprintln(stderr, "pinnsweep export: give exactly one of --db and --coordinator")
		return 2
	case *format != coordinator.FormatCSV && *format != coordinator.FormatJSON:
		fmt.Fprintf(stderr, "pinnsweep export: --format %q: want csv or json\n", *format)
		return 2
	}

	ctx, cancel := callContext()
	defer cancel()
	write := func(w io.Writer) error {
		return coordinator.ExportDatabase(ctx, *db, sweep, *format, w)
	}
	if *addr != "" {
		// Fetch first, so that a failed call leaves no partial output.
		client, err := dialCoordinator(*addr, creds)
		if err != nil {
			fmt.Fprintf(stderr, "pinnsweep export: %v\n", oneLine(err))
			return 1
		}
		defer client.Close()
		resp, err := client.sweeps.GetSweep(ctx, &pb.GetSweepRequest{Sweep: sweep, IncludeTrials: true})
		if err != nil {
			fmt.Fprintf(stderr, "pinnsweep export: %s\n", rpcError(*addr, err))
			return 1
		}
		trials := make([]coordinator.TrialRecord, len(resp.GetTrials()))
		for i, t := range resp.GetTrials() {
			trials[i] = coordinator.TrialFromProto(t)
		}
		write = func(w io.Writer) error {
			return coordinator.WriteExport(w, *format, resp.GetAxes(), trials)
		}
	}
	var err error
	if *out == "" {
		err = write(stdout)
	} else {
		err = writeFileAtomic(*out, write)
	}
	switch {
	case errors.Is(err, coordinator.ErrLocked):
		fmt.Fprintf(stderr, "pinnsweep export: database %s is locked by a running coordinator; use --coordinator\n", *db)
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "pinnsweep export: %v\n", oneLine(err))
		return 1
	}
	return 0
}
