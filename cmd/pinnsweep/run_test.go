package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// tinySpec is a sweep of fast trials: 2 β values × 1 seed, plus a third
// point whose nf exceeds its grid, so that the trainer rejects it (a
// failed trial, with no retries).
const tinySpec = `name: tiny
fixed:
  pde: convection
  nx: 32
  nt: 10
  nu_points: 32
  nb: 10
  layers: [8, 8]
axes:
  nf: [40, 50, 100000]
budget:
  iterations: 5
retries: 0
`

func writeSpec(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tiny.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runCmd(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = dispatch(args, &o, &e)
	return code, o.String(), e.String()
}

func TestRunUsageErrors(t *testing.T) {
	spec := writeSpec(t, tinySpec)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"run"}, 2, "missing SPEC"},
		{[]string{"run", spec, "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"run", spec, "--slots", "0"}, 2, "--slots 0"},
		{[]string{"run", spec, "--http", "a:b:c"}, 2, `--http "a:b:c"`},
		{[]string{"serve", "--db", "x.db", "--http", "localhost"}, 2, `--http "localhost"`},
		{[]string{"run", "--bogus", spec}, 2, "unknown flag: --bogus"},
		{[]string{"run", spec, "--slots"}, 2, "flag needs an argument: --slots"},
		{[]string{"run", spec, "--slots", "many"}, 2, `invalid argument "many" for "--slots"`},
		{[]string{"run", filepath.Join(t.TempDir(), "missing.yaml")}, 1, "reading spec"},
		{[]string{"run", writeSpec(t, "name: bad\nfixed:\n  betta: 1\n"), "--db", filepath.Join(t.TempDir(), "db")}, 1, `unknown setting "betta"`},
		{[]string{"work"}, 2, "--coordinator is required"},
		{[]string{"work", "--coordinator", "x:1", "--slots", "0"}, 2, "--slots 0"},
		{[]string{"work", "--coordinator", "x:1", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"work", "--coordinator", "x:1", "--sweep", ""}, 2, "empty sweep name"},
	} {
		code, _, stderr := runCmd(tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: code %d, stderr %q; want %d and one line with %q", tc.args, code, stderr, tc.code, tc.msg)
		}
	}
}

func TestRunResumesAndRerunsFailed(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	spec := writeSpec(t, tinySpec)
	dir := t.TempDir()
	db := filepath.Join(dir, "sweeps.db")
	out := filepath.Join(dir, "out")
	args := []string{"run", spec, "--db", db, "--slots", "2", "--out", out, "--log-level", "info", "--log-json", "--no-report"}

	code, stdout, stderr := runCmd(args...)
	if code != 0 {
		t.Fatalf("first run: code %d\n%s\n%s", code, stdout, stderr)
	}
	// Data on stdout, messages and progress on stderr.
	for _, want := range []string{"median rel_l2", "3 trials ended: 2 done, 0 diverged, 1 failed",
		"results: " + filepath.Join(out, "results.csv")} {
		if !strings.Contains(stdout, want) {
			t.Errorf("first run: stdout lacks %q:\n%s", want, stdout)
		}
	}
	for _, want := range []string{"sweep tiny: 3 trials", "progress: ", "1 trials did not finish; rerun with --rerun-failed"} {
		if !strings.Contains(stderr, want) || strings.Contains(stdout, want) {
			t.Errorf("first run: %q is not on stderr only:\nstdout:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "report: ") || strings.Contains(stdout, "phase diagram") {
		t.Errorf("--no-report drew a report:\n%s", stdout)
	}
	if n := strings.Count(stderr, `"@message":"trial leased"`); n != 3 {
		t.Errorf("first run leased %d trials, want 3", n)
	}
	var results []map[string]any
	b, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &results); err != nil || len(results) != 3 {
		t.Fatalf("results.json: %v, %d entries", err, len(results))
	}
	if csv, err := os.ReadFile(filepath.Join(out, "results.csv")); err != nil || strings.Count(string(csv), "\n") != 4 {
		t.Fatalf("results.csv: %v\n%s", err, csv)
	}
	for _, name := range []string{"results.json", "results.csv"} {
		if fi, err := os.Stat(filepath.Join(out, name)); err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v (%v), want 0644 so that colleagues can read it", name, fi.Mode(), err)
		}
	}

	// Resume: nothing to run.
	code, stdout, stderr = runCmd(args...)
	if code != 0 || !strings.Contains(stderr, "resuming, 3 trials") || strings.Contains(stderr, "trial leased") {
		t.Fatalf("second run: code %d\n%s\n%s", code, stdout, stderr)
	}

	// --rerun-failed runs only the failed trial (which fails again).
	code, stdout, stderr = runCmd(append(args, "--rerun-failed")...)
	if code != 0 || !strings.Contains(stderr, "requeued 1 failed trials") {
		t.Fatalf("rerun: code %d\n%s\n%s", code, stdout, stderr)
	}
	if n := strings.Count(stderr, `"@message":"trial leased"`); n != 1 {
		t.Errorf("rerun leased %d trials, want 1", n)
	}

	// --json: the same summary as one JSON object on stdout.
	code, stdout, stderr = runCmd(append(args, "--json")...)
	var sum runSummary
	if code != 0 || json.Unmarshal([]byte(stdout), &sum) != nil {
		t.Fatalf("--json: code %d\n%s\n%s", code, stdout, stderr)
	}
	if sum.Sweep != "tiny" || sum.Counts.Total != 3 || sum.Counts.Done != 2 || len(sum.Points) != 3 ||
		sum.Files.ResultsCSV != filepath.Join(out, "results.csv") || sum.Metric != "rel_l2" || sum.Goal != "min" || sum.Threshold != 0.1 {
		t.Errorf("--json summary: %+v", sum)
	}
	if p := sum.Points[2]; p.Point.String() != "nf=100000" || p.Verdict != verdict.Void || p.Failed != 1 || p.Median != nil {
		t.Errorf("the failed point: %+v", p)
	}
}

// TestRunOnlyRunsItsSweep checks that `run` leaves the other unfinished
// sweeps of its database alone.
func TestRunOnlyRunsItsSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "sweeps.db")
	c, err := coordinator.Open(coordinator.Options{Path: db, SpecOptions: specOptions()})
	if err != nil {
		t.Fatal(err)
	}
	other := strings.Replace(tinySpec, "name: tiny", "name: other", 1)
	if _, err := c.Submit(context.Background(), "other.yaml", []byte(other)); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	spec := writeSpec(t, tinySpec)
	code, stdout, stderr := runCmd("run", spec, "--db", db, "--slots", "2", "--out", filepath.Join(dir, "out"), "--log-level", "info", "--log-json", "--no-report")
	if code != 0 {
		t.Fatalf("run: code %d\n%s\n%s", code, stdout, stderr)
	}
	if n := strings.Count(stderr, `"@message":"trial leased"`); n != 3 {
		t.Errorf("run leased %d trials, want the 3 of its sweep", n)
	}
	c, err = coordinator.Open(coordinator.Options{Path: db, SpecOptions: specOptions()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := c.Progress(context.Background(), "other")
	if err != nil {
		t.Fatal(err)
	}
	if p.Pending != 3 || p.Total != 3 {
		t.Fatalf("the other sweep was touched: %+v", p)
	}
}

func TestWriteSummary(t *testing.T) {
	done := func(key, point, result string) state.TrialRecord {
		return state.TrialRecord{Key: key, Status: state.StatusDone, Point: []byte(point), Result: []byte(result)}
	}
	// A refined sweep's trials in index order: the grid, then the
	// midpoints 15 and 12.5 in the order refinement added them.
	trials := []state.TrialRecord{
		done("a", `{"beta":1,"strategy":"regular","seed":0}`, `{"rel_l2":0.01,"accuracy":0.9}`),
		done("b", `{"beta":1,"strategy":"regular","seed":1}`, `{"rel_l2":0.03,"accuracy":0.7}`),
		done("c", `{"beta":1,"strategy":"regular","seed":2}`, `{"rel_l2":0.02,"accuracy":0.8}`),
		{Key: "d", Status: state.StatusDiverged, Point: []byte(`{"beta":30,"strategy":"regular","seed":0}`)},
		{Key: "e", Status: state.StatusPending, Point: []byte(`{"beta":30,"strategy":"regular","seed":1}`)},
		done("f", `{"beta":15,"strategy":"regular","seed":0}`, `{"rel_l2":0.5,"accuracy":0.95}`),
		{Key: "g", Status: state.StatusRunning, Point: []byte(`{"beta":12.5,"strategy":"regular","seed":0}`)},
		{Key: "h", Status: state.StatusCancelled, Point: []byte(`{"beta":1,"strategy":"curriculum","seed":0}`)},
		{Key: "i", Status: state.StatusFailed, Point: []byte(`{"beta":40,"strategy":"regular","seed":0}`)},
		{Key: "j", Status: state.StatusTimeout, Point: []byte(`{"beta":50,"strategy":"regular","seed":0}`)},
	}
	for _, tc := range []struct {
		metric verdict.Metric
		want   string
	}{
		{verdict.Default(), "" +
			"beta  strategy    verdict  median rel_l2  n  done  diverged  failed  class\n" +
			"1     regular     pass     0.02           3  3     0         0       pass\n" +
			"1     curriculum  void     -              1  0     0         1       -\n" +
			"12.5  regular     pending  -              1  0     0         0       -\n" +
			"15    regular     fail     0.5            1  1     0         0       unexplained\n" +
			"30    regular     pending  -              2  0     1         0       diverged\n" +
			"40    regular     void     -              1  0     0         1       -\n" +
			"50    regular     fail     -              1  0     0         1       timeout\n"},
		// A command sweep's own metric and goal (sweeps.Spec.VerdictMetric):
		// at least 0.75 passes, a timeout is the worst accuracy.
		{verdict.Metric{Name: "accuracy", Goal: verdict.Maximize, Threshold: 0.75}, "" +
			"beta  strategy    verdict  median accuracy  n  done  diverged  failed  class\n" +
			"1     regular     pass     0.8              3  3     0         0       pass\n" +
			"1     curriculum  void     -                1  0     0         1       -\n" +
			"12.5  regular     pending  -                1  0     0         0       -\n" +
			"15    regular     pass     0.95             1  1     0         0       pass\n" +
			"30    regular     pending  -                2  0     1         0       diverged\n" +
			"40    regular     void     -                1  0     0         1       -\n" +
			"50    regular     fail     -                1  0     0         1       timeout\n"},
	} {
		rows, g, err := summaryRows([]string{"beta", "strategy", "seed"}, trials, tc.metric)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := writeSummary(&b, g, rows); err != nil {
			t.Fatal(err)
		}
		if b.String() != tc.want {
			t.Errorf("%s: summary:\n%s\nwant:\n%s", tc.metric.Name, b.String(), tc.want)
		}
		if rows[2].Open != 1 || rows[4].Open != 1 {
			t.Errorf("open counts: %+v", rows)
		}
	}
}

func TestSpecOptionsValidate(t *testing.T) {
	v := specOptions().Validate
	if err := v("beta", 5.0); err != nil {
		t.Errorf("beta: %v", err)
	}
	if err := v("layers", []any{int64(20), int64(20)}); err != nil {
		t.Errorf("layers: %v", err)
	}
	if err := v("betta", 5.0); err == nil {
		t.Error("unknown key accepted")
	}
	if err := v("nf", "many"); err == nil {
		t.Error("bad value accepted")
	}
}

func TestProgressViewPlain(t *testing.T) {
	var b bytes.Buffer
	// One trial done in 10 s at beta=1 (its result says so), three
	// pending: two like it, one at a point nothing like has run.
	rec := func(i int, beta string, status state.Status, result string) state.TrialRecord {
		return state.TrialRecord{Index: i, Status: status, Point: []byte(`{"beta":` + beta + `,"seed":` + strconv.Itoa(i) + `}`),
			Params: []byte(`{"beta":` + beta + `,"seed":` + strconv.Itoa(i) + `,"strategy":"curriculum"}`), Result: []byte(result)}
	}
	clock := newSweepClock(1, false)
	clock.load([]state.TrialRecord{
		rec(0, "1", state.StatusDone, `{"seconds":10}`),
		rec(1, "1", state.StatusPending, ""),
		rec(2, "1", state.StatusPending, ""),
	})
	v := newProgressView(&b, state.Progress{Total: 4, Done: 1, Pending: 3}, clock.eta)
	clock.load([]state.TrialRecord{rec(3, "2", state.StatusPending, "")})
	v.update(state.Progress{Total: 4, Done: 2, Running: 1, Pending: 1}) // within plainEvery: not printed
	v.update(state.Progress{Total: 4, Done: 3, Failed: 1, Finished: true})
	v.close()
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 || lines[0] != "progress: 1/4 ended (done 1 failed 0 running 0), pending 3, ETA 20s" ||
		!strings.HasPrefix(lines[1], "progress: 4/4 ended (done 3 failed 1 running 0), pending 0; ") ||
		strings.Contains(lines[1], "ETA") {
		t.Errorf("progress lines:\n%s", b.String())
	}
	// beta=2 is extrapolated from the strategy's measured point.
	if got := clock.eta().String(); got != "~30s" {
		t.Errorf("ETA with an unmeasured point: %s, want ~30s", got)
	}
}

// refineSpec refines Adam's learning rate, whose rel_l2 after 5 steps of a
// tiny network grows about as 3.4·lr: 1.8 at lr = 1, in the thousands at
// lr = 1000. With the threshold at 100, bisection keeps the failing
// midpoints 500.5, 250.75 and 125.875 and stops at a bracket of width
// 124.875 ≤ 200.
const refineSpec = `name: refine-lr
fixed:
  pde: convection
  nx: 32
  nt: 10
  layers: [8, 8]
  nf: 40
  optimizer: adam
axes:
  lr: [1, 1000]
budget:
  iterations: 5
failure_threshold: 100
refine:
  - {axis: lr, tolerance: 200, max_depth: 5}
`

// TestRunRefines runs a refined sweep end to end with the real trainer:
// the refined trials run like the others, the report shows the bracket,
// and a second run finds nothing to add or run.
func TestRunRefines(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	spec := writeSpec(t, refineSpec)
	dir := t.TempDir()
	args := []string{"run", spec, "--db", filepath.Join(dir, "sweeps.db"), "--slots", "2", "--out", filepath.Join(dir, "out"), "--log-level", "info", "--log-json", "--no-report"}
	code, stdout, stderr := runCmd(args...)
	if code != 0 {
		t.Fatalf("run: code %d\n%s\n%s", code, stdout, stderr)
	}
	if n := strings.Count(stderr, `"@message":"trial leased"`); n != 5 {
		t.Errorf("run leased %d trials, want 2 on the grid and 3 refined", n)
	}
	row := regexp.MustCompile(`(?m)^refine-lr\s+lr\s+-\s+1\s+125\.875\s+124\.875\s+converged \(3 bisections\)$`)
	if !strings.Contains(stdout, "5 trials ended: 5 done") || !row.MatchString(stdout) {
		t.Errorf("run output lacks the 5 trials or the bracket:\n%s", stdout)
	}
	code, stdout, stderr = runCmd(args...)
	if code != 0 || !strings.Contains(stderr, "resuming, 5 trials") || strings.Contains(stderr, "trial leased") || !row.MatchString(stdout) {
		t.Fatalf("second run: code %d\n%s\n%s", code, stdout, stderr)
	}
}
