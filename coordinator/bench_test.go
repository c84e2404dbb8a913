package coordinator_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// benchSpec is a sweep of betas × 100 seeds, as internal/scaling's
// million benchmark submits (100 betas: 10,000 trials; 1000: 100,000).
func benchSpec(betas int) []byte {
	return fmt.Appendf(nil, `name: bench
fixed: {pde: convection, ic: sin, nf: 1000, layers: [50, 50, 50, 50]}
axes:
  beta: {linspace: [1, 40, %d]}
replicates: 100
budget: {iterations: 1000, seconds: 900}
`, betas)
}

// benchTrials is the size of the benchmarks' sweep: 100,000 trials, or
// 10,000 with -short.
func benchTrials() int {
	if testing.Short() {
		return 10_000
	}
	return 100_000
}

// BenchmarkSubmit submits a 100,000-trial sweep to a fresh bbolt
// database: the grid's keys, the compact state and the chunked commit.
// It reports the heap in use after the submission (bytes/trial).
func BenchmarkSubmit(b *testing.B) {
	n := benchTrials()
	spec := benchSpec(n / 100)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		c, err := coordinator.Open(coordinator.Options{Path: filepath.Join(b.TempDir(), "db")})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := c.Submit(ctx, "bench.yaml", spec)
		if err != nil || res.Total != n {
			b.Fatal(res, err)
		}
		b.StopTimer()
		reportHeap(b, n)
		c.Close()
		b.StartTimer()
	}
}

// BenchmarkOpen restores a coordinator from a database of one
// 100,000-trial sweep (1% of it done): the resume of a large sweep. It
// reports the heap in use after Open (bytes/trial).
func BenchmarkOpen(b *testing.B) {
	n := benchTrials()
	path := filepath.Join(b.TempDir(), "db")
	ctx := context.Background()
	c, err := coordinator.Open(coordinator.Options{Path: path})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Submit(ctx, "bench.yaml", benchSpec(n/100)); err != nil {
		b.Fatal(err)
	}
	for range n / 100 {
		g, err := c.Lease(ctx, "w", 0)
		if err != nil || g == nil {
			b.Fatal(g, err)
		}
		if _, err := c.Complete(ctx, state.Completion{LeaseClaim: g.Claim(), Status: state.StatusDone, Result: []byte(`{"rel_l2":0.01}`)}); err != nil {
			b.Fatal(err)
		}
	}
	c.Close()
	if fi, err := os.Stat(path); err == nil {
		b.Logf("database: %d trials, %.1f MiB", n, float64(fi.Size())/(1<<20))
	}
	b.ResetTimer()
	for b.Loop() {
		c, err := coordinator.Open(coordinator.Options{Path: path})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		reportHeap(b, n)
		c.Close()
		b.StartTimer()
	}
}

// reportHeap reports the live heap per trial, after a collection.
func reportHeap(b *testing.B, n int) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/float64(n), "heap-B/trial")
}
