package coordinator

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Store persists the coordinator's state. It is defined here, by its
// consumer, so the engine can run on the bbolt store (OpenBoltStore) or on
// an in-memory one (NewMemoryStore); both pass the same conformance suite
// (package coordinator/storetest).
//
// The engine calls Commit with the changes of a batch of operations,
// merged into one Change, and acknowledges them (or lets queries see them)
// only after Commit returned nil, so a store must make a change durable and
// visible before returning; after an error the engine assumes the store is
// unchanged and takes the batch back. A Store must be safe for concurrent
// use (the engine serialises Commit calls, but Trials may run concurrently
// with Commit).
type Store interface {
	// Load returns the whole persisted state, trial results excluded.
	Load(ctx context.Context) (*State, error)
	// Scan returns the sweeps and the token counter, and calls fn with
	// each trial's state, in any order: a trial without its params, point
	// and result (nil), which is what the engine keeps in memory. fn must
	// not keep the record, which Scan may reuse; an error from fn ends the
	// scan with that error. It is how Open restores a large database
	// without holding every record at once.
	Scan(ctx context.Context, fn func(*TrialRecord) error) (*State, error)
	// Trials returns a sweep's trials with their results, sorted by
	// Index: one consistent snapshot. It wraps ErrNotFound for an unknown
	// sweep.
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

// State is a store's content, trial results excluded.
type State struct {
	// NextToken is the next fencing token to hand out (at least 1).
	NextToken uint64
	// Sweeps are all sweeps, in any order.
	Sweeps []SweepRecord
	// Trials are all trials of all sweeps, in any order, with nil Result.
	Trials []TrialRecord
}

// Change is one atomic state change: records to put (insert or replace)
// and results to put or delete.
type Change struct {
	// Sweeps are sweep records to put, keyed by Name.
	Sweeps []SweepRecord
	// Trials are trial records to put, keyed by (Sweep, Key). Their
	// Result field is ignored. A trial's params and point never change
	// once it exists: a record whose Params and Point are both nil keeps
	// the stored ones (the engine, which does not keep them in memory,
	// puts them only when it creates a trial).
	Trials []TrialRecord
	// New are new pending trials in compact form, as a submission adds
	// them: stored as if put in Trials, before Trials (so that Trials may
	// change a trial that New creates, as in a merged change whose later
	// part leases a trial its earlier part submitted).
	New []*NewTrials
	// Results are trial results to put or delete.
	Results []ResultPut
	// NextToken, if not zero, is the new value of the token counter.
	NextToken uint64
}

// NewTrials is a run of new pending trials of one sweep, in compact form:
// a submission of a large grid computes each trial's params and point only
// when the store writes it, so that they are not all in memory at once.
// Trial i (0 ≤ i < len(Keys)) is the record {Sweep, Key: Keys[i], Index:
// Base+i, Status: pending, Updated, Params and Point from Inputs(i)}.
type NewTrials struct {
	// Sweep names the trials' sweep.
	Sweep string
	// Base is the Index of the first trial.
	Base int
	// Keys are the trials' keys, in index order.
	Keys []string
	// Updated is the trials' Updated time.
	Updated time.Time
	// Inputs returns the params and point of trial i. It must be safe to
	// call again for the same i, and from any goroutine while the change
	// is being committed.
	Inputs func(i int) (params, point json.RawMessage, err error)

	// index maps Keys to their indexes; submit sets it for a new sweep,
	// and apply adopts it as the sweep's map (and clears it).
	index map[string]int32
}

// Record returns trial i as a record.
func (n *NewTrials) Record(i int) (TrialRecord, error) {
	params, point, err := n.Inputs(i)
	if err != nil {
		return TrialRecord{}, fmt.Errorf("trial %s/%s: %w", n.Sweep, n.Keys[i], err)
	}
	return TrialRecord{Sweep: n.Sweep, Key: n.Keys[i], Index: n.Base + i, Status: StatusPending,
		Params: params, Point: point, Updated: n.Updated}, nil
}

// Len returns the number of trials ch puts: len(Trials) plus those of New.
func (ch *Change) Len() int {
	n := len(ch.Trials)
	for _, nt := range ch.New {
		n += len(nt.Keys)
	}
	return n
}

// ResultPut stores (or with nil JSON deletes) one trial's result.
type ResultPut struct {
	// Sweep and Key name the trial.
	Sweep, Key string
	// JSON is the result object, or nil to delete the stored result.
	JSON json.RawMessage
}

// Empty reports whether ch changes nothing.
func (ch *Change) Empty() bool {
	return ch == nil || (len(ch.Sweeps) == 0 && ch.Len() == 0 &&
		len(ch.Results) == 0 && ch.NextToken == 0)
}

// NewMemoryStore returns an empty Store that keeps everything in memory:
// for tests, and for runs that need no durability. Load, Trials and Commit
// copy their data, so callers may keep and modify what they pass and get.
func NewMemoryStore() Store {
	return &memoryStore{
		sweeps:  map[string]SweepRecord{},
		trials:  map[string]map[string]TrialRecord{},
		results: map[string]map[string]json.RawMessage{},
	}
}

type memoryStore struct {
	mu        sync.Mutex
	closed    bool
	nextToken uint64
	sweeps    map[string]SweepRecord
	trials    map[string]map[string]TrialRecord
	results   map[string]map[string]json.RawMessage
}

var _ Store = (*memoryStore)(nil)

// Load implements Store.
func (m *memoryStore) Load(ctx context.Context) (*State, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	st := &State{NextToken: max(m.nextToken, 1)}
	for _, s := range m.sweeps {
		st.Sweeps = append(st.Sweeps, cloneSweep(s))
	}
	for _, ts := range m.trials {
		for _, t := range ts {
			st.Trials = append(st.Trials, cloneTrial(t))
		}
	}
	return st, nil
}

// Scan implements Store.
func (m *memoryStore) Scan(ctx context.Context, fn func(*TrialRecord) error) (*State, error) {
	st, err := m.Load(ctx)
	if err != nil {
		return nil, err
	}
	for i := range st.Trials {
		t := st.Trials[i]
		t.Params, t.Point = nil, nil
		if err := fn(&t); err != nil {
			return nil, err
		}
	}
	st.Trials = nil
	return st, nil
}

// Trial implements Store.
func (m *memoryStore) Trial(ctx context.Context, sweep, key string) (TrialRecord, error) {
	if err := ctx.Err(); err != nil {
		return TrialRecord{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return TrialRecord{}, ErrClosed
	}
	t, ok := m.trials[sweep][key]
	if !ok {
		return TrialRecord{}, fmt.Errorf("%w: trial %s/%s", ErrNotFound, sweep, key)
	}
	t = cloneTrial(t)
	if r, ok := m.results[sweep][key]; ok {
		t.Result = slices.Clone(r)
	}
	return t, nil
}

// Trials implements Store.
func (m *memoryStore) Trials(ctx context.Context, sweep string) ([]TrialRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	if _, ok := m.sweeps[sweep]; !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, sweep)
	}
	out := make([]TrialRecord, 0, len(m.trials[sweep]))
	for k, t := range m.trials[sweep] {
		t = cloneTrial(t)
		if r, ok := m.results[sweep][k]; ok {
			t.Result = slices.Clone(r)
		}
		out = append(out, t)
	}
	sortTrials(out)
	return out, nil
}

// Commit implements Store.
func (m *memoryStore) Commit(ctx context.Context, ch *Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if ch == nil {
		return nil
	}
	// Compute the new trials first: a failing Inputs changes nothing.
	var trials []TrialRecord
	for _, nt := range ch.New {
		for i := range nt.Keys {
			t, err := nt.Record(i)
			if err != nil {
				return fmt.Errorf("commit: %w", err)
			}
			trials = append(trials, t)
		}
	}
	trials = append(trials, ch.Trials...)
	if ch.NextToken != 0 {
		m.nextToken = ch.NextToken
	}
	for _, s := range ch.Sweeps {
		m.sweeps[s.Name] = cloneSweep(s)
	}
	for _, t := range trials {
		if m.trials[t.Sweep] == nil {
			m.trials[t.Sweep] = map[string]TrialRecord{}
		}
		if old, ok := m.trials[t.Sweep][t.Key]; ok && t.Params == nil && t.Point == nil {
			t.Params, t.Point = old.Params, old.Point // inputs never change
		}
		t = cloneTrial(t)
		t.Result = nil
		m.trials[t.Sweep][t.Key] = t
	}
	for _, r := range ch.Results {
		if r.JSON == nil {
			delete(m.results[r.Sweep], r.Key)
			continue
		}
		if m.results[r.Sweep] == nil {
			m.results[r.Sweep] = map[string]json.RawMessage{}
		}
		m.results[r.Sweep][r.Key] = slices.Clone(r.JSON)
	}
	return nil
}

// Close implements Store.
func (m *memoryStore) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

// sortTrials sorts trials by sweep, then index, then key.
func sortTrials(ts []TrialRecord) {
	slices.SortFunc(ts, func(a, b TrialRecord) int {
		if c := cmp.Compare(a.Sweep, b.Sweep); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Index, b.Index); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
}

func cloneSweep(s SweepRecord) SweepRecord {
	s.Axes = slices.Clone(s.Axes)
	return s
}

func cloneTrial(t TrialRecord) TrialRecord {
	t.Params = slices.Clone(t.Params)
	t.Point = slices.Clone(t.Point)
	t.Result = slices.Clone(t.Result)
	if t.RelL2 != nil {
		v := *t.RelL2
		t.RelL2 = &v
	}
	return t
}
