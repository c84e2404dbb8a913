package verdict_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// result builds a trainer-like result object from name=value pairs
// ("rel_l2=1.5 loss=1e-3 loss_initial=1"); a value that is not a number
// is written as a JSON string, "supervised" adds the supervised config.
func result(t *testing.T, spec string) map[string]json.RawMessage {
	t.Helper()
	var parts []string
	for _, kv := range strings.Fields(spec) {
		if kv == "supervised" {
			parts = append(parts, `"config":{"strategy":"supervised","beta":30}`)
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			t.Fatalf("bad field %q", kv)
		}
		if !json.Valid([]byte(v)) {
			v = fmt.Sprintf("%q", v)
		}
		parts = append(parts, fmt.Sprintf("%q:%s", k, v))
	}
	fields, err := verdict.Fields([]byte("{" + strings.Join(parts, ",") + "}"))
	if err != nil {
		t.Fatal(err)
	}
	return fields
}

// TestFailureClassRules pins each rule and each boundary of
// Metric.FailureClass.
func TestFailureClassRules(t *testing.T) {
	m := verdict.Default()
	acc := verdict.Metric{Name: "acc", Goal: verdict.Maximize, Threshold: 0.8}
	// A failing trial's numbers, with the ratios as named; eq: the same
	// residual on the grid as on the training points.
	const fail = "rel_l2=1.5 loss_initial=2 "
	const eq = "residual_train=1e-4 residual_grid=1e-4 "
	for _, tc := range []struct {
		name   string
		metric verdict.Metric
		status state.Status
		result string
		want   verdict.FailureClass
	}{
		// Statuses.
		{"diverged, whatever its numbers", m, state.StatusDiverged, "rel_l2=0.01", verdict.Diverged},
		{"timeout, whatever its numbers", m, state.StatusTimeout, "rel_l2=0.01", verdict.TimedOut},
		{"failed: a fault, no class", m, state.StatusFailed, fail + "loss=1", verdict.Unclassified},
		{"cancelled", m, state.StatusCancelled, "rel_l2=0.01", verdict.Unclassified},
		{"pending", m, state.StatusPending, "", verdict.Unclassified},
		{"running", m, state.StatusRunning, "", verdict.Unclassified},
		{"done without the metric: void", m, state.StatusDone, "loss=1 loss_initial=2", verdict.Unclassified},
		{"done with a NaN metric: void", m, state.StatusDone, "rel_l2=NaN", verdict.Unclassified},
		// Pass, at the threshold's boundary.
		{"at the threshold passes", m, state.StatusDone, "rel_l2=0.1 loss=1 loss_initial=1", verdict.Passed},
		{"just above fails", m, state.StatusDone, eq + "rel_l2=0.10000001 loss=1 loss_initial=1", verdict.Optimization},
		{"maximised: at the threshold passes", acc, state.StatusDone, "acc=0.8", verdict.Passed},
		{"maximised: below fails, no numbers", acc, state.StatusDone, "acc=0.79", verdict.Unexplained},
		// CollocationOverfit first: residual_grid ≥ ResidualRatio × residual_train,
		// whatever the loss (docs/repro.md's β = 50 PINN: loss 1.2 % of its
		// initial value, grid residual 1e5 × the training points').
		{"residual ratio at ResidualRatio", m, state.StatusDone, fail + "loss=1e-4 residual_train=2e-4 residual_grid=2e-3", verdict.CollocationOverfit},
		{"residual ratio just below", m, state.StatusDone, fail + "loss=1e-4 residual_train=2e-4 residual_grid=1.9999e-3", verdict.ConsistentButWrong},
		{"residual ratio large, loss large", m, state.StatusDone, fail + "loss=0.024 residual_train=7e-4 residual_grid=76", verdict.CollocationOverfit},
		// Optimization: then loss ≥ LossRatio × loss_initial.
		{"loss ratio at LossRatio", m, state.StatusDone, fail + eq + "loss=0.02", verdict.Optimization},
		{"loss ratio just below", m, state.StatusDone, fail + eq + "loss=0.0199999", verdict.ConsistentButWrong},
		{"loss ratio far above", m, state.StatusDone, fail + eq + "loss=2", verdict.Optimization},
		{"zero training residual, some on the grid", m, state.StatusDone, fail + "loss=1e-4 residual_train=0 residual_grid=1e-9", verdict.CollocationOverfit},
		{"residual equal everywhere", m, state.StatusDone, fail + "loss=1e-4 residual_train=1e-6 residual_grid=1e-6", verdict.ConsistentButWrong},
		// The supervised control compares its data misfit.
		{"supervised: grid error ≥ 10 × the points'", m, state.StatusDone, fail + "supervised loss=1e-4 loss_res=1e-5 mse_grid=1e-4 residual_train=1 residual_grid=1", verdict.CollocationOverfit},
		{"supervised: grid error as at the points", m, state.StatusDone, fail + "supervised loss=1e-4 loss_res=1e-5 mse_grid=9e-5 residual_train=1 residual_grid=1e6", verdict.ConsistentButWrong},
		{"supervised without mse_grid", m, state.StatusDone, fail + "supervised loss=1e-4 loss_res=1e-5 residual_train=1 residual_grid=1e6", verdict.Unexplained},
		// Missing numbers: Unexplained where a rule cannot be decided.
		{"no loss_initial (seq2seq, older results)", m, state.StatusDone, "rel_l2=1.5 loss=1e-4 " + eq, verdict.Unexplained},
		{"no loss_initial, overfit: decided", m, state.StatusDone, "rel_l2=1.5 loss=1e-4 residual_train=1e-4 residual_grid=10", verdict.CollocationOverfit},
		{"loss_initial not positive", m, state.StatusDone, "rel_l2=1.5 loss_initial=0 loss=0 " + eq, verdict.Unexplained},
		{"loss not finite", m, state.StatusDone, fail + eq + "loss=Infinity", verdict.Unexplained},
		{"no residuals, loss large: not decided", m, state.StatusDone, fail + "loss=1", verdict.Unexplained},
		{"no residuals, loss small: not decided", m, state.StatusDone, fail + "loss=1e-4", verdict.Unexplained},
		{"residual not finite", m, state.StatusDone, fail + "loss=1 residual_train=1e-4 residual_grid=NaN", verdict.Unexplained},
		{"a command trial's free-form result", acc, state.StatusDone, "acc=0.3 epochs=12", verdict.Unexplained},
		{"a command trial with the trainer's numbers", acc, state.StatusDone, "acc=0.3 loss=1e-4 loss_initial=1 residual_train=1e-4 residual_grid=1", verdict.CollocationOverfit},
		// A stored class: the diagnosis of a failing trial is kept; pass
		// or fail is always the metric's.
		{"stored diagnosis kept", m, state.StatusDone, fail + "loss=1e-4 residual_train=1 residual_grid=1 failure_class=optimization", verdict.Optimization},
		{"stored diagnosis of a command trial", acc, state.StatusDone, "acc=0.3 failure_class=consistent-but-wrong", verdict.ConsistentButWrong},
		{"stored pass, failing by this threshold", m, state.StatusDone, fail + "loss=1e-4 residual_train=1 residual_grid=1000 failure_class=pass", verdict.CollocationOverfit},
		{"stored failure, passing by this threshold", m, state.StatusDone, "rel_l2=0.05 failure_class=collocation-overfit", verdict.Passed},
		{"stored status class on a done trial", m, state.StatusDone, fail + eq + "loss=1 failure_class=diverged", verdict.Optimization},
		{"stored unknown class", m, state.StatusDone, fail + eq + "loss=1 failure_class=bad-luck", verdict.Optimization},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.metric.FailureClass(tc.status, result(t, tc.result)); got != tc.want {
				t.Errorf("FailureClass(%s, {%s}) = %q, want %q", tc.status, tc.result, got, tc.want)
			}
		})
	}
}

// TestFailureClassCalibration classifies the trials the thresholds were
// calibrated on (docs/why.md's table, single trials at seed 0, and
// docs/repro.md; loss_initial = 1 so that loss is the ratio). Every
// class the data show must come out as docs/why.md states it.
func TestFailureClassCalibration(t *testing.T) {
	m := verdict.Default()
	for _, tc := range []struct {
		name, result string
		want         verdict.FailureClass
	}{
		{"regular β=1", "rel_l2=5.3e-3 loss=1.8e-4 residual_train=6.8e-5 residual_grid=7.4e-5", verdict.Passed},
		{"regular β=10", "rel_l2=1.4e-2 loss=4.1e-4 residual_train=1.2e-4 residual_grid=1.8e-4", verdict.Passed},
		{"curriculum β=30", "rel_l2=5.8e-3 loss=9.6e-6 residual_train=3.3e-7 residual_grid=3.8e-7", verdict.Passed},
		{"regular β=20", "rel_l2=0.95 loss=1.4e-3 residual_train=2.1e-4 residual_grid=72", verdict.CollocationOverfit},
		{"regular β=30", "rel_l2=1.51 loss=1.4e-3 residual_train=3.4e-4 residual_grid=290", verdict.CollocationOverfit},
		{"regular β=40", "rel_l2=1.51 loss=2.5e-3 residual_train=6.2e-4 residual_grid=19", verdict.CollocationOverfit},
		{"regular β=10, N_f=100", "rel_l2=0.82 loss=1.1e-3 residual_train=2.9e-4 residual_grid=31", verdict.CollocationOverfit},
		{"hard β=30", "rel_l2=1.98 loss=8.9e-5 residual_train=2.1e-5 residual_grid=540", verdict.CollocationOverfit},
		{"reaction ρ=5", "rel_l2=0.99 loss=0.23 residual_train=2.2e-2 residual_grid=2.6e-2", verdict.Optimization},
		{"reaction-diffusion ν=3 ρ=5", "rel_l2=0.81 loss=5.2e-2 residual_train=4.3e-3 residual_grid=4.5e-3", verdict.Optimization},
		{"supervised β=40, tol_change 1e-7", "supervised rel_l2=1.01 loss=0.61 loss_res=0.47 mse_grid=0.51", verdict.Optimization},
		{"supervised β=30, tol_change 1e-10", "supervised rel_l2=0.22 loss=3.7e-6 loss_res=3.9e-6 mse_grid=2.4e-2", verdict.CollocationOverfit},
		{"supervised β=40, tol_change 1e-10", "supervised rel_l2=0.11 loss=1.2e-4 loss_res=1.6e-4 mse_grid=5.6e-3", verdict.CollocationOverfit},
		// docs/repro.md: the degenerate solution at β = 50 (IC loss 7e-8,
		// residual 1e-6 on the grid and on every training point).
		{"resample β=50, degenerate", "rel_l2=3.48 loss=1.2e-6 residual_train=1e-6 residual_grid=1e-6", verdict.ConsistentButWrong},
		{"curriculum β=40, seed 1 (repro.md)", "rel_l2=0.61 loss=3e-4 residual_train=2.7e-4 residual_grid=2.9e-4", verdict.ConsistentButWrong},
	} {
		if got := m.FailureClass(state.StatusDone, result(t, tc.result+" loss_initial=1")); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestWithClass: the class goes first into the worker's bytes, which stay
// as they were; a class already in the result is replaced (removed for
// Unclassified); and the stored class reads back.
func TestWithClass(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		class    verdict.FailureClass
	}{
		{`{"rel_l2":0.05, "loss": 1}`, `{"failure_class":"pass","rel_l2":0.05, "loss": 1}`, verdict.Passed},
		{"\n {\n\"rel_l2\":2}\n", "{\"failure_class\":\"optimization\",\n\"rel_l2\":2}", verdict.Optimization},
		{`{}`, `{"failure_class":"diverged"}`, verdict.Diverged},
		{` { } `, `{"failure_class":"timeout"}`, verdict.TimedOut},
		{`{"z":1,"failure_class":"mine","a":[1, 2]}`, `{"failure_class":"unexplained","a":[1,2],"z":1}`, verdict.Unexplained},
		{`{"failure_class":"pass"}`, `{"failure_class":"diverged"}`, verdict.Diverged},
		{`{"rel_l2":0.05}`, `{"rel_l2":0.05}`, verdict.Unclassified},
		{`{"rel_l2":0.05, "failure_class":"pass"}`, `{"rel_l2":0.05}`, verdict.Unclassified},
	} {
		fields, err := verdict.Fields([]byte(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		got, err := verdict.WithClass([]byte(tc.in), fields, tc.class)
		if err != nil || string(got) != tc.want {
			t.Errorf("WithClass(%s, %q) = %s, %v; want %s", tc.in, tc.class, got, err, tc.want)
			continue
		}
		back, err := verdict.Fields(got)
		if err != nil {
			t.Errorf("WithClass(%s) is not an object: %v", tc.in, err)
		}
		if tc.class != verdict.Unclassified && string(back[verdict.ClassField]) != `"`+string(tc.class)+`"` {
			t.Errorf("WithClass(%s): stored %s", tc.in, back[verdict.ClassField])
		}
	}
	if _, err := verdict.WithClass([]byte(`{}`), nil, "bad-luck"); err == nil {
		t.Error("WithClass accepted an unknown class")
	}
}

// TestWithoutClass: a result without a class is kept byte for byte (so
// that WithClass on it only inserts); one with a class loses it, the rest
// re-encoded; and WithClass gives the same bytes after it as without it.
func TestWithoutClass(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"rel_l2": 0.05, "loss":1}`, `{"rel_l2": 0.05, "loss":1}`},
		{`{"z":1,"failure_class":"mine","a":[1, 2]}`, `{"a":[1,2],"z":1}`},
		{`{"failure_class":"pass"}`, `{}`},
		{``, ``},
	} {
		fields, err := verdict.Fields([]byte(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		bare, bareFields, err := verdict.WithoutClass([]byte(tc.in), fields)
		if err != nil || string(bare) != tc.want {
			t.Errorf("WithoutClass(%s) = %s, %v; want %s", tc.in, bare, err, tc.want)
			continue
		}
		wantFields := len(fields)
		if _, ok := fields[verdict.ClassField]; ok {
			wantFields--
		}
		if _, ok := bareFields[verdict.ClassField]; ok || len(bareFields) != wantFields {
			t.Errorf("WithoutClass(%s) fields %v", tc.in, bareFields)
		}
		for _, c := range []verdict.FailureClass{verdict.Optimization, verdict.Unclassified} {
			direct, err1 := verdict.WithClass([]byte(tc.in), fields, c)
			after, err2 := verdict.WithClass(bare, bareFields, c)
			if err1 != nil || err2 != nil || string(direct) != string(after) {
				t.Errorf("WithClass(%s, %q) = %s, %v; after WithoutClass %s, %v", tc.in, c, direct, err1, after, err2)
			}
		}
	}
}

// TestFailureClassesListed: every class has a name, a description and a
// place in FailureClasses.
func TestFailureClassesListed(t *testing.T) {
	seen := map[verdict.FailureClass]bool{}
	for _, c := range verdict.FailureClasses() {
		if !c.Valid() || c.String() == "" || c.Description() == "no class" || seen[c] {
			t.Errorf("class %q: valid %v, description %q, repeated %v", c, c.Valid(), c.Description(), seen[c])
		}
		seen[c] = true
	}
	if verdict.Unclassified.Valid() || len(seen) != 7 {
		t.Errorf("Unclassified valid %v; %d classes", verdict.Unclassified.Valid(), len(seen))
	}
}

// TestMedianReplicate: the median replicate whose class a cell shows is
// the verdict's median, on the verdict's side for an even count.
func TestMedianReplicate(t *testing.T) {
	m := verdict.Default()
	meas, failed, open, void := verdict.Measured, verdict.Failed(), verdict.Open(), verdict.Voided()
	acc := verdict.Metric{Name: "acc", Goal: verdict.Maximize, Threshold: 0.8}
	for _, tc := range []struct {
		name     string
		metric   verdict.Metric
		outcomes []verdict.Outcome
		want     int
	}{
		{"odd: the middle value", m, []verdict.Outcome{meas(0.5), meas(0.01), meas(0.2)}, 2},
		{"a failed replicate counts as the worst", m, []verdict.Outcome{failed, meas(0.01), failed}, 0},
		{"even, passing: the better middle one", m, []verdict.Outcome{meas(0.3), meas(0.05), meas(0.01), meas(0.12)}, 1},
		{"even, failing: the worse middle one", m, []verdict.Outcome{meas(0.3), meas(0.05), meas(0.2), meas(0.01)}, 2},
		{"even, failing with a divergence", m, []verdict.Outcome{meas(0.01), failed}, 1},
		{"ties: the first", m, []verdict.Outcome{meas(0.2), meas(0.2), meas(0.2)}, 1},
		{"open and void replicates are not ranked", m, []verdict.Outcome{open, meas(0.02), void}, 1},
		{"none ranked", m, []verdict.Outcome{open, void}, -1},
		{"maximised: the better is larger", acc, []verdict.Outcome{meas(0.9), meas(0.95), meas(0.7), meas(0.99)}, 1},
		{"maximised, failing: the worse", acc, []verdict.Outcome{meas(0.9), meas(0.5), meas(0.7), failed}, 1},
	} {
		if got := tc.metric.Judge(tc.outcomes).Median; got != tc.want {
			t.Errorf("%s: median replicate %d, want %d", tc.name, got, tc.want)
		}
	}
}
