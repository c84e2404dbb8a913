package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// scoreScript is a standard-library command trial maximising a score:
// score = 1 - |lr - 0.1| (best at lr = 0.1), with a second numeric field;
// lr = 5 exits 1 after writing to stderr.
const scoreScript = `import json, os, sys
p = json.load(open(os.environ["PINNSWEEP_PARAMS"]))
if p["lr"] == 5:
    sys.stderr.write("Traceback (most recent call last):\nValueError: lr too large\n")
    sys.exit(1)
print("PINNSWEEP_PROGRESS " + json.dumps({"step": 1, "loss": 0.5}), flush=True)
print(json.dumps({"score": 1 - abs(p["lr"] - 0.1), "epochs_run": p["epochs"]}))
`

// scoreSpec sweeps lr for a score that the spec maximises, with a free-form
// fixed setting.
const scoreSpec = `name: score
runner:
  command: [python3, score.py]
  workdir: %s
fixed:
  epochs: 7
axes:
  lr: [0.1, 0.5, 5]
metric: score
goal: max
failure_threshold: 0.8
retries: 0
`

// python3 skips the test without python3, unless PINNSWEEP_REQUIRE_PYTHON=1.
func python3(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		if os.Getenv("PINNSWEEP_REQUIRE_PYTHON") == "1" {
			t.Fatal("no python3 and PINNSWEEP_REQUIRE_PYTHON=1")
		}
		t.Skip("no python3: apt-get install python3")
	}
}

// TestRunCommandSpec: `run` runs a command spec's trials with its own
// program, judges them by the spec's maximised metric, and its results
// carry the metric, the free-form params and the failed trial's stderr.
func TestRunCommandSpec(t *testing.T) {
	python3(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "score.py"), []byte(scoreScript), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := writeSpec(t, strings.Replace(scoreSpec, "%s", dir, 1))
	out := filepath.Join(dir, "out")
	code, stdout, stderr := runCmd("run", spec, "--slots", "2", "--db", filepath.Join(dir, "s.db"), "--out", out,
		"--work-dir", filepath.Join(dir, "work"), "--no-report", "--json")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var sum struct {
		Metric string `json:"metric"`
		Goal   string `json:"goal"`
		Points []struct {
			Verdict string   `json:"verdict"`
			Median  *float64 `json:"median"`
		} `json:"points"`
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if sum.Metric != "score" || sum.Goal != "max" || len(sum.Points) != 3 {
		t.Fatalf("summary: %s", stdout)
	}
	// lr 0.1: score 1 passes; 0.5: 0.6 fails (below 0.8, maximised); 5: failed, void.
	if v := []string{sum.Points[0].Verdict, sum.Points[1].Verdict, sum.Points[2].Verdict}; strings.Join(v, ",") != "pass,fail,void" {
		t.Errorf("verdicts %v, want pass, fail, void\n%s", v, stdout)
	}
	f, err := os.Open(filepath.Join(out, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0], ","); got != "key,status,attempts,lr,seed,score,epochs_run,epochs,failure_class,worker,reason,stderr_tail" {
		t.Errorf("header %s", got)
	}
	last := rows[3]
	if last[1] != "failed" || last[8] != "" || !strings.Contains(last[10], "exit status 1") || !strings.HasSuffix(last[11], "ValueError: lr too large") {
		t.Errorf("failed trial's row %q", last)
	}
}

// TestRunCommandUsage: GPU flags must match what the spec's trials need,
// and the spec's program must exist.
func TestRunCommandUsage(t *testing.T) {
	python3(t)
	db := filepath.Join(t.TempDir(), "s.db")
	cmdSpec := writeSpec(t, "name: c\nrunner: {command: [python3, x.py]}\naxes: {lr: [1]}\n")
	gpuSpec := writeSpec(t, "name: g\nrunner: {command: [python3, x.py]}\nresources: {gpus: 2}\naxes: {lr: [1]}\n")
	missing := writeSpec(t, "name: m\nrunner: {command: [no-such-program-pinnsweep]}\naxes: {lr: [1]}\n")
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"run", writeSpec(t, tinySpec), "--gpus", "0"}, 2, "--gpus: the built-in trainer runs on CPUs"},
		{[]string{"run", cmdSpec, "--gpus", "0"}, 2, "need no GPU"},
		{[]string{"run", gpuSpec}, 2, "need 2 GPUs each: give --gpus with at least 2 devices"},
		{[]string{"run", gpuSpec, "--gpus", "0"}, 2, "need 2 GPUs each"},
		{[]string{"run", missing}, 1, `the spec's program "no-such-program-pinnsweep"`},
		{[]string{"run", cmdSpec, "--kill-grace", "0s"}, 2, "--kill-grace 0s"},
	} {
		code, _, stderr := runCmd(append(tc.args, "--db", db)...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%v: code %d, stderr %q; want %d and %q", tc.args, code, stderr, tc.code, tc.msg)
		}
	}
}
