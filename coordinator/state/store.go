package state

import "context"

// Store persists the coordinator's state. The bbolt store
// (coordinator/boltstore) and the in-memory one (NewMemoryStore) implement
// it; both pass the same conformance suite (coordinator/storetest).
//
// The engine calls Commit with the changes of a batch of operations,
// merged into one Change, and acknowledges them (or lets queries see them)
// only after Commit returned nil, so a store must make a change durable and
// visible before returning; after an error the engine assumes the store is
// unchanged and takes the batch back. A Store must be safe for concurrent
// use (the engine serialises Commit calls, but Trials may run concurrently
// with Commit).
type Store interface {
	// Load returns the whole persisted state, trial inputs included and
	// results excluded.
	Load(ctx context.Context) (*Snapshot, error)
	// Scan returns the sweeps and the token counter, and calls fn with
	// each trial's state, in any order: a trial without its params, point
	// and result (nil), which is what the engine keeps in memory. fn must
	// not keep the record, which Scan may reuse; an error from fn ends the
	// scan with that error. It is how the engine restores a large database
	// without holding every record at once.
	Scan(ctx context.Context, fn func(*TrialRecord) error) (*Snapshot, error)
	// Trials returns a sweep's trials with their inputs and results,
	// sorted by Index: one consistent snapshot. It wraps ErrNotFound for
	// an unknown sweep.
	Trials(ctx context.Context, sweep string) ([]TrialRecord, error)
	// Trial returns one trial with its params, point and result. It wraps
	// ErrNotFound for an unknown sweep or trial.
	Trial(ctx context.Context, sweep, key string) (TrialRecord, error)
	// Commit applies ch atomically and durably: all of it or none of it.
	// It returns ctx.Err() without changing anything if ctx is done
	// before the commit starts.
	Commit(ctx context.Context, ch *Change) error
	// Close releases the store.
	Close() error
}

// Snapshot is a store's content, trial results excluded.
type Snapshot struct {
	// NextToken is the next fencing token to hand out (at least 1).
	NextToken uint64
	// Sweeps are all sweeps, in any order.
	Sweeps []SweepRecord
	// Trials are all trials of all sweeps, in any order, with nil Result.
	Trials []TrialRecord
}
