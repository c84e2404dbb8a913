package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/pinnsweep/pinnsweep/coordinator/export"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/internal/atomicfile"
	"github.com/pinnsweep/pinnsweep/internal/safefile"
	"github.com/pinnsweep/pinnsweep/verdict"
	// Imported as rpt: "report" names the command's variables.
	rpt "github.com/pinnsweep/pinnsweep/report"
)

// trialChoices are the values of --trials.
var trialChoices = []string{"median", "best", "worst", "all", "none"}

// reportOptions say what writeReport draws and where.
type reportOptions struct {
	sweep string
	// dir is the report directory, created if missing.
	dir string
	// metric is what the grid points are judged by; nil means the stored
	// spec's metric (sweeps.Spec.VerdictMetric), or verdict.Default when
	// the stored spec does not parse.
	metric *verdict.Metric
	// threshold, when set (--threshold), replaces the metric's threshold.
	threshold *float64
	// x and y pick the phase diagrams' axes ("": the defaults).
	x, y string
	// formats are the image formats (png, svg).
	formats []string
	// trials is one of trialChoices; keys are trials drawn in addition.
	trials string
	keys   []string
	// landscape draws each drawn trial's loss landscape (report --landscape).
	landscape bool
	// fields are result fields to draw phase diagrams of (report
	// --metric).
	fields []string
}

// defaultReportOptions are the report's defaults, which run uses.
func defaultReportOptions(sweep string) reportOptions {
	return reportOptions{sweep: sweep, dir: defaultOut(sweep), formats: []string{rpt.FormatPNG, rpt.FormatSVG}, trials: "median"}
}

// defaultOut is the output directory of a sweep's results and report.
func defaultOut(sweep string) string { return filepath.Join("pinnsweep-out", sweep) }

// check returns what is wrong with the options, as a usage error.
func (o *reportOptions) check() error {
	switch {
	case o.dir == "":
		return usageErrorf("--out must not be empty")
	case o.threshold != nil && (math.IsInf(*o.threshold, 0) || math.IsNaN(*o.threshold)):
		return usageErrorf("--threshold %g: want a finite number", *o.threshold)
	case len(o.formats) == 0:
		return usageErrorf("--format: want png, svg or both")
	}
	for _, v := range o.formats {
		if v != rpt.FormatPNG && v != rpt.FormatSVG {
			return usageErrorf("--format %q: want png, svg or both (comma-separated)", v)
		}
	}
	for _, v := range trialChoices {
		if o.trials == v {
			return nil
		}
	}
	return usageErrorf("--trials %q: want one of %s", o.trials, strings.Join(trialChoices, ", "))
}

// reportResult is what writeReport wrote.
type reportResult struct {
	dir     string
	written int
	// phases are the phase diagrams' paths (every format), summary the
	// summary.md path.
	phases  []string
	summary string
	// slices is the number of phase diagrams, trials the trials drawn.
	slices, trials int
	// metric is what the report judged by.
	metric verdict.Metric
	// problems lists what could not be drawn.
	problems []string
}

// firstPhase returns the path of the first phase diagram, or "".
func (r reportResult) firstPhase() string {
	if len(r.phases) == 0 {
		return ""
	}
	return r.phases[0]
}

// writeReport writes the report of a loaded sweep with the report
// package: phase diagrams, trial figures, summary.md, aggregate.json and
// results.csv/json, with mode 0644. The report is written whole or not at
// all: its files are staged inside the report directory and moved into
// place, summary.md last, once every one is written (safefile.Stage). warn
// receives a line when the stored spec does not parse. Bad choices of axes
// or trial keys are usage errors.
func writeReport(ls loadedSweep, o reportOptions, warn io.Writer) (reportResult, error) {
	res := reportResult{dir: o.dir}
	if o.metric != nil {
		res.metric = *o.metric
	} else {
		// The spec's metric, which refinement judged by too.
		res.metric = ls.metric(warn)
	}
	if o.threshold != nil {
		if t := *o.threshold; !(t > 0) && res.metric.Resolved().Name == verdict.DefaultName {
			return res, usageErrorf("--threshold %g: want a positive number (a threshold on %s)", t, verdict.DefaultName)
		}
		res.metric.Threshold = *o.threshold
	}
	if len(ls.trials) == 0 {
		return res, fmt.Errorf("sweep %q has no trials", o.sweep)
	}
	grid, err := rpt.Aggregate(ls.axes, ls.trials, res.metric)
	if err != nil {
		return res, err
	}
	slices, err := grid.Slices(o.x, o.y)
	if err != nil {
		return res, usageError{err}
	}
	byKey := make(map[string]*state.TrialRecord, len(ls.trials))
	for i := range ls.trials {
		byKey[ls.trials[i].Key] = &ls.trials[i]
	}
	for _, k := range o.keys {
		if byKey[k] == nil {
			return res, usageErrorf("--trial %s: sweep %q has no trial with this key", k, o.sweep)
		}
	}
	fields := make([]*rpt.Field, len(o.fields))
	for i, name := range o.fields {
		if fields[i], err = grid.Field(name, ls.trials); err != nil {
			return res, usageErrorf("--metric %s: %v", name, err)
		}
	}
	var lands *rpt.Landscapes
	if o.landscape {
		if lands, err = rpt.SweepLandscapes(ls.trials); err != nil {
			return res, fmt.Errorf("--landscape: %w (no trial of %q was run with diagnostics: [landscape])", err, o.sweep)
		}
	}
	stage, err := safefile.NewStage(o.dir)
	if err != nil {
		return res, fmt.Errorf("creating the report directory: %w", err)
	}
	defer stage.Abort()
	w := reportWriter{stage: stage}
	sum := &rpt.Summary{Sweep: o.sweep, Grid: grid, Slices: slices}
	for _, name := range []string{"results.csv", "results.json"} {
		format := strings.TrimPrefix(filepath.Ext(name), ".")
		sheet := export.Sheet{Axes: ls.axes, Metric: res.metric}
		w.file(name, func(out io.Writer) error { return export.Write(out, format, sheet, ls.trials) })
		sum.Data = append(sum.Data, name)
	}
	w.file("aggregate.json", func(out io.Writer) error {
		return rpt.WriteAggregateJSON(out, o.sweep, grid)
	})
	sum.Data = append(sum.Data, "aggregate.json")
	for i := range slices {
		sl := &slices[i]
		opt := rpt.PhaseOptions{Sweep: o.sweep}
		names := w.images(sl.Name(), o.formats, func(out io.Writer, format string) error {
			return rpt.WritePhase(out, format, sl, opt)
		})
		sum.PhaseFiles = append(sum.PhaseFiles, names)
		for _, n := range names {
			res.phases = append(res.phases, filepath.Join(o.dir, n))
		}
		sum.ClassFiles = append(sum.ClassFiles, w.images(sl.ClassesName(), o.formats, func(out io.Writer, format string) error {
			return rpt.WriteClasses(out, format, sl, opt)
		}))
	}
	for _, f := range fields {
		ff := rpt.FieldFiles{Field: f}
		for i := range slices {
			sl := &slices[i]
			ff.Files = append(ff.Files, w.images(sl.FieldName(f.Name), o.formats, func(out io.Writer, format string) error {
				return rpt.WriteField(out, format, sl, f, rpt.PhaseOptions{Sweep: o.sweep})
			}))
		}
		sum.Fields = append(sum.Fields, ff)
	}
	if lands != nil {
		sum.Landscape = &lands.Scale
	}
	for _, pick := range pickTrials(grid, o.trials, o.keys) {
		fig, stem, name := w.trial(grid, pick, byKey[pick.rep.Key], o.formats, &sum.Problems)
		if lands != nil {
			w.landscape(lands, &fig, stem, name, o.formats, &sum.Problems)
		}
		sum.Trials = append(sum.Trials, fig)
	}
	w.file("summary.md", func(out io.Writer) error { return rpt.WriteSummary(out, sum) })
	if w.err == nil {
		w.err = stage.Commit("summary.md")
	}
	res.written, res.summary = w.written, filepath.Join(o.dir, "summary.md")
	res.slices, res.trials, res.problems = len(slices), len(sum.Trials), sum.Problems
	return res, w.err
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
			add(c, c.Representative(choice, g.Metric.Goal), choice+" of its grid point")
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

// reportWriter stages the report's files with mode 0644, keeping the
// first error.
type reportWriter struct {
	stage   *safefile.Stage
	err     error
	written int
}

// file stages name (relative to the report directory).
func (w *reportWriter) file(name string, write func(io.Writer) error) bool {
	if w.err != nil {
		return false
	}
	if err := w.stage.WriteFile(filepath.ToSlash(name), atomicfile.Public, write); err != nil {
		w.err = fmt.Errorf("writing %s: %w", name, err)
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
// drawn is appended to problems. It also returns the trial's file stem and
// name.
func (w *reportWriter) trial(g *rpt.Grid, p trialPick, t *state.TrialRecord, formats []string, problems *[]string) (fig rpt.TrialFigures, stem, name string) {
	fig = rpt.TrialFigures{Replicate: *p.rep, Why: p.why, Label: g.Label(p.cell)}
	var parts []string
	for k, a := range g.Axes {
		parts = append(parts, a.Name+"="+p.cell.Point[k])
	}
	parts = append(parts, "seed="+p.rep.Seed)
	stem = filepath.Join("trials", rpt.FileName(strings.Join(parts, "-")))
	name = strings.Join(parts, " ")
	res, err := rpt.DecodeResult(t.Result)
	if err != nil {
		*problems = append(*problems, fmt.Sprintf("trial %s (%s): %v", t.Key, name, err))
		return fig, stem, name
	}
	title := fmt.Sprintf("%s: %s", name, res.Status)
	if p.rep.RelL2 != nil {
		title += ", " + rpt.MetricLabel(g.Metric) + " = " + rpt.FormatRelL2(*p.rep.RelL2)
	}
	fields, err := rpt.SolutionFields(t.Params, res)
	if err != nil {
		*problems = append(*problems, fmt.Sprintf("solution of trial %s (%s): %v", t.Key, name, err))
	} else {
		fig.Solution = w.images(stem+"-solution", formats, func(out io.Writer, format string) error {
			return rpt.WriteSolution(out, format, fields, title)
		})
	}
	if err := rpt.CheckLoss(res.History); err != nil {
		*problems = append(*problems, fmt.Sprintf("loss curves of trial %s (%s): %v", t.Key, name, err))
		return fig, stem, name
	}
	fig.Loss = w.images(stem+"-loss", formats, func(out io.Writer, format string) error {
		return rpt.WriteLoss(out, format, res.History, title)
	})
	return fig, stem, name
}
