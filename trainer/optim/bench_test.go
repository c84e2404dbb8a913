package optim

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/pinnsweep/pinnsweep/internal/cputime"
)

// BenchmarkLBFGSOverhead measures the optimizer's own cost per L-BFGS
// iteration for n = 7851 (the 2-50-50-50-50-1 PINN's parameter count) with a
// trivial ill-conditioned quadratic objective, history full. One b.N unit is
// one iteration; "opt-ns/iter" (thread CPU time) excludes the time spent inside the objective,
// "evals/iter" is the mean number of evaluations per iteration.
func BenchmarkLBFGSOverhead(b *testing.B) {
	const n = 7851
	for _, c := range []struct {
		m   int
		f32 bool
	}{{10, false}, {50, false}, {50, true}} {
		m := c.m
		b.Run(fmt.Sprintf("n=%d/history=%d/float32=%v", n, m, c.f32), func(b *testing.B) {
			obj := quad(n, 1e4)
			// Thread CPU time: steadier than wall time on a shared machine.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var inObj time.Duration
			f := func(x, g []float64) float64 {
				t0 := cputime.Thread()
				v := obj(x, g)
				inObj += cputime.Thread() - t0
				return v
			}
			start := func(x []float64) {
				for i := range x {
					x[i] = float64(i%7) - 3
				}
			}
			x := make([]float64, n)
			start(x)
			o := NewLBFGS(n, Settings{History: m, HistoryFloat32: c.f32, TolGrad: -1, TolChange: -1})
			ctx := context.Background()
			run := func(iters int) (evals int) {
				for iters > 0 {
					o.set.MaxIters = iters
					res, err := o.Minimize(ctx, f, x)
					if err != nil {
						b.Fatal(err)
					}
					iters -= res.Iters
					evals += res.Evals
					if res.Reason != ReasonMaxIters {
						start(x) // converged: restart from afar, memory kept
					}
				}
				return evals
			}
			run(m + 10) // fill the history
			inObj = 0
			b.ReportAllocs()
			b.ResetTimer()
			t0 := cputime.Thread()
			evals := run(b.N)
			total := cputime.Thread() - t0
			b.StopTimer()
			b.ReportMetric(float64(total-inObj)/float64(b.N), "opt-ns/iter")
			b.ReportMetric(float64(evals)/float64(b.N), "evals/iter")
		})
	}
}

// BenchmarkAdamOverhead is the same for one Adam step.
func BenchmarkAdamOverhead(b *testing.B) {
	const n = 7851
	obj := quad(n, 1e4)
	var inObj time.Duration
	f := func(x, g []float64) float64 {
		t0 := time.Now()
		v := obj(x, g)
		inObj += time.Since(t0)
		return v
	}
	x := make([]float64, n)
	o := NewAdam(n, Settings{TolGrad: -1})
	b.ReportAllocs()
	b.ResetTimer()
	t0 := time.Now()
	o.set.MaxIters = b.N
	if _, err := o.Minimize(context.Background(), f, x); err != nil {
		b.Fatal(err)
	}
	total := time.Since(t0)
	b.ReportMetric(float64(total-inObj)/float64(b.N), "opt-ns/iter")
}
