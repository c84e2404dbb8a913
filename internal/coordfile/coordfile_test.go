package coordfile

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/pinnsweep/pinnsweep/internal/safefile"
)

func TestWriteRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coordinator.addr")
	if err := Write(path, "node7:7433"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("%v %v", fi, err)
	}
	if got, err := Read(path); err != nil || got != "node7:7433" {
		t.Fatalf("Read = %q, %v", got, err)
	}
	for _, bad := range []string{"", "node7", "node7:0", "node7:99999", ":7433", "a b:1", "x:1\ny:2"} {
		if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(path); !errors.Is(err, ErrAddress) {
			t.Errorf("Read of %q: %v, want ErrAddress", bad, err)
		}
		if err := Write(path, bad); !errors.Is(err, ErrAddress) {
			t.Errorf("Write of %q: %v, want ErrAddress", bad, err)
		}
	}
}

// TestReadNotRegular: a named pipe given as the coordinator file is
// refused at once (it would block the resolver until something wrote to
// it), and a file over the size limit is a bad address.
func TestReadNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := Read(fifo); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, safefile.ErrNotRegular) {
			t.Errorf("Read of a named pipe: %v, want ErrNotRegular", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Read of a named pipe blocked")
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, []byte(strings.Repeat("x", maxBytes+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(big); !errors.Is(err, ErrAddress) {
		t.Errorf("Read of a file over the limit: %v, want ErrAddress", err)
	}
}

func TestAdvertise(t *testing.T) {
	host, _ := os.Hostname()
	for _, c := range []struct {
		lis  string
		host string
		want string
	}{
		{"127.0.0.1:7433", "", "127.0.0.1:7433"},
		{"[::]:7433", "", net.JoinHostPort(host, "7433")},
		{"0.0.0.0:80", "", net.JoinHostPort(host, "80")},
		{"0.0.0.0:80", "node3", "node3:80"},
	} {
		addr, err := net.ResolveTCPAddr("tcp", c.lis)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := Advertise(addr, c.host); err != nil || got != c.want {
			t.Errorf("Advertise(%s, %q) = %q, %v; want %q", c.lis, c.host, got, err, c.want)
		}
	}
}

// server is a gRPC server whose health service answers for service name.
func server(t *testing.T, name string) (string, func()) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	h := health.NewServer()
	h.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(s, h)
	go func() { _ = s.Serve(lis) }()
	return lis.Addr().String(), s.Stop
}

// TestResolverFollowsFile: a client dialled through the file reaches the
// server it names, and after that server stops and the file names
// another, the next calls reach the other without a new dial.
func TestResolverFollowsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coordinator.addr")
	addrA, stopA := server(t, "a")
	addrB, stopB := server(t, "b")
	defer stopB()
	if err := Write(path, addrA); err != nil {
		t.Fatal(err)
	}
	target, err := Target(path)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithResolvers(NewResolver(Options{PollEvery: time.Hour})))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	client := healthpb.NewHealthClient(cc)
	answers := func(name string) bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		r, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: name})
		return err == nil && r.GetStatus() == healthpb.HealthCheckResponse_SERVING
	}
	if !answers("a") {
		t.Fatal("the client does not reach the server the file names")
	}
	stopA()
	if err := Write(path, addrB); err != nil {
		t.Fatal(err)
	}
	// No poll for an hour: only gRPC's re-resolution on the lost
	// connection reads the file again.
	deadline := time.Now().Add(20 * time.Second)
	for !answers("b") {
		if time.Now().After(deadline) {
			t.Fatal("the client did not follow the file to the second server")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestResolverWaitsForFile: without a file calls fail (Unavailable), and
// once it appears they reach its server.
func TestResolverWaitsForFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coordinator.addr")
	addr, stop := server(t, "a")
	defer stop()
	target, _ := Target(path)
	cc, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithResolvers(NewResolver(Options{PollEvery: 20 * time.Millisecond})))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	client := healthpb.NewHealthClient(cc)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	_, err = client.Check(ctx, &healthpb.HealthCheckRequest{Service: "a"})
	cancel()
	if err == nil {
		t.Fatal("a call succeeded with no coordinator file")
	}
	if err := Write(path, addr); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: "a"}, grpc.WaitForReady(true)); err != nil {
		t.Fatalf("after the file appeared: %v", err)
	}
}
