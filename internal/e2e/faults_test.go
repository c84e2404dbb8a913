package e2e

import (
	"strings"
	"testing"

	"github.com/pinnsweep/pinnsweep/internal/faultfs"
)

// Helpers of the storage and network fault tests (diskfull_test.go,
// syncfail_test.go, links_test.go).

// mountTmpfs mounts a tmpfs of size bytes on a new directory
// (faultfs.TmpfsForTest), unmounted when the test ends (after the
// processes it started are killed).
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	if bin == "" {
		t.Skip("end-to-end tests are skipped in -short mode")
	}
	return faultfs.TmpfsForTest(t, size)
}

// fillDisk fills dir's filesystem, a tmpfs of size bytes, and returns the
// ballast file's path (faultfs.Fill); removing it gives the space back.
func fillDisk(t *testing.T, dir string, size int64) string {
	t.Helper()
	path, err := faultfs.Fill(dir, size)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// mountFaultFS mounts internal/faultfs over a new directory
// (faultfs.MountForTest) and returns it; it is unmounted when the test
// ends (after the processes it started are killed). The test process
// serves the mount, so it must not open a bbolt file on it (storedTrials
// maps the file): it reads the backing file instead (faultfs.FS.Backing).
func mountFaultFS(t *testing.T) *faultfs.FS {
	t.Helper()
	if bin == "" {
		t.Skip("end-to-end tests are skipped in -short mode")
	}
	return faultfs.MountForTest(t)
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
