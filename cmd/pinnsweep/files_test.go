package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pinnsweep/pinnsweep/sweeps"
)

// TestIrregularFiles: every command that reads a file the user names
// refuses a named pipe or a device at once (before, a named pipe blocked
// it, SIGTERM included, and /dev/zero grew its memory without end) and a
// spec over sweeps.MaxSpecSize, with an error naming the file and why.
func TestIrregularFiles(t *testing.T) {
	clearTokenEnv(t)
	dir := t.TempDir()
	pipe := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(pipe, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("name: big\n#"+strings.Repeat("x", sweeps.MaxSpecSize)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := writeSpec(t, tinySpec)
	out := filepath.Join(dir, "report")
	const isPipe, isDevice = "it is a named pipe (FIFO)", "it is a character device"
	tooLarge := fmt.Sprintf("larger than %d bytes, the limit", sweeps.MaxSpecSize)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"run", pipe, "--db", filepath.Join(dir, "a.db")}, 1, isPipe},
		{[]string{"run", "/dev/zero", "--db", filepath.Join(dir, "a.db")}, 1, isDevice},
		{[]string{"run", big, "--db", filepath.Join(dir, "a.db")}, 1, tooLarge},
		{[]string{"run", spec, "--db", pipe}, 1, isPipe},
		{[]string{"submit", pipe, "--coordinator", "127.0.0.1:1"}, 1, isPipe},
		{[]string{"submit", "/dev/zero", "--coordinator", "127.0.0.1:1"}, 1, isDevice},
		{[]string{"submit", big, "--coordinator", "127.0.0.1:1"}, 1, tooLarge},
		{[]string{"check", "--db", pipe}, 1, isPipe},
		{[]string{"export", "tiny", "--db", pipe}, 1, isPipe},
		{[]string{"report", "tiny", "--db", pipe, "--out", out}, 1, isPipe},
		{[]string{"serve", "--db", pipe}, 2, isPipe},
		{[]string{"serve", "--db", filepath.Join(dir, "s.db"), "--admin-token-file", pipe}, 2, isPipe},
		{[]string{"status", "--coordinator", "127.0.0.1:1", "--token-file", "/dev/zero"}, 2, isDevice}, // credential flags are usage
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[:2], " "), func(t *testing.T) {
			var code int
			var stderr string
			done := make(chan struct{})
			go func() {
				defer close(done)
				code, _, stderr = cli(tt.args...)
			}()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				// Release a reader blocked opening the pipe, if it can be.
				if f, err := os.OpenFile(pipe, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					f.Close()
				}
				t.Fatalf("%v blocked on a named pipe", tt.args)
			}
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Fatalf("%v: exit %d, %q; want exit %d and an error containing %q", tt.args, code, stderr, tt.code, tt.want)
			}
		})
	}
}
