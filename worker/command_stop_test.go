package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// TestCommandTrialStops stops trials whose programs fork, ignore SIGTERM
// or daemonise: the coordinator says stop, the budget runs out, the lease
// is lost, the worker shuts down. No process of theirs may survive.
func TestCommandTrialStops(t *testing.T) {
	modes := []string{"grandchild", "ignoreterm", "setsid-sleep"}
	for _, how := range []string{"stop", "budget", "lost", "shutdown"} {
		t.Run(how, func(t *testing.T) {
			f := newFake(0)
			f.command = scriptCommand(t)
			var keys []string
			for _, m := range modes {
				tr := keyedTrial(how+"-"+m+"-"+uniq, m, "")
				keys = append(keys, tr.Key)
				f.queue = append(f.queue, tr)
			}
			var beats atomic.Int32
			var lost sync.Map // lease ids told their lease is lost
			switch how {
			case "stop":
				f.onHeartbeat = func(req *pb.HeartbeatRequest) (*pb.HeartbeatResponse, error) {
					if req.GetEvals() > 0 { // the program is up
						return &pb.HeartbeatResponse{Stop: true, Reason: "sweep cancelled"}, nil
					}
					return &pb.HeartbeatResponse{TtlMs: f.ttlMs}, nil
				}
			case "budget":
				f.budget = 1.5
			case "lost":
				f.onHeartbeat = func(req *pb.HeartbeatRequest) (*pb.HeartbeatResponse, error) {
					if req.GetEvals() > 0 {
						// Count each lease once: one trial may beat twice
						// before another's program is up.
						if _, seen := lost.LoadOrStore(req.GetLeaseId(), true); !seen {
							beats.Add(1)
						}
						return nil, status.Error(codes.FailedPrecondition, "stale fencing token")
					}
					return &pb.HeartbeatResponse{TtlMs: f.ttlMs}, nil
				}
			case "shutdown":
				f.onHeartbeat = func(req *pb.HeartbeatRequest) (*pb.HeartbeatResponse, error) {
					if req.GetEvals() > 0 {
						beats.Add(1)
					}
					return &pb.HeartbeatResponse{TtlMs: f.ttlMs}, nil
				}
			}
			cc := serve(t, f)
			reg := prometheus.NewRegistry()
			metrics, err := NewMetrics(reg)
			if err != nil {
				t.Fatal(err)
			}
			stop := startWorker(t, Options{Conn: cc, Slots: len(modes), Runner: NoopRunner{}, HeartbeatEvery: 50 * time.Millisecond,
				Command: newCommandRunner(t, CommandOptions{KillGrace: 300 * time.Millisecond}), Metrics: metrics})
			switch how {
			case "stop", "budget":
				waitFor(t, "completions", func() bool { c, _, _ := f.snapshot(); return len(c) == len(modes) })
				want := map[string]pb.TrialStatus{"stop": pb.TrialStatus_TRIAL_STATUS_CANCELLED, "budget": pb.TrialStatus_TRIAL_STATUS_TIMEOUT}[how]
				c, _, _ := f.snapshot()
				for _, r := range c {
					// (Under a budget the program may not have printed yet.)
					if r.GetStatus() != want || how == "stop" && !strings.Contains(r.GetStderrTail(), "mode ") {
						t.Errorf("completion of %s: %v: %q, stderr %q", r.GetLeaseId(), r.GetStatus(), r.GetReason(), r.GetStderrTail())
					}
				}
				stop()
			case "lost":
				// Stop only once the worker has abandoned every trial: a
				// stop between the failed heartbeat and the worker acting
				// on it would hand a trial back (correctly, as far as the
				// worker knew), which is the shutdown case, not this one.
				waitFor(t, "lost leases", func() bool {
					return beats.Load() >= int32(len(modes)) && trialsEnded(t, reg, outcomeLost) == len(modes)
				})
				stop()
				if c, r, _ := f.snapshot(); len(c)+len(r) != 0 {
					t.Errorf("a lost trial was reported: %d completions, %d releases", len(c), len(r))
				}
			case "shutdown":
				waitFor(t, "running programs", func() bool { return beats.Load() >= int32(len(modes)) })
				stop()
				if c, r, _ := f.snapshot(); len(c) != 0 || len(r) != len(modes) {
					t.Errorf("%d completions, %d releases; want 0 and %d", len(c), len(r), len(modes))
				}
			}
			for _, k := range keys {
				checkNoSurvivors(t, k)
			}
		})
	}
}

// TestCommandTrialProgress feeds heartbeats from progress lines, at a
// bounded rate, and the last one is never lost.
func TestCommandTrialProgress(t *testing.T) {
	r := newCommandRunner(t, CommandOptions{ProgressRate: 10})
	py := python(t)
	var calls atomic.Int64
	var last atomic.Value
	start := time.Now()
	o, err := r.Run(t.Context(), CommandTrial{Sweep: "s", Key: "flood-" + uniq, Token: 1, Params: `{"mode":"flood","lines":20000,"seed":0}`,
		Command: Command{Argv: []string{py, script(t)}}}, func(evals int64, loss float64) {
		calls.Add(1)
		last.Store([2]float64{float64(evals), loss})
	})
	elapsed := time.Since(start)
	if err != nil || o.Status != StatusDone {
		t.Fatalf("%v %v", o, err)
	}
	// A bound on the count, not a timing: at most one per tenth of a second
	// of the run, plus the final flush.
	if n, bound := calls.Load(), int64(elapsed.Seconds()*10)+2; n < 2 || n > bound {
		t.Errorf("%d progress calls in %v; want 2 to %d", n, elapsed, bound)
	}
	if got := last.Load().([2]float64); got != [2]float64{123456789, 0.125} {
		t.Errorf("last progress %v, want step 123456789 loss 0.125", got)
	}

	// Through a worker, the heartbeats carry it.
	f := newFake(0)
	f.command = scriptCommand(t)
	f.queue = append(f.queue, modeTrial("flood", `,"lines":100`))
	runAll(t, f, Options{HeartbeatEvery: 20 * time.Millisecond, Command: r})
	_, _, beats := f.snapshot()
	if len(beats) == 0 || beats[len(beats)-1].GetEvals() != 123456789 || beats[len(beats)-1].GetLoss() != 0.125 {
		t.Errorf("heartbeats %v", beats)
	}
}

// TestCommandResultAfterOutage delivers a failed command trial's outcome,
// stderr tail included, after the coordinator comes back: the same path as
// a built-in trial's.
func TestCommandResultAfterOutage(t *testing.T) {
	f := newFake(0)
	f.command = scriptCommand(t)
	f.queue = append(f.queue, modeTrial("exit", ""))
	f.onComplete = func(n int, _ *pb.CompleteRequest) error {
		if n <= 3 {
			return status.Error(codes.Unavailable, "coordinator away")
		}
		return nil
	}
	cc := serve(t, f)
	stop := startWorker(t, Options{Conn: cc, Runner: NoopRunner{}, Backoff: Backoff{Initial: time.Millisecond, Max: 5 * time.Millisecond},
		Command: newCommandRunner(t, CommandOptions{})})
	waitFor(t, "the accepted completion", func() bool { f.mu.Lock(); defer f.mu.Unlock(); return len(f.accepted) == 1 })
	stop()
	c, _, _ := f.snapshot()
	f.mu.Lock()
	dups := f.dups
	f.mu.Unlock()
	// The stop may catch the accepted call's answer in flight: the worker
	// sends it again and the coordinator answers duplicate=true.
	if len(c)-dups != 4 {
		t.Fatalf("%d completion attempts (%d answered as duplicates), want 4 and any duplicates", len(c), dups)
	}
	for _, r := range c {
		if r.GetStatus() != pb.TrialStatus_TRIAL_STATUS_FAILED || !strings.Contains(r.GetStderrTail(), "ValueError") ||
			r.GetReason() != c[0].GetReason() || r.GetStderrTail() != c[0].GetStderrTail() {
			t.Fatalf("attempt %v differs or lacks the stderr tail", r)
		}
	}
}

const helperEnv = "PINNSWEEP_TEST_HELPER_WORKER"

// helperWorker runs one grandchild trial for TestWorkerSIGKILLStopsTrial,
// as a worker process would, until it is killed.
func helperWorker() int {
	var cfg struct{ Python, Script, Dir, Key string }
	if err := json.Unmarshal([]byte(os.Getenv(helperEnv)), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	r, err := NewCommandRunner(CommandOptions{Allow: []string{cfg.Python}, Dir: cfg.Dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	o, err := r.Run(context.Background(), CommandTrial{Sweep: "s", Key: cfg.Key, Token: 1,
		Params:  fmt.Sprintf(`{"mode":"grandchild","mark":%q,"seed":0}`, cfg.Key),
		Command: Command{Argv: []string{cfg.Python, cfg.Script, "{mark}"}}}, func(int64, float64) {})
	fmt.Println(o, err)
	return 0
}

// TestWorkerSIGKILLStopsTrial kills a worker process with SIGKILL while
// its trial's program and grandchild run: the shim, told by the kernel
// that its parent died, stops them all.
func TestWorkerSIGKILLStopsTrial(t *testing.T) {
	py := python(t)
	dir := t.TempDir()
	key := "sigkill-" + uniq
	cfg, _ := json.Marshal(map[string]string{"Python": py, "Script": script(t), "Dir": dir, "Key": key})
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+string(cfg))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pids := filepath.Join(dir, "s", key, "1", "out", "pids")
	waitFor(t, "the program and its two children", func() bool {
		b, _ := os.ReadFile(pids)
		return strings.Count(string(b), "\n") >= 3
	})
	time.Sleep(100 * time.Millisecond) // the children exec python
	if len(survivors(key)) < 3 {
		t.Fatalf("the trial's processes are not running: %q", survivors(key))
	}
	cmd.Process.Kill()
	cmd.Wait()
	deadline := time.Now().Add(20 * time.Second)
	for len(survivors(key)) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	checkNoSurvivors(t, key)
}

// trialsEnded is the number of trials the worker's metrics in reg count
// as ended with outcome.
func trialsEnded(t *testing.T, reg *prometheus.Registry, outcome string) int {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != MetricTrialSeconds {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == outcome {
					return int(m.GetHistogram().GetSampleCount())
				}
			}
		}
	}
	return 0
}
