package worker

import (
	"encoding/json"
	"os"
	"os/exec"
	"sync/atomic"
	"testing"

	"github.com/pinnsweep/pinnsweep/sweeps"
)

// exampleTrial returns the trial of the example spec with the given
// values of its axes, and a command for it run from worker/: the spec's
// workdir is relative to the repository root, where `pinnsweep run` starts,
// and its program becomes the system Python wherever PATH leads.
func exampleTrial(t *testing.T, spec *sweeps.Spec, py string, where map[string]any) (sweeps.Trial, Command) {
	t.Helper()
	trials, err := spec.Expand()
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range trials {
		match := true
		for k, v := range where {
			match = match && sweeps.FormatValue(tr.Params[k]) == sweeps.FormatValue(v)
		}
		if match {
			argv := append([]string{py}, spec.Runner.Command[1:]...)
			return tr, Command{Argv: argv, Workdir: "../" + spec.Runner.Workdir, Env: spec.Runner.Env, Metric: spec.MetricName()}
		}
	}
	t.Fatalf("no trial with %v", where)
	return sweeps.Trial{}, Command{}
}

// TestMinimalExample runs the README's ten-line command trial
// (examples/minimal) where it converges, fails and diverges.
func TestMinimalExample(t *testing.T) {
	py := python(t)
	spec, err := sweeps.ParseFile("../examples/minimal/sweep.yaml", sweeps.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := newCommandRunner(t, CommandOptions{Allow: []string{py}})
	for _, tt := range []struct {
		lr     float64
		status Status
		ok     func(float64) bool
	}{
		{0.1, StatusDone, func(x float64) bool { return x < 1e-10 }},
		{1.5, StatusDone, func(x float64) bool { return x > 1e100 }},
		{10, StatusDiverged, nil},
	} {
		tr, cmd := exampleTrial(t, spec, py, map[string]any{"beta": int64(10), "lr": tt.lr})
		o, err := r.Run(t.Context(), CommandTrial{Sweep: spec.Name, Key: tr.Key, Token: 1, Params: string(sweeps.CanonicalJSON(tr.Params)), Command: cmd}, func(int64, float64) {})
		if err != nil || o.Status != tt.status {
			t.Fatalf("lr %v: %+v, %v", tt.lr, o, err)
		}
		var res struct {
			RelL2 any `json:"rel_l2"`
		}
		json.Unmarshal([]byte(o.ResultJSON), &res)
		if x, isNum := res.RelL2.(float64); tt.ok != nil && (!isNum || !tt.ok(x)) {
			t.Errorf("lr %v: rel_l2 %v", tt.lr, res.RelL2)
		}
	}
}

// TestPyTorchExample runs one trial of examples/pytorch-pinn/sweep.yaml,
// cut to a few L-BFGS iterations, through the CommandRunner: the example
// follows the result contract. It needs PyTorch (python3-torch), which CI
// installs: with PINNSWEEP_REQUIRE_PYTHON=1 it fails rather than skips.
func TestPyTorchExample(t *testing.T) {
	py := python(t)
	if err := exec.Command(py, "-c", "import torch, numpy").Run(); err != nil {
		if os.Getenv("PINNSWEEP_REQUIRE_PYTHON") == "1" {
			t.Fatalf("%s cannot import torch and numpy (%v) and PINNSWEEP_REQUIRE_PYTHON=1 (apt-get install python3-torch)", py, err)
		}
		t.Skipf("%s cannot import torch and numpy (%v): apt-get install python3-torch", py, err)
	}
	spec, err := sweeps.ParseFile("../examples/pytorch-pinn/sweep.yaml", sweeps.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tr, cmd := exampleTrial(t, spec, py, map[string]any{"beta": int64(1), "lr": int64(1), "seed": int64(0)})
	tr.Params["max_iters"] = int64(60) // a few iterations: the contract, not the physics
	r := newCommandRunner(t, CommandOptions{Allow: []string{py}})
	var steps atomic.Int64
	o, err := r.Run(t.Context(), CommandTrial{Sweep: spec.Name, Key: tr.Key, Token: 1, Params: string(sweeps.CanonicalJSON(tr.Params)), Command: cmd},
		func(step int64, _ float64) { steps.Store(step) })
	if err != nil || o.Status != StatusDone {
		t.Fatalf("%+v, %v", o, err)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(o.ResultJSON), &res); err != nil {
		t.Fatal(err)
	}
	rel, _ := res["rel_l2"].(float64)
	if rel <= 0 || rel > 2 || res["beta"] != 1.0 || res["optimizer"] != "lbfgs" || res["evals"].(float64) < 50 {
		t.Errorf("result %v", res)
	}
	if steps.Load() < 50 {
		t.Errorf("progress reached step %d, want ≥ 50", steps.Load())
	}
}
