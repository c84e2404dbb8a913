package scheduler

import (
	"fmt"
	"time"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// Lease hands the next pending trial to worker: the first pending trial,
// in index order, of the next sweep in round-robin order that has one and,
// if sweeps is not empty, is one of sweeps. It returns nil when no such
// trial is pending. It is LeaseOffer for a CPU slot of a worker that runs
// no commands: trials that need GPUs or a command are not leased.
func (s *Scheduler) Lease(now time.Time, worker string, sweeps []string) (*state.Change, *state.Grant) {
	return s.LeaseOffer(now, worker, state.Offer{Sweeps: sweeps})
}

// lookupLease finds the trial a lease id names and checks that token is the
// lease id's token. It returns the trial's record.
func (s *Scheduler) lookupLease(leaseID string, token uint64) (*sweepState, *state.TrialRecord, error) {
	sweep, key, idToken, ok := state.ParseLeaseID(leaseID)
	if !ok {
		return nil, nil, fmt.Errorf("%w: malformed lease id %q", state.ErrLeaseNotFound, leaseID)
	}
	if token != idToken {
		return nil, nil, fmt.Errorf("%w: the token does not match lease %q", state.ErrInvalidArgument, leaseID)
	}
	sw, i, ok := s.lookup(sweep, key)
	if !ok {
		return nil, nil, fmt.Errorf("%w: %q names no trial", state.ErrLeaseNotFound, leaseID)
	}
	t := s.record(sw, i)
	return sw, &t, nil
}

// staleError describes a lease whose token is not the trial's current one.
// It names no token: the current one would tell a caller that does not
// hold the lease what to forge.
func staleError(t *state.TrialRecord) error {
	return fmt.Errorf("%w: the lease of trial %s was superseded by a newer lease", state.ErrStaleToken, t.ID())
}

// checkHolder refuses a claim on cur's current lease from a caller that
// does not hold it: another worker than the one it was granted to, or,
// while the lease is active and has a secret, a wrong or missing secret.
// (A lease granted before secrets existed is checked by worker alone.)
func checkHolder(cur *state.TrialRecord, c state.LeaseClaim) error {
	if c.Worker != cur.Worker {
		return fmt.Errorf("%w: the lease of trial %s was not granted to worker %q", state.ErrNotHolder, cur.ID(), c.Worker)
	}
	if cur.LeaseState == state.LeaseActive && !cur.LeaseSecret.IsZero() && !cur.LeaseSecret.Matches(c.Secret) {
		return fmt.Errorf("%w: trial %s: wrong or missing lease secret", state.ErrNotHolder, cur.ID())
	}
	return nil
}

// ReasonCancelled is the reason of trials ended by Cancel.
const ReasonCancelled = "sweep cancelled"

// Heartbeat extends an active lease by the TTL. A lease that is no longer
// valid (superseded, expired, released or completed) gets Stop with the
// reason and changes nothing; a running trial of a cancelled sweep gets
// Stop and its lease extended, so the worker has time to report. A caller
// that does not hold the current lease gets state.ErrNotHolder.
func (s *Scheduler) Heartbeat(now time.Time, c state.LeaseClaim) (*state.Change, state.Beat, error) {
	now = now.UTC()
	_, cur, err := s.lookupLease(c.LeaseID, c.Token)
	if err != nil {
		return nil, state.Beat{}, err
	}
	if c.Token != cur.Token {
		return nil, state.Beat{Stop: true, Reason: "lease superseded by a newer lease of the trial"}, nil
	}
	if err := checkHolder(cur, c); err != nil {
		return nil, state.Beat{}, err
	}
	switch cur.LeaseState {
	case state.LeaseCompleted:
		return nil, state.Beat{Stop: true, Reason: "lease already completed"}, nil
	case state.LeaseReleased:
		return nil, state.Beat{Stop: true, Reason: "lease released"}, nil
	case state.LeaseExpired:
		return nil, state.Beat{Stop: true, Reason: "lease expired"}, nil
	}
	t := *cur
	t.LeaseExpiry = now.Add(s.ttl)
	t.Updated = now
	beat := state.Beat{TTL: s.ttl}
	if t.StopRequested {
		beat.Stop, beat.Reason = true, ReasonCancelled
	}
	return &state.Change{Trials: []state.TrialRecord{t}}, beat, nil
}

// Complete records the end of a lease. A repeated Complete of the lease
// that completed the trial returns an Ack with Duplicate set and no
// change; a stale
// token gives state.ErrStaleToken, a caller that does not hold the lease
// (another worker, a wrong secret) state.ErrNotHolder, an expired or
// released lease state.ErrLeaseExpired or state.ErrLeaseReleased.
//
// Outcomes: done, diverged and timeout are final. Failed is retried
// (requeued, result dropped) while attempts remain, and final otherwise.
// Cancelled is final when the sweep asked the trial to stop; otherwise the
// worker gave the trial up and it is requeued without counting the
// attempt, as by Release. A trial whose sweep was cancelled ends cancelled
// unless it reports done, diverged or timeout. A kept result is stored
// with the completion's Value; the engine has checked that the result is
// a JSON object. The completion's stderr tail (at most
// state.MaxStderrTail bytes) is stored with every accepted completion
// that has one, whatever the outcome; for a sweep that runs commands a
// completion without one deletes the stored tail, so that the tail always
// belongs to the latest completed attempt.
//
// The Ack's Final says whether the trial's status is final after the
// completion (for a duplicate: now), by these rules and the status
// table's (state.Status.Final) alone: workers remove a trial's
// checkpoints by it.
func (s *Scheduler) Complete(now time.Time, c state.Completion) (ch *state.Change, ack state.Ack, err error) {
	now = now.UTC()
	if !c.Status.Reported() {
		return nil, ack, fmt.Errorf("%w: completion status %q is not done, diverged, timeout, failed or cancelled", state.ErrInvalidArgument, c.Status)
	}
	if c.Status == state.StatusDone && len(c.Result) == 0 {
		return nil, ack, fmt.Errorf("%w: a done completion needs a result", state.ErrInvalidArgument)
	}
	if len(c.StderrTail) > state.MaxStderrTail {
		return nil, ack, fmt.Errorf("%w: stderr tail of %d bytes; the limit is %d", state.ErrInvalidArgument, len(c.StderrTail), state.MaxStderrTail)
	}
	sw, cur, err := s.lookupLease(c.LeaseID, c.Token)
	if err != nil {
		return nil, ack, err
	}
	if c.Token != cur.Token {
		return nil, ack, staleError(cur)
	}
	if err := checkHolder(cur, c.LeaseClaim); err != nil {
		return nil, ack, err
	}
	switch cur.LeaseState {
	case state.LeaseCompleted:
		// The trial's status is what the first completion left, or
		// what Cancel or RequeueFailed made of it since (a trial leased
		// again has another token: the claim was stale above).
		return nil, state.Ack{Duplicate: true, Final: cur.Status.Final()}, nil
	case state.LeaseExpired:
		return nil, ack, fmt.Errorf("%w: lease %s expired before its result arrived", state.ErrLeaseExpired, c.LeaseID)
	case state.LeaseReleased:
		return nil, ack, fmt.Errorf("%w: lease %s was released", state.ErrLeaseReleased, c.LeaseID)
	}
	t := *cur
	t.LeaseState = state.LeaseCompleted
	t.LeaseSecret = state.LeaseSecret{}
	t.LeaseExpiry = time.Time{}
	t.Updated = now
	t.Reason = c.Reason
	ch = &state.Change{}
	keep := func() { // store the result with a final status
		t.Value = nil
		if c.Value != nil {
			v := *c.Value
			t.Value = &v
		}
		if len(c.Result) > 0 {
			ch.Results = []state.ResultPut{{Sweep: t.Sweep, Key: t.Key, JSON: c.Result}}
		}
	}
	switch {
	case c.Status == state.StatusDone || c.Status == state.StatusDiverged || c.Status == state.StatusTimeout:
		t.Status = c.Status
		keep()
	case t.StopRequested:
		t.Status = state.StatusCancelled
		t.Reason = joinReason(ReasonCancelled, c.Reason)
		keep()
	case c.Status == state.StatusCancelled:
		// The sweep was not cancelled: the worker gave the trial up.
		t.Status = state.StatusPending
		t.Attempts--
		t.Reason = joinReason("attempt abandoned by worker", c.Reason)
	case t.Attempts < sw.rec.MaxAttempts:
		t.Status = state.StatusPending
		t.Reason = joinReason(fmt.Sprintf("attempt %d of %d failed", t.Attempts, sw.rec.MaxAttempts), c.Reason)
	default:
		t.Status = state.StatusFailed
		if t.Reason == "" {
			t.Reason = "worker reported failure"
		}
		keep()
	}
	ch.Trials = []state.TrialRecord{t}
	if c.StderrTail != "" || sw.rec.Needs.Command {
		// The tail goes with the attempt, as the reason does: a command
		// trial's next completion replaces it, or deletes it (done).
		ch.Tails = []state.TailPut{{Sweep: t.Sweep, Key: t.Key, Text: c.StderrTail}}
	}
	return ch, state.Ack{Final: t.Status.Final()}, nil
}

func joinReason(prefix, reason string) string {
	if reason == "" {
		return prefix
	}
	return prefix + ": " + reason
}

// Release hands an active lease back: the trial is requeued at once and the
// attempt does not count (a cancelled sweep's trial ends cancelled). A
// release of a lease that already ended is a no-op; a stale token gives
// state.ErrStaleToken, and a caller that does not hold the lease
// state.ErrNotHolder.
func (s *Scheduler) Release(now time.Time, c state.LeaseClaim) (*state.Change, error) {
	now = now.UTC()
	_, cur, err := s.lookupLease(c.LeaseID, c.Token)
	if err != nil {
		return nil, err
	}
	if c.Token != cur.Token {
		return nil, staleError(cur)
	}
	if err := checkHolder(cur, c); err != nil {
		return nil, err
	}
	if cur.LeaseState != state.LeaseActive {
		return nil, nil
	}
	t := released(*cur, now)
	return &state.Change{Trials: []state.TrialRecord{t}}, nil
}

// released returns t, whose lease is active, with the lease handed back.
func released(t state.TrialRecord, now time.Time) state.TrialRecord {
	t.LeaseState = state.LeaseReleased
	t.LeaseSecret = state.LeaseSecret{}
	t.LeaseExpiry = time.Time{}
	t.Updated = now
	if t.StopRequested {
		t.Status, t.Reason = state.StatusCancelled, ReasonCancelled
	} else {
		t.Status = state.StatusPending
		t.Attempts--
	}
	return t
}

// ReleaseAll hands back every active lease, as Release does each, and
// returns the number released: at the start of `pinnsweep run`, whose
// database lock proves that the workers holding them are gone. It returns
// a nil change when no lease is active.
func (s *Scheduler) ReleaseAll(now time.Time) (*state.Change, int) {
	now = now.UTC()
	var out []state.TrialRecord
	for ref := range s.running {
		sw, i, _ := s.lookup(ref.sweep, ref.key)
		out = append(out, released(s.record(sw, i), now))
	}
	if len(out) == 0 {
		return nil, 0
	}
	state.SortTrials(out)
	return &state.Change{Trials: out}, len(out)
}
