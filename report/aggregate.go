package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/sweeps"
	"github.com/pinnsweep/pinnsweep/trainer"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// Grid is a sweep's trials grouped by grid point: one Cell per combination
// of the axes' values, the seed excepted.
type Grid struct {
	// Metric is what the trials are judged by.
	Metric verdict.Metric `json:"-"`
	// Axes are the sweep's axes without the seed, in spec order.
	Axes []Axis `json:"axes"`
	// Cells hold one cell per combination of axis values, in row-major
	// order over Axes (the last axis varies fastest); see Index.
	Cells []Cell `json:"cells"`
	// Counts counts every trial by status.
	Counts Counts `json:"counts"`
	// Precisions lists the trainer precisions of the trials ("f64",
	// "f32"), in order of first appearance: the setting "precision" of a
	// trial's params, trainer.PrecisionF64 where it is absent.
	Precisions []string `json:"precisions,omitempty"`
}

// Axis is one axis of a Grid.
type Axis struct {
	// Name is the axis name.
	Name string `json:"name"`
	// Numeric is true when every value is a number; the values are then in
	// increasing order.
	Numeric bool `json:"numeric"`
	// Values are the axis values in display order.
	Values []Value `json:"values"`
}

// Value is one axis value.
type Value struct {
	// Label is the value as shown: strings as they are, other values as
	// canonical JSON.
	Label string `json:"label"`
	// Num is the value of a number (0 for other values).
	Num float64 `json:"num"`
}

// Counts counts trials by status.
type Counts struct {
	Total     int `json:"total"`
	Done      int `json:"done"`
	Diverged  int `json:"diverged"`
	Failed    int `json:"failed"`
	Timeout   int `json:"timeout"`
	Cancelled int `json:"cancelled"`
	Pending   int `json:"pending"`
	Running   int `json:"running"`
}

// Open returns the number of pending and running trials.
func (c Counts) Open() int { return c.Pending + c.Running }

// Unsuccessful returns the number of trials that ended without a result:
// diverged, failed, timed out or cancelled.
func (c Counts) Unsuccessful() int { return c.Diverged + c.Failed + c.Timeout + c.Cancelled }

func (c *Counts) add(s state.Status) {
	c.Total++
	switch s {
	case state.StatusDone:
		c.Done++
	case state.StatusDiverged:
		c.Diverged++
	case state.StatusFailed:
		c.Failed++
	case state.StatusTimeout:
		c.Timeout++
	case state.StatusCancelled:
		c.Cancelled++
	case state.StatusPending:
		c.Pending++
	case state.StatusRunning:
		c.Running++
	}
}

// Cell is one grid point and its replicates.
type Cell struct {
	// Index holds the cell's value index on each axis of the grid.
	Index []int `json:"index"`
	// Point labels the cell's axis values, in axis order.
	Point []string `json:"point"`
	// Counts counts the replicates by status.
	Counts Counts `json:"counts"`
	// Stats are the statistics of the metric over the replicates that
	// measured it (verdict.Judgement.Stats); nil when none did.
	Stats *verdict.Stats `json:"stats"`
	// Trials are the cell's replicates in seed order.
	Trials []Replicate `json:"trials"`
	// Verdict is what the replicates say (verdict.Metric.Judge).
	Verdict verdict.Verdict `json:"verdict"`
	// Class is the failure class of the cell's median replicate
	// (verdict.Judgement.Median), which phase diagrams mark; "" when no
	// replicate is measured or failed.
	Class verdict.FailureClass `json:"failure_class,omitempty"`
	// Classes counts the replicates by failure class (unclassified ones
	// are not counted); nil when none has a class.
	Classes map[verdict.FailureClass]int `json:"classes,omitempty"`
}

// Replicate is one trial of a cell.
type Replicate struct {
	// Key is the trial's key.
	Key string `json:"key"`
	// Seed is the trial's seed label.
	Seed string `json:"seed"`
	// Status is the trial's status.
	Status state.Status `json:"status"`
	// RelL2 is the trial's value of the sweep's metric (rel_l2 by
	// default), read from its result: set for done trials with a finite
	// value only.
	RelL2 *float64 `json:"rel_l2,omitempty"`
	// Class is the trial's failure class (verdict.Metric.FailureClass
	// with the grid's metric); "" for a trial without one.
	Class verdict.FailureClass `json:"failure_class,omitempty"`
	// outcome is what the trial says.
	outcome verdict.Outcome
	// Reason explains an unsuccessful trial.
	Reason string `json:"reason,omitempty"`
}

// precisionOf returns the trainer precision of a trial's params (a JSON
// object of settings): its "precision" setting, or the trainer's default
// when the params do not set it. A command sweep's settings are its own,
// so a value that is not a string (precision: 64) is named by its JSON
// text rather than refused: it only labels figures.
func precisionOf(params json.RawMessage) (string, error) {
	if len(params) == 0 {
		return trainer.PrecisionF64, nil
	}
	var p struct {
		Precision json.RawMessage `json:"precision"`
	}
	if err := json.Unmarshal(params, &p); err != nil {
		return "", err
	}
	var name string
	switch {
	case len(p.Precision) == 0 || string(p.Precision) == "null":
	case json.Unmarshal(p.Precision, &name) != nil:
		name = string(p.Precision)
	}
	if name == "" {
		return trainer.PrecisionF64, nil
	}
	return name, nil
}

// Label returns the cell's point as "axis=value" pairs separated by spaces.
func (g *Grid) Label(c *Cell) string {
	parts := make([]string, len(c.Point))
	for i, v := range c.Point {
		parts[i] = g.Axes[i].Name + "=" + v
	}
	return strings.Join(parts, " ")
}

// Aggregate groups trials by grid point and judges each point against
// metric (verdict.Metric.Judge, reading each trial's value from its result
// by the metric's name). axes are the sweep's point names
// (state.SweepRecord.Axes: the spec's axes then the seed); when empty
// they are taken from the first trial's point. Every combination of the
// axis values found in the trials gets a cell, with no replicates (and a
// pending verdict) if no trial has it.
func Aggregate(axes []string, trials []state.TrialRecord, metric verdict.Metric) (*Grid, error) {
	points := make([]sweeps.Point, len(trials))
	for i := range trials {
		if err := json.Unmarshal(trials[i].Point, &points[i]); err != nil {
			return nil, fmt.Errorf("%w: trial %s: point: %v", ErrBadTrial, trials[i].ID(), err)
		}
	}
	if len(axes) == 0 && len(points) > 0 {
		for _, c := range points[0] {
			axes = append(axes, c.Axis)
		}
	}
	g := &Grid{Metric: metric.Resolved()}
	for _, a := range axes {
		if a != sweeps.SeedKey {
			g.Axes = append(g.Axes, Axis{Name: a})
		}
	}
	// Collect each axis's values in order of appearance.
	type valueKey = string
	seen := make([]map[valueKey]int, len(g.Axes))
	raw := make([][]any, len(g.Axes))
	for k := range g.Axes {
		seen[k] = map[valueKey]int{}
	}
	for i, p := range points {
		for k := range g.Axes {
			v, ok := p.Get(g.Axes[k].Name)
			if !ok {
				return nil, fmt.Errorf("%w: trial %s: point has no axis %q", ErrBadTrial, trials[i].ID(), g.Axes[k].Name)
			}
			l := ValueLabel(v)
			if _, dup := seen[k][l]; !dup {
				seen[k][l] = len(raw[k])
				raw[k] = append(raw[k], v)
			}
		}
	}
	for k := range g.Axes {
		g.Axes[k].setValues(raw[k])
		for i, v := range g.Axes[k].Values {
			seen[k][v.Label] = i
		}
	}
	// One cell per combination.
	n := 1
	for _, a := range g.Axes {
		n *= len(a.Values)
	}
	if len(trials) == 0 {
		n = 0
	}
	g.Cells = make([]Cell, n)
	for i := range g.Cells {
		c := &g.Cells[i]
		c.Index = g.unindex(i)
		c.Point = make([]string, len(g.Axes))
		for k, j := range c.Index {
			c.Point[k] = g.Axes[k].Values[j].Label
		}
	}
	idx := make([]int, len(g.Axes))
	for i, p := range points {
		for k := range g.Axes {
			v, _ := p.Get(g.Axes[k].Name)
			idx[k] = seen[k][ValueLabel(v)]
		}
		t := &trials[i]
		c := &g.Cells[g.Index(idx)]
		c.Counts.add(t.Status)
		g.Counts.add(t.Status)
		r := Replicate{Key: t.Key, Status: t.Status, Reason: t.Reason}
		if s, ok := p.Get(sweeps.SeedKey); ok {
			r.Seed = ValueLabel(s)
		}
		fields, _ := verdict.Fields(t.Result) // an undecodable result has no numbers
		v, ok := g.Metric.Value(fields)
		r.outcome = verdict.Classify(t.Status, v, ok)
		r.Class = g.Metric.FailureClass(t.Status, fields)
		if r.outcome.Class == verdict.ClassMeasured {
			r.RelL2 = &v
		}
		c.Trials = append(c.Trials, r)
	}
	for i := range trials {
		p, err := precisionOf(trials[i].Params)
		if err != nil {
			return nil, fmt.Errorf("%w: trial %s: params: %v", ErrBadTrial, trials[i].ID(), err)
		}
		if !slices.Contains(g.Precisions, p) {
			g.Precisions = append(g.Precisions, p)
		}
	}
	for i := range g.Cells {
		c := &g.Cells[i]
		sort.SliceStable(c.Trials, func(a, b int) bool { return seedLess(c.Trials[a].Seed, c.Trials[b].Seed) })
		outcomes := make([]verdict.Outcome, len(c.Trials))
		for k := range c.Trials {
			outcomes[k] = c.Trials[k].outcome
		}
		j := g.Metric.Judge(outcomes)
		c.Stats, c.Verdict = j.Stats, j.Verdict
		if j.Median >= 0 {
			c.Class = c.Trials[j.Median].Class
		}
		for k := range c.Trials {
			if cl := c.Trials[k].Class; cl != verdict.Unclassified {
				if c.Classes == nil {
					c.Classes = map[verdict.FailureClass]int{}
				}
				c.Classes[cl]++
			}
		}
	}
	return g, nil
}

// setValues orders raw values: numerically when all are numbers, else as
// given.
func (a *Axis) setValues(raw []any) {
	a.Numeric = len(raw) > 0
	nums := make([]float64, len(raw))
	for i, v := range raw {
		var ok bool
		if nums[i], ok = sweeps.Number(v); !ok {
			a.Numeric = false
		}
	}
	a.Values = make([]Value, len(raw))
	for i, v := range raw {
		a.Values[i] = Value{Label: ValueLabel(v)}
		if a.Numeric {
			a.Values[i].Num = nums[i]
		}
	}
	if a.Numeric {
		sort.SliceStable(a.Values, func(i, j int) bool { return a.Values[i].Num < a.Values[j].Num })
	}
}

// Index returns the position in Cells of the cell with value index idx[k]
// on axis k.
func (g *Grid) Index(idx []int) int {
	i := 0
	for k, a := range g.Axes {
		i = i*len(a.Values) + idx[k]
	}
	return i
}

func (g *Grid) unindex(i int) []int {
	idx := make([]int, len(g.Axes))
	for k := len(g.Axes) - 1; k >= 0; k-- {
		n := len(g.Axes[k].Values)
		idx[k] = i % n
		i /= n
	}
	return idx
}

// AxisIndex returns the position of the named axis in Axes.
func (g *Grid) AxisIndex(name string) (int, error) {
	for k, a := range g.Axes {
		if a.Name == name {
			return k, nil
		}
	}
	names := make([]string, len(g.Axes))
	for k, a := range g.Axes {
		names[k] = a.Name
	}
	return -1, fmt.Errorf("%w %q (the sweep's axes: %s)", ErrUnknownAxis, name, strings.Join(names, ", "))
}

// ValueLabel formats an axis value: strings as they are, other values as
// JSON.
func ValueLabel(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// seedLess orders seed labels numerically when both are integers.
func seedLess(a, b string) bool {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	if errA == nil && errB == nil {
		return x < y
	}
	return a < b
}

// Representative returns the replicate of c with a metric value that
// ranks as chosen for a metric with goal g (verdict.Goal.Rank): "best"
// (lowest for Minimize, highest for Maximize), "worst" (the other end) or
// "median" (verdict.Goal.MedianReplicate with the cell's verdict: of an
// even number, the worse of the two middle ones when the cell fails, the
// better otherwise), or nil when no replicate has a value. Only
// replicates with a value are ranked, since the report draws the figures
// of the one chosen; so the median is the replicate whose class the phase
// diagrams mark (Cell.Class) whenever no replicate diverged or timed out.
func (c *Cell) Representative(which string, g verdict.Goal) *Replicate {
	var rs []verdict.Ranked
	for i := range c.Trials {
		if v := c.Trials[i].RelL2; v != nil {
			rs = append(rs, verdict.Ranked{Index: i, Value: *v})
		}
	}
	if len(rs) == 0 {
		return nil
	}
	switch which {
	case "best":
		g.Rank(rs)
		return &c.Trials[rs[0].Index]
	case "worst":
		g.Rank(rs)
		return &c.Trials[rs[len(rs)-1].Index]
	}
	return &c.Trials[g.MedianReplicate(rs, c.Verdict)]
}

// Scale returns the colour scale of g's phase diagrams: ScaleFor of its
// metric over the medians of its cells. Every phase diagram of the grid
// (each slice, the report's and the dashboard's) draws with it.
func (g *Grid) Scale() Scale {
	var medians []float64
	for i := range g.Cells {
		if st := g.Cells[i].Stats; st != nil {
			medians = append(medians, st.Median)
		}
	}
	return ScaleFor(g.Metric, medians...)
}
