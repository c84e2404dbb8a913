package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
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
		{[]string{"run", "--bogus", spec}, 2, "flag provided but not defined"},
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
	args := []string{"run", spec, "--db", db, "--slots", "2", "--out", out, "--log-level", "info", "--log-json"}

	code, stdout, stderr := runCmd(args...)
	if code != 0 {
		t.Fatalf("first run: code %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"sweep tiny: 3 trials", "median rel_l2", "3 trials ended: 2 done, 0 diverged, 1 failed",
		"1 trials did not finish; rerun with --rerun-failed"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("first run: stdout lacks %q:\n%s", want, stdout)
		}
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

	// Resume: nothing to run.
	code, stdout, stderr = runCmd(args...)
	if code != 0 || !strings.Contains(stdout, "resuming, 3 trials") || strings.Contains(stderr, "trial leased") {
		t.Fatalf("second run: code %d\n%s\n%s", code, stdout, stderr)
	}

	// --rerun-failed runs only the failed trial (which fails again).
	code, stdout, stderr = runCmd(append(args, "--rerun-failed")...)
	if code != 0 || !strings.Contains(stdout, "requeued 1 failed trials") {
		t.Fatalf("rerun: code %d\n%s\n%s", code, stdout, stderr)
	}
	if n := strings.Count(stderr, `"@message":"trial leased"`); n != 1 {
		t.Errorf("rerun leased %d trials, want 1", n)
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
	code, stdout, stderr := runCmd("run", spec, "--db", db, "--slots", "2", "--out", filepath.Join(dir, "out"), "--log-level", "info", "--log-json")
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
	trials := []state.TrialRecord{
		{Key: "a", Status: state.StatusDone, Point: []byte(`{"beta":1,"strategy":"regular","seed":0}`), Result: []byte(`{"rel_l2":0.1}`)},
		{Key: "b", Status: state.StatusDone, Point: []byte(`{"beta":1,"strategy":"regular","seed":1}`), Result: []byte(`{"rel_l2":0.3}`)},
		{Key: "c", Status: state.StatusFailed, Point: []byte(`{"beta":1,"strategy":"regular","seed":2}`)},
		{Key: "d", Status: state.StatusDiverged, Point: []byte(`{"beta":30,"strategy":"regular","seed":0}`)},
		{Key: "e", Status: state.StatusPending, Point: []byte(`{"beta":30,"strategy":"regular","seed":1}`)},
	}
	var b bytes.Buffer
	if err := writeSummary(&b, []string{"beta", "strategy", "seed"}, trials, verdict.Default()); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"beta  strategy  median rel_l2  n  done  diverged  failed  verdict\n" +
		"1     regular   0.2            3  2     0         1       void\n" +
		"30    regular   -              2  0     1         0       pending\n"
	if b.String() != want {
		t.Errorf("summary:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestParseInterspersed(t *testing.T) {
	for _, tc := range []struct {
		args []string
		pos  []string
		n    int
	}{
		{[]string{"a.yaml", "--slots", "3"}, []string{"a.yaml"}, 3},
		{[]string{"--slots", "3", "a.yaml", "b"}, []string{"a.yaml", "b"}, 3},
		{[]string{"--", "--slots"}, []string{"--slots"}, 1},
	} {
		fs := flag.NewFlagSet("run", flag.ContinueOnError)
		n := fs.Int("slots", 1, "")
		pos, _, ok := parseInterspersed(fs, tc.args, &bytes.Buffer{})
		if !ok || !reflect.DeepEqual(pos, tc.pos) || *n != tc.n {
			t.Errorf("%v: pos %v slots %d ok %v", tc.args, pos, *n, ok)
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
	v := newProgressView(&b, state.Progress{Total: 4, Done: 1, Pending: 3})
	v.update(state.Progress{Total: 4, Done: 2, Running: 1, Pending: 1}) // within plainEvery: not printed
	v.update(state.Progress{Total: 4, Done: 3, Failed: 1, Finished: true})
	v.close()
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "progress: 1/4 ended (done 1 failed 0 running 0), pending 3") ||
		!strings.HasPrefix(lines[1], "progress: 4/4 ended (done 3 failed 1 running 0), pending 0; ") ||
		strings.Contains(lines[1], "ETA") {
		t.Errorf("progress lines:\n%s", b.String())
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
	args := []string{"run", spec, "--db", filepath.Join(dir, "sweeps.db"), "--slots", "2", "--out", filepath.Join(dir, "out"), "--log-level", "info", "--log-json"}
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
	if code != 0 || !strings.Contains(stdout, "resuming, 5 trials") || strings.Contains(stderr, "trial leased") || !row.MatchString(stdout) {
		t.Fatalf("second run: code %d\n%s\n%s", code, stdout, stderr)
	}
}
