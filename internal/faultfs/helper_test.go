package faultfs_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pinnsweep/pinnsweep/internal/faultfs"
)

// helperEnv, when set, makes the test binary a helper process that drives
// the bbolt database it names (runBoltHelper). The test process serves
// the mount and so must not map a file on it (see the package
// documentation); the helper does.
const helperEnv = "FAULTFS_TEST_BOLT_HELPER"

func TestMain(m *testing.M) {
	if path := os.Getenv(helperEnv); path != "" {
		os.Exit(runBoltHelper(path))
	}
	os.Exit(m.Run())
}

// runBoltHelper opens the bbolt database at path and answers the
// commands of faultfs.ServeHelper:
//
//	put V   an Update that sets key k of bucket b to V: "ok", or "error MESSAGE"
//	view    "ID VALUE": the newest transaction id the process sees, and k
//	close   closes the database and exits: "ok"
func runBoltHelper(path string) int {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	faultfs.ServeHelper(func(cmd, arg string) (string, bool) {
		switch cmd {
		case "put":
			err := db.Update(func(tx *bolt.Tx) error {
				b, err := tx.CreateBucketIfNotExists([]byte("b"))
				if err != nil {
					return err
				}
				return b.Put([]byte("k"), []byte(arg))
			})
			if err != nil {
				return "error " + err.Error(), false
			}
			return "ok", false
		case "view":
			var answer string
			_ = db.View(func(tx *bolt.Tx) error {
				v := ""
				if b := tx.Bucket([]byte("b")); b != nil {
					v = string(b.Get([]byte("k")))
				}
				answer = fmt.Sprint(tx.ID(), " ", v)
				return nil
			})
			return answer, false
		case "close":
			if err := db.Close(); err != nil {
				return "error " + err.Error(), true
			}
			return "ok", true
		}
		return "error unknown command " + cmd, false
	})
	return 0
}

// startBoltHelper starts a helper process on the bbolt database at path;
// it is killed when the test ends.
func startBoltHelper(t *testing.T, path string) *faultfs.Helper {
	t.Helper()
	h, err := faultfs.StartTestHelper(helperEnv, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}
