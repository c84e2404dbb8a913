package coordinator_test

import (
	"context"
	"errors"
	"fmt"
	"net"
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
