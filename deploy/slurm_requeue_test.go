package deploy

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// requeueSpec is a sweep of three trials of several seconds each.
const requeueSpec = `name: requeue
fixed: {pde: convection, ic: sin, nf: 300, layers: [30, 30], tol_change: 0, tol_grad: 0}
axes:
  beta: [1, 2, 3]
budget: {iterations: 1500, seconds: 600}
`

// logFile is a command's output, readable while it runs.
type logFile struct{ path string }

func (l logFile) String() string { b, _ := os.ReadFile(l.path); return string(b) }

// startLogged starts cmd with its output in dir/name.
func startLogged(t *testing.T, cmd *exec.Cmd, dir, name string) logFile {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return logFile{f.Name()}
}

// waitFor polls cond every 50 ms until it holds, failing after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool, logs ...logFile) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			var out strings.Builder
			for _, l := range logs {
				out.WriteString("\n---- " + l.path + "\n" + l.String())
			}
			t.Fatalf("timed out after %v waiting for %s%s", timeout, what, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSlurmRequeue runs the requeue cycle of pinnsweep.sbatch with srun
// and scontrol stubbed: a job (job 4242) runs the sweep, with an array
// worker (workers-array.sbatch) following its address file; SIGUSR1 (the
// time-limit warning of --signal=B:USR1@300) stops the job cleanly, with
// its trials checkpointed, and makes it call `scontrol requeue 4242`; the
// address file stays. The requeued job, started again on another port (a
// new node), serves the same database, overwrites the address file and
// finishes the sweep, its trials resuming from their checkpoints; the array
// worker, the same process throughout, follows the coordinator to its new
// address and stops once the finished job has removed the file.
func TestSlurmRequeue(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a sweep")
	}
	job := newSlurmJob(t)
	spec := job.writeSpec(t, "requeue.yaml", requeueSpec)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	addrFile := filepath.Join(job.shared, "coordinator.addr")
	ckptDir := filepath.Join(job.shared, "checkpoints", "requeue")
	fast := "PINNSWEEP_CHECKPOINT_EVERY=200ms"

	first := job.command(ctx, []string{spec}, fast)
	firstLog := startLogged(t, first, job.dir, "job-1.out")
	portA := job.port
	waitFor(t, 2*time.Minute, "the first job's workers", func() bool {
		return strings.Contains(firstLog.String(), "workers: 1 nodes")
	}, firstLog)

	array := exec.CommandContext(ctx, "bash", "slurm/workers-array.sbatch")
	array.Env = append(job.env(), "SLURM_CPUS_PER_TASK=1", "SLURM_ARRAY_JOB_ID=77", "SLURM_ARRAY_TASK_ID=0",
		"PINNSWEEP_POLL=1", fast)
	arrayLog := startLogged(t, array, job.dir, "array.out")
	arrayDone := make(chan error, 1)
	go func() { arrayDone <- array.Wait() }()

	waitFor(t, 2*time.Minute, "checkpoints of the running trials", func() bool {
		files, _ := filepath.Glob(filepath.Join(ckptDir, "*.ckpt"))
		return len(files) >= 2
	}, firstLog, arrayLog)
	if err := first.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("the first job after SIGUSR1: %v\n%s", err, firstLog)
	}
	if b, _ := os.ReadFile(job.scontrolLog()); strings.TrimSpace(string(b)) != "requeue 4242" {
		t.Fatalf("scontrol calls %q, want the job to requeue itself (requeue 4242)\n%s", b, firstLog)
	}
	job.checkStopped(t, true)
	if b, err := os.ReadFile(addrFile); err != nil || strings.TrimSpace(string(b)) != "127.0.0.1:"+strconv.Itoa(portA) {
		t.Fatalf("address file after the requeue: %q, %v", b, err)
	}

	// Slurm starts the requeued job again, here on another port.
	job.port = freePort(t)
	second := job.command(ctx, []string{spec}, fast, "SLURM_RESTART_COUNT=1")
	secondLog := startLogged(t, second, job.dir, "job-2.out")
	if err := second.Wait(); err != nil {
		t.Fatalf("the requeued job: %v\n%s\n---- array\n%s", err, secondLog, arrayLog)
	}
	job.checkStopped(t, false)
	select {
	case <-arrayDone:
	case <-time.After(time.Minute):
		t.Fatalf("the array worker did not stop after the coordinator's job ended\n%s", arrayLog)
	}

	portB := strconv.Itoa(job.port)
	if !strings.Contains(arrayLog.String(), `"to":"127.0.0.1:`+portB+`"`) || !strings.Contains(arrayLog.String(), "coordinator moved") {
		t.Errorf("the array worker did not follow the coordinator to port %s:\n%s", portB, arrayLog)
	}
	if !strings.Contains(secondLog.String()+arrayLog.String(), "trial resumed from a checkpoint") {
		t.Errorf("no trial resumed from its checkpoint after the requeue\n%s\n---- array\n%s", secondLog, arrayLog)
	}
	trials := job.export(t, "requeue")
	if len(trials) != 3 {
		t.Fatalf("%d trials, want 3", len(trials))
	}
	for _, tr := range trials {
		if tr.Status != "done" {
			t.Errorf("trial %s: %s, want done", tr.Key, tr.Status)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(ckptDir, "*")); len(left) != 0 {
		t.Errorf("checkpoints left after the sweep finished: %v", left)
	}
}
