// Package coordtest has the helpers the tests of the coordinator's
// packages share: a fake clock, a spec generator, and shorthands that Open
// a coordinator on a real bbolt file and drive trials through it.
package coordtest

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
	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// FakeClock is a settable clock, safe for concurrent use.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock returns a FakeClock at a fixed wall time.
func NewFakeClock() *FakeClock {
	return &FakeClock{now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
}

// Now returns the clock's time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// SpecYAML returns a sweep spec with one beta axis and the given
// replicates, retries and fixed nf.
func SpecYAML(name string, betas []int, replicates, retries, nf int) string {
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

// Logger routes log output to t.Log.
func Logger(t *testing.T) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: "test", Level: hclog.Debug, Output: testWriter{t}})
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Open opens a coordinator on a fresh (or the given) bbolt file, with a
// 30 s lease TTL and the given clock (nil: the wall clock).
func Open(t *testing.T, path string, clock *FakeClock) *coordinator.Coordinator {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "sweeps.db")
	}
	opts := coordinator.Options{Path: path, LeaseTTL: 30 * time.Second, Logger: Logger(t)}
	if clock != nil {
		opts.Now = clock.Now
	}
	c, err := coordinator.Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return c
}

// MustSubmit submits src as spec.yaml.
func MustSubmit(t *testing.T, c *coordinator.Coordinator, src string) state.SubmitResult {
	t.Helper()
	res, err := c.Submit(context.Background(), "spec.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	return res
}

// MustLease leases a trial to worker without waiting; none is fatal.
func MustLease(t *testing.T, c *coordinator.Coordinator, worker string) *state.Grant {
	t.Helper()
	g, err := c.Lease(context.Background(), worker, 0)
	if err != nil || g == nil {
		t.Fatalf("Lease = %v, %v; want a grant", g, err)
	}
	return g
}

// MustComplete completes g as worker "w" with st and result ("": none).
func MustComplete(t *testing.T, c *coordinator.Coordinator, g *state.Grant, st state.Status, result string) {
	t.Helper()
	var r []byte
	if result != "" {
		r = []byte(result)
	}
	if _, err := c.Complete(context.Background(), state.Completion{LeaseClaim: g.Claim(), Status: st, Result: r}); err != nil {
		t.Fatalf("Complete: %v", err)
	}
}

// MustProgress returns a sweep's progress.
func MustProgress(t *testing.T, c *coordinator.Coordinator, sweep string) state.Progress {
	t.Helper()
	p, err := c.Progress(context.Background(), sweep)
	if err != nil {
		t.Fatalf("Progress: %v", err)
	}
	return p
}

// ResultJSON returns a trainer-like result whose rel_l2 is rel.
func ResultJSON(rel float64) string {
	return fmt.Sprintf(`{"rel_l2":%g,"abs_err":0.5,"linf_rel":0.25,"residual_grid":1e-3,"residual_train":2e-4,"evals":120,"iterations":100,"seconds":1.5,"status":"done","history":[{"eval":1}]}`, rel)
}

// Drain leases and completes trials as worker until none is pending,
// reporting each done with the result result returns, and returns the
// grants in order.
func Drain(t *testing.T, c *coordinator.Coordinator, worker string, result func(*state.Grant) string) []*state.Grant {
	t.Helper()
	var out []*state.Grant
	for {
		g, err := c.Lease(context.Background(), worker, 0)
		if err != nil {
			t.Fatal(err)
		}
		if g == nil {
			return out
		}
		out = append(out, g)
		MustComplete(t, c, g, state.StatusDone, result(g))
	}
}
