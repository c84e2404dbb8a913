package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// TestSummaryStatesTheGoal: the summary's rule names the metric and the
// passing side of the threshold for either goal.
func TestSummaryStatesTheGoal(t *testing.T) {
	for _, tt := range []struct {
		m    verdict.Metric
		want string
	}{
		{verdict.Default(), "median rel\\_l2 of its replicates is at most or above 0.1,"},
		{verdict.Metric{Name: "score", Goal: verdict.Maximize, Threshold: 0.7}, "median score of its replicates is at least or below 0.7,"},
	} {
		trials := []state.TrialRecord{trial("k", `{"seed":0}`, state.StatusDone, 0.5)}
		g, err := Aggregate([]string{"seed"}, trials, tt.m)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := WriteSummary(&b, &Summary{Sweep: "s", Grid: g}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tt.want) {
			t.Errorf("%s: summary lacks %q:\n%s", tt.m.Name, tt.want, b.String())
		}
	}
}
