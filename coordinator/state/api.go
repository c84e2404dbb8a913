package state

import "time"

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
	// Trial is the leased trial (status running), with its params and
	// point once the engine has read them.
	Trial TrialRecord
	// LeaseID identifies the lease in Heartbeat, Complete and Release.
	LeaseID string
	// Token is the lease's fencing token.
	Token uint64
	// Secret is the lease's secret, which only the worker learns.
	Secret LeaseSecret
	// TTL is how long the lease lives without a heartbeat.
	TTL time.Duration
	// BudgetSeconds is the trial's wall-time budget (0: none).
	BudgetSeconds float64
	// Enqueued is when the trial last became pending (its record's
	// Updated time before the lease), for the queue-wait metric.
	Enqueued time.Time
	// GPUs is the number of GPUs the trial needs (its sweep's
	// Needs.GPUs), at most what the request offered.
	GPUs int
	// Command is set for a trial of a sweep with a command runner: the
	// program the worker runs instead of the built-in trainer. The engine
	// fills it from the sweep's spec.
	Command *Command
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
	// LeaseClaim is the reporting worker's claim on the lease: its id,
	// fencing token and secret, and the worker, which must be the
	// lease's holder.
	LeaseClaim
	// Status is the outcome: StatusDone, StatusDiverged, StatusTimeout,
	// StatusFailed or StatusCancelled (Status.Reported).
	Status Status
	// Result is the trainer's result JSON object (required for
	// StatusDone, optional otherwise), stored as sent.
	Result []byte
	// Value is the sweep's metric in Result, or nil: the engine decodes
	// the result once, before the completion reaches the scheduler, and
	// reads the metric from it (verdict.Metric.Value).
	Value *float64
	// Reason explains a non-done status.
	Reason string
	// StderrTail is the end of a command trial's standard error (at most
	// MaxStderrTail bytes), stored with the attempt; "" for none.
	StderrTail string
}

// Ack is the coordinator's answer to an accepted completion.
type Ack struct {
	// Duplicate is true when the lease had already completed: the
	// completion repeated the one that ended it and changed nothing.
	Duplicate bool
	// Final is true when the trial's status is final (Status.Final)
	// after the completion, or, for a duplicate, now: no other attempt of
	// it follows unless it is requeued (RequeueFailed). It is false when
	// the completion queued the trial again for another attempt. Workers
	// keep a trial's checkpoints until a completion says final.
	Final bool
}

// Claim returns what the grant's worker presents for its lease.
func (g *Grant) Claim() LeaseClaim {
	return LeaseClaim{LeaseID: g.LeaseID, Token: g.Token, Worker: g.Trial.Worker, Secret: g.Secret}
}
