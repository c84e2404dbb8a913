// Package storetest is a conformance suite for implementations of
// state.Store, in the style of gonum's testblas: every store
// (the bbolt one, the in-memory one, any future one) runs the same tests.
//
// # Usage
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.Opener {
//			path := filepath.Join(t.TempDir(), "db")
//			return func() state.Store { return mustOpen(t, path) }
//		})
//	}
//
// Each test gets a fresh Opener. Calling it again after closing the
// store it returned must reopen the same data.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// Opener opens the store under test. A second call, made after the first
// store was closed, must return a store over the same data.
type Opener func() state.Store

// Run runs the conformance suite. newOpener is called once per test.
func Run(t *testing.T, newOpener func(t *testing.T) Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"Empty", testEmpty},
		{"CommitLoad", testCommitLoad},
		{"TrialsWithResults", testTrialsWithResults},
		{"Replace", testReplace},
		{"DeleteResult", testDeleteResult},
		{"UnknownSweep", testUnknownSweep},
		{"SweepWithoutTrials", testSweepWithoutTrials},
		{"CancelledContext", testCancelledContext},
		{"EmptyChange", testEmptyChange},
		{"Reopen", testReopen},
		{"Isolation", testIsolation},
		{"UpdateOfMissingTrial", testUpdateOfMissingTrial},
		{"InputsNeverChange", testInputsNeverChange},
		{"StderrTails", testStderrTails},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newOpener(t))
		})
	}
}

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.UTC)

func sweep(name string) state.SweepRecord {
	return state.SweepRecord{
		Name:          name,
		Filename:      name + ".yaml",
		Source:        "name: " + name + "\n",
		Axes:          []string{"beta", "seed"},
		BudgetSeconds: 60,
		MaxAttempts:   3,
		Created:       t0,
		Updated:       t0,
		Submissions:   1,
	}
}

func trial(sw string, i int, st state.Status) state.TrialRecord {
	t := state.TrialRecord{
		Sweep:   sw,
		Key:     fmt.Sprintf("%016x", 0xabc000+i),
		Index:   i,
		Status:  st,
		Params:  json.RawMessage(fmt.Sprintf(`{"beta":%d,"seed":0}`, i)),
		Point:   json.RawMessage(fmt.Sprintf(`{"beta":%d,"seed":0}`, i)),
		Updated: t0,
	}
	if st == state.StatusRunning {
		t.Attempts, t.Token, t.Worker = 1, uint64(10+i), "w1"
		t.LeaseID = fmt.Sprintf("%s/%s/%d", sw, t.Key, t.Token)
		t.LeaseState = state.LeaseActive
		t.LeaseSecret = state.LeaseSecret{0xa5, byte(i), 0xff} // stored with the active lease
		t.LeaseExpiry = t0.Add(30 * time.Second)
	}
	if st == state.StatusDone {
		v := 0.25
		t.Value, t.Attempts, t.Token = &v, 1, uint64(100+i)
		t.LeaseState = state.LeaseCompleted
	}
	return t
}

// created returns the change part that creates trials: a New run per
// sweep and run of consecutive indexes, with the trials' inputs, and the
// trials themselves as the runs' new states (a store creates New first).
func created(trials ...state.TrialRecord) (runs []*state.NewTrials, states []state.TrialRecord) {
	sorted := slices.Clone(trials)
	state.SortTrials(sorted)
	var nt *state.NewTrials
	for _, tr := range sorted {
		if nt == nil || nt.Sweep != tr.Sweep || nt.Base+len(nt.Keys) != tr.Index {
			nt = &state.NewTrials{Sweep: tr.Sweep, Base: tr.Index, Inputs: state.InputList{}, Updated: t0}
			runs = append(runs, nt)
		}
		nt.Keys = append(nt.Keys, tr.Key)
		nt.Inputs = append(nt.Inputs.(state.InputList), state.TrialInputs{Key: tr.Key, Params: tr.Params, Point: tr.Point})
	}
	return runs, trials
}

// create returns a change that creates sweeps and trials.
func create(sweeps []state.SweepRecord, trials ...state.TrialRecord) *state.Change {
	runs, states := created(trials...)
	return &state.Change{Sweeps: sweeps, New: runs, Trials: states}
}

func mustCommit(t *testing.T, s state.Store, ch *state.Change) {
	t.Helper()
	if err := s.Commit(context.Background(), ch); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func mustLoad(t *testing.T, s state.Store) *state.Snapshot {
	t.Helper()
	st, err := s.Load(context.Background())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return st
}

func mustClose(t *testing.T, s state.Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// byKey indexes trials by sweep/key.
func byKey(ts []state.TrialRecord) map[string]state.TrialRecord {
	m := map[string]state.TrialRecord{}
	for _, t := range ts {
		m[t.ID()] = t
	}
	return m
}

func sameTrial(t *testing.T, got, want state.TrialRecord) {
	t.Helper()
	if !got.Updated.Equal(want.Updated) || !got.LeaseExpiry.Equal(want.LeaseExpiry) {
		t.Errorf("trial %s times: got %v/%v, want %v/%v", want.ID(), got.Updated, got.LeaseExpiry, want.Updated, want.LeaseExpiry)
	}
	got.Updated, want.Updated = time.Time{}, time.Time{}
	got.LeaseExpiry, want.LeaseExpiry = time.Time{}, time.Time{}
	if len(got.Result) == 0 {
		got.Result = nil
	}
	if len(want.Result) == 0 {
		want.Result = nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("trial %s:\n got  %+v\n want %+v", want.ID(), got, want)
	}
}

func sameSweep(t *testing.T, got, want state.SweepRecord) {
	t.Helper()
	if !got.Created.Equal(want.Created) || !got.Updated.Equal(want.Updated) {
		t.Errorf("sweep %s times differ", want.Name)
	}
	got.Created, want.Created, got.Updated, want.Updated = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sweep:\n got  %+v\n want %+v", got, want)
	}
}

func testEmpty(t *testing.T, open Opener) {
	s := open()
	defer mustClose(t, s)
	st := mustLoad(t, s)
	if st.NextToken != 1 || len(st.Sweeps) != 0 || len(st.Trials) != 0 {
		t.Fatalf("empty store: got %+v, want next token 1 and nothing else", st)
	}
}

func testCommitLoad(t *testing.T, open Opener) {
	s := open()
	defer mustClose(t, s)
	a, b := sweep("a"), sweep("b")
	trials := []state.TrialRecord{
		trial("a", 0, state.StatusPending), trial("a", 1, state.StatusRunning),
		trial("a", 2, state.StatusDone), trial("b", 0, state.StatusPending),
	}
	ch := create([]state.SweepRecord{a, b}, trials...)
	ch.Results = []state.ResultPut{{Sweep: "a", Key: trials[2].Key, JSON: json.RawMessage(`{"rel_l2":0.25}`)}}
	ch.NextToken = 200
	mustCommit(t, s, ch)
	st := mustLoad(t, s)
	if st.NextToken != 200 {
		t.Errorf("NextToken = %d, want 200", st.NextToken)
	}
	if len(st.Sweeps) != 2 {
		t.Fatalf("got %d sweeps, want 2", len(st.Sweeps))
	}
	for _, got := range st.Sweeps {
		want := a
		if got.Name == "b" {
			want = b
		}
		sameSweep(t, got, want)
	}
	got := byKey(st.Trials)
	if len(got) != len(trials) {
		t.Fatalf("got %d trials, want %d", len(got), len(trials))
	}
	for _, w := range trials {
		g := got[w.ID()]
		if g.Result != nil {
			t.Errorf("Load returned a result for %s", w.ID())
		}
		sameTrial(t, g, w)
	}
}

func testTrialsWithResults(t *testing.T, open Opener) {
	s := open()
	defer mustClose(t, s)
	trials := []state.TrialRecord{
		trial("a", 2, state.StatusDone), trial("a", 0, state.StatusPending), trial("a", 1, state.StatusDone),
	}
	res := json.RawMessage(`{"rel_l2":0.25,"history":[1,2,3]}`)
	ch := create([]state.SweepRecord{sweep("a"), sweep("b")}, append(trials, trial("b", 0, state.StatusDone))...)
	ch.Results = []state.ResultPut{{Sweep: "a", Key: trials[0].Key, JSON: res}, {Sweep: "b", Key: trial("b", 0, "").Key, JSON: json.RawMessage(`{}`)}}
	mustCommit(t, s, ch)
	got, err := s.Trials(context.Background(), "a")
	if err != nil {
		t.Fatalf("Trials: %v", err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d trials, want 3", len(got))
	}
	for i, g := range got {
		if g.Index != i {
			t.Errorf("trial %d has index %d: not sorted by index", i, g.Index)
		}
	}
	if string(got[2].Result) != string(res) {
		t.Errorf("result of index 2 = %s, want %s", got[2].Result, res)
	}
	if got[0].Result != nil || got[1].Result != nil {
		t.Errorf("results attached to trials without one: %q %q", got[0].Result, got[1].Result)
	}
}

func testReplace(t *testing.T, open Opener) {
	s := open()
	defer mustClose(t, s)
	tr := trial("a", 0, state.StatusPending)
	mustCommit(t, s, create([]state.SweepRecord{sweep("a")}, tr))
	run := trial("a", 0, state.StatusRunning)
	sw := sweep("a")
	sw.Submissions, sw.Source = 2, "name: a # grown\n"
	mustCommit(t, s, &state.Change{Sweeps: []state.SweepRecord{sw}, Trials: []state.TrialRecord{run}, NextToken: 11})
	st := mustLoad(t, s)
	if len(st.Trials) != 1 || len(st.Sweeps) != 1 {
		t.Fatalf("put did not replace: %d trials, %d sweeps", len(st.Trials), len(st.Sweeps))
	}
	sameTrial(t, st.Trials[0], run)
	sameSweep(t, st.Sweeps[0], sw)
	if st.NextToken != 11 {
		t.Errorf("NextToken = %d, want 11", st.NextToken)
	}
	// A change without NextToken leaves the counter alone.
	mustCommit(t, s, &state.Change{Trials: []state.TrialRecord{tr}})
	if st := mustLoad(t, s); st.NextToken != 11 {
		t.Errorf("NextToken = %d after a change without one, want 11", st.NextToken)
	}
}

func testDeleteResult(t *testing.T, open Opener) {
	s := open()
	defer mustClose(t, s)
	tr := trial("a", 0, state.StatusDone)
	ch := create([]state.SweepRecord{sweep("a")}, tr)
	ch.Results = []state.ResultPut{{Sweep: "a", Key: tr.Key, JSON: json.RawMessage(`{"x":1}`)}}
	mustCommit(t, s, ch)
	tr.Status = state.StatusPending
	tr.Value = nil
	mustCommit(t, s, &state.Change{
		Trials:  []state.TrialRecord{tr},
		Results: []state.ResultPut{{Sweep: "a", Key: tr.Key}, {Sweep: "nosuch", Key: "k"}},
	})
	got, err := s.Trials(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Result != nil || got[0].Status != state.StatusPending {
		t.Fatalf("after delete: %+v", got)
	}
}

func testUnknownSweep(t *testing.T, open Opener) {
	s := open()
	defer mustClose(t, s)
	if _, err := s.Trials(context.Background(), "nosuch"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("Trials(nosuch) = %v, want ErrNotFound", err)
	}
}

func testSweepWithoutTrials(t *testing.T, open Opener) {
	s := open()
	defer mustClose(t, s)
	mustCommit(t, s, &state.Change{Sweeps: []state.SweepRecord{sweep("a")}})
	got, err := s.Trials(context.Background(), "a")
	if err != nil || len(got) != 0 {
		t.Fatalf("Trials = %v, %v; want none, nil", got, err)
	}
}

func testCancelledContext(t *testing.T, open Opener) {
	s := open()
	defer mustClose(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Commit(ctx, &state.Change{Sweeps: []state.SweepRecord{sweep("a")}, NextToken: 5})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Commit with a cancelled context = %v, want context.Canceled", err)
	}
	if st := mustLoad(t, s); len(st.Sweeps) != 0 || st.NextToken != 1 {
		t.Fatalf("a refused commit changed the store: %+v", st)
	}
	if _, err := s.Load(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Load with a cancelled context = %v, want context.Canceled", err)
	}
}

func testEmptyChange(t *testing.T, open Opener) {
	s := open()
	defer mustClose(t, s)
	mustCommit(t, s, &state.Change{})
	mustCommit(t, s, nil)
	if st := mustLoad(t, s); st.NextToken != 1 {
		t.Fatalf("NextToken = %d, want 1", st.NextToken)
	}
}

func testReopen(t *testing.T, open Opener) {
	s := open()
	tr := trial("a", 1, state.StatusRunning)
	done := trial("a", 2, state.StatusDone)
	ch := create([]state.SweepRecord{sweep("a")}, tr, done)
	ch.Results = []state.ResultPut{{Sweep: "a", Key: done.Key, JSON: json.RawMessage(`{"rel_l2":0.25}`)}}
	ch.NextToken = 42
	mustCommit(t, s, ch)
	mustClose(t, s)
	s = open()
	defer mustClose(t, s)
	st := mustLoad(t, s)
	if st.NextToken != 42 || len(st.Sweeps) != 1 || len(st.Trials) != 2 {
		t.Fatalf("after reopen: %+v", st)
	}
	got := byKey(st.Trials)
	sameTrial(t, got[tr.ID()], tr)
	sameTrial(t, got[done.ID()], done)
	ts, err := s.Trials(context.Background(), "a")
	if err != nil || len(ts) != 2 || string(ts[1].Result) != `{"rel_l2":0.25}` {
		t.Fatalf("Trials after reopen = %+v, %v", ts, err)
	}
}

func testIsolation(t *testing.T, open Opener) {
	s := open()
	defer mustClose(t, s)
	tr := trial("a", 0, state.StatusPending)
	ch := create([]state.SweepRecord{sweep("a")}, tr)
	mustCommit(t, s, ch)
	ch.New[0].Inputs.(state.InputList)[0].Params[2] = 'X' // the caller's memory is its own
	ch.Sweeps[0].Axes[0] = "changed"
	st := mustLoad(t, s)
	if string(st.Trials[0].Params) != `{"beta":0,"seed":0}` || st.Sweeps[0].Axes[0] != "beta" {
		t.Fatalf("store shares memory with the committed change: %s %v", st.Trials[0].Params, st.Sweeps[0].Axes)
	}
}

// testUpdateOfMissingTrial: Trials may only update trials that exist (or
// that New creates); a change that puts another fails and changes
// nothing.
func testUpdateOfMissingTrial(t *testing.T, open Opener) {
	s := open()
	defer mustClose(t, s)
	mustCommit(t, s, create([]state.SweepRecord{sweep("a")}, trial("a", 0, state.StatusPending)))
	bad := &state.Change{Trials: []state.TrialRecord{trial("a", 1, state.StatusPending)}, NextToken: 9}
	if err := s.Commit(context.Background(), bad); err == nil {
		t.Fatal("a change updating a trial that does not exist was committed")
	}
	if st := mustLoad(t, s); len(st.Trials) != 1 || st.NextToken != 1 {
		t.Fatalf("the refused change left %d trials, next token %d", len(st.Trials), st.NextToken)
	}
}

// testInputsNeverChange: an update writes a trial's state only; its params
// and point are those New wrote.
func testInputsNeverChange(t *testing.T, open Opener) {
	s := open()
	defer mustClose(t, s)
	tr := trial("a", 0, state.StatusPending)
	mustCommit(t, s, create([]state.SweepRecord{sweep("a")}, tr))
	upd := trial("a", 0, state.StatusRunning)
	upd.Params, upd.Point = json.RawMessage(`{"other":1}`), nil
	mustCommit(t, s, &state.Change{Trials: []state.TrialRecord{upd}, NextToken: 20})
	got, err := s.Trial(context.Background(), "a", tr.Key)
	if err != nil || got.Status != state.StatusRunning || string(got.Params) != string(tr.Params) || string(got.Point) != string(tr.Point) {
		t.Fatalf("after an update carrying other inputs: %+v, %v; want running with params %s, point %s", got, err, tr.Params, tr.Point)
	}
}
