package scheduler

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// schedSnapshot is a scheduler's state in a canonical form: what revert
// must restore exactly.
type schedSnapshot struct {
	NextToken uint64
	RR        int
	Order     []string
	Running   []trialRef
	Sweeps    map[string]sweepSnapshot
}

type sweepSnapshot struct {
	Rec     state.SweepRecord
	Trials  map[string]state.TrialRecord
	Counts  state.Progress
	Pending []int32 // in queue order
	ByKey   int     // entries of the key map
}

func snapshot(s *Scheduler) schedSnapshot {
	snap := schedSnapshot{
		NextToken: s.nextToken,
		RR:        s.rr,
		Order:     append([]string(nil), s.order...), // nil when empty
		Sweeps:    map[string]sweepSnapshot{},
	}
	for ref := range s.running {
		snap.Running = append(snap.Running, ref)
	}
	slices.SortFunc(snap.Running, func(a, b trialRef) int {
		if a.sweep != b.sweep {
			return map[bool]int{true: -1, false: 1}[a.sweep < b.sweep]
		}
		return map[bool]int{true: -1, false: 1}[a.key < b.key]
	})
	for name, sw := range s.sweeps {
		ss := sweepSnapshot{Rec: sw.rec, Trials: map[string]state.TrialRecord{}, Counts: sw.counts, ByKey: len(sw.byKey)}
		for i := range sw.trials {
			t := s.record(sw, int32(i))
			ss.Trials[t.Key] = t
		}
		ss.Pending = sw.pending.members()
		snap.Sweeps[name] = ss
	}
	return snap
}

// randomOps drives a harness with random events and returns the changes
// they made, each applied as the engine would stage it.
type randomDriver struct {
	h      *harness
	rng    *rand.Rand
	grants []*state.Grant
	sweeps int
}

// step computes one random event against the current state and returns
// its change (nil if it changed nothing), without applying it.
func (d *randomDriver) step() *state.Change {
	h := d.h
	switch r := d.rng.IntN(100); {
	case r < 8: // new sweep, or growth of an existing one
		name := fmt.Sprintf("s%d", d.rng.IntN(d.sweeps+1))
		if name == fmt.Sprintf("s%d", d.sweeps) {
			d.sweeps++
		}
		var trials state.InputList
		for i := range 1 + d.rng.IntN(6) {
			k := fmt.Sprintf("k%02d", d.rng.IntN(12)+i)
			trials = append(trials, state.TrialInputs{Key: k, Params: []byte(`{"k":"` + k + `"}`), Point: []byte(`{}`)})
		}
		ch, _, err := h.s.Submit(h.now, state.SweepRecord{Name: name, Axes: []string{"k"}, MaxAttempts: 1 + d.rng.IntN(3)}, trials)
		if err != nil {
			h.t.Fatal(err)
		}
		return ch
	case r < 40:
		var filter []string
		if d.rng.IntN(3) == 0 {
			filter = []string{fmt.Sprintf("s%d", d.rng.IntN(d.sweeps+1))}
		}
		ch, g := h.s.Lease(h.now, fmt.Sprintf("w%d", d.rng.IntN(3)), filter)
		if g != nil {
			d.grants = append(d.grants, g)
		}
		return ch
	case r < 70 && len(d.grants) > 0:
		g := d.grants[d.rng.IntN(len(d.grants))]
		st := []state.Status{state.StatusDone, state.StatusFailed, state.StatusCancelled, state.StatusDiverged, state.StatusTimeout}[d.rng.IntN(5)]
		ch, _, _ := h.s.Complete(h.now, completion(g, st, []byte(okResult), ""))
		return ch
	case r < 78 && len(d.grants) > 0:
		g := d.grants[d.rng.IntN(len(d.grants))]
		ch, _, _ := h.s.Heartbeat(h.now, g.Claim())
		return ch
	case r < 84 && len(d.grants) > 0:
		g := d.grants[d.rng.IntN(len(d.grants))]
		ch, _ := h.s.Release(h.now, g.Claim())
		return ch
	case r < 88 && d.sweeps > 0:
		ch, _, _ := h.s.Cancel(h.now, fmt.Sprintf("s%d", d.rng.IntN(d.sweeps)))
		return ch
	case r < 92 && d.sweeps > 0:
		ch, _, _ := h.s.RequeueFailed(h.now, fmt.Sprintf("s%d", d.rng.IntN(d.sweeps)))
		return ch
	default:
		h.now = h.now.Add(time.Duration(d.rng.IntN(20)) * time.Second)
		return h.s.Expire(h.now)
	}
}

// TestRevertRestoresState stages random batches of dependent changes on
// top of random states, then rolls them back, and checks that the
// scheduler is exactly as before (pending queues compared in order).
func TestRevertRestoresState(t *testing.T) {
	for seed := range uint64(50) {
		d := &randomDriver{h: newHarness(t), rng: rand.New(rand.NewPCG(seed, 7))}
		for round := range 30 {
			// Commit a few changes for real.
			for range d.rng.IntN(5) {
				d.h.apply(d.step())
			}
			before := snapshot(d.h.s)
			now := d.h.now
			grants, sweeps := len(d.grants), d.sweeps
			b := &staging{s: d.h.s}
			for range 1 + d.rng.IntN(10) {
				b.stage(d.step())
			}
			staged := len(b.changes)
			b.rollback()
			if after := snapshot(d.h.s); !reflect.DeepEqual(before, after) {
				t.Fatalf("seed %d round %d: rolling back %d changes did not restore the state:\nbefore %+v\nafter  %+v",
					seed, round, staged, before, after)
			}
			d.h.now = now
			d.grants, d.sweeps = d.grants[:grants], sweeps
		}
	}
}

// TestMergeIsSequentialCommit checks that committing the merge of
// a batch's changes stores what committing them one by one does, and that
// the merged change puts every record once.
func TestMergeIsSequentialCommit(t *testing.T) {
	ctx := context.Background()
	for seed := range uint64(30) {
		d := &randomDriver{h: newHarness(t), rng: rand.New(rand.NewPCG(seed, 11))}
		one, merged := state.NewMemoryStore(), state.NewMemoryStore()
		for range 20 {
			b := &staging{s: d.h.s}
			for range 1 + d.rng.IntN(12) {
				b.stage(d.step())
			}
			for _, ch := range b.changes {
				if err := one.Commit(ctx, ch); err != nil {
					t.Fatal(err)
				}
			}
			if len(b.changes) == 0 {
				continue
			}
			m := state.Merge(b.changes)
			seen := map[trialRef]bool{}
			for _, tr := range m.Trials {
				ref := trialRef{tr.Sweep, tr.Key}
				if seen[ref] {
					t.Fatalf("seed %d: merged change puts %s twice", seed, tr.ID())
				}
				seen[ref] = true
			}
			if err := merged.Commit(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		a, err := one.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b, err := merged.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		state.SortTrials(a.Trials)
		state.SortTrials(b.Trials)
		slices.SortFunc(a.Sweeps, func(x, y state.SweepRecord) int { return cmpString(x.Name, y.Name) })
		slices.SortFunc(b.Sweeps, func(x, y state.SweepRecord) int { return cmpString(x.Name, y.Name) })
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d: merged commits differ from sequential ones:\n%+v\n%+v", seed, a, b)
		}
		for _, sw := range a.Sweeps {
			ra, _ := one.Trials(ctx, sw.Name)
			rb, _ := merged.Trials(ctx, sw.Name)
			if !reflect.DeepEqual(ra, rb) {
				t.Fatalf("seed %d: results of %s differ", seed, sw.Name)
			}
		}
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestMergeKeepsInputs: a trial created with its params and point and
// changed again in the same batch (a refined trial leased at once) is
// stored with its inputs.
func TestMergeKeepsInputs(t *testing.T) {
	ctx := context.Background()
	st := state.NewMemoryStore()
	if err := st.Commit(ctx, &state.Change{Sweeps: []state.SweepRecord{{Name: "s", MaxAttempts: 1}}}); err != nil {
		t.Fatal(err)
	}
	created := &state.NewTrials{Sweep: "s", Keys: []string{"k"},
		Inputs: state.InputList{{Key: "k", Params: []byte(`{"a":1}`), Point: []byte(`{"a":1}`)}}}
	leased := state.TrialRecord{Sweep: "s", Key: "k", Status: state.StatusRunning, LeaseState: state.LeaseActive, Token: 1}
	ch := state.Merge([]*state.Change{{New: []*state.NewTrials{created}}, {Trials: []state.TrialRecord{leased}, NextToken: 2}})
	if err := st.Commit(ctx, ch); err != nil {
		t.Fatal(err)
	}
	tr, err := st.Trial(ctx, "s", "k")
	if err != nil || tr.Status != state.StatusRunning || string(tr.Params) != `{"a":1}` || string(tr.Point) != `{"a":1}` {
		t.Fatalf("stored %+v, %v", tr, err)
	}
}

// staging stages changes as the engine's batch does: each applied at once,
// its undo kept.
type staging struct {
	s       *Scheduler
	changes []*state.Change
	undos   []Undo
}

func (b *staging) stage(ch *state.Change) {
	if ch.Empty() {
		return
	}
	b.undos = append(b.undos, b.s.Apply(ch))
	b.changes = append(b.changes, ch)
}

// rollback reverts every staged change, newest first.
func (b *staging) rollback() {
	for i := len(b.undos) - 1; i >= 0; i-- {
		b.s.Revert(b.undos[i])
	}
	b.undos, b.changes = nil, nil
}
