package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/export"
	"github.com/pinnsweep/pinnsweep/coordinator/service"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
	"github.com/pinnsweep/pinnsweep/internal/atomicfile"
	rpt "github.com/pinnsweep/pinnsweep/report"
)

// runSummary is the JSON summary of `pinnsweep run --json`.
type runSummary struct {
	Sweep    string `json:"sweep"`
	Database string `json:"database"`
	// Metric, Goal and Threshold are what the points were judged by
	// (the spec's metric, goal and failure_threshold).
	Metric    string        `json:"metric"`
	Goal      string        `json:"goal"`
	Threshold float64       `json:"threshold"`
	Counts    rpt.Counts    `json:"counts"`
	Points    []summaryRow  `json:"points"`
	Brackets  []bracketJSON `json:"brackets"`
	Files     runFiles      `json:"files"`
}

// runFiles are the files run wrote.
type runFiles struct {
	Dir         string   `json:"dir"`
	ResultsCSV  string   `json:"results_csv"`
	ResultsJSON string   `json:"results_json"`
	Summary     string   `json:"summary,omitempty"`
	Phase       []string `json:"phase_diagrams,omitempty"`
}

// finish writes a sweep's results and (unless f.noReport) its report into
// dir, and prints the summary to stdout (a table, or JSON with f.json):
// one row per grid point with its verdict against the sweep's metric (as
// the coordinator judges it for refinement and the dashboard), the
// brackets of refined axes, the counts and the files written.
func finish(ctx context.Context, c *coordinator.Coordinator, sweep string, dir string,
	f runFlags, stdout, stderr io.Writer) error {
	rec, err := c.Sweep(ctx, sweep)
	if err != nil {
		return err
	}
	metric, err := c.Metric(ctx, sweep)
	if err != nil {
		return err
	}
	trials, err := c.Trials(ctx, sweep)
	if err != nil {
		return err
	}
	brackets, err := c.Brackets(ctx, sweep)
	if err != nil {
		return err
	}
	rows, grid, err := summaryRows(rec.Axes, trials, metric)
	if err != nil {
		return err
	}
	m := grid.Metric
	sum := runSummary{Sweep: sweep, Database: f.db, Metric: m.Name, Goal: m.Goal.String(), Threshold: m.Threshold,
		Counts: grid.Counts, Points: rows, Brackets: []bracketJSON{}}
	bs := make([]*pb.Bracket, len(brackets))
	for i, b := range brackets {
		bs[i] = service.BracketToProto(b)
		sum.Brackets = append(sum.Brackets, bracketOf(bs[i]))
	}
	sum.Files = runFiles{Dir: dir, ResultsCSV: filepath.Join(dir, "results.csv"), ResultsJSON: filepath.Join(dir, "results.json")}

	if f.noReport {
		if err := writeResults(dir, export.Sheet{Axes: rec.Axes, Metric: metric}, trials); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stderr, "drawing the report in %s\n", dir)
		o := defaultReportOptions(sweep)
		o.dir, o.metric = dir, &metric
		if rec.Needs.Command {
			// A program's results seldom hold the built-in trainer's
			// loss history and solution snapshot that trial figures
			// draw; report --trials median draws them where they do.
			o.trials = "none"
		}
		ls := loadedSweep{axes: rec.Axes, trials: trials, spec: rec.Source, specFile: rec.Filename}
		res, err := writeReport(ls, o, stderr)
		if err != nil {
			return fmt.Errorf("writing the report: %w", err)
		}
		for _, p := range res.problems {
			fmt.Fprintf(stderr, "pinnsweep run: not drawn: %s\n", p)
		}
		sum.Files.Summary, sum.Files.Phase = res.summary, res.phases
	}

	cnt := grid.Counts
	if bad := cnt.Failed + cnt.Timeout + cnt.Cancelled; bad > 0 {
		fmt.Fprintf(stderr, "%d trials did not finish; rerun with --rerun-failed to retry them\n", bad)
	}
	if f.json {
		return writeJSON(stdout, sum)
	}
	fmt.Fprintln(stdout)
	if err := writeSummary(stdout, grid, rows); err != nil {
		return err
	}
	if err := writeBrackets(stdout, []string{sweep}, [][]*pb.Bracket{bs}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n%d trials ended: %d done, %d diverged, %d failed, %d timed out, %d cancelled\n",
		cnt.Total-cnt.Open(), cnt.Done, cnt.Diverged, cnt.Failed, cnt.Timeout, cnt.Cancelled)
	fmt.Fprintf(stdout, "results: %s, %s\n", sum.Files.ResultsCSV, sum.Files.ResultsJSON)
	if sum.Files.Summary != "" {
		fmt.Fprintf(stdout, "report: %s\n", sum.Files.Summary)
	}
	if len(sum.Files.Phase) > 0 {
		fmt.Fprintf(stdout, "phase diagram: %s\n", sum.Files.Phase[0])
	}
	return nil
}

// writeResults writes results.csv and results.json into dir, atomically
// with mode 0644; sheet's metric classifies the trials.
func writeResults(dir string, sheet export.Sheet, trials []state.TrialRecord) error {
	if err := atomicfile.MkdirAll(dir); err != nil {
		return fmt.Errorf("creating the output directory: %w", err)
	}
	for _, format := range []string{export.FormatCSV, export.FormatJSON} {
		if err := atomicfile.Write(filepath.Join(dir, "results."+format), atomicfile.Public, func(w io.Writer) error {
			return export.Write(w, format, sheet, trials)
		}); err != nil {
			return err
		}
	}
	return nil
}
