package worker_test

import (
	"context"
	"fmt"
	"maps"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/service"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/worker"
)

// dispatchGrid is the number of trials of each benchmark sweep.
const dispatchGrid = 1000

// countingRunner is a NoopRunner that counts how often each trial (by its
// params) ran.
type countingRunner struct {
	worker.NoopRunner
	mu   sync.Mutex
	runs map[string]int
}

func (r *countingRunner) Run(ctx context.Context, params string, progress func(int64, float64)) (worker.Outcome, error) {
	r.mu.Lock()
	r.runs[params]++
	r.mu.Unlock()
	return r.NoopRunner.Run(ctx, params, progress)
}

// dispatchSpec returns a sweep spec of dispatchGrid trials: one β axis.
// The sweep's number goes into a fixed setting so that no two trials of a
// benchmark share their params.
func dispatchSpec(name string, n int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\nfixed:\n  pde: convection\n  sample_seed: %d\naxes:\n  beta: ", name, n)
	writeGridAxis(&b)
	return []byte(b.String())
}

// writeGridAxis writes the values of a dispatchGrid-point axis, 1 to
// dispatchGrid, as a YAML flow list and a newline.
func writeGridAxis(b *strings.Builder) {
	b.WriteString("[")
	for i := range dispatchGrid {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(b, i+1)
	}
	b.WriteString("]\n")
}

// BenchmarkDispatch measures end-to-end dispatch: no-op trials leased,
// run and completed by 2 workers over gRPC on loopback, every state change
// committed (fsynced) to bbolt by the coordinator before it is
// acknowledged. Each iteration submits a fresh 1000-trial sweep and waits
// until it has finished. It reports trials/s, the number of trials that
// ran more than once (the benchmark fails on any) and the mean number of
// operations per commit.
//
// Each slot count runs in four modes, so that a comparison is made in the
// same period on the same disk: batch=1 commits every operation in a
// transaction of its own (coordinator.Options.MaxBatch = 1, the behaviour
// before group commit) and batch=256 groups them (the default); next=off
// leases every trial with a Lease call (worker.Options.NoLeaseNext), and
// next=on asks for it in the previous trial's Complete (the default).
func BenchmarkDispatch(b *testing.B) {
	for _, slots := range []int{1, 4, 16} {
		for _, maxBatch := range []int{1, coordinator.DefaultMaxBatch} {
			for _, next := range []bool{false, true} {
				name := fmt.Sprintf("slots=%d/batch=%d/next=%s", slots, maxBatch, map[bool]string{false: "off", true: "on"}[next])
				b.Run(name, func(b *testing.B) { benchmarkDispatch(b, slots, maxBatch, next) })
			}
		}
	}
}

func benchmarkDispatch(b *testing.B, slots, maxBatch int, next bool) {
	runner := &countingRunner{runs: map[string]int{}}
	runDispatch(b, dispatchCase{slots: slots, maxBatch: maxBatch, next: next, spec: dispatchSpec,
		configure: func(o *worker.Options) { o.Runner = runner },
		runs: func() map[string]int {
			runner.mu.Lock()
			defer runner.mu.Unlock()
			return maps.Clone(runner.runs)
		}})
}

// dispatchCase is one configuration of a dispatch benchmark.
type dispatchCase struct {
	slots, maxBatch int
	next            bool
	// spec returns the spec of the sweep of iteration n, named name: one
	// of dispatchGrid trials, none of which shares its params with a
	// trial of another iteration.
	spec func(name string, n int) []byte
	// configure sets the runners of each worker's options.
	configure func(*worker.Options)
	// runs returns how often each trial ran, by an identity of its own.
	runs func() map[string]int
}

// runDispatch runs one dispatch benchmark: a coordinator on a bbolt file
// served over gRPC on loopback, 2 workers of dc.slots slots, b.N sweeps
// of dispatchGrid trials one after another. It fails on any trial that
// ran more than once or not at all.
func runDispatch(b *testing.B, dc dispatchCase) {
	c, err := coordinator.Open(coordinator.Options{Path: filepath.Join(b.TempDir(), "bench.db"), MaxBatch: dc.maxBatch})
	if err != nil {
		b.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	serveCtx, stopServe := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- service.Serve(serveCtx, c, lis) }()

	workCtx, stopWork := context.WithCancel(context.Background())
	// A worker that fails ends the benchmark rather than leave it waiting.
	ctx, failed := context.WithCancel(context.Background())
	defer failed()
	var wg sync.WaitGroup
	for i := range 2 {
		o := worker.Options{
			Coordinator: lis.Addr().String(),
			ID:          fmt.Sprintf("bench-w%d", i),
			Slots:       dc.slots,
			NoLeaseNext: !dc.next,
		}
		dc.configure(&o)
		wg.Go(func() {
			if err := worker.Run(workCtx, o); err != nil {
				b.Error(err)
				failed()
			}
		})
	}
	defer func() {
		stopWork()
		wg.Wait()
		stopServe()
		<-served
		c.Close()
	}()

	stats0 := c.Stats()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("bench-%d", i)
		if _, err := c.Submit(ctx, name+".yaml", dc.spec(name, i)); err != nil {
			b.Fatal(err)
		}
		if err := c.Watch(ctx, name, func(state.Progress) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	stats := c.Stats()

	dups := 0
	for i := 0; i < b.N; i++ {
		p, err := c.Progress(ctx, fmt.Sprintf("bench-%d", i))
		if err != nil {
			b.Fatal(err)
		}
		if p.Done != dispatchGrid {
			b.Fatalf("sweep %s: %d of %d trials done", p.Sweep, p.Done, dispatchGrid)
		}
	}
	runs := dc.runs()
	for trial, n := range runs {
		if n > 1 {
			dups += n - 1
			b.Errorf("trial %s ran %d times", trial, n)
		}
	}
	if len(runs) != dispatchGrid*b.N {
		b.Errorf("%d distinct trials ran, want %d", len(runs), dispatchGrid*b.N)
	}
	b.ReportMetric(float64(dispatchGrid*b.N)/elapsed.Seconds(), "trials/s")
	b.ReportMetric(float64(dups), "duplicates")
	if n := stats.Commits - stats0.Commits; n > 0 {
		b.ReportMetric(float64(stats.Operations-stats0.Operations)/float64(n), "ops/commit")
		b.ReportMetric(float64(stats.CommitTime-stats0.CommitTime)/float64(time.Millisecond)/float64(n), "ms/commit")
		b.ReportMetric((stats.CommitTime-stats0.CommitTime).Seconds()/elapsed.Seconds(), "commit-busy")
	}
}
