package boltstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// chunkChange returns a change that creates sweep name with n pending
// trials in compact form; Inputs fails for trial failAt (-1: none).
func chunkChange(name string, n, failAt int) *state.Change {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	nt := &state.NewTrials{Sweep: name, Updated: now}
	for i := range n {
		nt.Keys = append(nt.Keys, fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15))
	}
	nt.Inputs = failingInputs{keys: nt.Keys, failAt: failAt}
	return &state.Change{
		Sweeps: []state.SweepRecord{{Name: name, Axes: []string{"i"}, MaxAttempts: 1, Created: now, Updated: now, Submissions: 1}},
		New:    []*state.NewTrials{nt},
	}
}

// failingInputs is an InputSource whose trial failAt fails.
type failingInputs struct {
	keys   []string
	failAt int
}

func (f failingInputs) Len() int         { return len(f.keys) }
func (f failingInputs) Key(i int) string { return f.keys[i] }
func (f failingInputs) Inputs(i int) (json.RawMessage, json.RawMessage, error) {
	if i == f.failAt {
		return nil, nil, errors.New("inputs failed")
	}
	return json.RawMessage(fmt.Sprintf(`{"i":%d}`, i)), json.RawMessage(fmt.Sprintf(`{"i":%d}`, i)), nil
}

// TestChunkedCommit: a submission larger than commitChunk is written in
// several transactions and reads back whole; one whose inputs fail
// half-way leaves nothing; one interrupted between its transactions (a
// crash) is invisible to readers and discarded by the next read-write
// open.
func TestChunkedCommit(t *testing.T) {
	defer func(n int) { commitChunk = n }(commitChunk)
	commitChunk = 7
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	st, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(ctx, chunkChange("whole", 30, -1)); err != nil {
		t.Fatal(err)
	}
	trials, err := st.Trials(ctx, "whole")
	if err != nil || len(trials) != 30 {
		t.Fatalf("%d trials, %v", len(trials), err)
	}
	for i, tr := range trials {
		if tr.Index != i || tr.Status != state.StatusPending || string(tr.Params) != fmt.Sprintf(`{"i":%d}`, i) {
			t.Fatalf("trial %d: %+v", i, tr)
		}
	}

	// Inputs fail in the third transaction: the commit fails and leaves
	// nothing behind.
	if err := st.Commit(ctx, chunkChange("failed", 30, 20)); err == nil {
		t.Fatal("a commit whose inputs fail succeeded")
	}
	if _, err := st.Trials(ctx, "failed"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("trials of the failed submission: %v, want state.ErrNotFound", err)
	}

	// A crash after the trials' transactions, before the last one.
	if _, err := st.commitNew(chunkChange("crashed", 30, -1)); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := CheckDatabase(ctx, path)
	if err != nil || rep.Interrupted != 30 || rep.Trials != 30 {
		t.Fatalf("check with an interrupted submission: %v, %+v", err, rep)
	}
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := ro.Load(ctx)
	if err != nil || len(snap.Trials) != 30 || len(snap.Sweeps) != 1 {
		t.Fatalf("load with an interrupted submission: %v, %d trials, %d sweeps", err, len(snap.Trials), len(snap.Sweeps))
	}
	ro.Close()
	rw, err := Open(path, Options{}) // discards the interrupted submission
	if err != nil {
		t.Fatal(err)
	}
	if snap, err := rw.Load(ctx); err != nil || len(snap.Sweeps) != 1 || len(snap.Trials) != 30 {
		t.Fatalf("after reopening: %v, %+v", err, snap)
	}
	rw.Close()
	rep, err = CheckDatabase(ctx, path)
	if err != nil || rep.Interrupted != 0 || rep.Trials != 30 {
		t.Fatalf("check after the discard: %v, %+v", err, rep)
	}
}
