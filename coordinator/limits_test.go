package coordinator_test

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/pinnsweep/pinnsweep/coordinator"
)

// TestServerSettings reads the HTTP/2 SETTINGS frame the gRPC server sends
// a new connection: it announces MaxConcurrentStreams, so that a client
// cannot hold more calls than that in flight on one connection.
func TestServerSettings(t *testing.T) {
	c := open(t, filepath.Join(t.TempDir(), "limits.db"), nil)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Serve(ctx, lis) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		c.Close()
	}()

	conn, err := net.DialTimeout("tcp", lis.Addr().String(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write([]byte(http2.ClientPreface)); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(conn, conn)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("reading the server's SETTINGS: %v", err)
		}
		sf, ok := f.(*http2.SettingsFrame)
		if !ok || sf.IsAck() {
			continue
		}
		v, ok := sf.Value(http2.SettingMaxConcurrentStreams)
		if !ok || v != coordinator.MaxConcurrentStreams {
			t.Fatalf("SETTINGS_MAX_CONCURRENT_STREAMS = %d (sent: %v), want %d", v, ok, coordinator.MaxConcurrentStreams)
		}
		return
	}
}
