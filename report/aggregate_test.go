package report

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// trial builds a trial record at point (a JSON object) with a status and,
// when relL2 is not NaN, a result with that rel_l2 (±Inf as the strings
// encoders write).
func trial(key, point string, status state.Status, relL2 float64) state.TrialRecord {
	t := state.TrialRecord{Sweep: "s", Key: key, Status: status, Point: []byte(point)}
	switch {
	case math.IsInf(relL2, 1):
		t.Result = []byte(`{"rel_l2":"Infinity"}`)
	case math.IsInf(relL2, -1):
		t.Result = []byte(`{"rel_l2":"-Infinity"}`)
	case !math.IsNaN(relL2):
		t.Result = []byte(fmt.Sprintf(`{"rel_l2":%v}`, relL2))
	}
	return t
}

var nan = math.NaN()

func TestAggregateStatistics(t *testing.T) {
	for _, tc := range []struct {
		name   string
		trials []state.TrialRecord
		stats  *verdict.Stats
		counts Counts
		seeds  []string
	}{
		{
			name: "odd count: median is the middle value, IQR max − min",
			trials: []state.TrialRecord{
				trial("a", `{"beta":1,"seed":2}`, state.StatusDone, 0.3),
				trial("b", `{"beta":1,"seed":0}`, state.StatusDone, 0.1),
				trial("c", `{"beta":1,"seed":1}`, state.StatusDone, 0.2),
			},
			stats:  &verdict.Stats{N: 3, Median: 0.2, Min: 0.1, Max: 0.3, Q1: 0.1, Q3: 0.3, IQR: 0.3 - 0.1},
			counts: Counts{Total: 3, Done: 3},
			seeds:  []string{"0", "1", "2"},
		},
		{
			name: "even count: median is the mean of the middle two",
			trials: []state.TrialRecord{
				trial("a", `{"beta":1,"seed":0}`, state.StatusDone, 4),
				trial("b", `{"beta":1,"seed":1}`, state.StatusDone, 1),
				trial("c", `{"beta":1,"seed":2}`, state.StatusDone, 3),
				trial("d", `{"beta":1,"seed":10}`, state.StatusDone, 2),
			},
			stats:  &verdict.Stats{N: 4, Median: 2.5, Min: 1, Max: 4, Q1: 1, Q3: 3, IQR: 2},
			counts: Counts{Total: 4, Done: 4},
			seeds:  []string{"0", "1", "2", "10"},
		},
		{
			name: "only done replicates with a finite rel_l2 count",
			trials: []state.TrialRecord{
				trial("a", `{"beta":1,"seed":0}`, state.StatusDone, 0.5),
				trial("b", `{"beta":1,"seed":1}`, state.StatusDiverged, nan),
				trial("c", `{"beta":1,"seed":2}`, state.StatusFailed, 0.01),
				trial("d", `{"beta":1,"seed":3}`, state.StatusDone, math.Inf(1)),
				trial("e", `{"beta":1,"seed":4}`, state.StatusPending, nan),
				trial("f", `{"beta":1,"seed":5}`, state.StatusRunning, nan),
				trial("g", `{"beta":1,"seed":6}`, state.StatusTimeout, nan),
				trial("h", `{"beta":1,"seed":7}`, state.StatusCancelled, nan),
			},
			stats:  &verdict.Stats{N: 1, Median: 0.5, Min: 0.5, Max: 0.5, Q1: 0.5, Q3: 0.5},
			counts: Counts{Total: 8, Done: 2, Diverged: 1, Failed: 1, Timeout: 1, Cancelled: 1, Pending: 1, Running: 1},
			seeds:  []string{"0", "1", "2", "3", "4", "5", "6", "7"},
		},
		{
			name: "unfinished cell has no statistics",
			trials: []state.TrialRecord{
				trial("a", `{"beta":1,"seed":0}`, state.StatusPending, nan),
				trial("b", `{"beta":1,"seed":1}`, state.StatusRunning, nan),
			},
			counts: Counts{Total: 2, Pending: 1, Running: 1},
			seeds:  []string{"0", "1"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Aggregate([]string{"beta", "seed"}, tc.trials, verdict.Default())
			if err != nil {
				t.Fatal(err)
			}
			if len(g.Cells) != 1 {
				t.Fatalf("%d cells, want 1", len(g.Cells))
			}
			c := g.Cells[0]
			if !statsClose(c.Stats, tc.stats) {
				t.Errorf("stats %+v, want %+v", c.Stats, tc.stats)
			}
			if c.Counts != tc.counts || g.Counts != tc.counts {
				t.Errorf("counts %+v (grid %+v), want %+v", c.Counts, g.Counts, tc.counts)
			}
			var seeds []string
			for _, r := range c.Trials {
				seeds = append(seeds, r.Seed)
			}
			if !reflect.DeepEqual(seeds, tc.seeds) {
				t.Errorf("replicates in seed order %v, want %v", seeds, tc.seeds)
			}
		})
	}
}

func statsClose(a, b *verdict.Stats) bool {
	if a == nil || b == nil {
		return a == b
	}
	close := func(x, y float64) bool { return math.Abs(x-y) <= 1e-12*math.Max(1, math.Abs(y)) }
	return a.N == b.N && close(a.Median, b.Median) && close(a.Min, b.Min) && close(a.Max, b.Max) &&
		close(a.Q1, b.Q1) && close(a.Q3, b.Q3) && close(a.IQR, b.IQR)
}

func TestAggregateAxesAndCells(t *testing.T) {
	// β out of order, strategies in spec order, one combination missing.
	trials := []state.TrialRecord{
		trial("a", `{"beta":10,"strategy":"regular","seed":0}`, state.StatusDone, 0.9),
		trial("b", `{"beta":2.5,"strategy":"curriculum","seed":0}`, state.StatusDone, 0.01),
		trial("c", `{"beta":1,"strategy":"regular","seed":0}`, state.StatusDone, 0.001),
		trial("d", `{"beta":10,"strategy":"curriculum","seed":0}`, state.StatusDone, 0.02),
	}
	g, err := Aggregate(nil, trials, verdict.Default())
	if err != nil {
		t.Fatal(err)
	}
	var labels [][]string
	for _, a := range g.Axes {
		var l []string
		for _, v := range a.Values {
			l = append(l, v.Label)
		}
		labels = append(labels, l)
	}
	want := [][]string{{"1", "2.5", "10"}, {"regular", "curriculum"}}
	if !reflect.DeepEqual(labels, want) || !g.Axes[0].Numeric || g.Axes[1].Numeric {
		t.Fatalf("axes %+v, want values %v, beta numeric, strategy not", g.Axes, want)
	}
	if len(g.Cells) != 6 {
		t.Fatalf("%d cells, want 3 × 2", len(g.Cells))
	}
	for i, c := range g.Cells {
		if got := g.Index(c.Index); got != i {
			t.Errorf("cell %d has index %v, which maps to %d", i, c.Index, got)
		}
	}
	missing := g.Cells[g.Index([]int{0, 1})] // β = 1, curriculum
	if missing.Counts.Total != 0 || missing.Stats != nil || missing.Verdict != verdict.Pending {
		t.Errorf("missing combination: %+v", missing)
	}
	if got := g.Label(&g.Cells[g.Index([]int{2, 0})]); got != "beta=10 strategy=regular" {
		t.Errorf("label %q", got)
	}
}

func TestAggregateErrors(t *testing.T) {
	for _, tc := range []struct {
		axes   []string
		trials []state.TrialRecord
		msg    string
	}{
		{[]string{"beta", "seed"}, []state.TrialRecord{trial("a", `{"beta":`, state.StatusDone, 1)}, "trial s/a: point"},
		{[]string{"beta", "nu", "seed"}, []state.TrialRecord{trial("a", `{"beta":1,"seed":0}`, state.StatusDone, 1)}, `point has no axis "nu"`},
	} {
		_, err := Aggregate(tc.axes, tc.trials, verdict.Default())
		if !errors.Is(err, ErrBadTrial) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%v: error %v, want ErrBadTrial with %q", tc.axes, err, tc.msg)
		}
	}
}

// TestVerdict: a cell's verdict is the one rule's (verdict.Metric.Judge),
// which refinement and the dashboard use too. Where the report used to
// judge differently (a median over the done replicates only, a verdict
// while replicates were still open, "unknown" for failed or cancelled
// trials) it now agrees with them: the cases marked "was".
func TestVerdict(t *testing.T) {
	for _, tc := range []struct {
		statuses []state.Status
		relL2    []float64
		want     verdict.Verdict
	}{
		{[]state.Status{"done", "done", "done"}, []float64{0.01, 0.5, 0.02}, verdict.Pass},
		{[]state.Status{"done", "done", "done"}, []float64{0.01, 0.5, 0.2}, verdict.Fail},
		{[]state.Status{"done"}, []float64{0.1}, verdict.Pass}, // at the threshold, as refinement counts it
		{[]state.Status{"done"}, []float64{0.1000001}, verdict.Fail},
		{[]state.Status{"diverged", "pending"}, []float64{nan, nan}, verdict.Pending}, // was fail
		{[]state.Status{"diverged", "done"}, []float64{nan, 0.01}, verdict.Fail},      // was pass: the median counts the divergence
		{[]state.Status{"diverged", "done", "done"}, []float64{nan, 0.01, 0.02}, verdict.Pass},
		{[]state.Status{"failed", "timeout", "cancelled"}, []float64{nan, nan, nan}, verdict.Void}, // was fail
		{[]state.Status{"timeout", "diverged"}, []float64{nan, nan}, verdict.Fail},                 // out of time counts as failing
		{[]state.Status{"failed", "cancelled"}, []float64{nan, nan}, verdict.Void},                 // was unknown
		{[]state.Status{"done", "done"}, []float64{0.01, nan}, verdict.Void},                       // done without rel_l2
		{[]state.Status{"pending", "running"}, []float64{nan, nan}, verdict.Pending},               // was unknown
	} {
		var trials []state.TrialRecord
		for i, s := range tc.statuses {
			trials = append(trials, trial(fmt.Sprint(i), fmt.Sprintf(`{"beta":1,"seed":%d}`, i), s, tc.relL2[i]))
		}
		g, err := Aggregate([]string{"beta", "seed"}, trials, verdict.Default())
		if err != nil {
			t.Fatal(err)
		}
		if got := g.Cells[0].Verdict; got != tc.want {
			t.Errorf("%v %v: %s, want %s", tc.statuses, tc.relL2, got, tc.want)
		}
	}
}

func TestRepresentative(t *testing.T) {
	g, err := Aggregate(nil, []state.TrialRecord{
		trial("s0", `{"beta":1,"seed":0}`, state.StatusDone, 0.3),
		trial("s1", `{"beta":1,"seed":1}`, state.StatusDone, 0.1),
		trial("s2", `{"beta":1,"seed":2}`, state.StatusDiverged, nan),
		trial("s3", `{"beta":1,"seed":3}`, state.StatusDone, 0.2),
		trial("s4", `{"beta":1,"seed":4}`, state.StatusDone, 0.4),
	}, verdict.Default())
	if err != nil {
		t.Fatal(err)
	}
	c := &g.Cells[0]
	for which, key := range map[string]string{"best": "s1", "worst": "s4"} {
		if r := c.Representative(which, verdict.Minimize); r == nil || r.Key != key {
			t.Errorf("%s: %+v, want %s", which, r, key)
		}
	}
	// A maximised metric: the best is the largest value.
	for which, key := range map[string]string{"best": "s4", "worst": "s1"} {
		if r := c.Representative(which, verdict.Maximize); r == nil || r.Key != key {
			t.Errorf("maximised, %s: %+v, want %s", which, r, key)
		}
	}
	empty := Cell{Trials: []Replicate{{Key: "x", Status: state.StatusPending}}}
	if r := empty.Representative("median", verdict.Minimize); r != nil {
		t.Errorf("cell without done replicates: %+v", r)
	}
}

// TestRepresentativeMedian: the median replicate the report draws is
// verdict.Goal.MedianReplicate's over the replicates with a value: of an
// even number, the worse middle one when the cell fails (it used to be
// the better one whatever the verdict) and the better one otherwise; so,
// unless a replicate diverged, it is the replicate whose class the
// diagrams mark (Cell.Class).
func TestRepresentativeMedian(t *testing.T) {
	maximised := verdict.Metric{Name: verdict.DefaultName, Goal: verdict.Maximize, Threshold: 0.25}
	for _, tc := range []struct {
		name   string
		metric verdict.Metric
		values []float64 // by seed; NaN: diverged
		want   string    // the seed drawn; "" for none
	}{
		{"odd: the middle one", verdict.Default(), []float64{0.3, 0.01, 0.05}, "2"},
		{"even, passing: the better middle one", verdict.Default(), []float64{0.08, 0.01, 0.02, 0.5}, "2"},
		{"even, failing: the worse middle one", verdict.Default(), []float64{0.3, 0.05, 0.2, 0.01}, "2"},
		{"maximised, even, passing: the larger middle one", maximised, []float64{0.3, 0.1, 0.25, 0.4}, "0"},
		{"maximised, even, failing: the smaller middle one", maximised, []float64{0.3, 0.1, 0.15, 0.4}, "2"},
		{"ties, passing: ranked by seed", verdict.Default(), []float64{0.05, 0.05, 0.05, 0.05}, "1"},
		{"ties, failing: ranked by seed", verdict.Default(), []float64{0.2, 0.2, 0.2, 0.2}, "2"},
		{"a diverged replicate is not drawn", verdict.Default(), []float64{0.05, nan, 0.08}, "0"},
		{"every replicate diverged", verdict.Default(), []float64{nan, nan}, ""},
	} {
		var trials []state.TrialRecord
		failed := false
		for seed, v := range tc.values {
			st := state.StatusDone
			if math.IsNaN(v) {
				st, failed = state.StatusDiverged, true
			}
			trials = append(trials, trial(fmt.Sprint("s", seed), fmt.Sprintf(`{"beta":1,"seed":%d}`, seed), st, v))
		}
		g, err := Aggregate(nil, trials, tc.metric)
		if err != nil {
			t.Fatal(err)
		}
		c := &g.Cells[0]
		r := c.Representative("median", tc.metric.Goal)
		switch {
		case tc.want == "" && r != nil:
			t.Errorf("%s: %+v, want none", tc.name, r)
		case tc.want == "":
		case r == nil || r.Seed != tc.want:
			t.Errorf("%s: %+v, want seed %s", tc.name, r, tc.want)
		case !failed && r.Class != c.Class:
			t.Errorf("%s: drawn replicate's class %q, the cell's %q", tc.name, r.Class, c.Class)
		}
	}
}

// grid3 is a three-axis grid: ν × ρ × strategy, one seed.
func grid3(t *testing.T) *Grid {
	t.Helper()
	var trials []state.TrialRecord
	for _, nu := range []int{1, 2, 3} {
		for _, rho := range []int{5, 10} {
			for _, s := range []string{"regular", "seq2seq"} {
				v := 0.01 * float64(nu*rho)
				if s == "seq2seq" {
					v /= 10
				}
				p := fmt.Sprintf(`{"nu":%d,"rho":%d,"strategy":%q,"seed":0}`, nu, rho, s)
				trials = append(trials, trial(fmt.Sprint(nu, rho, s), p, state.StatusDone, v))
			}
		}
	}
	g, err := Aggregate([]string{"nu", "rho", "strategy", "seed"}, trials, verdict.Default())
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestSlices(t *testing.T) {
	g := grid3(t)
	for _, tc := range []struct {
		x, y       string
		wantX      string
		wantY      string
		names      []string
		cols, rows int
	}{
		{"", "", "nu", "rho", []string{"phase-nu-rho-strategy=regular", "phase-nu-rho-strategy=seq2seq"}, 3, 2},
		{"nu", "strategy", "nu", "strategy", []string{"phase-nu-strategy-rho=5", "phase-nu-strategy-rho=10"}, 3, 2},
		{"strategy", "", "strategy", "nu", []string{"phase-strategy-nu-rho=5", "phase-strategy-nu-rho=10"}, 2, 3},
	} {
		sl, err := g.Slices(tc.x, tc.y)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for i := range sl {
			names = append(names, sl[i].Name())
		}
		cols, rows := sl[0].Dims()
		if sl[0].XAxis().Name != tc.wantX || sl[0].YAxis().Name != tc.wantY || !reflect.DeepEqual(names, tc.names) ||
			cols != tc.cols || rows != tc.rows {
			t.Errorf("--x %q --y %q: axes %s × %s, %d × %d, slices %v; want %s × %s, %d × %d, %v", tc.x, tc.y,
				sl[0].XAxis().Name, sl[0].YAxis().Name, cols, rows, names, tc.wantX, tc.wantY, tc.cols, tc.rows, tc.names)
		}
	}
	// The cell at (ν = 3, strategy = seq2seq) of the ρ = 10 slice.
	sl, _ := g.Slices("nu", "strategy")
	c := sl[1].Cell(2, 1)
	if got := g.Label(c); got != "nu=3 rho=10 strategy=seq2seq" {
		t.Errorf("cell %q", got)
	}
	for _, tc := range []struct{ x, y, msg string }{
		{"beta", "", `--x: report: unknown axis "beta" (the sweep's axes: nu, rho, strategy)`},
		{"", "seed", `--y: report: unknown axis "seed"`},
		{"nu", "nu", `x and y are both "nu"`},
	} {
		if _, err := g.Slices(tc.x, tc.y); !errors.Is(err, ErrUnknownAxis) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("--x %q --y %q: %v, want %q", tc.x, tc.y, err, tc.msg)
		}
	}
}

func TestSlicesSkipOneValueAxes(t *testing.T) {
	// ν × ρ × strategy with a single ρ, as in the reaction-diffusion example.
	var trials []state.TrialRecord
	for _, nu := range []int{1, 2} {
		for _, s := range []string{"regular", "seq2seq"} {
			trials = append(trials, trial(fmt.Sprint(nu, s), fmt.Sprintf(`{"nu":%d,"rho":5,"strategy":%q,"seed":0}`, nu, s),
				state.StatusDone, 0.01))
		}
	}
	g, err := Aggregate(nil, trials, verdict.Default())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ x, y, name string }{
		{"", "", "phase-nu-strategy-rho=5"},
		{"rho", "", "phase-rho-nu-strategy=regular"},
		{"", "rho", "phase-nu-rho-strategy=regular"},
	} {
		sl, err := g.Slices(tc.x, tc.y)
		if err != nil || sl[0].Name() != tc.name {
			t.Errorf("--x %q --y %q: %q (%v), want %q", tc.x, tc.y, sl[0].Name(), err, tc.name)
		}
	}
}

func TestSlicesOneAxis(t *testing.T) {
	g, err := Aggregate(nil, []state.TrialRecord{
		trial("a", `{"beta":1,"seed":0}`, state.StatusDone, 0.01),
		trial("b", `{"beta":5,"seed":0}`, state.StatusDone, 0.5),
	}, verdict.Default())
	if err != nil {
		t.Fatal(err)
	}
	sl, err := g.Slices("", "")
	if err != nil || len(sl) != 1 {
		t.Fatalf("%d slices, %v", len(sl), err)
	}
	if cols, rows := sl[0].Dims(); cols != 2 || rows != 1 || sl[0].YAxis() != nil || sl[0].Name() != "phase-beta" {
		t.Errorf("%d × %d, y %v, name %q", cols, rows, sl[0].YAxis(), sl[0].Name())
	}
	want := []Bracket{{LastPass: "1", FirstFail: "5"}}
	if got := sl[0].Brackets(); !reflect.DeepEqual(got, want) {
		t.Errorf("brackets %+v, want %+v", got, want)
	}
}

func TestBrackets(t *testing.T) {
	var trials []state.TrialRecord
	rows := map[string][]float64{
		"regular":    {0.001, 0.01, 0.5, 0.9},    // fails from 20
		"curriculum": {0.001, 0.002, 0.01, 0.03}, // never fails
		"bad":        {0.5, 0.01, 0.9, 0.9},      // fails at once, passes again
		"open":       {nan, nan, nan, nan},       // no verdict
	}
	for _, s := range []string{"regular", "curriculum", "bad", "open"} {
		for i, beta := range []int{1, 10, 20, 30} {
			st := state.StatusDone
			if math.IsNaN(rows[s][i]) {
				st = state.StatusPending
			}
			trials = append(trials, trial(fmt.Sprint(s, beta), fmt.Sprintf(`{"beta":%d,"strategy":%q,"seed":0}`, beta, s), st, rows[s][i]))
		}
	}
	g, err := Aggregate(nil, trials, verdict.Default())
	if err != nil {
		t.Fatal(err)
	}
	// Either orientation scans β.
	for _, xy := range [][2]string{{"beta", "strategy"}, {"strategy", "beta"}} {
		sl, err := g.Slices(xy[0], xy[1])
		if err != nil {
			t.Fatal(err)
		}
		want := []Bracket{
			{Row: "regular", LastPass: "10", FirstFail: "20"},
			{Row: "curriculum", LastPass: "30"},
			{Row: "bad", FirstFail: "1", PassesAfter: true},
			{Row: "open"},
		}
		if got := sl[0].Brackets(); !reflect.DeepEqual(got, want) || sl[0].AlongAxis().Name != "beta" {
			t.Errorf("%v: brackets %+v, want %+v", xy, got, want)
		}
	}
}

// TestAggregatePrecision checks that the grid records the trainer
// precisions of its trials (f64 where the params do not set one) and that
// a slice names them for its title unless precision is an axis.
func TestAggregatePrecision(t *testing.T) {
	withParams := func(tr state.TrialRecord, params string) state.TrialRecord {
		tr.Params = []byte(params)
		return tr
	}
	for _, tc := range []struct {
		name   string
		axes   []string
		trials []state.TrialRecord
		want   []string
		label  string
	}{
		{"absent", []string{"beta", "seed"}, []state.TrialRecord{
			trial("a", `{"beta":1,"seed":0}`, state.StatusDone, 0.1),
			withParams(trial("b", `{"beta":5,"seed":0}`, state.StatusDone, 0.1), `{"beta":5,"seed":0}`),
		}, []string{"f64"}, "float64"},
		{"fixed", []string{"beta", "seed"}, []state.TrialRecord{
			withParams(trial("a", `{"beta":1,"seed":0}`, state.StatusDone, 0.1), `{"beta":1,"precision":"f32","seed":0}`),
		}, []string{"f32"}, "float32"},
		{"mixed", []string{"beta", "seed"}, []state.TrialRecord{
			withParams(trial("a", `{"beta":1,"seed":0}`, state.StatusDone, 0.1), `{"beta":1,"precision":"f32","seed":0}`),
			withParams(trial("b", `{"beta":5,"seed":0}`, state.StatusDone, 0.1), `{"beta":5,"seed":0}`),
		}, []string{"f32", "f64"}, "float32 and float64"},
		// A command sweep's own setting that is not a string labels the
		// figure by its JSON text instead of failing the report.
		{"not a string", []string{"beta", "seed"}, []state.TrialRecord{
			withParams(trial("a", `{"beta":1,"seed":0}`, state.StatusDone, 0.1), `{"beta":1,"precision":64,"seed":0}`),
		}, []string{"64"}, "64"},
		{"axis", []string{"beta", "precision", "seed"}, []state.TrialRecord{
			withParams(trial("a", `{"beta":1,"precision":"f32","seed":0}`, state.StatusDone, 0.1), `{"beta":1,"precision":"f32","seed":0}`),
			withParams(trial("b", `{"beta":1,"precision":"f64","seed":0}`, state.StatusDone, 0.1), `{"beta":1,"precision":"f64","seed":0}`),
		}, []string{"f32", "f64"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Aggregate(tc.axes, tc.trials, verdict.Default())
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(g.Precisions, tc.want) {
				t.Errorf("Precisions = %v, want %v", g.Precisions, tc.want)
			}
			sl, err := g.Slices(tc.axes[0], "")
			if err != nil {
				t.Fatal(err)
			}
			if got := sl[0].PrecisionLabel(); got != tc.label {
				t.Errorf("PrecisionLabel() = %q, want %q", got, tc.label)
			}
		})
	}
	if _, err := Aggregate(nil, []state.TrialRecord{withParams(trial("a", `{"beta":1,"seed":0}`, state.StatusDone, 0.1), `{"precision":`)}, verdict.Default()); !errors.Is(err, ErrBadTrial) {
		t.Errorf("bad params: %v, want ErrBadTrial", err)
	}
}
