package coordinator

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/pinnsweep/pinnsweep/coordinator/scheduler"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
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
	s       *scheduler.Scheduler
	changes []*state.Change
	undos   []scheduler.Undo
	refined []refinedTrials // trials added by refinement, logged once committed
}

// stage applies ch provisionally and adds it to the batch.
func (b *batch) stage(ch *state.Change) {
	if ch.Empty() {
		return
	}
	b.undos = append(b.undos, b.s.Apply(ch))
	b.changes = append(b.changes, ch)
}

// rollback takes back the changes staged after the first mark, newest
// first.
func (b *batch) rollback(mark int) {
	for i := len(b.undos) - 1; i >= mark; i-- {
		b.s.Revert(b.undos[i])
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
		return state.ErrClosed
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
func (c *Coordinator) mutate(ctx context.Context, f func(now time.Time) (*state.Change, error)) error {
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
				o.err = state.ErrClosed
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
		err := state.ErrClosed
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
	expired := c.sched.Expire(now)
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
	ch := state.Merge(b.changes)
	start := time.Now()
	err := c.safely("commit", func() error { return c.store.Commit(context.Background(), ch) })
	c.commitNanos.Add(int64(time.Since(start)))
	if err != nil {
		b.rollback(0)
		c.log.Error("commit failed; the batch was rolled back", "operations", len(ops), "error", err)
		if errors.Is(err, state.ErrCommitUnknown) {
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
// (err wraps state.ErrCommitUnknown): the file may hold the batch that
// was just rolled back in memory, and bbolt's own view of it already
// does, so no further commit may build on either. Every later operation
// gets err; Failed is closed, so the gRPC server (service.Serve) shuts
// down and returns err, and Watch and Lease return it, so the process
// exits for a supervisor to restart it on the file as the disk has it
// (see "Storage faults" in the package documentation). c.mu is held.
func (c *Coordinator) fail(err error) {
	if c.failure != nil {
		return
	}
	c.failure = err
	close(c.failed)
	c.log.Error("stopping: a commit's outcome is unknown after a failed sync; restart the coordinator, which reads the database afresh", "error", err)
}

// Err returns nil while the coordinator works, and the error that stopped
// it (wrapping state.ErrCommitUnknown) after a commit whose outcome is
// unknown.
func (c *Coordinator) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failure
}

// Failed returns a channel that is closed when a commit's outcome is
// unknown and the coordinator stops (Err returns why). Close it still.
func (c *Coordinator) Failed() <-chan struct{} { return c.failed }

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
func (c *Coordinator) wake(changes []*state.Change) {
	close(c.changed)
	c.changed = make(chan struct{})
	for _, ch := range changes {
		if len(ch.New) > 0 { // new trials are pending
			close(c.work)
			c.work = make(chan struct{})
			return
		}
		for i := range ch.Trials {
			if ch.Trials[i].Status == state.StatusPending {
				close(c.work)
				c.work = make(chan struct{})
				return
			}
		}
	}
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
	// CommitTime is the time spent in state.Store.Commit, failed commits
	// included: for the bbolt store, mostly waiting for fsync.
	CommitTime time.Duration
}

// Stats returns the commit counters.
func (c *Coordinator) Stats() Stats {
	return Stats{Commits: c.commits.Load(), Operations: c.committedOps.Load(), CommitTime: time.Duration(c.commitNanos.Load())}
}
