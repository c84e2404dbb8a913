package state

import (
	"cmp"
	"encoding/json"
	"slices"
	"time"
)

// SweepRecord is a sweep as stored: its spec and execution policy. Trials
// are stored separately (TrialRecord).
type SweepRecord struct {
	// Name identifies the sweep (the spec's name).
	Name string `json:"name"`
	// Filename is the spec's file name as submitted.
	Filename string `json:"filename,omitempty"`
	// Source is the text of the latest accepted spec.
	Source string `json:"source"`
	// Axes are the names of the grid's coordinates in order: the spec's
	// axes followed by "seed". They are the per-axis columns of the CSV
	// export.
	Axes []string `json:"axes"`
	// BudgetSeconds is the per-trial wall-time budget (0: none).
	BudgetSeconds float64 `json:"budget_seconds,omitempty"`
	// MaxAttempts is the number of attempts a trial gets: 1 + retries.
	MaxAttempts int `json:"max_attempts"`
	// Needs is what each trial needs of the worker slot that runs it
	// (the spec's resources and runner); the zero value, a CPU trial of
	// the built-in trainer, is what records written before it mean.
	Needs Needs `json:"needs,omitzero"`
	// Created is when the sweep was first submitted.
	Created time.Time `json:"created"`
	// Updated is when the sweep was last (re)submitted.
	Updated time.Time `json:"updated"`
	// Submissions counts the accepted submissions (1 + growths and
	// unchanged resubmissions).
	Submissions int `json:"submissions"`
}

// Clone returns a copy of s that shares no memory with it.
func (s SweepRecord) Clone() SweepRecord {
	s.Axes = slices.Clone(s.Axes)
	return s
}

// TrialRecord is one trial's state, and, where a reader asks for them, its
// inputs (params and point) and result.
type TrialRecord struct {
	// Sweep names the trial's sweep.
	Sweep string `json:"sweep"`
	// Key is the stable hash of the trial's params (sweeps.Key).
	Key string `json:"key"`
	// Index orders the trials of a sweep: the expansion order of the first
	// submission, then the new trials of each growth (and of refinement)
	// in their order. The queue hands out a sweep's pending trials in
	// index order.
	Index int `json:"index"`
	// Status is the trial's state.
	Status Status `json:"status"`
	// Attempts counts the leases that counted as attempts (a released
	// lease does not).
	Attempts int `json:"attempts"`
	// Expiries counts the leases that expired.
	Expiries int `json:"expiries,omitempty"`
	// Params is the canonical JSON object of trainer settings, seed
	// included, that the worker trains with. Readers fill it when asked
	// for inputs (Store.Trials, Store.Trial); a Change never carries it
	// (inputs are written once, by Change.New).
	Params json.RawMessage `json:"params"`
	// Point is the trial's grid position as a JSON object in axis order:
	// the axis values (bundle labels for bundle axes) and the seed. Filled
	// like Params.
	Point json.RawMessage `json:"point"`
	// Reason explains a failed, timed-out, diverged or cancelled trial, or
	// the last failed attempt of a requeued one.
	Reason string `json:"reason,omitempty"`
	// Worker is the worker that holds or last held the lease.
	Worker string `json:"worker,omitempty"`
	// LeaseID identifies the latest lease ("" if never leased).
	LeaseID string `json:"lease_id,omitempty"`
	// Token is the latest lease's fencing token. Tokens come from one
	// counter, so they strictly increase per trial and across trials.
	Token uint64 `json:"token,omitempty"`
	// LeaseState is the latest lease's state.
	LeaseState LeaseState `json:"lease_state,omitempty"`
	// LeaseSecret is the active lease's secret, which its holder presents
	// with every call on the lease (zero once the lease has ended, and for
	// a lease granted before secrets existed). It is never exported.
	LeaseSecret LeaseSecret `json:"-"`
	// LeaseExpiry is when the active lease expires (wall clock, UTC).
	LeaseExpiry time.Time `json:"lease_expiry,omitzero"`
	// StopRequested is set on a running trial of a cancelled sweep: the
	// next heartbeat tells the worker to stop.
	StopRequested bool `json:"stop_requested,omitempty"`
	// Value is the value of the sweep's metric (verdict.Metric: rel_l2
	// unless the spec names another) that the engine read from the result
	// when the trial ended, or nil when the result had none or it was not
	// finite. The scheduler keeps it so that refinement needs no results;
	// readers that judge trials read the result itself. (The JSON name is
	// that of schema version 1's records.)
	Value *float64 `json:"rel_l2,omitempty"`
	// Updated is when the record last changed.
	Updated time.Time `json:"updated"`
	// Result is the worker's result JSON. It is filled only by the
	// functions that read trials for reports (Store.Trials, Store.Trial);
	// a Change carries results in Change.Results.
	Result json.RawMessage `json:"-"`
	// StderrTail is the end of the standard error (at most MaxStderrTail
	// bytes) of the trial's latest completed attempt, as its worker sent
	// it: a command trial's, for any outcome but done. It is filled, like
	// Result, only by Store.Trials and Store.Trial; a Change carries tails
	// in Change.Tails.
	StderrTail string `json:"-"`
}

// ID returns "sweep/key", the trial's identity in messages.
func (t *TrialRecord) ID() string { return t.Sweep + "/" + t.Key }

// Clone returns a copy of t that shares no memory with it.
func (t TrialRecord) Clone() TrialRecord {
	t.Params = slices.Clone(t.Params)
	t.Point = slices.Clone(t.Point)
	t.Result = slices.Clone(t.Result)
	if t.Value != nil {
		v := *t.Value
		t.Value = &v
	}
	return t
}

// SortTrials sorts trials by sweep, then index, then key.
func SortTrials(ts []TrialRecord) {
	slices.SortFunc(ts, func(a, b TrialRecord) int {
		return cmp.Or(cmp.Compare(a.Sweep, b.Sweep), cmp.Compare(a.Index, b.Index), cmp.Compare(a.Key, b.Key))
	})
}

// Progress counts a sweep's trials by status.
type Progress struct {
	// Sweep is the sweep's name.
	Sweep string
	// Total is the number of trials.
	Total int
	// Pending ... Cancelled count the trials in each status.
	Pending, Running, Done, Failed, Timeout, Diverged, Cancelled int
	// Finished is true when no trial is pending or running.
	Finished bool
	// Created is when the sweep was first submitted.
	Created time.Time
}

// counter returns the count of status s, or nil for an invalid status.
func (p *Progress) counter(s Status) *int {
	switch s {
	case StatusPending:
		return &p.Pending
	case StatusRunning:
		return &p.Running
	case StatusDone:
		return &p.Done
	case StatusFailed:
		return &p.Failed
	case StatusTimeout:
		return &p.Timeout
	case StatusDiverged:
		return &p.Diverged
	case StatusCancelled:
		return &p.Cancelled
	}
	return nil
}

// Of returns the number of trials in status s.
func (p *Progress) Of(s Status) int {
	if c := p.counter(s); c != nil {
		return *c
	}
	return 0
}

// Shift adds d to the count of status s (not to Total); an invalid status
// changes nothing.
func (p *Progress) Shift(s Status, d int) {
	if c := p.counter(s); c != nil {
		*c += d
	}
}

// UnixNano returns t as Unix nanoseconds, and the zero time as 0: how the
// scheduler and the bbolt store keep times compactly.
func UnixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// TimeOfUnixNano inverts UnixNano, in UTC.
func TimeOfUnixNano(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}
