package boltstore_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator/boltstore"
	"github.com/pinnsweep/pinnsweep/coordinator/internal/coordtest"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// The fixture testdata/v1-json.db was written by the code of schema
// version 1 (JSON trial records with their params and point, no inputs
// bucket): sweep alpha (6 trials: done, diverged after a failed attempt,
// running, 3 pending; 2 results) and sweep beta (2 pending trials).
// testdata/v1-json.trials.json holds the trials ReadDatabase returned for
// it then.

// copyFixture copies the schema 1 fixture to a new file.
func copyFixture(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "v1-json.db"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "v1.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// fixtureTrials returns the fixture's trials as schema 1 read them.
func fixtureTrials(t *testing.T) map[string][]state.TrialRecord {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "v1-json.trials.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string][]state.TrialRecord
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	return want
}

// jsonEqual compares two JSON texts by value.
func jsonEqual(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

// sameTrial compares two records field by field, params and point by JSON
// value; with stateToo unset only the identity and inputs.
func sameTrial(t *testing.T, got, want state.TrialRecord, stateToo bool) {
	t.Helper()
	if got.Sweep != want.Sweep || got.Key != want.Key || got.Index != want.Index ||
		!jsonEqual(got.Params, want.Params) || !jsonEqual(got.Point, want.Point) {
		t.Errorf("trial %s: got %s %d params %s point %s, want %s %d params %s point %s", want.ID(),
			got.ID(), got.Index, got.Params, got.Point, want.ID(), want.Index, want.Params, want.Point)
	}
	if !stateToo {
		return
	}
	got.Params, got.Point, got.Result = want.Params, want.Point, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("trial %s:\n got  %+v\n want %+v", want.ID(), got, want)
	}
}

// TestSchema1ReadOnly: a schema 1 file reads as it did, without being
// changed: check, export.
func TestSchema1ReadOnly(t *testing.T) {
	ctx := context.Background()
	path := copyFixture(t)
	before, _ := os.ReadFile(path)
	rep, err := boltstore.CheckDatabase(ctx, path)
	if err != nil {
		t.Fatalf("CheckDatabase: %v (%v)", err, rep.Problems)
	}
	if rep.SchemaVersion != 1 || rep.Trials != 8 || rep.JSONTrials != 8 || rep.Results != 2 || rep.Sweeps != 2 {
		t.Errorf("report %+v", rep)
	}
	for sweep, want := range fixtureTrials(t) {
		_, got, err := boltstore.ReadDatabase(ctx, path, sweep)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d trials, want %d", sweep, len(got), len(want))
		}
		for i := range want {
			sameTrial(t, got[i], want[i], true)
		}
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("reading the file changed it")
	}
}

// TestSchema1Upgrade: a coordinator opens a schema 1 file (upgrading it to
// version 2), restores its state, honours its lease, hands out its pending
// trials with their params, and rewrites changed trials in the binary
// encoding, their params and point moved to the inputs bucket.
func TestSchema1Upgrade(t *testing.T) {
	ctx := context.Background()
	path := copyFixture(t)
	want := fixtureTrials(t)
	clock := coordtest.NewFakeClock() // the fixture's time: the running lease (1 h TTL) is live
	c := coordtest.Open(t, path, clock)
	p, err := c.Progress(ctx, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 6 || p.Done != 1 || p.Diverged != 1 || p.Running != 1 || p.Pending != 3 {
		t.Fatalf("alpha restored as %+v", p)
	}
	// The lease the fixture holds is still valid.
	var held state.TrialRecord
	for _, tr := range want["alpha"] {
		if tr.Status == state.StatusRunning {
			held = tr
		}
	}
	// No secret: the lease was granted before secrets existed.
	if beat, err := c.Heartbeat(ctx, state.LeaseClaim{LeaseID: held.LeaseID, Token: held.Token, Worker: held.Worker}); err != nil || beat.Stop {
		t.Fatalf("heartbeat of the stored lease: %+v, %v", beat, err)
	}
	coordtest.MustComplete(t, c, &state.Grant{LeaseID: held.LeaseID, Token: held.Token, Trial: held}, state.StatusDone, coordtest.ResultJSON(0.5))
	// The pending trials come with the params of their JSON records.
	byKey := map[string]state.TrialRecord{}
	for _, ts := range want {
		for _, tr := range ts {
			byKey[tr.Sweep+"/"+tr.Key] = tr
		}
	}
	for range 5 {
		g := coordtest.MustLease(t, c, "w9")
		w := byKey[g.Trial.ID()]
		if w.Status != state.StatusPending || !jsonEqual(g.Trial.Params, w.Params) || !jsonEqual(g.Trial.Point, w.Point) {
			t.Fatalf("leased %s with params %s point %s, want a pending trial with %s %s", g.Trial.ID(), g.Trial.Params, g.Trial.Point, w.Params, w.Point)
		}
		if g.Trial.Sweep == "alpha" {
			coordtest.MustComplete(t, c, g, state.StatusDone, coordtest.ResultJSON(0.25))
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := boltstore.CheckDatabase(ctx, path)
	if err != nil {
		t.Fatalf("CheckDatabase after the upgrade: %v (%v)", err, rep.Problems)
	}
	if rep.SchemaVersion != boltstore.SchemaVersion || rep.JSONTrials != 2 || rep.Trials != 8 {
		t.Errorf("report after the upgrade %+v, want version 2 and the 2 untouched trials in JSON", rep)
	}
	// Every trial keeps its identity, params and point, whichever encoding
	// it is in now; the untouched ones keep their whole state.
	for sweep, ws := range want {
		_, got, err := boltstore.ReadDatabase(ctx, path, sweep)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ws {
			untouched := ws[i].Status == state.StatusDone || ws[i].Status == state.StatusDiverged
			sameTrial(t, got[i], ws[i], untouched)
		}
	}
	// And the upgraded file opens again.
	c = coordtest.Open(t, path, clock)
	if p, err := c.Progress(ctx, "alpha"); err != nil || p.Done != 5 || p.Finished != true {
		t.Fatalf("alpha after reopening: %+v, %v", p, err)
	}
	if p, err := c.Progress(ctx, "beta"); err != nil || p.Running != 2 {
		t.Fatalf("beta after reopening: %+v, %v", p, err)
	}
	c.Close()
}
