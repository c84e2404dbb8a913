package main

import (
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator/boltstore"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	rpt "github.com/pinnsweep/pinnsweep/report"
)

// reportSpec is tinySpec's trials over 2 β values × 2 nf values; nf = 100000 exceeds the grid, so those trials fail (no retries)
// and their grid points have no done replicate.
var reportSpec = strings.NewReplacer(
	"name: tiny", "name: rep",
	"  nf: [40, 50, 100000]\n", "  beta: [2, 1]\n  nf: [40, 100000]\n",
).Replace(tinySpec)

// listFiles returns the files under dir, relative, sorted.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func TestReportEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "sweeps.db")
	if code, stdout, stderr := runCmd("run", writeSpec(t, reportSpec), "--db", db, "--slots", "2", "--out", filepath.Join(dir, "run"), "--no-report"); code != 0 {
		t.Fatalf("run: code %d\n%s\n%s", code, stdout, stderr)
	}

	out := filepath.Join(dir, "report")
	// The trial at β = 2, nf = 40, drawn in both formats (PNG encoding is
	// slow under -race: one trial only).
	_, trials, err := boltstore.ReadDatabase(context.Background(), db, "rep")
	if err != nil {
		t.Fatal(err)
	}
	var key string
	for _, tr := range trials {
		if string(tr.Point) == `{"beta":2,"nf":40,"seed":0}` {
			key = tr.Key
		}
	}
	code, stdout, stderr := runCmd("report", "rep", "--db", db, "--out", out, "--trials", "none", "--trial", key, "--metric", "residual_grid")
	if code != 0 || stderr != "" || !strings.Contains(stdout, "report: 14 files in "+out) {
		t.Fatalf("report: code %d\n%s\n%s", code, stdout, stderr)
	}
	want := []string{"aggregate.json", "phase-beta-nf.png", "phase-beta-nf.svg", "classes-beta-nf.png", "classes-beta-nf.svg",
		"metric-residual_grid-beta-nf.png", "metric-residual_grid-beta-nf.svg", "results.csv", "results.json", "summary.md"}
	for _, f := range []string{"loss.png", "loss.svg", "solution.png", "solution.svg"} {
		want = append(want, filepath.Join("trials", "beta=2-nf=40-seed=0-"+f))
	}
	sort.Strings(want)
	got := listFiles(t, out)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("files:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, name := range got {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || len(b) == 0 {
			t.Errorf("%s: %v, %d bytes", name, err, len(b))
		}
		if strings.HasSuffix(name, ".png") {
			if _, err := png.Decode(strings.NewReader(string(b))); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	summary, err := os.ReadFile(filepath.Join(out, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"4 trials: 2 done, 0 diverged, 2 failed", "| 1 | 100000 | 1 | 0 | 0 | 1 |", "void", // a failed trial says nothing: void, as for refinement (was "unknown")
		"![phase-beta-nf](phase-beta-nf.png)", "[png](trials/beta=2-nf=40-seed=0-solution.png)", "--trial",
		"![classes-beta-nf](classes-beta-nf.png)", "![metric-residual\\_grid-beta-nf](metric-residual_grid-beta-nf.png)", "| class | classes |"} {
		if !strings.Contains(string(summary), s) {
			t.Errorf("summary.md lacks %q:\n%s", s, summary)
		}
	}
	var agg struct {
		Axes []struct {
			Name   string
			Values []struct{ Label string }
		}
		Cells []struct {
			Point   []string
			Verdict string
		}
	}
	b, _ := os.ReadFile(filepath.Join(out, "aggregate.json"))
	if err := json.Unmarshal(b, &agg); err != nil || len(agg.Cells) != 4 || agg.Axes[0].Values[0].Label != "1" {
		t.Fatalf("aggregate.json: %v, %+v", err, agg)
	}

	// Through a coordinator: the same aggregate and results; the median
	// trial of each grid point with a done replicate, in SVG only, with the
	// axes swapped.
	addr, stop := startServe(t, db)
	one := filepath.Join(dir, "one")
	if code, stdout, stderr := runCmd("report", "rep", "--coordinator", addr, "--out", one, "--format", "svg", "--x", "nf"); code != 0 {
		t.Fatalf("report --coordinator: code %d\n%s\n%s", code, stdout, stderr)
	}
	stop()
	for _, name := range []string{"aggregate.json", "results.csv"} {
		a, _ := os.ReadFile(filepath.Join(out, name))
		b, err := os.ReadFile(filepath.Join(one, name))
		if err != nil || string(a) != string(b) {
			t.Errorf("%s over gRPC differs from the one read from the file (%v):\n%s", name, err, b)
		}
	}
	want = []string{"aggregate.json", "classes-nf-beta.svg", "phase-nf-beta.svg", "results.csv", "results.json", "summary.md",
		"trials/beta=1-nf=40-seed=0-loss.svg", "trials/beta=1-nf=40-seed=0-solution.svg",
		"trials/beta=2-nf=40-seed=0-loss.svg", "trials/beta=2-nf=40-seed=0-solution.svg"}
	if got := listFiles(t, one); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("--coordinator --format svg: files %v, want %v", got, want)
	}
}

// TestRunThenReport follows the README's new-user path: `run SPEC` with
// no flags writes the report and prints the phase diagram's path, and
// `report SWEEP` with no flags works right after, in the same places.
func TestRunThenReport(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	t.Chdir(t.TempDir())
	// One done trial (β = 1, nf = 40) and one failed: one trial's figures
	// to draw, as PNG encoding is slow under -race.
	spec := writeSpec(t, strings.Replace(reportSpec, "beta: [2, 1]", "beta: [1]", 1))
	code, stdout, stderr := runCmd("run", spec, "--slots", "2")
	if code != 0 {
		t.Fatalf("run: code %d\n%s\n%s", code, stdout, stderr)
	}
	dir := filepath.Join("pinnsweep-out", "rep")
	phase := filepath.Join(dir, "phase-nf-beta.png")
	for _, want := range []string{"phase diagram: " + phase + "\n", "report: " + filepath.Join(dir, "summary.md") + "\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("run's stdout lacks %q:\n%s", want, stdout)
		}
	}
	for _, name := range []string{"pinnsweep.db", phase, filepath.Join(dir, "phase-nf-beta.svg"), filepath.Join(dir, "summary.md"),
		filepath.Join(dir, "aggregate.json"), filepath.Join(dir, "results.csv"), filepath.Join(dir, "trials", "beta=1-nf=40-seed=0-solution.png")} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if name != "pinnsweep.db" && fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, want 0644", name, fi.Mode())
		}
	}
	before, _ := os.ReadFile(filepath.Join(dir, "aggregate.json"))

	code, stdout, stderr = runCmd("report", "rep")
	if code != 0 || !strings.Contains(stdout, "report: 12 files in "+dir) {
		t.Fatalf("report with no flags: code %d\n%s\n%s", code, stdout, stderr)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "aggregate.json"))
	if string(before) != string(after) {
		t.Errorf("report's aggregate.json differs from run's")
	}
}

func TestReportUsageErrors(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	db := filepath.Join(dir, "sweeps.db")
	// A database with the sweep submitted and nothing run.
	addr, stop := startServe(t, db)
	if code, _, stderr := runCmd("submit", writeSpec(t, reportSpec), "--coordinator", addr); code != 0 {
		t.Fatal(stderr)
	}
	stop()
	out := filepath.Join(dir, "out")
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"report"}, 2, "missing SWEEP"},
		{[]string{"report", "rep", "--db", db, "--coordinator", "x:1", "--out", out}, 2, "at most one of --db and --coordinator"},
		{[]string{"report", "rep", "--db", db, "--out", ""}, 2, "--out must not be empty"},
		// Without --db, the file of pinnsweep run in the current directory.
		{[]string{"report", "rep", "--out", out}, 1, "pinnsweep.db"},
		{[]string{"report", "rep", "--db", db, "--out", out, "--threshold", "0"}, 2, "--threshold 0: want a positive number"},
		{[]string{"report", "rep", "--db", db, "--out", out, "--format", "png,gif"}, 2, `--format "gif"`},
		{[]string{"report", "rep", "--db", db, "--out", out, "--trials", "some"}, 2, `--trials "some": want one of median, best`},
		{[]string{"report", "rep", "--db", db, "--out", out, "--trial", ""}, 2, "empty trial key"},
		{[]string{"report", "rep", "--db", db, "--out", out, "--x", "rho"}, 2, `--x: report: unknown axis "rho" (the sweep's axes: beta, nf)`},
		{[]string{"report", "rep", "--db", db, "--out", out, "--trial", "feedface"}, 2, `--trial feedface: sweep "rep" has no trial with this key`},
		{[]string{"report", "rep", "--db", db, "--out", out, "--metric", "hessian_max"}, 2, `--metric hessian_max: report: no trial has the field as a number "hessian_max"`},
		{[]string{"report", "rep", "--db", db, "--out", out, "--metric", ""}, 2, "empty result field"},
		{[]string{"report", "nope", "--db", db, "--out", out}, 1, "not found"},
		{[]string{"report", "rep", "--db", filepath.Join(dir, "missing.db"), "--out", out}, 1, "missing.db"},
	} {
		code, _, stderr := runCmd(tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: code %d, stderr %q; want %d and one line with %q", tc.args, code, stderr, tc.code, tc.msg)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused report created %s (%v)", out, err)
	}

	// Pending trials only: every grid point is drawn as unfinished and no
	// trial figure is drawn.
	code, stdout, stderr := runCmd("report", "rep", "--db", db, "--out", out)
	if code != 0 || !strings.Contains(stdout, "0 trials drawn") {
		t.Fatalf("pending sweep: code %d\n%s\n%s", code, stdout, stderr)
	}
	summary, _ := os.ReadFile(filepath.Join(out, "summary.md"))
	if !strings.Contains(string(summary), "4 trials: 0 done, 0 diverged, 0 failed, 0 timed out, 0 cancelled, 4 pending") {
		t.Errorf("summary.md:\n%s", summary)
	}
}

func TestPickTrials(t *testing.T) {
	rel := func(v float64) *float64 { return &v }
	g := &rpt.Grid{Cells: []rpt.Cell{
		{Trials: []rpt.Replicate{{Key: "a0", RelL2: rel(0.3)}, {Key: "a1", RelL2: rel(0.1)}, {Key: "a2", RelL2: rel(0.2)}}},
		{Trials: []rpt.Replicate{{Key: "b0", Status: state.StatusDiverged}, {Key: "b1", Status: state.StatusPending}}},
		{Trials: []rpt.Replicate{{Key: "c0", RelL2: rel(0.5)}, {Key: "c1", RelL2: rel(0.4)}}},
	}}
	for _, tc := range []struct {
		choice string
		keys   []string
		want   string
	}{
		{"median", nil, "a2 c1"},
		{"best", []string{"c0", "a1"}, "a1 c1 c0"},
		{"worst", nil, "a0 c0"},
		{"all", []string{"b0"}, "a0 a1 a2 c0 c1 b0"},
		{"none", []string{"b1", "b1"}, "b1"},
	} {
		var got []string
		for _, p := range pickTrials(g, tc.choice, tc.keys) {
			got = append(got, p.rep.Key)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("--trials %s --trial %v: %v, want %s", tc.choice, tc.keys, got, tc.want)
		}
	}
}
