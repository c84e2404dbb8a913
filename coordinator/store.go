package coordinator

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
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
	// Trials returns a sweep's trials with their results, sorted by
	// Index: one consistent snapshot. It wraps ErrNotFound for an unknown
	// sweep.
	Trials(ctx context.Context, sweep string) ([]TrialRecord, error)
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
	// Result field is ignored.
	Trials []TrialRecord
	// Results are trial results to put or delete.
	Results []ResultPut
	// NextToken, if not zero, is the new value of the token counter.
	NextToken uint64
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
	return ch == nil || (len(ch.Sweeps) == 0 && len(ch.Trials) == 0 &&
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
	if ch.NextToken != 0 {
		m.nextToken = ch.NextToken
	}
	for _, s := range ch.Sweeps {
		m.sweeps[s.Name] = cloneSweep(s)
	}
	for _, t := range ch.Trials {
		if m.trials[t.Sweep] == nil {
			m.trials[t.Sweep] = map[string]TrialRecord{}
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
