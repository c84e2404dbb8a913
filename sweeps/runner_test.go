package sweeps

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// commandSpec is a command sweep using every runner feature.
const commandSpec = `name: torch-conv
runner:
  command: [python3, train.py, --beta, "{beta}", "--lr={lr}", --layers, "{layers}", --seed, "{seed}", "--tag={{x}}-{opt}", 100, 1e-3]
  workdir: examples/pytorch-pinn
  env: {OMP_NUM_THREADS: 1, RUN: "{opt}-{seed}"}
fixed: {layers: [50, 50], anything-goes: yes}
axes:
  beta: [1, 30]
  lr: {logspace: [-3, -2, 2]}
  opt:
    - adam
    - {label: lbfgs, opt: lbfgs, history: 50}
replicates: 2
budget: {iterations: 500, seconds: 60}
metric: val_err
goal: max
failure_threshold: -2
resources: {gpus: 1}
`

func TestParseCommandRunner(t *testing.T) {
	calls := 0
	s, err := Parse("spec.yaml", []byte(commandSpec), Options{Validate: func(string, any) error { calls++; return errors.New("no") }})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 0 {
		t.Errorf("the trainer's validator was called %d times for a command sweep", calls)
	}
	want := Runner{
		Command: []string{"python3", "train.py", "--beta", "{beta}", "--lr={lr}", "--layers", "{layers}", "--seed", "{seed}", "--tag={{x}}-{opt}", "100", "1e-3"},
		Workdir: "examples/pytorch-pinn",
		Env:     map[string]string{"OMP_NUM_THREADS": "1", "RUN": "{opt}-{seed}"},
		Line:    2,
	}
	if !reflect.DeepEqual(s.Runner, want) {
		t.Errorf("Runner = %#v\nwant %#v", s.Runner, want)
	}
	if s.Metric != "val_err" || s.Goal != GoalMax || s.Threshold() != -2 || s.Resources.GPUs != 1 {
		t.Errorf("Metric, Goal, Threshold, GPUs = %q, %q, %v, %d", s.Metric, s.Goal, s.Threshold(), s.Resources.GPUs)
	}
	trials, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	if len(trials) != 2*2*2*2 {
		t.Fatalf("%d trials", len(trials))
	}
	tr := trials[len(trials)-1] // beta 30, lr 0.01, lbfgs, seed 1
	argv, env, err := s.Runner.Expand(tr.Params)
	if err != nil {
		t.Fatal(err)
	}
	wantArgv := []string{"python3", "train.py", "--beta", "30", "--lr=0.01", "--layers", "[50,50]", "--seed", "1", "--tag={x}-lbfgs", "100", "1e-3"}
	if !reflect.DeepEqual(argv, wantArgv) {
		t.Errorf("argv = %q\nwant %q", argv, wantArgv)
	}
	if wantEnv := []string{"OMP_NUM_THREADS=1", "RUN=lbfgs-1"}; !reflect.DeepEqual(env, wantEnv) {
		t.Errorf("env = %q, want %q", env, wantEnv)
	}
	if tr.Params["max_iters"] != int64(500) || tr.Params["anything-goes"] != "yes" || tr.Params["history"] != int64(50) {
		t.Errorf("params %v", tr.Params)
	}
}

// TestBuiltinKeysUnchanged checks that runner: builtin, metric: rel_l2
// and goal: min change nothing about a builtin sweep, its keys included.
func TestBuiltinKeysUnchanged(t *testing.T) {
	base := "name: c\nfixed: {pde: convection}\naxes: {beta: [1, 30]}\nreplicates: 2\n"
	a, err := Parse("a.yaml", []byte(base), Options{Validate: trainerValidator})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("b.yaml", []byte(base+"runner: builtin\nmetric: rel_l2\ngoal: min\nresources: {gpus: 0}\n"), Options{Validate: trainerValidator})
	if err != nil {
		t.Fatal(err)
	}
	ta, _ := a.Expand()
	tb, _ := b.Expand()
	if !reflect.DeepEqual(ta, tb) || !b.Runner.Builtin() || b.Metric != DefaultMetric || b.Goal != GoalMin || b.Threshold() != DefaultFailureThreshold {
		t.Errorf("explicit defaults changed the sweep: %+v vs %+v", ta, tb)
	}
	if err := b.Compatible(a); err != nil {
		t.Errorf("Compatible: %v", err)
	}
	// The golden keys of a builtin trial (testdata/*.golden hold them all).
	if got := Key(map[string]any{"pde": "convection", "beta": int64(1), "seed": int64(0)}); got != ta[0].Key {
		t.Errorf("key %s, want %s", ta[0].Key, got)
	}
}

func TestParseRunnerErrors(t *testing.T) {
	const head = "name: x\n"
	tests := []struct {
		name string
		yaml string
		opts Options
		want string
		is   error
	}{
		{"unknown placeholder", head + "runner: {command: [p, \"{betta}\"]}\naxes: {beta: [1]}\n",
			Options{}, `spec.yaml:2: runner.command[1]: unknown placeholder {betta} (settings: beta, seed)`, ErrValue},
		{"unknown placeholder on its own line", head + "runner:\n  command:\n    - p\n    - --x\n    - \"{nope}\"\n",
			Options{}, `spec.yaml:6: runner.command[2]: unknown placeholder {nope} (settings: seed)`, ErrValue},
		{"placeholder in env", head + "runner:\n  command: [p]\n  env: {A: \"{b}\"}\n",
			Options{}, `spec.yaml:4: runner.env.A: unknown placeholder {b} (settings: seed)`, ErrValue},
		{"placeholder not set by every bundle", head + "runner: {command: [p, \"{tol}\"]}\naxes:\n  s: [plain, {label: b, tol: 1}]\n",
			Options{}, `spec.yaml:2: runner.command[1]: placeholder {tol} is not set by every value of axis "s" (not by "plain")`, ErrValue},
		{"max_iters only with a budget", head + "runner: {command: [p, \"{max_iters}\"]}\n",
			Options{}, `spec.yaml:2: runner.command[1]: unknown placeholder {max_iters} (settings: seed)`, ErrValue},
		{"unclosed brace", head + "runner: {command: [p, \"{beta\"]}\n",
			Options{}, `spec.yaml:2: runner.command[1]: unclosed '{' at byte 0 of "{beta" (write {{ for a literal brace)`, ErrValue},
		{"lone closing brace", head + "runner: {command: [p, \"a}\"]}\n",
			Options{}, `spec.yaml:2: runner.command[1]: unmatched '}' at byte 1 of "a}" (write }} for a literal brace)`, ErrValue},
		{"bad placeholder name", head + "runner: {command: [p, \"{ beta }\"]}\n",
			Options{}, `spec.yaml:2: runner.command[1]: invalid placeholder { beta } in "{ beta }" (want {name} with a setting name, or {{ and }} for literal braces)`, ErrValue},
		{"placeholder in the program", head + "runner: {command: [\"{seed}\"]}\n",
			Options{}, `spec.yaml:2: runner.command[0]: the program "{seed}" cannot hold placeholders`, ErrValue},
		{"empty program", head + "runner: {command: [\"\", a]}\n",
			Options{}, `spec.yaml:2: runner.command[0]: empty program name`, ErrValue},
		{"empty command", head + "runner: {command: []}\n",
			Options{}, `spec.yaml:2: runner.command: empty command`, ErrValue},
		{"command not a list", head + "runner: {command: python3 train.py}\n",
			Options{}, `spec.yaml:2: runner.command: want a list [program, args...], got string "python3 train.py"`, ErrType},
		{"command item a list", head + "runner: {command: [p, [a]]}\n",
			Options{}, `spec.yaml:2: runner.command[1]: want a string, number or bool, got list`, ErrType},
		{"missing command", head + "runner: {workdir: /tmp}\n",
			Options{}, `spec.yaml:2: runner: missing required key "command" (or write runner: builtin)`, ErrMissing},
		{"unknown runner key", head + "runner: {command: [p], shell: true}\n",
			Options{}, `spec.yaml:2: runner: unknown key "shell" (known: command, workdir, env)`, ErrUnknownKey},
		{"unknown runner", head + "runner: docker\n",
			Options{}, `spec.yaml:2: runner: want builtin or {command: [program, args...], workdir: DIR, env: {NAME: value}}, got string "docker"`, ErrValue},
		{"reserved env", head + "runner: {command: [p], env: {PINNSWEEP_TOKEN: x}}\n",
			Options{}, `spec.yaml:2: runner.env.PINNSWEEP_TOKEN: environment variable PINNSWEEP_TOKEN is set by the worker`, ErrValue},
		{"gpu env", head + "runner: {command: [p], env: {CUDA_VISIBLE_DEVICES: 3}}\n",
			Options{}, `spec.yaml:2: runner.env.CUDA_VISIBLE_DEVICES: environment variable CUDA_VISIBLE_DEVICES is set by the worker`, ErrValue},
		{"loader env", head + "runner: {command: [p], env: {LD_PRELOAD: /tmp/x.so}}\n",
			Options{}, `spec.yaml:2: runner.env.LD_PRELOAD: environment variable LD_PRELOAD is refused: it would change what the allowed program loads`, ErrValue},
		{"bad env name", head + "runner: {command: [p], env: {A-B: x}}\n",
			Options{}, `spec.yaml:2: runner.env.A-B: invalid environment variable name "A-B" (want a letter or _ then letters, digits or _; at most 128 characters)`, ErrValue},
		{"env value a mapping", head + "runner: {command: [p], env: {A: {b: 1}}}\n",
			Options{}, `spec.yaml:2: runner.env.A: want a string, number or bool, got mapping`, ErrType},
		{"long argument", head + "runner: {command: [p, " + strings.Repeat("a", MaxArgLen+1) + "]}\n",
			Options{}, `spec.yaml:2: runner.command[1]: argument is 4097 bytes long, more than 4096`, ErrValue},
		{"NUL in an argument", head + "runner: {command: [p, \"a\\0b\"]}\n",
			Options{}, `spec.yaml:2: runner.command[1]: argument contains a NUL byte`, ErrValue},
		{"too many arguments", head + "runner: {command: [" + strings.Repeat("a, ", MaxCommandArgs) + "a]}\n",
			Options{}, `spec.yaml:2: runner.command: command has 257 elements, more than 256`, ErrValue},
		{"long workdir", head + "runner: {command: [p], workdir: " + strings.Repeat("d", MaxWorkdirLen+1) + "}\n",
			Options{}, `spec.yaml:2: runner.workdir: workdir is 4097 bytes long, more than 4096`, ErrValue},
		{"gpus with the builtin trainer", head + "resources: {gpus: 1}\n",
			Options{}, `spec.yaml:2: resources.gpus: the built-in trainer runs on CPUs: resources.gpus needs a command runner`, ErrValue},
		{"too many gpus", head + "runner: {command: [p]}\nresources: {gpus: 65}\n",
			Options{}, `spec.yaml:3: resources.gpus: want an integer in [0, 64], got 65`, ErrValue},
		{"unknown resource", head + "resources: {cpus: 2}\n",
			Options{}, `spec.yaml:2: resources: unknown key "cpus" (known: gpus)`, ErrUnknownKey},
		{"bad goal", head + "goal: maximize\n",
			Options{}, `spec.yaml:2: goal: want min or max, got "maximize"`, ErrValue},
		{"bad metric", head + "metric: \"rel l2\"\n",
			Options{}, `spec.yaml:2: metric: invalid metric name "rel l2" (want a letter or _ then letters, digits, _ . -; at most 64 characters)`, ErrValue},
		{"metric without a threshold", head + "metric: val_acc\ngoal: max\n",
			Options{}, `spec.yaml:2: metric: metric "val_acc" needs a failure_threshold (the default 0.1 is for rel_l2)`, ErrMissing},
		{"rel_l2 threshold stays positive", head + "failure_threshold: -1\n",
			Options{}, `spec.yaml:2: failure_threshold: want a positive number, got -1`, ErrValue},
		{"builtin settings still validated", head + "runner: builtin\nfixed: {bogus: 1}\n",
			Options{Validate: trainerValidator}, `spec.yaml:3: fixed.bogus: unknown setting "bogus"`, ErrSetting},
		{"seed is still reserved", head + "runner: {command: [p]}\naxes: {seed: [1, 2]}\n",
			Options{}, `spec.yaml:3: axes.seed: axis name "seed" is reserved for the replicate seeds (use replicates)`, ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("spec.yaml", []byte(tt.yaml), tt.opts)
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", s)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n got: %s\nwant: %s", got, tt.want)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(err, %v) = false", tt.is)
			}
		})
	}
}

func TestExpandPlaceholders(t *testing.T) {
	params := map[string]any{
		"beta": int64(30), "lr": 1e-3, "tiny": 1e-7, "whole": 2.0, "name": "a b;$(rm -rf /)",
		"on": true, "layers": []any{int64(50), int64(50)}, "tags": []any{"x", "y"}, "brace": "{seed}",
	}
	tests := []struct{ in, want, err string }{
		{"{beta}", "30", ""},
		{"--lr={lr}", "--lr=0.001", ""},
		{"{tiny}", "1e-7", ""},
		{"{whole}", "2", ""},
		{"{name}", "a b;$(rm -rf /)", ""}, // one argument, never a shell string
		{"{on}", "true", ""},
		{"{layers}", "[50,50]", ""},
		{"{tags}", `["x","y"]`, ""},
		{"{brace}", "{seed}", ""}, // values are not expanded again
		{"{{beta}}", "{beta}", ""},
		{"{{{beta}}}", "{30}", ""},
		{"}}{{", "}{", ""},
		{"no placeholders", "no placeholders", ""},
		{"", "", ""},
		{"{missing}", "", `unknown placeholder {missing} in "{missing}" (the trial has no setting "missing")`},
		{"{", "", `unclosed '{' at byte 0 of "{"`},
		{"}", "", `unmatched '}' at byte 0 of "}"`},
		{"{}", "", `invalid placeholder {} in "{}"`},
	}
	for _, tt := range tests {
		got, err := ExpandPlaceholders(tt.in, params)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%q: %v", tt.in, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrValue)):
			t.Errorf("%q: error %v, want %q wrapping ErrValue", tt.in, err, tt.err)
		case got != tt.want:
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRunnerExpandBounds(t *testing.T) {
	big := strings.Repeat("x", MaxExpandedArgLen+1)
	r := Runner{Command: []string{"p", "{v}"}}
	if _, _, err := r.Expand(map[string]any{"v": big}); err == nil || !strings.Contains(err.Error(), "after expansion is 131073 bytes long, more than 131072") {
		t.Errorf("long element: %v", err)
	}
	r = Runner{Command: []string{"p", "{v}", "{v}", "{v}", "{v}", "{v}", "{v}", "{v}", "{v}", "{v}"}}
	if _, _, err := r.Expand(map[string]any{"v": big[:MaxExpandedArgLen]}); err == nil || !strings.Contains(err.Error(), "exceed 1048576 bytes") {
		t.Errorf("long command: %v", err)
	}
	if _, _, err := r.Expand(map[string]any{"v": "a\x00b"}); err == nil || !strings.Contains(err.Error(), "NUL") {
		t.Errorf("NUL: %v", err)
	}
	r = Runner{Command: []string{"p"}, Env: map[string]string{"LD_PRELOAD": "x"}}
	if _, _, err := r.Expand(nil); err == nil || !strings.Contains(err.Error(), "LD_PRELOAD is refused") {
		t.Errorf("a runner from the wire is checked: %v", err)
	}
	if _, _, err := (&Runner{}).Expand(nil); err == nil {
		t.Error("the builtin runner expanded")
	}
}

func TestCompatibleRunner(t *testing.T) {
	base := "name: x\nrunner: {command: [p, \"{a}\"], env: {K: v}}\naxes: {a: [1, 2]}\n"
	old, err := Parse("a.yaml", []byte(base), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ edit, want string }{
		{base + "metric: acc\ngoal: max\nfailure_threshold: 0.9\nresources: {gpus: 2}\n", ""},
		{strings.Replace(base, "[1, 2]", "[1, 2, 3]", 1), ""},
		{strings.Replace(base, "[p, ", "[q, ", 1), `runner changed from command ["p","{a}"] env {"K":"v"} to command ["q","{a}"] env {"K":"v"}`},
		{strings.Replace(base, "K: v", "K: w", 1), `runner changed from command ["p","{a}"] env {"K":"v"} to command ["p","{a}"] env {"K":"w"}`},
		{"name: x\naxes: {a: [1, 2]}\n", `runner changed from command ["p","{a}"] env {"K":"v"} to builtin`},
	} {
		cur, err := Parse("b.yaml", []byte(tt.edit), Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = cur.Compatible(old)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q: %v", tt.edit, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%q: error %v, want %q", tt.edit, err, tt.want)
		}
	}
}
