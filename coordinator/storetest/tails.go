package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// testStderrTails: a change's tails are stored with their trials, read by
// Trial and Trials (not by Load), replaced and deleted by later changes,
// and survive a reopen; a sweep record's needs are stored with it.
func testStderrTails(t *testing.T, open Opener) {
	s := open()
	ctx := context.Background()
	sw := sweep("a")
	sw.Needs = state.Needs{GPUs: 2, Command: true}
	failed := trial("a", 0, state.StatusFailed)
	pending := trial("a", 1, state.StatusPending)
	plain := trial("a", 2, state.StatusDone)
	big := strings.Repeat("é", state.MaxStderrTail/2) // multi-byte, at the limit
	ch := create([]state.SweepRecord{sw}, failed, pending, plain)
	ch.Tails = []state.TailPut{{Sweep: "a", Key: failed.Key, Text: "Traceback\nValueError: boom\n"},
		{Sweep: "a", Key: pending.Key, Text: big}, {Sweep: "nosuch", Key: "k"}}
	mustCommit(t, s, ch)
	mustClose(t, s)

	s = open()
	defer mustClose(t, s)
	for _, tr := range mustLoad(t, s).Trials {
		if tr.StderrTail != "" {
			t.Errorf("Load: trial %s has a tail; want none (tails are read with results)", tr.ID())
		}
	}
	if st := mustLoad(t, s); len(st.Sweeps) != 1 || st.Sweeps[0].Needs != sw.Needs {
		t.Errorf("Load: sweeps %+v; want needs %+v", st.Sweeps, sw.Needs)
	}
	want := map[string]string{failed.Key: "Traceback\nValueError: boom\n", pending.Key: big, plain.Key: ""}
	check := func(when string) {
		t.Helper()
		ts, err := s.Trials(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range ts {
			if tr.StderrTail != want[tr.Key] {
				t.Errorf("%s: Trials: trial %s tail of %d bytes, want %d", when, tr.Key, len(tr.StderrTail), len(want[tr.Key]))
			}
			one, err := s.Trial(ctx, "a", tr.Key)
			if err != nil || one.StderrTail != want[tr.Key] {
				t.Errorf("%s: Trial %s: tail of %d bytes (%v), want %d", when, tr.Key, len(one.StderrTail), err, len(want[tr.Key]))
			}
		}
	}
	check("after reopen")

	// A later attempt replaces one tail and deletes another; a trial
	// update without a tail leaves the tail alone.
	pending.Status = state.StatusRunning
	mustCommit(t, s, &state.Change{Trials: []state.TrialRecord{pending},
		Tails: []state.TailPut{{Sweep: "a", Key: failed.Key, Text: "second attempt"}, {Sweep: "a", Key: plain.Key}}})
	want[failed.Key] = "second attempt"
	check("after replace")
	mustCommit(t, s, &state.Change{Tails: []state.TailPut{{Sweep: "a", Key: failed.Key}, {Sweep: "a", Key: pending.Key}}})
	want[failed.Key], want[pending.Key] = "", ""
	check("after delete")
}
