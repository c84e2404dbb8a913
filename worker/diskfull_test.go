package worker

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
	"github.com/pinnsweep/pinnsweep/internal/faultfs"
)

// TestCommandTrialDiskFull runs command trials with the worker directory
// (each trial's $PINNSWEEP_OUT, params.json and trial.log) on a 1 MiB
// tmpfs that is full from the start. The worker cannot prepare a trial:
// that is no fault of the trial, so it must not fail it (spending an
// attempt, or the whole sweep on a worker with a full disk) but release
// the lease and back off. Once the space returns, every trial runs and is
// completed done, with the result its program wrote to
// $PINNSWEEP_OUT/result.json, and no failure was ever reported. The
// tmpfs needs root; the test skips elsewhere, and fails there with
// PINNSWEEP_REQUIRE_FAULTS=1 (CI).
func TestCommandTrialDiskFull(t *testing.T) {
	py := python(t)
	const size = 1 << 20
	disk := faultfs.TmpfsForTest(t, size)
	ballast, err := faultfs.Fill(disk, size)
	if err != nil {
		t.Fatal(err)
	}

	f := newFake(0)
	f.requeue = true
	f.command = &pb.Command{Argv: []string{py, script(t), "{mark}"}}
	keys := []string{"full-a-" + uniq, "full-b-" + uniq}
	for _, k := range keys {
		f.queue = append(f.queue, keyedTrial(k, "done", ""))
	}
	workDir := filepath.Join(disk, "work")
	stop := startWorker(t, Options{Conn: serve(t, f), Runner: NoopRunner{},
		Command: newCommandRunner(t, CommandOptions{Dir: workDir}), Backoff: Backoff{Initial: 20 * time.Millisecond, Max: 200 * time.Millisecond}})
	defer stop()

	deadline := time.Now().Add(30 * time.Second)
	for {
		completes, releases, _ := f.snapshot()
		if len(completes) > 0 {
			t.Fatalf("the worker reported a trial it could not prepare: %v", completes[0])
		}
		if len(releases) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d releases in 30 s on the full disk; want the leases handed back", len(releases))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}

	deadline = time.Now().Add(60 * time.Second)
	for {
		completes, _, _ := f.snapshot()
		if len(completes) == len(keys) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d trials completed after the space returned", len(completes), len(keys))
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	completes, releases, _ := f.snapshot()
	for _, c := range completes {
		if c.GetStatus() != pb.TrialStatus_TRIAL_STATUS_DONE || !strings.Contains(c.GetResultJson(), `"rel_l2": 0.01`) {
			t.Errorf("completion %v; want done with the program's result.json", c)
		}
	}
	for _, k := range keys {
		if _, err := os.Stat(filepath.Join(workDir, "cmd", k)); err != nil {
			t.Errorf("trial %s has no directory on the disk: %v", k, err)
		}
	}
	t.Logf("%d leases released while the disk was full; then %d trials done", len(releases), len(completes))
}
