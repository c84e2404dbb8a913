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

	"github.com/pinnsweep/pinnsweep/coordinator/boltstore"
	"github.com/pinnsweep/pinnsweep/coordinator/refine"
	"github.com/pinnsweep/pinnsweep/coordinator/scheduler"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/sweeps"
)

// Defaults of Options.
const (
	// DefaultLeaseTTL is a lease's time to live without a heartbeat.
	DefaultLeaseTTL = 30 * time.Second
	// DefaultMaxLeaseWait caps how long a Lease call waits for work.
	DefaultMaxLeaseWait = 30 * time.Second
	// DefaultShutdownTimeout bounds a gRPC server's graceful stop.
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
	// store (state.NewMemoryStore) for tests or for runs that need no
	// durability. The coordinator owns it and closes it in Close.
	Store state.Store
	// LockTimeout bounds the wait for the database file's lock; zero means
	// the bbolt store's default (1s). A file held by another coordinator
	// gives an error wrapping the store's ErrLocked.
	LockTimeout time.Duration
	// ShutdownTimeout bounds the graceful stop of a gRPC server over the
	// coordinator (package service) after its context is done, after which
	// remaining RPCs are cut; zero means DefaultShutdownTimeout (10s).
	ShutdownTimeout time.Duration
	// MaxBatch caps the number of operations committed in one
	// transaction. Operations that arrive while a transaction commits are
	// committed together in the next one, with one fsync (group commit);
	// each is answered only after that commit succeeded. Zero means
	// DefaultMaxBatch (256); 1 commits every operation in a transaction
	// of its own.
	MaxBatch int
}

// Coordinator owns a sweep database and schedules its trials: the engine
// between the scheduler, which decides, and the store, which persists. It
// offers every operation in-process; package service serves them over
// gRPC. All methods are safe for concurrent use.
//
// Every state change is computed by the deterministic scheduler and
// committed to the store, together with the changes that arrived with it,
// in one transaction; it is acknowledged, and visible to queries, only
// after that commit succeeded. A failed commit changes nothing.
type Coordinator struct {
	opts  Options
	log   hclog.Logger // scheduler events
	store state.Store

	// mu guards the scheduler and what follows. The commit loop holds it
	// while it stages, commits and (on failure) rolls back a batch, so
	// queries never see uncommitted changes.
	mu      sync.Mutex
	sched   *scheduler.Scheduler
	refiner *refine.Refiner
	specs   *specCache
	metrics *metrics
	changed chan struct{} // closed (and replaced) whenever a change is committed
	work    chan struct{} // closed (and replaced) when a change makes trials pending
	closed  bool
	done    chan struct{} // closed by Close
	failure error         // a commit's outcome is unknown (wraps ErrCommitUnknown): see fail
	failed  chan struct{} // closed when failure is set
	reaper  sync.WaitGroup

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
		bs, err := boltstore.Open(opts.Path, boltstore.Options{
			LockTimeout: opts.LockTimeout,
			Logger:      opts.Logger.Named("store"),
		})
		if err != nil {
			return nil, err
		}
		store = bs
		opts.Store = store
	}
	c := &Coordinator{
		opts:     opts,
		log:      opts.Logger.Named("scheduler"),
		store:    store,
		refiner:  refine.New(),
		specs:    newSpecCache(opts.SpecOptions),
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

// Config returns the options the coordinator runs with, defaults filled
// in.
func (c *Coordinator) Config() Options { return c.opts }

// restore loads the store's state into a new scheduler, gives leases that
// expired while the coordinator was down one more TTL, records the needs
// of sweeps whose records lack them (restoreNeeds), and adds the trials
// that refinement calls for but that are missing (a crash, or a change of
// the refine rules, may have kept them from being added), in one commit.
func (c *Coordinator) restore() error {
	ctx := context.Background()
	l := scheduler.NewLoader(c.opts.LeaseTTL)
	snap, err := c.store.Scan(ctx, l.Add)
	if err != nil {
		return err
	}
	ntrials := l.Trials()
	sched, err := l.Finish(snap)
	if err != nil {
		return err
	}
	c.sched = sched
	now := c.now()
	b := &batch{s: sched}
	b.stage(sched.RestoreGrace(now))
	c.restoreNeeds(b)
	c.refineAll(b, now)
	if len(b.changes) > 0 {
		if err := c.store.Commit(ctx, state.Merge(b.changes)); err != nil {
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
	c.log.Info("restored state", "sweeps", len(snap.Sweeps), "trials", ntrials,
		"active_leases", sched.ActiveLeases(), "next_token", sched.NextToken())
	return nil
}

func (c *Coordinator) now() time.Time { return c.opts.Now().UTC() }

// freeAfterRestore is the number of restored (or submitted) trials from
// which a restore (or submission) returns the memory it freed to the OS.
const freeAfterRestore = 100_000

// Close stops the coordinator and closes its database. Pending Lease and
// Watch calls return state.ErrClosed. Stop any gRPC server over the
// coordinator first.
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

// Done returns a channel that is closed when Close is called.
func (c *Coordinator) Done() <-chan struct{} { return c.done }

// reap expires leases on time even when no request arrives.
func (c *Coordinator) reap() {
	defer c.reaper.Done()
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return
		}
		next, ok := c.sched.NextExpiry()
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
			err := c.mutate(context.Background(), func(time.Time) (*state.Change, error) { return nil, nil })
			if err != nil && !errors.Is(err, state.ErrClosed) {
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
