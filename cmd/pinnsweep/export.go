package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/pinnsweep/pinnsweep/coordinator/boltstore"
	"github.com/pinnsweep/pinnsweep/coordinator/export"
	"github.com/pinnsweep/pinnsweep/coordinator/service"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
	"github.com/pinnsweep/pinnsweep/internal/atomicfile"
	"github.com/pinnsweep/pinnsweep/internal/safefile"
	"github.com/pinnsweep/pinnsweep/sweeps"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// defaultDB is the database file of `run`, which export and report read
// by default.
const defaultDB = "pinnsweep.db"

// sourceFlags choose where export and report read a sweep: a database file
// or a coordinator.
type sourceFlags struct {
	db   string
	conn *connFlags
}

// addSourceFlags registers --db and the connection flags on cmd.
func addSourceFlags(cmd *cobra.Command) *sourceFlags {
	f := &sourceFlags{}
	cmd.Flags().StringVar(&f.db, "db", "", "read the sweep database `file` directly; no coordinator may hold it (default: "+
		defaultDB+", the file of pinnsweep run, unless a coordinator is set by --coordinator, $PINNSWEEP_COORDINATOR or a context)")
	f.conn = addConnFlags(cmd)
	return f
}

// source is a resolved sweep source: a database file, or a coordinator
// when db is "".
type source struct {
	db   string
	conn conn
}

// resolve picks the source: --db or --coordinator as given (not both);
// without either, a coordinator from the environment or a context, else
// the default database.
func (f *sourceFlags) resolve(cmd *cobra.Command) (source, error) {
	dbGiven, coordGiven := cmd.Flags().Changed("db"), cmd.Flags().Changed("coordinator")
	if dbGiven && coordGiven {
		return source{}, usageErrorf("give at most one of --db and --coordinator")
	}
	if dbGiven {
		if f.db == "" {
			return source{}, usageErrorf("--db must not be empty")
		}
		return source{db: f.db}, nil
	}
	c, err := f.conn.resolve()
	if err != nil {
		return source{}, err
	}
	if c.Coordinator == "" {
		return source{db: defaultDB}, nil
	}
	return source{conn: c}, nil
}

func newExportCmd() *cobra.Command {
	var format, out string
	cmd := &cobra.Command{
		Use:   "export SWEEP",
		Short: "export a sweep's trials and results as CSV or JSON",
		Long: `Writes one row (CSV) or object (JSON) per trial: its key, status, attempts, axis values
and seed, the result's numeric fields (the sweep's metric first), the params that are not
axes, the failure class (judged by the sweep's metric and threshold), worker, reason and the stderr tail of a failed command trial; the JSON also holds each
full result, params and tail. The CSV has at most 64 result and 64 param columns. The sweep is
read from --db FILE, or from a coordinator (--coordinator, $PINNSWEEP_COORDINATOR or a
context), else from ` + defaultDB + `.`,
		Args: positional(1, 1, "SWEEP"),
	}
	cmd.Flags().StringVar(&format, "format", export.FormatCSV, "output format: csv or json")
	cmd.Flags().StringVar(&out, "out", "", "write to `file` (mode 0644, atomically) instead of standard output")
	_ = cmd.RegisterFlagCompletionFunc("format", completeWords(export.FormatCSV, export.FormatJSON))
	sf := addSourceFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		sweep := args[0]
		if format != export.FormatCSV && format != export.FormatJSON {
			return usageErrorf("--format %q: want csv or json", format)
		}
		src, err := sf.resolve(cmd)
		if err != nil {
			return err
		}
		ctx, cancel := callContext()
		defer cancel()
		// Read first, so that a failed read leaves no partial output.
		ls, err := loadSweep(ctx, src, sweep)
		if err != nil {
			return err
		}
		sheet := export.Sheet{Axes: ls.axes, Metric: ls.metric(cmd.ErrOrStderr())}
		write := func(w io.Writer) error {
			return export.Write(w, format, sheet, ls.trials)
		}
		if out == "" {
			return write(cmd.OutOrStdout())
		}
		return atomicfile.Write(out, atomicfile.Public, write)
	}
	return cmd
}

// loadedSweep is a sweep as export and report read it.
type loadedSweep struct {
	axes   []string
	trials []state.TrialRecord
	// spec is the sweep's latest accepted spec, as submitted.
	spec, specFile string
}

// metric returns what the sweep's stored spec judges its trials by
// (sweeps.Spec.VerdictMetric), or verdict.Default with a line to warn
// when the stored spec does not parse.
func (ls loadedSweep) metric(warn io.Writer) verdict.Metric {
	spec, err := sweeps.Parse(ls.specFile, []byte(ls.spec), specOptions())
	if err != nil {
		m := verdict.Default()
		fmt.Fprintf(warn, "pinnsweep: the stored spec does not parse (%v); judging by %s, threshold %g\n",
			oneLine(err), m.Name, m.Threshold)
		return m
	}
	return spec.VerdictMetric()
}

// loadSweep reads a sweep's axes, spec and trials, results included, from
// src.
func loadSweep(ctx context.Context, src source, sweep string) (loadedSweep, error) {
	if src.db != "" {
		if err := safefile.CheckRegular(src.db); err != nil {
			return loadedSweep{}, err
		}
		rec, trials, err := boltstore.ReadDatabase(ctx, src.db, sweep)
		if errors.Is(err, boltstore.ErrLocked) {
			return loadedSweep{}, fmt.Errorf("database %s is locked by a running coordinator; use --coordinator", src.db)
		}
		return loadedSweep{axes: rec.Axes, trials: trials, spec: rec.Source, specFile: rec.Filename}, err
	}
	client, err := dialCoordinator(src.conn)
	if err != nil {
		return loadedSweep{}, err
	}
	defer client.Close()
	resp, err := client.sweeps.GetSweep(ctx, &pb.GetSweepRequest{Sweep: sweep, IncludeTrials: true})
	if err != nil {
		return loadedSweep{}, src.conn.rpcErr(err)
	}
	trials := make([]state.TrialRecord, len(resp.GetTrials()))
	for i, t := range resp.GetTrials() {
		trials[i] = service.TrialFromProto(t)
	}
	return loadedSweep{axes: resp.GetAxes(), trials: trials, spec: resp.GetSpecSource(), specFile: sweep + ".yaml"}, nil
}
