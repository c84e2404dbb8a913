//go:build unix

package cliconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLoadRefusesNamedPipe: a config file that is a named pipe is refused
// at once (opening it waited for a writer, so every client command hung).
func TestLoadRefusesNamedPipe(t *testing.T) {
	pipe := filepath.Join(t.TempDir(), "config.yaml")
	if err := syscall.Mkfifo(pipe, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := Load(pipe); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrUnsafeFile) || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("Load of a named pipe: %v; want ErrUnsafeFile, not a regular file", err)
		}
	case <-time.After(time.Minute):
		if f, err := os.OpenFile(pipe, os.O_WRONLY, 0); err == nil {
			f.Close() // release the blocked Load
		}
		t.Fatal("Load blocked on a named pipe")
	}
}
