package boltstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator/boltstore"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/internal/faultfs"
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

// runStoreHelper opens the bbolt store at path and answers the commands
// of faultfs.ServeHelper:
//
//	commit N   Commit a change that sets the token counter to N: "ok", or
//	           the sentinel the error wraps (ErrDiskFull, ErrStorage,
//	           ErrCommitUnknown), or "error MESSAGE"
//	token      the stored token counter (Load)
//	close      closes the store and exits: "ok"
func runStoreHelper(path string) int {
	st, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	ctx := context.Background()
	faultfs.ServeHelper(func(cmd, arg string) (string, bool) {
		switch cmd {
		case "commit":
			n, _ := strconv.ParseUint(arg, 10, 64)
			return classify(st.Commit(ctx, &state.Change{NextToken: n})), false
		case "token":
			s, err := st.Load(ctx)
			if err != nil {
				return "error " + err.Error(), false
			}
			return fmt.Sprint(s.NextToken), false
		case "close":
			if err := st.Close(); err != nil {
				return "error " + err.Error(), true
			}
			return "ok", true
		}
		return "error unknown command " + cmd, false
	})
	return 0
}

// classify names the storage sentinel err wraps.
func classify(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, state.ErrDiskFull):
		return "ErrDiskFull"
	case errors.Is(err, state.ErrStorage):
		return "ErrStorage"
	case errors.Is(err, state.ErrCommitUnknown):
		return "ErrCommitUnknown"
	}
	return "error " + err.Error()
}

// startStoreHelper starts a helper process on the store at path; it is
// killed when the test ends.
func startStoreHelper(t *testing.T, path string) *faultfs.Helper {
	t.Helper()
	h, err := faultfs.StartTestHelper(storeHelperEnv, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}
