package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/pinnsweep/pinnsweep/coordinator"
)

// TestCheckCommand runs `pinnsweep check` on a consistent database, on
// the same database with a result that belongs to no trial, and with bad
// usage.
func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sweeps.db")
	c, err := coordinator.Open(coordinator.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Submit(context.Background(), "cluster.yaml", []byte(clusterSpec)); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := cli("check", "--db", path); code != 1 || !strings.Contains(stderr, "locked by a running coordinator") {
		t.Errorf("check of a held database: exit %d, %q", code, stderr)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := cli("check", "--db", path)
	if code != 0 || !strings.Contains(stdout, "consistent") || !strings.Contains(stdout, "1 sweeps, 4 trials (4 pending), 0 results") {
		t.Errorf("check of a consistent database: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, _ := cli("check", "--db", path, "--json"); code != 0 || !strings.Contains(stdout, `"n_problems":0`) {
		t.Errorf("check --json: exit %d, %s", code, stdout)
	}

	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket([]byte("results")).CreateBucketIfNotExists([]byte("cluster"))
		if err != nil {
			return err
		}
		return b.Put([]byte("nokey"), []byte(`{}`))
	})
	if cerr := db.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	code, stdout, stderr = cli("check", "--db", path)
	if code != 1 || !strings.Contains(stdout, "INCONSISTENT (1 problems)") ||
		!strings.Contains(stdout, "problem: result cluster/nokey: no such trial") || !strings.Contains(stderr, "1 problems") {
		t.Errorf("check of an inconsistent database: exit %d\n%s%s", code, stdout, stderr)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"check"}, "--db is required"},
		{[]string{"check", "--db", path, "extra"}, `unexpected argument "extra"`},
		{[]string{"check", "--db", filepath.Join(dir, "missing.db")}, "no such file"},
	} {
		code, _, stderr := cli(tt.args...)
		if code == 0 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, %q; want an error containing %q", tt.args, code, stderr, tt.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); err == nil {
		t.Error("check created the missing database")
	}
}
