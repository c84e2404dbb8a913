package deploy

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeSrun runs the command after srun's options on this machine: `exec`
// keeps the process id, so the script's signals reach the command as they
// would through srun's forwarding.
const fakeSrun = `#!/bin/bash
while [[ $# -gt 0 && $1 == -* ]]; do
  if [[ $1 == -w ]]; then shift; fi
  shift
done
exec "$@"
`

// fakeScontrol answers `scontrol show hostnames LIST` with this machine
// and records `scontrol requeue JOBID` in $SCONTROL_LOG.
const fakeScontrol = `#!/bin/bash
case $1 in
  show) echo 127.0.0.1 ;;
  requeue) echo "$*" >>"$SCONTROL_LOG" ;;
  *) echo "fake scontrol: unexpected $*" >&2; exit 1 ;;
esac
`

// authShim runs the real binary without the authentication flags, for a
// binary that does not have them yet (before the authentication branch is
// merged); it is not used once the binary has them.
const authShim = `#!/bin/bash
args=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --admin-token-file|--worker-token-file|--token-file|--tls-cert|--tls-key|--ca) shift 2 ;;
    --insecure) shift ;;
    *) args+=("$1"); shift ;;
  esac
done
exec "$REAL_PINNSWEEP" "${args[@]}"
`

// hasAuthFlags reports whether the built binary has the authentication
// flags the scripts pass.
func hasAuthFlags(t *testing.T) bool {
	out, _ := exec.Command(bin, "serve", "-h").CombinedOutput()
	return strings.Contains(string(out), "-admin-token-file")
}

// TestSlurmSweep runs pinnsweep.sbatch end to end on this machine, with
// srun and scontrol replaced by scripts that run everything locally: the
// coordinator starts, the script waits for it, submits the quick example,
// runs a worker, waits until the sweep has finished, exports the results
// and stops everything.
func TestSlurmSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a sweep")
	}
	job := newSlurmJob(t)
	spec, err := filepath.Abs("../sweeps/examples/quick.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := job.command(ctx, []string{spec})
	shared := job.shared
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pinnsweep.sbatch: %v\n%s", err, out)
	}

	f, err := os.Open(filepath.Join(shared, "quick.csv"))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 {
		t.Fatalf("quick.csv has %d rows, want a header and 4 trials\n%s", len(rows), out)
	}
	status := -1
	for i, h := range rows[0] {
		if h == "status" {
			status = i
		}
	}
	for _, r := range rows[1:] {
		if status < 0 || r[status] != "done" {
			t.Errorf("trial %v is not done (header %v)", r, rows[0])
		}
	}
	for _, name := range []string{"admin.token", "worker.token"} {
		fi, err := os.Stat(filepath.Join(shared, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 || fi.Size() != 64 {
			t.Errorf("%s: mode %v, %d bytes; want 0600 and 64 hex digits", name, fi.Mode().Perm(), fi.Size())
		}
	}
	job.checkStopped(t, false)
	if b, _ := os.ReadFile(job.scontrolLog()); len(b) != 0 {
		t.Errorf("a finished sweep's job asked for a requeue: %s", b)
	}
}

// slurmJob is a pinnsweep.sbatch run on this machine: fake srun and
// scontrol on PATH, the Slurm environment of a one-node allocation with 2
// CPUs per task, a fresh shared directory and a free port.
type slurmJob struct {
	dir, binDir, shared, pinnsweep string
	port                           int
}

func newSlurmJob(t *testing.T) *slurmJob {
	dir := t.TempDir()
	j := &slurmJob{dir: dir, binDir: filepath.Join(dir, "bin"), shared: filepath.Join(dir, "shared"), port: freePort(t)}
	if err := os.Mkdir(j.binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) string {
		p := filepath.Join(j.binDir, name)
		if err := os.WriteFile(p, []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("srun", fakeSrun)
	write("scontrol", fakeScontrol)
	j.pinnsweep = bin
	if !hasAuthFlags(t) {
		t.Log("the binary lacks the authentication flags: running the script through a shim that drops them")
		j.pinnsweep = write("pinnsweep-shim", authShim)
	}
	return j
}

// command returns the command that runs pinnsweep.sbatch with args, as
// job 4242 with the extra environment env.
func (j *slurmJob) command(ctx context.Context, args []string, env ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "bash", append([]string{"slurm/pinnsweep.sbatch"}, args...)...)
	cmd.Env = append(j.env(),
		"PINNSWEEP_PORT="+strconv.Itoa(j.port),
		"SLURM_JOB_ID=4242",
		"SLURM_JOB_NODELIST=node1",
		"SLURM_JOB_NUM_NODES=1",
		"SLURM_CPUS_PER_TASK=2",
		"SLURM_SUBMIT_DIR="+j.dir,
	)
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// env is the environment of every script of the job: the fakes on PATH,
// the binary, the shared directory.
func (j *slurmJob) env() []string {
	return append(os.Environ(),
		"PATH="+j.binDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"PINNSWEEP="+j.pinnsweep,
		"REAL_PINNSWEEP="+bin,
		"PINNSWEEP_SHARED="+j.shared,
		"SCONTROL_LOG="+j.scontrolLog(),
	)
}

// writeSpec writes a spec into the job's directory and returns its path.
func (j *slurmJob) writeSpec(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(j.dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// exportedTrial is a trial of `pinnsweep export --format json`.
type exportedTrial struct {
	Key    string `json:"key"`
	Status string `json:"status"`
	Worker string `json:"worker"`
}

// export exports a sweep of the job's database.
func (j *slurmJob) export(t *testing.T, sweep string) []exportedTrial {
	t.Helper()
	raw, err := exec.Command(bin, "export", sweep, "--db", filepath.Join(j.shared, "sweeps.db"), "--format", "json").Output()
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	var trials []exportedTrial
	if err := json.Unmarshal(raw, &trials); err != nil {
		t.Fatal(err)
	}
	return trials
}

// scontrolLog is the file where the fake scontrol records requeues.
func (j *slurmJob) scontrolLog() string { return filepath.Join(j.dir, "scontrol.log") }

// checkStopped checks that the job left no coordinator behind: the port
// is free, and the address file is gone, or still there if addrKept (a
// job that may come back keeps it for the array workers).
func (j *slurmJob) checkStopped(t *testing.T, addrKept bool) {
	t.Helper()
	_, err := os.Stat(filepath.Join(j.shared, "coordinator.addr"))
	switch {
	case addrKept && err != nil:
		t.Errorf("coordinator.addr removed by a job that may be requeued: %v", err)
	case !addrKept && !os.IsNotExist(err):
		t.Errorf("coordinator.addr left behind after the job (err %v)", err)
	}
	if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(j.port)); err != nil {
		t.Errorf("port %d still in use after the job: %v", j.port, err)
	} else {
		l.Close()
	}
}

// slowSpec is a sweep whose trials run far longer than the test.
const slowSpec = `name: slow
fixed: {pde: convection, ic: sin, nf: 1000, layers: [50, 50, 50, 50], tol_change: 0, tol_grad: 0}
axes:
  beta: [1, 2]
replicates: 2
budget: {iterations: 1000000, seconds: 3600}
`

// TestSlurmStop: SIGTERM to the batch script (scancel, or a preemption)
// stops the workers, which hand their running trials back, then the
// coordinator; the database holds no running trial. The job does not
// requeue itself (Slurm requeues a preempted job), and it keeps the
// address file for the job that may come back.
func TestSlurmStop(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a sweep")
	}
	job := newSlurmJob(t)
	spec := job.writeSpec(t, "slow.yaml", slowSpec)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := job.command(ctx, []string{spec})
	log, err := os.Create(filepath.Join(job.dir, "job.out"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	output := func() string { b, _ := os.ReadFile(log.Name()); return string(b) }
	// Wait until the workers have started (the script logs it after the
	// submission), then give them time to lease.
	for !strings.Contains(output(), "workers: 1 nodes") {
		if ctx.Err() != nil {
			t.Fatalf("the job did not start its workers:\n%s", output())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 143 {
		t.Fatalf("after SIGTERM the job ended with %v, want exit status 143\n%s", err, output())
	}
	job.checkStopped(t, true)
	if b, _ := os.ReadFile(job.scontrolLog()); len(b) != 0 {
		t.Errorf("SIGTERM made the job requeue itself: %s", b)
	}

	trials := job.export(t, "slow")
	leased := 0
	for _, tr := range trials {
		if tr.Status != "pending" {
			t.Errorf("trial %+v: want pending (released) after the job's stop", tr)
		}
		if tr.Worker != "" {
			leased++
		}
	}
	if len(trials) != 4 || leased == 0 {
		t.Fatalf("%d trials, %d ever leased; want 4 trials, some leased before the stop\n%s", len(trials), leased, output())
	}
}

// TestWorkersArrayNeedsCoordinator: without a coordinator address on the
// shared storage, an array task fails at once and says why.
func TestWorkersArrayNeedsCoordinator(t *testing.T) {
	cmd := exec.Command("bash", "slurm/workers-array.sbatch")
	cmd.Env = append(os.Environ(), "PINNSWEEP_SHARED="+t.TempDir(), "PINNSWEEP=false")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "coordinator.addr is missing") {
		t.Fatalf("err %v, output %q; want a failure naming the missing coordinator.addr", err, out)
	}
}

// freePort returns a TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
