package coordinator

import (
	"context"
	"fmt"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/sweeps"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// lockQuery locks c.mu for a query, unless ctx is done or the coordinator
// is closed (state.ErrClosed); on success the caller unlocks.
func (c *Coordinator) lockQuery(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return state.ErrClosed
	}
	return nil
}

// Progress returns a sweep's trial counts; state.ErrNotFound for an unknown
// sweep.
func (c *Coordinator) Progress(ctx context.Context, sweep string) (state.Progress, error) {
	if err := c.lockQuery(ctx); err != nil {
		return state.Progress{}, err
	}
	defer c.mu.Unlock()
	return c.sched.Progress(sweep)
}

// Sweeps returns every sweep's progress, in creation order.
func (c *Coordinator) Sweeps(ctx context.Context) ([]state.Progress, error) {
	if err := c.lockQuery(ctx); err != nil {
		return nil, err
	}
	defer c.mu.Unlock()
	return c.sched.List(), nil
}

// Sweep returns a sweep's stored record (spec source, axes, policy).
func (c *Coordinator) Sweep(ctx context.Context, sweep string) (state.SweepRecord, error) {
	if err := c.lockQuery(ctx); err != nil {
		return state.SweepRecord{}, err
	}
	defer c.mu.Unlock()
	rec, ok := c.sched.Sweep(sweep)
	if !ok {
		return state.SweepRecord{}, fmt.Errorf("%w: %q", state.ErrNotFound, sweep)
	}
	return rec, nil
}

// Trials returns a sweep's trials with their results, in index order, read
// from the store in one snapshot.
func (c *Coordinator) Trials(ctx context.Context, sweep string) ([]state.TrialRecord, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return nil, state.ErrClosed
	}
	return c.store.Trials(ctx, sweep)
}

// Watch calls fn with a sweep's progress now and after every change of it,
// until the sweep is finished (it returns nil after reporting that), ctx is
// done (ctx.Err()), the coordinator closes (state.ErrClosed) or stops after
// a commit whose outcome is unknown (Err), or fn fails (its error).
func (c *Coordinator) Watch(ctx context.Context, sweep string, fn func(state.Progress) error) error {
	var last state.Progress
	sent := false
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return state.ErrClosed
		}
		p, err := c.sched.Progress(sweep)
		changed := c.changed
		c.mu.Unlock()
		if err != nil {
			return err
		}
		if !sent || p != last {
			if err := fn(p); err != nil {
				return err
			}
			last, sent = p, true
		}
		if p.Finished {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-c.done:
			return state.ErrClosed
		case <-c.failed:
			return c.Err()
		}
	}
}

// Brackets returns the failure-boundary brackets of a sweep's refined
// axes (see sweeps.Bracket): for each combination of the other axes'
// values, the neighbouring values of the refined axis between which the
// sweep's verdict (verdict.Metric.Judge) changes, and whether the bracket
// has converged. It returns nil for a sweep without refine rules,
// state.ErrNotFound for an unknown sweep, and state.ErrInvalidSpec when
// the stored spec no longer parses (with the current
// Options.SpecOptions.MaxTrials).
func (c *Coordinator) Brackets(ctx context.Context, sweep string) ([]sweeps.Bracket, error) {
	return withSpec(ctx, c, sweep, func(spec *sweeps.Spec) ([]sweeps.Bracket, error) {
		return c.refiner.Brackets(ctx, c.sched, spec, c.store)
	})
}

// Verdicts returns the verdict of every grid point of a sweep as
// refinement judges it (sweeps.Spec.Verdicts), whether or not the sweep
// has refine rules: what the report and the dashboard must agree with.
// Errors as for Brackets.
func (c *Coordinator) Verdicts(ctx context.Context, sweep string) ([]sweeps.PointVerdict, error) {
	return withSpec(ctx, c, sweep, func(spec *sweeps.Spec) ([]sweeps.PointVerdict, error) {
		return c.refiner.Verdicts(ctx, c.sched, spec, c.store)
	})
}

// Metric returns what a sweep's trials are judged by (its spec's
// verdict.Metric). Errors as for Brackets.
func (c *Coordinator) Metric(ctx context.Context, sweep string) (verdict.Metric, error) {
	return withSpec(ctx, c, sweep, func(spec *sweeps.Spec) (verdict.Metric, error) { return spec.VerdictMetric(), nil })
}

// withSpec runs a query of a sweep's committed state that needs its
// parsed spec, with c.mu held.
func withSpec[T any](ctx context.Context, c *Coordinator, sweep string, f func(*sweeps.Spec) (T, error)) (T, error) {
	var zero T
	if err := c.lockQuery(ctx); err != nil {
		return zero, err
	}
	defer c.mu.Unlock()
	spec, err := c.specOf(sweep)
	if err != nil {
		return zero, err
	}
	return f(spec)
}
