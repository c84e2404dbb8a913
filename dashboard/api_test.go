package dashboard_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/dashboard"
	"github.com/pinnsweep/pinnsweep/trainer"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// get fetches url and returns the status code, the Content-Type and the
// body.
func get(t *testing.T, url string) (int, string, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("GET %s: Content-Security-Policy %q", url, csp)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

// getJSON fetches url, wants 200, and decodes the body into v.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	code, _, body := get(t, url)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, code, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// TestAPI checks the JSON API against a real coordinator: the diagram
// before and after a trial finishes, a trial's detail with its solution,
// and the errors.
func TestAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: trains a network")
	}
	cl := startCluster(t, browserSpec)
	base := serveDashboard(t, cl, dashboard.Options{})

	var list []dashboard.Progress
	getJSON(t, base+"api/sweeps", &list)
	if len(list) != 1 || list[0].Sweep != "dash" || list[0].Total != 4 || list[0].Pending != 4 {
		t.Fatalf("sweeps %+v, want dash with 4 pending trials", list)
	}
	var d dashboard.Diagram
	getJSON(t, base+"api/sweeps/dash", &d)
	if len(d.Cells) != 2 || d.Cells[0].State != dashboard.CellOpen || d.Cells[0].Median != nil || d.Threshold != verdict.DefaultThreshold {
		t.Fatalf("diagram before any trial: %+v", d)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	key, res := trainOne(t, ctx, cl)
	// The cache may hold the old state for a moment after a refresh (ten
	// times the refresh's duration): poll until the trial shows.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		d = dashboard.Diagram{}
		getJSON(t, base+"api/sweeps/dash", &d)
		if d.Progress.Done == 1 || time.Now().After(deadline) {
			break
		}
	}
	if c := d.Cells[0]; c.Median == nil || *c.Median != res.RelL2 || c.State != dashboard.CellPartial || c.Counts.Done != 1 {
		t.Fatalf("cell β=1 after its first trial: %+v, want median %v", c, res.RelL2)
	}

	var det dashboard.TrialDetail
	getJSON(t, base+"api/sweeps/dash/trials/"+key, &det)
	if det.Status != "done" || det.Metrics == nil || *det.Metrics.RelL2 != res.RelL2 || len(det.History) == 0 || det.Solution == nil {
		t.Fatalf("detail of the done trial: %+v", det)
	}
	// The exact field is the reference solution sampled on the snapshot.
	full, err := trainer.Exact(res.Config)
	if err != nil {
		t.Fatal(err)
	}
	want, err := res.Solution.Sample(full)
	if err != nil {
		t.Fatal(err)
	}
	sol := det.Solution
	n := len(sol.X) * len(sol.T)
	if len(sol.X) != trainer.SnapshotNX || len(sol.T) != trainer.SnapshotNT || len(sol.Exact) != n || len(sol.Pred) != n || len(sol.AbsErr) != n {
		t.Fatalf("solution %d × %d with %d/%d/%d values", len(sol.X), len(sol.T), len(sol.Exact), len(sol.Pred), len(sol.AbsErr))
	}
	for i := range want {
		if sol.Exact[i] != float32(want[i]) || sol.Pred[i] != res.Solution.U[i] {
			t.Fatalf("value %d: exact %v pred %v, want %v and %v", i, sol.Exact[i], sol.Pred[i], float32(want[i]), res.Solution.U[i])
		}
	}

	// A pending trial has no result and says so.
	pendingKey := d.Cells[1].Trials[0].Key
	det = dashboard.TrialDetail{}
	getJSON(t, base+"api/sweeps/dash/trials/"+pendingKey, &det)
	if det.Status != "pending" || det.Metrics != nil || det.Solution != nil || det.SolutionNote == "" {
		t.Errorf("detail of a pending trial: %+v", det)
	}

	tests := []struct {
		path, contentType string
		code              int
		contains          string
	}{
		{"", "text/html", http.StatusOK, `<script src="static/app.js">`},
		{"static/app.js", "text/javascript", http.StatusOK, "function renderDiagram"},
		{"static/app.css", "text/css", http.StatusOK, "font-family"},
		{"api/sweeps/nope", "application/json", http.StatusNotFound, `"error":"sweep \"nope\": not found"`},
		{"api/sweeps/dash/trials/nope", "application/json", http.StatusNotFound, `not found`},
		{"nope", "text/plain", http.StatusNotFound, "404"},
	}
	for _, tt := range tests {
		code, ct, body := get(t, base+tt.path)
		if code != tt.code || !strings.HasPrefix(ct, tt.contentType) || !strings.Contains(string(body), tt.contains) {
			t.Errorf("GET /%s: %d %s %.80q; want %d %s containing %q", tt.path, code, ct, body, tt.code, tt.contentType, tt.contains)
		}
	}
}

// TestAPICoordinatorDown checks that the API answers 502 with the reason
// when the coordinator is gone (closed).
func TestAPICoordinatorDown(t *testing.T) {
	c, err := coordinator.Open(coordinator.Options{Path: filepath.Join(t.TempDir(), "gone.db")})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	srv := httptestServer(t, dashboard.New(c, dashboard.Options{Timeout: 5 * time.Second}))
	for _, path := range []string{"api/sweeps", "api/sweeps/x", "api/sweeps/x/trials/y"} {
		code, _, body := get(t, srv+path)
		if code != http.StatusBadGateway || !strings.Contains(string(body), "closed") {
			t.Errorf("GET /%s with the coordinator down: %d %s", path, code, body)
		}
	}
}
