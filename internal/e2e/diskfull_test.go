package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// bigSpec is a sweep of 2,000 trials: submitting it needs hundreds of
// new database pages.
func bigSpec() string {
	betas := make([]string, 400)
	for i := range betas {
		betas[i] = fmt.Sprint(i + 1)
	}
	return "name: big\nfixed:\n  pde: convection\naxes:\n  beta: [" + strings.Join(betas, ", ") + "]\nreplicates: 5\n"
}

// TestCoordinatorDiskFull runs a sweep with the coordinator's database on
// an 8 MiB tmpfs, fills the tmpfs with a ballast file mid-sweep, and
// checks that
//
//   - commits that need space fail with a clear error: a submission is
//     refused ResourceExhausted ("the database's disk is full") over gRPC
//     and by `pinnsweep submit`, the workers' calls are refused
//     ResourceExhausted and retried, and nothing is answered Internal;
//   - the coordinator keeps running (it does not exit, so it cannot
//     crash-loop);
//   - once space returns (the ballast is deleted), or after a restart on
//     a larger disk (the file copied off the tmpfs), the sweep finishes
//     exactly once: `pinnsweep check` passes, every trial is done once,
//     every acknowledged completion is stored, and the refused
//     submission left nothing behind.
func TestCoordinatorDiskFull(t *testing.T) {
	for _, recovery := range []string{"space-returns", "larger-disk"} {
		t.Run(recovery, func(t *testing.T) { testCoordinatorDiskFull(t, recovery == "larger-disk") })
	}
}

func testCoordinatorDiskFull(t *testing.T, move bool) {
	const size = 8 << 20
	disk := mountTmpfs(t, size)
	db := filepath.Join(disk, "sweeps.db")
	dir, coord, addr, workers, c := resumeClusterOn(t, db, 4)
	coords := []*proc{coord}

	ballast := fillDisk(t, disk, size)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.sweeps.SubmitSweep(ctx, &pb.SubmitSweepRequest{Spec: &pb.Spec{Filename: "big.yaml", Source: bigSpec()}})
	if status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "disk is full") {
		t.Fatalf("SubmitSweep on a full disk: %v; want ResourceExhausted saying the disk is full", err)
	}
	spec := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(spec, []byte(bigSpec()), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, dir, "submit", spec, "--coordinator", addr)
	if code == 0 || !strings.Contains(stderr, "disk is full") || !strings.Contains(stderr, "no space left on device") {
		t.Errorf("pinnsweep submit on a full disk: exit %d, %q; want a failure saying the disk is full", code, stderr)
	}
	t.Logf("pinnsweep submit on the full disk: exit %d: %s", code, strings.TrimSpace(stderr))
	eventually(t, 30*time.Second, "a worker's call to be refused for want of space", func() bool {
		return sawCode(workers, "ResourceExhausted")
	})
	// Stay full for longer than the lease TTL: heartbeats, completions and
	// lease expiries all have to wait for space.
	time.Sleep(4 * time.Second)
	if n := count(coords, "commit failed; the batch was rolled back", "", nil); n[""] == 0 {
		t.Error("the coordinator did not log its failed commits")
	}
	full := c.progress("resume")
	select {
	case <-coord.done:
		t.Fatalf("the coordinator exited (%d) on a full disk", coord.code)
	default:
	}

	if move {
		// The operator stops the coordinator and moves the file to a
		// larger disk.
		coord.stop()
		moved := filepath.Join(t.TempDir(), "sweeps.db")
		copyFile(t, db, moved)
		db = moved
		coord2, _ := serve(t, dir, db, addr, "--lease-ttl", "3s")
		coords = append(coords, coord2)
	} else if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	c.waitFinished(t, "resume", 120*time.Second)
	for _, w := range workers {
		w.stop()
	}
	coords[len(coords)-1].stop()

	verifyExactlyOnce(t, dir, db, "resume", 14, coords, workers)
	if rep := checkDB(t, dir, db); rep.Sweeps != 1 {
		t.Errorf("%d sweeps in the database; the submission refused on the full disk left something", rep.Sweeps)
	}
	if n := count(coords[:1], "restored state", "", nil); n[""] != 1 {
		t.Errorf("the first coordinator started %d times", n[""])
	}
	t.Logf("disk full with %d of 14 trials done: %d commits failed, %d leases expired meanwhile, %d stale results dropped",
		full.GetDone(), count(coords, "commit failed; the batch was rolled back", "", nil)[""],
		len(count(coords, "lease expired", "trial", nil)), len(count(workers, "result rejected as stale; dropped", "trial", nil)))
}

// copyFile copies the file src to dst.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestWorkerDiskFull runs a worker whose log (its stderr, a file),
// working directory and TMPDIR are on a 1 MiB tmpfs that is full from the
// start. The worker cannot write a log line, yet it runs the trials and
// delivers every result: each trial is leased once (attempts 1, no
// failure, no expiry) and completed once. When the space returns, its log
// lines come back, and SIGTERM stops it cleanly. (Command trials, whose
// work directory holds $PINNSWEEP_OUT, on a full disk:
// TestCommandWorkerDiskFull.)
func TestWorkerDiskFull(t *testing.T) {
	const size = 1 << 20
	disk := mountTmpfs(t, size)
	logPath := filepath.Join(disk, "worker.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	ballast := fillDisk(t, disk, size)

	dir := t.TempDir()
	db := filepath.Join(dir, "sweeps.db")
	coord, addr := serve(t, dir, db, "127.0.0.1:0", "--lease-ttl", "3s")
	mustCLI(t, dir, "submit", testdata(t, "resume.yaml"), "--coordinator", addr)
	cmd := exec.Command(bin, "work", "--coordinator", addr, "--slots", "1", "--id", "worker-full", "--log-json")
	cmd.Dir = disk
	cmd.Env = append(os.Environ(), "TMPDIR="+disk)
	cmd.Stderr = logFile
	w := startCmd(t, "worker-full", cmd)
	c := dial(t, addr)
	eventually(t, 60*time.Second, "5 trials done", func() bool {
		p := c.progress("resume")
		return p != nil && p.GetDone() >= 5
	})
	if fi, err := os.Stat(logPath); err != nil || fi.Size() != 0 {
		t.Fatalf("the worker's log on the full disk: %v, %d bytes; want nothing written", err, fi.Size())
	}
	freedAt := c.progress("resume").GetDone()
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	c.waitFinished(t, "resume", 120*time.Second)
	w.signal(syscall.SIGTERM)
	if code := w.wait(30 * time.Second); code != 0 {
		t.Errorf("the worker exited %d after SIGTERM", code)
	}
	coord.stop()

	logged, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	w.stderr.Write(logged) // for logs() and the failure output
	if n := count([]*proc{w}, "worker stopped", "", nil); n[""] != 1 {
		t.Errorf("the worker's log, once the disk had room, lacks its stop:\n%s", tail(string(logged)))
	}
	trials := export(t, dir, "resume", "--db", db)
	checkAllDone(t, trials, 14)
	for _, tr := range trials {
		if tr.Attempts != 1 || tr.Worker != "worker-full" {
			t.Errorf("trial %s: %d attempts by %q; want one by worker-full", tr.Key, tr.Attempts, tr.Worker)
		}
	}
	committed := count([]*proc{coord}, "trial completed", "trial", map[string]string{"status": "done"})
	if len(committed) != 14 {
		t.Errorf("the coordinator committed %d completions, want 14", len(committed))
	}
	for key, n := range committed {
		if n != 1 {
			t.Errorf("trial %s completed %d times", key, n)
		}
	}
	checkDB(t, dir, db)
	t.Logf("the worker ran 14 trials with its log, cwd and TMPDIR on a full disk for the first %d; %d log bytes once it had room",
		freedAt, len(logged))
}

// fullDiskSpec is a command sweep whose program (a standard-library
// Python one-liner, %s the interpreter) writes its result to
// $PINNSWEEP_OUT/result.json, where the worker's --work-dir puts it.
const fullDiskSpec = `name: cmd-full
runner:
  command: [%s, -c, "import json, os; json.dump(dict(rel_l2=0.01, x={x}), open(os.path.join(os.environ['PINNSWEEP_OUT'], 'result.json'), 'w'))"]
axes:
  x: [1, 2, 3, 4]
retries: 0
budget:
  seconds: 60
`

// TestCommandWorkerDiskFull runs a command sweep on a real coordinator
// with a worker whose --work-dir (where each trial's $PINNSWEEP_OUT,
// params file and log go) is on a 1 MiB tmpfs that is full from the
// start. With retries: 0 a trial failed for want of space would end the
// sweep failed; the worker must hand each lease back instead, uncounted,
// and back off. Once the space returns, every trial is done exactly once
// with its program's result, and none ever failed.
func TestCommandWorkerDiskFull(t *testing.T) {
	py := pythonFor(t, false)
	const size = 1 << 20
	disk := mountTmpfs(t, size)
	ballast := fillDisk(t, disk, size)

	dir := t.TempDir()
	db := filepath.Join(dir, "sweeps.db")
	spec := filepath.Join(dir, "cmd-full.yaml")
	if err := os.WriteFile(spec, fmt.Appendf(nil, fullDiskSpec, py), 0o644); err != nil {
		t.Fatal(err)
	}
	coord, addr := serve(t, dir, db, "127.0.0.1:0", "--lease-ttl", "3s", "--allow-command-specs")
	mustCLI(t, dir, "submit", spec, "--coordinator", addr)
	w := start(t, dir, "worker-full", "work", "--coordinator", addr, "--slots", "1", "--id", "worker-full",
		"--allow-exec", py, "--work-dir", filepath.Join(disk, "work"), "--log-json")
	c := dial(t, addr)
	eventually(t, 60*time.Second, "the worker to hand a lease back for want of space", func() bool {
		for _, l := range w.logs() {
			if strings.HasPrefix(l.msg(), "cannot prepare the trial") {
				return true
			}
		}
		return false
	})
	if p := c.progress("cmd-full"); p.GetDone() != 0 || p.GetFailed() != 0 {
		t.Fatalf("progress on a full disk %v; want nothing ended", p)
	}
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	p := c.waitFinished(t, "cmd-full", 120*time.Second)
	if p.GetDone() != 4 || p.GetFailed() != 0 {
		t.Errorf("progress %v; want 4 done, none failed", p)
	}
	w.stop()
	coord.stop()
	for _, tr := range checkAllDone(t, export(t, dir, "cmd-full", "--db", db), 4) {
		var res struct {
			RelL2 float64 `json:"rel_l2"`
			X     int     `json:"x"`
		}
		if err := json.Unmarshal(tr.Result, &res); err != nil || res.RelL2 != 0.01 || res.X < 1 || res.X > 4 {
			t.Errorf("trial %s: result %s (%v); want the program's", tr.Key, tr.Result, err)
		}
		if tr.Worker != "worker-full" {
			t.Errorf("trial %s done by %q", tr.Key, tr.Worker)
		}
	}
	if n := count([]*proc{w}, "trial completed", "trial", map[string]string{"duplicate": "false"}); len(n) != 4 {
		t.Errorf("the worker's accepted completions %v; want one for each of 4 trials", n)
	}
}
