package worker

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// TestMain lets the test binary be the trial shim (CommandOptions.Shim
// defaults to os.Executable()) and the helper worker of
// TestWorkerSIGKILLStopsTrial.
func TestMain(m *testing.M) {
	ShimMain()
	if os.Getenv(helperEnv) != "" {
		os.Exit(helperWorker())
	}
	os.Exit(m.Run())
}

// python returns the system Python 3, or skips the test without one
// unless PINNSWEEP_REQUIRE_PYTHON=1 (as in CI).
func python(t *testing.T) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("command trials run on Linux only")
	}
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("PINNSWEEP_REQUIRE_PYTHON") == "1" {
		t.Fatal("no python3 found and PINNSWEEP_REQUIRE_PYTHON=1 (apt-get install python3)")
	}
	t.Skip("no python3: the command-trial tests need one (apt-get install python3)")
	return ""
}

// script is the absolute path of the test trial program.
func script(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", "trial.py"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newCommandRunner returns a runner allowing the system Python, with its
// worker directory in a temporary directory.
func newCommandRunner(t *testing.T, o CommandOptions) *CommandRunner {
	t.Helper()
	if o.Allow == nil {
		o.Allow = []string{python(t)}
	}
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	if o.KillGrace == 0 {
		o.KillGrace = 300 * time.Millisecond
	}
	r, err := NewCommandRunner(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// uniq makes trial keys (and so the processes' marks) unique per run.
var uniq = strconv.FormatInt(time.Now().UnixNano()%1e9, 36)

// modeTrial is a queued trial of trial.py in the given mode, keyed
// mode-uniq.
func modeTrial(mode string, extra string) *pb.Trial {
	return keyedTrial(mode+"-"+uniq, mode, extra)
}

// keyedTrial is a queued trial of trial.py with the given key, which its
// params also hold as "mark": scriptCommand puts it on the program's
// command line, and trial.py on its children's, for survivors to find.
func keyedTrial(key, mode, extra string) *pb.Trial {
	return &pb.Trial{Sweep: "cmd", Key: key, ParamsJson: fmt.Sprintf(`{"mode":%q,"mark":%q,"seed":7%s}`, mode, key, extra)}
}

// scriptCommand runs trial.py with the system Python and the trial's mark.
func scriptCommand(t *testing.T) *pb.Command {
	return &pb.Command{Argv: []string{python(t), script(t), "{mark}"}}
}

// runAll runs the trials on a worker and returns each one's completion
// (the accepted one) by trial key.
func runAll(t *testing.T, f *fakeCoordinator, o Options) map[string]*pb.CompleteRequest {
	t.Helper()
	n := len(f.queue)
	cc := serve(t, f)
	o.Conn = cc
	if o.Runner == nil {
		o.Runner = NoopRunner{}
	}
	stop := startWorker(t, o)
	byKey := func() map[string]*pb.CompleteRequest {
		c, _, _ := f.snapshot()
		f.mu.Lock()
		defer f.mu.Unlock()
		out := map[string]*pb.CompleteRequest{}
		for _, r := range c {
			out[f.leases[r.GetLeaseId()].GetKey()] = r
		}
		return out
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(byKey()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d trials completed", len(byKey()), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	return byKey()
}

// survivors lists the processes whose command line holds mark.
func survivors(mark string) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), mark) {
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	return out
}

// checkNoSurvivors fails the test if a process of the trial is running.
func checkNoSurvivors(t *testing.T, key string) {
	t.Helper()
	if s := survivors(key); len(s) > 0 {
		t.Errorf("processes of trial %s still running:\n%s", key, strings.Join(s, "\n"))
	}
}

func TestCommandTrialOutcomes(t *testing.T) {
	tests := []struct {
		mode   string
		status pb.TrialStatus
		reason string // a substring; "" means none
		result string // a substring of the result
		stderr string // a substring of the stderr tail; "" means none sent
	}{
		{"done", pb.TrialStatus_TRIAL_STATUS_DONE, "", `"rel_l2": 0.01`, ""},
		{"stdout", pb.TrialStatus_TRIAL_STATUS_DONE, "", `"where": "stdout"`, ""},
		{"nan", pb.TrialStatus_TRIAL_STATUS_DIVERGED, `metric "rel_l2" is NaN`, `{"rel_l2": "NaN", "loss": "Infinity"}`, "mode nan"},
		{"inf", pb.TrialStatus_TRIAL_STATUS_DIVERGED, `metric "rel_l2" is -Infinity`, `"note": "NaN inside a string"`, "mode inf"},
		{"null", pb.TrialStatus_TRIAL_STATUS_DIVERGED, `metric "rel_l2" is null`, `"rel_l2": null`, "mode null"},
		{"exit", pb.TrialStatus_TRIAL_STATUS_FAILED, `program failed: exit status 3; last stderr line: "ValueError: beta must be positive"`, `"rel_l2": 0.5`, "line one of stderr\nTraceback"},
		{"segv", pb.TrialStatus_TRIAL_STATUS_FAILED, "program failed: killed by SIGSEGV", "", "mode segv"},
		{"noresult", pb.TrialStatus_TRIAL_STATUS_FAILED, `no result: $PINNSWEEP_OUT/result.json does not exist and the last line of stdout is not a JSON object: "training finished, but I forgot the result"`, "", "mode noresult"},
		{"silent", pb.TrialStatus_TRIAL_STATUS_FAILED, "no result: $PINNSWEEP_OUT/result.json does not exist and stdout has no result line", "", "mode silent"},
		{"badjson", pb.TrialStatus_TRIAL_STATUS_FAILED, "unparsable result: result.json is not a JSON object", "", "mode badjson"},
		{"array", pb.TrialStatus_TRIAL_STATUS_FAILED, "unparsable result: result.json is not a JSON object", "", "mode array"},
		{"nometric", pb.TrialStatus_TRIAL_STATUS_FAILED, `missing metric: the result has no field "rel_l2" (fields: acc, loss)`, `"acc": 0.9`, "mode nometric"},
		{"strmetric", pb.TrialStatus_TRIAL_STATUS_FAILED, `metric "rel_l2" is not a number: "\"0.1\""`, `"rel_l2": "0.1"`, "mode strmetric"},
		// A named pipe as result.json blocked the slot for ever.
		{"fifo", pb.TrialStatus_TRIAL_STATUS_FAILED, "result.json: not a regular file: it is a named pipe (FIFO)", "", "mode fifo"},
		{"setsid", pb.TrialStatus_TRIAL_STATUS_DONE, "1 processes the program left running were killed", `"rel_l2": 0.03`, ""},
		{"bogus", pb.TrialStatus_TRIAL_STATUS_FAILED, `program failed: exit status 2; last stderr line: "unknown mode bogus"`, "", "unknown mode bogus"},
	}
	f := newFake(0)
	f.command = scriptCommand(t)
	for _, tt := range tests {
		f.queue = append(f.queue, modeTrial(tt.mode, ""))
	}
	dir := t.TempDir()
	got := runAll(t, f, Options{Slots: 4, Command: newCommandRunner(t, CommandOptions{Dir: dir})})
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			key := modeTrial(tt.mode, "").GetKey()
			c := got[key]
			if c.GetStatus() != tt.status {
				t.Fatalf("status %v, want %v (reason %q, stderr %q)", c.GetStatus(), tt.status, c.GetReason(), c.GetStderrTail())
			}
			if tt.reason == "" && c.GetReason() != "" || !strings.Contains(c.GetReason(), tt.reason) {
				t.Errorf("reason %q, want %q", c.GetReason(), tt.reason)
			}
			if !strings.Contains(c.GetResultJson(), tt.result) || tt.result == "" && c.GetResultJson() != "" {
				t.Errorf("result %q, want %q", c.GetResultJson(), tt.result)
			}
			if c.GetResultJson() != "" && !json.Valid([]byte(c.GetResultJson())) {
				t.Errorf("result %q is not valid JSON", c.GetResultJson())
			}
			if !strings.Contains(c.GetStderrTail(), tt.stderr) || tt.stderr == "" && c.GetStderrTail() != "" {
				t.Errorf("stderr tail %q, want %q", c.GetStderrTail(), tt.stderr)
			}
			checkNoSurvivors(t, key)
			log, err := os.ReadFile(filepath.Join(dir, "cmd", key, strconv.FormatUint(c.GetToken(), 10), "trial.log"))
			if err != nil || !strings.Contains(string(log), "mode "+tt.mode) {
				t.Errorf("trial.log: %q, %v", log, err)
			}
		})
	}
}

// TestCommandTrialMetric judges a metric of the spec's choosing.
func TestCommandTrialMetric(t *testing.T) {
	f := newFake(0)
	f.command = scriptCommand(t)
	f.command.Metric = "acc"
	f.queue = append(f.queue, modeTrial("nometric", ""), modeTrial("done", ""))
	got := runAll(t, f, Options{Command: newCommandRunner(t, CommandOptions{})})
	if c := got[modeTrial("nometric", "").GetKey()]; c.GetStatus() != pb.TrialStatus_TRIAL_STATUS_DONE {
		t.Errorf("metric acc present: %v %q", c.GetStatus(), c.GetReason())
	}
	if c := got[modeTrial("done", "").GetKey()]; c.GetStatus() != pb.TrialStatus_TRIAL_STATUS_FAILED ||
		!strings.Contains(c.GetReason(), `missing metric: the result has no field "acc" (fields: loss, rel_l2, steps)`) {
		t.Errorf("metric acc missing: %v %q", c.GetStatus(), c.GetReason())
	}
}

// TestCommandTrialEnvironment checks the argv, working directory,
// environment and params file a program gets.
func TestCommandTrialEnvironment(t *testing.T) {
	py := python(t)
	t.Setenv("PINNSWEEP_TOKEN", "secret-credential")
	t.Setenv("OMP_NUM_THREADS", "8")
	t.Setenv("CUDA_VISIBLE_DEVICES", "5") // a CPU-only worker leaves it alone
	work := t.TempDir()
	f := newFake(0)
	f.command = &pb.Command{
		Argv:    []string{py, script(t), "--beta", "{beta}", "--lr={lr}", "{layers}", "{name}", "{{literal}}"},
		Workdir: "testdata",
		Env:     map[string]string{"OMP_NUM_THREADS": "1", "TRIAL_TAG": "beta={beta}"},
	}
	tr := modeTrial("env", `,"beta":30,"lr":0.001,"layers":[50,50],"name":"a b; rm -rf $HOME"`)
	f.queue = append(f.queue, tr)
	c := runAll(t, f, Options{Command: newCommandRunner(t, CommandOptions{Dir: work})})[tr.GetKey()]
	if c.GetStatus() != pb.TrialStatus_TRIAL_STATUS_DONE {
		t.Fatalf("%v: %s\n%s", c.GetStatus(), c.GetReason(), c.GetStderrTail())
	}
	var res struct {
		Argv   []string
		Cwd    string
		Params map[string]any
		Env    map[string]string
	}
	if err := json.Unmarshal([]byte(c.GetResultJson()), &res); err != nil {
		t.Fatal(err)
	}
	wantArgv := []string{"--beta", "30", "--lr=0.001", "[50,50]", "a b; rm -rf $HOME", "{literal}"}
	if strings.Join(res.Argv, "|") != strings.Join(wantArgv, "|") {
		t.Errorf("argv %q, want %q", res.Argv, wantArgv)
	}
	if wd, _ := filepath.Abs("testdata"); res.Cwd != wd {
		t.Errorf("cwd %s, want %s", res.Cwd, wd)
	}
	dir := filepath.Join(work, "cmd", tr.GetKey(), strconv.FormatUint(c.GetToken(), 10))
	want := map[string]string{
		"PINNSWEEP_PARAMS":     filepath.Join(dir, "params.json"),
		"PINNSWEEP_OUT":        filepath.Join(dir, "out"),
		"PINNSWEEP_TRIAL_KEY":  tr.GetKey(),
		"PINNSWEEP_SWEEP":      "cmd",
		"PINNSWEEP_SEED":       "7",
		"OMP_NUM_THREADS":      "1",
		"TRIAL_TAG":            "beta=30",
		"CUDA_VISIBLE_DEVICES": "5",
	}
	for k, v := range want {
		if res.Env[k] != v {
			t.Errorf("$%s = %q, want %q", k, res.Env[k], v)
		}
	}
	for k := range res.Env {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected $%s = %q (the worker's PINNSWEEP_* must not reach trials)", k, res.Env[k])
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "params.json")); string(b) != tr.GetParamsJson() {
		t.Errorf("params.json = %s, want %s", b, tr.GetParamsJson())
	}
	if res.Params["name"] != "a b; rm -rf $HOME" || res.Params["seed"] != 7.0 {
		t.Errorf("params read by the program: %v", res.Params)
	}
}

// TestCommandTrialAllowExec refuses programs the worker does not allow.
func TestCommandTrialAllowExec(t *testing.T) {
	py := python(t)
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	f := newFake(0)
	f.command = &pb.Command{Argv: []string{"sh", "-c", "echo '{{\"rel_l2\": 1}}'"}}
	f.queue = append(f.queue, modeTrial("sh", ""))
	got := runAll(t, f, Options{Command: newCommandRunner(t, CommandOptions{Allow: []string{py}})})
	c := got[modeTrial("sh", "").GetKey()]
	want := fmt.Sprintf(`worker: program not allowed: "sh" resolves to %s, which this worker does not allow (--allow-exec %s)`, sh, py)
	if c.GetStatus() != pb.TrialStatus_TRIAL_STATUS_FAILED || c.GetReason() != want {
		t.Errorf("%v %q\nwant reason %q", c.GetStatus(), c.GetReason(), want)
	}

	// The same program by name runs when allowed by name.
	f = newFake(0)
	f.command = &pb.Command{Argv: []string{"sh", "-c", "echo '{{\"rel_l2\": 1}}'"}}
	f.queue = append(f.queue, modeTrial("sh", ""))
	got = runAll(t, f, Options{Command: newCommandRunner(t, CommandOptions{Allow: []string{"sh"}})})
	if c := got[modeTrial("sh", "").GetKey()]; c.GetStatus() != pb.TrialStatus_TRIAL_STATUS_DONE {
		t.Errorf("allowed sh: %v %q", c.GetStatus(), c.GetReason())
	}

	// Without a CommandRunner the worker says so and runs none.
	f = newFake(0)
	f.command = scriptCommand(t)
	f.queue = append(f.queue, modeTrial("done", ""))
	got = runAll(t, f, Options{})
	if c := got[modeTrial("done", "").GetKey()]; c.GetStatus() != pb.TrialStatus_TRIAL_STATUS_FAILED ||
		c.GetReason() != "this worker runs no command trials (start it with --allow-exec PROGRAM)" {
		t.Errorf("no command runner: %v %q", c.GetStatus(), c.GetReason())
	}
	for _, r := range f.leaseReqs {
		if r.GetCommands() {
			t.Errorf("a worker without a command runner announced commands: %v", r)
		}
	}
	checkNoSurvivors(t, modeTrial("done", "").GetKey())

	if _, err := NewCommandRunner(CommandOptions{Allow: []string{"no-such-program-pinnsweep"}}); err == nil ||
		!strings.Contains(err.Error(), `allowed program "no-such-program-pinnsweep"`) {
		t.Errorf("unknown allowed program: %v", err)
	}
	if _, err := NewCommandRunner(CommandOptions{}); err == nil {
		t.Error("a runner that allows nothing was created")
	}
}

// TestCommandTrialBadGrant fails trials whose grant cannot be run, before
// anything starts.
func TestCommandTrialBadGrant(t *testing.T) {
	py := python(t)
	cases := map[string]*pb.Command{
		`invalid command: command[1]: sweeps: invalid value: unknown placeholder {nope}`:          {Argv: []string{py, "{nope}"}},
		`invalid command: env: sweeps: invalid value: environment variable LD_PRELOAD is refused`: {Argv: []string{py}, Env: map[string]string{"LD_PRELOAD": "/x.so"}},
		`workdir /nonexistent-pinnsweep: stat /nonexistent-pinnsweep: no such file or directory`:  {Argv: []string{py}, Workdir: "/nonexistent-pinnsweep"},
		`the trial's command is empty`: {},
	}
	for want, cmd := range cases {
		r := newCommandRunner(t, CommandOptions{})
		o, err := r.Run(t.Context(), CommandTrial{Sweep: "s", Key: "k", Token: 1, Params: `{"seed":1}`, Command: Command{Argv: cmd.Argv, Workdir: cmd.Workdir, Env: cmd.Env}}, func(int64, float64) {})
		if err != nil || o.Status != StatusFailed || !strings.Contains(o.Reason, want) {
			t.Errorf("%v, %v; want failed with %q", o, err, want)
		}
	}
	r := newCommandRunner(t, CommandOptions{})
	if o, _ := r.Run(t.Context(), CommandTrial{Sweep: "../x", Key: "k", Params: "{}", Command: Command{Argv: []string{py}}}, nil); o.Status != StatusFailed {
		t.Errorf("a sweep name with a slash: %v", o)
	}
}

// TestCommandTrialLogCap keeps the head and tail of a trial's output
// within the cap.
func TestCommandTrialLogCap(t *testing.T) {
	const logCap = 64 << 10
	work := t.TempDir()
	f := newFake(0)
	f.command = scriptCommand(t)
	tr := modeTrial("spam", `,"lines":20000`)
	f.queue = append(f.queue, tr)
	c := runAll(t, f, Options{Command: newCommandRunner(t, CommandOptions{Dir: work, LogCap: logCap})})[tr.GetKey()]
	if c.GetStatus() != pb.TrialStatus_TRIAL_STATUS_DONE {
		t.Fatalf("%v %q", c.GetStatus(), c.GetReason())
	}
	log, err := os.ReadFile(filepath.Join(work, "cmd", tr.GetKey(), strconv.FormatUint(c.GetToken(), 10), "trial.log"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(log)
	if len(log) > logCap+100 || !strings.Contains(s, "HEAD-OF-LOG") || !strings.HasSuffix(s, "TAIL-OF-LOG\n") && !strings.HasSuffix(s, "TAIL-OF-STDERR\n") ||
		!strings.Contains(s, "bytes of output left out]") {
		t.Errorf("log of %d bytes: %.200q … %q", len(log), s, s[max(0, len(s)-200):])
	}
}

// TestCommandTrialCheckpointDir: with CommandOptions.CheckpointDir, every
// attempt of a trial gets the same $PINNSWEEP_CHECKPOINT_DIR, so the
// second attempt of a preempted (failed) trial resumes from what the
// first saved there. The runner removes nothing itself: the outcome's
// Checkpoints, which the worker removes when the coordinator says the
// trial is final, are the directory, and its sweep's goes once empty.
func TestCommandTrialCheckpointDir(t *testing.T) {
	py := python(t)
	root := filepath.Join(t.TempDir(), "shared-checkpoints")
	r := newCommandRunner(t, CommandOptions{CheckpointDir: root})
	cmd := Command{Argv: []string{py, script(t)}}
	trial := func(token uint64) CommandTrial {
		return CommandTrial{Sweep: "cmd", Key: "ckpt-" + uniq, Token: token, Params: `{"mode":"ckpt","steps":20,"seed":1}`, Command: cmd}
	}
	dir := filepath.Join(root, "cmd", "ckpt-"+uniq)

	o, err := r.Run(t.Context(), trial(1), func(int64, float64) {})
	if err != nil || o.Status != StatusFailed || !strings.Contains(o.StderrTail, "preempted at step 10") {
		t.Fatalf("first attempt: %v %s %q %q", err, o.Status, o.Reason, o.StderrTail)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "state.json")); err != nil || string(b) != `{"step": 10}` {
		t.Fatalf("the first attempt's checkpoint: %q %v", b, err)
	}

	o, err = r.Run(t.Context(), trial(2), func(int64, float64) {})
	if err != nil || o.Status != StatusDone {
		t.Fatalf("second attempt: %v %s %q %q", err, o.Status, o.Reason, o.StderrTail)
	}
	var res struct {
		ResumedFrom int    `json:"resumed_from"`
		Dir         string `json:"dir"`
	}
	if err := json.Unmarshal([]byte(o.ResultJSON), &res); err != nil || res.ResumedFrom != 10 || res.Dir != dir {
		t.Errorf("second attempt's result %s (%v): want resumed_from 10 in %s", o.ResultJSON, err, dir)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("the runner removed the checkpoint directory itself: %v", err)
	}
	removeCheckpoints(hclog.NewNullLogger(), o.Checkpoints)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the done trial's checkpoint directory is still there (%v)", err)
	}
	if _, err := os.Stat(filepath.Dir(dir)); !os.IsNotExist(err) {
		t.Errorf("the sweep's emptied checkpoint directory is still there (%v)", err)
	}
}
