package sweeps

import (
	"testing"

	"github.com/pinnsweep/pinnsweep/verdict"
)

// TestVerdictMetric pins how a spec's metric, goal and failure_threshold
// become the verdict.Metric that refinement, the report, the dashboard and
// run's summary judge by.
func TestVerdictMetric(t *testing.T) {
	const head = "name: m\nfixed: {nf: 40}\naxes:\n  beta: [1, 2]\n"
	const command = "name: m\nrunner: {command: [python3, train.py]}\naxes:\n  beta: [1, 2]\n"
	for _, tc := range []struct {
		name, src string
		want      verdict.Metric
	}{
		{"builtin default", head, verdict.Default()},
		{"builtin threshold", head + "failure_threshold: 0.05\n", verdict.Metric{Name: "rel_l2", Threshold: 0.05}},
		{"command default", command, verdict.Default()},
		{"command metric, maximised", command + "metric: acc\ngoal: max\nfailure_threshold: 0.9\n",
			verdict.Metric{Name: "acc", Goal: verdict.Maximize, Threshold: 0.9}},
		{"command metric, minimised", command + "metric: val_loss\nfailure_threshold: 2.5\n",
			verdict.Metric{Name: "val_loss", Goal: verdict.Minimize, Threshold: 2.5}},
		// Zero is a threshold like any other for a metric of the spec's own.
		{"command metric, threshold 0", command + "metric: log_score\ngoal: max\nfailure_threshold: 0\n",
			verdict.Metric{Name: "log_score", Goal: verdict.Maximize, Threshold: 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("spec.yaml", []byte(tc.src), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := s.VerdictMetric(); got != tc.want {
				t.Errorf("VerdictMetric() = %+v, want %+v", got, tc.want)
			}
			if got, want := s.VerdictMetric().Resolved(), tc.want.Resolved(); got != want {
				t.Errorf("Resolved() = %+v, want %+v", got, want)
			}
		})
	}
	// A hand-built spec: empty metric and goal mean the defaults.
	if got := (&Spec{}).VerdictMetric(); got != verdict.Default() {
		t.Errorf("zero Spec: %+v", got)
	}
	// The threshold 0 of a maximised metric of the spec's own: 0 passes,
	// anything below fails.
	m := verdict.Metric{Name: "log_score", Goal: verdict.Maximize}
	if !m.Passes(0) || m.Passes(-0.01) {
		t.Errorf("log_score >= 0: Passes(0) = %v, Passes(-0.01) = %v", m.Passes(0), m.Passes(-0.01))
	}
}
