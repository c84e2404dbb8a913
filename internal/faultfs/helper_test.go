package faultfs_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
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

// runBoltHelper opens the bbolt database at path and runs the commands
// it reads from stdin, one a line, answering each with one line:
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
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(sc.Text(), " ")
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
				fmt.Println("error", err)
				continue
			}
			fmt.Println("ok")
		case "view":
			_ = db.View(func(tx *bolt.Tx) error {
				v := ""
				if b := tx.Bucket([]byte("b")); b != nil {
					v = string(b.Get([]byte("k")))
				}
				fmt.Println(tx.ID(), v)
				return nil
			})
		case "close":
			if err := db.Close(); err != nil {
				fmt.Println("error", err)
				return 1
			}
			fmt.Println("ok")
			return 0
		default:
			fmt.Println("error unknown command", cmd)
		}
	}
	return 1
}

// boltHelper is a running helper process.
type boltHelper struct {
	t   *testing.T
	in  io.WriteCloser
	out *bufio.Scanner
}

// startBoltHelper starts a helper process on the bbolt database at path;
// it is killed when the test ends.
func startBoltHelper(t *testing.T, path string) *boltHelper {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return &boltHelper{t: t, in: in, out: bufio.NewScanner(out)}
}

// do sends one command and returns the answer.
func (h *boltHelper) do(cmd string) string {
	h.t.Helper()
	if _, err := fmt.Fprintln(h.in, cmd); err != nil {
		h.t.Fatalf("helper: %s: %v", cmd, err)
	}
	if !h.out.Scan() {
		h.t.Fatalf("helper: %s: no answer (%v)", cmd, h.out.Err())
	}
	return h.out.Text()
}
