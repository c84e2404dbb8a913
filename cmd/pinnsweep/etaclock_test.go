package main

import (
	"context"
	"errors"
	"testing"

	"github.com/pinnsweep/pinnsweep/worker"
)

// outcomeRunner is a worker.Runner that returns a fixed outcome and error.
type outcomeRunner struct {
	out worker.Outcome
	err error
}

func (r outcomeRunner) Run(context.Context, string, func(int64, float64)) (worker.Outcome, error) {
	return r.out, r.err
}

// TestTimedRunnerPassesOutcome: timedRunner hands the worker its runner's
// outcome whole, Checkpoints included, so that `pinnsweep run` removes a
// final trial's checkpoints as `pinnsweep work` does; an error stays an
// error.
func TestTimedRunnerPassesOutcome(t *testing.T) {
	errRun := errors.New("runner error")
	for _, tc := range []struct {
		name string
		out  worker.Outcome
		err  error
	}{
		{"done with checkpoints", worker.Outcome{Status: worker.StatusDone, ResultJSON: `{"rel_l2":0.1}`,
			Checkpoints: worker.CheckpointSet{Dir: "/ckpt/s", Prefix: "k."}}, nil},
		{"failed with a whole directory", worker.Outcome{Status: worker.StatusFailed, Reason: "boom",
			Checkpoints: worker.CheckpointSet{Dir: "/ckpt/s/k"}}, nil},
		{"error", worker.Outcome{Checkpoints: worker.CheckpointSet{Dir: "/ckpt/s", Prefix: "k."}}, errRun},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const params = `{"beta":1}`
			clock := newSweepClock(1, false)
			r := timedRunner{Runner: outcomeRunner{tc.out, tc.err}, clock: clock}
			out, err := r.Run(t.Context(), params, func(int64, float64) {})
			if out != tc.out || !errors.Is(err, tc.err) {
				t.Errorf("got %+v, %v; want %+v, %v", out, err, tc.out, tc.err)
			}
		})
	}
}
