package verdict_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/dashboard"
	"github.com/pinnsweep/pinnsweep/report"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// agreeSpec has a refine rule (wide enough that it adds nothing) so that
// refinement judges its points, and a failure threshold of its own.
const agreeSpec = `name: agree
fixed: {pde: convection, nf: 100}
axes:
  beta: [1, 2, 3, 4, 5, 6, 7, 8]
replicates: 3
retries: 0
failure_threshold: 0.2
refine:
  - {axis: beta, tolerance: 100, max_depth: 1}
`

// agreeOutcomes says how each trial of agreeSpec ends, by beta and seed:
// a status and its result, "pending" (leased and released) or "running"
// (left leased).
var agreeOutcomes = map[int][3]string{
	1: {"done 0.01", "done 0.02", "done 0.03"}, // pass
	2: {"done 0.5", "done 0.6", "done 0.7"},    // fail
	3: {"done 0.01", "diverged", "diverged"},   // fail: divergences count
	4: {"failed", "failed", "failed"},          // void: faults say nothing
	5: {"done 0.01", "done -", "done 0.02"},    // void: done without rel_l2
	6: {"done 0.01", "timeout", "pending"},     // pending
	7: {"running", "done 0.05", "done 0.06"},   // pending
	8: {"diverged", "timeout", "done 0.05"},    // fail
}

// agreeCommandSpec is agreeSpec as a command sweep judged by its own
// metric: acc, maximised, failing below 0.8. Its trials report acc = 1 -
// the value in agreeOutcomes, and a rel_l2 that would give the opposite
// verdicts, so the same verdicts come out only if every path reads acc
// and its goal (sweeps.Spec.VerdictMetric).
const agreeCommandSpec = `name: agree
runner: {command: [python3, train.py, --beta, "{beta}", --seed, "{seed}"]}
axes:
  beta: [1, 2, 3, 4, 5, 6, 7, 8]
replicates: 3
retries: 0
metric: acc
goal: max
failure_threshold: 0.8
refine:
  - {axis: beta, tolerance: 100, max_depth: 1}
`

var agreeWant = map[string]string{"1": "pass", "2": "fail", "3": "fail", "4": "void", "5": "void", "6": "pending", "7": "pending", "8": "fail"}

// TestReportRefinementDashboardAgree runs one sweep through a real
// coordinator and reads every grid point's verdict three ways: as
// refinement judges it (Coordinator.Verdicts, the observations
// refinement acts on), as the report aggregates it (report.Aggregate with
// the sweep's metric) and as the dashboard's API serves it. All three
// must agree, point by point, and with the verdicts the fixture was built
// to have.
//
// It does so for a built-in sweep (rel_l2, minimised) and for a command
// sweep with a maximised metric of its own.
func TestReportRefinementDashboardAgree(t *testing.T) {
	for _, tc := range []struct {
		name, spec string
		metric     verdict.Metric
		result     func(v float64) string
	}{
		{"rel_l2", agreeSpec, verdict.Metric{Name: "rel_l2", Goal: verdict.Minimize, Threshold: 0.2},
			func(v float64) string { return fmt.Sprintf(`{"rel_l2":%g,"status":"done"}`, v) }},
		{"acc", agreeCommandSpec, verdict.Metric{Name: "acc", Goal: verdict.Maximize, Threshold: 0.8},
			func(v float64) string { return fmt.Sprintf(`{"acc":%g,"rel_l2":%g}`, 1-v, 1-v) }},
	} {
		t.Run(tc.name, func(t *testing.T) { testAgree(t, tc.spec, tc.metric, tc.result) })
	}
}

// testAgree runs spec, whose trials end as agreeOutcomes says (result
// gives a done trial's result from the fixture's value), and checks the
// three readings against agreeWant and the sweep's metric against metric.
func testAgree(t *testing.T, spec string, want verdict.Metric, result func(float64) string) {
	ctx := context.Background()
	var release []*state.Grant
	c := leaseEach(t, spec, func(c *coordinator.Coordinator, g *state.Grant, beta, seed int) {
		status, value, _ := strings.Cut(agreeOutcomes[beta][seed], " ")
		switch status {
		case "running":
			return
		case "pending":
			release = append(release, g)
			return
		}
		comp := state.Completion{LeaseClaim: g.Claim(), Status: state.Status(status), Result: []byte(`{"status":"` + status + `"}`)}
		if value != "" && value != "-" {
			v, err := strconv.ParseFloat(value, 64)
			if err != nil {
				t.Fatal(err)
			}
			comp.Result = []byte(result(v))
		}
		if _, err := c.Complete(ctx, comp); err != nil {
			t.Fatal(err)
		}
	})
	for _, g := range release {
		if err := c.Release(ctx, g.Claim()); err != nil {
			t.Fatal(err)
		}
	}

	// Refinement.
	refinement := map[string]string{}
	pvs, err := c.Verdicts(ctx, "agree")
	if err != nil {
		t.Fatal(err)
	}
	for _, pv := range pvs {
		v, _ := pv.Point.Get("beta")
		refinement[report.ValueLabel(v)] = pv.Judgement.Verdict.String()
	}

	// The report.
	rec, err := c.Sweep(ctx, "agree")
	if err != nil {
		t.Fatal(err)
	}
	trials, err := c.Trials(ctx, "agree")
	if err != nil {
		t.Fatal(err)
	}
	metric, err := c.Metric(ctx, "agree")
	if err != nil || metric != want {
		t.Fatalf("metric %+v, %v; want the spec's %+v", metric, err, want)
	}
	grid, err := report.Aggregate(rec.Axes, trials, metric)
	if err != nil {
		t.Fatal(err)
	}
	rep := map[string]string{}
	for _, cell := range grid.Cells {
		rep[cell.Point[0]] = cell.Verdict.String()
	}

	// The dashboard, through its HTTP API.
	srv := httptest.NewServer(dashboard.New(c, dashboard.Options{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/sweeps/agree")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d dashboard.Diagram
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET the diagram: %d, %v", resp.StatusCode, err)
	}
	dash := map[string]string{}
	for _, cell := range d.Cells {
		dash[cell.Point[0].Value] = cell.Verdict
	}

	for beta, want := range agreeWant {
		if refinement[beta] != want || rep[beta] != want || dash[beta] != want {
			t.Errorf("beta=%s: refinement %q, report %q, dashboard %q; want %q", beta, refinement[beta], rep[beta], dash[beta], want)
		}
	}
	if len(refinement) != len(agreeWant) || len(rep) != len(agreeWant) || len(dash) != len(agreeWant) {
		t.Errorf("points: refinement %d, report %d, dashboard %d; want %d", len(refinement), len(rep), len(dash), len(agreeWant))
	}
	// The boundary the dashboard draws lies exactly between a pass and a
	// fail: here only between beta = 1 and 2.
	if len(d.Boundary) != 1 || d.Boundary[0] != (dashboard.Edge{X: 0, Y: 0, Side: "right"}) {
		t.Errorf("boundary %+v, want the right edge of beta=1", d.Boundary)
	}
}
