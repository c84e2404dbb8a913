package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	rpt "github.com/pinnsweep/pinnsweep/report"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// writeSummary prints one row per grid point (a trial's point without its
// seed) that has trials, in the grid's order (report.Aggregate: numeric
// axes in numeric order): the axis values, the median of the metric over
// the done replicates, the number of replicates, done, diverged and
// failed (failed, timed out or cancelled), and the point's verdict
// against metric (verdict.Metric.Judge, as the report, the dashboard and
// refinement judge it). axes are the sweep's point names
// (SweepRecord.Axes).
func writeSummary(w io.Writer, axes []string, trials []state.TrialRecord, metric verdict.Metric) error {
	g, err := rpt.Aggregate(axes, trials, metric)
	if err != nil {
		return err
	}
	names := make([]string, len(g.Axes))
	for k, a := range g.Axes {
		names[k] = a.Name
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := append(names, "median "+g.Metric.Name, "n", "done", "diverged", "failed", "verdict")
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for i := range g.Cells {
		c := &g.Cells[i]
		if c.Counts.Total == 0 {
			continue
		}
		med := "-"
		if c.Stats != nil {
			med = strconv.FormatFloat(c.Stats.Median, 'g', 4, 64)
		}
		n := c.Counts
		cells := append(append([]string(nil), c.Point...), med, strconv.Itoa(n.Total), strconv.Itoa(n.Done),
			strconv.Itoa(n.Diverged), strconv.Itoa(n.Failed+n.Timeout+n.Cancelled), c.Verdict.String())
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}
