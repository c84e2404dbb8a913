package coordinator_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator/internal/coordtest"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// TestCompleteStoresOwnClass: a failure_class the worker put in its
// result is never stored as sent. The stored result carries the class the
// engine judged by the sweep's metric (a failing trial's own diagnosis
// among the classes stands, as verdict.Metric.FailureClass says), or no
// class at all for a trial that has none; the rest of the result stays.
func TestCompleteStoresOwnClass(t *testing.T) {
	const overfit = `"residual_grid":1,"residual_train":1e-3,"loss":1e-6,"loss_initial":1`
	for _, tc := range []struct {
		name   string
		status state.Status
		result string
		want   verdict.FailureClass // Unclassified: no failure_class stored
	}{
		{"a passing trial the worker called failing", state.StatusDone,
			`{"rel_l2":0.05,"failure_class":"optimization"}`, verdict.Passed},
		{"a failing trial the worker called passing", state.StatusDone,
			`{"rel_l2":0.5,` + overfit + `,"failure_class":"pass"}`, verdict.CollocationOverfit},
		{"an unknown class", state.StatusDone,
			`{"rel_l2":0.5,` + overfit + `,"failure_class":"bad-luck"}`, verdict.CollocationOverfit},
		{"a diverged trial", state.StatusDiverged,
			`{"failure_class":"pass","loss":"NaN"}`, verdict.Diverged},
		{"a failing trial's own diagnosis stands", state.StatusDone,
			`{"rel_l2":0.5,"failure_class":"optimization"}`, verdict.Optimization},
		{"a fault has no class", state.StatusFailed,
			`{"rel_l2":0.05,"failure_class":"pass"}`, verdict.Unclassified},
		{"done without the metric has no class", state.StatusDone,
			`{"accuracy":0.9,"failure_class":"consistent-but-wrong"}`, verdict.Unclassified},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := coordtest.Open(t, "", nil)
			defer c.Close()
			coordtest.MustSubmit(t, c, coordtest.SpecYAML("classes", []int{1}, 1, 0, 100))
			g := coordtest.MustLease(t, c, "w")
			coordtest.MustComplete(t, c, g, tc.status, tc.result)
			trials, err := c.Trials(context.Background(), "classes")
			if err != nil || len(trials) != 1 {
				t.Fatalf("Trials = %v, %v", trials, err)
			}
			stored, err := verdict.Fields(trials[0].Result)
			if err != nil {
				t.Fatalf("stored result %s: %v", trials[0].Result, err)
			}
			var class verdict.FailureClass
			if raw, ok := stored[verdict.ClassField]; ok {
				if err := json.Unmarshal(raw, &class); err != nil || class == verdict.Unclassified {
					t.Fatalf("stored class %s", raw)
				}
			}
			if class != tc.want {
				t.Errorf("stored %s: class %q, want %q", trials[0].Result, class, tc.want)
			}
			sent, _ := verdict.Fields([]byte(tc.result))
			delete(sent, verdict.ClassField)
			delete(stored, verdict.ClassField)
			if len(stored) != len(sent) {
				t.Errorf("stored %s: fields %v, want the sent ones but the class %v", trials[0].Result, stored, sent)
			}
			for k, v := range sent {
				if string(stored[k]) != string(v) {
					t.Errorf("stored %s = %s, sent %s", k, stored[k], v)
				}
			}
		})
	}
}
