package coordinator_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pinnsweep/pinnsweep/coordinator"
)

// fakeClock is a settable clock, safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// specYAML returns a sweep spec with one beta axis and the given
// replicates, retries and fixed nf.
func specYAML(name string, betas []int, replicates, retries, nf int) string {
	b := make([]string, len(betas))
	for i, v := range betas {
		b[i] = fmt.Sprint(v)
	}
	return fmt.Sprintf(`name: %s
fixed:
  pde: convection
  nf: %d
axes:
  beta: [%s]
replicates: %d
retries: %d
budget:
  iterations: 10
  seconds: 60
`, name, nf, strings.Join(b, ", "), replicates, retries)
}

// testLogger routes log output to t.Log.
func testLogger(t *testing.T) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: "test", Level: hclog.Debug, Output: testWriter{t}})
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// open opens a coordinator on a fresh (or the given) bbolt file.
func open(t *testing.T, path string, clock *fakeClock) *coordinator.Coordinator {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "sweeps.db")
	}
	opts := coordinator.Options{Path: path, LeaseTTL: 30 * time.Second, Logger: testLogger(t)}
	if clock != nil {
		opts.Now = clock.Now
	}
	c, err := coordinator.Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return c
}

func mustSubmit(t *testing.T, c *coordinator.Coordinator, src string) coordinator.SubmitResult {
	t.Helper()
	res, err := c.Submit(context.Background(), "spec.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	return res
}

func mustLease(t *testing.T, c *coordinator.Coordinator, worker string) *coordinator.Grant {
	t.Helper()
	g, err := c.Lease(context.Background(), worker, 0)
	if err != nil || g == nil {
		t.Fatalf("Lease = %v, %v; want a grant", g, err)
	}
	return g
}

func mustComplete(t *testing.T, c *coordinator.Coordinator, g *coordinator.Grant, st coordinator.Status, result string) {
	t.Helper()
	var r []byte
	if result != "" {
		r = []byte(result)
	}
	if _, err := c.Complete(context.Background(), coordinator.Completion{LeaseID: g.LeaseID, Token: g.Token, Worker: "w", Status: st, Result: r}); err != nil {
		t.Fatalf("Complete: %v", err)
	}
}

func mustProgress(t *testing.T, c *coordinator.Coordinator, sweep string) coordinator.Progress {
	t.Helper()
	p, err := c.Progress(context.Background(), sweep)
	if err != nil {
		t.Fatalf("Progress: %v", err)
	}
	return p
}

func resultJSON(rel float64) string {
	return fmt.Sprintf(`{"rel_l2":%g,"abs_err":0.5,"linf_rel":0.25,"residual_grid":1e-3,"residual_train":2e-4,"evals":120,"iterations":100,"seconds":1.5,"status":"done","history":[{"eval":1}]}`, rel)
}

// drain leases and completes trials as worker until none is pending,
// reporting each done with the result result returns, and returns the
// grants in order.
func drain(t *testing.T, c *coordinator.Coordinator, worker string, result func(*coordinator.Grant) string) []*coordinator.Grant {
	t.Helper()
	var out []*coordinator.Grant
	for {
		g, err := c.Lease(context.Background(), worker, 0)
		if err != nil {
			t.Fatal(err)
		}
		if g == nil {
			return out
		}
		out = append(out, g)
		mustComplete(t, c, g, coordinator.StatusDone, result(g))
	}
}
