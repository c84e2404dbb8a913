package eta

import (
	"strconv"
	"testing"
	"time"
)

// pt is a point on the axes beta (numeric) and strategy.
func pt(beta float64, strategy string) Point {
	return Point{Strategy: strategy, Coords: []Coord{
		{Axis: "beta", Label: strconv.FormatFloat(beta, 'g', -1, 64), Num: beta, Numeric: true},
		{Axis: "strategy", Label: strategy},
	}}
}

// obs are the durations of a point's finished trials.
type obs struct {
	p Point
	d []float64
}

// history is a synthetic sweep history.
func history(h ...obs) *Estimator {
	e := &Estimator{}
	for _, o := range h {
		for _, d := range o.d {
			e.Observe(o.p, d)
		}
	}
	return e
}

func pending(ps ...Point) []Open {
	out := make([]Open, len(ps))
	for i, p := range ps {
		out[i] = Open{Point: p}
	}
	return out
}

func TestEstimate(t *testing.T) {
	// Keys are compared by value: build the map from distinct points.
	e := &Estimator{}
	for _, o := range []struct {
		p Point
		d []float64
	}{
		{pt(1, "regular"), []float64{10, 30, 20}},
		{pt(10, "regular"), []float64{40}},
		{pt(20, "regular"), []float64{100, 120}},
		{pt(1, "curriculum"), []float64{50}},
		{pt(20, "curriculum"), []float64{300}},
	} {
		for _, d := range o.d {
			e.Observe(o.p, d)
		}
	}
	e.Observe(pt(5, "regular"), -1) // ignored
	for _, tc := range []struct {
		p     Point
		want  float64
		basis Basis
	}{
		{pt(1, "regular"), 20, Measured},                // median of 10, 20, 30
		{pt(20, "regular"), 110, Measured},              // median of two
		{pt(5, "regular"), 40, Bracketed},               // between 1 (20) and 10 (40)
		{pt(15, "regular"), 110, Bracketed},             // between 10 (40) and 20 (110)
		{pt(10, "curriculum"), 300, Bracketed},          // its own strategy's neighbours, not regular's
		{pt(40, "regular"), 110, Extrapolated},          // beyond the last measured β: the strategy's slowest point
		{pt(0.5, "curriculum"), 300, Extrapolated},      // below the first
		{pt(1, "hard"), 0, None},                        // no hard trial has finished
		{Point{Strategy: "regular"}, 110, Extrapolated}, // other axes entirely
	} {
		d, b := e.Estimate(tc.p)
		if d != tc.want || b != tc.basis {
			t.Errorf("%v: %g (%v), want %g (%v)", tc.p.key(), d, b, tc.want, tc.basis)
		}
	}
}

func TestETA(t *testing.T) {
	a, b := pt(1, "regular"), pt(40, "curriculum")
	for _, tc := range []struct {
		name    string
		hist    []obs
		open    []Open
		slots   int
		mayGrow bool
		want    string
		left    time.Duration
	}{
		{name: "nothing finished", open: pending(a), slots: 2, want: "unknown yet"},
		{name: "nothing open", hist: []obs{{a, []float64{5}}}, slots: 2, want: "0s"},
		{
			name: "measured, two slots", hist: []obs{{a, []float64{10, 30, 20}}},
			open: pending(a, a, a), slots: 2, want: "40s", left: 40 * time.Second,
		},
		{
			name: "one slot runs them in turn", hist: []obs{{a, []float64{20}}},
			open: pending(a, a, a), slots: 1, want: "1m0s", left: time.Minute,
		},
		{
			name: "a running trial keeps its slot for what is left",
			hist: []obs{{a, []float64{20}}},
			open: []Open{{Point: a, Running: true, Elapsed: 15 * time.Second}, {Point: a}}, slots: 1,
			want: "25s", left: 25 * time.Second,
		},
		{
			name: "an overrunning trial counts as about to end",
			hist: []obs{{a, []float64{20}}},
			open: []Open{{Point: a, Running: true, Elapsed: time.Minute}, {Point: a}}, slots: 1,
			want: "20s", left: 20 * time.Second,
		},
		{
			name: "more running than slots", hist: []obs{{a, []float64{20}}},
			open: []Open{{Point: a, Running: true}, {Point: a, Running: true}, {Point: a}}, slots: 1,
			want: "40s", left: 40 * time.Second,
		},
		{
			// The case: 4 fast trials at β = 1 say nothing about
			// curriculum at β = 40, which has no measured relative.
			name: "a strategy never measured",
			hist: []obs{{a, []float64{1, 1, 1, 1}}},
			open: pending(a, b, b, b), slots: 2, want: "unknown yet",
		},
		{
			name: "extrapolated from the strategy's slowest point",
			hist: []obs{{a, []float64{10}}, {pt(20, "curriculum"), []float64{100}}, {pt(1, "curriculum"), []float64{10}}},
			open: pending(b, b), slots: 2, want: "~1m40s", left: 100 * time.Second,
		},
		{
			name: "a refining sweep may grow",
			hist: []obs{{a, []float64{10}}},
			open: pending(a), slots: 1, mayGrow: true, want: "10s+", left: 10 * time.Second,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := history(tc.hist...)
			got := e.ETA(tc.open, tc.slots, tc.mayGrow)
			if got.String() != tc.want || (got.Known && got.Left != tc.left) {
				t.Errorf("ETA %s (%v), want %s (%v)", got, got.Left, tc.want, tc.left)
			}
		})
	}
}

// TestETALearnsAsTrialsFinish replays a sweep whose late grid points are
// slow: the ETA stays unknown until a trial of every strategy has ended,
// and then rises instead of promising the early trials' rate.
func TestETALearnsAsTrialsFinish(t *testing.T) {
	cost := map[string]float64{"regular": 10, "curriculum": 100}
	var order []Point
	for _, beta := range []float64{1, 20, 40} {
		for _, s := range []string{"regular", "curriculum"} {
			for range 2 { // seeds
				order = append(order, pt(beta, s))
			}
		}
	}
	dur := func(p Point) float64 { return cost[p.Strategy] * p.Coords[0].Num }
	e := &Estimator{}
	var etas []ETA
	for i := range order {
		etas = append(etas, e.ETA(pending(order[i:]...), 1, false))
		e.Observe(order[i], dur(order[i]))
	}
	if etas[0].Known || etas[1].Known || etas[2].Known {
		t.Errorf("known before any curriculum trial ended: %v %v %v", etas[0], etas[1], etas[2])
	}
	if !etas[3].Known || etas[3].Basis != Extrapolated {
		t.Fatalf("after a curriculum trial: %v", etas[3])
	}
	// After β = 20 is measured, β = 40's estimate is its strategy's slowest
	// point: the ETA at trial 8 (β = 40, regular) is 2×200 + 2×2000.
	if got := etas[8]; got.Left != 4400*time.Second || got.Basis != Extrapolated {
		t.Errorf("ETA before β = 40: %v %v", got.Left, got.Basis)
	}
	// Once every point is measured, the last trial's own point is used.
	if got := etas[11]; got.Left != 4000*time.Second || got.Basis != Measured || got.String() != "1h6m40s" {
		t.Errorf("last ETA: %v", got)
	}
}
