package dashboard

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
	"github.com/pinnsweep/pinnsweep/sweeps"
)

// This file aggregates a sweep's trials into phase-diagram cells. It
// follows the semantics of the report package's aggregation: a cell is a
// grid point without its seed, and its value is the median rel_l2 over the
// replicates that finished with status done; diverged, failed, timed-out
// and cancelled trials are only counted.

// Cell states, in Cell.State.
const (
	// CellOpen: no trial has a result yet and some are pending or running.
	CellOpen = "open"
	// CellPartial: some done trials give a median; others are still open.
	CellPartial = "partial"
	// CellDone: every trial ended and at least one is done.
	CellDone = "done"
	// CellFailed: every trial ended and none is done.
	CellFailed = "failed"
)

// Diagram is a sweep's phase diagram.
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
	// Threshold is the rel_l2 above which a trial counts as a failure.
	Threshold float64 `json:"threshold"`
	// Cells in row-major order of first appearance.
	Cells []Cell `json:"cells"`
}

// Progress counts a sweep's trials by status.
type Progress struct {
	Sweep     string `json:"sweep"`
	Total     int64  `json:"total"`
	Pending   int64  `json:"pending"`
	Running   int64  `json:"running"`
	Done      int64  `json:"done"`
	Failed    int64  `json:"failed"`
	Timeout   int64  `json:"timeout"`
	Diverged  int64  `json:"diverged"`
	Cancelled int64  `json:"cancelled"`
	Finished  bool   `json:"finished"`
	// CreatedUnixMS is the sweep's creation time in Unix milliseconds.
	CreatedUnixMS int64 `json:"created_unix_ms"`
}

// Coord is one grid coordinate as shown: an axis and its value (a bundle
// axis shows its label).
type Coord struct {
	Axis  string `json:"axis"`
	Value string `json:"value"`
}

// Cell is one grid point without its seed: its replicates and their
// aggregate.
type Cell struct {
	// X and Y index Diagram.XValues and Diagram.YValues.
	X     int     `json:"x"`
	Y     int     `json:"y"`
	Point []Coord `json:"point"`
	State string  `json:"state"`
	// Median, Min and Max of rel_l2 over the done replicates; nil when
	// none is done.
	Median *float64   `json:"median,omitempty"`
	Min    *float64   `json:"min,omitempty"`
	Max    *float64   `json:"max,omitempty"`
	Counts Counts     `json:"counts"`
	Trials []TrialRef `json:"trials"`
}

// Counts counts a cell's trials by status. Done counts only the trials
// that enter the median.
type Counts struct {
	Total     int `json:"total"`
	Pending   int `json:"pending"`
	Running   int `json:"running"`
	Done      int `json:"done"`
	Diverged  int `json:"diverged"`
	Failed    int `json:"failed"`
	Timeout   int `json:"timeout"`
	Cancelled int `json:"cancelled"`
}

// TrialRef is one trial of a cell.
type TrialRef struct {
	Key      string   `json:"key"`
	Seed     string   `json:"seed"`
	Status   string   `json:"status"`
	RelL2    *float64 `json:"rel_l2,omitempty"`
	Attempts int32    `json:"attempts"`
	Reason   string   `json:"reason,omitempty"`
	Worker   string   `json:"worker,omitempty"`
}

// statusName returns the lower-case name of a trial status ("done").
func statusName(s pb.TrialStatus) string {
	name, ok := strings.CutPrefix(s.String(), "TRIAL_STATUS_")
	if !ok {
		return "unknown"
	}
	return strings.ToLower(name)
}

// progressOf converts a SweepProgress.
func progressOf(p *pb.SweepProgress) Progress {
	return Progress{
		Sweep: p.GetSweep(), Total: p.GetTotal(), Pending: p.GetPending(), Running: p.GetRunning(),
		Done: p.GetDone(), Failed: p.GetFailed(), Timeout: p.GetTimeout(), Diverged: p.GetDiverged(),
		Cancelled: p.GetCancelled(), Finished: p.GetFinished(), CreatedUnixMS: p.GetCreatedUnixMs(),
	}
}

// BuildDiagram aggregates a GetSweep answer (with its trials) into the
// sweep's phase diagram; threshold is the failure threshold on rel_l2.
func BuildDiagram(resp *pb.GetSweepResponse, threshold float64) (*Diagram, error) {
	d := &Diagram{
		Sweep:     resp.GetProgress().GetSweep(),
		Progress:  progressOf(resp.GetProgress()),
		Threshold: threshold,
		XValues:   []string{},
		YAxes:     []string{},
		YValues:   []string{},
		Cells:     []Cell{},
	}
	var axes []string
	for _, a := range resp.GetAxes() {
		if a != sweeps.SeedKey {
			axes = append(axes, a)
		}
	}
	if len(axes) > 0 {
		d.XAxis, d.YAxes = axes[0], axes[1:]
	}
	trials := slices.Clone(resp.GetTrials())
	sort.SliceStable(trials, func(i, j int) bool { return trials[i].GetIndex() < trials[j].GetIndex() })

	xIndex, yIndex, cellIndex := map[string]int{}, map[string]int{}, map[[2]int]int{}
	relL2 := map[int][]float64{}
	raw := make([]map[string]any, len(axes)) // each axis's values by label
	for i := range raw {
		raw[i] = map[string]any{}
	}
	var rowLabels [][]string // each row's values of axes[1:]
	for _, t := range trials {
		var pt sweeps.Point
		if err := pt.UnmarshalJSON([]byte(t.GetPointJson())); err != nil {
			return nil, fmt.Errorf("trial %s: %w", t.GetKey(), err)
		}
		coords := make([]Coord, len(axes))
		for i, a := range axes {
			coords[i] = Coord{Axis: a, Value: coordValue(pt, a)}
			raw[i][coords[i].Value], _ = pt.Get(a)
		}
		x, y := 0, 0
		if len(axes) > 0 {
			x = indexOf(xIndex, &d.XValues, coords[0].Value)
			labels := make([]string, len(coords)-1)
			values := make([]string, len(coords)-1)
			for i, c := range coords[1:] {
				labels[i], values[i] = c.Axis+"="+c.Value, c.Value
			}
			y = indexOf(yIndex, &d.YValues, strings.Join(labels, " "))
			if y == len(rowLabels) {
				rowLabels = append(rowLabels, values)
			}
		} else {
			indexOf(xIndex, &d.XValues, "")
			indexOf(yIndex, &d.YValues, "")
		}
		ci, ok := cellIndex[[2]int{x, y}]
		if !ok {
			ci = len(d.Cells)
			cellIndex[[2]int{x, y}] = ci
			d.Cells = append(d.Cells, Cell{X: x, Y: y, Point: coords, Trials: []TrialRef{}})
		}
		c := &d.Cells[ci]
		ref := TrialRef{
			Key: t.GetKey(), Seed: coordValue(pt, sweeps.SeedKey), Status: statusName(t.GetStatus()),
			Attempts: t.GetAttempts(), Reason: t.GetReason(), Worker: t.GetWorker(),
		}
		if t.GetHasRelL2() {
			v := t.GetRelL2()
			ref.RelL2 = &v
		}
		c.Trials = append(c.Trials, ref)
		c.Counts.Total++
		switch t.GetStatus() {
		case pb.TrialStatus_TRIAL_STATUS_DONE:
			if t.GetHasRelL2() {
				c.Counts.Done++
				relL2[ci] = append(relL2[ci], t.GetRelL2())
			} else {
				// A done trial without a finite rel_l2 has no value to
				// aggregate: count it with the failures.
				c.Counts.Failed++
			}
		case pb.TrialStatus_TRIAL_STATUS_DIVERGED:
			c.Counts.Diverged++
		case pb.TrialStatus_TRIAL_STATUS_FAILED:
			c.Counts.Failed++
		case pb.TrialStatus_TRIAL_STATUS_TIMEOUT:
			c.Counts.Timeout++
		case pb.TrialStatus_TRIAL_STATUS_CANCELLED:
			c.Counts.Cancelled++
		case pb.TrialStatus_TRIAL_STATUS_RUNNING:
			c.Counts.Running++
		default:
			c.Counts.Pending++
		}
	}
	if len(axes) > 0 {
		orderAxes(d, raw, rowLabels)
	}
	for i := range d.Cells {
		c := &d.Cells[i]
		if vs := relL2[i]; len(vs) > 0 {
			med, lo, hi := medianMinMax(vs)
			c.Median, c.Min, c.Max = &med, &lo, &hi
		}
		c.State = cellState(c)
	}
	return d, nil
}

// orderAxes puts the columns and rows in axis order: an axis whose values
// are all numbers (sweeps.Number) in numeric order, as the report orders
// them, any other in order of first appearance. Without it a refined
// midpoint, which comes late in index order, would be drawn after the
// largest value. raw holds each axis's values by label; rowLabels each
// row's labels of axes[1:].
func orderAxes(d *Diagram, raw []map[string]any, rowLabels [][]string) {
	// rank[k][label] is the position of the value on axis k.
	rank := make([]map[string]int, len(raw))
	appearance := func(k int) []string {
		if k == 0 {
			return d.XValues
		}
		var out []string
		seen := map[string]bool{}
		for _, r := range rowLabels {
			if !seen[r[k-1]] {
				seen[r[k-1]] = true
				out = append(out, r[k-1])
			}
		}
		return out
	}
	for k := range raw {
		labels := slices.Clone(appearance(k))
		nums := make(map[string]float64, len(labels))
		numeric := true
		for _, l := range labels {
			if nums[l], numeric = sweeps.Number(raw[k][l]); !numeric {
				break
			}
		}
		if numeric {
			sort.SliceStable(labels, func(i, j int) bool { return nums[labels[i]] < nums[labels[j]] })
		}
		rank[k] = make(map[string]int, len(labels))
		for i, l := range labels {
			rank[k][l] = i
		}
	}
	xPerm := permutation(len(d.XValues), func(a, b int) bool { return rank[0][d.XValues[a]] < rank[0][d.XValues[b]] })
	yPerm := permutation(len(d.YValues), func(a, b int) bool {
		for k, la := range rowLabels[a] {
			if ra, rb := rank[k+1][la], rank[k+1][rowLabels[b][k]]; ra != rb {
				return ra < rb
			}
		}
		return false
	})
	d.XValues = permuted(d.XValues, xPerm)
	d.YValues = permuted(d.YValues, yPerm)
	for i := range d.Cells {
		d.Cells[i].X, d.Cells[i].Y = xPerm[d.Cells[i].X], yPerm[d.Cells[i].Y]
	}
}

// permutation returns, for each of n items, its position once sorted
// (stably) by less.
func permutation(n int, less func(a, b int) bool) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return less(order[i], order[j]) })
	pos := make([]int, n)
	for p, i := range order {
		pos[i] = p
	}
	return pos
}

// permuted returns list with item i at position pos[i].
func permuted(list []string, pos []int) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[pos[i]] = v
	}
	return out
}

// cellState classifies a cell for drawing.
func cellState(c *Cell) string {
	open := c.Counts.Pending + c.Counts.Running
	switch {
	case c.Median == nil && open > 0:
		return CellOpen
	case c.Median == nil:
		return CellFailed
	case open > 0:
		return CellPartial
	}
	return CellDone
}

// coordValue returns the shown value of pt's axis: strings as they are,
// other values in canonical JSON, "" when pt lacks the axis.
func coordValue(pt sweeps.Point, axis string) string {
	v, ok := pt.Get(axis)
	if !ok {
		return ""
	}
	s := sweeps.Point{{Axis: axis, Value: v}}.String()
	return strings.TrimPrefix(s, axis+"=")
}

// indexOf returns the index of v in *list, appending it (and recording it
// in index) when new.
func indexOf(index map[string]int, list *[]string, v string) int {
	if i, ok := index[v]; ok {
		return i
	}
	index[v] = len(*list)
	*list = append(*list, v)
	return len(*list) - 1
}

// medianMinMax returns the median, minimum and maximum of xs (not empty),
// which it sorts. The median of an even count is the mean of the middle
// two.
func medianMinMax(xs []float64) (med, lo, hi float64) {
	sort.Float64s(xs)
	n := len(xs)
	med = xs[n/2]
	if n%2 == 0 {
		med = (xs[n/2-1] + xs[n/2]) / 2
	}
	return med, xs[0], xs[n-1]
}
