package coordinator

import (
	"encoding/json"
	"fmt"
	"time"
)

// Status is the state of one trial. Its string form is what the database,
// the exports and the CLI show.
type Status string

// Trial statuses. Pending and Running are live; the others are final until
// RequeueFailed puts Failed, Timeout and Cancelled trials back into the
// queue.
const (
	// StatusPending: queued, waiting for a worker.
	StatusPending Status = "pending"
	// StatusRunning: leased to a worker.
	StatusRunning Status = "running"
	// StatusDone: the trainer ran to an end and reported a result.
	StatusDone Status = "done"
	// StatusFailed: the worker reported a failure on the last allowed
	// attempt, or the lease expired too often.
	StatusFailed Status = "failed"
	// StatusTimeout: the trial exceeded its wall-time budget (final, not
	// retried).
	StatusTimeout Status = "timeout"
	// StatusDiverged: the loss became NaN or Inf (final: divergence is a
	// result, not a fault, so it is not retried).
	StatusDiverged Status = "diverged"
	// StatusCancelled: the sweep was cancelled.
	StatusCancelled Status = "cancelled"
)

// statuses lists every status in display order.
var statuses = []Status{StatusPending, StatusRunning, StatusDone, StatusFailed,
	StatusTimeout, StatusDiverged, StatusCancelled}

// Valid reports whether s is one of the defined statuses.
func (s Status) Valid() bool {
	for _, v := range statuses {
		if s == v {
			return true
		}
	}
	return false
}

// Final reports whether s ends a trial (every status but pending and
// running).
func (s Status) Final() bool {
	return s.Valid() && s != StatusPending && s != StatusRunning
}

// LeaseState says how a trial's latest lease stands.
type LeaseState string

// Lease states.
const (
	// LeaseNone: the trial was never leased (or was requeued by
	// RequeueFailed before being leased again; then the last lease keeps its
	// state).
	LeaseNone LeaseState = ""
	// LeaseActive: the lease is held; the trial is running.
	LeaseActive LeaseState = "active"
	// LeaseCompleted: the lease ended with a Complete.
	LeaseCompleted LeaseState = "completed"
	// LeaseReleased: the worker released the lease.
	LeaseReleased LeaseState = "released"
	// LeaseExpired: the lease expired without a heartbeat.
	LeaseExpired LeaseState = "expired"
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
	// Created is when the sweep was first submitted.
	Created time.Time `json:"created"`
	// Updated is when the sweep was last (re)submitted.
	Updated time.Time `json:"updated"`
	// Submissions counts the accepted submissions (1 + growths and
	// unchanged resubmissions).
	Submissions int `json:"submissions"`
}

// TrialRecord is one trial's state. The scheduler keeps these in memory
// without Result; the store keeps the result separately (see the bucket
// layout in the package documentation).
type TrialRecord struct {
	// Sweep names the trial's sweep.
	Sweep string `json:"sweep"`
	// Key is the stable hash of the trial's params (sweeps.Key).
	Key string `json:"key"`
	// Index orders the trials of a sweep: the expansion order of the first
	// submission, then the new trials of each growth in their expansion
	// order. The queue hands out a sweep's pending trials in index order.
	Index int `json:"index"`
	// Status is the trial's state.
	Status Status `json:"status"`
	// Attempts counts the leases that counted as attempts (a released
	// lease does not).
	Attempts int `json:"attempts"`
	// Expiries counts the leases that expired.
	Expiries int `json:"expiries,omitempty"`
	// Params is the canonical JSON object of trainer settings, seed
	// included, that the worker trains with.
	Params json.RawMessage `json:"params"`
	// Point is the trial's grid position as a JSON object in axis order:
	// the axis values (bundle labels for bundle axes) and the seed.
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
	// LeaseExpiry is when the active lease expires (wall clock, UTC).
	LeaseExpiry time.Time `json:"lease_expiry,omitzero"`
	// StopRequested is set on a running trial of a cancelled sweep: the
	// next heartbeat tells the worker to stop.
	StopRequested bool `json:"stop_requested,omitempty"`
	// RelL2 is the result's rel_l2, or nil if it had none.
	RelL2 *float64 `json:"rel_l2,omitempty"`
	// Updated is when the record last changed.
	Updated time.Time `json:"updated"`
	// Result is the worker's result JSON. It is filled only by the
	// functions that read trials for reports (Coordinator.Trials,
	// Store.Trials); Commit ignores it (results travel in Change.Results).
	Result json.RawMessage `json:"-"`
}

// ID returns "sweep/key", the trial's identity in messages.
func (t *TrialRecord) ID() string { return t.Sweep + "/" + t.Key }

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

// count returns the counter for status s.
func (p *Progress) count(s Status) *int {
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
	panic(fmt.Sprintf("coordinator: bad status %q", s))
}

// SubmitResult reports what a submission did.
type SubmitResult struct {
	// Sweep is the sweep's name.
	Sweep string
	// Total is the number of trials after the submission.
	Total int
	// Added is the number of trials this submission added (0 when an
	// unchanged spec is resubmitted).
	Added int
	// Created is true when the submission created the sweep.
	Created bool
}

// Grant is a lease handed to a worker.
type Grant struct {
	// Trial is the leased trial (status running).
	Trial TrialRecord
	// LeaseID identifies the lease in Heartbeat, Complete and Release.
	LeaseID string
	// Token is the lease's fencing token.
	Token uint64
	// TTL is how long the lease lives without a heartbeat.
	TTL time.Duration
	// BudgetSeconds is the trial's wall-time budget (0: none).
	BudgetSeconds float64
	// Enqueued is when the trial last became pending (its record's
	// Updated time before the lease), for the queue-wait metric.
	Enqueued time.Time
}

// Beat is the answer to a heartbeat.
type Beat struct {
	// Stop tells the worker to abandon the trial.
	Stop bool
	// Reason says why Stop is set.
	Reason string
	// TTL is the lease's time to live from now.
	TTL time.Duration
}

// Completion is a worker's report of a trial's end.
type Completion struct {
	// LeaseID and Token identify the lease.
	LeaseID string
	Token   uint64
	// Worker is the reporting worker's id (informational).
	Worker string
	// Status is the outcome: StatusDone, StatusDiverged, StatusTimeout,
	// StatusFailed or StatusCancelled.
	Status Status
	// Result is the trainer's result JSON object (required for
	// StatusDone, optional otherwise).
	Result []byte
	// Reason explains a non-done status.
	Reason string
}
