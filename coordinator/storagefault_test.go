package coordinator_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/pinnsweep/pinnsweep/coordinator"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
	"github.com/pinnsweep/pinnsweep/internal/faultfs"
)

// serveStore serves a coordinator on store over loopback gRPC and
// returns it, a client, and the channel that gets Serve's result.
func serveStore(t *testing.T, store coordinator.Store) (*coordinator.Coordinator, *grpc.ClientConn, <-chan error) {
	t.Helper()
	c, err := coordinator.Open(coordinator.Options{Store: store, Logger: testLogger(t), LeaseTTL: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served, returned := make(chan error, 1), make(chan struct{})
	go func() {
		served <- c.Serve(ctx, lis)
		close(returned)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-returned:
		case <-time.After(20 * time.Second):
			t.Error("Serve did not return")
		}
	})
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return c, conn, served
}

// TestStorageErrorCodes fails commits the way the bbolt store reports a
// full disk and an I/O error, and checks the codes a gRPC client sees
// (ResourceExhausted and Unavailable, not Internal), that nothing
// changed, and that the coordinator keeps serving and succeeds once the
// store does.
func TestStorageErrorCodes(t *testing.T) {
	store := &hookStore{Store: coordinator.NewMemoryStore()}
	c, conn, served := serveStore(t, store)
	sweeps := pb.NewSweepServiceClient(conn)
	ctx := context.Background()
	submit := func() error {
		_, err := sweeps.SubmitSweep(ctx, &pb.SubmitSweepRequest{Spec: &pb.Spec{Filename: "s.yaml", Source: specYAML("s", betas(3), 1, 0, 100)}})
		return err
	}
	for _, tt := range []struct {
		err  error
		code codes.Code
	}{
		{fmt.Errorf("commit: %w: write sweeps.db: %w", coordinator.ErrDiskFull, syscall.ENOSPC), codes.ResourceExhausted},
		{fmt.Errorf("commit: %w: %w", coordinator.ErrStorage, syscall.EIO), codes.Unavailable},
	} {
		store.setHook(func(int, *coordinator.Change) error { return tt.err })
		err := submit()
		if status.Code(err) != tt.code || !strings.Contains(status.Convert(err).Message(), tt.err.Error()) {
			t.Errorf("SubmitSweep with the store failing %q: %v; want %v with the store's message", tt.err, err, tt.code)
		}
	}
	if _, err := c.Progress(ctx, "s"); !errors.Is(err, coordinator.ErrNotFound) {
		t.Fatalf("a failed submission is visible: %v", err)
	}
	store.setHook(nil)
	if err := submit(); err != nil {
		t.Fatalf("SubmitSweep once the store works again: %v", err)
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v after failed commits that changed nothing", err)
	default:
	}
	if err := c.Err(); err != nil {
		t.Fatalf("Err() = %v", err)
	}
}

// TestCommitUnknownStops fails a commit with ErrCommitUnknown: the caller
// gets Unavailable, Serve shuts down and returns the error, in-process
// callers get it too, and no commit reaches the store afterwards.
func TestCommitUnknownStops(t *testing.T) {
	store := &hookStore{Store: coordinator.NewMemoryStore()}
	c, conn, served := serveStore(t, store)
	ctx := context.Background()
	mustSubmit(t, c, specYAML("s", betas(4), 1, 0, 100))
	g := mustLease(t, c, "w1")
	watchErr := make(chan error, 1)
	go func() { watchErr <- c.Watch(ctx, "s", func(coordinator.Progress) error { return nil }) }()

	unknown := fmt.Errorf("commit: %w: %w", coordinator.ErrCommitUnknown, syscall.EIO)
	commits := 0
	store.setHook(func(n int, ch *coordinator.Change) error {
		commits++
		return unknown
	})
	workers := pb.NewWorkerServiceClient(conn)
	_, err := workers.Complete(ctx, &pb.CompleteRequest{LeaseId: g.LeaseID, Token: g.Token, WorkerId: "w1",
		Status: pb.TrialStatus_TRIAL_STATUS_DONE, ResultJson: resultJSON(0.1)})
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("Complete whose commit's outcome is unknown: %v, want Unavailable", err)
	}
	select {
	case err := <-served:
		if !errors.Is(err, coordinator.ErrCommitUnknown) {
			t.Fatalf("Serve returned %v, want ErrCommitUnknown", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not stop after a commit whose outcome is unknown")
	}
	select {
	case err := <-watchErr:
		if !errors.Is(err, coordinator.ErrCommitUnknown) {
			t.Errorf("Watch returned %v, want ErrCommitUnknown", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("Watch did not return")
	}
	if err := c.Err(); !errors.Is(err, coordinator.ErrCommitUnknown) {
		t.Errorf("Err() = %v", err)
	}
	if _, err := c.Lease(ctx, "w2", 0); !errors.Is(err, coordinator.ErrCommitUnknown) {
		t.Errorf("Lease after the failure: %v, want ErrCommitUnknown", err)
	}
	if _, err := c.Submit(ctx, "t.yaml", []byte(specYAML("t", betas(2), 1, 0, 100))); !errors.Is(err, coordinator.ErrCommitUnknown) {
		t.Errorf("Submit after the failure: %v, want ErrCommitUnknown", err)
	}
	if commits != 1 {
		t.Errorf("the store saw %d commits; want only the failed one", commits)
	}
}

// TestBoltStoreCommitFaults runs the bbolt store on a fault-injecting
// FUSE filesystem and checks how it classifies each failure of a commit:
// a failed write (ENOSPC: ErrDiskFull; EIO: ErrStorage) and a failed sync
// of the data pages (ErrStorage) leave the store as it was and usable; a
// failed sync of the meta page, which the process already sees in its
// map of the file, gives ErrCommitUnknown, after which the store commits
// nothing. Reopened from the disk, the file passes the check and holds
// the last commit that was acknowledged, or the ambiguous one if the disk
// kept it. The store runs in a helper process (storeHelper): this one
// serves the mount and must not map a file on it.
func TestBoltStoreCommitFaults(t *testing.T) {
	for _, lose := range []bool{false, true} {
		t.Run(fmt.Sprintf("lose=%v", lose), func(t *testing.T) {
			ffs := mountFaultFS(t)
			path := filepath.Join(ffs.Mountpoint(), "sweeps.db")
			st := startStoreHelper(t, path)
			if got := st.Do("commit 10"); got != "ok" {
				t.Fatal(got)
			}
			page := int64(os.Getpagesize())
			for _, tt := range []struct {
				name  string
				fault faultfs.Fault
				want  string
			}{
				{"write ENOSPC", faultfs.Fault{Op: faultfs.OpWrite, File: "sweeps.db", Errno: syscall.ENOSPC}, "ErrDiskFull"},
				{"write EIO", faultfs.Fault{Op: faultfs.OpWrite, File: "sweeps.db"}, "ErrStorage"},
				{"data sync EIO", faultfs.Fault{Op: faultfs.OpFsync, File: "sweeps.db", Off: 2 * page, End: 1 << 62, Lose: lose}, "ErrStorage"},
			} {
				ffs.Inject(tt.fault)
				if got := st.Do("commit 11"); got != tt.want {
					t.Fatalf("%s: Commit = %s, want %s", tt.name, got, tt.want)
				}
				if got := st.Do("token"); got != "10" {
					t.Fatalf("%s: next token %s after the failed commit, want 10", tt.name, got)
				}
			}
			if got := st.Do("commit 12"); got != "ok" {
				t.Fatalf("commit after the clean failures: %s", got)
			}
			before := ffs.Counts("sweeps.db")
			ffs.Inject(faultfs.Fault{Op: faultfs.OpFsync, File: "sweeps.db", Off: 0, End: 2 * page, Lose: lose})
			if got := st.Do("commit 13"); got != "ErrCommitUnknown" {
				t.Fatalf("meta sync EIO: Commit = %s, want ErrCommitUnknown", got)
			}
			if n := len(ffs.Injected()); n != 4 {
				t.Fatalf("%d faults fired, want 4", n)
			}
			failedAt := ffs.Counts("sweeps.db")
			if got := st.Do("commit 14"); got != "ErrCommitUnknown" {
				t.Fatalf("commit after the ambiguous one: %s, want ErrCommitUnknown", got)
			}
			if c := ffs.Counts("sweeps.db"); c != failedAt {
				t.Errorf("the store wrote after the ambiguous commit: %+v, then %+v", failedAt, c)
			}
			if failedAt.Writes <= before.Writes {
				t.Errorf("counts %+v before and %+v after the ambiguous commit", before, failedAt)
			}
			if got := st.Do("close"); got != "ok" {
				t.Fatal(got)
			}
			// The file as the disk has it (the backing directory: this
			// process must not map the mount).
			rep, err := coordinator.CheckDatabase(context.Background(), filepath.Join(ffs.Backing(), "sweeps.db"))
			if err != nil {
				t.Fatalf("check after the ambiguous commit: %v", err)
			}
			want := uint64(13)
			if lose {
				want = 12
			}
			if rep.NextToken != want {
				t.Errorf("reopened: next token %d, want %d", rep.NextToken, want)
			}
		})
	}
}

// mountFaultFS mounts a faultfs over a fresh directory, skipping the test
// where FUSE is unavailable (a failure with PINNSWEEP_REQUIRE_FAULTS=1, as
// in CI).
func mountFaultFS(t *testing.T) *faultfs.FS {
	t.Helper()
	skip := t.Skipf
	if os.Getenv("PINNSWEEP_REQUIRE_FAULTS") == "1" {
		skip = t.Fatalf
	}
	if err := faultfs.Available(); err != nil {
		skip("FUSE is unavailable here: %v", err)
	}
	ffs, err := faultfs.Mount(t.TempDir(), t.TempDir())
	if err != nil {
		skip("cannot mount a FUSE filesystem here: %v", err)
	}
	t.Cleanup(func() {
		if err := ffs.Unmount(); err != nil {
			t.Error(err)
		}
	})
	return ffs
}
