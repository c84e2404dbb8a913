package sweeps

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	src := `# A spec using every key.
name: all-keys_1.0
fixed:
  pde: convection
  lr: 1e-3            # a number in the YAML 1.2 core schema
  layers: [20, 20]
  optimizer: "adam"
axes:
  beta: [1, 2.5]
  nf: {linspace: [100, 300, 3]}
  lambda: {logspace: [-1, 1, 3]}
  nu: 0.5             # a single value
  strategy:
    - regular
    - {label: curriculum-5, strategy: curriculum, curriculum_start: 5}
    - strategy: seq2seq
      seq2seq_dt: 0.1
    - {curriculum_start: 2, seq2seq_dt: 0.5}
replicates: [3, 1]
budget:
  iterations: 5e3
  evaluations: 6000
  seconds: 90.5
retries: 0
max_trials: 500
refine:
  - {axis: beta, tolerance: 0.05, max_depth: 2}
`
	s, err := Parse("all.yaml", []byte(src), Options{Validate: strategyValidator})
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "all-keys_1.0" || s.File != "all.yaml" || string(s.Source) != src {
		t.Errorf("Name, File, Source = %q, %q, %q", s.Name, s.File, s.Source)
	}
	wantFixed := []Setting{
		{Key: "pde", Value: "convection", Line: 4},
		{Key: "lr", Value: 1e-3, Line: 5},
		{Key: "layers", Value: []any{int64(20), int64(20)}, Line: 6},
		{Key: "optimizer", Value: "adam", Line: 7},
	}
	if !reflect.DeepEqual(s.Fixed, wantFixed) {
		t.Errorf("Fixed = %#v,\nwant %#v", s.Fixed, wantFixed)
	}
	wantAxes := map[string][]any{
		"beta":     {int64(1), 2.5},
		"nf":       {100.0, 200.0, 300.0},
		"lambda":   {0.1, 1.0, 10.0},
		"nu":       {0.5},
		"strategy": {"regular", "curriculum-5", "seq2seq", "curriculum_start=2,seq2seq_dt=0.5"},
	}
	var names []string
	for _, a := range s.Axes {
		names = append(names, a.Name)
		var got []any
		for _, v := range a.Values {
			got = append(got, v.Value)
		}
		if !reflect.DeepEqual(got, wantAxes[a.Name]) {
			t.Errorf("axis %s values = %#v, want %#v", a.Name, got, wantAxes[a.Name])
		}
	}
	if want := []string{"beta", "nf", "lambda", "nu", "strategy"}; !reflect.DeepEqual(names, want) {
		t.Errorf("axis order = %v, want %v", names, want)
	}
	if r := s.Axes[1].Range; r == nil || *r != (Range{Kind: Linspace, Start: 100, Stop: 300, N: 3}) {
		t.Errorf("nf range = %+v", r)
	}
	bundle := s.Axes[4].Values[1]
	wantBundle := AxisValue{
		Value: "curriculum-5",
		Settings: []Setting{
			{Key: "curriculum_start", Value: int64(5), Line: 15},
			{Key: "strategy", Value: "curriculum", Line: 15},
		},
		Bundle: true,
		Line:   15,
	}
	if !reflect.DeepEqual(bundle, wantBundle) {
		t.Errorf("bundle = %#v,\nwant %#v", bundle, wantBundle)
	}
	if want := []int64{3, 1}; !reflect.DeepEqual(s.Seeds, want) {
		t.Errorf("Seeds = %v, want %v", s.Seeds, want)
	}
	if want := (Budget{Iterations: 5000, Evaluations: 6000, Seconds: 90.5}); s.Budget != want {
		t.Errorf("Budget = %+v, want %+v", s.Budget, want)
	}
	if s.Retries != 0 || s.MaxAttempts() != 1 || s.MaxTrials != 500 {
		t.Errorf("Retries, MaxAttempts, MaxTrials = %d, %d, %d", s.Retries, s.MaxAttempts(), s.MaxTrials)
	}
	if want := []Refine{{Axis: "beta", Tolerance: 0.05, MaxDepth: 2, Line: 27}}; !reflect.DeepEqual(s.Refine, want) {
		t.Errorf("Refine = %+v, want %+v", s.Refine, want)
	}
	if s.FailureThreshold != DefaultFailureThreshold || s.Threshold() != 0.1 {
		t.Errorf("FailureThreshold = %v, want the default", s.FailureThreshold)
	}
	if n, err := s.Size(); n != 2*3*3*1*4*2 || err != nil {
		t.Errorf("Size() = %d, %v", n, err)
	}
}

func TestParseDefaults(t *testing.T) {
	s, err := Parse("min.yaml", []byte("name: min\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Retries != DefaultRetries || s.MaxTrials != DefaultMaxTrials || !reflect.DeepEqual(s.Seeds, []int64{0}) ||
		s.Axes != nil || s.Fixed != nil || s.Refine != nil || s.Budget != (Budget{}) {
		t.Errorf("defaults: %+v", s)
	}
	trials, err := s.Expand()
	if err != nil || len(trials) != 1 || !reflect.DeepEqual(trials[0].Params, map[string]any{"seed": int64(0)}) {
		t.Errorf("Expand() = %+v, %v", trials, err)
	}

	s, err = Parse("min.yaml", []byte("name: min\nreplicates: 4\nfixed:\naxes:\nbudget:\nrefine:\n"), Options{MaxTrials: 10})
	if err != nil {
		t.Fatal(err)
	}
	if s.MaxTrials != 10 || !reflect.DeepEqual(s.Seeds, []int64{0, 1, 2, 3}) {
		t.Errorf("MaxTrials, Seeds = %d, %v", s.MaxTrials, s.Seeds)
	}
}

// TestParseScalars checks the YAML 1.2 core schema resolution of plain
// scalars, which differs from go-yaml's own.
func TestParseScalars(t *testing.T) {
	tests := []struct {
		yaml string
		want any
	}{
		{"1", int64(1)},
		{"-7", int64(-7)},
		{"+3", int64(3)},
		{"017", int64(17)}, // decimal, not octal
		{"0o17", int64(15)},
		{"0x1F", int64(31)},
		{"1.0", 1.0},
		{"1e-3", 1e-3},
		{"-1E+3", -1000.0},
		{".5", 0.5},
		{"1.", 1.0},
		{"-0.0", 0.0},
		{"true", true},
		{"False", false},
		{"yes", "yes"},
		{"on", "on"},
		{"1_000", "1_000"},
		{"0b11", "0b11"},
		{"'5'", "5"},
		{`"a\tb"`, "a\tb"},
		{"sin", "sin"},
		{"99999999999999999999.0", 1e20},
	}
	for _, tt := range tests {
		src := "name: x\nfixed:\n  v: " + tt.yaml + "\n"
		s, err := Parse("s.yaml", []byte(src), Options{})
		if err != nil {
			t.Errorf("%s: %v", tt.yaml, err)
			continue
		}
		if got := s.Fixed[0].Value; !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %#v, want %#v", tt.yaml, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		opts Options
		want string // the complete message
		is   error
	}{
		{
			name: "unknown top-level key",
			yaml: "name: x\naxes: {beta: [1]}\nreplicate: 3\n",
			want: `spec.yaml:3: unknown key "replicate" (known: name, runner, fixed, axes, replicates, budget, retries, max_trials, refine, failure_threshold, metric, goal, resources)`,
			is:   ErrUnknownKey,
		},
		{
			name: "unknown budget key",
			yaml: "name: x\nbudget:\n  iters: 5\n",
			want: `spec.yaml:3: budget: unknown key "iters" (known: iterations, evaluations, seconds)`,
			is:   ErrUnknownKey,
		},
		{
			name: "unknown range key",
			yaml: "name: x\naxes:\n  beta:\n    linspaced: [1, 2, 3]\n",
			want: `spec.yaml:4: axes.beta: unknown key "linspaced" (known: linspace, logspace)`,
			is:   ErrUnknownKey,
		},
		{
			name: "unknown refine key",
			yaml: "name: x\naxes: {beta: [1, 2]}\nrefine:\n  - {axis: beta, tolerance: 1, max_depth: 1, depth: 2}\n",
			want: `spec.yaml:4: refine[0]: unknown key "depth" (known: axis, tolerance, max_depth)`,
			is:   ErrUnknownKey,
		},
		{
			name: "missing name",
			yaml: "axes: {beta: [1]}\n",
			want: `spec.yaml:1: missing required key "name"`,
			is:   ErrMissing,
		},
		{
			name: "empty file",
			yaml: "# nothing\n",
			want: `spec.yaml:1: empty spec: missing required key "name"`,
			is:   ErrMissing,
		},
		{
			name: "name of wrong type",
			yaml: "name: [a]\n",
			want: `spec.yaml:1: name: want a string, got list`,
			is:   ErrType,
		},
		{
			name: "numeric name",
			yaml: "name: 2021\n",
			want: `spec.yaml:1: name: want a string, got integer 2021`,
			is:   ErrType,
		},
		{
			name: "bad name",
			yaml: "name: a b\n",
			want: `spec.yaml:1: name: invalid name "a b" (want 1 to 64 characters from A-Z a-z 0-9 . _ -, not . or ..)`,
			is:   ErrValue,
		},
		{
			name: "dot-dot name",
			yaml: "name: ..\n",
			want: `spec.yaml:1: name: invalid name ".." (want 1 to 64 characters from A-Z a-z 0-9 . _ -, not . or ..)`,
			is:   ErrValue,
		},
		{
			name: "long name",
			yaml: "name: " + strings.Repeat("n", 65) + "\n",
			want: `spec.yaml:1: name: name is 65 characters long, more than 64`,
			is:   ErrValue,
		},
		{
			name: "top level is a list",
			yaml: "- name: x\n",
			want: `spec.yaml:1: want a mapping at the top level, got list`,
			is:   ErrType,
		},
		{
			name: "axes of wrong type",
			yaml: "name: x\naxes: [beta]\n",
			want: `spec.yaml:2: axes: want a mapping, got list`,
			is:   ErrType,
		},
		{
			name: "fixed value of wrong type",
			yaml: "name: x\nfixed:\n  nf:\n    n: 1\n",
			want: `spec.yaml:3: fixed.nf: want a number, string, bool or list, got mapping`,
			is:   ErrType,
		},
		{
			name: "nested list",
			yaml: "name: x\nfixed:\n  layers: [20, [20]]\n",
			want: `spec.yaml:3: fixed.layers[1]: want a number, string or bool, got list`,
			is:   ErrType,
		},
		{
			name: "null axis item",
			yaml: "name: x\naxes:\n  beta:\n    - 1\n    -\n",
			want: `spec.yaml:5: axes.beta[1]: want a value or a bundle mapping, got null`,
			is:   ErrType,
		},
		{
			name: "non-finite value",
			yaml: "name: x\naxes:\n  beta: [1, .inf]\n",
			want: `spec.yaml:3: axes.beta[1]: want a finite number, got .inf`,
			is:   ErrValue,
		},
		{
			name: "integer out of range",
			yaml: "name: x\nfixed:\n  nf: 99999999999999999999\n",
			want: `spec.yaml:3: fixed.nf: integer 99999999999999999999 out of range`,
			is:   ErrValue,
		},
		{
			name: "validator rejects a fixed setting",
			yaml: "name: x\nfixed:\n  pde: convection\n  nf: many\n",
			opts: Options{Validate: trainerValidator},
			want: `spec.yaml:4: fixed.nf: setting "nf": want an integer, got many (string)`,
			is:   ErrSetting,
		},
		{
			name: "validator rejects an unknown setting",
			yaml: "name: x\nfixed:\n  nff: 1000\n",
			opts: Options{Validate: trainerValidator},
			want: `spec.yaml:3: fixed.nff: unknown setting "nff"`,
			is:   ErrSetting,
		},
		{
			name: "validator rejects an axis value",
			yaml: "name: x\naxes:\n  beta: [1, fast]\n",
			opts: Options{Validate: trainerValidator},
			want: `spec.yaml:3: axes.beta[1]: setting "beta": want a number, got fast (string)`,
			is:   ErrSetting,
		},
		{
			name: "validator rejects a bundle setting",
			yaml: "name: x\naxes:\n  strategy:\n    - regular\n    - {strategy: curriculum, curriculum_start: soon}\n",
			opts: Options{Validate: strategyValidator},
			want: `spec.yaml:5: axes.strategy[1].curriculum_start: setting "curriculum_start": want a number, got soon (string)`,
			is:   ErrSetting,
		},
		{
			name: "validator rejects a range value",
			yaml: "name: x\naxes:\n  nf:\n    linspace: [1, 2, 3]\n",
			opts: Options{Validate: trainerValidator},
			want: `spec.yaml:4: axes.nf: linspace value 1.5: setting "nf": want an integer, got 1.5 (float64)`,
			is:   ErrSetting,
		},
		{
			name: "validator rejects a derived setting",
			yaml: "name: x\nbudget:\n  evaluations: 10\n",
			opts: Options{Validate: func(key string, _ any) error {
				if key == MaxEvalsKey {
					return errors.New("no such setting")
				}
				return nil
			}},
			want: `spec.yaml:3: budget.evaluations: no such setting`,
			is:   ErrSetting,
		},
		{
			name: "setting both fixed and an axis",
			yaml: "name: x\nfixed:\n  beta: 1\n  nf: 100\naxes:\n  beta: [1, 5]\n",
			want: `spec.yaml:6: axes.beta: "beta" is both a fixed setting (line 3) and an axis`,
			is:   ErrConflict,
		},
		{
			name: "bundle setting also fixed",
			yaml: "name: x\nfixed:\n  lr: 1\naxes:\n  optimizer:\n    - lbfgs\n    - {optimizer: adam, lr: 0.001}\n",
			want: `spec.yaml:7: axes.optimizer[1].lr: setting "lr" is also a fixed setting (line 3)`,
			is:   ErrConflict,
		},
		{
			name: "setting set by two axes",
			yaml: "name: x\naxes:\n  lr: [1, 2]\n  optimizer:\n    - {optimizer: adam, lr: 0.001}\n",
			want: `spec.yaml:5: axes.optimizer[0].lr: setting "lr" is also set by axis "lr" (line 3)`,
			is:   ErrConflict,
		},
		{
			name: "fixed seed",
			yaml: "name: x\nfixed:\n  seed: 1\n",
			want: `spec.yaml:3: fixed.seed: setting "seed" is set by replicates`,
			is:   ErrConflict,
		},
		{
			name: "seed axis",
			yaml: "name: x\naxes:\n  seed: [1, 2]\n",
			want: `spec.yaml:3: axes.seed: axis name "seed" is reserved for the replicate seeds (use replicates)`,
			is:   ErrConflict,
		},
		{
			name: "max_iters with budget.iterations",
			yaml: "name: x\nfixed:\n  max_iters: 10\nbudget: {iterations: 5}\n",
			want: `spec.yaml:3: fixed.max_iters: setting "max_iters" is set by budget.iterations`,
			is:   ErrConflict,
		},
		{
			name: "range with two arguments",
			yaml: "name: x\naxes:\n  beta: {linspace: [0, 1]}\n",
			want: `spec.yaml:3: axes.beta.linspace: want a list [start, stop, n], got 2 items`,
			is:   ErrValue,
		},
		{
			name: "range with zero points",
			yaml: "name: x\naxes:\n  beta: {linspace: [0, 1, 0]}\n",
			want: `spec.yaml:3: axes.beta.linspace[2]: want an integer ≥ 1, got 0`,
			is:   ErrValue,
		},
		{
			name: "range with fractional count",
			yaml: "name: x\naxes:\n  beta: {linspace: [0, 1, 2.5]}\n",
			want: `spec.yaml:3: axes.beta.linspace[2]: want an integer, got number 2.5`,
			is:   ErrType,
		},
		{
			name: "range with a string bound",
			yaml: "name: x\naxes:\n  beta:\n    logspace:\n      - a\n      - 1\n      - 3\n",
			want: `spec.yaml:5: axes.beta.logspace[0]: want a number, got string "a"`,
			is:   ErrType,
		},
		{
			name: "logspace exponent out of range",
			yaml: "name: x\naxes:\n  beta: {logspace: [0, 400, 3]}\n",
			want: `spec.yaml:3: axes.beta.logspace[1]: logspace exponent 400 out of range [-300, 300]`,
			is:   ErrValue,
		},
		{
			name: "range with both kinds",
			yaml: "name: x\naxes:\n  beta: {linspace: [0, 1, 2], logspace: [0, 1, 2]}\n",
			want: `spec.yaml:3: axes.beta: want a range {linspace: [start, stop, n]} or {logspace: [start_exp, stop_exp, n]}, got 2 keys`,
			is:   ErrValue,
		},
		{
			name: "range of wrong type",
			yaml: "name: x\naxes:\n  beta: {linspace: 5}\n",
			want: `spec.yaml:3: axes.beta.linspace: want a list [start, stop, n], got integer 5`,
			is:   ErrType,
		},
		{
			name: "empty axis",
			yaml: "name: x\naxes:\n  beta: []\n",
			want: `spec.yaml:3: axes.beta: axis has no values`,
			is:   ErrValue,
		},
		{
			name: "null axis",
			yaml: "name: x\naxes:\n  beta:\n",
			want: `spec.yaml:3: axes.beta: axis has no values`,
			is:   ErrValue,
		},
		{
			name: "duplicate axis value",
			yaml: "name: x\naxes:\n  beta: [1, 5, 1.0]\n",
			want: `spec.yaml:3: axes.beta[2]: duplicate value 1 (also item 0, line 3)`,
			is:   ErrValue,
		},
		{
			name: "duplicate bundle label",
			yaml: "name: x\naxes:\n  strategy:\n    - {strategy: curriculum, curriculum_start: 1}\n    - {strategy: curriculum, curriculum_start: 5}\n",
			want: `spec.yaml:5: axes.strategy[1]: duplicate label "curriculum" (also item 0, line 4)`,
			is:   ErrValue,
		},
		{
			name: "duplicate bundle settings",
			yaml: "name: x\naxes:\n  strategy:\n    - regular\n    - {label: plain, strategy: regular}\n",
			want: `spec.yaml:5: axes.strategy[1]: item sets the same settings as item 0 (line 4)`,
			is:   ErrValue,
		},
		{
			name: "bundle without settings",
			yaml: "name: x\naxes:\n  strategy:\n    - {label: nothing}\n",
			want: `spec.yaml:4: axes.strategy[0]: bundle sets no settings`,
			is:   ErrValue,
		},
		{
			name: "invalid setting name",
			yaml: "name: x\nfixed:\n  \"n f\": 1\n",
			want: `spec.yaml:3: fixed.n f: invalid setting name "n f" (want a letter or _ then letters, digits, _ . -; at most 64 characters)`,
			is:   ErrValue,
		},
		{
			name: "too many trials",
			yaml: "name: x\naxes:\n  beta: {linspace: [0, 1, 10000]}\n  nu: {linspace: [0, 1, 1000]}\n",
			want: `spec.yaml:2: grid has 10000000 trials (beta 10000 × nu 1000 × 1 seed), more than max_trials 1000000`,
			is:   ErrTooManyTrials,
		},
		{
			name: "too many trials for the spec's limit",
			yaml: "name: x\naxes:\n  beta: [1, 2, 3]\nreplicates: 4\nmax_trials: 10\n",
			want: `spec.yaml:2: grid has 12 trials (beta 3 × 4 seeds), more than max_trials 10`,
			is:   ErrTooManyTrials,
		},
		{
			name: "grid size overflows",
			yaml: "name: x\naxes:\n  beta: {linspace: [0, 1, 9223372036854775807]}\nreplicates: 9223372036854775807\n",
			want: `spec.yaml:2: grid has more than 9223372036854775807 trials (beta 9223372036854775807 × 9223372036854775807 seeds), more than max_trials 1000000`,
			is:   ErrTooManyTrials,
		},
		{
			name: "max_trials over the caller's limit",
			yaml: "name: x\nmax_trials: 2000000\n",
			want: `spec.yaml:2: max_trials: max_trials 2000000 exceeds the limit of 1000000`,
			is:   ErrValue,
		},
		{
			name: "zero replicates",
			yaml: "name: x\nreplicates: 0\n",
			want: `spec.yaml:2: replicates: want an integer ≥ 1, got 0`,
			is:   ErrValue,
		},
		{
			name: "duplicate seed",
			yaml: "name: x\nreplicates: [1, 2, 1]\n",
			want: `spec.yaml:2: replicates[2]: duplicate seed 1 (also at line 2)`,
			is:   ErrValue,
		},
		{
			name: "replicates of wrong type",
			yaml: "name: x\nreplicates: three\n",
			want: `spec.yaml:2: replicates: want a count or a list of seeds, got string "three"`,
			is:   ErrType,
		},
		{
			name: "negative seconds",
			yaml: "name: x\nbudget:\n  seconds: -1\n",
			want: `spec.yaml:3: budget.seconds: want a positive number, got -1`,
			is:   ErrValue,
		},
		{
			name: "retries out of range",
			yaml: "name: x\nretries: 101\n",
			want: `spec.yaml:2: retries: want an integer in [0, 100], got 101`,
			is:   ErrValue,
		},
		{
			name: "refine of an unknown axis",
			yaml: "name: x\naxes: {beta: [1, 2]}\nrefine:\n  - {axis: rho, tolerance: 0.1, max_depth: 2}\n",
			want: `spec.yaml:4: refine[0].axis: "rho" is not an axis (axes: beta)`,
			is:   ErrValue,
		},
		{
			name: "refine of a non-numeric axis",
			yaml: "name: x\naxes: {ic: [sin, gauss]}\nrefine:\n  - {axis: ic, tolerance: 0.1, max_depth: 2}\n",
			want: `spec.yaml:4: refine[0].axis: axis "ic" has a non-numeric value "sin"`,
			is:   ErrValue,
		},
		{
			name: "non-positive failure threshold",
			yaml: "name: x\nfailure_threshold: 0\n",
			want: `spec.yaml:2: failure_threshold: want a positive number, got 0`,
			is:   ErrValue,
		},
		{
			name: "failure threshold of the wrong type",
			yaml: "name: x\nfailure_threshold: low\n",
			want: `spec.yaml:2: failure_threshold: want a number, got string "low"`,
			is:   ErrType,
		},
		{
			name: "refine without tolerance",
			yaml: "name: x\naxes: {beta: [1, 2]}\nrefine:\n  - axis: beta\n    max_depth: 2\n",
			want: `spec.yaml:4: refine[0]: missing required key "tolerance"`,
			is:   ErrMissing,
		},
		{
			name: "YAML syntax error",
			yaml: "name: x\naxes: {beta: [1, 2}\n",
			want: `spec.yaml:2: invalid YAML: ',' or ']' must be specified`,
			is:   ErrSyntax,
		},
		{
			name: "duplicate key",
			yaml: "name: x\nfixed:\n  nf: 1\n  nf: 2\n",
			want: `spec.yaml:4: fixed: duplicate key "nf" (first at line 3)`,
			is:   ErrSyntax,
		},
		{
			name: "alias",
			yaml: "name: x\nfixed:\n  nf: &n 1\n  nb: *n\n",
			want: "spec.yaml:3: fixed.nf: anchors (&name) are not supported\nspec.yaml:4: fixed.nb: aliases (*name) are not supported",
			is:   ErrSyntax,
		},
		{
			name: "tag",
			yaml: "name: !!str x\n",
			want: `spec.yaml:1: name: tags (!tag) are not supported`,
			is:   ErrSyntax,
		},
		{
			name: "two documents",
			yaml: "name: x\n---\nname: y\n",
			want: `spec.yaml:3: want one YAML document, got 2`,
			is:   ErrSyntax,
		},
		{
			name: "several errors",
			yaml: "name: x\nreplicate: 3\nbudget: {iterations: 0}\n",
			want: "spec.yaml:2: unknown key \"replicate\" (known: name, runner, fixed, axes, replicates, budget, retries, max_trials, refine, failure_threshold, metric, goal, resources)\n" +
				"spec.yaml:3: budget.iterations: want an integer ≥ 1, got 0",
			is: ErrValue,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("spec.yaml", []byte(tt.yaml), tt.opts)
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", s)
			}
			if s != nil {
				t.Errorf("Parse returned a spec with its error")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n got: %s\nwant: %s", got, tt.want)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(err, %v) = false", tt.is)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != "spec.yaml" {
				t.Errorf("errors.As(*Error) = %v, %+v", errors.As(err, &e), e)
			}
		})
	}
}

// TestParseValidatorCause checks that the validator's error is wrapped.
func TestParseValidatorCause(t *testing.T) {
	errBad := errors.New("bad value")
	_, err := Parse("s.yaml", []byte("name: x\nfixed: {nf: 1}\n"), Options{Validate: func(string, any) error { return errBad }})
	if !errors.Is(err, errBad) || !errors.Is(err, ErrSetting) {
		t.Errorf("err = %v; want it to wrap both ErrSetting and the validator's error", err)
	}
}

// TestParseValidatorCalls checks what the validator is called with.
func TestParseValidatorCalls(t *testing.T) {
	src := "name: x\nfixed: {nf: 100}\naxes:\n  beta: [1, 2.5]\n  nu: {linspace: [0, 1, 3]}\n" +
		"  strategy: [{label: c, strategy: curriculum, curriculum_start: 1}]\nreplicates: [7, 8]\nbudget: {iterations: 9, evaluations: 10}\n"
	var calls []string
	_, err := Parse("s.yaml", []byte(src), Options{Validate: func(key string, value any) error {
		calls = append(calls, key+"="+canonicalString(value))
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"nf=100", "beta=1", "beta=2.5", "strategy=\"curriculum\"", "curriculum_start=1",
		"nu=0", "nu=0.5", "nu=1", "max_iters=9", "max_evals=10", "seed=7",
	}
	if strings.Join(calls, " ") != strings.Join(want, " ") {
		t.Errorf("Validate calls:\n got: %v\nwant: %v", calls, want)
	}
}

func TestParseTooManyErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("name: x\n")
	for i := range 20 {
		b.WriteString("bad" + strings.Repeat("x", i) + ": 1\n")
	}
	_, err := Parse("s.yaml", []byte(b.String()), Options{})
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != maxErrors+1 || lines[maxErrors] != "s.yaml: too many errors" {
		t.Errorf("got %d lines, last %q", len(lines), lines[len(lines)-1])
	}
}

func TestParseFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(path, []byte("name: x\nbogus: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ParseFile(path, Options{})
	if err == nil || !strings.HasPrefix(err.Error(), path+":2: unknown key") {
		t.Errorf("ParseFile error = %v", err)
	}
	if _, err := ParseFile(filepath.Join(t.TempDir(), "missing.yaml"), Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ParseFile of a missing file: %v", err)
	}
}
