package service

import (
	"context"
	"errors"
	"slices"

	"github.com/hashicorp/go-hclog"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// sweepList returns every sweep's progress as the API's ListSweeps
// reports it.
func sweepList(ctx context.Context, c *coordinator.Coordinator) ([]*pb.SweepProgress, error) {
	list, err := c.Sweeps(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*pb.SweepProgress, len(list))
	for i, p := range list {
		out[i] = ProgressToProto(p)
	}
	return out, nil
}

// sweepDetail returns the sweep as the API's GetSweep reports it: its
// progress, spec source, axes and failure-boundary brackets, and with includeTrials every trial with
// its result, or only those in the statuses only (when given). An unknown sweep gives state.ErrNotFound.
func sweepDetail(ctx context.Context, c *coordinator.Coordinator, log hclog.Logger, sweep string, includeTrials bool, only []state.Status) (*pb.GetSweepResponse, error) {
	rec, err := c.Sweep(ctx, sweep)
	if err != nil {
		return nil, err
	}
	prog, err := c.Progress(ctx, sweep)
	if err != nil {
		return nil, err
	}
	brackets, err := c.Brackets(ctx, sweep)
	switch {
	case errors.Is(err, state.ErrInvalidSpec): // the progress and trials are still worth answering
		log.Warn("no brackets for sweep", "sweep", sweep, "error", err)
	case err != nil:
		return nil, err
	}
	resp := &pb.GetSweepResponse{
		Progress:   ProgressToProto(prog),
		SpecSource: rec.Source,
		Axes:       rec.Axes,
		Brackets:   make([]*pb.Bracket, len(brackets)),
	}
	for i, b := range brackets {
		resp.Brackets[i] = BracketToProto(b)
	}
	if includeTrials {
		trials, err := c.Trials(ctx, sweep)
		if err != nil {
			return nil, err
		}
		resp.Trials = make([]*pb.Trial, 0, len(trials))
		for i := range trials {
			if len(only) == 0 || slices.Contains(only, trials[i].Status) {
				resp.Trials = append(resp.Trials, TrialToProto(&trials[i]))
			}
		}
	}
	return resp, nil
}
