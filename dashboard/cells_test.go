package dashboard_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/dashboard"
	"github.com/pinnsweep/pinnsweep/report"
	"github.com/pinnsweep/pinnsweep/verdict"
)

const (
	pending  = state.StatusPending
	running  = state.StatusRunning
	done     = state.StatusDone
	failed   = state.StatusFailed
	timeout  = state.StatusTimeout
	diverged = state.StatusDiverged
)

// trial returns a trial at point (a JSON object) with status; relL2 < 0
// means a result without rel_l2 (or none, unless the trial is done).
func trial(index int, point string, status state.Status, relL2 float64) state.TrialRecord {
	t := state.TrialRecord{Sweep: "s", Key: fmt.Sprintf("k%d", index), Index: index, Point: []byte(point), Status: status}
	switch {
	case relL2 >= 0:
		t.Result = []byte(fmt.Sprintf(`{"rel_l2":%v}`, relL2))
	case status == done:
		t.Result = []byte(`{"status":"done"}`)
	}
	return t
}

// cellSummary is the part of a Cell the table checks.
type cellSummary struct {
	X, Y     int
	State    string
	Median   any // float64 or nil
	Min, Max any
	Counts   dashboard.Counts // by status only
	Verdict  string
}

func summarize(d *dashboard.Diagram) []cellSummary {
	val := func(p *float64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	var out []cellSummary
	for _, c := range d.Cells {
		counts := c.Counts
		counts.Measured, counts.Unsuccessful, counts.Open = 0, 0, 0
		out = append(out, cellSummary{c.X, c.Y, c.State, val(c.Median), val(c.Min), val(c.Max), counts, c.Verdict})
	}
	return out
}

func TestBuildDiagram(t *testing.T) {
	tests := []struct {
		name    string
		axes    []string
		trials  []state.TrialRecord
		xAxis   string
		xValues []string
		yValues []string
		cells   []cellSummary
	}{{
		name: "median over done replicates only",
		axes: []string{"beta", "seed"},
		trials: []state.TrialRecord{
			trial(0, `{"beta":1,"seed":0}`, done, 0.3),
			trial(1, `{"beta":1,"seed":1}`, done, 0.1),
			trial(2, `{"beta":1,"seed":2}`, diverged, -1),
			trial(3, `{"beta":1,"seed":3}`, done, 0.2),
			trial(4, `{"beta":1,"seed":4}`, failed, -1),
		},
		xAxis: "beta", xValues: []string{"1"}, yValues: []string{""},
		cells: []cellSummary{{0, 0, dashboard.CellDone, 0.2, 0.1, 0.3,
			dashboard.Counts{Total: 5, Done: 3, Diverged: 1, Failed: 1}, "void"}},
	}, {
		name: "even count: mean of the middle two",
		axes: []string{"beta", "seed"},
		trials: []state.TrialRecord{
			trial(0, `{"beta":1,"seed":0}`, done, 0.4),
			trial(1, `{"beta":1,"seed":1}`, done, 0.1),
		},
		xAxis: "beta", xValues: []string{"1"}, yValues: []string{""},
		cells: []cellSummary{{0, 0, dashboard.CellDone, 0.25, 0.1, 0.4, dashboard.Counts{Total: 2, Done: 2}, "fail"}},
	}, {
		// A done trial without rel_l2 used to count as failed here and as
		// done in the report: it is done, and says nothing (void).
		name: "states: open, partial, ended; a done trial without rel_l2 is void",
		axes: []string{"beta", "strategy", "seed"},
		trials: []state.TrialRecord{
			trial(0, `{"beta":1,"strategy":"regular","seed":0}`, pending, -1),
			trial(1, `{"beta":1,"strategy":"regular","seed":1}`, running, -1),
			trial(2, `{"beta":1,"strategy":"curriculum","seed":0}`, done, 0.01),
			trial(3, `{"beta":1,"strategy":"curriculum","seed":1}`, running, -1),
			trial(4, `{"beta":5,"strategy":"regular","seed":0}`, timeout, -1),
			trial(5, `{"beta":5,"strategy":"regular","seed":1}`, done, -1),
		},
		xAxis: "beta", xValues: []string{"1", "5"}, yValues: []string{"strategy=regular", "strategy=curriculum"},
		cells: []cellSummary{
			{0, 0, dashboard.CellOpen, nil, nil, nil, dashboard.Counts{Total: 2, Pending: 1, Running: 1}, "pending"},
			{0, 1, dashboard.CellPartial, 0.01, 0.01, 0.01, dashboard.Counts{Total: 2, Done: 1, Running: 1}, "pending"},
			{1, 0, dashboard.CellEnded, nil, nil, nil, dashboard.Counts{Total: 2, Timeout: 1, Done: 1}, "void"},
		},
	}, {
		name: "rows combine the axes after the first; trials in index order",
		axes: []string{"nu", "rho", "strategy", "seed"},
		trials: []state.TrialRecord{
			trial(1, `{"nu":1,"rho":5,"strategy":"seq2seq","seed":0}`, done, 0.05),
			trial(0, `{"nu":1,"rho":5,"strategy":"regular","seed":0}`, done, 0.5),
			trial(2, `{"nu":2.5,"rho":5,"strategy":"regular","seed":0}`, pending, -1),
		},
		xAxis: "nu", xValues: []string{"1", "2.5"}, yValues: []string{"rho=5 strategy=regular", "rho=5 strategy=seq2seq"},
		cells: []cellSummary{
			{0, 0, dashboard.CellDone, 0.5, 0.5, 0.5, dashboard.Counts{Total: 1, Done: 1}, "fail"},
			{0, 1, dashboard.CellDone, 0.05, 0.05, 0.05, dashboard.Counts{Total: 1, Done: 1}, "pass"},
			{1, 0, dashboard.CellOpen, nil, nil, nil, dashboard.Counts{Total: 1, Pending: 1}, "pending"},
		},
	}, {
		name: "numeric axes in numeric order: a refined midpoint comes last by index, not on screen",
		axes: []string{"beta", "rho", "strategy", "seed"},
		trials: []state.TrialRecord{
			trial(0, `{"beta":1,"rho":5,"strategy":"regular","seed":0}`, done, 0.01),
			trial(1, `{"beta":40,"rho":5,"strategy":"regular","seed":0}`, done, 0.9),
			trial(2, `{"beta":40,"rho":2,"strategy":"regular","seed":0}`, done, 0.8),
			trial(3, `{"beta":15,"rho":5,"strategy":"regular","seed":0}`, pending, -1),
		},
		xAxis: "beta", xValues: []string{"1", "15", "40"}, yValues: []string{"rho=2 strategy=regular", "rho=5 strategy=regular"},
		cells: []cellSummary{
			{0, 1, dashboard.CellDone, 0.01, 0.01, 0.01, dashboard.Counts{Total: 1, Done: 1}, "pass"},
			{2, 1, dashboard.CellDone, 0.9, 0.9, 0.9, dashboard.Counts{Total: 1, Done: 1}, "fail"},
			{2, 0, dashboard.CellDone, 0.8, 0.8, 0.8, dashboard.Counts{Total: 1, Done: 1}, "fail"},
			{1, 1, dashboard.CellOpen, nil, nil, nil, dashboard.Counts{Total: 1, Pending: 1}, "pending"},
		},
	}, {
		name: "no axes: one cell",
		axes: []string{"seed"},
		trials: []state.TrialRecord{
			trial(0, `{"seed":0}`, done, 0.02),
			trial(1, `{"seed":1}`, running, -1),
		},
		xAxis: "", xValues: []string{""}, yValues: []string{""},
		cells: []cellSummary{{0, 0, dashboard.CellPartial, 0.02, 0.02, 0.02, dashboard.Counts{Total: 2, Done: 1, Running: 1}, "pending"}},
	}, {
		name:  "empty sweep",
		axes:  []string{"beta", "seed"},
		xAxis: "beta", xValues: []string{}, yValues: []string{},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := dashboard.BuildDiagram(state.Progress{Sweep: "s"}, tt.axes, tt.trials, verdict.Default())
			if err != nil {
				t.Fatal(err)
			}
			if d.XAxis != tt.xAxis || !reflect.DeepEqual(d.XValues, tt.xValues) || !reflect.DeepEqual(d.YValues, tt.yValues) {
				t.Errorf("x %q %q, rows %q; want x %q %q, rows %q", d.XAxis, d.XValues, d.YValues, tt.xAxis, tt.xValues, tt.yValues)
			}
			if got := summarize(d); !reflect.DeepEqual(got, tt.cells) {
				t.Errorf("cells\n got %+v\nwant %+v", got, tt.cells)
			}
			if _, err := json.Marshal(d); err != nil {
				t.Errorf("encoding: %v", err)
			}
		})
	}
}

func TestBuildDiagramBadPoint(t *testing.T) {
	trials := []state.TrialRecord{trial(0, `[1]`, pending, -1)}
	if _, err := dashboard.BuildDiagram(state.Progress{}, []string{"beta", "seed"}, trials, verdict.Default()); err == nil {
		t.Fatal("a point that is not a JSON object was accepted")
	}
}

// TestBuildDiagramNonPositiveMetric: a maximised metric whose medians are
// negative, zero and positive is drawn on the grid's linear scale
// (report.Grid.Scale): every measured cell has the scale's colour of its
// median, and the legend's ticks and threshold are on that scale.
func TestBuildDiagramNonPositiveMetric(t *testing.T) {
	m := verdict.Metric{Name: "score", Goal: verdict.Maximize, Threshold: 0}
	values := []float64{-1.5, 0, 2}
	var trials []state.TrialRecord
	for i, v := range values {
		trials = append(trials, state.TrialRecord{Sweep: "s", Key: fmt.Sprintf("k%d", i), Index: i, Status: done,
			Point: []byte(fmt.Sprintf(`{"lr":%d,"seed":0}`, i+1)), Result: []byte(fmt.Sprintf(`{"score":%v}`, v))})
	}
	d, err := dashboard.BuildDiagram(state.Progress{Sweep: "s"}, []string{"lr", "seed"}, trials, m)
	if err != nil {
		t.Fatal(err)
	}
	sc := report.ScaleFor(m, values...)
	if !sc.Linear {
		t.Fatalf("scale %+v, want linear", sc)
	}
	if len(d.Cells) != len(values) {
		t.Fatalf("%d cells, want %d", len(d.Cells), len(values))
	}
	for _, c := range d.Cells {
		if c.Median == nil || c.Fill == "" || c.Hatch != "" {
			t.Fatalf("cell %+v: want a median and a fill", c)
		}
		r, g, b, _ := sc.Color(*c.Median).RGBA()
		if want := fmt.Sprintf("#%02x%02x%02x", r>>8, g>>8, b>>8); c.Fill != want {
			t.Errorf("cell score=%g filled %s, want %s", *c.Median, c.Fill, want)
		}
	}
	if len(d.Legend.Ticks) == 0 || d.Legend.Threshold.Position != sc.ThresholdPosition() {
		t.Errorf("legend ticks %v, threshold %+v; want the linear scale's (threshold at %g)", d.Legend.Ticks, d.Legend.Threshold, sc.ThresholdPosition())
	}
}
