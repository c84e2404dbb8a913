package coordinator

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pinnsweep/pinnsweep/sweeps"
)

// scheduler is the coordinator's deterministic core, in the style of
// etcd-raft: it does no I/O and reads no clock. Every event method takes
// the current time and returns the Change it implies without touching the
// scheduler's state; the engine applies it (apply) so that the next event
// of the same batch sees it, commits the batch to the store, and takes the
// batch back (revert) if the commit fails. Queries run only between
// batches, so they read committed state.
//
// It keeps each trial in compact form (trialState: about 50 bytes, plus
// the key and its map entry), without the params and point, which the
// store keeps and the engine reads when it needs them (a lease, an
// export, refinement). Event methods build full TrialRecords, without
// params and point, only for the trials they change.
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
	workers   []string          // interned worker ids; workers[0] is ""
	workerIdx map[string]uint32 // worker id → position in workers
}

// trialRef names a trial.
type trialRef struct{ sweep, key string }

// sweepState is one sweep's applied state. Its trials are stored by
// index (a sweep's indexes are 0..n-1).
type sweepState struct {
	rec     SweepRecord
	keys    []string         // trial keys by index
	byKey   map[string]int32 // trial key → index
	trials  []trialState     // trial states by index
	reasons map[int32]string // the non-empty reasons, by index
	counts  Progress
	pending pendingSet
}

// trialState is a trial as the scheduler keeps it: a TrialRecord without
// its sweep and key (the sweepState's), index (its position), lease id
// (derived), params, point and result (in the store), and reason (in
// sweepState.reasons, since most trials have none).
type trialState struct {
	token    uint64
	expiry   int64 // lease expiry, Unix ns; 0: none
	updated  int64 // Unix ns; 0: the zero time
	relL2    float64
	attempts int32
	expiries int32
	worker   uint32 // position in scheduler.workers
	status   byte   // statusCodes
	lease    byte   // position in leaseStates
	flags    byte   // flagStop, flagRelL2
}

// newScheduler builds a scheduler from a store's state (the records of
// st.Trials are not kept).
func newScheduler(ttl time.Duration, st *State) (*scheduler, error) {
	l := newLoader(ttl)
	for i := range st.Trials {
		if err := l.add(&st.Trials[i]); err != nil {
			return nil, err
		}
	}
	return l.finish(st)
}

// emptyScheduler returns a scheduler with no sweeps.
func emptyScheduler(ttl time.Duration, nextToken uint64) *scheduler {
	return &scheduler{
		ttl:       ttl,
		nextToken: max(nextToken, 1),
		sweeps:    map[string]*sweepState{},
		running:   map[trialRef]bool{},
		workers:   []string{""},
		workerIdx: map[string]uint32{"": 0},
	}
}

// loader builds a scheduler from trial records given one at a time, in
// any order, as Store.Scan produces them; finish adds the sweeps and
// checks that every sweep's indexes are 0..n-1, each once.
type loader struct {
	s        *scheduler
	sweeps   map[string]*loading
	maxToken uint64
	maxID    string // a trial holding maxToken
}

// loading is one sweep's trials as the loader received them.
type loading struct {
	keys    []string
	index   []int32
	states  []trialState
	reasons map[int32]string
}

func newLoader(ttl time.Duration) *loader {
	return &loader{s: emptyScheduler(ttl, 1), sweeps: map[string]*loading{}}
}

// add takes one trial record (not kept).
func (l *loader) add(t *TrialRecord) error {
	if t.LeaseState == LeaseActive && t.Status != StatusRunning ||
		t.Status == StatusRunning && t.LeaseState != LeaseActive {
		return fmt.Errorf("%w: trial %s is %s with lease state %q", ErrCorrupt, t.ID(), t.Status, t.LeaseState)
	}
	if t.Index < 0 || t.Index > math.MaxInt32 {
		return fmt.Errorf("%w: trial %s has index %d", ErrCorrupt, t.ID(), t.Index)
	}
	ts, err := l.s.compact(t)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	ld := l.sweeps[t.Sweep]
	if ld == nil {
		ld = &loading{reasons: map[int32]string{}}
		l.sweeps[t.Sweep] = ld
	}
	ld.keys = append(ld.keys, t.Key)
	ld.index = append(ld.index, int32(t.Index))
	ld.states = append(ld.states, ts)
	if t.Reason != "" {
		ld.reasons[int32(t.Index)] = t.Reason
	}
	if t.Token > l.maxToken {
		l.maxToken, l.maxID = t.Token, t.ID()
	}
	return nil
}

// finish returns the scheduler of st's sweeps and token counter and the
// trials added.
func (l *loader) finish(st *State) (*scheduler, error) {
	s := l.s
	s.nextToken = max(st.NextToken, 1)
	if l.maxToken >= s.nextToken {
		return nil, fmt.Errorf("%w: trial %s has token %d, next token is %d", ErrCorrupt, l.maxID, l.maxToken, s.nextToken)
	}
	sweeps := slices.Clone(st.Sweeps)
	slices.SortFunc(sweeps, func(a, b SweepRecord) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.Name, b.Name))
	})
	s.apply(&Change{Sweeps: sweeps})
	for name, ld := range l.sweeps {
		sw := s.sweeps[name]
		if sw == nil {
			return nil, fmt.Errorf("%w: trial %s/%s belongs to no sweep", ErrCorrupt, name, ld.keys[0])
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
					ErrCorrupt, name, key, i, n, n-1)
			}
			if _, dup := sw.byKey[key]; dup {
				return nil, fmt.Errorf("%w: trial %s/%s stored twice", ErrCorrupt, name, key)
			}
			sw.keys[i], sw.byKey[key] = key, i
			ts := ld.states[j]
			sw.trials[i] = ts
			*sw.counts.count(ts.Status())++
			if ts.status == statusCodes[StatusPending] {
				sw.pending.add(i)
			}
			if ts.lease == leaseCode(LeaseActive) {
				s.running[trialRef{name, key}] = true
			}
		}
		sw.counts.Total = n
		delete(l.sweeps, name) // let the loading arrays go
	}
	s.rr = 0
	return s, nil
}

// Status returns the trial's status.
func (ts *trialState) Status() Status { return statusOf(ts.status) }

// compact returns the compact state of t, interning its worker id.
func (s *scheduler) compact(t *TrialRecord) (trialState, error) {
	sc, ok := statusCodes[t.Status]
	lc := leaseCode(t.LeaseState)
	if !ok || lc == 0xff {
		return trialState{}, fmt.Errorf("trial %s: invalid status %q or lease state %q", t.ID(), t.Status, t.LeaseState)
	}
	if t.Attempts != int(int32(t.Attempts)) || t.Expiries != int(int32(t.Expiries)) {
		return trialState{}, fmt.Errorf("trial %s: %d attempts, %d expiries", t.ID(), t.Attempts, t.Expiries)
	}
	ts := trialState{
		token:    t.Token,
		expiry:   timeNanos(t.LeaseExpiry),
		updated:  timeNanos(t.Updated),
		attempts: int32(t.Attempts),
		expiries: int32(t.Expiries),
		worker:   s.workerID(t.Worker),
		status:   sc,
		lease:    lc,
	}
	if t.StopRequested {
		ts.flags |= flagStop
	}
	if t.RelL2 != nil {
		ts.flags |= flagRelL2
		ts.relL2 = *t.RelL2
	}
	return ts, nil
}

// workerID interns a worker id.
func (s *scheduler) workerID(w string) uint32 {
	if id, ok := s.workerIdx[w]; ok {
		return id
	}
	id := uint32(len(s.workers))
	s.workers = append(s.workers, w)
	s.workerIdx[w] = id
	return id
}

// record returns trial i of sw as a TrialRecord, without params, point
// and result.
func (s *scheduler) record(sw *sweepState, i int32) TrialRecord {
	ts := &sw.trials[i]
	t := TrialRecord{
		Sweep:         sw.rec.Name,
		Key:           sw.keys[i],
		Index:         int(i),
		Status:        statusOf(ts.status),
		Attempts:      int(ts.attempts),
		Expiries:      int(ts.expiries),
		Reason:        sw.reasons[i],
		Worker:        s.workers[ts.worker],
		Token:         ts.token,
		LeaseState:    leaseStates[ts.lease],
		LeaseExpiry:   nanosTime(ts.expiry),
		StopRequested: ts.flags&flagStop != 0,
		Updated:       nanosTime(ts.updated),
	}
	if ts.token != 0 {
		t.LeaseID = formatLeaseID(t.Sweep, t.Key, ts.token)
	}
	if ts.flags&flagRelL2 != 0 {
		v := ts.relL2
		t.RelL2 = &v
	}
	return t
}

// lookup returns the sweep and index of a trial.
func (s *scheduler) lookup(sweep, key string) (*sweepState, int32, bool) {
	sw := s.sweeps[sweep]
	if sw == nil {
		return nil, 0, false
	}
	i, ok := sw.byKey[key]
	return sw, i, ok
}

// apply installs a change and returns its undo record, which revert uses
// to take the change back. The engine applies a change provisionally while
// the batch of changes it belongs to is being committed, and reverts the
// whole batch, newest change first, when the commit fails (see "Durability
// guarantee" in the package documentation); restoring and tests apply
// committed changes and drop the undo record.
//
// A trial the change creates must come with the next index of its sweep
// (as submit and refinement make them).
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
			byKey:   map[string]int32{},
			reasons: map[int32]string{},
			counts:  Progress{Sweep: rec.Name, Created: rec.Created},
		}
		s.order = append(s.order, rec.Name)
	}
	for i := range ch.Trials {
		t := &ch.Trials[i]
		sw := s.sweeps[t.Sweep]
		if sw == nil {
			panic(fmt.Sprintf("coordinator: change puts trial %s of an unknown sweep", t.ID()))
		}
		ts, err := s.compact(t)
		if err != nil {
			panic(fmt.Sprintf("coordinator: change puts a bad trial: %v", err))
		}
		if idx, ok := sw.byKey[t.Key]; ok {
			u.trials = append(u.trials, trialPre{sweep: t.Sweep, index: idx, old: sw.trials[idx], reason: sw.reasons[idx]})
			s.set(sw, idx, ts, t.Reason, false)
			continue
		}
		if t.Index != len(sw.trials) {
			panic(fmt.Sprintf("coordinator: change creates trial %s with index %d, want %d", t.ID(), t.Index, len(sw.trials)))
		}
		u.grew(t.Sweep, len(sw.trials))
		s.add(sw, t.Key, ts, t.Reason)
	}
	for _, nt := range ch.New {
		sw := s.sweeps[nt.Sweep]
		if sw == nil || nt.Base != len(sw.trials) {
			panic(fmt.Sprintf("coordinator: change adds trials to sweep %q from index %d", nt.Sweep, nt.Base))
		}
		u.grew(nt.Sweep, len(sw.trials))
		if len(sw.trials) == 0 && nt.index != nil {
			sw.byKey, nt.index = nt.index, nil // built by submit: adopt it
		}
		sw.keys = slices.Grow(sw.keys, len(nt.Keys))
		sw.trials = slices.Grow(sw.trials, len(nt.Keys))
		ts := trialState{status: statusCodes[StatusPending], updated: timeNanos(nt.Updated)}
		for _, key := range nt.Keys {
			s.add(sw, key, ts, "")
		}
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
	grown     []sweepLen // sweeps the change added trials to
}

// sweepPre is a sweep record as it was before a change put it.
type sweepPre struct {
	name    string
	old     SweepRecord
	existed bool // false: the change created the sweep
}

// trialPre is an existing trial as it was before a change put it.
type trialPre struct {
	sweep  string
	index  int32
	old    trialState
	reason string
}

// sweepLen is a sweep's number of trials before a change added some.
type sweepLen struct {
	sweep string
	n     int
}

// grew records that the change adds trials to sweep, which had n.
func (u *undo) grew(sweep string, n int) {
	for _, g := range u.grown {
		if g.sweep == sweep {
			return
		}
	}
	u.grown = append(u.grown, sweepLen{sweep, n})
}

// revert takes back the change whose undo record u is. The changes applied
// after it must have been reverted already (newest first). Afterwards the
// scheduler's records, counters, queues and round-robin position are those
// before the change.
func (s *scheduler) revert(u undo) {
	for i := len(u.trials) - 1; i >= 0; i-- {
		p := u.trials[i]
		s.set(s.sweeps[p.sweep], p.index, p.old, p.reason, false)
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
}

// set installs ts (with its reason) as trial i of sw, updating the
// counters, the pending set, the running set and the round-robin position.
func (s *scheduler) set(sw *sweepState, i int32, ts trialState, reason string, created bool) {
	pending := statusCodes[StatusPending]
	if !created {
		old := &sw.trials[i]
		*sw.counts.count(old.Status())--
		if old.status == pending && ts.status != pending {
			sw.pending.remove(i)
		}
		if old.status == pending && ts.status == statusCodes[StatusRunning] {
			s.rr = slices.Index(s.order, sw.rec.Name) + 1 // round-robin: next sweep's turn
		}
	} else {
		sw.counts.Total++
	}
	*sw.counts.count(ts.Status())++
	if ts.status == pending {
		sw.pending.add(i)
	}
	ref := trialRef{sw.rec.Name, sw.keys[i]}
	if ts.lease == leaseCode(LeaseActive) {
		s.running[ref] = true
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

// add appends a new trial to sw.
func (s *scheduler) add(sw *sweepState, key string, ts trialState, reason string) {
	i := int32(len(sw.trials))
	sw.keys = append(sw.keys, key)
	sw.trials = append(sw.trials, trialState{})
	sw.byKey[key] = i
	s.set(sw, i, ts, reason, true)
}

// truncate drops the trials of sw from index n on, which add appended.
func (s *scheduler) truncate(sw *sweepState, n int) {
	for i := len(sw.trials) - 1; i >= n; i-- {
		ts := &sw.trials[i]
		sw.counts.Total--
		*sw.counts.count(ts.Status())--
		delete(s.running, trialRef{sw.rec.Name, sw.keys[i]})
		delete(sw.byKey, sw.keys[i])
		delete(sw.reasons, int32(i))
	}
	sw.pending.truncate(n)
	clear(sw.keys[n:])
	sw.keys, sw.trials = sw.keys[:n], sw.trials[:n]
}

// trialSource is a submission's expanded trials, by position.
type trialSource interface {
	// Len is the number of trials.
	Len() int
	// Key returns trial i's key.
	Key(i int) string
	// Inputs returns trial i's params and point.
	Inputs(i int) (params, point json.RawMessage, err error)
}

// recordSource is a trialSource of records with Key, Params and Point
// set.
type recordSource []TrialRecord

func (r recordSource) Len() int         { return len(r) }
func (r recordSource) Key(i int) string { return r[i].Key }
func (r recordSource) Inputs(i int) (json.RawMessage, json.RawMessage, error) {
	return r[i].Params, r[i].Point, nil
}

// submit adds a sweep, or grows an existing one by the trials whose keys
// are new. rec carries the spec-derived fields (Name, Filename, Source,
// Axes, BudgetSeconds, MaxAttempts); src is the spec's expansion. The
// caller has checked that the spec is compatible with the stored one.
// The new trials come as one NewTrials, whose params and point are
// computed (again) from src when the store writes them. A key that src
// gives twice is taken once if both trials have the same inputs, and is
// a key collision (ErrInvalidSpec) otherwise.
func (s *scheduler) submit(now time.Time, rec SweepRecord, src trialSource) (*Change, SubmitResult, error) {
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
	n := src.Len()
	nt := &NewTrials{Sweep: rec.Name, Base: base, Updated: now, Keys: make([]string, 0, n)}
	var pos []int32 // src position of each new trial
	index := make(map[string]int32, n)
	for i := range n {
		key := src.Key(i)
		if old != nil {
			if _, ok := old.byKey[key]; ok {
				continue
			}
		}
		if j, dup := index[key]; dup {
			if err := sameInputs(src, int(pos[int(j)-base]), i, key); err != nil {
				return nil, SubmitResult{}, err
			}
			continue
		}
		index[key] = int32(base + len(nt.Keys))
		nt.Keys = append(nt.Keys, key)
		pos = append(pos, int32(i))
	}
	nt.Inputs = func(i int) (json.RawMessage, json.RawMessage, error) { return src.Inputs(int(pos[i])) }
	if old == nil {
		nt.index = index
	}
	ch := &Change{Sweeps: []SweepRecord{rec}}
	if len(nt.Keys) > 0 {
		ch.New = []*NewTrials{nt}
	}
	res.Added = len(nt.Keys)
	res.Total = base + res.Added
	return ch, res, nil
}

// sameInputs checks that trials i and j of src, which have the same key,
// have the same params.
func sameInputs(src trialSource, i, j int, key string) error {
	a, _, err := src.Inputs(i)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSpec, err)
	}
	b, _, err := src.Inputs(j)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSpec, err)
	}
	if !bytes.Equal(a, b) {
		return fmt.Errorf("%w: %w: trials %d and %d both have key %s", ErrInvalidSpec, sweeps.ErrKeyCollision, i, j, key)
	}
	return nil
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
		if seen[t.Key] {
			continue
		}
		if sw != nil {
			if _, ok := sw.byKey[t.Key]; ok {
				continue
			}
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
		i, ok := sw.pending.peek()
		if !ok {
			continue
		}
		t := s.record(sw, i)
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
// lease id's token. It returns the trial's record.
func (s *scheduler) lookupLease(leaseID string, token uint64) (*sweepState, *TrialRecord, error) {
	ref, idToken, ok := parseLeaseID(leaseID)
	if !ok {
		return nil, nil, fmt.Errorf("%w: malformed lease id %q", ErrLeaseNotFound, leaseID)
	}
	if token != idToken {
		return nil, nil, fmt.Errorf("%w: token %d does not match lease %q", ErrInvalidArgument, token, leaseID)
	}
	sw, i, ok := s.lookup(ref.sweep, ref.key)
	if !ok {
		return nil, nil, fmt.Errorf("%w: %q names no trial", ErrLeaseNotFound, leaseID)
	}
	t := s.record(sw, i)
	return sw, &t, nil
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
		sw, i, _ := s.lookup(ref.sweep, ref.key)
		if sw.trials[i].expiry > now.UnixNano() {
			continue
		}
		t := s.record(sw, i)
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
	var first int64
	for ref := range s.running {
		sw, i, _ := s.lookup(ref.sweep, ref.key)
		if e := sw.trials[i].expiry; first == 0 || e < first {
			first = e
		}
	}
	return nanosTime(first), first != 0
}

// restoreGrace gives every active lease that expired while the coordinator
// was down one TTL from now, so that its worker, which could not heartbeat
// meanwhile, can reach the restarted coordinator. Leases that have not
// expired keep their stored expiry.
func (s *scheduler) restoreGrace(now time.Time) *Change {
	now = now.UTC()
	var out []TrialRecord
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
	pending, running := statusCodes[StatusPending], statusCodes[StatusRunning]
	for i := range sw.trials {
		ts := &sw.trials[i]
		if ts.status != pending && (ts.status != running || ts.flags&flagStop != 0) {
			continue
		}
		t := s.record(sw, int32(i))
		if t.Status == StatusPending {
			t.Status, t.Reason = StatusCancelled, reasonCancelled
		} else {
			t.StopRequested = true
		}
		t.Updated = now
		ch.Trials = append(ch.Trials, t)
	}
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
	for i := range sw.trials {
		switch sw.trials[i].Status() {
		case StatusFailed, StatusTimeout, StatusCancelled:
		default:
			continue
		}
		t := s.record(sw, int32(i))
		t.Status = StatusPending
		t.Attempts, t.Expiries = 0, 0
		t.Reason = ""
		t.RelL2 = nil
		t.StopRequested = false
		t.Updated = now
		ch.Trials = append(ch.Trials, t)
	}
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

// trial returns one trial's record, without params, point and result.
func (s *scheduler) trial(sweep, key string) (TrialRecord, bool) {
	sw, i, ok := s.lookup(sweep, key)
	if !ok {
		return TrialRecord{}, false
	}
	return s.record(sw, i), true
}
