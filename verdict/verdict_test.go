package verdict_test

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/stat"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/verdict"
)

var inf = math.Inf(1)

// TestClassify pins what each trial says.
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		status state.Status
		v      float64
		ok     bool
		want   verdict.Outcome
	}{
		{state.StatusPending, 0, false, verdict.Open()},
		{state.StatusRunning, 0.5, true, verdict.Open()},
		{state.StatusDone, 0.05, true, verdict.Measured(0.05)},
		{state.StatusDone, 0, false, verdict.Voided()},          // done without the metric
		{state.StatusDone, math.NaN(), true, verdict.Voided()},  // not finite
		{state.StatusDone, inf, true, verdict.Voided()},         // not finite
		{state.StatusDiverged, 0.9, true, verdict.Failed()},     // whatever its value
		{state.StatusTimeout, 0, false, verdict.Failed()},       // out of time is a failure of the method
		{state.StatusFailed, 0.01, true, verdict.Voided()},      // a fault, not a result
		{state.StatusCancelled, 0, false, verdict.Voided()},     //
		{state.Status("mystery"), 0.01, true, verdict.Voided()}, // an unknown status says nothing
	} {
		if got := verdict.Classify(tc.status, tc.v, tc.ok); got != tc.want && !(math.IsNaN(got.Value) && math.IsNaN(tc.want.Value)) {
			t.Errorf("Classify(%s, %v, %v) = %+v, want %+v", tc.status, tc.v, tc.ok, got, tc.want)
		}
	}
}

// TestJudge is the one rule, case by case: every case the report, the
// dashboard and refinement used to judge differently is here, with the
// verdict all of them give now.
func TestJudge(t *testing.T) {
	m := verdict.Default()
	meas := verdict.Measured
	open, failed, void := verdict.Open(), verdict.Failed(), verdict.Voided()
	for _, tc := range []struct {
		name     string
		metric   verdict.Metric
		outcomes []verdict.Outcome
		want     verdict.Verdict
		score    float64 // NaN: none
		stats    *verdict.Stats
		tally    verdict.Tally
	}{
		{"median passes", m, []verdict.Outcome{meas(0.01), meas(0.5), meas(0.02)}, verdict.Pass, 0.02,
			&verdict.Stats{N: 3, Median: 0.02, Min: 0.01, Max: 0.5, Q1: 0.01, Q3: 0.5, IQR: 0.49}, verdict.Tally{Measured: 3}},
		{"median fails", m, []verdict.Outcome{meas(0.01), meas(0.5), meas(0.2)}, verdict.Fail, 0.2,
			&verdict.Stats{N: 3, Median: 0.2, Min: 0.01, Max: 0.5, Q1: 0.01, Q3: 0.5, IQR: 0.49}, verdict.Tally{Measured: 3}},
		{"at the threshold passes", m, []verdict.Outcome{meas(0.1)}, verdict.Pass, 0.1,
			&verdict.Stats{N: 1, Median: 0.1, Min: 0.1, Max: 0.1, Q1: 0.1, Q3: 0.1}, verdict.Tally{Measured: 1}},
		{"just above fails", m, []verdict.Outcome{meas(0.1000001)}, verdict.Fail, 0.1000001,
			&verdict.Stats{N: 1, Median: 0.1000001, Min: 0.1000001, Max: 0.1000001, Q1: 0.1000001, Q3: 0.1000001}, verdict.Tally{Measured: 1}},
		{"even count: mean of the middle two", m, []verdict.Outcome{meas(0.4), meas(0.1)}, verdict.Fail, 0.25,
			&verdict.Stats{N: 2, Median: 0.25, Min: 0.1, Max: 0.4, Q1: 0.1, Q3: 0.4, IQR: 0.30000000000000004}, verdict.Tally{Measured: 2}},
		// A diverged or timed-out replicate is a failure of the method: it
		// counts as the worst value, in the median as everywhere.
		{"a divergence among successes", m, []verdict.Outcome{failed, meas(0.01), meas(0.02)}, verdict.Pass, 0.02,
			&verdict.Stats{N: 2, Median: 0.015, Min: 0.01, Max: 0.02, Q1: 0.01, Q3: 0.02, IQR: 0.01}, verdict.Tally{Measured: 2, Failed: 1}},
		{"half diverged (the report said pass)", m, []verdict.Outcome{failed, meas(0.01)}, verdict.Fail, inf,
			&verdict.Stats{N: 1, Median: 0.01, Min: 0.01, Max: 0.01, Q1: 0.01, Q3: 0.01}, verdict.Tally{Measured: 1, Failed: 1}},
		{"all diverged or timed out", m, []verdict.Outcome{failed, failed}, verdict.Fail, inf, nil, verdict.Tally{Failed: 2}},
		// An open replicate leaves the point pending, whatever the others
		// say (the report said fail for a divergence and a pending trial).
		{"a divergence and an open trial", m, []verdict.Outcome{failed, open}, verdict.Pending, math.NaN(), nil, verdict.Tally{Open: 1, Failed: 1}},
		{"open and measured", m, []verdict.Outcome{meas(0.01), open}, verdict.Pending, math.NaN(),
			&verdict.Stats{N: 1, Median: 0.01, Min: 0.01, Max: 0.01, Q1: 0.01, Q3: 0.01}, verdict.Tally{Open: 1, Measured: 1}},
		{"open only", m, []verdict.Outcome{open, open}, verdict.Pending, math.NaN(), nil, verdict.Tally{Open: 2}},
		{"no replicate", m, nil, verdict.Pending, math.NaN(), nil, verdict.Tally{}},
		// Failed and cancelled trials say nothing: the point is void (the
		// dashboard drew such a cell above the threshold; the report
		// called it unknown).
		{"all failed or cancelled", m, []verdict.Outcome{void, void}, verdict.Void, math.NaN(), nil, verdict.Tally{Void: 2}},
		{"failed, timeout, cancelled", m, []verdict.Outcome{void, failed, void}, verdict.Void, math.NaN(), nil, verdict.Tally{Failed: 1, Void: 2}},
		{"a void replicate among measured ones", m, []verdict.Outcome{meas(0.01), void, meas(0.02)}, verdict.Void, math.NaN(),
			&verdict.Stats{N: 2, Median: 0.015, Min: 0.01, Max: 0.02, Q1: 0.01, Q3: 0.02, IQR: 0.01}, verdict.Tally{Measured: 2, Void: 1}},
		{"open wins over void", m, []verdict.Outcome{void, open}, verdict.Pending, math.NaN(), nil, verdict.Tally{Open: 1, Void: 1}},
		// The threshold and the goal come from the metric.
		{"the spec's threshold", verdict.Metric{Threshold: 0.8}, []verdict.Outcome{meas(0.5)}, verdict.Pass, 0.5,
			&verdict.Stats{N: 1, Median: 0.5, Min: 0.5, Max: 0.5, Q1: 0.5, Q3: 0.5}, verdict.Tally{Measured: 1}},
		{"maximised: above passes", verdict.Metric{Name: "accuracy", Goal: verdict.Maximize, Threshold: 0.9},
			[]verdict.Outcome{meas(0.95), meas(0.99), meas(0.5)}, verdict.Pass, 0.95,
			&verdict.Stats{N: 3, Median: 0.95, Min: 0.5, Max: 0.99, Q1: 0.5, Q3: 0.99, IQR: 0.49}, verdict.Tally{Measured: 3}},
		{"maximised: a divergence counts as -Inf", verdict.Metric{Name: "accuracy", Goal: verdict.Maximize, Threshold: 0.9},
			[]verdict.Outcome{meas(0.95), failed}, verdict.Fail, math.Inf(-1),
			&verdict.Stats{N: 1, Median: 0.95, Min: 0.95, Max: 0.95, Q1: 0.95, Q3: 0.95}, verdict.Tally{Measured: 1, Failed: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := tc.metric.Judge(tc.outcomes)
			if j.Verdict != tc.want {
				t.Errorf("verdict %s, want %s", j.Verdict, tc.want)
			}
			if !(j.Score == tc.score || math.IsNaN(j.Score) && math.IsNaN(tc.score)) {
				t.Errorf("score %v, want %v", j.Score, tc.score)
			}
			if !statsClose(j.Stats, tc.stats) {
				t.Errorf("stats %+v, want %+v", j.Stats, tc.stats)
			}
			if j.Tally != tc.tally || j.Tally.Total() != len(tc.outcomes) {
				t.Errorf("tally %+v, want %+v", j.Tally, tc.tally)
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

// TestQuantilesMatchGonum checks the quartiles against gonum's
// stat.Quantile with the Empirical kind, which the report used.
func TestQuantilesMatchGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= 40; n++ {
		xs := make([]float64, n)
		var outs []verdict.Outcome
		for i := range xs {
			xs[i] = rng.ExpFloat64()
			outs = append(outs, verdict.Measured(xs[i]))
		}
		slices.Sort(xs)
		j := verdict.Default().Judge(outs)
		q1, q3 := stat.Quantile(0.25, stat.Empirical, xs, nil), stat.Quantile(0.75, stat.Empirical, xs, nil)
		if j.Stats.Q1 != q1 || j.Stats.Q3 != q3 || j.Stats.IQR != q3-q1 {
			t.Fatalf("n=%d: Q1 %v Q3 %v, gonum %v %v", n, j.Stats.Q1, j.Stats.Q3, q1, q3)
		}
	}
}

// TestMetricValue: the value is read from the decoded result by the
// metric's name; anything but a finite number is none.
func TestMetricValue(t *testing.T) {
	for _, tc := range []struct {
		metric verdict.Metric
		result string
		v      float64
		ok     bool
	}{
		{verdict.Default(), `{"rel_l2":0.25,"loss":3}`, 0.25, true},
		{verdict.Metric{}, `{"rel_l2":1e-3}`, 1e-3, true}, // the zero Metric is the default
		{verdict.Default(), `{"loss":3}`, 0, false},
		{verdict.Default(), `{"rel_l2":"NaN"}`, 0, false},
		{verdict.Default(), `{"rel_l2":"Infinity"}`, 0, false},
		{verdict.Default(), `{"rel_l2":null}`, 0, false},
		{verdict.Default(), `{"rel_l2":"0.5"}`, 0, false},
		{verdict.Default(), ``, 0, false},
		{verdict.Metric{Name: "accuracy", Goal: verdict.Maximize}, `{"accuracy":0.97,"rel_l2":0.5}`, 0.97, true},
		{verdict.Metric{Name: "accuracy"}, `{"rel_l2":0.5}`, 0, false},
	} {
		v, ok := tc.metric.Result([]byte(tc.result))
		if v != tc.v || ok != tc.ok {
			t.Errorf("%+v of %s = %v, %v; want %v, %v", tc.metric, tc.result, v, ok, tc.v, tc.ok)
		}
	}
	if _, err := verdict.Fields([]byte(`[1]`)); !errors.Is(err, verdict.ErrNotObject) {
		t.Errorf("Fields of an array: %v", err)
	}
	if _, err := verdict.Fields([]byte(`null`)); !errors.Is(err, verdict.ErrNotObject) {
		t.Errorf("Fields of null: %v", err)
	}
	if f, err := verdict.Fields([]byte("  ")); f != nil || err != nil {
		t.Errorf("Fields of a blank result: %v, %v", f, err)
	}
	for raw, want := range map[string]float64{`1.5`: 1.5, `"-Infinity"`: math.Inf(-1), `"Inf"`: inf, `1e400`: inf} {
		if v, ok := verdict.Number(json.RawMessage(raw)); !ok || v != want {
			t.Errorf("Number(%s) = %v, %v", raw, v, ok)
		}
	}
}

func TestGoal(t *testing.T) {
	for s, want := range map[string]verdict.Goal{"min": verdict.Minimize, "max": verdict.Maximize, "maximize": verdict.Maximize} {
		if g, err := verdict.ParseGoal(s); err != nil || g != want || (s == "min" || s == "max") && g.String() != s {
			t.Errorf("ParseGoal(%q) = %v, %v", s, g, err)
		}
	}
	if _, err := verdict.ParseGoal("up"); err == nil {
		t.Error("ParseGoal(up) succeeded")
	}
	max := verdict.Metric{Goal: verdict.Maximize, Threshold: 0.9}
	if !max.Passes(0.9) || max.Passes(0.89) || max.Worst() != math.Inf(-1) || verdict.Default().Worst() != inf {
		t.Error("maximised metric: wrong side of the threshold")
	}
}

// TestVerdictJSON: a verdict is written as its name and reads back; any
// other name is an error.
func TestVerdictJSON(t *testing.T) {
	for _, v := range []verdict.Verdict{verdict.Pending, verdict.Pass, verdict.Fail, verdict.Void} {
		b, err := json.Marshal(v)
		if err != nil || string(b) != `"`+v.String()+`"` {
			t.Errorf("Marshal(%v) = %s, %v", v, b, err)
		}
		var got verdict.Verdict
		if err := json.Unmarshal(b, &got); err != nil || got != v {
			t.Errorf("Unmarshal(%s) = %v, %v", b, got, err)
		}
	}
	var v verdict.Verdict
	if err := json.Unmarshal([]byte(`"unknown"`), &v); err == nil {
		t.Error(`Unmarshal("unknown") succeeded`)
	}
}

// TestResolvedThreshold: 0 is the default threshold of rel_l2 only; a
// metric of a spec's own keeps its threshold 0.
func TestResolvedThreshold(t *testing.T) {
	if got := (verdict.Metric{}).Resolved(); got != verdict.Default() {
		t.Errorf("zero Metric resolves to %+v", got)
	}
	if got := (verdict.Metric{Name: verdict.DefaultName}).Resolved().Threshold; got != verdict.DefaultThreshold {
		t.Errorf("rel_l2 with threshold 0: %v", got)
	}
	m := verdict.Metric{Name: "log_score", Goal: verdict.Maximize}
	if got := m.Resolved(); got != m {
		t.Errorf("log_score with threshold 0 resolves to %+v", got)
	}
}
