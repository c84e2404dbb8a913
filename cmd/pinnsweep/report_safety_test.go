package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/trainer"
)

// longLabel is a bundle label of 240 characters with Markdown and HTML
// in it.
var longLabel = "<script>alert(1)</script> [x](javascript:alert(1)) " + strings.Repeat("long", 47)

// safetySpec has two strategies, one of them labelled longLabel.
var safetySpec = `name: safety
fixed: {pde: convection, nx: 32, nt: 10, nu_points: 32, nb: 10, layers: [8, 8], nf: 40}
axes:
  strategy:
    - regular
    - {label: '` + longLabel + `', strategy: regular, lr: 0.5}
budget: {iterations: 5}
retries: 0
`

// reportDB makes a database holding spec's sweep with every trial done: a
// real training of one iteration, whose result forge may change.
func reportDB(t *testing.T, spec string, forge func(*trainer.Result)) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "sweeps.db")
	c, err := coordinator.Open(coordinator.Options{Path: db})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if _, err := c.Submit(ctx, "spec.yaml", []byte(spec)); err != nil {
		t.Fatal(err)
	}
	for {
		g, err := c.Lease(ctx, "w", 0)
		if err != nil {
			t.Fatal(err)
		}
		if g == nil {
			break
		}
		cfg, err := trainer.DecodeParams(string(g.Trial.Params))
		if err != nil {
			t.Fatal(err)
		}
		cfg.MaxIters = 1
		res, err := trainer.Train(ctx, cfg, trainer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		forge(res)
		body, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Complete(ctx, state.Completion{LeaseClaim: g.Claim(), Status: state.StatusDone, Result: body}); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// TestReportLongLabel: a 240-character label (the report failed with "file
// name too long", half written) gives short, distinct file names, and
// summary.md shows the label as text and links to files that exist.
func TestReportLongLabel(t *testing.T) {
	db := reportDB(t, safetySpec, func(*trainer.Result) {})
	out := filepath.Join(t.TempDir(), "report")
	code, stdout, stderr := cli("report", "safety", "--db", db, "--out", out, "--trials", "all", "--format", "svg")
	if code != 0 {
		t.Fatalf("report: exit %d\n%s%s", code, stdout, stderr)
	}
	files := listFiles(t, out)
	for _, f := range files {
		if len(filepath.Base(f)) > 140 {
			t.Errorf("file name %q is %d bytes long", f, len(filepath.Base(f)))
		}
	}
	if len(files) != 6+2*2 { // data, summary, the phase and classes' diagrams; two figures per trial
		t.Errorf("files %v", files)
	}
	summary, err := os.ReadFile(filepath.Join(out, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(summary, []byte("<script>")) || bytes.Contains(summary, []byte("[x](javascript")) {
		t.Errorf("summary.md keeps the label's HTML or link:\n%s", summary)
	}
	if !bytes.Contains(summary, []byte(`\<script\>alert(1)\</script\> \[x\](javascript:alert(1))`)) {
		t.Errorf("summary.md lacks the escaped label:\n%s", summary)
	}
	// Links: a ] not escaped by a backslash, then (target).
	links := regexp.MustCompile(`(?:^|[^\\])\]\(([^)]*)\)`).FindAllSubmatch(summary, -1)
	if len(links) < 5 {
		t.Errorf("summary.md has %d links", len(links))
	}
	for _, m := range links {
		if _, err := os.Stat(filepath.Join(out, string(m[1]))); err != nil {
			t.Errorf("summary.md links to %s: %v", m[1], err)
		}
	}
}

// TestReportOverflowingSnapshot: a result whose snapshot grid size
// overflows (the report panicked, exit 2) is reported as not drawn.
func TestReportOverflowingSnapshot(t *testing.T) {
	db := reportDB(t, safetySpec, func(r *trainer.Result) {
		r.Config.NX, r.Config.NT, r.Config.NF = 4, 2, 3
		r.Solution = &trainer.Snapshot{GridNX: 1<<62 + 1, GridNT: 8, XI: []int{1 << 61}, TI: []int{0, 7}, U: trainer.Float32s{0.5, 0.5}}
	})
	out := filepath.Join(t.TempDir(), "report")
	code, stdout, stderr := cli("report", "safety", "--db", db, "--out", out, "--trials", "all", "--format", "svg")
	if code != 0 || !strings.Contains(stderr, "not drawn: solution of trial") || !strings.Contains(stderr, "more than 134217728 points") {
		t.Fatalf("report: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestReportAtomic: a report that fails part way (here a directory where a
// figure goes) leaves the previous report as it was, and no staging files.
func TestReportAtomic(t *testing.T) {
	db := reportDB(t, strings.Replace(safetySpec, longLabel, "half-lr", 1), func(*trainer.Result) {})
	out := filepath.Join(t.TempDir(), "report")
	if code, stdout, stderr := cli("report", "safety", "--db", db, "--out", out, "--trials", "all", "--format", "svg"); code != 0 {
		t.Fatalf("report: exit %d\n%s%s", code, stdout, stderr)
	}
	before := map[string][]byte{}
	for _, f := range listFiles(t, out) {
		b, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		before[f] = b
	}
	var loss string
	for f := range before {
		if strings.HasSuffix(f, "-loss.svg") && strings.Contains(f, "regular-seed") {
			loss = f
		}
	}
	if err := os.Remove(filepath.Join(out, loss)); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(out, loss), 0o755); err != nil {
		t.Fatal(err)
	}
	// Another threshold: every data file would change.
	code, stdout, stderr := cli("report", "safety", "--db", db, "--out", out, "--trials", "all", "--format", "svg", "--threshold", "0.5")
	if code != 1 || !strings.Contains(stderr, loss) {
		t.Fatalf("report over a directory: exit %d\n%s%s", code, stdout, stderr)
	}
	for f, b := range before {
		if f == loss {
			continue
		}
		now, err := os.ReadFile(filepath.Join(out, f))
		if err != nil || !bytes.Equal(now, b) {
			t.Errorf("%s changed by the failed report (%v)", f, err)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(out, ".*")); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}
