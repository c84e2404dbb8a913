//go:build goexperiment.simd && amd64

package simdblas

import (
	"runtime"
	"testing"

	"github.com/pinnsweep/pinnsweep/internal/cputime"
)

// BenchmarkPeak measures this core's FMA-bound peak per precision and
// vector width: twelve independent chains of fused multiply–adds (more
// than latency × throughput), seeded with different values so that the
// compiler cannot merge them, reporting GFLOP/s of thread CPU time (two
// FLOPs per lane per FMA). scripts/bench.sh divides the trainer's
// GFLOP/s by the largest of them. The loops, peak<variant>, are generated
// from templates/peak.tmpl into test files, so that only test binaries
// carry them.
func BenchmarkPeak(b *testing.B) {
	const iters = 1 << 20
	run := func(b *testing.B, lanes int, f func(n int) float64) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		c0 := cputime.Thread()
		s := 0.0
		for b.Loop() {
			s += f(iters)
		}
		cpu := (cputime.Thread() - c0).Seconds()
		b.ReportMetric(float64(b.N)*iters*12*2*float64(lanes)/cpu/1e9, "cpu-GFLOP/s")
		if s != s {
			b.Fatal("NaN")
		}
	}
	for _, v := range []struct {
		name  string
		level Level
		lanes int
		f     func(n int) float64
	}{
		{"f64/avx2", LevelAVX2, 4, peakf64x4}, {"f64/avx512", LevelAVX512, 8, peakf64x8},
		{"f32/avx2", LevelAVX2, 8, peakf32x8}, {"f32/avx512", LevelAVX512, 16, peakf32x16},
	} {
		b.Run(v.name, func(b *testing.B) {
			if detected < v.level {
				b.Skipf("this CPU has no %s", v.level)
			}
			run(b, v.lanes, v.f)
		})
	}
}
