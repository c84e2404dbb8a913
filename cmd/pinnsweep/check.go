package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pinnsweep/pinnsweep/coordinator/boltstore"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/internal/safefile"
)

func newCheckCmd() *cobra.Command {
	var db string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check --db FILE",
		Short: "check a sweep database's consistency (bbolt's check and the store's invariants)",
		Long: `Runs bbolt's page check and pinnsweep's invariants on a database no coordinator holds:
every trial in exactly one valid status, indexes 0..n-1, running exactly when its lease is
active, tokens unique and below the counter, a result for every done trial and none for a
pending or running one. Exit status 0: consistent; 1: problems found or unreadable.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if db == "" {
				return usageErrorf("--db is required")
			}
			if err := safefile.CheckRegular(db); err != nil {
				return err
			}
			ctx, cancel := signalContext()
			defer cancel()
			rep, err := boltstore.CheckDatabase(ctx, db)
			if err != nil && !errors.Is(err, boltstore.ErrInconsistent) {
				if errors.Is(err, boltstore.ErrLocked) {
					return fmt.Errorf("database %s is locked by a running coordinator; stop it first", db)
				}
				return err
			}
			stdout := cmd.OutOrStdout()
			if asJSON {
				b, jerr := json.Marshal(rep)
				if jerr != nil {
					return jerr
				}
				fmt.Fprintln(stdout, string(b))
			} else {
				writeCheckReport(stdout, &rep)
			}
			if err != nil {
				return fmt.Errorf("%s: %d problems", db, rep.NProblems)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", "", "sweep database `file` (no coordinator may hold it)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as one JSON object")
	return cmd
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
