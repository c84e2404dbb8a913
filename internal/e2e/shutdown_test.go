package e2e

import (
	"encoding/json"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestWorkerSIGTERMReleases SIGTERMs a worker mid-trial under a 60 s
// lease TTL: the worker exits 0 at once, handing its lease back, and a
// second worker, waiting in a long-poll, gets the trial well before the
// TTL could have expired it (this test gives it 30 s). The coordinator
// expired nothing, and the released attempt did not count: the trial ends
// done by the second worker with attempts = 1.
func TestWorkerSIGTERMReleases(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "sweeps.db")
	coord, addr := serve(t, dir, db, "127.0.0.1:0", "--lease-ttl", "60s")
	mustCLI(t, dir, "submit", testdata(t, "slow-one.yaml"), "--coordinator", addr)
	c := dial(t, addr)

	first := worker(t, dir, addr, "first")
	eventually(t, 30*time.Second, "the first worker to lease the trial", func() bool {
		return len(count([]*proc{first}, "trial leased", "trial", nil)) == 1
	})
	second := worker(t, dir, addr, "second")
	first.signal(syscall.SIGTERM)
	if code := first.wait(10 * time.Second); code != 0 {
		t.Errorf("the first worker exited %d after SIGTERM", code)
	}
	if n := count([]*proc{first}, "trial released", "trial", nil); len(n) != 1 {
		t.Errorf("the first worker released %v, want its one trial", n)
	}
	eventually(t, 30*time.Second, "the second worker to lease the released trial", func() bool {
		return len(count([]*proc{second}, "trial leased", "trial", nil)) == 1
	})
	c.waitFinished(t, "slow-one", 60*time.Second)
	second.stop()
	coord.stop()

	if n := count([]*proc{coord}, "lease expired", "trial", nil); len(n) != 0 {
		t.Errorf("leases expired %v; the release should have requeued the trial", n)
	}
	trials := export(t, dir, "slow-one", "--db", db)
	checkAllDone(t, trials, 1)
	if tr := trials[0]; tr.Worker != "second" || tr.Attempts != 1 {
		t.Errorf("trial done by %q after %d attempts, want the second worker and 1 (a release does not count)", tr.Worker, tr.Attempts)
	}
	checkDB(t, dir, db)
}

// TestCoordinatorSIGTERMDrains SIGTERMs the coordinator while two workers
// complete trials: it exits 0 within 10 s (it stops accepting calls,
// finishes those in flight and closes the database), the file passes
// `pinnsweep check`, and every completion acknowledged to a worker before
// the shutdown is in it. Restarted, the coordinator finishes the sweep;
// no trial done before the shutdown runs again.
func TestCoordinatorSIGTERMDrains(t *testing.T) {
	dir, db, coord, addr, workers, c := resumeCluster(t, 3)

	coord.signal(syscall.SIGTERM)
	if code := coord.wait(10 * time.Second); code != 0 {
		t.Fatalf("the coordinator exited %d after SIGTERM", code)
	}
	if n := count([]*proc{coord}, "stopped", "", nil); n[""] != 1 {
		t.Error("the coordinator did not log its graceful stop")
	}
	checkDB(t, dir, db)
	before := storedTrials(t, db, "resume")
	acked := acks(workers)
	if len(acked) == 0 {
		t.Fatal("no completion was acknowledged before the shutdown")
	}
	checkAcked(t, before, acked)
	if len(acked) == 14 {
		t.Fatal("the sweep finished before the shutdown: make testdata/resume.yaml slower")
	}

	coord2, _ := serve(t, dir, db, addr, "--lease-ttl", "3s")
	c.waitFinished(t, "resume", 90*time.Second)
	for _, w := range workers {
		w.stop()
	}
	coord2.stop()

	rep := checkDB(t, dir, db)
	if rep.Trials != 14 || rep.ByStatus["done"] != 14 || rep.Results != 14 {
		t.Errorf("after the restart: %+v, want 14 trials done with a result each", rep)
	}
	after := storedTrials(t, db, "resume")
	checkAcked(t, after, acks(workers))
	leased := count(workers, "trial leased", "trial", nil)
	for key, tr := range before {
		if tr.Status != "done" {
			continue
		}
		if a := after[key]; string(a.Result) != string(tr.Result) || a.Token != tr.Token || leased[key] != 1 {
			t.Errorf("trial %s, done before the shutdown, changed or ran again (leased %d times)", key, leased[key])
		}
	}
	t.Logf("%d completions acknowledged before the shutdown, all in the database", len(acked))
}

// TestBudgetTimeoutAndDivergence runs two sweeps with retries left: a
// trial that would train for minutes under a 1 s wall-time budget, which
// the worker stops and reports timeout, and a trial whose loss becomes NaN
// (Adam with a step of 1e300), reported diverged. Both are final and not
// retried: each was leased once (attempts = 1).
func TestBudgetTimeoutAndDivergence(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "sweeps.db")
	coord, addr := serve(t, dir, db, "127.0.0.1:0")
	mustCLI(t, dir, "submit", testdata(t, "over-budget.yaml"), "--coordinator", addr)
	mustCLI(t, dir, "submit", testdata(t, "diverge.yaml"), "--coordinator", addr)
	w := worker(t, dir, addr, "worker-a")
	c := dial(t, addr)
	c.waitFinished(t, "over-budget", 60*time.Second)
	c.waitFinished(t, "diverge", 60*time.Second)
	w.stop()
	coord.stop()

	for _, tt := range []struct{ sweep, status string }{{"over-budget", "timeout"}, {"diverge", "diverged"}} {
		trials := export(t, dir, tt.sweep, "--db", db)
		if len(trials) != 1 {
			t.Fatalf("%s: %d trials, want 1", tt.sweep, len(trials))
		}
		tr := trials[0]
		if tr.Status != tt.status || tr.Attempts != 1 {
			t.Errorf("%s: %s after %d attempts (reason %q), want %s after 1", tt.sweep, tr.Status, tr.Attempts, tr.Reason, tt.status)
		}
		if n := count([]*proc{w}, "trial leased", "trial", map[string]string{"sweep": tt.sweep}); n[tr.Key] != 1 {
			t.Errorf("%s: leased %d times, want once", tt.sweep, n[tr.Key])
		}
		if n := count([]*proc{w}, "trial completed", "status", map[string]string{"sweep": tt.sweep}); n[tt.status] != 1 {
			t.Errorf("%s: the worker reported %v, want one %s", tt.sweep, n, tt.status)
		}
		if tt.status == "diverged" {
			var res struct {
				Status     string `json:"status"`
				StopReason string `json:"stop_reason"`
			}
			if err := json.Unmarshal(tr.Result, &res); err != nil || res.Status != "diverged" {
				t.Errorf("diverged trial's result: %v, %s", err, tr.Result)
			}
		}
	}
	checkDB(t, dir, db)
}
