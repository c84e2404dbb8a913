package scheduler

import (
	"fmt"
	"slices"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// Apply installs a change and returns its undo record, which Revert uses
// to take the change back. The engine applies a change provisionally while
// the batch of changes it belongs to is being committed, and reverts the
// whole batch, newest change first, when the commit fails; restoring and
// tests apply committed changes and drop the undo record.
//
// New trials must start at the next index of their sweep (as Submit and
// AddTrials make them), and Trials may only update trials that exist
// (or that New creates); Apply panics otherwise, since such a change
// cannot have come from this scheduler.
func (s *Scheduler) Apply(ch *state.Change) Undo {
	u := Undo{nextToken: s.nextToken, rr: s.rr, order: len(s.order)}
	if ch == nil {
		return u
	}
	if ch.NextToken != 0 {
		s.nextToken = ch.NextToken
	}
	for _, rec := range ch.Sweeps {
		if sw := s.sweeps[rec.Name]; sw != nil {
			u.sweeps = append(u.sweeps, sweepPre{name: rec.Name, old: sw.rec, existed: true})
			sw.rec = rec.Clone()
			continue
		}
		u.sweeps = append(u.sweeps, sweepPre{name: rec.Name})
		s.sweeps[rec.Name] = &sweepState{
			rec:     rec.Clone(),
			byKey:   map[string]int32{},
			reasons: map[int32]string{},
			counts:  state.Progress{Sweep: rec.Name, Created: rec.Created},
		}
		s.order = append(s.order, rec.Name)
	}
	for _, nt := range ch.New {
		sw := s.sweeps[nt.Sweep]
		if sw == nil || nt.Base != len(sw.trials) {
			panic(fmt.Sprintf("scheduler: change adds trials to sweep %q from index %d", nt.Sweep, nt.Base))
		}
		u.grew(nt.Sweep, len(sw.trials))
		if sub := s.submitted; sub != nil && sub.nt == nt && len(sw.trials) == 0 {
			sw.byKey = sub.index // built by Submit: adopt it
		}
		s.submitted = nil
		sw.keys = slices.Grow(sw.keys, len(nt.Keys))
		sw.trials = slices.Grow(sw.trials, len(nt.Keys))
		ts := trialState{status: ordPending, updated: state.UnixNano(nt.Updated)}
		for _, key := range nt.Keys {
			s.add(sw, key, ts)
		}
	}
	for i := range ch.Trials {
		t := &ch.Trials[i]
		sw, idx, ok := s.lookup(t.Sweep, t.Key)
		if !ok {
			panic(fmt.Sprintf("scheduler: change puts trial %s, which does not exist", t.ID()))
		}
		ts, err := s.compact(t)
		if err != nil {
			panic(fmt.Sprintf("scheduler: change puts a bad trial: %v", err))
		}
		u.trials = append(u.trials, trialPre{sweep: t.Sweep, index: idx, old: sw.trials[idx], reason: sw.reasons[idx],
			secret: s.running[trialRef{t.Sweep, t.Key}]})
		s.set(sw, idx, ts, t.Reason, t.LeaseSecret, false)
	}
	return u
}

// Undo is the pre-image of one applied change: everything Apply
// overwrote, in the order it did so.
type Undo struct {
	nextToken uint64
	rr        int
	order     int // len(s.order) before the change
	sweeps    []sweepPre
	trials    []trialPre
	grown     []sweepLen // sweeps the change added trials to
}

// sweepPre is a sweep record as it was before a change put it.
type sweepPre struct {
	name    string
	old     state.SweepRecord
	existed bool // false: the change created the sweep
}

// trialPre is an existing trial as it was before a change put it.
type trialPre struct {
	sweep  string
	index  int32
	old    trialState
	reason string
	secret state.LeaseSecret
}

// sweepLen is a sweep's number of trials before a change added some.
type sweepLen struct {
	sweep string
	n     int
}

// grew records that the change adds trials to sweep, which had n.
func (u *Undo) grew(sweep string, n int) {
	for _, g := range u.grown {
		if g.sweep == sweep {
			return
		}
	}
	u.grown = append(u.grown, sweepLen{sweep, n})
}

// Revert takes back the change whose undo record u is. The changes applied
// after it must have been reverted already (newest first). Afterwards the
// scheduler's records, counters, queues and round-robin position are those
// before the change.
func (s *Scheduler) Revert(u Undo) {
	for i := len(u.trials) - 1; i >= 0; i-- {
		p := u.trials[i]
		s.set(s.sweeps[p.sweep], p.index, p.old, p.reason, p.secret, false)
	}
	for i := len(u.grown) - 1; i >= 0; i-- {
		s.truncate(s.sweeps[u.grown[i].sweep], u.grown[i].n)
	}
	for i := len(u.sweeps) - 1; i >= 0; i-- {
		p := u.sweeps[i]
		if p.existed {
			s.sweeps[p.name].rec = p.old
		} else {
			delete(s.sweeps, p.name)
		}
	}
	s.order = s.order[:u.order]
	s.nextToken = u.nextToken
	s.rr = u.rr
	s.submitted = nil
}

// set installs ts (with its reason, and the secret of its lease if that is
// active) as trial i of sw, updating the counters, the pending set, the
// running set and the round-robin position.
func (s *Scheduler) set(sw *sweepState, i int32, ts trialState, reason string, secret state.LeaseSecret, created bool) {
	if !created {
		old := &sw.trials[i]
		sw.counts.Shift(old.Status(), -1)
		if old.status == ordPending && ts.status != ordPending {
			sw.pending.remove(i)
		}
		if old.status == ordPending && ts.status == ordRunning {
			s.rr = slices.Index(s.order, sw.rec.Name) + 1 // round-robin: next sweep's turn
		}
	} else {
		sw.counts.Total++
	}
	sw.counts.Shift(ts.Status(), 1)
	if ts.status == ordPending {
		sw.pending.add(i)
	}
	ref := trialRef{sw.rec.Name, sw.keys[i]}
	if ts.lease == ordActive {
		s.running[ref] = secret
	} else if !created {
		delete(s.running, ref)
	}
	sw.trials[i] = ts
	if reason != "" {
		sw.reasons[i] = reason
	} else if !created {
		delete(sw.reasons, i)
	}
}

// add appends a new trial without a reason to sw.
func (s *Scheduler) add(sw *sweepState, key string, ts trialState) {
	i := int32(len(sw.trials))
	sw.keys = append(sw.keys, key)
	sw.trials = append(sw.trials, trialState{})
	sw.byKey[key] = i
	s.set(sw, i, ts, "", state.LeaseSecret{}, true)
}

// truncate drops the trials of sw from index n on, which add appended.
func (s *Scheduler) truncate(sw *sweepState, n int) {
	for i := len(sw.trials) - 1; i >= n; i-- {
		ts := &sw.trials[i]
		sw.counts.Total--
		sw.counts.Shift(ts.Status(), -1)
		delete(s.running, trialRef{sw.rec.Name, sw.keys[i]})
		delete(sw.byKey, sw.keys[i])
		delete(sw.reasons, int32(i))
	}
	sw.pending.truncate(n)
	clear(sw.keys[n:])
	sw.keys, sw.trials = sw.keys[:n], sw.trials[:n]
}
