package boltstore_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/pinnsweep/pinnsweep/coordinator/boltstore"
	"github.com/pinnsweep/pinnsweep/coordinator/internal/coordtest"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// checkFixture writes a database with one sweep of four trials: one done
// (with a result), one diverged (with a result), one running and one
// pending. It returns the file's bytes and the trials' keys by status.
func checkFixture(t *testing.T) ([]byte, map[state.Status]string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sweeps.db")
	c := coordtest.Open(t, path, nil)
	coordtest.MustSubmit(t, c, coordtest.SpecYAML("s", []int{1, 2}, 2, 1, 50))
	keys := map[state.Status]string{}
	g := coordtest.MustLease(t, c, "w1")
	coordtest.MustComplete(t, c, g, state.StatusDone, coordtest.ResultJSON(0.1))
	keys[state.StatusDone] = g.Trial.Key
	g = coordtest.MustLease(t, c, "w2")
	coordtest.MustComplete(t, c, g, state.StatusDiverged, `{"status":"diverged"}`)
	keys[state.StatusDiverged] = g.Trial.Key
	g = coordtest.MustLease(t, c, "w3")
	keys[state.StatusRunning] = g.Trial.Key
	trials, err := c.Trials(context.Background(), "s")
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range trials {
		if tr.Status == state.StatusPending {
			keys[state.StatusPending] = tr.Key
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b, keys
}

// TestCheckDatabaseConsistent checks a database written by the
// coordinator: no problems, and the counts.
func TestCheckDatabaseConsistent(t *testing.T) {
	b, _ := checkFixture(t)
	path := filepath.Join(t.TempDir(), "ok.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := boltstore.CheckDatabase(context.Background(), path)
	if err != nil || !rep.OK() {
		t.Fatalf("CheckDatabase: %v, problems %v", err, rep.Problems)
	}
	want := map[state.Status]int{state.StatusDone: 1, state.StatusDiverged: 1,
		state.StatusRunning: 1, state.StatusPending: 1}
	if rep.Sweeps != 1 || rep.Trials != 4 || rep.Results != 2 || len(rep.ByStatus) != len(want) || rep.NextToken != 4 {
		t.Errorf("report %+v", rep)
	}
	for s, n := range want {
		if rep.ByStatus[s] != n {
			t.Errorf("%d trials %s, want %d", rep.ByStatus[s], s, n)
		}
	}
}

// TestCheckDatabaseLocked: a database held by a coordinator is not
// checked.
func TestCheckDatabaseLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sweeps.db")
	c := coordtest.Open(t, path, nil)
	defer c.Close()
	if _, err := boltstore.CheckDatabase(context.Background(), path); !errors.Is(err, boltstore.ErrLocked) {
		t.Errorf("CheckDatabase of a held file: %v, want ErrLocked", err)
	}
}

// TestCheckDatabaseDetects corrupts a consistent database on purpose, one
// invariant at a time, and expects the check to name the violation.
func TestCheckDatabaseDetects(t *testing.T) {
	b, keys := checkFixture(t)
	done, diverged, running, pending := keys[state.StatusDone], keys[state.StatusDiverged],
		keys[state.StatusRunning], keys[state.StatusPending]
	trials := func(tx *bolt.Tx) *bolt.Bucket { return tx.Bucket([]byte("trials")).Bucket([]byte("s")) }
	results := func(tx *bolt.Tx) *bolt.Bucket { return tx.Bucket([]byte("results")).Bucket([]byte("s")) }
	// record decodes a stored trial record as JSON fields.
	record := func(tx *bolt.Tx, key string) (map[string]any, error) {
		t, err := boltstore.DecodeStoredTrial("s", key, trials(tx).Get([]byte(key)))
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(&t)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		return m, json.Unmarshal(b, &m)
	}
	// edit rewrites fields of one trial record: as a binary record, or as
	// a JSON one (schema version 1) when the binary encoding cannot hold
	// the new values (an unknown status or lease state), or asJSON is set.
	editAs := func(asJSON bool, key string, fields map[string]any) func(*bolt.Tx) error {
		return func(tx *bolt.Tx) error {
			m, err := record(tx, key)
			if err != nil {
				return err
			}
			for k, v := range fields {
				m[k] = v
			}
			v, err := json.Marshal(m)
			if err != nil {
				return err
			}
			var t state.TrialRecord
			if err := json.Unmarshal(v, &t); err != nil {
				return err
			}
			if b, err := boltstore.EncodeTrialState(&t); err == nil && !asJSON {
				v = b
			}
			return trials(tx).Put([]byte(key), v)
		}
	}
	edit := func(key string, fields map[string]any) func(*bolt.Tx) error { return editAs(false, key, fields) }
	field := func(tx *bolt.Tx, key, name string) any {
		m, _ := record(tx, key)
		return m[name]
	}
	inputs := func(tx *bolt.Tx) *bolt.Bucket { return tx.Bucket([]byte("inputs")).Bucket([]byte("s")) }

	tests := []struct {
		name   string
		mutate func(tx *bolt.Tx) error
		want   string
	}{
		{"invalid status", edit(pending, map[string]any{"status": "paused"}), `invalid status "paused"`},
		{"running without an active lease", edit(running, map[string]any{"lease_state": "expired"}), `running with lease state "expired"`},
		{"active lease on a pending trial", edit(pending, map[string]any{"lease_state": "active"}), "pending with an active lease"},
		{"invalid lease state", edit(done, map[string]any{"lease_state": "lost"}), `invalid lease state "lost"`},
		{"done without a completed lease", edit(done, map[string]any{"lease_state": "released"}), "done without a completed lease"},
		{"wrong lease id", edit(running, map[string]any{"lease_id": "s/x/1"}), "active lease id"},
		{"running without attempts", edit(running, map[string]any{"attempts": 0}), "running after 0 attempts"},
		{"more expiries than attempts", edit(done, map[string]any{"expiries": 3}), "1 attempts, 3 expiries"},
		{"token at the counter", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("meta")).Put([]byte("next_token"), binary.BigEndian.AppendUint64(nil, 2))
		}, "but the next token is 2"},
		{"two trials, one token", func(tx *bolt.Tx) error {
			return edit(diverged, map[string]any{"token": field(tx, done, "token")})(tx)
		}, "hold the same token"},
		{"duplicate index", func(tx *bolt.Tx) error {
			return edit(pending, map[string]any{"index": field(tx, done, "index")})(tx)
		}, "trial indexes are not 0..3"},
		{"record under another key", func(tx *bolt.Tx) error {
			// Only a JSON record names its trial.
			if err := editAs(true, done, nil)(tx); err != nil {
				return err
			}
			return trials(tx).Put([]byte(pending), trials(tx).Get([]byte(done)))
		}, "record names trial s/" + done},
		{"JSON record, invalid status", editAs(true, pending, map[string]any{"status": "paused"}), `invalid status "paused"`},
		{"JSON record, running without attempts", editAs(true, running, map[string]any{"attempts": 0}), "running after 0 attempts"},
		{"undecodable trial", func(tx *bolt.Tx) error { return trials(tx).Put([]byte(pending), []byte("{")) }, "undecodable record"},
		{"truncated binary trial", func(tx *bolt.Tx) error {
			v := trials(tx).Get([]byte(done))
			return trials(tx).Put([]byte(done), bytes.Clone(v[:len(v)-1]))
		}, "undecodable record"},
		{"binary trial of unknown status", func(tx *bolt.Tx) error {
			v := bytes.Clone(trials(tx).Get([]byte(pending)))
			v[2] = 42 // after the format byte and the one-byte index
			return trials(tx).Put([]byte(pending), v)
		}, "undecodable record"},
		{"unknown record format", func(tx *bolt.Tx) error { return trials(tx).Put([]byte(pending), []byte{9, 0}) }, "undecodable record"},
		{"binary trial without inputs", func(tx *bolt.Tx) error { return inputs(tx).Delete([]byte(pending)) }, "no inputs record"},
		{"params not an object", func(tx *bolt.Tx) error {
			return inputs(tx).Put([]byte(pending), []byte("\x02\x03[1]{}"))
		}, "params are not a JSON object"},
		{"undecodable inputs", func(tx *bolt.Tx) error { return inputs(tx).Put([]byte(pending), []byte{2, 99}) }, "undecodable inputs record"},
		{"inputs without a trial", func(tx *bolt.Tx) error { return inputs(tx).Put([]byte("nokey"), []byte("\x02\x02{}{}")) }, "inputs s/nokey: no such trial"},
		{"done without a result", func(tx *bolt.Tx) error { return results(tx).Delete([]byte(done)) }, "done without a result"},
		{"result of a pending trial", func(tx *bolt.Tx) error {
			return results(tx).Put([]byte(pending), []byte(`{"status":"done"}`))
		}, "the trial is pending"},
		{"result of a running trial", func(tx *bolt.Tx) error {
			return results(tx).Put([]byte(running), []byte(`{"status":"done"}`))
		}, "the trial is running"},
		{"result without a trial", func(tx *bolt.Tx) error {
			return results(tx).Put([]byte("nokey"), []byte(`{}`))
		}, "result s/nokey: no such trial"},
		{"result not an object", func(tx *bolt.Tx) error { return results(tx).Put([]byte(done), []byte(`[1]`)) }, "not a JSON object"},
		{"trials of no sweep", func(tx *bolt.Tx) error {
			b, err := tx.Bucket([]byte("trials")).CreateBucket([]byte("ghost"))
			if err != nil {
				return err
			}
			return b.Put([]byte("k"), []byte(`{"sweep":"ghost","key":"k","status":"pending"}`))
		}, `bucket "ghost" belongs to no stored sweep`},
		{"sweep under another name", func(tx *bolt.Tx) error {
			sb := tx.Bucket([]byte("sweeps"))
			return sb.Put([]byte("t"), sb.Get([]byte("s")))
		}, `sweep "t": record names sweep "s"`},
		{"foreign top-level bucket", func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("extra")); return err }, `unexpected top-level bucket "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := corrupt(t, b, tt.mutate)
			rep, err := boltstore.CheckDatabase(context.Background(), path)
			if !errors.Is(err, boltstore.ErrInconsistent) || rep.OK() {
				t.Fatalf("CheckDatabase: %v, want ErrInconsistent", err)
			}
			if !strings.Contains(strings.Join(rep.Problems, "\n"), tt.want) {
				t.Errorf("problems:\n%s\nwant one containing %q", strings.Join(rep.Problems, "\n"), tt.want)
			}
		})
	}
}

// TestCheckDatabaseMissingBucket: a file without one of pinnsweep's
// buckets does not open as a pinnsweep database.
func TestCheckDatabaseMissingBucket(t *testing.T) {
	b, _ := checkFixture(t)
	path := corrupt(t, b, func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("results")) })
	if _, err := boltstore.CheckDatabase(context.Background(), path); !errors.Is(err, state.ErrCorrupt) ||
		!strings.Contains(err.Error(), `missing bucket "results"`) {
		t.Errorf("CheckDatabase: %v, want ErrCorrupt naming the bucket", err)
	}
}

// corrupt writes b to a new file, applies mutate to it in a bbolt
// transaction and returns the file's path.
func corrupt(t *testing.T, b []byte, mutate func(*bolt.Tx) error) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bad.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(mutate); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCheckDatabasePageDamage damages the pages that hold a trial's key
// (its first byte, which puts the keys of the page out of order) and
// expects bbolt's check, or the reading of the records, to fail.
//
// The file is first rewritten with its freelist (a commit without
// NoFreelistSync): without one, bbolt rebuilds the freelist by walking the
// pages when it opens the file, finds the damage there, and panics in a
// goroutine it leaves running, which the race detector flags (a bbolt
// issue; the check still reports the damage).
func TestCheckDatabasePageDamage(t *testing.T) {
	fixture, keys := checkFixture(t)
	b, err := os.ReadFile(corrupt(t, fixture, func(tx *bolt.Tx) error {
		meta := tx.Bucket([]byte("meta"))
		return meta.Put([]byte("created"), meta.Get([]byte("created")))
	}))
	if err != nil {
		t.Fatal(err)
	}
	key := []byte(keys[state.StatusDone])
	first := byte('0')
	for _, k := range keys {
		if k < string(key) {
			first = 'z' // some key sorts before it: moving it last breaks the order
		}
	}
	if first == '0' {
		t.Fatalf("key %s sorts first; pick another", key)
	}
	damaged := 0
	for off := 0; ; {
		i := bytes.Index(b[off:], key)
		if i < 0 {
			break
		}
		b[off+i] = first
		damaged++
		off += i + 1
	}
	path := filepath.Join(t.TempDir(), "damaged.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := boltstore.CheckDatabase(context.Background(), path)
	if !errors.Is(err, boltstore.ErrInconsistent) && !errors.Is(err, state.ErrCorrupt) {
		t.Fatalf("CheckDatabase of a damaged file: %v (problems %v), want ErrInconsistent or ErrCorrupt", err, rep.Problems)
	}
	t.Logf("%d copies of the key damaged: %v", damaged, err)
}
