package coordinator

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/sweeps"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// Submit parses a spec source with Options.SpecOptions and submits it
// (SubmitSpec). An invalid spec gives state.ErrInvalidSpec.
func (c *Coordinator) Submit(ctx context.Context, filename string, source []byte) (state.SubmitResult, error) {
	spec, err := sweeps.Parse(filename, source, c.opts.SpecOptions)
	if err != nil {
		return state.SubmitResult{}, fmt.Errorf("%w: %w", state.ErrInvalidSpec, err)
	}
	return c.SubmitSpec(ctx, spec)
}

// SubmitSpec stores a parsed spec, which must come from sweeps.Parse with
// Options.SpecOptions (its File is the name it is stored under): a new
// name creates the sweep with all its trials pending; an existing name
// must pass the stored spec's compatibility check (state.ErrIncompatible
// otherwise, saying what changed) and adds only the trials whose keys are
// new. The grid is not expanded: the store computes each new trial as it
// writes it. The spec is parsed once per request: the engine keeps it for
// refinement, growth checks and the sweep's metric.
func (c *Coordinator) SubmitSpec(ctx context.Context, spec *sweeps.Spec) (state.SubmitResult, error) {
	grid, err := spec.Grid()
	if err != nil {
		return state.SubmitResult{}, fmt.Errorf("%w: %w", state.ErrInvalidSpec, err)
	}
	rec := sweepRecord(spec)
	var res state.SubmitResult
	err = c.do(ctx, func(b *batch, now time.Time) error {
		if old, ok := c.sched.Sweep(rec.Name); ok {
			if err := c.checkGrowth(old, spec); err != nil {
				return err
			}
		}
		ch, r, err := c.sched.Submit(now, rec, grid)
		if err != nil {
			return err
		}
		res = r
		b.stage(ch)
		c.specs.put(spec)
		// A growth may add seeds that refined points lack, or refine rules.
		c.refineLogged(b, now, res.Sweep)
		return nil
	})
	if err != nil {
		return state.SubmitResult{}, err
	}
	if res.Added >= freeAfterRestore {
		// The submission's garbage (the transactions' pages and nodes,
		// the keys it built) is several times the state it added; give
		// it back to the OS now (BENCHMARKS.md, "A 1,000,000-trial sweep").
		debug.FreeOSMemory()
	}
	c.log.Info("sweep submitted", "sweep", res.Sweep, "created", res.Created, "total", res.Total, "added", res.Added)
	return res, nil
}

// Lease returns the next trial for worker, waiting up to min(wait,
// Options.MaxLeaseWait) for one to become pending. It returns nil (and no
// error) when none did. Sweeps with pending work are served round-robin;
// if sweeps are given, only trials of those sweeps are leased (an unknown
// name matches nothing). A lease granted after ctx was cancelled is
// released again, so a worker that went away does not cost the trial an
// attempt. It is LeaseOffer for a CPU slot of a worker that runs no
// commands.
func (c *Coordinator) Lease(ctx context.Context, worker string, wait time.Duration, sweeps ...string) (*state.Grant, error) {
	return c.LeaseOffer(ctx, worker, wait, state.Offer{Sweeps: sweeps})
}

// LeaseOffer is Lease for a request that offers GPUs or runs commands:
// only trials whose sweep's needs the offer fits are leased (see package
// scheduler, "Scheduling by resources"). A grant of a command sweep's
// trial carries the command (state.Grant.Command), and every grant the
// GPUs its trial needs.
func (c *Coordinator) LeaseOffer(ctx context.Context, worker string, wait time.Duration, offer state.Offer) (*state.Grant, error) {
	if err := checkWorker(worker); err != nil {
		return nil, err
	}
	if offer.GPUs < 0 || offer.GPUs > state.MaxGPUs {
		return nil, fmt.Errorf("%w: %d GPUs offered; want 0 to %d", state.ErrInvalidArgument, offer.GPUs, state.MaxGPUs)
	}
	return c.lease(ctx, worker, wait, offer, nil)
}

// lease implements LeaseOffer; a closed stop ends the wait like the timer.
func (c *Coordinator) lease(ctx context.Context, worker string, wait time.Duration, offer state.Offer, stop <-chan struct{}) (*state.Grant, error) {
	wait = min(max(wait, 0), c.opts.MaxLeaseWait)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	start := time.Now()
	c.metrics.saw(worker, c.now())
	defer func() { c.metrics.saw(worker, c.now()) }() // a long poll keeps the worker connected
	for {
		var g *state.Grant
		var work chan struct{}
		err := c.mutate(ctx, func(now time.Time) (*state.Change, error) {
			var ch *state.Change
			ch, g = c.sched.LeaseOffer(now, worker, offer)
			work = c.work
			if err := c.describe(g); err != nil {
				g = nil
				return nil, err
			}
			return ch, nil
		})
		if err != nil {
			return nil, err
		}
		if g != nil {
			if ctx.Err() != nil {
				c.releaseDeparted(ctx, g)
				return nil, ctx.Err()
			}
			if err := c.readInputs(ctx, g); err != nil {
				return nil, err
			}
			c.log.Debug("leased", "trial", g.Trial.ID(), "worker", worker, "token", g.Token, "attempt", g.Trial.Attempts)
			c.metrics.leaseCall.WithLabelValues("granted").Observe(time.Since(start).Seconds())
			c.metrics.granted(g, c.now())
			return g, nil
		}
		select {
		case <-work:
		case <-timer.C:
			c.metrics.leaseCall.WithLabelValues("empty").Observe(time.Since(start).Seconds())
			return nil, nil
		case <-stop:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.done:
			return nil, state.ErrClosed
		case <-c.failed:
			return nil, c.Err()
		}
	}
}

// readInputs sets a grant's params and point, which the scheduler does
// not keep, from the store (the trial was committed before it was
// leased). If that fails, the lease is released again.
func (c *Coordinator) readInputs(ctx context.Context, g *state.Grant) error {
	t, err := c.store.Trial(ctx, g.Trial.Sweep, g.Trial.Key)
	if err != nil {
		c.releaseDeparted(ctx, g)
		return fmt.Errorf("lease of trial %s: %w", g.Trial.ID(), err)
	}
	g.Trial.Params, g.Trial.Point = t.Params, t.Point
	return nil
}

// releaseDeparted releases a lease granted to a caller whose ctx ended
// while the grant was being committed.
func (c *Coordinator) releaseDeparted(ctx context.Context, g *state.Grant) {
	err := c.Release(context.WithoutCancel(ctx), g.Claim())
	c.log.Debug("released lease of a departed worker", "trial", g.Trial.ID(), "error", err)
}

// checkWorker refuses an empty worker id with state.ErrInvalidArgument.
// Every lease is granted to a named worker and claimed by it: without
// this check an empty id would reach the scheduler's holder check and be
// refused as another worker's claim (state.ErrNotHolder), telling a
// caller whose request lacks a field that it is not allowed.
func checkWorker(worker string) error {
	if worker == "" {
		return fmt.Errorf("%w: worker_id is required", state.ErrInvalidArgument)
	}
	return nil
}

// Heartbeat extends the lease claim names by the TTL. It reports Stop
// (without an error) when the lease is no longer valid or the sweep was
// cancelled; an unknown lease gives state.ErrLeaseNotFound, a claim
// without a worker state.ErrInvalidArgument, and a caller that does not
// hold the lease (claim's worker and secret) state.ErrNotHolder.
func (c *Coordinator) Heartbeat(ctx context.Context, claim state.LeaseClaim) (state.Beat, error) {
	if err := checkWorker(claim.Worker); err != nil {
		return state.Beat{}, err
	}
	var beat state.Beat
	err := c.mutate(ctx, func(now time.Time) (*state.Change, error) {
		ch, b, err := c.sched.Heartbeat(now, claim)
		beat = b
		return ch, err
	})
	if err != nil {
		return state.Beat{}, err
	}
	c.metrics.saw(claim.Worker, c.now())
	return beat, nil
}

// Complete records a lease's outcome (see the package documentation for
// the rules). Its Ack says whether the trial's status is now final (no
// attempt follows), and is a duplicate for a repeat of the Complete that
// ended the lease. A stale token gives state.ErrStaleToken, a completion
// without a worker state.ErrInvalidArgument, a caller that does not hold
// the lease (comp's worker and secret) state.ErrNotHolder, an expired or
// released lease state.ErrLeaseExpired or state.ErrLeaseReleased, and
// none changes anything. comp.Value is ignored: the engine reads the
// sweep's metric from the result.
func (c *Coordinator) Complete(ctx context.Context, comp state.Completion) (state.Ack, error) {
	ack, _, err := c.complete(ctx, comp, false, state.Offer{})
	return ack, err
}

// NextLease asks CompleteAndLease for the worker's next trial.
type NextLease struct {
	// Sweeps restricts the trials leased, as Lease's sweeps do (empty:
	// any).
	Sweeps []string
	// GPUs and Commands are what the worker's slot offers, as in
	// state.Offer (zero: a CPU slot of a worker that runs no commands).
	GPUs     int
	Commands bool
	// Wait is how long to wait for a trial when none is pending once the
	// completion is committed, as Lease waits (zero: do not wait).
	Wait time.Duration
	// Stop, when closed, ends that wait with no trial (a server shutting
	// down); nil never does.
	Stop <-chan struct{}
}

// CompleteAndLease records comp like Complete and, if a trial is pending
// (of one of next.Sweeps, if given), leases it to comp.Worker in the same
// transaction, saving the worker a Lease call and the coordinator a
// commit. If none is pending, it waits up to next.Wait for one, as Lease
// does (the completion is committed by then, so a failure of the wait
// only costs the worker a Lease call: it is logged, and no trial is
// returned). A nil grant means none came; the worker should call Lease.
// The grant is made even for a duplicate completion (the worker is free
// either way); a refused completion leases nothing. A grant made after
// ctx was cancelled is released again and not returned.
func (c *Coordinator) CompleteAndLease(ctx context.Context, comp state.Completion, next NextLease) (ack state.Ack, g *state.Grant, err error) {
	offer := state.Offer{Sweeps: next.Sweeps, GPUs: next.GPUs, Commands: next.Commands}
	ack, g, err = c.complete(ctx, comp, true, offer)
	if err != nil {
		return state.Ack{}, nil, err
	}
	if g != nil && ctx.Err() != nil {
		c.releaseDeparted(ctx, g)
		g = nil
	}
	if g != nil {
		if err := c.readInputs(ctx, g); err != nil {
			c.log.Error("next trial not granted", "trial", g.Trial.ID(), "error", err)
			return ack, nil, nil // the completion stands; the worker asks again
		}
		c.log.Debug("leased", "trial", g.Trial.ID(), "worker", comp.Worker, "token", g.Token, "attempt", g.Trial.Attempts)
		c.metrics.granted(g, c.now())
		return ack, g, nil
	}
	if next.Wait > 0 {
		// Nothing was pending: long-poll as Lease would.
		g, err = c.lease(ctx, comp.Worker, next.Wait, offer, next.Stop)
		if err != nil {
			c.log.Debug("lease after completion failed", "worker", comp.Worker, "error", err)
			return ack, nil, nil
		}
	}
	return ack, g, nil
}

// complete implements Complete and CompleteAndLease. The result is
// decoded once, here, before the operation queues for the commit loop,
// and a failure class the worker put in it (verdict.ClassField) is taken
// out here too (verdict.WithoutClass re-encodes the result then); the
// loop only reads the sweep's metric from the decoded fields and inserts
// its own class into the bare result (verdict.WithClass).
func (c *Coordinator) complete(ctx context.Context, comp state.Completion, leaseNext bool, offer state.Offer) (ack state.Ack, next *state.Grant, err error) {
	if err := checkWorker(comp.Worker); err != nil {
		return ack, nil, err
	}
	fields, err := verdict.Fields(comp.Result)
	var bare []byte
	var bareFields map[string]json.RawMessage
	if err == nil {
		bare, bareFields, err = verdict.WithoutClass(comp.Result, fields)
	}
	if err != nil {
		err = fmt.Errorf("%w: %w", state.ErrInvalidArgument, err)
		c.metrics.saw(comp.Worker, c.now())
		c.refused(comp, err)
		return ack, nil, err
	}
	var after state.TrialRecord
	sent := comp.Result
	err = c.do(ctx, func(b *batch, now time.Time) error {
		comp.Value, comp.Result = nil, sent
		if sweep, _, _, ok := state.ParseLeaseID(comp.LeaseID); ok && fields != nil {
			m := c.metricOf(sweep)
			if v, ok := m.Value(fields); ok {
				comp.Value = &v
			}
			// The result is stored with its failure class, judged by the
			// sweep's metric (readers classify again by theirs). The
			// class is judged from the fields as sent, since a failing
			// trial's own diagnosis in them stands (FailureClass), but
			// the worker's class field itself is never stored.
			withClass, err := verdict.WithClass(bare, bareFields, m.FailureClass(comp.Status, fields))
			if err != nil {
				return fmt.Errorf("%w: %w", state.ErrInvalidArgument, err)
			}
			comp.Result = withClass
		}
		ch, a, err := c.sched.Complete(now, comp)
		if err != nil {
			return err
		}
		ack = a
		if ch != nil {
			after = ch.Trials[0]
		}
		b.stage(ch)
		if ch != nil && ack.Final {
			// Refined trials are added in the completion's transaction, so
			// that the worker's next lease may take one of them.
			c.refineLogged(b, now, after.Sweep)
		}
		if leaseNext {
			var lch *state.Change
			lch, next = c.sched.LeaseOffer(now, comp.Worker, offer)
			if err := c.describe(next); err != nil {
				// The completion stands; the worker asks again.
				c.log.Error("next trial not granted", "trial", next.Trial.ID(), "error", err)
				next, lch = nil, nil
			}
			b.stage(lch)
		}
		return nil
	})
	c.metrics.saw(comp.Worker, c.now())
	if err != nil {
		c.refused(comp, err)
		return state.Ack{}, nil, err
	}
	if ack.Duplicate {
		c.log.Debug("duplicate completion", "lease", comp.LeaseID, "worker", comp.Worker)
		c.metrics.duplicates.Inc()
	} else {
		c.metrics.completions.WithLabelValues(string(comp.Status)).Inc()
		c.log.Info("trial completed", "trial", after.ID(), "reported", comp.Status, "status", after.Status,
			"worker", comp.Worker, "attempt", after.Attempts, "reason", after.Reason)
	}
	return ack, next, nil
}

// refused logs and counts a refused completion.
func (c *Coordinator) refused(comp state.Completion, err error) {
	c.log.Info("completion refused", "lease", comp.LeaseID, "token", comp.Token, "worker", comp.Worker, "error", err)
	c.metrics.refused.Inc()
}

// Release hands the lease claim names back without a result: the trial is
// requeued at once without counting the attempt. Releasing a lease that
// already ended is a no-op; a stale token gives state.ErrStaleToken, a
// claim without a worker state.ErrInvalidArgument, and a caller that does
// not hold the lease state.ErrNotHolder.
func (c *Coordinator) Release(ctx context.Context, claim state.LeaseClaim) error {
	if err := checkWorker(claim.Worker); err != nil {
		return err
	}
	err := c.mutate(ctx, func(now time.Time) (*state.Change, error) {
		return c.sched.Release(now, claim)
	})
	if err == nil {
		c.log.Debug("lease released", "lease", claim.LeaseID)
	}
	return err
}

// ReleaseOrphans releases every active lease, in one transaction, and
// returns their number. Call it when the database is known to be this
// process's alone (`pinnsweep run` holds its file lock), so that leases
// still active in it belong to workers that are gone: their trials are
// requeued at once, without costing an attempt, rather than after their
// TTL.
func (c *Coordinator) ReleaseOrphans(ctx context.Context) (int, error) {
	var n int
	err := c.mutate(ctx, func(now time.Time) (*state.Change, error) {
		var ch *state.Change
		ch, n = c.sched.ReleaseAll(now)
		return ch, nil
	})
	if err != nil {
		return 0, err
	}
	if n > 0 {
		c.log.Info("released orphaned leases", "trials", n)
	}
	return n, nil
}

// Cancel cancels a sweep: its pending trials become cancelled at once and
// its running trials are told to stop at their next heartbeat. It returns
// the number of trials affected; state.ErrNotFound for an unknown sweep.
func (c *Coordinator) Cancel(ctx context.Context, sweep string) (int, error) {
	var n int
	err := c.mutate(ctx, func(now time.Time) (*state.Change, error) {
		ch, k, err := c.sched.Cancel(now, sweep)
		n = k
		return ch, err
	})
	if err != nil {
		return 0, err
	}
	c.log.Info("sweep cancelled", "sweep", sweep, "trials", n)
	return n, nil
}

// RequeueFailed puts a sweep's failed, timed-out and cancelled trials back
// into the queue with a fresh attempt budget and returns their number.
func (c *Coordinator) RequeueFailed(ctx context.Context, sweep string) (int, error) {
	var n int
	err := c.do(ctx, func(b *batch, now time.Time) error {
		ch, k, err := c.sched.RequeueFailed(now, sweep)
		if err != nil {
			return err
		}
		n = k
		b.stage(ch)
		// Refinement a cancellation held back may go on.
		c.refineLogged(b, now, sweep)
		return nil
	})
	if err != nil {
		return 0, err
	}
	c.log.Info("failed trials requeued", "sweep", sweep, "trials", n)
	return n, nil
}
