package coordinator_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/boltstore"
	"github.com/pinnsweep/pinnsweep/coordinator/internal/coordtest"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// bigDatabase writes a database of 160 trials to dir/good.db and returns
// its bytes.
func bigDatabase(t *testing.T, dir string) []byte {
	t.Helper()
	good := filepath.Join(dir, "good.db")
	c := coordtest.Open(t, good, nil)
	coordtest.MustSubmit(t, c, coordtest.SpecYAML("big", []int{1, 2, 3, 4, 5, 6, 7, 8}, 20, 1, 100))
	c.Close()
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestOpenRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	data := bigDatabase(t, dir) // a real database to truncate
	foreign := filepath.Join(dir, "foreign.db")
	db, err := bolt.Open(foreign, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("users")); return err }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	future := filepath.Join(dir, "future.db")
	if err := os.WriteFile(future, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err = bolt.Open(future, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte{0, 0, 0, 0, 0, 0, 0, 9})
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// A pinnsweep database lacking a bucket, one whose meta names another
	// application, and one whose data pages (past the two meta pages) are
	// garbage.
	edit := func(name string, fn func(tx *bolt.Tx) error) string {
		p := write(name, data)
		db, err := bolt.Open(p, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Update(fn); err != nil {
			t.Fatal(err)
		}
		db.Close()
		return p
	}
	noBucket := edit("nobucket.db", func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("results")) })
	otherApp := edit("otherapp.db", func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("application"), []byte("someone-else"))
	})
	garbled := append([]byte(nil), data...)
	for i := 2 * 4096; i < len(garbled); i++ {
		garbled[i] = 0xa5
	}

	tests := []struct {
		name string
		path string
		want error
	}{
		{"text file", write("text.db", []byte(strings.Repeat("this is not a database\n", 400))), state.ErrCorrupt},
		{"zeros", write("zeros.db", make([]byte, 64<<10)), state.ErrCorrupt},
		{"missing bucket", noBucket, state.ErrCorrupt},
		{"other application", otherApp, boltstore.ErrForeignDatabase},
		{"garbage pages", write("garbled.db", garbled), state.ErrCorrupt},
		{"short garbage", write("short.db", []byte("xx")), state.ErrCorrupt},
		// Cut in the middle of the pages in use: bbolt grows the file in
		// chunks (up to 16 MiB) beyond them.
		{"truncated", write("truncated.db", data[:usedLen(data)/2]), state.ErrCorrupt},
		{"header only", write("header.db", data[:4096]), state.ErrCorrupt},
		{"foreign bbolt", foreign, boltstore.ErrForeignDatabase},
		{"newer schema", future, boltstore.ErrSchemaVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := coordinator.Open(coordinator.Options{Path: tt.path})
			if err == nil {
				c.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.path) {
				t.Fatalf("Open = %v, want %v naming the file", err, tt.want)
			}
			// Reading it (pinnsweep export --db) fails the same way.
			_, _, err = boltstore.ReadDatabase(context.Background(), tt.path, "big")
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.path) {
				t.Fatalf("ReadDatabase = %v, want %v naming the file", err, tt.want)
			}
		})
	}
}

// TestOpenSurvivesAnyDamagedPage garbles each data page of a real
// database in turn: Open either fails with ErrCorrupt or succeeds (a free
// page), and never panics.
func TestOpenSurvivesAnyDamagedPage(t *testing.T) {
	dir := t.TempDir()
	data := bigDatabase(t, dir)
	const pageSize = 4096
	// bbolt grows the file in large steps; damage only the pages in use
	// (up to the last page holding a non-zero byte), on a file cut there.
	used := len(data)
	for used > 0 && bytes.Count(data[used-pageSize:used], []byte{0}) == pageSize {
		used -= pageSize
	}
	data = data[:used]
	failed := 0
	for page := 2; page*pageSize < len(data); page++ {
		damaged := append([]byte(nil), data...)
		for i := page * pageSize; i < (page+1)*pageSize; i++ {
			damaged[i] = byte(i*7 + page)
		}
		p := filepath.Join(dir, fmt.Sprintf("page%d.db", page))
		if err := os.WriteFile(p, damaged, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := coordinator.Open(coordinator.Options{Path: p})
		if err != nil {
			if !errors.Is(err, state.ErrCorrupt) {
				t.Errorf("page %d: %v, want ErrCorrupt", page, err)
			}
			failed++
			continue
		}
		c.Close()
	}
	t.Logf("%d of %d damaged pages were noticed", failed, len(data)/pageSize-2)
	if failed == 0 {
		t.Error("no damaged page was noticed")
	}
}

func TestOpenLockedDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sweeps.db")
	c := coordtest.Open(t, path, nil)
	defer c.Close()
	_, err := coordinator.Open(coordinator.Options{Path: path, LockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, boltstore.ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	_, _, err = boltstore.ReadDatabase(context.Background(), path, "x")
	if !errors.Is(err, boltstore.ErrLocked) {
		t.Fatalf("ReadDatabase of a held file = %v, want ErrLocked", err)
	}
}

// usedLen returns the length of data without its trailing zero bytes: the
// part of a database file that holds pages, without bbolt's preallocated
// tail.
func usedLen(data []byte) int {
	n := len(data)
	for n > 0 && data[n-1] == 0 {
		n--
	}
	return n
}
