package e2e

import (
	"os"
	"strings"
	"testing"

	"github.com/pinnsweep/pinnsweep/internal/faultfs"
)

// Helpers of the storage and network fault tests (diskfull_test.go,
// syncfail_test.go, links_test.go).

// requireFaults is the environment variable that makes a fault test that
// cannot set up its fault (no root for a tmpfs, no FUSE) fail instead of
// skip; .ci/run sets it, so that CI never skips one silently.
const requireFaults = "PINNSWEEP_REQUIRE_FAULTS"

// skipFault skips the test with the reason, or fails it when
// PINNSWEEP_REQUIRE_FAULTS=1.
func skipFault(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv(requireFaults) == "1" {
		t.Fatalf(format+" (%s=1: this test must run here)", append(args, requireFaults)...)
	}
	t.Skipf(format, args...)
}

// mountTmpfs mounts a tmpfs of size bytes on a new directory, unmounted
// when the test ends (after the processes it started are killed).
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	if bin == "" {
		t.Skip("end-to-end tests are skipped in -short mode")
	}
	dir := t.TempDir()
	if err := faultfs.MountTmpfs(dir, size); err != nil {
		skipFault(t, "cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() {
		if err := faultfs.UnmountTmpfs(dir); err != nil {
			t.Error(err)
		}
	})
	return dir
}

// fillDisk fills dir's filesystem (faultfs.Fill) and returns the ballast
// file's path; removing it gives the space back.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path, err := faultfs.Fill(dir)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// mountFaultFS mounts internal/faultfs over a new directory and returns
// it; it is unmounted when the test ends (after the processes it started
// are killed). The test process serves the mount, so it must not open a
// bbolt file on it (storedTrials maps the file): it reads the backing
// file instead (faultfs.FS.Backing).
func mountFaultFS(t *testing.T) *faultfs.FS {
	t.Helper()
	if bin == "" {
		t.Skip("end-to-end tests are skipped in -short mode")
	}
	if err := faultfs.Available(); err != nil {
		skipFault(t, "FUSE is unavailable here: %v", err)
	}
	ffs, err := faultfs.Mount(t.TempDir(), t.TempDir())
	if err != nil {
		skipFault(t, "cannot mount a FUSE filesystem here: %v", err)
	}
	t.Cleanup(func() {
		if err := ffs.Unmount(); err != nil {
			t.Error(err)
		}
	})
	return ffs
}

// verifyExactlyOnce checks a finished sweep of n trials in db (which no
// coordinator holds): `pinnsweep check` passes, every trial is done with
// one result, no trial was accepted twice (at most one non-duplicate
// acknowledgement in the workers' logs, one "trial completed" in all the
// coordinators' logs), every acknowledged completion is the stored one,
// and no call was answered Internal.
func verifyExactlyOnce(t *testing.T, dir, db, sweep string, n int, coords, workers []*proc) {
	t.Helper()
	rep := checkDB(t, dir, db)
	if rep.Trials != n || rep.Results != n || rep.ByStatus["done"] != n {
		t.Errorf("check: %d trials, %d results, %v; want %d done with a result each", rep.Trials, rep.Results, rep.ByStatus, n)
	}
	checkAllDone(t, export(t, dir, sweep, "--db", db), n)
	stored := storedTrials(t, db, sweep)
	checkAcked(t, stored, acks(workers))
	accepted := count(workers, "trial completed", "trial", map[string]string{"duplicate": "false"})
	committed := count(coords, "trial completed", "trial", map[string]string{"status": "done"})
	for key := range stored {
		if accepted[key] > 1 || committed[sweep+"/"+key] > 1 {
			t.Errorf("trial %s: %d completions accepted (workers' logs), %d committed (coordinators' logs)", key, accepted[key], committed[sweep+"/"+key])
		}
	}
	if n := count(coords, "request failed", "method", nil); len(n) > 0 {
		t.Errorf("calls answered Internal: %v", n)
	}
	for _, w := range workers {
		if strings.Contains(w.stderr.String(), "code = Internal") {
			t.Errorf("%s was answered Internal", w.name)
		}
	}
}

// sawCode reports whether one of procs logged a failed call answered with
// the gRPC code named code.
func sawCode(procs []*proc, code string) bool {
	for _, p := range procs {
		if strings.Contains(p.stderr.String(), "code = "+code+" ") {
			return true
		}
	}
	return false
}
