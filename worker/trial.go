package worker

import (
	"context"
	"time"
)

// Trial identifies the leased trial that a Runner runs. The worker puts
// it in the context it passes to Runner.Run (TrialFromContext), together
// with the trial's logger (hclog.FromContext), so a runner can name what
// it keeps for the trial, such as TrainerRunner's checkpoints.
type Trial struct {
	// Sweep and Key name the trial: the key is the same for every attempt.
	Sweep, Key string
	// Attempt is the coordinator's attempt count, this lease included.
	Attempt int
	// Token is the lease's fencing token, unique to this attempt.
	Token uint64
	// Budget is the lease's wall-time budget (0: none). The worker
	// enforces it on the context; a runner that resumes earlier work may
	// count that work's time against it.
	Budget time.Duration
}

type trialKey struct{}

// withTrial returns ctx carrying t.
func withTrial(ctx context.Context, t Trial) context.Context {
	return context.WithValue(ctx, trialKey{}, t)
}

// TrialFromContext returns the trial of a context the worker passed to
// Runner.Run; ok is false for any other context.
func TrialFromContext(ctx context.Context) (t Trial, ok bool) {
	t, ok = ctx.Value(trialKey{}).(Trial)
	return t, ok
}
