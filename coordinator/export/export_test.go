package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator/boltstore"
	"github.com/pinnsweep/pinnsweep/coordinator/export"
	"github.com/pinnsweep/pinnsweep/coordinator/internal/coordtest"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// exportFixture makes a finished sweep with one trial of each kind.
func exportFixture(t *testing.T, path string) {
	t.Helper()
	c := coordtest.Open(t, path, nil)
	defer c.Close()
	coordtest.MustSubmit(t, c, coordtest.SpecYAML("exp", []int{1, 5}, 2, 0, 100))
	outcomes := []struct {
		st     state.Status
		result string
		reason string
	}{
		{state.StatusDone, coordtest.ResultJSON(0.0125), ""},
		{state.StatusDiverged, `{"rel_l2":"NaN","status":"diverged"}`, "loss is NaN"},
		{state.StatusFailed, "", "out of memory"},
	}
	for _, o := range outcomes {
		g := coordtest.MustLease(t, c, "w-"+string(o.st))
		var r []byte
		if o.result != "" {
			r = []byte(o.result)
		}
		if _, err := c.Complete(context.Background(), state.Completion{LeaseClaim: g.Claim(), Status: o.st, Result: r, Reason: o.reason}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestExportCSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sweeps.db")
	exportFixture(t, path)
	var buf bytes.Buffer
	if err := exportDatabase(context.Background(), path, "exp", export.FormatCSV, &buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := "key,status,attempts,beta,seed,rel_l2,abs_err,linf_rel,residual_grid,residual_train,evals,iterations,seconds," +
		"max_iters,nf,pde,failure_class,worker,reason,stderr_tail"
	if got := strings.Join(rows[0], ","); got != wantHeader {
		t.Fatalf("header\n got  %s\n want %s", got, wantHeader)
	}
	if len(rows) != 5 {
		t.Fatalf("got %d rows, want header + 4", len(rows))
	}
	want := [][]string{
		{"done", "1", "1", "0", "0.0125", "0.5", "0.25", "1e-3", "2e-4", "120", "100", "1.5", "10", "100", "convection", "pass", "w-done", "", ""},
		{"diverged", "1", "1", "1", "NaN", "", "", "", "", "", "", "", "10", "100", "convection", "diverged", "w-diverged", "loss is NaN", ""},
		{"failed", "1", "5", "0", "", "", "", "", "", "", "", "", "10", "100", "convection", "", "w-failed", "out of memory", ""},
		{"pending", "0", "5", "1", "", "", "", "", "", "", "", "", "10", "100", "convection", "", "", "", ""},
	}
	for i, w := range want {
		if got := rows[i+1][1:]; strings.Join(got, "|") != strings.Join(w, "|") {
			t.Errorf("row %d\n got  %q\n want %q", i+1, got, w)
		}
	}
}

func TestExportJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sweeps.db")
	exportFixture(t, path)
	var buf bytes.Buffer
	if err := exportDatabase(context.Background(), path, "exp", export.FormatJSON, &buf); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("export is not a JSON array: %v\n%s", err, buf.Bytes())
	}
	if len(got) != 4 {
		t.Fatalf("got %d objects", len(got))
	}
	for _, k := range []string{"key", "status", "attempts", "params", "settings", "metric", "value", "metrics", "rel_l2", "abs_err",
		"linf_rel", "seconds", "failure_class", "worker", "reason", "stderr_tail", "result"} {
		if _, ok := got[0][k]; !ok {
			t.Errorf("object lacks %q", k)
		}
	}
	done, diverged, pending := got[0], got[1], got[3]
	if p := done["params"].(map[string]any); p["beta"] != 1.0 || p["seed"] != 0.0 || len(p) != 2 {
		t.Errorf("params %v, want the point", p)
	}
	if done["rel_l2"] != 0.0125 || done["seconds"] != 1.5 || done["result"].(map[string]any)["iterations"] != 100.0 {
		t.Errorf("done trial: %v", done)
	}
	if diverged["rel_l2"] != nil || diverged["result"].(map[string]any)["rel_l2"] != "NaN" {
		t.Errorf("diverged trial: rel_l2 %v, result %v", diverged["rel_l2"], diverged["result"])
	}
	if done["failure_class"] != "pass" || diverged["failure_class"] != "diverged" || got[2]["failure_class"] != nil {
		t.Errorf("classes: done %v, diverged %v, failed %v", done["failure_class"], diverged["failure_class"], got[2]["failure_class"])
	}
	if pending["rel_l2"] != nil || pending["result"] != nil || pending["status"] != "pending" || pending["failure_class"] != nil {
		t.Errorf("pending trial: %v", pending)
	}
	// Params keep the axis order.
	if !strings.Contains(buf.String(), `"params":{"beta":1,"seed":0}`) {
		t.Errorf("params lost the axis order:\n%s", buf.String())
	}
}

func TestExportErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sweeps.db")
	exportFixture(t, path)
	ctx := context.Background()
	if err := exportDatabase(ctx, path, "nosuch", export.FormatCSV, &bytes.Buffer{}); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("unknown sweep: %v", err)
	}
	if err := exportDatabase(ctx, path, "exp", "xml", &bytes.Buffer{}); !errors.Is(err, state.ErrInvalidArgument) {
		t.Errorf("unknown format: %v", err)
	}
	if err := exportDatabase(ctx, filepath.Join(t.TempDir(), "missing.db"), "exp", "csv", &bytes.Buffer{}); err == nil {
		t.Error("missing file exported")
	}
}

// exportDatabase writes one sweep of the database file at path in format,
// as `pinnsweep export --db` does.
func exportDatabase(ctx context.Context, path, sweep, format string, w io.Writer) error {
	rec, trials, err := boltstore.ReadDatabase(ctx, path, sweep)
	if err != nil {
		return err
	}
	return export.Write(w, format, export.Sheet{Axes: rec.Axes, Metric: verdict.Default()}, trials)
}
