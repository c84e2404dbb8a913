package boltstore_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pinnsweep/pinnsweep/coordinator/boltstore"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// TestCheckStderrTails: stored tails count in the check's report, and a
// tail that belongs to no trial, or is too long, is a problem.
func TestCheckStderrTails(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tails.db")
	st, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	in := state.InputList{{Key: "k0", Params: json.RawMessage(`{"seed":0}`), Point: json.RawMessage(`{"seed":0}`)}}
	err = st.Commit(ctx, &state.Change{
		Sweeps: []state.SweepRecord{{Name: "s", Source: "name: s\n", Axes: []string{"seed"}, MaxAttempts: 1,
			Needs: state.Needs{Command: true}, Created: now, Updated: now, Submissions: 1}},
		New:   []*state.NewTrials{{Sweep: "s", Keys: []string{"k0"}, Inputs: in, Updated: now}},
		Tails: []state.TailPut{{Sweep: "s", Key: "k0", Text: "boom\n"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := boltstore.CheckDatabase(ctx, path)
	if err != nil || !rep.OK() || rep.StderrTails != 1 {
		t.Fatalf("CheckDatabase: %v, %d tails, problems %v", err, rep.StderrTails, rep.Problems)
	}

	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("stderr")).Bucket([]byte("s"))
		if err := b.Put([]byte("nosuch"), []byte("orphan")); err != nil {
			return err
		}
		return b.Put([]byte("k0"), []byte(strings.Repeat("x", state.MaxStderrTail+1)))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	rep, _ = boltstore.CheckDatabase(ctx, path) // an error that reports the problems
	got := strings.Join(rep.Problems, "\n")
	for _, want := range []string{"stderr tail s/nosuch: no such trial", "stderr tail s/k0: 65537 bytes, more than 65536"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems %q lack %q", got, want)
		}
	}
}
