package scheduler

import (
	"fmt"
	"time"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// Expire ends every active lease whose expiry is not after now: the trial
// is requeued while attempts remain, and fails with "lease expired N
// times" otherwise (a cancelled sweep's trial ends cancelled). It returns
// nil when nothing expired.
func (s *Scheduler) Expire(now time.Time) *state.Change {
	now = now.UTC()
	var out []state.TrialRecord
	for ref := range s.running {
		sw, i, _ := s.lookup(ref.sweep, ref.key)
		if sw.trials[i].expiry > now.UnixNano() {
			continue
		}
		t := s.record(sw, i)
		t.LeaseState = state.LeaseExpired
		t.LeaseSecret = state.LeaseSecret{}
		t.LeaseExpiry = time.Time{}
		t.Expiries++
		t.Updated = now
		limit := sw.rec.MaxAttempts
		switch {
		case t.StopRequested:
			t.Status, t.Reason = state.StatusCancelled, ReasonCancelled
		case t.Attempts < limit:
			t.Status = state.StatusPending
			t.Reason = fmt.Sprintf("lease of attempt %d of %d expired", t.Attempts, limit)
		default:
			t.Status = state.StatusFailed
			t.Reason = fmt.Sprintf("lease expired %d %s", t.Expiries, plural(t.Expiries, "time", "times"))
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil
	}
	state.SortTrials(out)
	return &state.Change{Trials: out}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// NextExpiry returns the earliest expiry of an active lease, and false
// when no lease is active.
func (s *Scheduler) NextExpiry() (time.Time, bool) {
	var first int64
	for ref := range s.running {
		sw, i, _ := s.lookup(ref.sweep, ref.key)
		if e := sw.trials[i].expiry; first == 0 || e < first {
			first = e
		}
	}
	return state.TimeOfUnixNano(first), first != 0
}

// RestoreGrace gives every active lease that expired while the coordinator
// was down one TTL from now, so that its worker, which could not heartbeat
// meanwhile, can reach the restarted coordinator. Leases that have not
// expired keep their stored expiry. It returns nil when no lease needs it.
func (s *Scheduler) RestoreGrace(now time.Time) *state.Change {
	now = now.UTC()
	var out []state.TrialRecord
	for ref := range s.running {
		sw, i, _ := s.lookup(ref.sweep, ref.key)
		if sw.trials[i].expiry > now.UnixNano() {
			continue
		}
		t := s.record(sw, i)
		t.LeaseExpiry = now.Add(s.ttl)
		t.Updated = now
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil
	}
	state.SortTrials(out)
	return &state.Change{Trials: out}
}

// Cancel cancels a sweep: pending trials become cancelled at once, running
// ones are marked so that their next heartbeat says stop. It returns the
// number of trials cancelled or told to stop; state.ErrNotFound for an
// unknown sweep.
func (s *Scheduler) Cancel(now time.Time, sweep string) (*state.Change, int, error) {
	now = now.UTC()
	sw := s.sweeps[sweep]
	if sw == nil {
		return nil, 0, fmt.Errorf("%w: %q", state.ErrNotFound, sweep)
	}
	ch := &state.Change{}
	for i := range sw.trials {
		ts := &sw.trials[i]
		if ts.status != ordPending && (ts.status != ordRunning || ts.flags&flagStop != 0) {
			continue
		}
		t := s.record(sw, int32(i))
		if t.Status == state.StatusPending {
			t.Status, t.Reason = state.StatusCancelled, ReasonCancelled
		} else {
			t.StopRequested = true
		}
		t.Updated = now
		ch.Trials = append(ch.Trials, t)
	}
	return ch, len(ch.Trials), nil
}

// RequeueFailed puts a sweep's failed, timed-out and cancelled trials back
// into the queue with a fresh attempt budget, dropping their results. It
// returns the number requeued; state.ErrNotFound for an unknown sweep.
func (s *Scheduler) RequeueFailed(now time.Time, sweep string) (*state.Change, int, error) {
	now = now.UTC()
	sw := s.sweeps[sweep]
	if sw == nil {
		return nil, 0, fmt.Errorf("%w: %q", state.ErrNotFound, sweep)
	}
	ch := &state.Change{}
	for i := range sw.trials {
		switch sw.trials[i].Status() {
		case state.StatusFailed, state.StatusTimeout, state.StatusCancelled:
		default:
			continue
		}
		t := s.record(sw, int32(i))
		t.Status = state.StatusPending
		t.Attempts, t.Expiries = 0, 0
		t.Reason = ""
		t.Value = nil
		t.StopRequested = false
		t.Updated = now
		ch.Trials = append(ch.Trials, t)
	}
	for _, t := range ch.Trials {
		ch.Results = append(ch.Results, state.ResultPut{Sweep: t.Sweep, Key: t.Key})
	}
	return ch, len(ch.Trials), nil
}
