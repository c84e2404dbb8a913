package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/pinnsweep/pinnsweep/coordinator/export"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/verdict"

	// Imported as rpt: run.go has a function named report.
	rpt "github.com/pinnsweep/pinnsweep/report"
	"github.com/pinnsweep/pinnsweep/sweeps"
)

func init() {
	register("report", command{
		summary: "draw a sweep's phase diagrams and trial figures, with replicate statistics",
		run:     runReport,
	})
}

// trialChoices are the values of --trials.
var trialChoices = []string{"median", "best", "worst", "all", "none"}

// reportFlags are the settings of `pinnsweep report`.
type reportFlags struct {
	db, addr, out string
	threshold     float64
	x, y          string
	formats       []string
	keys          listFlag
	trials        string
}

// runReport implements `pinnsweep report SWEEP (--db FILE | --coordinator
// ADDR) --out DIR`.
func runReport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	f := reportFlags{keys: listFlag{what: "trial key"}}
	fs.StringVar(&f.db, "db", "", "read the sweep database `file` directly (no coordinator may hold it)")
	fs.StringVar(&f.addr, "coordinator", "", "ask the coordinator at `host:port`")
	fs.StringVar(&f.out, "out", "", "report `dir`ectory (created; files in it are replaced)")
	fs.Float64Var(&f.threshold, "threshold", verdict.DefaultThreshold, "failure threshold on the median rel_l2 (default: the spec's failure_threshold, else 0.1)")
	fs.StringVar(&f.x, "x", "", "horizontal `axis` of the phase diagrams (default: the first axis with several values)")
	fs.StringVar(&f.y, "y", "", "vertical `axis` (default: the next axis with several values)")
	format := fs.String("format", "png,svg", "image `formats`, comma-separated: png, svg")
	fs.Var(&f.keys, "trial", "also draw the trial with this `key` (repeatable)")
	fs.StringVar(&f.trials, "trials", "median", "trials drawn per grid point: median, best, worst (by rel_l2), all or none")
	creds := addClientAuthFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: pinnsweep report SWEEP (--db FILE | --coordinator ADDR) --out DIR [flags]")
		fmt.Fprintln(fs.Output(), "\nWrites into DIR: a phase diagram per pair of axes (median rel_l2 per grid point, the")
		fmt.Fprintln(fs.Output(), "threshold boundary), a solution figure (exact, predicted, |error|) and a loss-curve figure")
		fmt.Fprintln(fs.Output(), "per chosen trial under trials/, summary.md (replicate statistics), aggregate.json,")
		fmt.Fprintln(fs.Output(), "results.csv and results.json.\n\nFlags:")
		fs.PrintDefaults()
	}
	sweep, code, ok := parseOneArg(fs, args, stderr, "SWEEP (usage: pinnsweep report SWEEP (--db FILE | --coordinator ADDR) --out DIR)")
	if !ok {
		return code
	}
	for _, v := range strings.Split(*format, ",") {
		if v = strings.TrimSpace(v); v != "" {
			f.formats = append(f.formats, v)
		}
	}
	if msg := f.check(); msg != "" {
		fmt.Fprintf(stderr, "pinnsweep report: %s\n", msg)
		return 2
	}

	ctx, cancel := callContext()
	defer cancel()
	ls, err := loadSweep(ctx, f.db, f.addr, creds, sweep)
	if err != nil {
		return loadError(stderr, "report", f.db, f.addr, err)
	}
	axes, trials := ls.axes, ls.trials
	// The spec's metric, which refinement judged by too; --threshold
	// overrides its threshold.
	metric := verdict.Default()
	if spec, err := sweeps.Parse(ls.specFile, []byte(ls.spec), specOptions()); err != nil {
		fmt.Fprintf(stderr, "pinnsweep report: the stored spec does not parse (%v); threshold %g\n", oneLine(err), f.threshold)
	} else {
		metric = spec.VerdictMetric()
	}
	if flagGiven(fs, "threshold") {
		metric.Threshold = f.threshold
	}
	if len(trials) == 0 {
		fmt.Fprintf(stderr, "pinnsweep report: sweep %q has no trials\n", sweep)
		return 1
	}
	grid, err := rpt.Aggregate(axes, trials, metric)
	if err != nil {
		fmt.Fprintf(stderr, "pinnsweep report: %v\n", oneLine(err))
		return 1
	}
	slices, err := grid.Slices(f.x, f.y)
	if err != nil {
		fmt.Fprintf(stderr, "pinnsweep report: %v\n", oneLine(err))
		return 2
	}
	byKey := make(map[string]*state.TrialRecord, len(trials))
	for i := range trials {
		byKey[trials[i].Key] = &trials[i]
	}
	for _, k := range f.keys.values {
		if byKey[k] == nil {
			fmt.Fprintf(stderr, "pinnsweep report: --trial %s: sweep %q has no trial with this key\n", k, sweep)
			return 2
		}
	}

	w := reportWriter{dir: f.out}
	if err := os.MkdirAll(filepath.Join(f.out, "trials"), 0o755); err != nil {
		fmt.Fprintf(stderr, "pinnsweep report: creating the report directory: %v\n", err)
		return 1
	}
	sum := &rpt.Summary{Sweep: sweep, Grid: grid, Slices: slices}
	for _, name := range []string{"results.csv", "results.json"} {
		format := strings.TrimPrefix(filepath.Ext(name), ".")
		w.file(name, func(out io.Writer) error { return export.Write(out, format, axes, trials) })
		sum.Data = append(sum.Data, name)
	}
	w.file("aggregate.json", func(out io.Writer) error {
		return rpt.WriteAggregateJSON(out, sweep, grid)
	})
	sum.Data = append(sum.Data, "aggregate.json")
	for i := range slices {
		sl := &slices[i]
		opt := rpt.PhaseOptions{Sweep: sweep}
		sum.PhaseFiles = append(sum.PhaseFiles, w.images(sl.Name(), f.formats, func(out io.Writer, format string) error {
			return rpt.WritePhase(out, format, sl, opt)
		}))
	}
	for _, pick := range pickTrials(grid, f.trials, f.keys.values) {
		sum.Trials = append(sum.Trials, w.trial(grid, pick, byKey[pick.rep.Key], f.formats, &sum.Problems))
	}
	w.file("summary.md", func(out io.Writer) error { return rpt.WriteSummary(out, sum) })
	if w.err != nil {
		fmt.Fprintf(stderr, "pinnsweep report: %v\n", oneLine(w.err))
		return 1
	}
	for _, p := range sum.Problems {
		fmt.Fprintf(stderr, "pinnsweep report: not drawn: %s\n", p)
	}
	fmt.Fprintf(stdout, "report: %d files in %s (%d phase diagrams, %d trials drawn); see %s\n",
		w.written, f.out, len(slices), len(sum.Trials), filepath.Join(f.out, "summary.md"))
	return 0
}

// check returns what is wrong with the flags, or "".
func (f *reportFlags) check() string {
	switch {
	case (f.db == "") == (f.addr == ""):
		return "give exactly one of --db and --coordinator"
	case f.out == "":
		return "--out DIR is required"
	case !(f.threshold > 0) || math.IsInf(f.threshold, 0):
		return fmt.Sprintf("--threshold %g: want a positive number", f.threshold)
	case len(f.formats) == 0:
		return "--format: want png, svg or both"
	}
	for _, v := range f.formats {
		if v != rpt.FormatPNG && v != rpt.FormatSVG {
			return fmt.Sprintf("--format %q: want png, svg or both (comma-separated)", v)
		}
	}
	for _, v := range trialChoices {
		if f.trials == v {
			return ""
		}
	}
	return fmt.Sprintf("--trials %q: want one of %s", f.trials, strings.Join(trialChoices, ", "))
}

// trialPick is a trial chosen for figures.
type trialPick struct {
	cell *rpt.Cell
	rep  *rpt.Replicate
	why  string
}

// pickTrials returns the trials to draw: per cell, the done replicate that
// choice names (median, best, worst; every done one for all; none for
// none), then the --trial keys not already chosen.
func pickTrials(g *rpt.Grid, choice string, keys []string) []trialPick {
	var out []trialPick
	seen := map[string]bool{}
	add := func(c *rpt.Cell, r *rpt.Replicate, why string) {
		if r != nil && !seen[r.Key] {
			seen[r.Key] = true
			out = append(out, trialPick{cell: c, rep: r, why: why})
		}
	}
	for i := range g.Cells {
		c := &g.Cells[i]
		switch choice {
		case "none":
		case "all":
			for j := range c.Trials {
				if c.Trials[j].RelL2 != nil {
					add(c, &c.Trials[j], "done")
				}
			}
		default:
			add(c, c.Representative(choice), choice+" of its grid point")
		}
	}
	for _, k := range keys {
		for i := range g.Cells {
			for j := range g.Cells[i].Trials {
				if g.Cells[i].Trials[j].Key == k {
					add(&g.Cells[i], &g.Cells[i].Trials[j], "--trial")
				}
			}
		}
	}
	return out
}

// reportWriter writes the report's files atomically, keeping the first
// error.
type reportWriter struct {
	dir     string
	err     error
	written int
}

// file writes name (relative to the report directory).
func (w *reportWriter) file(name string, write func(io.Writer) error) bool {
	if w.err != nil {
		return false
	}
	path := filepath.Join(w.dir, name)
	if err := writeFileAtomic(path, write); err != nil {
		w.err = fmt.Errorf("writing %s: %w", path, err)
		return false
	}
	if err := os.Chmod(path, 0o644); err != nil {
		w.err = err
		return false
	}
	w.written++
	return true
}

// images writes stem.FORMAT for each format and returns the names written.
func (w *reportWriter) images(stem string, formats []string, draw func(io.Writer, string) error) []string {
	var names []string
	for _, format := range formats {
		name := stem + "." + format
		if w.file(name, func(out io.Writer) error { return draw(out, format) }) {
			names = append(names, name)
		}
	}
	return names
}

// trial draws the solution and loss figures of one trial; what cannot be
// drawn is appended to problems.
func (w *reportWriter) trial(g *rpt.Grid, p trialPick, t *state.TrialRecord, formats []string, problems *[]string) rpt.TrialFigures {
	fig := rpt.TrialFigures{Replicate: *p.rep, Why: p.why, Label: g.Label(p.cell)}
	var parts []string
	for k, a := range g.Axes {
		parts = append(parts, a.Name+"="+p.cell.Point[k])
	}
	parts = append(parts, "seed="+p.rep.Seed)
	stem := filepath.Join("trials", rpt.FileName(strings.Join(parts, "-")))
	name := strings.Join(parts, " ")
	res, err := rpt.DecodeResult(t.Result)
	if err != nil {
		*problems = append(*problems, fmt.Sprintf("trial %s (%s): %v", t.Key, name, err))
		return fig
	}
	title := fmt.Sprintf("%s: %s", name, res.Status)
	if p.rep.RelL2 != nil {
		title += ", rel L2 = " + rpt.FormatRelL2(*p.rep.RelL2)
	}
	fields, err := rpt.SolutionFields(res)
	if err != nil {
		*problems = append(*problems, fmt.Sprintf("solution of trial %s (%s): %v", t.Key, name, err))
	} else {
		fig.Solution = w.images(stem+"-solution", formats, func(out io.Writer, format string) error {
			return rpt.WriteSolution(out, format, fields, title)
		})
	}
	if err := rpt.CheckLoss(res.History); err != nil {
		*problems = append(*problems, fmt.Sprintf("loss curves of trial %s (%s): %v", t.Key, name, err))
		return fig
	}
	fig.Loss = w.images(stem+"-loss", formats, func(out io.Writer, format string) error {
		return rpt.WriteLoss(out, format, res.History, title)
	})
	return fig
}

// flagGiven reports whether the flag name was set on the command line.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}
