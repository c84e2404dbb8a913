package coordinator

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// scheduler is the coordinator's deterministic core, in the style of
// etcd-raft: it does no I/O and reads no clock. Every event method takes
// the current time and returns the Change it implies without touching the
// scheduler's state; the engine applies it (apply) so that the next event
// of the same batch sees it, commits the batch to the store, and takes the
// batch back (revert) if the commit fails. Queries run only between
// batches, so they read committed state.
//
// The scheduler is not safe for concurrent use; the engine serialises all
// calls.
type scheduler struct {
	ttl       time.Duration
	nextToken uint64
	sweeps    map[string]*sweepState
	order     []string          // sweep names in creation order
	rr        int               // position in order of the sweep served next
	running   map[trialRef]bool // trials with an active lease
}

// trialRef names a trial.
type trialRef struct{ sweep, key string }

// sweepState is one sweep's applied state.
type sweepState struct {
	rec     SweepRecord
	trials  map[string]*TrialRecord
	counts  Progress
	pending *pendingQueue
}

// newScheduler builds a scheduler from a store's state. It takes over
// st.Trials: the scheduler keeps the records in place (apply replaces,
// never modifies, a record), so restoring a large sweep copies nothing,
// and sizes each sweep's map and queue once.
func newScheduler(ttl time.Duration, st *State) (*scheduler, error) {
	s := &scheduler{
		ttl:       ttl,
		nextToken: max(st.NextToken, 1),
		sweeps:    map[string]*sweepState{},
		running:   map[trialRef]bool{},
	}
	sweeps := slices.Clone(st.Sweeps)
	slices.SortFunc(sweeps, func(a, b SweepRecord) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.Name, b.Name))
	})
	s.apply(&Change{Sweeps: sweeps})
	perSweep := map[string]int{}
	for i := range st.Trials {
		t := &st.Trials[i]
		if s.sweeps[t.Sweep] == nil {
			return nil, fmt.Errorf("%w: trial %s belongs to no sweep", ErrCorrupt, t.ID())
		}
		if t.LeaseState == LeaseActive && t.Status != StatusRunning ||
			t.Status == StatusRunning && t.LeaseState != LeaseActive {
			return nil, fmt.Errorf("%w: trial %s is %s with lease state %q", ErrCorrupt, t.ID(), t.Status, t.LeaseState)
		}
		if t.Token >= s.nextToken {
			return nil, fmt.Errorf("%w: trial %s has token %d, next token is %d", ErrCorrupt, t.ID(), t.Token, s.nextToken)
		}
		perSweep[t.Sweep]++
	}
	for name, n := range perSweep {
		sw := s.sweeps[name]
		sw.trials = make(map[string]*TrialRecord, n)
		sw.pending = newPendingQueue(n)
		sw.pending.bulk = true
	}
	for i := range st.Trials {
		t := &st.Trials[i]
		sw := s.sweeps[t.Sweep]
		if sw.trials[t.Key] != nil {
			return nil, fmt.Errorf("%w: trial %s stored twice", ErrCorrupt, t.ID())
		}
		t.Result = nil
		s.putTrial(sw, t, nil)
	}
	for _, sw := range s.sweeps {
		sw.pending.endBulk()
	}
	s.rr = 0
	return s, nil
}

// apply installs a change and returns its undo record, which revert uses
// to take the change back. The engine applies a change provisionally while
// the batch of changes it belongs to is being committed, and reverts the
// whole batch, newest change first, when the commit fails (see "Durability
// guarantee" in the package documentation); restoring and tests apply
// committed changes and drop the undo record.
//
// apply never modifies a TrialRecord in place: it installs a new one, so
// that the undo record can keep the old one by pointer.
func (s *scheduler) apply(ch *Change) undo {
	u := undo{nextToken: s.nextToken, rr: s.rr, order: len(s.order)}
	if ch == nil {
		return u
	}
	if ch.NextToken != 0 {
		s.nextToken = ch.NextToken
	}
	for _, rec := range ch.Sweeps {
		if sw := s.sweeps[rec.Name]; sw != nil {
			u.sweeps = append(u.sweeps, sweepPre{name: rec.Name, old: sw.rec, existed: true})
			sw.rec = cloneSweep(rec)
			continue
		}
		u.sweeps = append(u.sweeps, sweepPre{name: rec.Name})
		s.sweeps[rec.Name] = &sweepState{
			rec:     cloneSweep(rec),
			trials:  map[string]*TrialRecord{},
			counts:  Progress{Sweep: rec.Name, Created: rec.Created},
			pending: newPendingQueue(0),
		}
		s.order = append(s.order, rec.Name)
	}
	for i := range ch.Trials {
		t := ch.Trials[i]
		t.Result = nil
		sw := s.sweeps[t.Sweep]
		if sw == nil {
			panic(fmt.Sprintf("coordinator: change puts trial %s of an unknown sweep", t.ID()))
		}
		old := sw.trials[t.Key]
		u.trials = append(u.trials, trialPre{sweep: t.Sweep, key: t.Key, old: old})
		s.putTrial(sw, &t, old)
	}
	return u
}

// undo is the pre-image of one applied change: everything apply
// overwrote, in the order it did so.
type undo struct {
	nextToken uint64
	rr        int
	order     int // len(s.order) before the change
	sweeps    []sweepPre
	trials    []trialPre
}

// sweepPre is a sweep record as it was before a change put it.
type sweepPre struct {
	name    string
	old     SweepRecord
	existed bool // false: the change created the sweep
}

// trialPre is a trial as it was before a change put it.
type trialPre struct {
	sweep, key string
	old        *TrialRecord // nil: the change created the trial
}

// revert takes back the change whose undo record u is. The changes applied
// after it must have been reverted already (newest first). Afterwards the
// scheduler's records, counters, queues and round-robin position are those
// before the change; only the internal layout of a pending queue (a heap)
// may differ, not its order.
func (s *scheduler) revert(u undo) {
	for i := len(u.trials) - 1; i >= 0; i-- {
		p := u.trials[i]
		sw := s.sweeps[p.sweep]
		cur := sw.trials[p.key]
		if p.old == nil {
			s.dropTrial(sw, cur)
		} else {
			s.putTrial(sw, p.old, cur)
		}
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
}

// putTrial installs t (not copied: the caller gives up t) in place of old
// (nil if the trial is new), updating the counters, the pending queue, the
// running set and the round-robin position.
func (s *scheduler) putTrial(sw *sweepState, t, old *TrialRecord) {
	ref := trialRef{t.Sweep, t.Key}
	if old != nil {
		*sw.counts.count(old.Status)--
		if old.Status == StatusPending && t.Status != StatusPending {
			sw.pending.remove(t.Key)
		}
		if old.Status == StatusPending && t.Status == StatusRunning {
			s.rr = slices.Index(s.order, t.Sweep) + 1 // round-robin: next sweep's turn
		}
	} else {
		sw.counts.Total++
	}
	*sw.counts.count(t.Status)++
	if t.Status == StatusPending {
		sw.pending.add(t.Index, t.Key)
	}
	if t.LeaseState == LeaseActive {
		s.running[ref] = true
	} else {
		delete(s.running, ref)
	}
	sw.trials[t.Key] = t
}

// dropTrial removes t, which putTrial installed as a new trial.
func (s *scheduler) dropTrial(sw *sweepState, t *TrialRecord) {
	sw.counts.Total--
	*sw.counts.count(t.Status)--
	sw.pending.remove(t.Key)
	delete(s.running, trialRef{t.Sweep, t.Key})
	delete(sw.trials, t.Key)
}

// submit adds a sweep, or grows an existing one by the trials whose keys
// are new. rec carries the spec-derived fields (Name, Filename, Source,
// Axes, BudgetSeconds, MaxAttempts); trials are the spec's expansion with
// Key, Params and Point set. The caller has checked that the spec is
// compatible with the stored one.
func (s *scheduler) submit(now time.Time, rec SweepRecord, trials []TrialRecord) (*Change, SubmitResult) {
	now = now.UTC()
	res := SubmitResult{Sweep: rec.Name}
	old := s.sweeps[rec.Name]
	base := 0
	if old == nil {
		rec.Created, rec.Submissions = now, 1
		res.Created = true
	} else {
		rec.Created, rec.Submissions = old.rec.Created, old.rec.Submissions+1
		base = len(old.trials)
	}
	rec.Updated = now
	ch := &Change{Sweeps: []SweepRecord{rec}, Trials: newTrials(now, rec.Name, old, trials)}
	res.Added = len(ch.Trials)
	res.Total = base + res.Added
	return ch, res
}

// newTrials returns the pending records of the trials whose keys sw (nil
// for a new sweep) does not hold, each once, indexed after sw's trials in
// the order given. trials have Key, Params and Point set.
func newTrials(now time.Time, sweep string, sw *sweepState, trials []TrialRecord) []TrialRecord {
	base := 0
	if sw != nil {
		base = len(sw.trials)
	}
	var out []TrialRecord
	seen := map[string]bool{}
	for _, t := range trials {
		if seen[t.Key] || sw != nil && sw.trials[t.Key] != nil {
			continue
		}
		seen[t.Key] = true
		out = append(out, TrialRecord{
			Sweep:   sweep,
			Key:     t.Key,
			Index:   base + len(out),
			Status:  StatusPending,
			Params:  t.Params,
			Point:   t.Point,
			Updated: now,
		})
	}
	return out
}

// lease hands the next pending trial to worker: the first pending trial,
// in index order, of the next sweep in round-robin order that has one and,
// if sweeps is not empty, is one of sweeps. It returns nil when no such
// trial is pending.
func (s *scheduler) lease(now time.Time, worker string, sweeps []string) (*Change, *Grant) {
	now = now.UTC()
	for i := range s.order {
		name := s.order[(s.rr+i)%len(s.order)]
		if len(sweeps) > 0 && !slices.Contains(sweeps, name) {
			continue
		}
		sw := s.sweeps[name]
		key, ok := sw.pending.peek()
		if !ok {
			continue
		}
		t := *sw.trials[key]
		enqueued := t.Updated
		token := s.nextToken
		t.Status = StatusRunning
		t.Attempts++
		t.Worker = worker
		t.Token = token
		t.LeaseID = formatLeaseID(t.Sweep, t.Key, token)
		t.LeaseState = LeaseActive
		t.LeaseExpiry = now.Add(s.ttl)
		t.StopRequested = false
		t.Updated = now
		ch := &Change{Trials: []TrialRecord{t}, NextToken: token + 1}
		return ch, &Grant{
			Trial:         t,
			LeaseID:       t.LeaseID,
			Token:         token,
			TTL:           s.ttl,
			BudgetSeconds: sw.rec.BudgetSeconds,
			Enqueued:      enqueued,
		}
	}
	return nil, nil
}

// formatLeaseID returns the lease id of a trial's lease: "sweep/key/token".
// Workers treat it as opaque.
func formatLeaseID(sweep, key string, token uint64) string {
	return sweep + "/" + key + "/" + strconv.FormatUint(token, 10)
}

// parseLeaseID splits a lease id into its trial and token.
func parseLeaseID(id string) (ref trialRef, token uint64, ok bool) {
	i, j := strings.IndexByte(id, '/'), strings.LastIndexByte(id, '/')
	if i <= 0 || j <= i+1 {
		return trialRef{}, 0, false
	}
	token, err := strconv.ParseUint(id[j+1:], 10, 64)
	if err != nil || token == 0 {
		return trialRef{}, 0, false
	}
	return trialRef{id[:i], id[i+1 : j]}, token, true
}

// lookupLease finds the trial a lease id names and checks that token is the
// lease id's token. It returns the trial as stored (not a copy).
func (s *scheduler) lookupLease(leaseID string, token uint64) (*sweepState, *TrialRecord, error) {
	ref, idToken, ok := parseLeaseID(leaseID)
	if !ok {
		return nil, nil, fmt.Errorf("%w: malformed lease id %q", ErrLeaseNotFound, leaseID)
	}
	if token != idToken {
		return nil, nil, fmt.Errorf("%w: token %d does not match lease %q", ErrInvalidArgument, token, leaseID)
	}
	sw := s.sweeps[ref.sweep]
	if sw == nil || sw.trials[ref.key] == nil {
		return nil, nil, fmt.Errorf("%w: %q names no trial", ErrLeaseNotFound, leaseID)
	}
	return sw, sw.trials[ref.key], nil
}

// staleError describes a token older (or newer) than the trial's current
// one.
func staleError(t *TrialRecord, token uint64) error {
	return fmt.Errorf("%w: lease token %d of trial %s was superseded by token %d", ErrStaleToken, token, t.ID(), t.Token)
}

// heartbeat extends an active lease by the TTL. A lease that is no longer
// valid (superseded, expired, released or completed) gets Stop with the
// reason and changes nothing; a running trial of a cancelled sweep gets
// Stop and its lease extended, so the worker has time to report.
func (s *scheduler) heartbeat(now time.Time, leaseID string, token uint64) (*Change, Beat, error) {
	now = now.UTC()
	_, cur, err := s.lookupLease(leaseID, token)
	if err != nil {
		return nil, Beat{}, err
	}
	if token != cur.Token {
		return nil, Beat{Stop: true, Reason: "lease superseded by a newer lease of the trial"}, nil
	}
	switch cur.LeaseState {
	case LeaseCompleted:
		return nil, Beat{Stop: true, Reason: "lease already completed"}, nil
	case LeaseReleased:
		return nil, Beat{Stop: true, Reason: "lease released"}, nil
	case LeaseExpired:
		return nil, Beat{Stop: true, Reason: "lease expired"}, nil
	}
	t := *cur
	t.LeaseExpiry = now.Add(s.ttl)
	t.Updated = now
	beat := Beat{TTL: s.ttl}
	if t.StopRequested {
		beat.Stop, beat.Reason = true, reasonCancelled
	}
	return &Change{Trials: []TrialRecord{t}}, beat, nil
}

// reasonCancelled is the reason of trials ended by CancelSweep.
const reasonCancelled = "sweep cancelled"

// complete records the end of a lease. A repeated Complete of the lease
// that completed the trial returns duplicate = true and no change; a stale
// token gives ErrStaleToken, an expired or released lease ErrLeaseExpired or
// ErrLeaseReleased.
//
// Outcomes: done, diverged and timeout are final. Failed is retried
// (requeued, result dropped) while attempts remain, and final otherwise.
// Cancelled is final when the sweep asked the trial to stop; otherwise the
// worker gave the trial up and it is requeued without counting the
// attempt, as by release. A trial whose sweep was cancelled ends cancelled
// unless it reports done, diverged or timeout.
func (s *scheduler) complete(now time.Time, c Completion) (ch *Change, duplicate bool, err error) {
	now = now.UTC()
	switch c.Status {
	case StatusDone, StatusDiverged, StatusTimeout, StatusFailed, StatusCancelled:
	default:
		return nil, false, fmt.Errorf("%w: completion status %q is not done, diverged, timeout, failed or cancelled", ErrInvalidArgument, c.Status)
	}
	if c.Status == StatusDone && len(c.Result) == 0 {
		return nil, false, fmt.Errorf("%w: a done completion needs a result", ErrInvalidArgument)
	}
	if err := checkResult(c.Result); err != nil {
		return nil, false, err
	}
	sw, cur, err := s.lookupLease(c.LeaseID, c.Token)
	if err != nil {
		return nil, false, err
	}
	if c.Token != cur.Token {
		return nil, false, staleError(cur, c.Token)
	}
	switch cur.LeaseState {
	case LeaseCompleted:
		return nil, true, nil
	case LeaseExpired:
		return nil, false, fmt.Errorf("%w: lease %s expired before its result arrived", ErrLeaseExpired, c.LeaseID)
	case LeaseReleased:
		return nil, false, fmt.Errorf("%w: lease %s was released", ErrLeaseReleased, c.LeaseID)
	}
	t := *cur
	t.LeaseState = LeaseCompleted
	t.LeaseExpiry = time.Time{}
	t.Updated = now
	t.Reason = c.Reason
	ch = &Change{Trials: []TrialRecord{t}}
	keep := func() { // store the result with a final status
		t.RelL2 = relL2Of(c.Result)
		if len(c.Result) > 0 {
			ch.Results = []ResultPut{{Sweep: t.Sweep, Key: t.Key, JSON: c.Result}}
		}
	}
	switch {
	case c.Status == StatusDone || c.Status == StatusDiverged || c.Status == StatusTimeout:
		t.Status = c.Status
		keep()
	case t.StopRequested:
		t.Status = StatusCancelled
		t.Reason = joinReason(reasonCancelled, c.Reason)
		keep()
	case c.Status == StatusCancelled:
		// The sweep was not cancelled: the worker gave the trial up.
		t.Status = StatusPending
		t.Attempts--
		t.Reason = joinReason("attempt abandoned by worker", c.Reason)
	case t.Attempts < sw.rec.MaxAttempts:
		t.Status = StatusPending
		t.Reason = joinReason(fmt.Sprintf("attempt %d of %d failed", t.Attempts, sw.rec.MaxAttempts), c.Reason)
	default:
		t.Status = StatusFailed
		if t.Reason == "" {
			t.Reason = "worker reported failure"
		}
		keep()
	}
	ch.Trials[0] = t
	return ch, false, nil
}

func joinReason(prefix, reason string) string {
	if reason == "" {
		return prefix
	}
	return prefix + ": " + reason
}

// release hands an active lease back: the trial is requeued at once and the
// attempt does not count (a cancelled sweep's trial ends cancelled). A
// release of a lease that already ended is a no-op; a stale token gives
// ErrStaleToken.
func (s *scheduler) release(now time.Time, leaseID string, token uint64) (*Change, error) {
	now = now.UTC()
	_, cur, err := s.lookupLease(leaseID, token)
	if err != nil {
		return nil, err
	}
	if token != cur.Token {
		return nil, staleError(cur, token)
	}
	if cur.LeaseState != LeaseActive {
		return nil, nil
	}
	t := *cur
	t.LeaseState = LeaseReleased
	t.LeaseExpiry = time.Time{}
	t.Updated = now
	if t.StopRequested {
		t.Status, t.Reason = StatusCancelled, reasonCancelled
	} else {
		t.Status = StatusPending
		t.Attempts--
	}
	return &Change{Trials: []TrialRecord{t}}, nil
}

// expire ends every active lease whose expiry is not after now: the trial
// is requeued while attempts remain, and fails with "lease expired N
// times" otherwise (a cancelled sweep's trial ends cancelled). It returns
// nil when nothing expired.
func (s *scheduler) expire(now time.Time) *Change {
	now = now.UTC()
	var out []TrialRecord
	for ref := range s.running {
		cur := s.sweeps[ref.sweep].trials[ref.key]
		if cur.LeaseExpiry.After(now) {
			continue
		}
		t := *cur
		t.LeaseState = LeaseExpired
		t.LeaseExpiry = time.Time{}
		t.Expiries++
		t.Updated = now
		limit := s.sweeps[ref.sweep].rec.MaxAttempts
		switch {
		case t.StopRequested:
			t.Status, t.Reason = StatusCancelled, reasonCancelled
		case t.Attempts < limit:
			t.Status = StatusPending
			t.Reason = fmt.Sprintf("lease of attempt %d of %d expired", t.Attempts, limit)
		default:
			t.Status = StatusFailed
			t.Reason = fmt.Sprintf("lease expired %d %s", t.Expiries, plural(t.Expiries, "time", "times"))
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil
	}
	sortTrials(out)
	return &Change{Trials: out}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// nextExpiry returns the earliest expiry of an active lease.
func (s *scheduler) nextExpiry() (time.Time, bool) {
	var first time.Time
	for ref := range s.running {
		e := s.sweeps[ref.sweep].trials[ref.key].LeaseExpiry
		if first.IsZero() || e.Before(first) {
			first = e
		}
	}
	return first, !first.IsZero()
}

// restoreGrace gives every active lease that expired while the coordinator
// was down one TTL from now, so that its worker, which could not heartbeat
// meanwhile, can reach the restarted coordinator. Leases that have not
// expired keep their stored expiry.
func (s *scheduler) restoreGrace(now time.Time) *Change {
	now = now.UTC()
	var out []TrialRecord
	for ref := range s.running {
		cur := s.sweeps[ref.sweep].trials[ref.key]
		if cur.LeaseExpiry.After(now) {
			continue
		}
		t := *cur
		t.LeaseExpiry = now.Add(s.ttl)
		t.Updated = now
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil
	}
	sortTrials(out)
	return &Change{Trials: out}
}

// cancel cancels a sweep: pending trials become cancelled at once, running
// ones are marked so that their next heartbeat says stop. It returns the
// number of trials cancelled or told to stop.
func (s *scheduler) cancel(now time.Time, sweep string) (*Change, int, error) {
	now = now.UTC()
	sw := s.sweeps[sweep]
	if sw == nil {
		return nil, 0, fmt.Errorf("%w: %q", ErrNotFound, sweep)
	}
	ch := &Change{}
	for _, cur := range sw.trials {
		t := *cur
		switch {
		case t.Status == StatusPending:
			t.Status, t.Reason = StatusCancelled, reasonCancelled
		case t.Status == StatusRunning && !t.StopRequested:
			t.StopRequested = true
		default:
			continue
		}
		t.Updated = now
		ch.Trials = append(ch.Trials, t)
	}
	sortTrials(ch.Trials)
	return ch, len(ch.Trials), nil
}

// requeueFailed puts a sweep's failed, timed-out and cancelled trials back
// into the queue with a fresh attempt budget, dropping their results. It
// returns the number requeued.
func (s *scheduler) requeueFailed(now time.Time, sweep string) (*Change, int, error) {
	now = now.UTC()
	sw := s.sweeps[sweep]
	if sw == nil {
		return nil, 0, fmt.Errorf("%w: %q", ErrNotFound, sweep)
	}
	ch := &Change{}
	for _, cur := range sw.trials {
		switch cur.Status {
		case StatusFailed, StatusTimeout, StatusCancelled:
		default:
			continue
		}
		t := *cur
		t.Status = StatusPending
		t.Attempts, t.Expiries = 0, 0
		t.Reason = ""
		t.RelL2 = nil
		t.StopRequested = false
		t.Updated = now
		ch.Trials = append(ch.Trials, t)
	}
	sortTrials(ch.Trials)
	for _, t := range ch.Trials {
		ch.Results = append(ch.Results, ResultPut{Sweep: t.Sweep, Key: t.Key})
	}
	return ch, len(ch.Trials), nil
}

// sweep returns a sweep's record.
func (s *scheduler) sweep(name string) (SweepRecord, bool) {
	sw := s.sweeps[name]
	if sw == nil {
		return SweepRecord{}, false
	}
	return cloneSweep(sw.rec), true
}

// progress returns a sweep's counts.
func (s *scheduler) progress(name string) (Progress, error) {
	sw := s.sweeps[name]
	if sw == nil {
		return Progress{}, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	p := sw.counts
	p.Finished = p.Pending == 0 && p.Running == 0
	return p, nil
}

// list returns every sweep's counts in creation order.
func (s *scheduler) list() []Progress {
	out := make([]Progress, 0, len(s.order))
	for _, name := range s.order {
		p, _ := s.progress(name)
		out = append(out, p)
	}
	return out
}

// trial returns a copy of one trial.
func (s *scheduler) trial(sweep, key string) (TrialRecord, bool) {
	sw := s.sweeps[sweep]
	if sw == nil || sw.trials[key] == nil {
		return TrialRecord{}, false
	}
	return *sw.trials[key], true
}
