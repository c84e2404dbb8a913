package safefile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// noHang runs f and fails the test if it has not returned within a minute
// (a blocked open of a named pipe would never return); unblock is called
// then to release it.
func noHang(t *testing.T, unblock func(), f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		unblock()
		<-done
		t.Fatal("blocked")
	}
}

// fifo makes a named pipe in dir and returns it with a function that
// unblocks a reader waiting on it.
func fifo(t *testing.T, dir string) (string, func()) {
	t.Helper()
	path := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	return path, func() {
		if f, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
	}
}

func TestReadRegular(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "spec.yaml")
	if err := os.WriteFile(file, []byte("name: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	pipe, unblock := fifo(t, dir)
	tests := []struct {
		name, path string
		limit      int64
		want       string
		err        error
		msg        string
	}{
		{"regular", file, 8, "name: x\n", nil, ""},
		{"symlink", link, 8, "name: x\n", nil, ""},
		{"over the limit", file, 7, "", ErrTooLarge, "spec.yaml: file too large: larger than 7 bytes, the limit"},
		{"named pipe", pipe, 1 << 20, "", ErrNotRegular, "pipe: not a regular file: it is a named pipe (FIFO)"},
		{"device", "/dev/zero", 1 << 20, "", ErrNotRegular, "/dev/zero: not a regular file: it is a character device"},
		{"directory", dir, 1 << 20, "", ErrNotRegular, "it is a directory"},
		{"missing", filepath.Join(dir, "missing"), 1, "", fs.ErrNotExist, "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []byte
			var err error
			noHang(t, unblock, func() { got, err = ReadRegular(tt.path, tt.limit) })
			if tt.err == nil {
				if err != nil || string(got) != tt.want {
					t.Fatalf("ReadRegular = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("ReadRegular: %v; want %v containing %q", err, tt.err, tt.msg)
			}
		})
	}
}

func TestCheckRegular(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sweeps.db")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	pipe, _ := fifo(t, dir)
	for path, want := range map[string]error{file: nil, filepath.Join(dir, "new.db"): nil, pipe: ErrNotRegular, dir: ErrNotRegular} {
		if err := CheckRegular(path); !errors.Is(err, want) || (want == nil) != (err == nil) {
			t.Errorf("CheckRegular(%s) = %v, want %v", path, err, want)
		}
	}
}

func TestStage(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "summary.md")
	if err := os.WriteFile(old, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	write := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	s, err := NewStage(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"summary.md", "a.png", "trials/b.png"} {
		if err := s.WriteFile(name, 0o644, write("new "+name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.WriteFile("../escape", 0o644, write("x")); err == nil {
		t.Fatal("staged a file outside the directory")
	}
	if err := s.WriteFile("a.png", 0o644, write("again")); err == nil {
		t.Fatal("staged a.png twice")
	}
	if b, _ := os.ReadFile(old); string(b) != "old" {
		t.Fatalf("summary.md changed before Commit: %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "a.png")); err == nil {
		t.Fatal("a.png visible before Commit")
	}
	if err := s.Commit("summary.md"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"summary.md", "a.png", "trials/b.png"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != "new "+name {
			t.Errorf("%s: %q, %v", name, b, err)
		}
	}
	if names, _ := filepath.Glob(filepath.Join(dir, ".staging-*")); len(names) != 0 {
		t.Fatalf("staging left behind: %v", names)
	}

	// Aborted: nothing changes.
	s, err = NewStage(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteFile("summary.md", 0o644, write("aborted")); err != nil {
		t.Fatal(err)
	}
	if err := s.Abort(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(old); string(b) != "new summary.md" {
		t.Fatalf("summary.md after Abort: %q", b)
	}
	if names, _ := filepath.Glob(filepath.Join(dir, ".staging-*")); len(names) != 0 {
		t.Fatalf("staging left behind: %v", names)
	}
}

// TestStageCommitChecksFirst: a directory where a staged file goes fails
// Commit before any file is moved.
func TestStageCommitChecksFirst(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "b.png"), 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := NewStage(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.png", "b.png", "summary.md"} {
		if err := s.WriteFile(name, 0o644, func(w io.Writer) error { _, err := io.WriteString(w, name); return err }); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Commit("summary.md"); err == nil || !strings.Contains(err.Error(), "b.png is a directory") {
		t.Fatalf("Commit: %v; want the directory named", err)
	}
	for _, name := range []string{"a.png", "summary.md"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s moved into place by a failed Commit", name)
		}
	}
	if err := s.Abort(); err != nil {
		t.Fatal(err)
	}
}
