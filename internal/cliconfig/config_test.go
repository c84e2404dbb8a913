package cliconfig

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestSaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "config.yaml")
	c := &Config{}
	if err := c.Delete("x"); !errors.Is(err, ErrNoContext) {
		t.Fatalf("delete of a missing context: %v", err)
	}
	c.Put(Context{Name: "prod", Settings: Settings{Coordinator: "coord:7433", CA: "/pki/ca.pem", TokenFile: "/t"}})
	c.Put(Context{Name: "dev", Settings: Settings{Coordinator: "localhost:7433"}})
	c.Put(Context{Name: "prod", Settings: Settings{Coordinator: "coord2:7433", ServerName: "coord"}})
	c.Current = "prod"
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode())
	}
	if di, _ := os.Stat(filepath.Dir(path)); runtime.GOOS != "windows" && di.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", di.Mode())
	}
	raw, _ := os.ReadFile(path)
	want := `current-context: prod
contexts:
  - name: dev
    coordinator: localhost:7433
  - name: prod
    coordinator: coord2:7433
    server-name: coord
`
	if string(raw) != want {
		t.Errorf("file:\n%s\nwant:\n%s", raw, want)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := got.Get("prod")
	if err != nil || got.Current != "prod" || p.Coordinator != "coord2:7433" || p.CA != "" || len(got.Contexts) != 2 {
		t.Fatalf("loaded %+v %v", got, err)
	}
	if err := got.Delete("prod"); err != nil || got.Current != "" || len(got.Contexts) != 1 {
		t.Fatalf("delete the current context: %v %+v", err, got)
	}
}

func TestLoadMissingIsEmpty(t *testing.T) {
	c, err := Load(filepath.Join(t.TempDir(), "none.yaml"))
	if err != nil || len(c.Contexts) != 0 || c.Current != "" {
		t.Fatalf("%+v %v", c, err)
	}
}

func TestLoadRefusesUnsafeFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("modes are ACLs on Windows")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte("current-context: \"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mode os.FileMode
		ok   bool
	}{{0o600, true}, {0o644, true}, {0o400, true}, {0o664, false}, {0o606, false}, {0o666, false}} {
		if err := os.Chmod(path, tc.mode); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if tc.ok != (err == nil) || (err != nil && (!errors.Is(err, ErrUnsafeFile) || !strings.Contains(err.Error(), "chmod 600"))) {
			t.Errorf("mode %04o: %v", tc.mode, err)
		}
	}
	if _, err := Load(dir); !errors.Is(err, ErrUnsafeFile) {
		t.Errorf("a directory: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"contexts:\n  - name: a\n    coordnator: x:1\n", `line 3`},
		{"contexts:\n  - name: a\n  - name: a\n", `context "a" is defined twice`},
		{"contexts:\n  - name: 'a b'\n", `context 1: context name "a b"`},
		{"contexts:\n  - coordinator: x:1\n", "context 1: empty context name"},
		{"current-context: gone\ncontexts:\n  - name: a\n", `current-context "gone" is not among the contexts`},
		{"contexts: 3\n", "cfg.yaml"},
	} {
		_, err := Parse("cfg.yaml", []byte(tc.text))
		if !errors.Is(err, ErrBadConfig) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v, want one line with %q", tc.text, err, tc.want)
		}
	}
	if c, err := Parse("cfg.yaml", []byte("  \n")); err != nil || len(c.Contexts) != 0 {
		t.Errorf("empty file: %v", err)
	}
}

func TestLoadTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, make([]byte, MaxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("%v", err)
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv(EnvConfig, "/x/pinnsweep.yaml")
	if p, err := DefaultPath(); err != nil || p != "/x/pinnsweep.yaml" {
		t.Fatalf("%q %v", p, err)
	}
	t.Setenv(EnvConfig, "")
	t.Setenv("XDG_CONFIG_HOME", "/cfg")
	if p, err := DefaultPath(); runtime.GOOS == "linux" && (err != nil || p != "/cfg/pinnsweep/config.yaml") {
		t.Fatalf("%q %v", p, err)
	}
}
