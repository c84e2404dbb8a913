package worker

import (
	"context"
	"encoding/json"
	"time"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// Status is the final state of one trial run, as reported to the
// coordinator in Complete: one of the statuses of the coordinator's status
// table (package coordinator/state) that a worker may report.
type Status = state.Status

// Trial statuses an Outcome can carry.
const (
	// StatusDone: the trial ran to an end and has a result.
	StatusDone = state.StatusDone
	// StatusDiverged: the loss or gradient became NaN or Inf; the result
	// records where.
	StatusDiverged = state.StatusDiverged
	// StatusTimeout: the lease's wall-time budget ran out.
	StatusTimeout = state.StatusTimeout
	// StatusFailed: the trial could not run (invalid settings, an error or
	// a panic in the runner).
	StatusFailed = state.StatusFailed
	// StatusCancelled: the coordinator told the worker to stop the trial.
	StatusCancelled = state.StatusCancelled
)

// wireStatus maps s to the wire enum through the status table; a status a
// worker may not report maps to FAILED.
func wireStatus(s Status) pb.TrialStatus {
	if !s.Reported() {
		return pb.TrialStatus_TRIAL_STATUS_FAILED
	}
	return pb.TrialStatus(s.Wire())
}

// finished reports whether s is the status of a run that reached its own
// end (done or diverged) rather than being interrupted or failing.
func finished(s Status) bool {
	return s == StatusDone || s == StatusDiverged
}

// Outcome is what a Runner reports for one trial.
type Outcome struct {
	// Status is the trial's final status.
	Status Status
	// ResultJSON is the result document (for done and diverged; optional
	// for the other statuses).
	ResultJSON string
	// Reason explains a status other than done.
	Reason string
	// StderrTail is the end of a command trial's stderr (at most
	// StderrTailBytes, valid UTF-8), for a status other than done.
	StderrTail string
	// Checkpoints is what the runner keeps on disk for later attempts of
	// the trial (its checkpoints, of every attempt); the zero value keeps
	// nothing. The worker removes it once the coordinator has said that
	// the trial is final (CompleteResponse.final), and never otherwise:
	// whether another attempt follows is the coordinator's to decide (a
	// failure is retried while attempts remain), so a runner does not
	// remove it itself.
	Checkpoints CheckpointSet
}

// CheckpointSet describes the files a runner keeps for later attempts of
// one trial, for the worker to remove when the trial is final. It is data,
// not a function, so that what a runner may have removed is plain to see
// and one function of the worker applies the same rules to every runner.
//
// The zero value (Dir empty) describes nothing: there is nothing to
// remove. With Prefix set, the set is the entries of Dir whose names begin
// with Prefix or with "."+Prefix (the temporary files of interrupted
// atomic writes), each removed as os.Remove does (a directory among them
// only if empty), and Dir is removed after them only if that left it
// empty: several trials share it. With Prefix empty, the set is the whole
// of Dir, and Dir's parent is removed after it only if that left it empty.
// Either way nothing outside the set is removed, and symbolic links are
// removed, never followed.
type CheckpointSet struct {
	// Dir is the directory that holds the set (Prefix set) or is the set
	// (Prefix empty).
	Dir string
	// Prefix selects Dir's entries by the start of their names; empty
	// means the whole Dir.
	Prefix string
}

// Runner runs one trial. It is defined here, by its consumer; TrainerRunner
// and NoopRunner implement it.
//
// Run must return soon after ctx is done. The worker cancels ctx when the
// coordinator says stop, when the lease is lost, when the worker shuts down,
// and when the lease's wall-time budget runs out; in the last case
// context.Cause(ctx) is ErrBudgetExceeded. Whatever Run reports for an
// interrupted trial, the worker decides the final status from the cause:
// timeout for the budget, cancelled for a stop, and for a shutdown it
// releases the lease instead of completing it. A run that finished anyway
// (done or diverged) is always delivered.
//
// progress may be called at any rate from any goroutine; the worker sends
// the latest values with the next heartbeat. A non-nil error is reported as
// StatusFailed with the error as reason.
type Runner interface {
	Run(ctx context.Context, paramsJSON string, progress func(evals int64, loss float64)) (Outcome, error)
}

// NoopRunner is a Runner that does no work: it reports every trial done
// after Delay, with a small result document. It measures the dispatch
// overhead of the coordinator and worker (see BenchmarkDispatch).
type NoopRunner struct {
	// Delay is how long each trial takes; zero returns at once.
	Delay time.Duration
}

var _ Runner = NoopRunner{}

// noopResult is the result document of NoopRunner.
type noopResult struct {
	Status string          `json:"status"`
	RelL2  float64         `json:"rel_l2"`
	Evals  int             `json:"evals"`
	Params json.RawMessage `json:"params,omitempty"`
}

// Run implements Runner. The result echoes paramsJSON under "params" when
// it is valid JSON, so a test can check that a result belongs to its trial.
func (r NoopRunner) Run(ctx context.Context, paramsJSON string, progress func(evals int64, loss float64)) (Outcome, error) {
	if r.Delay > 0 {
		t := time.NewTimer(r.Delay)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return Outcome{Status: StatusCancelled, Reason: context.Cause(ctx).Error()}, nil
		case <-t.C:
		}
	}
	progress(1, 0)
	res := noopResult{Status: string(StatusDone), Evals: 1}
	if json.Valid([]byte(paramsJSON)) {
		res.Params = json.RawMessage(paramsJSON)
	}
	b, err := json.Marshal(res)
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Status: StatusDone, ResultJSON: string(b)}, nil
}
