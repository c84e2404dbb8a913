package verdict

import (
	"fmt"
	"math"
	"slices"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// Class is what one trial says about its grid point.
type Class uint8

// Outcome classes.
const (
	// ClassOpen: the trial is pending or running; it will say something.
	ClassOpen Class = iota
	// ClassMeasured: the trial is done and its result has the metric.
	ClassMeasured
	// ClassFailed: the trial diverged or ran out of time. The method
	// failed there, whatever the metric says: it counts as the metric's
	// worst value (Metric.Worst).
	ClassFailed
	// ClassVoid: the trial ended without saying anything about the point:
	// it failed (a fault of the infrastructure or the settings), was
	// cancelled, or is done without the metric in its result.
	ClassVoid
)

// String returns "open", "measured", "failed" or "void".
func (c Class) String() string {
	switch c {
	case ClassMeasured:
		return "measured"
	case ClassFailed:
		return "failed"
	case ClassVoid:
		return "void"
	}
	return "open"
}

// Outcome is one trial's class and, when measured, its metric value.
type Outcome struct {
	Class Class
	// Value is the metric's value when Class is ClassMeasured.
	Value float64
}

// Open returns the outcome of a pending or running trial.
func Open() Outcome { return Outcome{Class: ClassOpen} }

// Measured returns the outcome of a done trial whose metric is v.
func Measured(v float64) Outcome { return Outcome{Class: ClassMeasured, Value: v} }

// Failed returns the outcome of a diverged or timed-out trial.
func Failed() Outcome { return Outcome{Class: ClassFailed} }

// Voided returns the outcome of a trial that ended without information.
func Voided() Outcome { return Outcome{Class: ClassVoid} }

// Classify returns the outcome of a trial in status s whose result's
// metric is v when ok (see Metric.Value). It is the one rule for what a
// trial says:
//
//	pending, running              open
//	done with a finite metric     measured
//	done without one              void
//	diverged, timeout             failed
//	failed, cancelled             void
//	anything else                 void
func Classify(s state.Status, v float64, ok bool) Outcome {
	switch s {
	case state.StatusPending, state.StatusRunning:
		return Open()
	case state.StatusDone:
		if ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
			return Measured(v)
		}
	case state.StatusDiverged, state.StatusTimeout:
		return Failed()
	}
	return Voided()
}

// Verdict is what a grid point's replicates say, as a whole.
type Verdict uint8

// Verdicts.
const (
	// Pending: a replicate is still open (or the point has none).
	Pending Verdict = iota
	// Pass: every replicate ended, none void, and the median (a failed
	// replicate counting as the metric's worst value) passes the
	// threshold.
	Pass
	// Fail: every replicate ended, none void, and that median does not
	// pass.
	Fail
	// Void: every replicate ended, but one without information; rerun it
	// (`pinnsweep run --rerun-failed`, RequeueFailed) to know.
	Void
)

// String returns "pending", "pass", "fail" or "void".
func (v Verdict) String() string {
	switch v {
	case Pass:
		return "pass"
	case Fail:
		return "fail"
	case Void:
		return "void"
	}
	return "pending"
}

// MarshalText implements encoding.TextMarshaler: the String form.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler: the String form, so
// that JSON a verdict was written to (run --json, the dashboard's API)
// reads back.
func (v *Verdict) UnmarshalText(b []byte) error {
	for _, c := range []Verdict{Pending, Pass, Fail, Void} {
		if string(b) == c.String() {
			*v = c
			return nil
		}
	}
	return fmt.Errorf("verdict %q: want pending, pass, fail or void", b)
}

// Known reports whether v is Pass or Fail.
func (v Verdict) Known() bool { return v == Pass || v == Fail }

// Opposite reports whether a and b are Pass and Fail, in either order: a
// failure boundary lies between them.
func Opposite(a, b Verdict) bool { return a.Known() && b.Known() && a != b }

// Tally counts a point's replicates by outcome class.
type Tally struct {
	Open     int `json:"open"`
	Measured int `json:"measured"`
	Failed   int `json:"failed"`
	Void     int `json:"void"`
}

// Total returns the number of replicates.
func (t Tally) Total() int { return t.Open + t.Measured + t.Failed + t.Void }

// Stats are replicate statistics of the measured values.
type Stats struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Q1     float64 `json:"q1"`
	Q3     float64 `json:"q3"`
	IQR    float64 `json:"iqr"`
}

// Judgement is what a grid point's replicates say.
type Judgement struct {
	// Tally counts the replicates by class.
	Tally Tally
	// Stats are over the measured values; nil when there are none. They
	// describe the runs that finished (the diagrams are coloured by their
	// median); the verdict rests on Score.
	Stats *Stats
	// Verdict is the point's verdict.
	Verdict Verdict
	// Score is the median the verdict compares with the threshold: over
	// the measured and failed replicates, a failed one counting as the
	// metric's worst value (so ±Inf when failures make up the median). It
	// is NaN unless the verdict is Pass or Fail.
	Score float64
	// Median is the index, in the outcomes judged, of the point's median
	// replicate, whose failure class a phase diagram shows for the point
	// (Goal.MedianReplicate of the measured and failed replicates, a
	// failed one at Metric.Worst), or -1 when no replicate is measured or
	// failed.
	Median int
}

// Judge returns what outcomes, the replicates of one grid point, say
// against m. It is the one rule for a point's verdict: refinement, the
// report, the dashboard and `pinnsweep run`'s summary all call it.
//
//   - any replicate open (or none at all): Pending;
//   - else any replicate void: Void;
//   - else the median of the values, a failed replicate counting as
//     m.Worst(), against the threshold: Pass or Fail.
//
// The statistics are over the measured values whatever the verdict.
func (m Metric) Judge(outcomes []Outcome) Judgement {
	j := Judgement{Score: math.NaN()}
	var measured, scored []float64
	var ranked []Ranked
	for i, o := range outcomes {
		switch o.Class {
		case ClassOpen:
			j.Tally.Open++
		case ClassMeasured:
			j.Tally.Measured++
			measured = append(measured, o.Value)
			scored = append(scored, o.Value)
			ranked = append(ranked, Ranked{Index: i, Value: o.Value})
		case ClassFailed:
			j.Tally.Failed++
			scored = append(scored, m.Worst())
			ranked = append(ranked, Ranked{Index: i, Value: m.Worst()})
		default:
			j.Tally.Void++
		}
	}
	j.Stats = statsOf(measured)
	switch {
	case j.Tally.Open > 0 || len(outcomes) == 0:
		j.Verdict = Pending
	case j.Tally.Void > 0:
		j.Verdict = Void
	default:
		j.Score = median(scored)
		j.Verdict = Fail
		if m.Passes(j.Score) {
			j.Verdict = Pass
		}
	}
	j.Median = m.Goal.MedianReplicate(ranked, j.Verdict)
	return j
}

// Ranked is a replicate as Goal.Rank and Goal.MedianReplicate rank it:
// its index among a point's replicates and the value it ranks by (a
// failed replicate's is Metric.Worst).
type Ranked struct {
	Index int
	Value float64
}

// Rank orders rs from the best value to the worst for goal g, ties by
// Index.
func (g Goal) Rank(rs []Ranked) {
	slices.SortFunc(rs, func(a, b Ranked) int {
		if a.Value == b.Value {
			return a.Index - b.Index
		}
		if (a.Value < b.Value) == (g != Maximize) {
			return -1 // a is better
		}
		return 1
	})
}

// MedianReplicate returns the Index of the median replicate of rs,
// ranked by Rank (which it calls): the middle one of an odd count; of an
// even count, the one of the two middle ones on the side of v, the
// point's verdict (the worse of them when the point fails, the better
// otherwise), so that a passing point's median replicate passes and a
// failing point's fails. -1 when rs is empty. It is the one rule of "the
// median replicate": Judge's Median (over the measured and failed
// replicates) and the report's median replicate to draw (over the
// measured ones, report.Cell.Representative) call it.
func (g Goal) MedianReplicate(rs []Ranked, v Verdict) int {
	if len(rs) == 0 {
		return -1
	}
	g.Rank(rs)
	n := len(rs)
	if n%2 == 1 || v != Fail {
		return rs[(n-1)/2].Index
	}
	return rs[n/2].Index
}

// statsOf returns the statistics of xs (sorted in place), or nil.
func statsOf(xs []float64) *Stats {
	if len(xs) == 0 {
		return nil
	}
	slices.Sort(xs)
	n := len(xs)
	s := &Stats{N: n, Median: median(xs), Min: xs[0], Max: xs[n-1],
		Q1: quantile(0.25, xs), Q3: quantile(0.75, xs)}
	s.IQR = s.Q3 - s.Q1
	return s
}

// median returns the median of xs, which it sorts: the middle value, or
// the mean of the middle two for an even count (halves added, so that
// ±Inf and large values do not overflow).
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return xs[n/2-1]/2 + xs[n/2]/2
}

// quantile returns the p-quantile of the sorted xs as an observed value:
// the smallest x[i] with (i+1)/n ≥ p (gonum's stat.Quantile with the
// Empirical kind, which the tests check it against).
func quantile(p float64, xs []float64) float64 {
	f := p * float64(len(xs))
	for i, x := range xs {
		if float64(i+1) >= f {
			return x
		}
	}
	return xs[len(xs)-1]
}
