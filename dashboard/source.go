package dashboard

import (
	"context"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// Source is where the dashboard reads sweeps from. A
// *coordinator.Coordinator is one: `pinnsweep serve` and `pinnsweep run`
// hand the dashboard the coordinator of their own process, so it needs
// neither a network round trip nor the API's credentials. An unknown
// sweep gives an error wrapping state.ErrNotFound.
type Source interface {
	// Sweeps returns every sweep's progress.
	Sweeps(ctx context.Context) ([]state.Progress, error)
	// Sweep returns a sweep's record (its axes).
	Sweep(ctx context.Context, name string) (state.SweepRecord, error)
	// Trials returns a sweep's trials with their inputs and results.
	Trials(ctx context.Context, name string) ([]state.TrialRecord, error)
	// Metric returns what the sweep's trials are judged by.
	Metric(ctx context.Context, name string) (verdict.Metric, error)
}
