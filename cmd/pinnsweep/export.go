package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/pinnsweep/pinnsweep/coordinator/boltstore"
	"github.com/pinnsweep/pinnsweep/coordinator/export"
	"github.com/pinnsweep/pinnsweep/coordinator/service"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
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
	format := fs.String("format", export.FormatCSV, "output format: csv or json")
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
	case *format != export.FormatCSV && *format != export.FormatJSON:
		fmt.Fprintf(stderr, "pinnsweep export: --format %q: want csv or json\n", *format)
		return 2
	}

	ctx, cancel := callContext()
	defer cancel()
	// Read first, so that a failed read leaves no partial output.
	ls, err := loadSweep(ctx, *db, *addr, creds, sweep)
	if err != nil {
		return loadError(stderr, "export", *db, *addr, err)
	}
	write := func(w io.Writer) error {
		return export.Write(w, *format, ls.axes, ls.trials)
	}
	if *out == "" {
		err = write(stdout)
	} else {
		err = writeFileAtomic(*out, write)
	}
	if err != nil {
		fmt.Fprintf(stderr, "pinnsweep export: %v\n", oneLine(err))
		return 1
	}
	return 0
}

// loadedSweep is a sweep as export and report read it.
type loadedSweep struct {
	axes   []string
	trials []state.TrialRecord
	// spec is the sweep's latest accepted spec, as submitted.
	spec, specFile string
}

// loadSweep reads a sweep's axes, spec and trials, results included, from
// the database file db or, when db is empty, from the coordinator at addr.
func loadSweep(ctx context.Context, db, addr string, creds *clientAuthFlags, sweep string) (loadedSweep, error) {
	if db != "" {
		rec, trials, err := boltstore.ReadDatabase(ctx, db, sweep)
		return loadedSweep{axes: rec.Axes, trials: trials, spec: rec.Source, specFile: rec.Filename}, err
	}
	client, err := dialCoordinator(addr, creds)
	if err != nil {
		return loadedSweep{}, err
	}
	defer client.Close()
	resp, err := client.sweeps.GetSweep(ctx, &pb.GetSweepRequest{Sweep: sweep, IncludeTrials: true})
	if err != nil {
		return loadedSweep{}, errRPC{addr: addr, err: err}
	}
	trials := make([]state.TrialRecord, len(resp.GetTrials()))
	for i, t := range resp.GetTrials() {
		trials[i] = service.TrialFromProto(t)
	}
	return loadedSweep{axes: resp.GetAxes(), trials: trials, spec: resp.GetSpecSource(), specFile: sweep + ".yaml"}, nil
}

// errRPC is a failed call to the coordinator at addr.
type errRPC struct {
	addr string
	err  error
}

func (e errRPC) Error() string { return rpcError(e.addr, e.err) }
func (e errRPC) Unwrap() error { return e.err }

// loadError prints the error of loadSweep for command cmd and returns
// the exit code.
func loadError(stderr io.Writer, cmd, db, addr string, err error) int {
	if errors.Is(err, boltstore.ErrLocked) {
		fmt.Fprintf(stderr, "pinnsweep %s: database %s is locked by a running coordinator; use --coordinator\n", cmd, db)
		return 1
	}
	fmt.Fprintf(stderr, "pinnsweep %s: %v\n", cmd, oneLine(err))
	return 1
}
