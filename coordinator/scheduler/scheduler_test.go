package scheduler

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/verdict"
)

const ttl = 30 * time.Second

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// harness drives a scheduler like the engine does (compute, "commit",
// apply) with a fake clock.
type harness struct {
	t   *testing.T
	s   *Scheduler
	now time.Time
}

func newHarness(t *testing.T) *harness {
	return &harness{t: t, s: New(ttl, 1), now: epoch}
}

func (h *harness) apply(ch *state.Change) {
	if ch != nil {
		h.s.Apply(ch)
	}
}

// addSweep submits a sweep with n trials k00..k(n-1) and the given
// attempt limit.
func (h *harness) addSweep(name string, n, maxAttempts int) {
	h.t.Helper()
	ch, res, err := h.s.Submit(h.now, state.SweepRecord{Name: name, Axes: []string{"i"}, MaxAttempts: maxAttempts}, inputs(n))
	if err != nil {
		h.t.Fatal(err)
	}
	if res.Added != n {
		h.t.Fatalf("submit added %d, want %d", res.Added, n)
	}
	h.apply(ch)
}

func (h *harness) lease(worker string) *state.Grant {
	h.t.Helper()
	ch, g := h.s.Lease(h.now, worker, nil)
	h.apply(ch)
	return g
}

func (h *harness) mustLease(worker string) *state.Grant {
	h.t.Helper()
	g := h.lease(worker)
	if g == nil {
		h.t.Fatal("lease: no trial available")
	}
	return g
}

func (h *harness) progress(sweep string) state.Progress {
	h.t.Helper()
	p, err := h.s.Progress(sweep)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

const okResult = `{"rel_l2":0.125,"abs_err":0.01}`

// stateOf returns the scheduler's records as a store would load them.
func stateOf(s *Scheduler) *state.Snapshot {
	st := &state.Snapshot{NextToken: s.nextToken}
	for _, sw := range s.sweeps {
		st.Sweeps = append(st.Sweeps, sw.rec)
		for i := range sw.trials {
			st.Trials = append(st.Trials, s.record(sw, int32(i)))
		}
	}
	return st
}

// TestRestoreOrder: a restored scheduler, built from records in any order
// (a store loads them in key order), hands out the pending trials in index
// order with the same counts; a trial stored twice is corrupt.
func TestRestoreOrder(t *testing.T) {
	h := newHarness(t)
	h.addSweep("a", 40, 2)
	h.addSweep("b", 3, 2)
	first := h.mustLease("w") // a's index 0 stays running
	st := stateOf(h.s)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(st.Trials), func(i, j int) {
		st.Trials[i], st.Trials[j] = st.Trials[j], st.Trials[i]
	})
	want := h.progress("a")
	s2, err := FromSnapshot(ttl, st)
	if err != nil {
		t.Fatal(err)
	}
	h.s = s2
	if got := h.progress("a"); got != want {
		t.Fatalf("progress after restore %+v, want %+v", got, want)
	}
	if _, ok := h.s.running[trialRef{"a", first.Trial.Key}]; !ok {
		t.Fatal("the running trial's lease was not restored")
	}
	next := 1
	for {
		g := h.lease("w")
		if g == nil {
			break
		}
		if g.Trial.Sweep == "a" {
			if g.Trial.Index != next {
				t.Fatalf("leased a's index %d, want %d", g.Trial.Index, next)
			}
			next++
		}
	}
	if next != 40 {
		t.Fatalf("leased a's trials up to index %d, want 39", next-1)
	}

	dup := stateOf(h.s)
	dup.Trials = append(dup.Trials, dup.Trials[0])
	if _, err := FromSnapshot(ttl, dup); !errors.Is(err, state.ErrCorrupt) {
		t.Fatalf("a trial stored twice: err %v, want state.ErrCorrupt", err)
	}
}

// inputs returns an InputList of n trials k00..k(n-1).
func inputs(n int) state.InputList {
	var out state.InputList
	for i := range n {
		out = append(out, state.TrialInputs{
			Key:    fmt.Sprintf("k%02d", i),
			Params: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i)),
			Point:  json.RawMessage(fmt.Sprintf(`{"i":%d}`, i)),
		})
	}
	return out
}

// completion returns the completion of g with status st and result r,
// with the result's rel_l2 read as the engine reads the metric.
func completion(g *state.Grant, st state.Status, r []byte, reason string) state.Completion {
	c := state.Completion{LeaseClaim: state.LeaseClaim{LeaseID: g.LeaseID, Token: g.Token, Worker: "w", Secret: g.Secret},
		Status: st, Result: r, Reason: reason}
	if v, ok := verdict.Default().Result(r); ok {
		c.Value = &v
	}
	return c
}

// TestCompleteAckFinal: a completion's Ack says final exactly when the
// trial's status is final afterwards, for each of Complete's rules, and a
// duplicate of it says what the trial's status is now: the workers keep
// or remove a trial's checkpoints by it.
func TestCompleteAckFinal(t *testing.T) {
	for _, tc := range []struct {
		name        string
		maxAttempts int
		cancel      bool // the sweep is cancelled while the trial runs
		status      state.Status
		result      []byte
		want        state.Status
	}{
		{"done", 2, false, state.StatusDone, []byte(okResult), state.StatusDone},
		{"diverged", 2, false, state.StatusDiverged, nil, state.StatusDiverged},
		{"timeout", 2, false, state.StatusTimeout, nil, state.StatusTimeout},
		{"failed with an attempt left", 2, false, state.StatusFailed, nil, state.StatusPending},
		{"failed on the last attempt", 1, false, state.StatusFailed, nil, state.StatusFailed},
		{"given up by the worker", 1, false, state.StatusCancelled, nil, state.StatusPending},
		{"stopped by a cancelled sweep", 2, true, state.StatusCancelled, nil, state.StatusCancelled},
		{"failed in a cancelled sweep", 2, true, state.StatusFailed, nil, state.StatusCancelled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.addSweep("s", 1, tc.maxAttempts)
			g := h.mustLease("w")
			if tc.cancel {
				ch, _, err := h.s.Cancel(h.now, "s")
				if err != nil {
					t.Fatal(err)
				}
				h.apply(ch)
			}
			c := completion(g, tc.status, tc.result, "")
			ch, ack, err := h.s.Complete(h.now, c)
			if err != nil {
				t.Fatal(err)
			}
			h.apply(ch)
			if got := ch.Trials[0].Status; got != tc.want {
				t.Fatalf("status after the completion %s, want %s", got, tc.want)
			}
			if want := (state.Ack{Final: tc.want.Final()}); ack != want {
				t.Errorf("ack %+v, want %+v", ack, want)
			}
			if _, dup, err := h.s.Complete(h.now, c); err != nil || dup != (state.Ack{Duplicate: true, Final: tc.want.Final()}) {
				t.Errorf("duplicate: ack %+v, %v; want a duplicate with final %v", dup, err, tc.want.Final())
			}
		})
	}

	// A trial requeued since its final completion is no longer final: a
	// duplicate of that completion says so.
	h := newHarness(t)
	h.addSweep("s", 1, 1)
	g := h.mustLease("w")
	c := completion(g, state.StatusFailed, nil, "")
	ch, ack, err := h.s.Complete(h.now, c)
	if err != nil || !ack.Final {
		t.Fatalf("last attempt failed: ack %+v, %v; want final", ack, err)
	}
	h.apply(ch)
	ch, _, err = h.s.RequeueFailed(h.now, "s")
	if err != nil {
		t.Fatal(err)
	}
	h.apply(ch)
	if _, dup, err := h.s.Complete(h.now, c); err != nil || dup != (state.Ack{Duplicate: true}) {
		t.Errorf("duplicate after RequeueFailed: ack %+v, %v; want a duplicate, not final", dup, err)
	}
}
