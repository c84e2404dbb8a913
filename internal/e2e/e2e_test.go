package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// worker starts `pinnsweep work` with one slot.
func worker(t *testing.T, dir, addr, id string) *proc {
	return start(t, dir, id, "work", "--coordinator", addr, "--slots", "1", "--id", id, "--log-json")
}

// checkAllDone checks an export: n distinct trials, each done with a
// result; it returns them by key.
func checkAllDone(t *testing.T, trials []exported, n int) map[string]exported {
	t.Helper()
	byKey := map[string]exported{}
	for _, tr := range trials {
		if _, dup := byKey[tr.Key]; dup {
			t.Errorf("trial %s exported twice", tr.Key)
		}
		byKey[tr.Key] = tr
		if tr.Status != "done" || len(tr.Result) == 0 || string(tr.Result) == "null" {
			t.Errorf("trial %s: status %s, result %.60s (reason %q)", tr.Key, tr.Status, tr.Result, tr.Reason)
		}
	}
	if len(byKey) != n {
		t.Errorf("%d trials exported, want %d", len(byKey), n)
	}
	return byKey
}

// TestClusterExactlyOnce runs sweeps/examples/quick.yaml on a coordinator
// process and two worker processes over loopback TCP, and proves that every
// trial ran and completed exactly once:
//
//   - the export has one entry per grid point, each done with a result
//     and attempts = 1 (a lease counts an attempt, so no trial was leased
//     twice);
//   - the workers logged exactly one "trial leased" and one accepted
//     ("trial completed", duplicate=false) per trial, and the worker that
//     completed a trial is the one the export names;
//   - the coordinator logged exactly one "trial completed" per trial (it
//     logs one line per committed, non-duplicate completion);
//   - the live export (over gRPC) and the export of the database file
//     after shutdown agree byte for byte.
func TestClusterExactlyOnce(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "sweeps.db")
	coord, addr := serve(t, dir, db, "127.0.0.1:0")
	mustCLI(t, dir, "submit", testdata(t, "../../../sweeps/examples/quick.yaml"), "--coordinator", addr)
	workers := []*proc{worker(t, dir, addr, "worker-a"), worker(t, dir, addr, "worker-b")}

	c := dial(t, addr)
	p := c.waitFinished(t, "quick", 90*time.Second)
	if p.GetTotal() != 4 || p.GetDone() != 4 {
		t.Fatalf("progress %v, want 4 of 4 done", p)
	}
	// The coordinator commits before its answer reaches the worker; stop
	// the workers only once each has logged its acknowledgement, or a
	// stop between the two makes the worker retry and read its own
	// result back as a duplicate.
	eventually(t, 30*time.Second, "4 acknowledged completions", func() bool {
		n := 0
		for _, c := range count(workers, "trial completed", "trial", nil) {
			n += c
		}
		return n >= 4
	})
	for _, w := range workers {
		w.stop()
	}
	live := export(t, dir, "quick", "--coordinator", addr)
	coord.stop()
	stored := export(t, dir, "quick", "--db", db)

	byKey := checkAllDone(t, stored, 4)
	liveByKey := checkAllDone(t, live, 4)
	leased := count(workers, "trial leased", "trial", nil)
	accepted := count(workers, "trial completed", "trial", map[string]string{"duplicate": "false"})
	coordCompleted := count([]*proc{coord}, "trial completed", "trial", nil)
	for key, tr := range byKey {
		if tr.Attempts != 1 {
			t.Errorf("trial %s: %d attempts, want 1", key, tr.Attempts)
		}
		if leased[key] != 1 || accepted[key] != 1 || coordCompleted["quick/"+key] != 1 {
			t.Errorf("trial %s: leased %d, completions accepted by workers' log %d, by the coordinator's log %d; want 1 each",
				key, leased[key], accepted[key], coordCompleted["quick/"+key])
		}
		if done := count(workers, "trial completed", "worker_id", map[string]string{"trial": key}); done[tr.Worker] != 1 {
			t.Errorf("trial %s: export names worker %q, which did not complete it (%v)", key, tr.Worker, done)
		}
		if l := liveByKey[key]; !bytes.Equal(l.Result, tr.Result) || l.Worker != tr.Worker {
			t.Errorf("trial %s: live and stored exports differ", key)
		}
	}
	if len(leased) != 4 || len(accepted) != 4 {
		t.Errorf("workers leased %d and completed %d distinct trials, want 4", len(leased), len(accepted))
	}
}

// TestCoordinatorKillResume SIGKILLs the coordinator mid-sweep and starts
// it again on the same database and port. The workers keep training
// through the outage, deliver what they computed when it returns, and the
// sweep completes. Trials finished before the kill are not run again:
// their results are byte-identical after the restart, each was leased
// exactly once (workers' logs) with attempts = 1, and no trial has more
// than one accepted completion (workers' and both coordinators' logs).
func TestCoordinatorKillResume(t *testing.T) {
	dir, db, coord, addr, workers, c := resumeCluster(t, 2)
	before := map[string]*pb.Trial{}
	for _, tr := range c.trials(t, "resume") {
		if tr.GetStatus() == pb.TrialStatus_TRIAL_STATUS_DONE {
			before[tr.GetKey()] = tr
		}
	}
	coord.kill()
	killed := time.Now()
	if len(before) == 14 {
		t.Fatal("the sweep finished before the kill: make testdata/resume.yaml slower")
	}
	time.Sleep(1500 * time.Millisecond) // the workers finish their trials meanwhile
	restarted := time.Now()
	coord2, _ := serve(t, dir, db, addr, "--lease-ttl", "3s")
	p := c.waitFinished(t, "resume", 90*time.Second)
	after := c.trials(t, "resume")
	for _, w := range workers {
		w.stop()
	}
	coord2.stop()

	if p.GetTotal() != 14 || p.GetDone() != 14 || len(after) != 14 {
		t.Fatalf("progress %v with %d trials, want 14 done", p, len(after))
	}
	leased := count(workers, "trial leased", "trial", nil)
	accepted := count(workers, "trial completed", "trial", map[string]string{"duplicate": "false"})
	coordCompleted := count([]*proc{coord, coord2}, "trial completed", "trial", nil)
	for _, tr := range after {
		key := tr.GetKey()
		if accepted[key] > 1 || coordCompleted["resume/"+key] > 1 {
			t.Errorf("trial %s: %d completions accepted (workers' log), %d (coordinators' log)", key, accepted[key], coordCompleted["resume/"+key])
		}
		b, ok := before[key]
		if !ok {
			continue
		}
		if tr.GetResultJson() != b.GetResultJson() || tr.GetWorker() != b.GetWorker() || tr.GetAttempts() != 1 {
			t.Errorf("trial %s finished before the kill but changed after it (attempts %d)", key, tr.GetAttempts())
		}
		if leased[key] != 1 {
			t.Errorf("trial %s finished before the kill was leased %d times", key, leased[key])
		}
	}
	checkAllDone(t, export(t, dir, "resume", "--db", db), 14)

	// Results computed during the outage were kept and delivered: some
	// trial was leased before the kill and completed after the restart.
	leasedAt := firstTime(workers, "trial leased", nil)
	completedAt := firstTime(workers, "trial completed", map[string]string{"duplicate": "false"})
	delivered := 0
	for key, lt := range leasedAt {
		if ct, ok := completedAt[key]; ok && lt.Before(killed) && ct.After(restarted) {
			delivered++
		}
	}
	if delivered == 0 {
		t.Error("no trial leased before the kill was completed after the restart")
	}
	if n := count(workers, "coordinator unreachable; retrying with backoff", "worker_id", nil); len(n) == 0 {
		t.Error("no worker noticed the outage")
	}
	t.Logf("%d of 14 trials were done at the kill; %d computed during the outage were delivered after it", len(before), delivered)
}

// doneIn returns the done trials of an export by key.
func doneIn(trials []exported) map[string]exported {
	done := map[string]exported{}
	for _, tr := range trials {
		if tr.Status == "done" {
			done[tr.Key] = tr
		}
	}
	return done
}

// runArgs returns a fresh directory, the database and report paths in it,
// and the arguments of `pinnsweep run` on testdata/spec with 2 slots,
// JSON logs and no report figures (results.csv and .json only).
func runArgs(t *testing.T, spec string) (dir, db, out string, args []string) {
	dir = t.TempDir()
	db = filepath.Join(dir, "sweeps.db")
	out = filepath.Join(dir, "out")
	args = []string{"run", testdata(t, spec), "--db", db, "--slots", "2", "--out", out,
		"--log-json", "--log-level", "info", "--no-report"}
	return dir, db, out, args
}

// checkResumed checks the run that resumed after a kill: it leased each
// trial that was not done once and none that was, and its report (in out)
// holds n trials, all done, those done before the kill with their results
// unchanged.
func checkResumed(t *testing.T, second *proc, doneBefore map[string]exported, out string, n int) {
	t.Helper()
	leased := count([]*proc{second}, "trial leased", "trial", nil)
	for key, k := range leased {
		if _, done := doneBefore[key]; done {
			t.Errorf("trial %s, done before the kill, was leased again", key)
		} else if k != 1 {
			t.Errorf("trial %s leased %d times in the second run", key, k)
		}
	}
	if len(leased) != n-len(doneBefore) {
		t.Errorf("second run leased %d trials, want the %d not done", len(leased), n-len(doneBefore))
	}
	b, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var report []exported
	if err := json.Unmarshal(b, &report); err != nil {
		t.Fatal(err)
	}
	for key, tr := range checkAllDone(t, report, n) {
		if old, ok := doneBefore[key]; ok && !bytes.Equal(old.Result, tr.Result) {
			t.Errorf("trial %s: result changed across the restart", key)
		}
	}
}

// TestRunKillResume SIGKILLs `pinnsweep run` mid-sweep and runs it again:
// every completion acknowledged before the kill is in the database, the
// second run leases exactly the trials that were not done (releasing the
// leases the dead run left), and the report holds every trial once, with
// the results of the trials finished before the kill byte-identical.
func TestRunKillResume(t *testing.T) {
	dir, db, out, args := runArgs(t, "resume.yaml")
	first := start(t, dir, "run", args...)
	var acked map[string]int
	eventually(t, 60*time.Second, "2 acknowledged completions", func() bool {
		acked = count([]*proc{first}, "trial completed", "trial", map[string]string{"duplicate": "false"})
		return len(acked) >= 2
	})
	first.kill()

	snap := export(t, dir, "resume", "--db", db)
	doneBefore := doneIn(snap)
	for key := range acked {
		if _, ok := doneBefore[key]; !ok {
			t.Errorf("trial %s was acknowledged before the kill but is not done in the database", key)
		}
	}
	if len(doneBefore) == 14 {
		t.Fatal("the sweep finished before the kill: make testdata/resume.yaml slower")
	}

	second := start(t, dir, "run", args...)
	if code := second.wait(120 * time.Second); code != 0 {
		t.Fatalf("second run exited %d", code)
	}
	// Messages on stderr, the summary on stdout.
	if s := second.stdout.String(); !strings.Contains(second.stderr.String(), "sweep resume: resuming, 14 trials") ||
		!strings.Contains(s, "14 trials ended: 14 done") {
		t.Errorf("second run's output:\n%s", s)
	}
	checkResumed(t, second, doneBefore, out, 14)
	if csv, err := os.ReadFile(filepath.Join(out, "results.csv")); err != nil || strings.Count(string(csv), "\n") != 15 {
		t.Errorf("results.csv: %v, %d lines", err, strings.Count(string(csv), "\n"))
	}
	t.Logf("%d of 14 trials were done at the kill", len(doneBefore))
}

// TestStaleLeaseClient drives the lease protocol with raw gRPC clients
// against a coordinator process with a 1 s lease TTL: client A's lease
// expires, client B gets the trial with a newer fencing token and
// completes it; A's late heartbeat is told to stop, and its late Complete
// and Release are refused with FailedPrecondition and change nothing.
func TestStaleLeaseClient(t *testing.T) {
	dir := t.TempDir()
	_, addr := serve(t, dir, filepath.Join(dir, "sweeps.db"), "127.0.0.1:0", "--lease-ttl", "1s")
	mustCLI(t, dir, "submit", testdata(t, "slow-one.yaml"), "--coordinator", addr)
	c := dial(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	a, err := c.workers.Lease(ctx, &pb.LeaseRequest{WorkerId: "stale-a", Slots: 1, WaitMs: 5000})
	if err != nil || a.GetTrial() == nil {
		t.Fatalf("lease A: %v, %v", a, err)
	}
	if hb, err := c.workers.Heartbeat(ctx, &pb.HeartbeatRequest{LeaseId: a.GetLeaseId(), Token: a.GetToken(), WorkerId: "stale-a", LeaseSecret: a.GetLeaseSecret()}); err != nil || hb.GetStop() {
		t.Fatalf("fresh heartbeat: %v, %v", hb, err)
	}
	// B's long-poll is answered when A's lease expires.
	b, err := c.workers.Lease(ctx, &pb.LeaseRequest{WorkerId: "fresh-b", Slots: 1, WaitMs: 10000})
	if err != nil || b.GetTrial().GetKey() != a.GetTrial().GetKey() || b.GetToken() <= a.GetToken() {
		t.Fatalf("lease B: %v, %v (A had token %d)", b, err, a.GetToken())
	}

	hb, err := c.workers.Heartbeat(ctx, &pb.HeartbeatRequest{LeaseId: a.GetLeaseId(), Token: a.GetToken(), WorkerId: "stale-a", LeaseSecret: a.GetLeaseSecret()})
	if err == nil && !hb.GetStop() {
		t.Errorf("stale heartbeat not told to stop: %v", hb)
	}
	resultB := `{"status":"done","rel_l2":0.125,"by":"fresh-b"}`
	if resp, err := c.workers.Complete(ctx, &pb.CompleteRequest{LeaseId: b.GetLeaseId(), Token: b.GetToken(), WorkerId: "fresh-b", LeaseSecret: b.GetLeaseSecret(),
		Status: pb.TrialStatus_TRIAL_STATUS_DONE, ResultJson: resultB}); err != nil || resp.GetDuplicate() {
		t.Fatalf("complete B: %v, %v", resp, err)
	}
	_, err = c.workers.Complete(ctx, &pb.CompleteRequest{LeaseId: a.GetLeaseId(), Token: a.GetToken(), WorkerId: "stale-a", LeaseSecret: a.GetLeaseSecret(),
		Status: pb.TrialStatus_TRIAL_STATUS_DONE, ResultJson: `{"status":"done","rel_l2":0.5,"by":"stale-a"}`})
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("stale complete: %v, want FailedPrecondition", err)
	}
	_, err = c.workers.Release(ctx, &pb.ReleaseRequest{LeaseId: a.GetLeaseId(), Token: a.GetToken(), WorkerId: "stale-a", LeaseSecret: a.GetLeaseSecret()})
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("stale release: %v, want FailedPrecondition", err)
	}
	if resp, err := c.workers.Complete(ctx, &pb.CompleteRequest{LeaseId: b.GetLeaseId(), Token: b.GetToken(), WorkerId: "fresh-b", LeaseSecret: b.GetLeaseSecret(),
		Status: pb.TrialStatus_TRIAL_STATUS_DONE, ResultJson: resultB}); err != nil || !resp.GetDuplicate() {
		t.Errorf("repeated complete B: %v, %v; want duplicate", resp, err)
	}

	trials := c.trials(t, "slow-one")
	if len(trials) != 1 || trials[0].GetStatus() != pb.TrialStatus_TRIAL_STATUS_DONE || trials[0].GetWorker() != "fresh-b" ||
		!strings.Contains(trials[0].GetResultJson(), `"by":"fresh-b"`) || trials[0].GetAttempts() != 2 {
		t.Fatalf("trial after the stale completion: %v", trials)
	}
}

// TestStaleLeaseStoppedWorker freezes a real worker (SIGSTOP) past its
// lease TTL, lets a second worker run the trial to the end, then thaws the
// first: its stale report is refused and dropped, and the stored result is
// still the second worker's, byte for byte.
func TestStaleLeaseStoppedWorker(t *testing.T) {
	dir := t.TempDir()
	coord, addr := serve(t, dir, filepath.Join(dir, "sweeps.db"), "127.0.0.1:0", "--lease-ttl", "1s")
	mustCLI(t, dir, "submit", testdata(t, "slow-one.yaml"), "--coordinator", addr)
	c := dial(t, addr)

	frozen := worker(t, dir, addr, "frozen-a")
	eventually(t, 30*time.Second, "the first worker to lease the trial", func() bool {
		return len(count([]*proc{frozen}, "trial leased", "trial", nil)) == 1
	})
	frozen.signal(syscall.SIGSTOP)
	t.Cleanup(func() { frozen.signal(syscall.SIGCONT) })
	eventually(t, 10*time.Second, "the lease to expire", func() bool {
		return len(count([]*proc{coord}, "lease expired", "trial", nil)) == 1
	})

	fresh := worker(t, dir, addr, "fresh-b")
	c.waitFinished(t, "slow-one", 60*time.Second)
	before := c.trials(t, "slow-one")
	if len(before) != 1 || before[0].GetWorker() != "fresh-b" || before[0].GetStatus() != pb.TrialStatus_TRIAL_STATUS_DONE {
		t.Fatalf("trial: %v", before)
	}

	frozen.signal(syscall.SIGCONT)
	eventually(t, 30*time.Second, "the thawed worker to drop its stale report", func() bool {
		return len(count([]*proc{frozen}, "result rejected as stale; dropped", "trial", nil)) == 1 ||
			len(count([]*proc{frozen}, "trial abandoned: its lease was lost", "trial", nil)) == 1
	})
	after := c.trials(t, "slow-one")
	if after[0].GetResultJson() != before[0].GetResultJson() || after[0].GetWorker() != "fresh-b" ||
		after[0].GetStatus() != pb.TrialStatus_TRIAL_STATUS_DONE {
		t.Errorf("the stale worker changed the trial: %v", after[0])
	}
	if n := count([]*proc{frozen}, "trial completed", "trial", nil); len(n) != 0 {
		t.Errorf("the stale worker's completion was accepted: %v", n)
	}
	frozen.stop()
	fresh.stop()
}

// TestRunKillDuringRefinement SIGKILLs `pinnsweep run` as soon as
// refinement has added its first trials, and runs it again: the second
// run adds no trial twice, leases none that was done, runs the rest of the
// bisection, and reports every trial of the grid and of the refinement
// once, with the bracket.
func TestRunKillDuringRefinement(t *testing.T) {
	dir, db, out, args := runArgs(t, "refine.yaml")
	first := start(t, dir, "run", args...)
	eventually(t, 60*time.Second, "the first refinement", func() bool {
		return len(count([]*proc{first}, "refinement added trials", "sweep", nil)) > 0
	})
	first.kill()

	snap := export(t, dir, "refine", "--db", db)
	doneBefore := doneIn(snap)
	if len(snap) == 10 && len(doneBefore) == 10 {
		t.Fatal("the sweep finished before the kill: make testdata/refine.yaml slower")
	}

	second := start(t, dir, "run", args...)
	if code := second.wait(120 * time.Second); code != 0 {
		t.Fatalf("second run exited %d", code)
	}
	stdout := second.stdout.String()
	if !strings.Contains(stdout, "10 trials ended: 10 done") ||
		!strings.Contains(strings.Join(strings.Fields(stdout), " "), "refine lr - 1 125.875 124.875 converged (3 bisections)") {
		t.Errorf("second run's output:\n%s", stdout)
	}
	checkResumed(t, second, doneBefore, out, 10)
	t.Logf("%d trials existed and %d were done at the kill", len(snap), len(doneBefore))
}
