package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// chaosExampleGrid is the number of grid points of each example that
// TestChaos can run as a command sweep (examples/pytorch-pinn: 6 β × 3
// learning rates; examples/minimal: 3 β × 6 learning rates).
const chaosExampleGrid = 18

// commandSpec returns TestChaos's command sweep: examples/EXAMPLE's own
// spec and program, its program copied into the test's directory (whose
// path, on every trial process's command line, tells the test's trial
// processes from any other), named chaos, with replicates for about n
// trials, iters L-BFGS iterations (pytorch-pinn) and retries enough for
// every lease a kill costs. It returns the spec and its number of trials.
func (r *chaosRun) commandSpec(example string, n, iters int) ([]byte, int) {
	t := r.t
	torch := false
	var edits [][2]string
	switch example {
	case "pytorch-pinn":
		torch = true
		edits = [][2]string{{"name: pytorch-convection", "name: chaos"}, {"replicates: 3", "replicates: %d"},
			{"iterations: 5000", fmt.Sprintf("iterations: %d", iters)}}
	case "minimal":
		edits = [][2]string{{"name: minimal-command", "name: chaos"}, {"replicates: 1", "replicates: %d"}}
	default:
		t.Fatalf("-chaos.command %q: want pytorch-pinn or minimal", example)
	}
	r.python = pythonFor(t, torch)
	example, err := filepath.Abs(filepath.Join("../../examples", example))
	if err != nil {
		t.Fatal(err)
	}
	prog, err := os.ReadFile(filepath.Join(example, "train.py"))
	if err != nil {
		t.Fatal(err)
	}
	r.program = filepath.Join(r.dir, "train.py")
	if err := os.WriteFile(r.program, prog, 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(example, "sweep.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	reps := max(1, (n+chaosExampleGrid/2)/chaosExampleGrid)
	spec := string(src)
	edits = append(edits, [2]string{"command: [python3, train.py", "command: [" + r.python + ", " + r.program},
		[2]string{"workdir: examples/" + filepath.Base(example), "workdir: " + r.dir})
	for _, e := range edits {
		if !strings.Contains(spec, e[0]) {
			t.Fatalf("examples/%s/sweep.yaml no longer has %q: update TestChaos", filepath.Base(example), e[0])
		}
		if strings.Contains(e[1], "%d") {
			e[1] = fmt.Sprintf(e[1], reps)
		}
		spec = strings.Replace(spec, e[0], e[1], 1)
	}
	return []byte(spec + "retries: 50\n"), reps * chaosExampleGrid
}

// pythons returns how many of procs (pid to command line) are the
// trial program's Python processes, not its shims.
func (r *chaosRun) pythons(procs map[int]string) int {
	n := 0
	for _, cmd := range procs {
		if strings.HasPrefix(cmd, r.python+" "+r.program) {
			n++
		}
	}
	return n
}

// descendantsOf returns the live processes below root whose command line
// holds mark, with their command lines.
func descendantsOf(t *testing.T, mark string, root int) map[int]string {
	t.Helper()
	out := map[int]string{}
	for pid, cmd := range marked(t, mark) {
		for p := pid; p > 1; p = parentPid(p) {
			if p == root {
				out[pid] = cmd
				break
			}
		}
	}
	return out
}

// parentPid returns pid's parent from /proc/PID/stat, or 0.
func parentPid(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]) // pid (comm) state ppid ...
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// orphans returns the trial processes of the run (their command line
// holds the program's path) that no live worker started: those of a
// SIGKILLed worker that its shim failed to stop.
func (r *chaosRun) orphans() map[int]string {
	out := marked(r.t, r.program)
	for _, w := range r.slots {
		for pid := range descendantsOf(r.t, r.program, w.cmd.Process.Pid) {
			delete(out, pid)
		}
	}
	return out
}

// noOrphans fails the test unless, within the workers' kill grace (2 s)
// and some slack for a loaded machine, no trial process (shim or program)
// is left that no live worker started. The slack must stay shorter than
// a trial, or an orphan that finishes on its own would pass unseen.
func (r *chaosRun) noOrphans(when string) {
	r.t.Helper()
	deadline := time.Now().Add(8 * time.Second)
	for {
		left := r.orphans()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			r.killAll(left)
			r.t.Fatalf("orphaned trial processes %s: %v", when, left)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// noOrphansLeft fails the test if `pgrep -f PROGRAM` finds any process of
// the run once every worker has stopped.
func (r *chaosRun) noOrphansLeft() {
	r.t.Helper()
	out, err := exec.Command("pgrep", "-a", "-f", r.program).Output()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && exit.ExitCode() == 1: // no process matched
	case err != nil:
		r.t.Errorf("pgrep -f %s: %v (apt-get install procps)", r.program, err)
	default:
		r.t.Errorf("trial processes left after every worker stopped (pgrep -a -f %s):\n%s", r.program, out)
		r.killAll(marked(r.t, r.program))
	}
}

// killAll SIGKILLs the processes, so that a failed test leaves none.
func (r *chaosRun) killAll(procs map[int]string) {
	for pid := range procs {
		if p, err := os.FindProcess(pid); err == nil {
			_ = p.Kill()
		}
	}
}

// checkAllFinal checks that each of the n exported trials has one final
// outcome with its result: done, or diverged (a non-finite metric).
func checkAllFinal(t *testing.T, trials []exported, n int) {
	t.Helper()
	keys := map[string]bool{}
	for _, tr := range trials {
		if keys[tr.Key] {
			t.Errorf("trial %s exported twice", tr.Key)
		}
		keys[tr.Key] = true
		if (tr.Status != "done" && tr.Status != "diverged") || len(tr.Result) == 0 || string(tr.Result) == "null" {
			t.Errorf("trial %s: status %s, result %.60s (reason %q)", tr.Key, tr.Status, tr.Result, tr.Reason)
		}
	}
	if len(keys) != n {
		t.Errorf("%d trials exported, want %d", len(keys), n)
	}
}
