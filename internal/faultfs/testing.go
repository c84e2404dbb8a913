package faultfs

import (
	"os"
	"testing"
)

// RequireEnv names the environment variable that, set to 1, makes a fault
// test that cannot set up its fault here (no FUSE, no root for a tmpfs or
// a network namespace) fail instead of skip. CI (.ci/run) sets it, so
// that it never skips one silently.
const RequireEnv = "PINNSWEEP_REQUIRE_FAULTS"

// SkipUnavailable skips tb, saying why its fault cannot be set up here,
// or fails it when RequireEnv is 1.
func SkipUnavailable(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if os.Getenv(RequireEnv) == "1" {
		tb.Fatalf(format+" (%s=1: this test must run here)", append(args, RequireEnv)...)
	}
	tb.Skipf(format, args...)
}

// MountForTest mounts a faultfs over a new backing directory on a new
// mount point (both tb.TempDir) and returns it; it is unmounted when the
// test ends, after the cleanups registered later (the processes the test
// starts on it), and a failure to unmount fails the test. Where FUSE is
// unavailable it calls SkipUnavailable.
func MountForTest(tb testing.TB) *FS {
	tb.Helper()
	if err := Available(); err != nil {
		SkipUnavailable(tb, "FUSE is unavailable here: %v", err)
	}
	ffs, err := Mount(tb.TempDir(), tb.TempDir())
	if err != nil {
		SkipUnavailable(tb, "cannot mount a FUSE filesystem here: %v", err)
	}
	tb.Cleanup(func() {
		if err := ffs.Unmount(); err != nil {
			tb.Error(err)
		}
	})
	return ffs
}

// TmpfsForTest mounts a tmpfs of size bytes on a new directory (a
// tb.TempDir) and returns it; it is unmounted when the test ends, after
// the cleanups registered later, and a failure to unmount fails the test.
// Where a tmpfs cannot be mounted (not root) it calls SkipUnavailable.
func TmpfsForTest(tb testing.TB, size int64) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := MountTmpfs(dir, size); err != nil {
		SkipUnavailable(tb, "cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): %v", err)
	}
	tb.Cleanup(func() {
		if err := UnmountTmpfs(dir); err != nil {
			tb.Error(err)
		}
	})
	return dir
}
