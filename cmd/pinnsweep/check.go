package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/pinnsweep/pinnsweep/coordinator/boltstore"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

func init() {
	register("check", command{
		summary: "check a sweep database's consistency (bbolt's check and the store's invariants)",
		run:     runCheck,
	})
}

// runCheck implements `pinnsweep check --db FILE [--json]`: exit 0 when
// the database is consistent, 1 when it is not or cannot be read.
func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	db := fs.String("db", "", "sweep database `file` (no coordinator may hold it)")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: pinnsweep check --db FILE [--json]")
		fmt.Fprintln(fs.Output(), "\nRuns bbolt's page check and pinnsweep's invariants on a database no coordinator holds:")
		fmt.Fprintln(fs.Output(), "every trial in exactly one valid status, indexes 0..n-1, running exactly when its lease is")
		fmt.Fprintln(fs.Output(), "active, tokens unique and below the counter, a result for every done trial and none for a")
		fmt.Fprintln(fs.Output(), "pending or running one. Exit status 0: consistent; 1: problems found or unreadable.\n\nFlags:")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "pinnsweep check: unexpected argument %q\n", fs.Arg(0))
		return 2
	case *db == "":
		fmt.Fprintln(stderr, "pinnsweep check: --db is required")
		return 2
	}
	ctx, cancel := signalContext()
	defer cancel()
	rep, err := boltstore.CheckDatabase(ctx, *db)
	if err != nil && !errors.Is(err, boltstore.ErrInconsistent) {
		if errors.Is(err, boltstore.ErrLocked) {
			fmt.Fprintf(stderr, "pinnsweep check: database %s is locked by a running coordinator; stop it first\n", *db)
		} else {
			fmt.Fprintf(stderr, "pinnsweep check: %v\n", oneLine(err))
		}
		return 1
	}
	if *asJSON {
		b, jerr := json.Marshal(rep)
		if jerr != nil {
			fmt.Fprintf(stderr, "pinnsweep check: %v\n", jerr)
			return 1
		}
		fmt.Fprintln(stdout, string(b))
	} else {
		writeCheckReport(stdout, &rep)
	}
	if err != nil {
		fmt.Fprintf(stderr, "pinnsweep check: %s: %d problems\n", *db, rep.NProblems)
		return 1
	}
	return 0
}

// writeCheckReport prints a report as text.
func writeCheckReport(w io.Writer, rep *boltstore.Report) {
	verdict := "consistent"
	if !rep.OK() {
		verdict = fmt.Sprintf("INCONSISTENT (%d problems)", rep.NProblems)
	}
	fmt.Fprintf(w, "database %s: %s\n", rep.Path, verdict)
	var counts []string
	for _, s := range []state.Status{state.StatusPending, state.StatusRunning, state.StatusDone,
		state.StatusFailed, state.StatusTimeout, state.StatusDiverged, state.StatusCancelled} {
		if n := rep.ByStatus[s]; n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n, s))
		}
	}
	fmt.Fprintf(w, "  %d sweeps, %d trials (%s), %d results, next token %d\n",
		rep.Sweeps, rep.Trials, strings.Join(counts, ", "), rep.Results, rep.NextToken)
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "  problem: %s\n", p)
	}
	if n := rep.NProblems - len(rep.Problems); n > 0 {
		fmt.Fprintf(w, "  ... and %d more\n", n)
	}
}
