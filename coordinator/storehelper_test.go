package coordinator_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator"
)

// storeHelperEnv, when set, makes the test binary a helper process that
// drives the bbolt store it names (runStoreHelper): a test that serves a
// FUSE mount must not map a file on it (see internal/faultfs), so the
// store runs there.
const storeHelperEnv = "PINNSWEEP_TEST_STORE_HELPER"

func TestMain(m *testing.M) {
	if path := os.Getenv(storeHelperEnv); path != "" {
		os.Exit(runStoreHelper(path))
	}
	os.Exit(m.Run())
}

// runStoreHelper opens the bbolt store at path and runs the commands it
// reads from stdin, one a line, answering each with one line:
//
//	commit N   Commit a change that sets the token counter to N: "ok", or
//	           the sentinel the error wraps (ErrDiskFull, ErrStorage,
//	           ErrCommitUnknown), or "error MESSAGE"
//	token      the stored token counter (Load)
//	close      closes the store and exits: "ok"
func runStoreHelper(path string) int {
	st, err := coordinator.OpenBoltStore(path, coordinator.BoltOptions{})
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	ctx := context.Background()
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(sc.Text(), " ")
		switch cmd {
		case "commit":
			n, _ := strconv.ParseUint(arg, 10, 64)
			fmt.Println(classify(st.Commit(ctx, &coordinator.Change{NextToken: n})))
		case "token":
			s, err := st.Load(ctx)
			if err != nil {
				fmt.Println("error", err)
				continue
			}
			fmt.Println(s.NextToken)
		case "close":
			if err := st.Close(); err != nil {
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

// classify names the storage sentinel err wraps.
func classify(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, coordinator.ErrDiskFull):
		return "ErrDiskFull"
	case errors.Is(err, coordinator.ErrStorage):
		return "ErrStorage"
	case errors.Is(err, coordinator.ErrCommitUnknown):
		return "ErrCommitUnknown"
	}
	return "error " + err.Error()
}

// storeHelper is a running helper process.
type storeHelper struct {
	t   *testing.T
	in  io.WriteCloser
	out *bufio.Scanner
}

// startStoreHelper starts a helper process on the store at path; it is
// killed when the test ends.
func startStoreHelper(t *testing.T, path string) *storeHelper {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), storeHelperEnv+"="+path)
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
	return &storeHelper{t: t, in: in, out: bufio.NewScanner(out)}
}

// do sends one command and returns the answer.
func (h *storeHelper) do(cmd string) string {
	h.t.Helper()
	if _, err := fmt.Fprintln(h.in, cmd); err != nil {
		h.t.Fatalf("store helper: %s: %v", cmd, err)
	}
	if !h.out.Scan() {
		h.t.Fatalf("store helper: %s: no answer (%v)", cmd, h.out.Err())
	}
	return h.out.Text()
}
