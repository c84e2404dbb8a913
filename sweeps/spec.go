package sweeps

import "github.com/pinnsweep/pinnsweep/verdict"

// Spec is a parsed sweep specification: the trainer settings shared by all
// trials, the ordered axes whose Cartesian product, times the replicate
// seeds, forms the grid, and the sweep's execution policy.
//
// A Spec returned by Parse is valid and its grid is within its trial limit.
// Specs are plain values: code that builds or modifies one by hand gets the
// documented behaviour of Size, Expand and Compatible but none of the
// checks of Parse. Those methods do not modify the Spec and may be called
// concurrently.
type Spec struct {
	// Name identifies the sweep: 1 to MaxNameLen characters from
	// [A-Za-z0-9._-], not "." or "..".
	Name string

	// Runner says how each trial runs: the built-in trainer (the zero
	// value) or a program. With a program, settings and axes are
	// free-form: Options.Validate is not called.
	Runner Runner

	// Resources is what each trial needs on a worker.
	Resources Resources

	// Metric names the result field that verdicts, refinement and phase
	// diagrams judge. Parse sets DefaultMetric when the spec has no metric
	// key; empty (a hand-built Spec) means the default too.
	Metric string

	// Goal says whether the metric is better small (GoalMin, the default)
	// or large (GoalMax). Empty means GoalMin.
	Goal Goal

	// Fixed holds the settings applied to every trial, in file order.
	Fixed []Setting

	// Axes are the swept dimensions, in file order. The grid enumerates
	// them with the last axis varying fastest.
	Axes []Axis

	// Seeds are the replicate seeds, in file order (0..n-1 for
	// "replicates: n"). Each grid point is run once per seed; the seed is
	// stored in the trial's params under SeedKey. A nil Seeds means the
	// single seed 0.
	Seeds []int64

	// Budget bounds each trial's work.
	Budget Budget

	// Retries is how many times a failed trial may be retried: a trial is
	// attempted at most 1 + Retries times (see MaxAttempts).
	Retries int

	// MaxTrials is the grid-size limit this spec was checked against;
	// zero means DefaultMaxTrials.
	MaxTrials int

	// Refine lists the numeric axes whose failure boundary is refined by
	// bisection (see Spec.Refinements); nil when the spec has none.
	Refine []Refine

	// FailureThreshold is the rel_l2 above which a trial counts as a
	// failure, for refinement and reports: a grid point succeeds when the
	// median rel_l2 of its replicates is at most the threshold. Parse sets
	// DefaultFailureThreshold when the spec has no failure_threshold key;
	// zero (a hand-built Spec) means the default too. For a Metric other
	// than rel_l2 it is that metric's threshold, which the spec must give
	// (any finite number, zero included: the goal says on which side
	// failure lies).
	FailureThreshold float64

	// File is the file name the spec was parsed from, as given to Parse.
	File string

	// Source is a copy of the text the spec was parsed from, kept for
	// provenance.
	Source []byte
}

// Setting is one trainer setting: a key and a decoded value.
type Setting struct {
	// Key is the setting name, such as "nf".
	Key string
	// Value is an int64, float64, string, bool, or a []any of those.
	Value any
	// Line is the 1-based line of the setting in the spec, or 0.
	Line int
}

// Budget bounds the work of each trial. A zero field is unset.
type Budget struct {
	// Iterations caps optimizer iterations; when set it is passed to the
	// trainer as the MaxItersKey setting.
	Iterations int
	// Evaluations caps loss and gradient evaluations; when set it is
	// passed to the trainer as the MaxEvalsKey setting.
	Evaluations int
	// Seconds is a wall-time budget in seconds that the worker running a
	// trial enforces. It is not a trainer setting and not part of the
	// trial params or key.
	Seconds float64
}

// Refine is one refinement rule: where two neighbouring values of the
// named numeric axis fall on opposite sides of the failure threshold (all
// other axes equal), their midpoint is added to the sweep, until the
// bracket is at most Tolerance wide or has been bisected MaxDepth times.
type Refine struct {
	// Axis names an axis of the spec whose values are all numbers.
	Axis string
	// Tolerance is the bracket width, in the axis's units, at which
	// bisection stops: a positive, finite number.
	Tolerance float64
	// MaxDepth is the most bisections of one interval of the grid's
	// values, from 1 to 100.
	MaxDepth int
	// Line is the 1-based line of the rule in the spec, or 0.
	Line int
}

// DefaultFailureThreshold is the failure threshold of a spec without a
// failure_threshold key: a relative L2 error above 10% is a failure.
const DefaultFailureThreshold = verdict.DefaultThreshold

// Threshold returns s.FailureThreshold, or DefaultFailureThreshold when it
// is zero and the metric is rel_l2.
func (s *Spec) Threshold() float64 {
	if s.FailureThreshold > 0 || s.MetricName() != DefaultMetric {
		return s.FailureThreshold
	}
	return DefaultFailureThreshold
}

// MetricName returns s.Metric, or DefaultMetric when it is empty.
func (s *Spec) MetricName() string {
	if s.Metric == "" {
		return DefaultMetric
	}
	return s.Metric
}

// Direction returns s.Goal, or GoalMin when it is empty.
func (s *Spec) Direction() Goal {
	if s.Goal == "" {
		return GoalMin
	}
	return s.Goal
}

// MaxAttempts returns the maximum number of times a trial of s is
// attempted: 1 + s.Retries.
func (s *Spec) MaxAttempts() int {
	return 1 + s.Retries
}

// seeds returns s.Seeds, or the default single seed 0.
func (s *Spec) seeds() []int64 {
	if s.Seeds == nil {
		return defaultSeeds
	}
	return s.Seeds
}

var defaultSeeds = []int64{0}

// limit returns the effective grid-size limit of s.
func (s *Spec) limit() int {
	if s.MaxTrials > 0 {
		return s.MaxTrials
	}
	return DefaultMaxTrials
}
