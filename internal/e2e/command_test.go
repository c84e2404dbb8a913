package e2e

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pythonFor returns the system Python 3 (/usr/bin/python3, else the first
// python3 in PATH), or skips the test without one unless
// PINNSWEEP_REQUIRE_PYTHON=1 (as in CI). With torch set it needs one that
// imports PyTorch and numpy (python3-torch).
func pythonFor(t *testing.T, torch bool) string {
	t.Helper()
	var err error
	for _, name := range []string{"/usr/bin/python3", "python3"} {
		var py string
		if py, err = exec.LookPath(name); err != nil {
			continue
		}
		if !torch {
			return py
		}
		if err = exec.Command(py, "-c", "import torch, numpy").Run(); err == nil {
			return py
		}
	}
	what := "python3"
	if torch {
		what = "python3-torch"
	}
	if os.Getenv("PINNSWEEP_REQUIRE_PYTHON") == "1" {
		t.Fatalf("%s: %v, and PINNSWEEP_REQUIRE_PYTHON=1 (apt-get install %s)", what, err, what)
	}
	t.Skipf("%s: %v (apt-get install %s)", what, err, what)
	return ""
}

// commandSpec is the sweep of TestCommandSweep: each mode of
// testdata/command/trial.py twice, judged by a maximised score. MARK is
// on every trial process's command line.
const commandSpec = `name: cmd-e2e
runner:
  command: [%s, trial.py, %s]
  workdir: %s
axes:
  mode: [ok, fail, noresult, slow]
  x: [1, 2]
metric: score
goal: max
failure_threshold: 0.5
retries: 1
budget:
  seconds: 300
`

// marked returns the pids of the live processes whose command line holds
// mark (read from /proc), with what their command line says.
func marked(t *testing.T, mark string) map[int]string {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]string{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue // gone meanwhile
		}
		if cmd := strings.ReplaceAll(string(b), "\x00", " "); strings.Contains(cmd, mark) {
			if st, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil && strings.Contains(string(st), ") Z ") {
				continue // a zombie is dead: its parent has yet to reap it
			}
			out[pid] = cmd
		}
	}
	return out
}

// TestCommandSweep runs a command sweep of a standard-library Python
// script through real `serve` and `work` processes over TCP on a bbolt
// file: a coordinator without --allow-command-specs refuses the spec; a
// worker is SIGKILLed while two trials run, each with a grandchild, and
// none of their processes survives; the coordinator is SIGKILLed and
// restarted; a second worker requeues and finishes the killed trials. A
// failing script's stderr tail appears in `status` and in both exports; a
// script that writes no result fails saying so. Every trial has one
// result or one final failure, and `pinnsweep check` passes.
func TestCommandSweep(t *testing.T) {
	py := pythonFor(t, false)
	dir := t.TempDir()
	db := filepath.Join(dir, "sweeps.db")
	src, err := os.ReadFile(testdata(t, "command/trial.py"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "trial.py"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	mark := fmt.Sprintf("pinnsweep-e2e-%d", time.Now().UnixNano())
	spec := filepath.Join(dir, "cmd.yaml")
	if err := os.WriteFile(spec, fmt.Appendf(nil, commandSpec, py, mark, dir), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for pid := range marked(t, mark) { // never leave a test's sleeper behind, even on failure
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})

	// Without --allow-command-specs, a coordinator that authenticates
	// nobody refuses a command spec.
	coord, addr := serve(t, dir, db, "127.0.0.1:0", "--lease-ttl", "2s")
	code, _, stderr := runCLI(t, dir, "submit", spec, "--coordinator", addr)
	if code == 0 || !strings.Contains(stderr, "--allow-command-specs") {
		t.Fatalf("submit to a coordinator without --allow-command-specs: exit %d, %s", code, stderr)
	}
	coord.kill()
	coord, addr = serve(t, dir, db, addr, "--lease-ttl", "2s", "--allow-command-specs")
	coords := []*proc{coord}
	mustCLI(t, dir, "submit", spec, "--coordinator", addr)

	workArgs := func(id string) []string {
		return []string{"work", "--coordinator", addr, "--id", id, "--slots", "2", "--allow-exec", py,
			"--work-dir", filepath.Join(dir, "work-"+id), "--kill-grace", "1s", "--log-json"}
	}
	a := start(t, dir, "worker-a", workArgs("worker-a")...)
	eventually(t, 60*time.Second, "the two slow trials to run, each with its grandchild", func() bool {
		n := 0
		for _, cmd := range marked(t, mark) {
			if strings.Contains(cmd, "grandchild") {
				n++
			}
		}
		return n == 2
	})
	before := marked(t, mark)
	a.kill()
	eventually(t, 15*time.Second, "no process of the killed worker's trials to be left", func() bool {
		return len(marked(t, mark)) == 0
	})
	t.Logf("worker SIGKILLed mid-trial: its %d trial processes (shims' children and grandchildren) ended", len(before))

	coord.kill()
	coord, _ = serve(t, dir, db, addr, "--lease-ttl", "2s", "--allow-command-specs")
	coords = append(coords, coord)
	b := start(t, dir, "worker-b", workArgs("worker-b")...)
	c := dial(t, addr)
	p := c.waitFinished(t, "cmd-e2e", 90*time.Second)
	if p.GetDone() != 4 || p.GetFailed() != 4 {
		t.Errorf("progress %v; want 4 done (ok, slow), 4 failed (fail, noresult)", p)
	}

	status := mustCLI(t, dir, "status", "cmd-e2e", "--coordinator", addr)
	for _, want := range []string{"4 failed trials of cmd-e2e:", "mode=fail x=1 seed=0: failed after 2 attempts: program failed: exit status 1",
		"      | ValueError: x=1 is out of range", "mode=noresult x=2 seed=0: failed after 2 attempts"} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}
	b.stop()
	coord.stop()

	for _, tr := range export(t, dir, "cmd-e2e", "--db", db) {
		var pt struct {
			Mode string `json:"mode"`
		}
		_ = json.Unmarshal(tr.Params, &pt)
		switch pt.Mode {
		case "ok", "slow":
			if tr.Status != "done" || tr.Value == nil || *tr.Value <= 0.5 || tr.StderrTail != "" {
				t.Errorf("%s trial %s: %s, score %v, tail %q", pt.Mode, tr.Key, tr.Status, tr.Value, tr.StderrTail)
			}
			if pt.Mode == "slow" && (tr.Attempts != 2 || tr.Worker != "worker-b") {
				t.Errorf("slow trial %s: %d attempts by %s; want requeued after the kill and run by worker-b", tr.Key, tr.Attempts, tr.Worker)
			}
		case "fail":
			if tr.Status != "failed" || !strings.Contains(tr.Reason, "exit status 1") ||
				!strings.HasPrefix(tr.StderrTail, "Traceback (most recent call last):\n") || !strings.Contains(tr.StderrTail, "is out of range\n") {
				t.Errorf("fail trial %s: %s, reason %q, tail %q", tr.Key, tr.Status, tr.Reason, tr.StderrTail)
			}
		case "noresult":
			if tr.Status != "failed" || !strings.Contains(tr.Reason, "result") {
				t.Errorf("noresult trial %s: %s, reason %q", tr.Key, tr.Status, tr.Reason)
			}
		default:
			t.Errorf("exported trial %s has no mode: %s", tr.Key, tr.Params)
		}
	}
	csvOut := mustCLI(t, dir, "export", "cmd-e2e", "--db", db, "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if err != nil || len(rows) != 9 {
		t.Fatalf("CSV export: %d rows, %v\n%s", len(rows), err, csvOut)
	}
	if h := strings.Join(rows[0], ","); !strings.HasPrefix(h, "key,status,attempts,mode,x,seed,score,") || !strings.HasSuffix(h, ",stderr_tail") {
		t.Errorf("CSV header %s", h)
	}
	if !strings.Contains(csvOut, "ValueError: x=2 is out of range") {
		t.Errorf("CSV export lacks the failing script's stderr:\n%s", csvOut)
	}

	// One final outcome per trial, as acknowledged to the workers.
	rep := checkDB(t, dir, db)
	stored := storedTrials(t, db, "cmd-e2e")
	checkAcked(t, stored, lastAcks(acks([]*proc{a, b})))
	final := count(coords, "trial completed", "trial", nil)
	for key, tr := range stored {
		if final["cmd-e2e/"+key] != tr.Attempts-tr.Expiries {
			t.Errorf("trial %s: %d completions committed, %d attempts of which %d expired", key, final["cmd-e2e/"+key], tr.Attempts, tr.Expiries)
		}
	}
	if rep.StderrTails != 2 {
		t.Errorf("check: %d stderr tails stored; want 2 (the fail trials': the others wrote no stderr)", rep.StderrTails)
	}
	if left := marked(t, mark); len(left) > 0 {
		t.Errorf("processes left running: %v", left)
	}
}

// lastAcks keeps each trial's acknowledgement of the highest token: a
// failed attempt that was retried was acknowledged too.
func lastAcks(in []ack) []ack {
	last := map[string]ack{}
	for _, a := range in {
		old, ok := last[a.trial]
		an, _ := strconv.ParseUint(a.token, 10, 64)
		on, _ := strconv.ParseUint(old.token, 10, 64)
		if !ok || an > on {
			last[a.trial] = a
		}
	}
	out := make([]ack, 0, len(last))
	for _, a := range last {
		out = append(out, a)
	}
	return out
}

// TestCommandPyTorch runs examples/pytorch-pinn's sweep, cut to two
// trials of 40 L-BFGS iterations, through real `serve` and `work`
// processes: the example follows the result contract end to end. It
// needs python3-torch, which CI installs (PINNSWEEP_REQUIRE_PYTHON=1).
func TestCommandPyTorch(t *testing.T) {
	py := pythonFor(t, true)
	dir := t.TempDir()
	example, err := filepath.Abs("../../examples/pytorch-pinn")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(example, "sweep.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	spec := string(src)
	for _, r := range [][2]string{
		{"command: [python3,", "command: [" + py + ","},
		{"workdir: examples/pytorch-pinn", "workdir: " + example},
		{"beta: [1, 5, 10, 20, 30, 40]", "beta: [1, 30]"},
		{"lr: [0.01, 0.1, 1]", "lr: [1]"},
		{"replicates: 3", "replicates: 1"},
		{"iterations: 5000", "iterations: 40"},
	} {
		if !strings.Contains(spec, r[0]) {
			t.Fatalf("examples/pytorch-pinn/sweep.yaml no longer has %q: update this test", r[0])
		}
		spec = strings.Replace(spec, r[0], r[1], 1)
	}
	path := filepath.Join(dir, "pytorch.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "sweeps.db")
	coord, addr := serve(t, dir, db, "127.0.0.1:0", "--allow-command-specs")
	mustCLI(t, dir, "submit", path, "--coordinator", addr)
	w := start(t, dir, "worker", "work", "--coordinator", addr, "--slots", "2", "--allow-exec", py,
		"--work-dir", filepath.Join(dir, "work"), "--log-json")
	p := dial(t, addr).waitFinished(t, "pytorch-convection", 3*time.Minute)
	w.stop()
	coord.stop()
	if p.GetDone() != 2 {
		t.Fatalf("progress %v; want 2 done", p)
	}
	for _, tr := range export(t, dir, "pytorch-convection", "--db", db) {
		var res struct {
			RelL2 float64 `json:"rel_l2"`
			Evals int     `json:"evals"`
			Beta  float64 `json:"beta"`
		}
		if err := json.Unmarshal(tr.Result, &res); err != nil || tr.Value == nil || *tr.Value != res.RelL2 ||
			!(res.RelL2 > 0 && res.RelL2 < 2) || res.Evals < 40 {
			t.Errorf("trial %s: value %v, result %s (%v)", tr.Key, tr.Value, tr.Result, err)
		}
		t.Logf("PyTorch trial beta=%g: rel_l2 %.3g after %d evaluations", res.Beta, res.RelL2, res.Evals)
	}
}
