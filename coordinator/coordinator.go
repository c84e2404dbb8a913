package coordinator

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pinnsweep/pinnsweep/sweeps"
)

// Defaults of Options.
const (
	// DefaultLeaseTTL is a lease's time to live without a heartbeat.
	DefaultLeaseTTL = 30 * time.Second
	// DefaultMaxLeaseWait caps how long a Lease call waits for work.
	DefaultMaxLeaseWait = 30 * time.Second
	// DefaultShutdownTimeout bounds Serve's graceful stop.
	DefaultShutdownTimeout = 10 * time.Second
)

// Options configures Open. Only Path (or Store) is required; every other
// zero value selects the documented default.
type Options struct {
	// Path is the bbolt database file, created if missing. It is ignored
	// when Store is set and required otherwise.
	Path string
	// LeaseTTL is how long a lease lives without a heartbeat; zero means
	// DefaultLeaseTTL (30s). Workers are told it and should heartbeat
	// about three times per TTL.
	LeaseTTL time.Duration
	// MaxLeaseWait caps the long-poll wait of Lease; zero means
	// DefaultMaxLeaseWait (30s).
	MaxLeaseWait time.Duration
	// Logger is the root logger; the coordinator logs through its
	// Named("scheduler"), Named("store") and Named("grpc") children. Nil
	// discards log output.
	Logger hclog.Logger
	// SpecOptions are passed to sweeps.Parse for every submitted spec
	// (typically Validate wired to the trainer's settings). The zero value
	// accepts every setting.
	SpecOptions sweeps.Options
	// Now is the clock; nil means time.Now. Lease expiries are wall-clock
	// times, so a fake clock must return plausible wall times.
	Now func() time.Time
	// Store, if not nil, is used instead of opening Path: an in-memory
	// store (NewMemoryStore) for tests or for runs that need no
	// durability. The coordinator owns it and closes it in Close.
	Store Store
	// LockTimeout bounds the wait for the database file's lock; zero means
	// DefaultLockTimeout (1s). A file held by another coordinator gives
	// ErrLocked.
	LockTimeout time.Duration
	// ShutdownTimeout bounds Serve's graceful stop after its context is
	// done, after which remaining RPCs are cut; zero means
	// DefaultShutdownTimeout (10s).
	ShutdownTimeout time.Duration
	// MaxBatch caps the number of operations committed in one
	// transaction. Operations that arrive while a transaction commits are
	// committed together in the next one, with one fsync (group commit);
	// each is answered only after that commit succeeded. Zero means
	// DefaultMaxBatch (256); 1 commits every operation in a transaction
	// of its own.
	MaxBatch int
}

// Coordinator owns a sweep database and schedules its trials. It serves
// the gRPC API (Serve) and offers the same operations in-process. All
// methods are safe for concurrent use.
//
// Every state change is computed by the deterministic scheduler and
// committed to the store, together with the changes that arrived with it,
// in one transaction; it is acknowledged, and visible to queries, only
// after that commit succeeded. A failed commit changes nothing.
type Coordinator struct {
	opts     Options
	log      hclog.Logger // scheduler events
	rpcLog   hclog.Logger
	store    Store
	specOpts sweeps.Options

	// mu guards the scheduler and what follows. The commit loop holds it
	// while it stages, commits and (on failure) rolls back a batch, so
	// queries never see uncommitted changes.
	mu      sync.Mutex
	sched   *scheduler
	refine  *refiner
	metrics *metrics
	changed chan struct{} // closed (and replaced) whenever a change is committed
	work    chan struct{} // closed (and replaced) when a change makes trials pending
	closed  bool
	done    chan struct{} // closed by Close
	failure error         // a commit's outcome is unknown (wraps ErrCommitUnknown): see fail
	failed  chan struct{} // closed when failure is set
	reaper  sync.WaitGroup
	serving bool

	// qmu guards the queue of operations waiting for the commit loop.
	qmu      sync.Mutex
	queue    []*op
	qclosed  bool
	kick     chan struct{} // (buffer 1) wakes the commit loop
	loopDone chan struct{} // closed when the commit loop has ended

	commits, committedOps atomic.Uint64
	commitNanos           atomic.Int64
}

// Open opens the database (or opts.Store), restores every sweep, trial
// and lease from it, and starts the lease reaper. Leases that were active
// when the coordinator stopped are honoured until their stored expiry;
// those whose expiry passed while it was down get one more TTL from now,
// so that their workers can heartbeat back in.
func Open(opts Options) (*Coordinator, error) {
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	if opts.MaxLeaseWait <= 0 {
		opts.MaxLeaseWait = DefaultMaxLeaseWait
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	store := opts.Store
	if store == nil {
		if opts.Path == "" {
			return nil, errors.New("coordinator: Options.Path is required")
		}
		bs, err := OpenBoltStore(opts.Path, BoltOptions{
			LockTimeout: opts.LockTimeout,
			Logger:      opts.Logger.Named("store"),
		})
		if err != nil {
			return nil, err
		}
		store = bs
	}
	c := &Coordinator{
		opts:     opts,
		log:      opts.Logger.Named("scheduler"),
		rpcLog:   opts.Logger.Named("grpc"),
		store:    store,
		specOpts: opts.SpecOptions,
		refine:   newRefiner(opts.SpecOptions),
		changed:  make(chan struct{}),
		work:     make(chan struct{}),
		done:     make(chan struct{}),
		failed:   make(chan struct{}),
		kick:     make(chan struct{}, 1),
		loopDone: make(chan struct{}),
	}
	c.metrics = newMetrics(c)
	if err := c.restore(); err != nil {
		_ = store.Close()
		return nil, err
	}
	go c.commitLoop()
	c.reaper.Add(1)
	go c.reap()
	return c, nil
}

// restore loads the store's state into a new scheduler, gives leases that
// expired while the coordinator was down one more TTL, and adds the trials
// that refinement calls for but that are missing (a crash, or a change of
// the refine rules, may have kept them from being added), in one commit.
func (c *Coordinator) restore() error {
	ctx := context.Background()
	l := newLoader(c.opts.LeaseTTL)
	st, err := c.store.Scan(ctx, l.add)
	if err != nil {
		return err
	}
	ntrials := 0
	for _, n := range l.sweeps {
		ntrials += len(n.keys)
	}
	sched, err := l.finish(st)
	if err != nil {
		return err
	}
	c.sched = sched
	now := c.now()
	b := &batch{s: sched}
	b.stage(sched.restoreGrace(now))
	c.refineAll(b, now)
	if len(b.changes) > 0 {
		if err := c.store.Commit(ctx, mergeChanges(b.changes)); err != nil {
			return fmt.Errorf("restore leases and refinement: %w", err)
		}
		c.logRefined(b.refined)
	}
	if ntrials >= freeAfterRestore {
		// The scan's garbage (its records, and the per-sweep arrays the
		// loader sorted into place) is about the size of the restored
		// state; give it back to the OS now rather than keep it as heap
		// headroom (BENCHMARKS.md, "A 1,000,000-trial sweep").
		debug.FreeOSMemory()
	}
	c.log.Info("restored state", "sweeps", len(st.Sweeps), "trials", ntrials,
		"active_leases", len(sched.running), "next_token", sched.nextToken)
	return nil
}

func (c *Coordinator) now() time.Time { return c.opts.Now().UTC() }

// freeAfterRestore is the number of restored (or submitted) trials from
// which a restore (or submission) returns the memory it freed to the OS.
const freeAfterRestore = 100_000

// Close stops the coordinator and closes its database. Pending Lease and
// Watch calls return ErrClosed. Call it after Serve has returned.
func (c *Coordinator) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	close(c.done)
	c.mu.Unlock()
	<-c.loopDone
	c.reaper.Wait()
	return c.store.Close()
}

// reap expires leases on time even when no request arrives.
func (c *Coordinator) reap() {
	defer c.reaper.Done()
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return
		}
		next, ok := c.sched.nextExpiry()
		changed := c.changed
		wait := time.Minute
		if ok {
			wait = min(wait, max(next.Sub(c.now()), 0)+time.Millisecond)
		}
		c.mu.Unlock()
		timer := time.NewTimer(wait)
		select {
		case <-c.done:
			timer.Stop()
			return
		case <-c.failed:
			timer.Stop()
			return
		case <-changed:
			timer.Stop()
		case <-timer.C:
			err := c.mutate(context.Background(), func(time.Time) (*Change, error) { return nil, nil })
			if err != nil && !errors.Is(err, ErrClosed) {
				c.log.Error("expiring leases failed", "error", err)
				select {
				case <-c.done:
					return
				case <-time.After(time.Second):
				}
			}
		}
	}
}

// Submit parses a spec source (with Options.SpecOptions), expands it and
// stores it: a new name creates the sweep with all trials pending; an
// existing name must pass the stored spec's compatibility check
// (ErrIncompatible otherwise, saying what changed) and adds only the
// trials whose keys are new. An invalid spec gives ErrInvalidSpec.
func (c *Coordinator) Submit(ctx context.Context, filename string, source []byte) (SubmitResult, error) {
	return c.submit(ctx, filename, source, "")
}

// submit implements Submit; a non-empty name must be the spec's name.
func (c *Coordinator) submit(ctx context.Context, filename string, source []byte, name string) (SubmitResult, error) {
	spec, err := parseSpec(filename, source, c.specOpts)
	if err != nil {
		return SubmitResult{}, err
	}
	if name != "" && name != spec.rec.Name {
		return SubmitResult{}, fmt.Errorf("%w: request names sweep %q but the spec is named %q", ErrInvalidArgument, name, spec.rec.Name)
	}
	var res SubmitResult
	err = c.do(ctx, func(b *batch, now time.Time) error {
		if old, ok := c.sched.sweep(spec.rec.Name); ok {
			if err := checkGrowth(old, spec, c.specOpts); err != nil {
				return err
			}
		}
		ch, r, err := c.sched.submit(now, spec.rec, spec.trials)
		if err != nil {
			return err
		}
		res = r
		b.stage(ch)
		// A growth may add seeds that refined points lack, or refine rules.
		c.refineLogged(b, now, res.Sweep)
		return nil
	})
	if err != nil {
		return SubmitResult{}, err
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
// attempt.
func (c *Coordinator) Lease(ctx context.Context, worker string, wait time.Duration, sweeps ...string) (*Grant, error) {
	if worker == "" {
		return nil, fmt.Errorf("%w: empty worker id", ErrInvalidArgument)
	}
	wait = min(max(wait, 0), c.opts.MaxLeaseWait)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	start := time.Now()
	c.metrics.saw(worker, c.now())
	defer func() { c.metrics.saw(worker, c.now()) }() // a long poll keeps the worker connected
	for {
		var g *Grant
		var work chan struct{}
		err := c.mutate(ctx, func(now time.Time) (*Change, error) {
			var ch *Change
			ch, g = c.sched.lease(now, worker, sweeps)
			work = c.work
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
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.done:
			return nil, ErrClosed
		case <-c.failed:
			return nil, c.Err()
		}
	}
}

// readInputs sets a grant's params and point, which the scheduler does
// not keep, from the store (the trial was committed before it was
// leased). If that fails, the lease is released again.
func (c *Coordinator) readInputs(ctx context.Context, g *Grant) error {
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
func (c *Coordinator) releaseDeparted(ctx context.Context, g *Grant) {
	err := c.Release(context.WithoutCancel(ctx), g.LeaseID, g.Token)
	c.log.Debug("released lease of a departed worker", "trial", g.Trial.ID(), "error", err)
}

// Heartbeat extends a lease by the TTL. It reports Stop (without an error)
// when the lease is no longer valid or the sweep was cancelled; an unknown
// lease gives ErrLeaseNotFound.
func (c *Coordinator) Heartbeat(ctx context.Context, leaseID string, token uint64) (Beat, error) {
	var beat Beat
	var worker string
	err := c.mutate(ctx, func(now time.Time) (*Change, error) {
		ch, b, err := c.sched.heartbeat(now, leaseID, token)
		if err == nil {
			beat = b
			ref, _, _ := parseLeaseID(leaseID)
			t, _ := c.sched.trial(ref.sweep, ref.key)
			worker = t.Worker
		}
		return ch, err
	})
	if err != nil {
		return Beat{}, err
	}
	c.metrics.saw(worker, c.now())
	return beat, nil
}

// Complete records a lease's outcome (see the package documentation for
// the rules). It returns duplicate = true for a repeat of the Complete that
// ended the lease; a stale token gives ErrStaleToken, an expired or
// released lease ErrLeaseExpired or ErrLeaseReleased, and none changes
// anything.
func (c *Coordinator) Complete(ctx context.Context, comp Completion) (duplicate bool, err error) {
	duplicate, _, err = c.complete(ctx, comp, false, nil)
	return duplicate, err
}

// CompleteAndLease records comp like Complete and, if a trial is pending
// (of one of sweeps, if given), leases it to comp.Worker in the same
// transaction, saving the worker a Lease call and the coordinator a
// commit. It does not wait for work: a nil grant means none was pending,
// and the worker should call Lease. The grant is made even for a duplicate
// completion (the worker is free either way); a refused completion leases
// nothing. A grant made after ctx was cancelled is released again and not
// returned.
func (c *Coordinator) CompleteAndLease(ctx context.Context, comp Completion, sweeps ...string) (duplicate bool, next *Grant, err error) {
	if comp.Worker == "" {
		return false, nil, fmt.Errorf("%w: empty worker id", ErrInvalidArgument)
	}
	duplicate, next, err = c.complete(ctx, comp, true, sweeps)
	if err != nil {
		return false, nil, err
	}
	if next != nil && ctx.Err() != nil {
		c.releaseDeparted(ctx, next)
		next = nil
	}
	if next != nil {
		if err := c.readInputs(ctx, next); err != nil {
			c.log.Error("next trial not granted", "trial", next.Trial.ID(), "error", err)
			next = nil // the completion stands; the worker asks again
		}
	}
	if next != nil {
		c.log.Debug("leased", "trial", next.Trial.ID(), "worker", comp.Worker, "token", next.Token, "attempt", next.Trial.Attempts)
		c.metrics.granted(next, c.now())
	}
	return duplicate, next, nil
}

// complete implements Complete and CompleteAndLease.
func (c *Coordinator) complete(ctx context.Context, comp Completion, leaseNext bool, sweeps []string) (duplicate bool, next *Grant, err error) {
	var after TrialRecord
	err = c.do(ctx, func(b *batch, now time.Time) error {
		ch, dup, err := c.sched.complete(now, comp)
		if err != nil {
			return err
		}
		duplicate = dup
		if ch != nil {
			after = ch.Trials[0]
		}
		b.stage(ch)
		if ch != nil && after.Status.Final() {
			// Refined trials are added in the completion's transaction, so
			// that the worker's next lease may take one of them.
			c.refineLogged(b, now, after.Sweep)
		}
		if leaseNext {
			var lch *Change
			lch, next = c.sched.lease(now, comp.Worker, sweeps)
			b.stage(lch)
		}
		return nil
	})
	c.metrics.saw(comp.Worker, c.now())
	if err != nil {
		c.log.Info("completion refused", "lease", comp.LeaseID, "token", comp.Token, "worker", comp.Worker, "error", err)
		c.metrics.refused.Inc()
		return false, nil, err
	}
	if duplicate {
		c.log.Debug("duplicate completion", "lease", comp.LeaseID, "worker", comp.Worker)
		c.metrics.duplicates.Inc()
	} else {
		c.metrics.completions.WithLabelValues(string(comp.Status)).Inc()
		c.log.Info("trial completed", "trial", after.ID(), "reported", comp.Status, "status", after.Status,
			"worker", comp.Worker, "attempt", after.Attempts, "reason", after.Reason)
	}
	return duplicate, next, nil
}

// Release hands a lease back without a result: the trial is requeued at
// once without counting the attempt. Releasing a lease that already ended
// is a no-op; a stale token gives ErrStaleToken.
func (c *Coordinator) Release(ctx context.Context, leaseID string, token uint64) error {
	err := c.mutate(ctx, func(now time.Time) (*Change, error) {
		return c.sched.release(now, leaseID, token)
	})
	if err == nil {
		c.log.Debug("lease released", "lease", leaseID)
	}
	return err
}

// Cancel cancels a sweep: its pending trials become cancelled at once and
// its running trials are told to stop at their next heartbeat. It returns
// the number of trials affected; ErrNotFound for an unknown sweep.
func (c *Coordinator) Cancel(ctx context.Context, sweep string) (int, error) {
	var n int
	err := c.mutate(ctx, func(now time.Time) (*Change, error) {
		ch, k, err := c.sched.cancel(now, sweep)
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
		ch, k, err := c.sched.requeueFailed(now, sweep)
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

// lockQuery locks c.mu for a query, unless ctx is done or the coordinator
// is closed (ErrClosed); on success the caller unlocks.
func (c *Coordinator) lockQuery(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	return nil
}

// Progress returns a sweep's trial counts; ErrNotFound for an unknown
// sweep.
func (c *Coordinator) Progress(ctx context.Context, sweep string) (Progress, error) {
	if err := c.lockQuery(ctx); err != nil {
		return Progress{}, err
	}
	defer c.mu.Unlock()
	return c.sched.progress(sweep)
}

// Sweeps returns every sweep's progress, in creation order.
func (c *Coordinator) Sweeps(ctx context.Context) ([]Progress, error) {
	if err := c.lockQuery(ctx); err != nil {
		return nil, err
	}
	defer c.mu.Unlock()
	return c.sched.list(), nil
}

// Sweep returns a sweep's stored record (spec source, axes, policy).
func (c *Coordinator) Sweep(ctx context.Context, sweep string) (SweepRecord, error) {
	if err := c.lockQuery(ctx); err != nil {
		return SweepRecord{}, err
	}
	defer c.mu.Unlock()
	rec, ok := c.sched.sweep(sweep)
	if !ok {
		return SweepRecord{}, fmt.Errorf("%w: %q", ErrNotFound, sweep)
	}
	return rec, nil
}

// Trials returns a sweep's trials with their results, in index order, read
// from the store in one snapshot.
func (c *Coordinator) Trials(ctx context.Context, sweep string) ([]TrialRecord, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	return c.store.Trials(ctx, sweep)
}

// Watch calls fn with a sweep's progress now and after every change of it,
// until the sweep is finished (it returns nil after reporting that), ctx is
// done (ctx.Err()), the coordinator closes (ErrClosed) or fn fails (its
// error).
func (c *Coordinator) Watch(ctx context.Context, sweep string, fn func(Progress) error) error {
	var last Progress
	sent := false
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return ErrClosed
		}
		p, err := c.sched.progress(sweep)
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
			return ErrClosed
		case <-c.failed:
			return c.Err()
		}
	}
}
