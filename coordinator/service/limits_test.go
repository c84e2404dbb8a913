package service_test

import (
	"net"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/pinnsweep/pinnsweep/coordinator/service"
)

// TestServerSettings reads the HTTP/2 SETTINGS frame the gRPC server sends
// a new connection: it announces MaxConcurrentStreams, so that a client
// cannot hold more calls than that in flight on one connection.
func TestServerSettings(t *testing.T) {
	s := startServer(t, nil)
	conn, err := net.DialTimeout("tcp", s.addr, 10*time.Second)
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
		if !ok || v != service.MaxConcurrentStreams {
			t.Fatalf("SETTINGS_MAX_CONCURRENT_STREAMS = %d (sent: %v), want %d", v, ok, service.MaxConcurrentStreams)
		}
		return
	}
}
