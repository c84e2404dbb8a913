package verdict_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/export"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/dashboard"
	"github.com/pinnsweep/pinnsweep/report"
	"github.com/pinnsweep/pinnsweep/verdict"
)

const classesSpec = `name: classes
fixed: {pde: convection, nf: 100}
axes:
  beta: [1, 2, 3, 4, 5, 6, 7, 8]
replicates: 3
retries: 0
failure_threshold: 0.1
`

// classOutcome is how a trial of classesSpec ends and the class every
// reader must give it.
type classOutcome struct {
	status state.Status // "running": left leased
	result string
	want   verdict.FailureClass
}

var (
	passing    = classOutcome{state.StatusDone, `{"rel_l2":0.02,"loss":1e-4,"loss_initial":1,"residual_train":1e-4,"residual_grid":1.2e-4}`, verdict.Passed}
	overfit    = classOutcome{state.StatusDone, `{"rel_l2":1.4,"loss":1.4e-3,"loss_initial":1,"residual_train":3.4e-4,"residual_grid":290}`, verdict.CollocationOverfit}
	optimizing = classOutcome{state.StatusDone, `{"rel_l2":0.99,"loss":0.23,"loss_initial":1,"residual_train":2.2e-2,"residual_grid":2.6e-2}`, verdict.Optimization}
	degenerate = classOutcome{state.StatusDone, `{"rel_l2":3.48,"loss":1.2e-6,"loss_initial":1,"residual_train":1e-6,"residual_grid":1e-6}`, verdict.ConsistentButWrong}
)

// classOutcomes gives each trial of classesSpec, by beta and seed, one
// outcome: every class, the supervised control, a self-diagnosed and a
// free-form command result, and trials without a class.
var classOutcomes = map[int][3]classOutcome{
	1: {passing, passing, passing},
	2: {overfit, overfit, passing},
	3: {optimizing, degenerate, optimizing},
	4: {degenerate, degenerate, {state.StatusDone, `{"rel_l2":0.8,"epochs":12}`, verdict.Unexplained}},
	5: {{state.StatusDiverged, `{"rel_l2":"NaN","status":"diverged"}`, verdict.Diverged},
		{state.StatusTimeout, `{"rel_l2":0.4,"status":"timeout"}`, verdict.TimedOut}, overfit},
	6: {{state.StatusDone, `{"config":{"strategy":"supervised"},"rel_l2":0.22,"loss":3.7e-6,"loss_initial":1,"loss_res":3.9e-6,"mse_grid":2.4e-2,"residual_train":5,"residual_grid":5}`, verdict.CollocationOverfit},
		{state.StatusDone, `{"config":{"strategy":"supervised"},"rel_l2":1.01,"loss":0.61,"loss_initial":1,"loss_res":0.47,"mse_grid":0.51}`, verdict.Optimization},
		passing},
	7: {{state.StatusFailed, "", verdict.Unclassified}, {"running", "", verdict.Unclassified}, passing},
	// A result that diagnosed itself, one whose stored pass its numbers
	// contradict, and one done without the metric (void).
	8: {{state.StatusDone, `{"rel_l2":0.5,"failure_class":"consistent-but-wrong"}`, verdict.ConsistentButWrong},
		{state.StatusDone, `{"failure_class":"pass","rel_l2":1.5,"loss":1e-3,"loss_initial":1,"residual_train":1e-4,"residual_grid":1}`, verdict.CollocationOverfit},
		{state.StatusDone, `{"loss":1}`, verdict.Unclassified}},
}

// unclassified reads a coordinator's trials with the results the workers
// sent, as a database written before classes existed holds them.
type unclassified struct {
	*coordinator.Coordinator
	sent map[string]string // result by trial key
}

func (s unclassified) Trials(ctx context.Context, name string) ([]state.TrialRecord, error) {
	trials, err := s.Coordinator.Trials(ctx, name)
	for i := range trials {
		if r, ok := s.sent[trials[i].Key]; ok {
			trials[i].Result = []byte(r)
		}
	}
	return trials, err
}

// TestClassesAgree runs classesSpec through a real coordinator and reads
// every trial's failure class four ways: as the engine stored it in the
// result, as the report aggregates it, as the dashboard's API serves it
// (per trial and per cell) and as the CSV and JSON exports write it. All
// must give the class the fixture was built to have; and so must the
// readers of the same database with the stored classes removed (results
// from before classes existed, classified on read).
func TestClassesAgree(t *testing.T) {
	ctx := context.Background()
	want := map[string]verdict.FailureClass{} // by trial key
	sent := map[string]string{}
	c := leaseEach(t, classesSpec, func(c *coordinator.Coordinator, g *state.Grant, beta, seed int) {
		o := classOutcomes[beta][seed]
		want[g.Trial.Key] = o.want
		if o.status == "running" {
			return
		}
		sent[g.Trial.Key] = o.result
		comp := state.Completion{LeaseClaim: g.Claim(), Status: o.status, Result: []byte(o.result)}
		if _, err := c.Complete(ctx, comp); err != nil {
			t.Fatal(err)
		}
	})
	if len(want) != 24 {
		t.Fatalf("%d trials", len(want))
	}
	metric, err := c.Metric(ctx, "classes")
	if err != nil {
		t.Fatal(err)
	}

	// The engine stored each finished trial's class in its result.
	trials, err := c.Trials(ctx, "classes")
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range trials {
		fields, _ := verdict.Fields(tr.Result)
		var stored verdict.FailureClass
		_ = json.Unmarshal(fields[verdict.ClassField], &stored)
		if stored != want[tr.Key] {
			t.Errorf("trial %s (%s): stored class %q, want %q", tr.Key, tr.Point, stored, want[tr.Key])
		}
	}

	for _, src := range []struct {
		name string
		src  dashboard.Source
	}{{"stored", c}, {"classified on read", unclassified{c, sent}}} {
		t.Run(src.name, func(t *testing.T) {
			trials, err := src.src.Trials(ctx, "classes")
			if err != nil {
				t.Fatal(err)
			}
			rec, err := c.Sweep(ctx, "classes")
			if err != nil {
				t.Fatal(err)
			}
			got := readClasses(t, src.src, rec.Axes, trials, metric)
			for key, w := range want {
				for reader, classes := range got {
					if classes[key] != string(w) {
						t.Errorf("trial %s: %s says %q, want %q", key, reader, classes[key], w)
					}
				}
			}
		})
	}
}

// readClasses returns each trial's class by key, as each reader gives it:
// the report (replicates and, checked against them, the cells' median
// replicates), the dashboard's API, and the CSV and JSON exports.
func readClasses(t *testing.T, src dashboard.Source, axes []string, trials []state.TrialRecord, metric verdict.Metric) map[string]map[string]string {
	t.Helper()
	got := map[string]map[string]string{"report": {}, "dashboard": {}, "csv": {}, "json": {}}

	grid, err := report.Aggregate(axes, trials, metric)
	if err != nil {
		t.Fatal(err)
	}
	cellClass := map[string]string{}
	for _, cell := range grid.Cells {
		cellClass[cell.Point[0]] = string(cell.Class)
		for _, r := range cell.Trials {
			got["report"][r.Key] = string(r.Class)
		}
	}

	srv := httptest.NewServer(dashboard.New(src, dashboard.Options{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/sweeps/classes")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d dashboard.Diagram
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET the diagram: %d, %v", resp.StatusCode, err)
	}
	for _, cell := range d.Cells {
		for _, r := range cell.Trials {
			got["dashboard"][r.Key] = r.Class
		}
		// The cell's marker is the report's median replicate's class.
		if beta := cell.Point[0].Value; cell.Class != cellClass[beta] {
			t.Errorf("beta=%s: the dashboard marks %q, the report %q", beta, cell.Class, cellClass[beta])
		}
	}
	// The cells' classes: the median replicate's (a diverged one ranks
	// worst, ties by seed; of two, beta=8 being void, the better).
	wantCells := map[string]string{"1": "pass", "2": "collocation-overfit", "3": "optimization", "4": "consistent-but-wrong",
		"5": "diverged", "6": "collocation-overfit", "7": "pass", "8": "consistent-but-wrong"}
	for beta, w := range wantCells {
		if cellClass[beta] != w {
			t.Errorf("beta=%s: cell class %q, want %q", beta, cellClass[beta], w)
		}
	}

	var buf bytes.Buffer
	if err := export.Write(&buf, export.FormatCSV, export.Sheet{Axes: axes, Metric: metric}, trials); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(rows[0], verdict.ClassField)
	if col < 0 {
		t.Fatalf("no %s column in %v", verdict.ClassField, rows[0])
	}
	for _, row := range rows[1:] {
		got["csv"][row[0]] = row[col]
	}
	buf.Reset()
	if err := export.Write(&buf, export.FormatJSON, export.Sheet{Axes: axes, Metric: metric}, trials); err != nil {
		t.Fatal(err)
	}
	var objs []struct {
		Key   string  `json:"key"`
		Class *string `json:"failure_class"`
	}
	if err := json.Unmarshal(buf.Bytes(), &objs); err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o.Class != nil {
			got["json"][o.Key] = *o.Class
			if *o.Class == "" {
				t.Errorf("trial %s: JSON class \"\", want null", o.Key)
			}
		} else {
			got["json"][o.Key] = ""
		}
	}
	if n := len(trials); len(got["report"]) != n || len(got["dashboard"]) != n || len(got["csv"]) != n || len(got["json"]) != n {
		t.Errorf("trials read: report %d, dashboard %d, csv %d, json %d; want %d", len(got["report"]), len(got["dashboard"]), len(got["csv"]), len(got["json"]), n)
	}
	return got
}
