package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	rpt "github.com/pinnsweep/pinnsweep/report"
	"github.com/pinnsweep/pinnsweep/sweeps"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// summaryRow is one grid point of run's summary.
type summaryRow struct {
	// Point holds the axis values (numbers for numeric axes), in axis
	// order, without the seed.
	Point sweeps.Point `json:"point"`
	// Verdict is pass, fail, pending or void (see pointVerdict).
	Verdict verdict.Verdict `json:"verdict"`
	// Median is the median of the sweep's metric (runSummary.Metric) over
	// the replicates that measured it; nil when none did.
	Median *float64 `json:"median"`
	// Replicates counts the point's trials; Done, Diverged and Failed
	// (failed, timed out or cancelled) those that ended so, Open those
	// pending or running.
	Replicates int `json:"replicates"`
	Done       int `json:"done"`
	Diverged   int `json:"diverged"`
	Failed     int `json:"failed"`
	Open       int `json:"open"`
	// Class is the failure class of the point's median replicate
	// (report.Cell.Class; "" when none) and Classes counts the replicates
	// by class.
	Class   verdict.FailureClass         `json:"failure_class,omitempty"`
	Classes map[verdict.FailureClass]int `json:"classes,omitempty"`
}

// pointVerdict is the verdict of a grid point of run's summary: the one
// call through which the summary classifies a point, so that the rule
// lives elsewhere (the verdict package, which report.Aggregate applied
// with the sweep's metric, as refinement and the dashboard do).
func pointVerdict(c *rpt.Cell) verdict.Verdict {
	return c.Verdict
}

// summaryRows aggregates trials by grid point (the point without its
// seed) with the report's aggregation, judged against metric: grid points
// in the report's order, numeric axes in numeric order (sweeps.Number),
// so that a refined midpoint sits between its neighbours; points without
// trials are left out. axes are the sweep's point names (SweepRecord.Axes).
func summaryRows(axes []string, trials []state.TrialRecord, metric verdict.Metric) ([]summaryRow, *rpt.Grid, error) {
	g, err := rpt.Aggregate(axes, trials, metric)
	if err != nil {
		return nil, nil, err
	}
	var rows []summaryRow
	for i := range g.Cells {
		c := &g.Cells[i]
		if c.Counts.Total == 0 {
			continue
		}
		r := summaryRow{
			Verdict:    pointVerdict(c),
			Replicates: c.Counts.Total,
			Done:       c.Counts.Done,
			Diverged:   c.Counts.Diverged,
			Failed:     c.Counts.Failed + c.Counts.Timeout + c.Counts.Cancelled,
			Open:       c.Counts.Open(),
			Class:      c.Class,
			Classes:    c.Classes,
		}
		for k, j := range c.Index {
			v := g.Axes[k].Values[j]
			var val any = v.Label
			if g.Axes[k].Numeric {
				val = v.Num
			}
			r.Point = append(r.Point, sweeps.Coord{Axis: g.Axes[k].Name, Value: val})
		}
		if c.Stats != nil {
			m := c.Stats.Median
			r.Median = &m
		}
		rows = append(rows, r)
	}
	return rows, g, nil
}

// writeSummary prints one row per grid point: the axis values, the
// verdict, the median of the grid's metric over the replicates that
// measured it, the number of replicates, done, diverged and failed
// (failed, timed out or cancelled), and the failure class of the median
// replicate.
func writeSummary(w io.Writer, g *rpt.Grid, rows []summaryRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	var header []string
	for _, a := range g.Axes {
		header = append(header, a.Name)
	}
	header = append(header, "verdict", "median "+g.Metric.Name, "n", "done", "diverged", "failed", "class")
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		var cells []string
		for _, c := range r.Point {
			cells = append(cells, rpt.ValueLabel(c.Value))
		}
		med := "-"
		if r.Median != nil {
			med = strconv.FormatFloat(*r.Median, 'g', 4, 64)
		}
		class := "-"
		if r.Class != verdict.Unclassified {
			class = r.Class.String()
		}
		cells = append(cells, r.Verdict.String(), med, strconv.Itoa(r.Replicates),
			strconv.Itoa(r.Done), strconv.Itoa(r.Diverged), strconv.Itoa(r.Failed), class)
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}
