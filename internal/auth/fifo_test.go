package auth

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/pinnsweep/pinnsweep/internal/safefile"
)

// TestTLSFilesNotRegular: a named pipe given as a certificate, key or CA
// file is refused at once, naming it, instead of blocking the process
// until something writes to the pipe (os.ReadFile and
// tls.LoadX509KeyPair wait on a FIFO for ever).
func TestTLSFilesNotRegular(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteDevCerts(DevCertOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.pem")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	cert, key, ca := filepath.Join(dir, ServerCertFile), filepath.Join(dir, ServerKeyFile), filepath.Join(dir, CAFile)
	for _, c := range []struct {
		name string
		load func() error
	}{
		{"server certificate", func() error { _, err := ServerTLS(fifo, key, ""); return err }},
		{"server key", func() error { _, err := ServerTLS(cert, fifo, ""); return err }},
		{"client CA", func() error { _, err := ServerTLS(cert, key, fifo); return err }},
		{"client certificate", func() error { _, err := ClientTLS(ca, fifo, key, ""); return err }},
		{"root CA", func() error { _, err := ClientTLS(fifo, "", "", ""); return err }},
		{"a device", func() error { _, err := ClientTLS("/dev/zero", "", "", ""); return err }},
	} {
		done := make(chan error, 1)
		go func() { done <- c.load() }()
		select {
		case err := <-done:
			if !errors.Is(err, safefile.ErrNotRegular) {
				t.Errorf("%s: %v, want ErrNotRegular", c.name, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: still blocked after 10 s", c.name)
		}
	}
	// The regular files still load.
	if _, err := ServerTLS(cert, key, ca); err != nil {
		t.Errorf("ServerTLS of the dev certificates: %v", err)
	}
	if _, err := ClientTLS(ca, filepath.Join(dir, WorkerCertFile), filepath.Join(dir, WorkerKeyFile), ""); err != nil {
		t.Errorf("ClientTLS of the dev certificates: %v", err)
	}
}
