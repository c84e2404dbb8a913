package boltstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/boltstore"
	"github.com/pinnsweep/pinnsweep/coordinator/internal/coordtest"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// The fixture testdata/v2.db was written by the code of schema version 2
// as it stood before the coordinator was split into packages (commit
// 6352b12): sweep alpha (10 trials: done with and without rel_l2,
// diverged, timeout with a value, failed after two attempts, running after
// an expiry, expired, released, two never leased; 5 results) and sweep
// beta (3 trials, cancelled: one running with its stop requested, two
// cancelled). Between them the trials are in every status and every lease
// state. testdata/v2.trials.json and v2.results.json hold what
// ReadDatabase returned for it then.

// copyV2 copies the schema 2 fixture to a new file.
func copyV2(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "v2.db"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "v2.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// readJSON decodes a file of testdata.
func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// TestSchema2Golden: the schema 2 fixture reads back exactly as the code
// that wrote it read it (every status and lease state through the status
// table's record codes), passes the check, and is not changed by reading.
func TestSchema2Golden(t *testing.T) {
	ctx := context.Background()
	path := copyV2(t)
	before, _ := os.ReadFile(path)
	rep, err := boltstore.CheckDatabase(ctx, path)
	if err != nil {
		t.Fatalf("CheckDatabase: %v (%v)", err, rep.Problems)
	}
	if rep.SchemaVersion != 2 || rep.Trials != 13 || rep.JSONTrials != 0 || rep.Results != 5 || rep.Sweeps != 2 || rep.NextToken != 12 {
		t.Errorf("report %+v", rep)
	}
	var want map[string][]state.TrialRecord
	readJSON(t, "v2.trials.json", &want)
	var results map[string]map[string]string
	readJSON(t, "v2.results.json", &results)
	statuses := map[state.Status]bool{}
	leases := map[state.LeaseState]bool{}
	for sweep, trials := range want {
		_, got, err := boltstore.ReadDatabase(ctx, path, sweep)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(trials) {
			t.Fatalf("%s: %d trials, want %d", sweep, len(got), len(trials))
		}
		for i, w := range trials {
			if r, g := results[sweep][w.Key], string(got[i].Result); r != g {
				t.Errorf("result of %s: %q, want %q", w.ID(), g, r)
			}
			sameTrial(t, got[i], w, true)
			statuses[w.Status], leases[w.LeaseState] = true, true
		}
	}
	if len(statuses) != len(state.Statuses()) || len(leases) != 5 {
		t.Errorf("the fixture covers statuses %v and lease states %v; want all", statuses, leases)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Error("reading the file changed it")
	}
}

// TestSchema2RecordsRoundTrip: every stored trial record re-encodes to the
// very bytes the old code wrote: the status and lease codes of the status
// table, and the rest of the record format, are unchanged.
func TestSchema2RecordsRoundTrip(t *testing.T) {
	db, err := bolt.Open(copyV2(t), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	err = db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("trials")).ForEachBucket(func(sweep []byte) error {
			return tx.Bucket([]byte("trials")).Bucket(sweep).ForEach(func(k, v []byte) error {
				rec, err := boltstore.DecodeStoredTrial(string(sweep), string(k), v)
				if err != nil {
					return err
				}
				b, err := boltstore.EncodeTrialState(&rec)
				if err != nil {
					return err
				}
				if !bytes.Equal(b, v) {
					t.Errorf("trial %s re-encodes as %x, stored %x", rec.ID(), b, v)
				}
				n++
				return nil
			})
		})
	})
	if err != nil || n != 13 {
		t.Fatalf("%d records, %v", n, err)
	}
}

// TestSchema2Restore: a coordinator restores the fixture's state and goes
// on with it. The fixture's active leases were granted before lease
// secrets existed: their holders go on without one, and any other worker
// is refused.
func TestSchema2Restore(t *testing.T) {
	path := copyV2(t)
	c, err := coordinator.Open(coordinator.Options{Path: path, LeaseTTL: time.Hour, Logger: coordtest.Logger(t),
		Now: func() time.Time { return time.Date(2026, 3, 4, 7, 7, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := coordtest.MustProgress(t, c, "alpha")
	if p.Total != 10 || p.Done != 2 || p.Diverged != 1 || p.Timeout != 1 || p.Failed != 1 || p.Running != 1 || p.Pending != 4 {
		t.Errorf("alpha: %+v", p)
	}
	if p := coordtest.MustProgress(t, c, "beta"); p.Running != 1 || p.Cancelled != 2 {
		t.Errorf("beta: %+v", p)
	}
	g := coordtest.MustLease(t, c, "w")
	if g.Trial.Sweep != "alpha" || g.Trial.Index != 6 || g.Trial.Attempts != 2 || g.Token != 12 || len(g.Trial.Params) == 0 {
		t.Errorf("first lease after restore: %+v", g)
	}
	if g.Secret.IsZero() {
		t.Error("a lease granted after the restore has no secret")
	}

	ctx := context.Background()
	held := state.LeaseClaim{LeaseID: "alpha/f04f812afa89394a/10", Token: 10, Worker: "w9"}
	forged := held
	forged.Worker = "w"
	if _, err := c.Heartbeat(ctx, forged); !errors.Is(err, state.ErrNotHolder) {
		t.Errorf("heartbeat of w9's stored lease by w: %v, want ErrNotHolder", err)
	}
	if _, err := c.Complete(ctx, state.Completion{LeaseClaim: forged, Status: state.StatusDone, Result: []byte(coordtest.ResultJSON(0.9))}); !errors.Is(err, state.ErrNotHolder) {
		t.Errorf("completion of w9's stored lease by w: %v, want ErrNotHolder", err)
	}
	if beat, err := c.Heartbeat(ctx, held); err != nil || beat.Stop {
		t.Errorf("heartbeat of the stored lease by its holder, without a secret: %+v, %v", beat, err)
	}
	if ack, err := c.Complete(ctx, state.Completion{LeaseClaim: held, Status: state.StatusDone, Result: []byte(coordtest.ResultJSON(0.25))}); err != nil || ack.Duplicate {
		t.Errorf("completion of the stored lease by its holder: %+v, %v", ack, err)
	}
}
