package report

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/verdict"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// convectionGrid is a synthetic convection sweep: β ∈ {1, 5, 10, 20, 30,
// 40} × {regular, curriculum} × 3 seeds, where regular fails from β = 20
// and curriculum passes everywhere; one regular replicate at β = 40
// diverged, one curriculum trial at β = 40 is still running and another
// failed. Done trials have the numbers that classify them, and a
// hessian_max of 1000 β².
func convectionGrid(t *testing.T) ([]string, []state.TrialRecord) {
	t.Helper()
	var trials []state.TrialRecord
	for _, beta := range []int{1, 5, 10, 20, 30, 40} {
		for _, s := range []string{"regular", "curriculum"} {
			for seed := range 3 {
				v := 1e-3 * float64(beta) * float64(seed+1)
				if s == "regular" && beta >= 20 {
					v = 0.5 + 0.1*float64(seed)
				}
				st := state.StatusDone
				switch {
				case s == "regular" && beta == 40 && seed == 1:
					st, v = state.StatusDiverged, nan
				case s == "curriculum" && beta == 40 && seed == 0:
					st, v = state.StatusRunning, nan
				case s == "curriculum" && beta == 40 && seed == 2:
					st, v = state.StatusFailed, nan
				}
				key := fmt.Sprintf("%s-%d-%d", s, beta, seed)
				tr := trial(key, fmt.Sprintf(`{"beta":%d,"strategy":%q,"seed":%d}`, beta, s, seed), st, v)
				if st == state.StatusDone {
					// The numbers that classify the trial: regular fails
					// from β = 20 by fitting its points, except at β = 40,
					// seed 0, where its loss stayed large (and its
					// residual as large on the grid as at its points).
					loss, grid := 1e-4, 2e-4
					if s == "regular" && beta >= 20 {
						loss, grid = 1e-3, 10
					}
					if s == "regular" && beta == 40 && seed == 0 {
						loss, grid = 0.5, 1e-4
					}
					tr.Result = fmt.Appendf(nil, `{"rel_l2":%v,"loss":%v,"loss_initial":1,"residual_train":1e-4,"residual_grid":%v,"hessian_max":%v}`,
						v, loss, grid, 1e3*float64(beta*beta))
				}
				if st == state.StatusFailed {
					tr.Reason = "worker lost"
				}
				trials = append(trials, tr)
			}
		}
	}
	return []string{"beta", "strategy", "seed"}, trials
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./report -update rewrites it); got:\n%s", name, got)
	}
}

func TestGolden(t *testing.T) {
	axes, trials := convectionGrid(t)
	g, err := Aggregate(axes, trials, verdict.Default())
	if err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	if err := WriteAggregateJSON(&js, "convection-beta", g); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "aggregate.json.golden", js.Bytes())

	slices, err := g.Slices("", "")
	if err != nil {
		t.Fatal(err)
	}
	lmax, err := g.Field("hessian_max", trials)
	if err != nil {
		t.Fatal(err)
	}
	s := &Summary{Sweep: "convection-beta", Grid: g, Slices: slices,
		PhaseFiles: [][]string{{"phase-beta-strategy.png", "phase-beta-strategy.svg"}},
		ClassFiles: [][]string{{"classes-beta-strategy.png", "classes-beta-strategy.svg"}},
		Fields:     []FieldFiles{{Field: lmax, Files: [][]string{{"metric-hessian_max-beta-strategy.png"}}}},
		Data:       []string{"results.csv", "results.json", "aggregate.json"},
		Problems:   []string{"solution of trial regular-40-2 (beta=40 strategy=regular seed=2): report: result has no solution snapshot"}}
	for i := range g.Cells {
		c := &g.Cells[i]
		if r := c.Representative("median", g.Metric.Goal); r != nil {
			stem := "trials/" + FileName(fmt.Sprintf("beta=%s-strategy=%s-seed=%s", c.Point[0], c.Point[1], r.Seed))
			s.Trials = append(s.Trials, TrialFigures{Label: g.Label(c), Replicate: *r, Why: "median of its grid point",
				Solution: []string{stem + "-solution.png"}, Loss: []string{stem + "-loss.png", stem + "-loss.svg"}})
		}
	}
	var md bytes.Buffer
	if err := WriteSummary(&md, s); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "summary.md.golden", md.Bytes())
}
