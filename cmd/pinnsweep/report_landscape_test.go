package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// landscapeSpec is tinySpec at nf = 40 over 2 β values × the landscape
// diagnostic on and off.
var landscapeSpec = strings.NewReplacer(
	"name: tiny", "name: lands",
	"  layers: [8, 8]\n", "  layers: [8, 8]\n  nf: 40\n  hessian_steps: 6\n  landscape_points: 5\n",
	"  nf: [40, 50, 100000]\n", "  beta: [1, 2]\n  diagnostics:\n    - {label: landscape, diagnostics: [landscape]}\n    - {label: none, diagnostics: []}\n",
).Replace(tinySpec)

func TestReportLandscape(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "sweeps.db")
	if code, stdout, stderr := runCmd("run", writeSpec(t, landscapeSpec), "--db", db, "--slots", "2", "--out", filepath.Join(dir, "run")); code != 0 {
		t.Fatalf("run: code %d\n%s\n%s", code, stdout, stderr)
	}
	out := filepath.Join(dir, "report")
	code, stdout, stderr := runCmd("report", "lands", "--db", db, "--out", out, "--format", "png", "--landscape")
	if code != 0 {
		t.Fatalf("report --landscape: code %d\n%s\n%s", code, stdout, stderr)
	}
	for _, beta := range []string{"1", "2"} {
		name := filepath.Join(out, "trials", "beta="+beta+"-diagnostics=landscape-seed=0-landscape.png")
		if b, err := os.ReadFile(name); err != nil || len(b) == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The trials without a landscape are reported as not drawn, on stderr
	// and in the summary.
	if n := strings.Count(stderr, "result has no loss landscape"); n != 2 {
		t.Errorf("stderr names %d trials without a landscape, want 2:\n%s", n, stderr)
	}
	summary, _ := os.ReadFile(filepath.Join(out, "summary.md"))
	for _, s := range []string{"| landscape |", "-landscape.png)", "one colour scale for the whole sweep", "result has no loss landscape"} {
		if !strings.Contains(string(summary), s) {
			t.Errorf("summary.md lacks %q:\n%s", s, summary)
		}
	}

	// A sweep without any landscape: --landscape is refused, nothing drawn.
	if code, stdout, stderr := runCmd("run", writeSpec(t, strings.ReplaceAll(strings.ReplaceAll(landscapeSpec, "name: lands", "name: flat"),
		"{label: landscape, diagnostics: [landscape]}", "{label: hessian, diagnostics: [hessian]}")), "--db", db, "--slots", "2",
		"--out", filepath.Join(dir, "run2")); code != 0 {
		t.Fatalf("run: code %d\n%s\n%s", code, stdout, stderr)
	}
	none := filepath.Join(dir, "none")
	code, _, stderr = runCmd("report", "flat", "--db", db, "--out", none, "--landscape")
	if code != 1 || !strings.Contains(stderr, "no trial of \"flat\" was run with diagnostics: [landscape]") {
		t.Errorf("report --landscape without landscapes: code %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(none); !os.IsNotExist(err) {
		t.Errorf("a refused report created %s (%v)", none, err)
	}
}
