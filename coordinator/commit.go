package coordinator

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"
)

// DefaultMaxBatch is the default of Options.MaxBatch: the most operations
// one transaction commits.
const DefaultMaxBatch = 256

// op is one state-changing operation waiting for the commit loop.
type op struct {
	ctx context.Context
	// run computes the operation's changes with the scheduler and stages
	// them in b. It runs in the commit loop with c.mu held. An error
	// refuses the operation: what it staged is taken back.
	run  func(b *batch, now time.Time) error
	err  error         // the operation's outcome, set before done is closed
	done chan struct{} // closed when err is final
}

// batch collects the changes of the operations committed in one
// transaction. Each staged change is applied to the scheduler at once,
// provisionally, so that the next operation of the batch sees it; undos
// holds what rollback needs to take the changes back.
type batch struct {
	s       *scheduler
	changes []*Change
	undos   []undo
	refined []refinedTrials // trials added by refinement, logged once committed
}

// refinedTrials records the trials refinement added to a sweep.
type refinedTrials struct {
	sweep string
	added []TrialRecord
}

// logRefined logs and counts the trials refinement added in a committed
// batch.
func (c *Coordinator) logRefined(refined []refinedTrials) {
	for _, r := range refined {
		c.metrics.refined.Add(float64(len(r.added)))
		c.log.Info("refinement added trials", "sweep", r.sweep, "trials", len(r.added), "first_point", string(r.added[0].Point))
	}
}

// stage applies ch provisionally and adds it to the batch.
func (b *batch) stage(ch *Change) {
	if ch.Empty() {
		return
	}
	b.undos = append(b.undos, b.s.apply(ch))
	b.changes = append(b.changes, ch)
}

// rollback takes back the changes staged after the first mark, newest
// first.
func (b *batch) rollback(mark int) {
	for i := len(b.undos) - 1; i >= mark; i-- {
		b.s.revert(b.undos[i])
	}
	b.undos, b.changes = b.undos[:mark], b.changes[:mark]
}

// do runs one operation through the commit loop and returns its outcome
// once the transaction that holds its changes has been committed (or has
// failed). It waits for the outcome even if ctx is done meanwhile: an
// operation that was staged must not be reported as refused while its
// change may still be committed. ctx is checked when the operation's turn
// comes; if it is done by then, the operation is skipped with ctx.Err().
func (c *Coordinator) do(ctx context.Context, run func(b *batch, now time.Time) error) error {
	o := &op{ctx: ctx, run: run, done: make(chan struct{})}
	c.qmu.Lock()
	if c.qclosed {
		c.qmu.Unlock()
		return ErrClosed
	}
	c.queue = append(c.queue, o)
	c.qmu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default: // the loop has been kicked already
	}
	<-o.done
	return o.err
}

// mutate runs an operation that computes a single change.
func (c *Coordinator) mutate(ctx context.Context, f func(now time.Time) (*Change, error)) error {
	return c.do(ctx, func(b *batch, now time.Time) error {
		ch, err := f(now)
		if err != nil {
			return err
		}
		b.stage(ch)
		return nil
	})
}

// commitLoop is the only goroutine that changes the scheduler after Open.
// It takes the queued operations, up to Options.MaxBatch at a time, and
// runs them as one batch: one transaction, one fsync. Operations that
// arrive while a batch commits queue up for the next one, so the batch
// size adapts to the load (group commit).
func (c *Coordinator) commitLoop() {
	defer close(c.loopDone)
	for {
		select {
		case <-c.kick:
		case <-c.done:
			c.qmu.Lock()
			c.qclosed = true
			rest := c.queue
			c.queue = nil
			c.qmu.Unlock()
			for _, o := range rest {
				o.err = ErrClosed
				close(o.done)
			}
			return
		}
		for {
			c.qmu.Lock()
			n := min(len(c.queue), c.opts.MaxBatch)
			ops := c.queue[:n:n]
			c.queue = c.queue[n:]
			if len(c.queue) == 0 {
				c.queue = nil // let the backing array go
			}
			c.qmu.Unlock()
			if n == 0 {
				break
			}
			c.runBatch(ops)
		}
	}
}

// runBatch stages ops in order, commits their changes in one transaction
// and then answers them. If the commit fails, the batch is rolled back and
// every operation in it gets the error, whether it staged a change or not
// (its answer may rest on a change of an earlier operation of the batch).
func (c *Coordinator) runBatch(ops []*op) {
	defer func() {
		for _, o := range ops {
			close(o.done)
		}
	}()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.failure != nil {
		err := ErrClosed
		if c.failure != nil {
			err = c.failure
		}
		for _, o := range ops {
			o.err = err
		}
		return
	}
	now := c.now()
	b := &batch{s: c.sched}
	// Expire overdue leases first, so that no operation sees a lease that
	// is past its expiry.
	expired := c.sched.expire(now)
	b.stage(expired)
	for _, o := range ops {
		if err := o.ctx.Err(); err != nil {
			o.err = err
			continue
		}
		mark, rmark := len(b.undos), len(b.refined)
		if err := c.safely("operation", func() error { return o.run(b, now) }); err != nil {
			b.rollback(mark)
			b.refined = b.refined[:rmark]
			o.err = err
		}
	}
	if len(b.changes) == 0 {
		return
	}
	ch := mergeChanges(b.changes)
	start := time.Now()
	err := c.safely("commit", func() error { return c.store.Commit(context.Background(), ch) })
	c.commitNanos.Add(int64(time.Since(start)))
	if err != nil {
		b.rollback(0)
		c.log.Error("commit failed; the batch was rolled back", "operations", len(ops), "error", err)
		if errors.Is(err, ErrCommitUnknown) {
			c.fail(err)
		}
		if expired != nil {
			err = fmt.Errorf("expire leases: %w", err)
		}
		for _, o := range ops {
			o.err = err
		}
		return
	}
	c.commits.Add(1)
	c.committedOps.Add(uint64(len(ops)))
	c.wake(b.changes)
	c.logRefined(b.refined)
	if expired != nil {
		c.metrics.expired.Add(float64(len(expired.Trials)))
		for _, t := range expired.Trials {
			c.log.Warn("lease expired", "trial", t.ID(), "worker", t.Worker, "token", t.Token,
				"attempts", t.Attempts, "status", t.Status, "reason", t.Reason)
		}
	}
}

// fail stops the coordinator after a commit whose outcome is unknown
// (err wraps ErrCommitUnknown): the file may hold the batch that was just
// rolled back in memory, and bbolt's own view of it already does, so no
// further commit may build on either. Every later operation gets err;
// Serve shuts down and returns it, and Watch and Lease return it, so the
// process exits for a supervisor to restart it on the file as the disk
// has it (see "Storage faults" in the package documentation). c.mu is
// held.
func (c *Coordinator) fail(err error) {
	if c.failure != nil {
		return
	}
	c.failure = err
	close(c.failed)
	c.log.Error("stopping: a commit's outcome is unknown after a failed sync; restart the coordinator, which reads the database afresh", "error", err)
}

// Err returns nil while the coordinator works, and the error that stopped
// it (wrapping ErrCommitUnknown) after a commit whose outcome is unknown.
func (c *Coordinator) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failure
}

// safely calls f, turning a panic (a bug, or bbolt's reaction to a damaged
// page) into an error, as the gRPC interceptor does for handlers, so that
// the commit loop survives it and the batch is rolled back.
func (c *Coordinator) safely(what string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("panic in the commit loop", "in", what, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("internal error: panic in %s: %v", what, r)
		}
	}()
	return f()
}

// wake tells watchers that state changed, and long-polling Lease calls if
// trials became pending. c.mu is held.
func (c *Coordinator) wake(changes []*Change) {
	close(c.changed)
	c.changed = make(chan struct{})
	for _, ch := range changes {
		if len(ch.New) > 0 {
			close(c.work)
			c.work = make(chan struct{})
			return
		}
		for i := range ch.Trials {
			if ch.Trials[i].Status == StatusPending {
				close(c.work)
				c.work = make(chan struct{})
				return
			}
		}
	}
}

// mergeChanges returns one change equivalent to committing changes in
// order: every record is put as the last change that puts it has it (puts
// of different keys commute), and the token counter takes the last value
// set. The new trials of New runs are put before Trials, which is the
// order of the changes: a trial is created (New) before any change
// updates it. Records that several changes put (a lease expired and leased again
// in the same batch) appear once, so that a store may put a change's
// records in any order.
func mergeChanges(changes []*Change) *Change {
	if len(changes) == 1 {
		return changes[0]
	}
	out := &Change{}
	sweepAt := map[string]int{}
	trialAt := map[trialRef]int{}
	resultAt := map[trialRef]int{}
	for _, ch := range changes {
		if ch.NextToken != 0 {
			out.NextToken = ch.NextToken
		}
		for _, s := range ch.Sweeps {
			if i, ok := sweepAt[s.Name]; ok {
				out.Sweeps[i] = s
				continue
			}
			sweepAt[s.Name] = len(out.Sweeps)
			out.Sweeps = append(out.Sweeps, s)
		}
		for _, t := range ch.Trials {
			ref := trialRef{t.Sweep, t.Key}
			if i, ok := trialAt[ref]; ok {
				if t.Params == nil && t.Point == nil {
					// Created by an earlier change of the batch (a refined
					// trial leased at once): keep the inputs it came with.
					t.Params, t.Point = out.Trials[i].Params, out.Trials[i].Point
				}
				out.Trials[i] = t
				continue
			}
			trialAt[ref] = len(out.Trials)
			out.Trials = append(out.Trials, t)
		}
		out.New = append(out.New, ch.New...)
		for _, r := range ch.Results {
			ref := trialRef{r.Sweep, r.Key}
			if i, ok := resultAt[ref]; ok {
				out.Results[i] = r
				continue
			}
			resultAt[ref] = len(out.Results)
			out.Results = append(out.Results, r)
		}
	}
	return out
}

// Stats counts the coordinator's commits since Open.
type Stats struct {
	// Commits is the number of transactions committed by operations
	// (restoring is not counted).
	Commits uint64
	// Operations is the number of operations those transactions carried,
	// including those that changed nothing themselves; Operations/Commits
	// is the mean batch size.
	Operations uint64
	// CommitTime is the time spent in Store.Commit, failed commits
	// included: for the bbolt store, mostly waiting for fsync.
	CommitTime time.Duration
}

// Stats returns the commit counters.
func (c *Coordinator) Stats() Stats {
	return Stats{Commits: c.commits.Load(), Operations: c.committedOps.Load(), CommitTime: time.Duration(c.commitNanos.Load())}
}
