package scheduler

import (
	"fmt"
	"time"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// Scheduler is the coordinator's deterministic core, in the style of
// etcd-raft: it does no I/O and reads no clock (its one source of
// randomness, the lease secrets, can be set: SetSecretSource). Every event method takes
// the current time and returns the state.Change it implies without
// touching the scheduler's state; the engine applies it (Apply) so that
// the next event of the same batch sees it, commits the batch to the
// store, and takes the batch back (Revert) if the commit fails. Queries
// run only between batches, so they read committed state.
//
// It keeps each trial in compact form (about 50 bytes, plus the key and
// its map entry), without the params and point, which the store keeps and
// the engine reads when it needs them (a lease, an export, refinement).
// Event methods build full records, without params and point, only for
// the trials they change.
//
// A Scheduler is not safe for concurrent use; the engine serialises all
// calls.
type Scheduler struct {
	ttl       time.Duration
	nextToken uint64
	sweeps    map[string]*sweepState
	order     []string          // sweep names in creation order
	rr        int               // position in order of the sweep served next
	workers   []string          // interned worker ids; workers[0] is ""
	workerIdx map[string]uint32 // worker id → position in workers

	// running holds the trials with an active lease, and each lease's
	// secret (zero for one granted before secrets existed); secrets draws
	// the secret of a new lease (state.NewLeaseSecret).
	running map[trialRef]state.LeaseSecret
	secrets func() state.LeaseSecret

	// submitted is the key index that Submit built for the new sweep of
	// the change it returned, which Apply adopts as the sweep's map rather
	// than build it again (a million keys).
	submitted *submittedIndex
}

// submittedIndex is the key index of a submission's new trials.
type submittedIndex struct {
	nt    *state.NewTrials
	index map[string]int32
}

// trialRef names a trial.
type trialRef struct{ sweep, key string }

// sweepState is one sweep's applied state. Its trials are stored by
// index (a sweep's indexes are 0..n-1).
type sweepState struct {
	rec     state.SweepRecord
	keys    []string         // trial keys by index
	byKey   map[string]int32 // trial key → index
	trials  []trialState     // trial states by index
	reasons map[int32]string // the non-empty reasons, by index
	counts  state.Progress
	pending pendingSet
}

// trialState is a trial as the scheduler keeps it: a state.TrialRecord
// without its sweep and key (the sweepState's), index (its position),
// lease id (derived), params, point and result (in the store), and reason
// (in sweepState.reasons, since most trials have none). Its status and
// lease state are the tables' ordinals, and its flags the scheduler's own:
// none of it is the disk format.
type trialState struct {
	token    uint64
	expiry   int64 // lease expiry, Unix ns; 0: none
	updated  int64 // Unix ns; 0: the zero time
	value    float64
	attempts int32
	expiries int32
	worker   uint32 // position in Scheduler.workers
	status   uint8  // state.Status.Ordinal
	lease    uint8  // state.LeaseState.Ordinal
	flags    uint8  // flagStop, flagValue
}

// Flags of trialState.
const (
	flagStop  = 1 << 0 // StopRequested
	flagValue = 1 << 1 // value is set
)

// Ordinals of the statuses and lease states the scheduler tests often.
var (
	ordPending = state.StatusPending.Ordinal()
	ordRunning = state.StatusRunning.Ordinal()
	ordActive  = state.LeaseActive.Ordinal()
)

// New returns a scheduler with no sweeps, whose leases live ttl without a
// heartbeat and whose next fencing token is nextToken (at least 1).
func New(ttl time.Duration, nextToken uint64) *Scheduler {
	return &Scheduler{
		ttl:       ttl,
		nextToken: max(nextToken, 1),
		sweeps:    map[string]*sweepState{},
		running:   map[trialRef]state.LeaseSecret{},
		secrets:   state.NewLeaseSecret,
		workers:   []string{""},
		workerIdx: map[string]uint32{"": 0},
	}
}

// FromSnapshot builds a scheduler from a store's content (the records of
// snap.Trials are not kept). Stored state that cannot be right (an index
// twice, a running trial without an active lease, a token at or above the
// counter) gives state.ErrCorrupt.
func FromSnapshot(ttl time.Duration, snap *state.Snapshot) (*Scheduler, error) {
	l := NewLoader(ttl)
	for i := range snap.Trials {
		if err := l.Add(&snap.Trials[i]); err != nil {
			return nil, err
		}
	}
	return l.Finish(snap)
}

// SetSecretSource makes f draw the secrets of new leases instead of
// crypto/rand (state.NewLeaseSecret): for tests that need reproducible
// grants. The secrets must be unguessable in production.
func (s *Scheduler) SetSecretSource(f func() state.LeaseSecret) { s.secrets = f }

// TTL returns the leases' time to live.
func (s *Scheduler) TTL() time.Duration { return s.ttl }

// Status returns the trial's status.
func (ts *trialState) Status() state.Status { return state.StatusAt(ts.status) }

// compact returns the compact state of t, interning its worker id.
func (s *Scheduler) compact(t *state.TrialRecord) (trialState, error) {
	sc, lc := t.Status.Ordinal(), t.LeaseState.Ordinal()
	if sc == 0xff || lc == 0xff {
		return trialState{}, fmt.Errorf("trial %s: invalid status %q or lease state %q", t.ID(), t.Status, t.LeaseState)
	}
	if t.Attempts != int(int32(t.Attempts)) || t.Expiries != int(int32(t.Expiries)) {
		return trialState{}, fmt.Errorf("trial %s: %d attempts, %d expiries", t.ID(), t.Attempts, t.Expiries)
	}
	ts := trialState{
		token:    t.Token,
		expiry:   state.UnixNano(t.LeaseExpiry),
		updated:  state.UnixNano(t.Updated),
		attempts: int32(t.Attempts),
		expiries: int32(t.Expiries),
		worker:   s.workerID(t.Worker),
		status:   sc,
		lease:    lc,
	}
	if t.StopRequested {
		ts.flags |= flagStop
	}
	if t.Value != nil {
		ts.flags |= flagValue
		ts.value = *t.Value
	}
	return ts, nil
}

// workerID interns a worker id.
func (s *Scheduler) workerID(w string) uint32 {
	if id, ok := s.workerIdx[w]; ok {
		return id
	}
	id := uint32(len(s.workers))
	s.workers = append(s.workers, w)
	s.workerIdx[w] = id
	return id
}

// record returns trial i of sw as a record, without params, point and
// result.
func (s *Scheduler) record(sw *sweepState, i int32) state.TrialRecord {
	ts := &sw.trials[i]
	lease, _ := state.LeaseAt(ts.lease)
	t := state.TrialRecord{
		Sweep:         sw.rec.Name,
		Key:           sw.keys[i],
		Index:         int(i),
		Status:        state.StatusAt(ts.status),
		Attempts:      int(ts.attempts),
		Expiries:      int(ts.expiries),
		Reason:        sw.reasons[i],
		Worker:        s.workers[ts.worker],
		Token:         ts.token,
		LeaseState:    lease,
		LeaseExpiry:   state.TimeOfUnixNano(ts.expiry),
		StopRequested: ts.flags&flagStop != 0,
		Updated:       state.TimeOfUnixNano(ts.updated),
	}
	if ts.token != 0 {
		t.LeaseID = state.LeaseID(t.Sweep, t.Key, ts.token)
	}
	if ts.lease == ordActive {
		t.LeaseSecret = s.running[trialRef{t.Sweep, t.Key}]
	}
	if ts.flags&flagValue != 0 {
		v := ts.value
		t.Value = &v
	}
	return t
}

// lookup returns the sweep and index of a trial.
func (s *Scheduler) lookup(sweep, key string) (*sweepState, int32, bool) {
	sw := s.sweeps[sweep]
	if sw == nil {
		return nil, 0, false
	}
	i, ok := sw.byKey[key]
	return sw, i, ok
}
