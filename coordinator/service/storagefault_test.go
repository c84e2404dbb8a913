package service_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/internal/coordtest"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// failingStore fails every Commit with err while it is set, without
// changing the store, and counts those commits.
type failingStore struct {
	state.Store
	mu     sync.Mutex
	err    error
	failed int
}

func (s *failingStore) Commit(ctx context.Context, ch *state.Change) error {
	s.mu.Lock()
	err := s.err
	if err != nil {
		s.failed++
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.Store.Commit(ctx, ch)
}

func (s *failingStore) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

func (s *failingStore) failures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

// startFailingServer serves a coordinator on a memory store that fails
// commits on demand.
func startFailingServer(t *testing.T) (*server, *failingStore) {
	t.Helper()
	store := &failingStore{Store: state.NewMemoryStore()}
	s := startServerWith(t, coordinator.Options{Store: store, Logger: coordtest.Logger(t), LeaseTTL: 30 * time.Second, MaxLeaseWait: 2 * time.Second})
	return s, store
}

// TestStorageErrorCodes fails commits the way the bbolt store reports a
// full disk and an I/O error, and checks the codes a gRPC client sees
// (ResourceExhausted and Unavailable, not Internal), that nothing
// changed, and that the coordinator keeps serving and succeeds once the
// store does.
func TestStorageErrorCodes(t *testing.T) {
	s, store := startFailingServer(t)
	ctx := context.Background()
	submit := func() error {
		_, err := s.sweeps.SubmitSweep(ctx, &pb.SubmitSweepRequest{Spec: &pb.Spec{Filename: "s.yaml", Source: coordtest.SpecYAML("s", []int{1, 2, 3}, 1, 0, 100)}})
		return err
	}
	for _, tt := range []struct {
		err  error
		code codes.Code
	}{
		{fmt.Errorf("commit: %w: write sweeps.db: %w", state.ErrDiskFull, syscall.ENOSPC), codes.ResourceExhausted},
		{fmt.Errorf("commit: %w: %w", state.ErrStorage, syscall.EIO), codes.Unavailable},
	} {
		store.fail(tt.err)
		err := submit()
		if status.Code(err) != tt.code || !strings.Contains(status.Convert(err).Message(), tt.err.Error()) {
			t.Errorf("SubmitSweep with the store failing %q: %v; want %v with the store's message", tt.err, err, tt.code)
		}
	}
	if _, err := s.c.Progress(ctx, "s"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("a failed submission is visible: %v", err)
	}
	store.fail(nil)
	if err := submit(); err != nil {
		t.Fatalf("SubmitSweep once the store works again: %v", err)
	}
	select {
	case err := <-s.served:
		t.Fatalf("Serve returned %v after failed commits that changed nothing", err)
	default:
	}
	if err := s.c.Err(); err != nil {
		t.Fatalf("Err() = %v", err)
	}
}

// TestCommitUnknownStops fails a commit with state.ErrCommitUnknown: the
// caller gets Unavailable, Serve shuts down and returns the error,
// in-process callers get it too, and no commit reaches the store
// afterwards.
func TestCommitUnknownStops(t *testing.T) {
	s, store := startFailingServer(t)
	ctx := context.Background()
	coordtest.MustSubmit(t, s.c, coordtest.SpecYAML("s", []int{1, 2, 3, 4}, 1, 0, 100))
	g := coordtest.MustLease(t, s.c, "w1")
	watchErr := make(chan error, 1)
	go func() { watchErr <- s.c.Watch(ctx, "s", func(state.Progress) error { return nil }) }()

	store.fail(fmt.Errorf("commit: %w: %w", state.ErrCommitUnknown, syscall.EIO))
	_, err := s.worker.Complete(ctx, &pb.CompleteRequest{LeaseId: g.LeaseID, Token: g.Token, WorkerId: "w1", LeaseSecret: g.Secret.Bytes(),
		Status: pb.TrialStatus_TRIAL_STATUS_DONE, ResultJson: coordtest.ResultJSON(0.1)})
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("Complete whose commit's outcome is unknown: %v, want Unavailable", err)
	}
	select {
	case err := <-s.served:
		if !errors.Is(err, state.ErrCommitUnknown) {
			t.Fatalf("Serve returned %v, want ErrCommitUnknown", err)
		}
		s.served <- nil // for stop, which has seen the shutdown now
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not stop after a commit whose outcome is unknown")
	}
	select {
	case err := <-watchErr:
		if !errors.Is(err, state.ErrCommitUnknown) {
			t.Errorf("Watch returned %v, want ErrCommitUnknown", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("Watch did not return")
	}
	if err := s.c.Err(); !errors.Is(err, state.ErrCommitUnknown) {
		t.Errorf("Err() = %v", err)
	}
	select {
	case <-s.c.Failed():
	default:
		t.Error("Failed() is not closed")
	}
	if _, err := s.c.Lease(ctx, "w2", 0); !errors.Is(err, state.ErrCommitUnknown) {
		t.Errorf("Lease after the failure: %v, want ErrCommitUnknown", err)
	}
	if _, err := s.c.Submit(ctx, "t.yaml", []byte(coordtest.SpecYAML("t", []int{1, 2}, 1, 0, 100))); !errors.Is(err, state.ErrCommitUnknown) {
		t.Errorf("Submit after the failure: %v, want ErrCommitUnknown", err)
	}
	if n := store.failures(); n != 1 {
		t.Errorf("the store saw %d commits; want only the failed one", n)
	}
}
