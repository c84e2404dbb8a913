package scheduler

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// Loader builds a scheduler from trial records given one at a time, in
// any order, as state.Store.Scan produces them; Finish adds the sweeps and
// checks that every sweep's indexes are 0..n-1, each once.
type Loader struct {
	s        *Scheduler
	sweeps   map[string]*loading
	trials   int
	maxToken uint64
	maxID    string // a trial holding maxToken
}

// loading is one sweep's trials as the loader received them.
type loading struct {
	keys    []string
	index   []int32
	states  []trialState
	reasons map[int32]string
	secrets map[int32]state.LeaseSecret // of active leases that have one
}

// NewLoader returns a Loader of a scheduler whose leases live ttl.
func NewLoader(ttl time.Duration) *Loader {
	return &Loader{s: New(ttl, 1), sweeps: map[string]*loading{}}
}

// Add takes one trial record (not kept). A record that cannot be right (a
// running trial without an active lease, a bad index, status or count)
// gives state.ErrCorrupt.
func (l *Loader) Add(t *state.TrialRecord) error {
	if t.LeaseState == state.LeaseActive && t.Status != state.StatusRunning ||
		t.Status == state.StatusRunning && t.LeaseState != state.LeaseActive {
		return fmt.Errorf("%w: trial %s is %s with lease state %q", state.ErrCorrupt, t.ID(), t.Status, t.LeaseState)
	}
	if t.Index < 0 || t.Index > math.MaxInt32 {
		return fmt.Errorf("%w: trial %s has index %d", state.ErrCorrupt, t.ID(), t.Index)
	}
	ts, err := l.s.compact(t)
	if err != nil {
		return fmt.Errorf("%w: %w", state.ErrCorrupt, err)
	}
	ld := l.sweeps[t.Sweep]
	if ld == nil {
		ld = &loading{reasons: map[int32]string{}, secrets: map[int32]state.LeaseSecret{}}
		l.sweeps[t.Sweep] = ld
	}
	ld.keys = append(ld.keys, t.Key)
	ld.index = append(ld.index, int32(t.Index))
	ld.states = append(ld.states, ts)
	if t.Reason != "" {
		ld.reasons[int32(t.Index)] = t.Reason
	}
	if t.LeaseState == state.LeaseActive && !t.LeaseSecret.IsZero() {
		ld.secrets[int32(t.Index)] = t.LeaseSecret
	}
	if t.Token > l.maxToken {
		l.maxToken, l.maxID = t.Token, t.ID()
	}
	l.trials++
	return nil
}

// Trials returns the number of trials added.
func (l *Loader) Trials() int { return l.trials }

// Finish returns the scheduler of the trials added and of snap's sweeps
// and token counter (snap.Trials is ignored).
func (l *Loader) Finish(snap *state.Snapshot) (*Scheduler, error) {
	s := l.s
	s.nextToken = max(snap.NextToken, 1)
	if l.maxToken >= s.nextToken {
		return nil, fmt.Errorf("%w: trial %s has token %d, next token is %d", state.ErrCorrupt, l.maxID, l.maxToken, s.nextToken)
	}
	sweeps := slices.Clone(snap.Sweeps)
	slices.SortFunc(sweeps, func(a, b state.SweepRecord) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.Name, b.Name))
	})
	s.Apply(&state.Change{Sweeps: sweeps})
	for name, ld := range l.sweeps {
		sw := s.sweeps[name]
		if sw == nil {
			return nil, fmt.Errorf("%w: trial %s/%s belongs to no sweep", state.ErrCorrupt, name, ld.keys[0])
		}
		n := len(ld.keys)
		sw.keys = make([]string, n)
		sw.trials = make([]trialState, n)
		sw.byKey = make(map[string]int32, n)
		sw.reasons = ld.reasons
		for j, key := range ld.keys {
			i := ld.index[j]
			if int(i) >= n || sw.keys[i] != "" {
				return nil, fmt.Errorf("%w: trial %s/%s has index %d: the %d trials of the sweep are not indexed 0..%d, each once (or a trial is stored twice)",
					state.ErrCorrupt, name, key, i, n, n-1)
			}
			if _, dup := sw.byKey[key]; dup {
				return nil, fmt.Errorf("%w: trial %s/%s stored twice", state.ErrCorrupt, name, key)
			}
			sw.keys[i], sw.byKey[key] = key, i
			ts := ld.states[j]
			sw.trials[i] = ts
			sw.counts.Shift(ts.Status(), 1)
			if ts.status == ordPending {
				sw.pending.add(i)
			}
			if ts.lease == ordActive {
				s.running[trialRef{name, key}] = ld.secrets[i]
			}
		}
		sw.counts.Total = n
		delete(l.sweeps, name) // let the loading arrays go
	}
	s.rr = 0
	return s, nil
}
