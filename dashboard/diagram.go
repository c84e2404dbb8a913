package dashboard

import (
	"cmp"
	"fmt"
	"image/color"
	"slices"
	"strings"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/report"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// This file lays a sweep out as the page draws it. The grouping into grid
// points, the statistics and the verdicts are the report's
// (report.Aggregate, which judges with package verdict); the colours are
// the report's scale. Everything the page shows is decided here: the
// browser draws it.

// Cell states, in Cell.State: where the cell's replicates stand.
const (
	// CellOpen: no replicate has a value yet and some are pending or
	// running.
	CellOpen = "open"
	// CellPartial: some replicates give a median; others are still open.
	CellPartial = "partial"
	// CellDone: every replicate ended and at least one has a value.
	CellDone = "done"
	// CellEnded: every replicate ended and none has a value.
	CellEnded = "ended"
)

// Hatches of cells without a colour, in Cell.Hatch and Legend.Hatches.
const (
	// HatchOpen: no value, and the verdict is pending or void.
	HatchOpen = "open"
	// HatchFailed: no value, and the point fails (every replicate
	// diverged or timed out).
	HatchFailed = "failed"
)

// Diagram is a sweep's phase diagram, ready to draw.
type Diagram struct {
	Sweep    string   `json:"sweep"`
	Progress Progress `json:"progress"`
	// XAxis is the first grid axis (columns); empty for a sweep without axes.
	XAxis   string   `json:"x_axis"`
	XValues []string `json:"x_values"`
	// YAxes are the other grid axes, combined into the rows; YValues label
	// the rows ("rho=5 strategy=regular"; one empty label without YAxes).
	YAxes   []string `json:"y_axes"`
	YValues []string `json:"y_values"`
	// Metric names what the trials are judged by; Threshold is its failure
	// threshold and Goal "min" or "max".
	Metric    string  `json:"metric"`
	Goal      string  `json:"goal"`
	Threshold float64 `json:"threshold"`
	// Cells in row-major order of first appearance.
	Cells []Cell `json:"cells"`
	// Boundary lists the cell edges between a passing and a failing
	// neighbour.
	Boundary []Edge `json:"boundary"`
	// Legend is the colour scale and the keys.
	Legend Legend `json:"legend"`
}

// Progress counts a sweep's trials by status.
type Progress struct {
	Sweep     string `json:"sweep"`
	Total     int    `json:"total"`
	Pending   int    `json:"pending"`
	Running   int    `json:"running"`
	Done      int    `json:"done"`
	Failed    int    `json:"failed"`
	Timeout   int    `json:"timeout"`
	Diverged  int    `json:"diverged"`
	Cancelled int    `json:"cancelled"`
	// Ended counts the trials in a final status.
	Ended    int  `json:"ended"`
	Finished bool `json:"finished"`
	// CreatedUnixMS is the sweep's creation time in Unix milliseconds.
	CreatedUnixMS int64 `json:"created_unix_ms"`
}

// ProgressOf converts a sweep's progress to the form the dashboard's API
// serves (GET /api/sweeps).
func ProgressOf(p state.Progress) Progress {
	out := Progress{
		Sweep: p.Sweep, Total: p.Total, Pending: p.Pending, Running: p.Running,
		Done: p.Done, Failed: p.Failed, Timeout: p.Timeout, Diverged: p.Diverged,
		Cancelled: p.Cancelled, Finished: p.Finished, CreatedUnixMS: p.Created.UnixMilli(),
	}
	for _, s := range state.Statuses() {
		if s.Final() {
			out.Ended += p.Of(s)
		}
	}
	return out
}

// Coord is one grid coordinate as shown: an axis and its value (a bundle
// axis shows its label).
type Coord struct {
	Axis  string `json:"axis"`
	Value string `json:"value"`
}

// Cell is one grid point without its seed: its replicates, their
// aggregate and verdict, and how to draw it.
type Cell struct {
	// X and Y index Diagram.XValues and Diagram.YValues.
	X     int     `json:"x"`
	Y     int     `json:"y"`
	Point []Coord `json:"point"`
	State string  `json:"state"`
	// Verdict is "pending", "pass", "fail" or "void" (verdict.Verdict).
	Verdict string `json:"verdict"`
	// Median, Min and Max of the metric over the replicates that measured
	// it; nil when none did.
	Median *float64   `json:"median,omitempty"`
	Min    *float64   `json:"min,omitempty"`
	Max    *float64   `json:"max,omitempty"`
	Counts Counts     `json:"counts"`
	Trials []TrialRef `json:"trials"`
	// Fill is the cell's colour ("#rrggbb", the median on the scale), or
	// "" when it is hatched.
	Fill string `json:"fill,omitempty"`
	// Hatch is HatchOpen or HatchFailed for a cell without a median.
	Hatch string `json:"hatch,omitempty"`
	// Ink is the colour of the cell's text.
	Ink string `json:"ink"`
	// Dashed is set while replicates are still to run.
	Dashed bool `json:"dashed"`
	// Lines are the cell's text (report.Annotation).
	Lines []string `json:"lines"`
	// Class is the failure class of the cell's median replicate
	// (report.Cell.Class), which the page marks with the marker of
	// Legend.Classes of that class; "" when none.
	Class string `json:"failure_class,omitempty"`
	// Classes counts the replicates by class, by short name ("2 ovf 1
	// pass"; report.ClassCounts).
	Classes string `json:"classes"`
	// Title is the cell's tooltip.
	Title string `json:"title"`
}

// Counts counts a cell's trials by status; Measured counts those whose
// value enters the median.
type Counts struct {
	Total     int `json:"total"`
	Pending   int `json:"pending"`
	Running   int `json:"running"`
	Done      int `json:"done"`
	Diverged  int `json:"diverged"`
	Failed    int `json:"failed"`
	Timeout   int `json:"timeout"`
	Cancelled int `json:"cancelled"`
	Measured  int `json:"measured"`
	// Unsuccessful counts the diverged, failed, timed-out and cancelled
	// trials; Open the pending and running ones.
	Unsuccessful int `json:"unsuccessful"`
	Open         int `json:"open"`
}

// TrialRef is one trial of a cell.
type TrialRef struct {
	Key    string   `json:"key"`
	Seed   string   `json:"seed"`
	Status string   `json:"status"`
	RelL2  *float64 `json:"rel_l2,omitempty"`
	// Class is the trial's failure class ("" for none).
	Class    string `json:"failure_class,omitempty"`
	Attempts int    `json:"attempts"`
	Reason   string `json:"reason,omitempty"`
	Worker   string `json:"worker,omitempty"`
}

// Edge is the right or bottom edge of cell (X, Y).
type Edge struct {
	X    int    `json:"x"`
	Y    int    `json:"y"`
	Side string `json:"side"` // "right" or "bottom"
}

// BuildDiagram lays out a sweep's trials, whose grid coordinates are axes
// (the sweep record's, seed included), judged by metric.
func BuildDiagram(p state.Progress, axes []string, trials []state.TrialRecord, metric verdict.Metric) (*Diagram, error) {
	// In index order: the order in which the values of a non-numeric axis
	// appear, and the cells' order.
	trials = slices.Clone(trials)
	slices.SortStableFunc(trials, func(a, b state.TrialRecord) int { return cmp.Compare(a.Index, b.Index) })
	g, err := report.Aggregate(axes, trials, metric)
	if err != nil {
		return nil, err
	}
	m := g.Metric
	scale := g.Scale()
	d := &Diagram{
		Sweep: p.Sweep, Progress: ProgressOf(p),
		Metric: m.Name, Goal: m.Goal.String(), Threshold: m.Threshold,
		XValues: []string{}, YAxes: []string{}, YValues: []string{}, Cells: []Cell{}, Boundary: []Edge{},
		Legend: legendOf(m, scale),
	}
	if len(g.Axes) > 0 {
		d.XAxis = g.Axes[0].Name
		for _, a := range g.Axes[1:] {
			d.YAxes = append(d.YAxes, a.Name)
		}
	}
	if len(g.Cells) == 0 {
		return d, nil
	}
	// Columns are the first axis's values; rows the combinations of the
	// others that have trials, in the grid's order. The grid's cells are in
	// row-major order over its axes (the last varies fastest), so cell i
	// is at column i / per and combination i % per of the others.
	ncols := 1
	if len(g.Axes) > 0 {
		ncols = len(g.Axes[0].Values)
		for _, v := range g.Axes[0].Values {
			d.XValues = append(d.XValues, v.Label)
		}
	} else {
		d.XValues = []string{""}
	}
	per := len(g.Cells) / ncols
	var gridRow []int      // combination of the other axes of each row shown
	rowOf := map[int]int{} // and back
	for r := range per {
		for x := range ncols {
			if g.Cells[x*per+r].Counts.Total > 0 {
				rowOf[r] = len(gridRow)
				gridRow = append(gridRow, r)
				break
			}
		}
	}
	for _, r := range gridRow {
		labels := make([]string, len(d.YAxes))
		c := &g.Cells[r]
		for k := range d.YAxes {
			labels[k] = d.YAxes[k] + "=" + c.Point[k+1]
		}
		d.YValues = append(d.YValues, strings.Join(labels, " "))
	}
	// Cells in order of their first trial.
	byKey := make(map[string]*state.TrialRecord, len(trials))
	cellOf := map[string]int{}
	for i := range g.Cells {
		for _, r := range g.Cells[i].Trials {
			cellOf[r.Key] = i
		}
	}
	at := map[[2]int]int{} // (x, y) → position in d.Cells
	for i := range trials {
		t := &trials[i]
		byKey[t.Key] = t
		ci, ok := cellOf[t.Key]
		if !ok {
			continue
		}
		x, y := ci/per, rowOf[ci%per]
		if _, seen := at[[2]int{x, y}]; seen {
			continue
		}
		at[[2]int{x, y}] = len(d.Cells)
		d.Cells = append(d.Cells, Cell{X: x, Y: y})
	}
	for pos := range d.Cells {
		c := &d.Cells[pos]
		gc := &g.Cells[c.X*per+gridRow[c.Y]]
		fillCell(c, g, gc, byKey, scale)
	}
	for pos := range d.Cells {
		c := &d.Cells[pos]
		for _, n := range []struct {
			dx, dy int
			side   string
		}{{1, 0, "right"}, {0, 1, "bottom"}} {
			if j, ok := at[[2]int{c.X + n.dx, c.Y + n.dy}]; ok &&
				verdict.Opposite(parseVerdict(c.Verdict), parseVerdict(d.Cells[j].Verdict)) {
				d.Boundary = append(d.Boundary, Edge{X: c.X, Y: c.Y, Side: n.side})
			}
		}
	}
	return d, nil
}

// parseVerdict inverts verdict.Verdict.String.
func parseVerdict(s string) verdict.Verdict {
	for _, v := range []verdict.Verdict{verdict.Pass, verdict.Fail, verdict.Void} {
		if v.String() == s {
			return v
		}
	}
	return verdict.Pending
}

// fillCell sets everything c shows from the grid's cell gc.
func fillCell(c *Cell, g *report.Grid, gc *report.Cell, byKey map[string]*state.TrialRecord, scale report.Scale) {
	for k, a := range g.Axes {
		c.Point = append(c.Point, Coord{Axis: a.Name, Value: gc.Point[k]})
	}
	cc := gc.Counts
	c.Counts = Counts{Total: cc.Total, Pending: cc.Pending, Running: cc.Running, Done: cc.Done,
		Diverged: cc.Diverged, Failed: cc.Failed, Timeout: cc.Timeout, Cancelled: cc.Cancelled,
		Unsuccessful: cc.Unsuccessful(), Open: cc.Open()}
	c.Verdict = gc.Verdict.String()
	c.Trials = []TrialRef{}
	for _, r := range gc.Trials {
		ref := TrialRef{Key: r.Key, Seed: r.Seed, Status: string(r.Status), RelL2: r.RelL2, Reason: r.Reason, Class: string(r.Class)}
		if t := byKey[r.Key]; t != nil {
			ref.Attempts, ref.Worker = t.Attempts, t.Worker
		}
		c.Trials = append(c.Trials, ref)
	}
	open := cc.Open() > 0
	c.Dashed = open
	ink := report.InkOn(report.MissingColor)
	if st := gc.Stats; st != nil {
		med, lo, hi := st.Median, st.Min, st.Max
		c.Median, c.Min, c.Max = &med, &lo, &hi
		c.Counts.Measured = st.N
		fill := scale.Color(med)
		c.Fill = hex(fill)
		ink = report.InkOn(fill)
	} else {
		c.Hatch = HatchOpen
		if gc.Verdict == verdict.Fail {
			c.Hatch = HatchFailed
		}
	}
	c.Ink = hex(ink)
	switch {
	case c.Median == nil && open:
		c.State = CellOpen
	case c.Median == nil:
		c.State = CellEnded
	case open:
		c.State = CellPartial
	default:
		c.State = CellDone
	}
	c.Lines = strings.Split(report.Annotation(gc), "\n")
	c.Class, c.Classes = string(gc.Class), report.ClassCounts(gc)
	c.Title = title(c, g.Metric)
}

// title is a cell's tooltip: its point, median, verdict and counts.
func title(c *Cell, m verdict.Metric) string {
	var b strings.Builder
	for i, p := range c.Point {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p.Axis + "=" + p.Value)
	}
	fmt.Fprintf(&b, "\nmedian %s %s", m.Name, fmtValue(c.Median))
	if c.Min != nil {
		fmt.Fprintf(&b, " (min %s, max %s)", fmtValue(c.Min), fmtValue(c.Max))
	}
	fmt.Fprintf(&b, "\nverdict: %s", c.Verdict)
	if c.Class != "" {
		fmt.Fprintf(&b, "\nmedian replicate's class: %s", c.Class)
	}
	if c.Classes != report.NoClasses {
		fmt.Fprintf(&b, "\nclasses: %s", c.Classes)
	}
	var parts []string
	for _, n := range []struct {
		k string
		v int
	}{{"pending", c.Counts.Pending}, {"running", c.Counts.Running}, {"done", c.Counts.Done},
		{"diverged", c.Counts.Diverged}, {"failed", c.Counts.Failed}, {"timeout", c.Counts.Timeout},
		{"cancelled", c.Counts.Cancelled}} {
		if n.v > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n.v, n.k))
		}
	}
	if len(parts) > 0 {
		b.WriteString("\n" + strings.Join(parts, ", "))
	}
	return b.String()
}

// fmtValue formats a value for a tooltip: three significant digits, "—"
// for none.
func fmtValue(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.3g", *v)
}

// hex formats a colour as "#rrggbb".
func hex(c color.Color) string {
	r, g, b, _ := c.RGBA()
	return fmt.Sprintf("#%02x%02x%02x", r>>8, g>>8, b>>8)
}
