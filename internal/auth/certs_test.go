package auth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDevCertsValidity: a long validity ends when it says (a
// time.Duration overflowed past 106,751 days, giving certificates that
// had expired in 1989); past MaxCertDays is refused.
func TestDevCertsValidity(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	for _, days := range []int{365, 36500} {
		dir := t.TempDir()
		if _, err := WriteDevCerts(DevCertOptions{Dir: dir, Days: days, Now: now}); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{CAFile, ServerCertFile, WorkerCertFile} {
			c := readCert(t, filepath.Join(dir, f))
			if want := now.AddDate(0, 0, days); !c.NotAfter.Equal(want) {
				t.Errorf("%d days: %s expires %v, want %v", days, f, c.NotAfter, want)
			}
		}
	}
	for _, days := range []int{MaxCertDays + 1, 200000, -1} {
		_, err := WriteDevCerts(DevCertOptions{Dir: t.TempDir(), Days: days, Now: now})
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "must be in [1, 36500]") {
			t.Errorf("%d days: %v, want a refusal", days, err)
		}
	}
}

// TestDevCertsForceSymlink: with Force, a symbolic link planted where a
// file goes is replaced; the file it points to is not overwritten.
func TestDevCertsForceSymlink(t *testing.T) {
	base := t.TempDir()
	victim := filepath.Join(base, "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "pki")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{CAKeyFile, ServerCertFile} {
		if err := os.Symlink(victim, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := WriteDevCerts(DevCertOptions{Dir: dir}); !errors.Is(err, ErrExists) {
		t.Fatalf("without Force: %v, want ErrExists", err)
	}
	if _, err := WriteDevCerts(DevCertOptions{Dir: dir, Force: true}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Fatalf("the link's target was overwritten: %.40q", b)
	}
	for name, perm := range map[string]os.FileMode{CAKeyFile: 0o600, ServerCertFile: 0o644} {
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != perm {
			t.Errorf("%s: %v %v; want a regular file of mode %v", name, fi.Mode(), err, perm)
		}
	}
	readCert(t, filepath.Join(dir, ServerCertFile))
}
