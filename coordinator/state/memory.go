package state

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
)

// NewMemoryStore returns an empty Store that keeps everything in memory:
// for tests, and for runs that need no durability. Load, Trials and Commit
// copy their data, so callers may keep and modify what they pass and get.
func NewMemoryStore() Store {
	return &memoryStore{
		sweeps:  map[string]SweepRecord{},
		trials:  map[string]map[string]TrialRecord{},
		results: map[string]map[string]json.RawMessage{},
		tails:   map[string]map[string]string{},
	}
}

type memoryStore struct {
	mu        sync.Mutex
	closed    bool
	nextToken uint64
	sweeps    map[string]SweepRecord
	trials    map[string]map[string]TrialRecord // with their inputs
	results   map[string]map[string]json.RawMessage
	tails     map[string]map[string]string
}

var _ Store = (*memoryStore)(nil)

// Load implements Store.
func (m *memoryStore) Load(ctx context.Context) (*Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	st := &Snapshot{NextToken: max(m.nextToken, 1)}
	for _, s := range m.sweeps {
		st.Sweeps = append(st.Sweeps, s.Clone())
	}
	for _, ts := range m.trials {
		for _, t := range ts {
			st.Trials = append(st.Trials, t.Clone())
		}
	}
	return st, nil
}

// Scan implements Store.
func (m *memoryStore) Scan(ctx context.Context, fn func(*TrialRecord) error) (*Snapshot, error) {
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
	t = t.Clone()
	if r, ok := m.results[sweep][key]; ok {
		t.Result = slices.Clone(r)
	}
	t.StderrTail = m.tails[sweep][key]
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
		t = t.Clone()
		if r, ok := m.results[sweep][k]; ok {
			t.Result = slices.Clone(r)
		}
		t.StderrTail = m.tails[sweep][k]
		out = append(out, t)
	}
	SortTrials(out)
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
	// Compute the new trials and check the updates first: a change that
	// fails changes nothing.
	created := map[trialRef]bool{}
	var trials []TrialRecord
	for _, nt := range ch.New {
		for j := range nt.Keys {
			t, err := nt.Record(j)
			if err != nil {
				return fmt.Errorf("commit: %w", err)
			}
			trials = append(trials, t)
			created[trialRef{t.Sweep, t.Key}] = true
		}
	}
	for _, t := range ch.Trials {
		if _, ok := m.trials[t.Sweep][t.Key]; !ok && !created[trialRef{t.Sweep, t.Key}] {
			return fmt.Errorf("commit: %w: trial %s does not exist (new trials come in Change.New)", ErrInvalidArgument, t.ID())
		}
	}
	if ch.NextToken != 0 {
		m.nextToken = ch.NextToken
	}
	for _, s := range ch.Sweeps {
		m.sweeps[s.Name] = s.Clone()
	}
	for _, t := range trials {
		if m.trials[t.Sweep] == nil {
			m.trials[t.Sweep] = map[string]TrialRecord{}
		}
		m.trials[t.Sweep][t.Key] = t.Clone()
	}
	for _, t := range ch.Trials {
		old := m.trials[t.Sweep][t.Key]
		t = t.Clone()
		t.Params, t.Point, t.Result, t.StderrTail = old.Params, old.Point, nil, "" // inputs never change
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
	for _, r := range ch.Tails {
		if r.Text == "" {
			delete(m.tails[r.Sweep], r.Key)
			continue
		}
		if m.tails[r.Sweep] == nil {
			m.tails[r.Sweep] = map[string]string{}
		}
		m.tails[r.Sweep][r.Key] = r.Text
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
