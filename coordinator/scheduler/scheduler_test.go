package scheduler

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
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

func (h *harness) advance(d time.Duration) {
	h.now = h.now.Add(d)
	h.apply(h.s.Expire(h.now))
}

func (h *harness) complete(g *state.Grant, st state.Status, result, reason string) (bool, error) {
	h.t.Helper()
	var r []byte
	if result != "" {
		r = []byte(result)
	}
	ch, dup, err := h.s.Complete(h.now, completion(g, st, r, reason))
	if err != nil && ch != nil {
		h.t.Fatalf("complete returned a change with error %v", err)
	}
	if dup && ch != nil {
		h.t.Fatal("duplicate complete returned a change")
	}
	h.apply(ch)
	return dup, err
}

func (h *harness) trial(sweep, key string) state.TrialRecord {
	h.t.Helper()
	t, ok := h.s.Trial(sweep, key)
	if !ok {
		h.t.Fatalf("no trial %s/%s", sweep, key)
	}
	return t
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

func TestLeaseExpiryRetriesThenFails(t *testing.T) {
	for _, maxAttempts := range []int{1, 2, 3, 5} {
		t.Run(fmt.Sprintf("max%d", maxAttempts), func(t *testing.T) {
			h := newHarness(t)
			h.addSweep("s", 1, maxAttempts)
			var lastToken uint64
			for attempt := 1; attempt <= maxAttempts; attempt++ {
				g := h.mustLease(fmt.Sprintf("w%d", attempt))
				if g.Trial.Attempts != attempt {
					t.Fatalf("lease %d: attempts = %d", attempt, g.Trial.Attempts)
				}
				if g.Token <= lastToken {
					t.Fatalf("lease %d: token %d not above %d", attempt, g.Token, lastToken)
				}
				lastToken = g.Token
				if g.TTL != ttl {
					t.Fatalf("TTL = %v", g.TTL)
				}
				h.advance(ttl - time.Millisecond)
				if st := h.trial("s", "k00").Status; st != state.StatusRunning {
					t.Fatalf("before expiry: status %s", st)
				}
				h.advance(time.Millisecond)
				tr := h.trial("s", "k00")
				if attempt < maxAttempts {
					if tr.Status != state.StatusPending || tr.LeaseState != state.LeaseExpired {
						t.Fatalf("after expiry %d: %s/%s, want pending/expired", attempt, tr.Status, tr.LeaseState)
					}
				} else {
					want := fmt.Sprintf("lease expired %d %s", maxAttempts, plural(maxAttempts, "time", "times"))
					if tr.Status != state.StatusFailed || tr.Reason != want {
						t.Fatalf("after last expiry: %s %q, want failed %q", tr.Status, tr.Reason, want)
					}
				}
			}
			if g := h.lease("late"); g != nil {
				t.Fatalf("a failed trial was leased again: %+v", g)
			}
			if p := h.progress("s"); p.Failed != 1 || !p.Finished {
				t.Fatalf("progress %+v", p)
			}
		})
	}
}

func TestStaleCompletionChangesNothing(t *testing.T) {
	h := newHarness(t)
	h.addSweep("s", 1, 3)
	a := h.mustLease("A")
	h.advance(ttl)
	b := h.mustLease("B")
	if b.Token <= a.Token {
		t.Fatalf("B's token %d not above A's %d", b.Token, a.Token)
	}
	before := h.trial("s", "k00")
	if _, err := h.complete(a, state.StatusDone, okResult, ""); !errors.Is(err, state.ErrStaleToken) {
		t.Fatalf("A's late complete: %v, want state.ErrStaleToken", err)
	}
	if after := h.trial("s", "k00"); !reflect.DeepEqual(before, after) {
		t.Fatalf("stale completion changed the trial:\n%+v\n%+v", before, after)
	}
	if beat := h.heartbeat(a); !beat.Stop {
		t.Fatal("A's heartbeat did not say stop")
	}
	if _, err := h.complete(b, state.StatusDone, okResult, ""); err != nil {
		t.Fatalf("B's complete: %v", err)
	}
	if _, err := h.complete(a, state.StatusFailed, "", "late"); !errors.Is(err, state.ErrStaleToken) {
		t.Fatalf("A's complete after B's: %v, want state.ErrStaleToken", err)
	}
	tr := h.trial("s", "k00")
	if tr.Status != state.StatusDone || tr.Token != b.Token || tr.Value == nil || *tr.Value != 0.125 {
		t.Fatalf("B's result does not stand: %+v", tr)
	}
}

func (h *harness) heartbeat(g *state.Grant) state.Beat {
	h.t.Helper()
	ch, beat, err := h.s.Heartbeat(h.now, g.LeaseID, g.Token)
	if err != nil {
		h.t.Fatalf("heartbeat: %v", err)
	}
	h.apply(ch)
	return beat
}

func TestDuplicateCompletionIsIdempotent(t *testing.T) {
	for _, st := range []state.Status{state.StatusDone, state.StatusDiverged, state.StatusTimeout, state.StatusFailed} {
		t.Run(string(st), func(t *testing.T) {
			h := newHarness(t)
			h.addSweep("s", 1, 2)
			g := h.mustLease("w")
			dup, err := h.complete(g, st, okResult, "r")
			if err != nil || dup {
				t.Fatalf("first complete: dup=%v err=%v", dup, err)
			}
			before := h.trial("s", "k00")
			dup, err = h.complete(g, st, okResult, "r")
			if err != nil || !dup {
				t.Fatalf("second complete: dup=%v err=%v, want duplicate", dup, err)
			}
			if after := h.trial("s", "k00"); !reflect.DeepEqual(before, after) {
				t.Fatal("duplicate completion changed the trial")
			}
		})
	}
}

func TestCompletionOutcomes(t *testing.T) {
	tests := []struct {
		name        string
		maxAttempts int
		report      state.Status
		result      string
		want        state.Status
		attempts    int
		stored      bool // result kept
	}{
		{"done", 3, state.StatusDone, okResult, state.StatusDone, 1, true},
		{"diverged is final", 3, state.StatusDiverged, `{"rel_l2":"NaN"}`, state.StatusDiverged, 1, true},
		{"timeout is final", 3, state.StatusTimeout, `{"rel_l2":0.9}`, state.StatusTimeout, 1, true},
		{"failed retried", 3, state.StatusFailed, `{"partial":true}`, state.StatusPending, 1, false},
		{"failed on last attempt", 1, state.StatusFailed, "", state.StatusFailed, 1, false},
		{"cancelled without stop gives back", 3, state.StatusCancelled, "", state.StatusPending, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.addSweep("s", 1, tt.maxAttempts)
			g := h.mustLease("w")
			ch, _, err := h.s.Complete(h.now, completion(g, tt.report, []byte(tt.result), "why"))
			if err != nil {
				t.Fatal(err)
			}
			h.apply(ch)
			tr := h.trial("s", "k00")
			if tr.Status != tt.want || tr.Attempts != tt.attempts {
				t.Fatalf("got %s attempts %d, want %s attempts %d", tr.Status, tr.Attempts, tt.want, tt.attempts)
			}
			if got := len(ch.Results) == 1; got != tt.stored {
				t.Fatalf("result stored = %v, want %v", got, tt.stored)
			}
			if !strings.Contains(tr.Reason, "why") {
				t.Errorf("reason %q lost the worker's reason", tr.Reason)
			}
			if tt.want == state.StatusPending {
				if g2 := h.mustLease("w2"); g2.Trial.Key != "k00" || g2.Trial.Attempts != tt.attempts+1 {
					t.Fatalf("requeued trial re-leased as %+v", g2.Trial)
				}
			}
		})
	}
}

func TestDivergedNotRetried(t *testing.T) {
	h := newHarness(t)
	h.addSweep("s", 1, 5)
	g := h.mustLease("w")
	if _, err := h.complete(g, state.StatusDiverged, `{"rel_l2":"NaN","status":"diverged"}`, "loss is NaN"); err != nil {
		t.Fatal(err)
	}
	if g := h.lease("w"); g != nil {
		t.Fatal("a diverged trial was leased again")
	}
	tr := h.trial("s", "k00")
	if tr.Status != state.StatusDiverged || tr.Value != nil {
		t.Fatalf("got %s rel_l2 %v, want diverged with no finite rel_l2", tr.Status, tr.Value)
	}
}

func TestCancel(t *testing.T) {
	h := newHarness(t)
	h.addSweep("s", 6, 3)
	gs := []*state.Grant{h.mustLease("w1"), h.mustLease("w2"), h.mustLease("w3"), h.mustLease("w4")}
	ch, n, err := h.s.Cancel(h.now, "s")
	if err != nil {
		t.Fatal(err)
	}
	h.apply(ch)
	if n != 6 {
		t.Fatalf("cancel affected %d trials, want 6", n)
	}
	if p := h.progress("s"); p.Cancelled != 2 || p.Running != 4 || p.Pending != 0 {
		t.Fatalf("after cancel: %+v", p)
	}
	if g := h.lease("w5"); g != nil {
		t.Fatal("leased a trial of a cancelled sweep")
	}
	if beat := h.heartbeat(gs[0]); !beat.Stop || beat.Reason != ReasonCancelled {
		t.Fatalf("heartbeat = %+v, want stop: %s", beat, ReasonCancelled)
	}
	// Each way a stopped trial can end: failed report, release, expiry,
	// and a done result that arrived anyway.
	if _, err := h.complete(gs[0], state.StatusFailed, "", "stopped"); err != nil {
		t.Fatal(err)
	}
	ch, err = h.s.Release(h.now, gs[1].LeaseID, gs[1].Token)
	if err != nil {
		t.Fatal(err)
	}
	h.apply(ch)
	if _, err := h.complete(gs[3], state.StatusDone, okResult, ""); err != nil {
		t.Fatal(err)
	}
	h.advance(ttl + time.Second) // gs[2]'s lease expires
	want := map[string]state.Status{"k00": state.StatusCancelled, "k01": state.StatusCancelled, "k02": state.StatusCancelled, "k03": state.StatusDone, "k04": state.StatusCancelled, "k05": state.StatusCancelled}
	for k, st := range want {
		if got := h.trial("s", k).Status; got != st {
			t.Errorf("%s: %s, want %s", k, got, st)
		}
	}
	if p := h.progress("s"); !p.Finished || p.Cancelled != 5 || p.Done != 1 {
		t.Fatalf("progress %+v", p)
	}
	if _, _, err := h.s.Cancel(h.now, "nosuch"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("cancel(nosuch) = %v", err)
	}
}

func TestRelease(t *testing.T) {
	h := newHarness(t)
	h.addSweep("s", 2, 1)
	g := h.mustLease("w")
	ch, err := h.s.Release(h.now, g.LeaseID, g.Token)
	if err != nil {
		t.Fatal(err)
	}
	h.apply(ch)
	tr := h.trial("s", "k00")
	if tr.Status != state.StatusPending || tr.Attempts != 0 {
		t.Fatalf("after release: %s attempts %d, want pending 0", tr.Status, tr.Attempts)
	}
	g2 := h.mustLease("w2") // the released trial comes back first, as attempt 1 of 1
	if g2.Trial.Key != "k00" || g2.Trial.Attempts != 1 {
		t.Fatalf("re-lease: %+v", g2.Trial)
	}
	if _, err := h.s.Release(h.now, g.LeaseID, g.Token); !errors.Is(err, state.ErrStaleToken) {
		t.Fatalf("release of a superseded lease = %v, want state.ErrStaleToken", err)
	}
	if _, err := h.complete(g2, state.StatusDone, okResult, ""); err != nil {
		t.Fatal(err)
	}
	if ch, err := h.s.Release(h.now, g2.LeaseID, g2.Token); err != nil || ch != nil {
		t.Fatalf("release after complete = %v, %v; want a no-op", ch, err)
	}
	// A completion of a released lease is refused.
	g3 := h.mustLease("w3")
	ch, _ = h.s.Release(h.now, g3.LeaseID, g3.Token)
	h.apply(ch)
	if _, err := h.complete(g3, state.StatusDone, okResult, ""); !errors.Is(err, state.ErrLeaseReleased) {
		t.Fatalf("complete after release = %v, want state.ErrLeaseReleased", err)
	}
}

func TestCompleteAfterExpiry(t *testing.T) {
	h := newHarness(t)
	h.addSweep("s", 1, 2)
	g := h.mustLease("w")
	h.advance(ttl)
	if _, err := h.complete(g, state.StatusDone, okResult, ""); !errors.Is(err, state.ErrLeaseExpired) {
		t.Fatalf("complete of an expired lease = %v, want state.ErrLeaseExpired", err)
	}
	if beat := h.heartbeat(g); !beat.Stop || beat.Reason != "lease expired" {
		t.Fatalf("heartbeat of an expired lease = %+v", beat)
	}
}

func TestHeartbeatExtendsLease(t *testing.T) {
	h := newHarness(t)
	h.addSweep("s", 1, 1)
	g := h.mustLease("w")
	for range 5 {
		h.advance(ttl - time.Second)
		if beat := h.heartbeat(g); beat.Stop || beat.TTL != ttl {
			t.Fatalf("heartbeat = %+v", beat)
		}
	}
	if tr := h.trial("s", "k00"); tr.Status != state.StatusRunning || !tr.LeaseExpiry.Equal(h.now.Add(ttl)) {
		t.Fatalf("lease not extended: %+v", tr)
	}
	if exp, ok := h.s.NextExpiry(); !ok || !exp.Equal(h.now.Add(ttl)) {
		t.Fatalf("nextExpiry = %v %v", exp, ok)
	}
}

func TestFairnessRoundRobin(t *testing.T) {
	h := newHarness(t)
	h.addSweep("a", 4, 1)
	h.addSweep("b", 2, 1)
	h.addSweep("c", 3, 1)
	var got []string
	for g := h.lease("w"); g != nil; g = h.lease("w") {
		got = append(got, g.Trial.Sweep+":"+g.Trial.Key)
	}
	want := []string{"a:k00", "b:k00", "c:k00", "a:k01", "b:k01", "c:k01", "a:k02", "c:k02", "a:k03"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("lease order\n got  %v\n want %v", got, want)
	}
}

func TestFairnessWithLateSweep(t *testing.T) {
	h := newHarness(t)
	h.addSweep("a", 10, 1)
	for range 3 {
		h.mustLease("w")
	}
	h.addSweep("b", 10, 1)
	var got []string
	for range 4 {
		got = append(got, h.mustLease("w").Trial.Sweep)
	}
	if want := []string{"b", "a", "b", "a"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestRequeueFailed(t *testing.T) {
	h := newHarness(t)
	h.addSweep("s", 4, 1)
	outcomes := []state.Status{state.StatusFailed, state.StatusTimeout, state.StatusDiverged, state.StatusDone}
	for _, st := range outcomes {
		g := h.mustLease("w")
		if _, err := h.complete(g, st, okResult, "x"); err != nil {
			t.Fatal(err)
		}
	}
	ch, n, err := h.s.RequeueFailed(h.now, "s")
	if err != nil {
		t.Fatal(err)
	}
	h.apply(ch)
	if n != 2 || len(ch.Results) != 2 {
		t.Fatalf("requeued %d (results dropped %d), want 2", n, len(ch.Results))
	}
	for _, k := range []string{"k00", "k01"} {
		tr := h.trial("s", k)
		if tr.Status != state.StatusPending || tr.Attempts != 0 || tr.Reason != "" {
			t.Fatalf("%s after requeue: %+v", k, tr)
		}
	}
	g := h.mustLease("w")
	if g.Trial.Key != "k00" || g.Trial.Attempts != 1 {
		t.Fatalf("requeued trial leased as %+v", g.Trial)
	}
	// The old lease of k00 is stale now.
	if p := h.progress("s"); p.Done != 1 || p.Diverged != 1 || p.Running != 1 || p.Pending != 1 {
		t.Fatalf("progress %+v", p)
	}
}

func TestRestoreKeepsLeases(t *testing.T) {
	h := newHarness(t)
	h.addSweep("s", 3, 2)
	g1 := h.mustLease("w1")
	h.advance(10 * time.Second)
	g2 := h.mustLease("w2")
	// "Restart": rebuild from the records at 35s (g1 expires at 30s,
	// g2 at 40s).
	s2, err := FromSnapshot(ttl, stateOf(h.s))
	if err != nil {
		t.Fatal(err)
	}
	h.s = s2
	h.now = h.now.Add(25 * time.Second) // 35s: g1's expiry passed while "down"
	h.apply(h.s.RestoreGrace(h.now))
	if tr := h.trial("s", g1.Trial.Key); tr.Status != state.StatusRunning || !tr.LeaseExpiry.Equal(h.now.Add(ttl)) {
		t.Fatalf("lease expired during downtime not given grace: %+v", tr)
	}
	if tr := h.trial("s", g2.Trial.Key); !tr.LeaseExpiry.Equal(epoch.Add(40 * time.Second)) {
		t.Fatalf("live lease's expiry changed: %v", tr.LeaseExpiry)
	}
	if beat := h.heartbeat(g1); beat.Stop {
		t.Fatalf("restored lease refused: %+v", beat)
	}
	g3 := h.mustLease("w3")
	if g3.Token <= g2.Token {
		t.Fatalf("token after restore %d not above %d", g3.Token, g2.Token)
	}
	h.advance(6 * time.Second) // 41s: g2 expires
	if tr := h.trial("s", g2.Trial.Key); tr.Status != state.StatusPending {
		t.Fatalf("g2 after its expiry: %s", tr.Status)
	}
}

func TestBadCompletions(t *testing.T) {
	h := newHarness(t)
	h.addSweep("s", 1, 1)
	g := h.mustLease("w")
	tests := []struct {
		name string
		c    state.Completion
		want error
	}{
		{"pending status", state.Completion{LeaseID: g.LeaseID, Token: g.Token, Status: state.StatusPending}, state.ErrInvalidArgument},
		{"empty status", state.Completion{LeaseID: g.LeaseID, Token: g.Token}, state.ErrInvalidArgument},
		{"done without result", state.Completion{LeaseID: g.LeaseID, Token: g.Token, Status: state.StatusDone}, state.ErrInvalidArgument},
		{"token differs from lease id", state.Completion{LeaseID: g.LeaseID, Token: g.Token + 1, Status: state.StatusFailed}, state.ErrInvalidArgument},
		{"malformed lease id", state.Completion{LeaseID: "nonsense", Token: 1, Status: state.StatusFailed}, state.ErrLeaseNotFound},
		{"unknown trial", state.Completion{LeaseID: "s/nokey/1", Token: 1, Status: state.StatusFailed}, state.ErrLeaseNotFound},
		{"unknown sweep", state.Completion{LeaseID: "x/k00/1", Token: 1, Status: state.StatusFailed}, state.ErrLeaseNotFound},
		{"older token", state.Completion{LeaseID: "s/k00/" + fmt.Sprint(g.Token-1), Token: g.Token - 1, Status: state.StatusFailed}, state.ErrLeaseNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, _, err := h.s.Complete(h.now, tt.c)
			if !errors.Is(err, tt.want) || ch != nil {
				t.Fatalf("got %v (change %v), want %v", err, ch, tt.want)
			}
		})
	}
	if tr := h.trial("s", "k00"); tr.Status != state.StatusRunning {
		t.Fatalf("bad completions changed the trial: %s", tr.Status)
	}
}

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
	if !h.s.running[trialRef{"a", first.Trial.Key}] {
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
	c := state.Completion{LeaseID: g.LeaseID, Token: g.Token, Worker: "w", Status: st, Result: r, Reason: reason}
	if v, ok := verdict.Default().Result(r); ok {
		c.Value = &v
	}
	return c
}
