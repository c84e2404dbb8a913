//go:build goexperiment.simd && amd64

package simdblas

import (
	"runtime"
	"simd/archsimd"
	"testing"

	"github.com/pinnsweep/pinnsweep/internal/cputime"
)

// BenchmarkPeak measures this core's FMA-bound peak per precision and
// vector width: twelve independent chains of fused multiply–adds (more
// than latency × throughput), seeded with different values so that the
// compiler cannot merge them, reporting GFLOP/s of thread CPU time (two
// FLOPs per lane per FMA). scripts/bench.sh divides the trainer's
// GFLOP/s by the largest of them.
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
	b.Run("f64/avx2", func(b *testing.B) {
		if detected < LevelAVX2 {
			b.Skip("no AVX2 and FMA")
		}
		run(b, 4, peakF64x4)
	})
	b.Run("f64/avx512", func(b *testing.B) {
		if detected < LevelAVX512 {
			b.Skip("no AVX-512")
		}
		run(b, 8, peakF64x8)
	})
	b.Run("f32/avx2", func(b *testing.B) {
		if detected < LevelAVX2 {
			b.Skip("no AVX2 and FMA")
		}
		run(b, 8, peakF32x8)
	})
	b.Run("f32/avx512", func(b *testing.B) {
		if detected < LevelAVX512 {
			b.Skip("no AVX-512")
		}
		run(b, 16, peakF32x16)
	})
}

//go:noinline
func peakF64x4(n int) float64 {
	a, c := archsimd.BroadcastFloat64x4(0.999999), archsimd.BroadcastFloat64x4(1e-9)
	x0, x1, x2, x3 := archsimd.BroadcastFloat64x4(1), archsimd.BroadcastFloat64x4(2), archsimd.BroadcastFloat64x4(3), archsimd.BroadcastFloat64x4(4)
	x4, x5, x6, x7 := archsimd.BroadcastFloat64x4(5), archsimd.BroadcastFloat64x4(6), archsimd.BroadcastFloat64x4(7), archsimd.BroadcastFloat64x4(8)
	x8, x9, xa, xb := archsimd.BroadcastFloat64x4(9), archsimd.BroadcastFloat64x4(10), archsimd.BroadcastFloat64x4(11), archsimd.BroadcastFloat64x4(12)
	for range n {
		x0, x1, x2, x3 = x0.MulAdd(a, c), x1.MulAdd(a, c), x2.MulAdd(a, c), x3.MulAdd(a, c)
		x4, x5, x6, x7 = x4.MulAdd(a, c), x5.MulAdd(a, c), x6.MulAdd(a, c), x7.MulAdd(a, c)
		x8, x9, xa, xb = x8.MulAdd(a, c), x9.MulAdd(a, c), xa.MulAdd(a, c), xb.MulAdd(a, c)
	}
	var s [4]float64
	x0.Add(x1).Add(x2).Add(x3).Add(x4).Add(x5).Add(x6).Add(x7).Add(x8).Add(x9).Add(xa).Add(xb).Store(&s)
	archsimd.ClearAVXUpperBits()
	return s[0]
}

//go:noinline
func peakF64x8(n int) float64 {
	a, c := archsimd.BroadcastFloat64x8(0.999999), archsimd.BroadcastFloat64x8(1e-9)
	x0, x1, x2, x3 := archsimd.BroadcastFloat64x8(1), archsimd.BroadcastFloat64x8(2), archsimd.BroadcastFloat64x8(3), archsimd.BroadcastFloat64x8(4)
	x4, x5, x6, x7 := archsimd.BroadcastFloat64x8(5), archsimd.BroadcastFloat64x8(6), archsimd.BroadcastFloat64x8(7), archsimd.BroadcastFloat64x8(8)
	x8, x9, xa, xb := archsimd.BroadcastFloat64x8(9), archsimd.BroadcastFloat64x8(10), archsimd.BroadcastFloat64x8(11), archsimd.BroadcastFloat64x8(12)
	for range n {
		x0, x1, x2, x3 = x0.MulAdd(a, c), x1.MulAdd(a, c), x2.MulAdd(a, c), x3.MulAdd(a, c)
		x4, x5, x6, x7 = x4.MulAdd(a, c), x5.MulAdd(a, c), x6.MulAdd(a, c), x7.MulAdd(a, c)
		x8, x9, xa, xb = x8.MulAdd(a, c), x9.MulAdd(a, c), xa.MulAdd(a, c), xb.MulAdd(a, c)
	}
	var s [8]float64
	x0.Add(x1).Add(x2).Add(x3).Add(x4).Add(x5).Add(x6).Add(x7).Add(x8).Add(x9).Add(xa).Add(xb).Store(&s)
	archsimd.ClearAVXUpperBits()
	return s[0]
}

//go:noinline
func peakF32x8(n int) float64 {
	a, c := archsimd.BroadcastFloat32x8(0.999999), archsimd.BroadcastFloat32x8(1e-9)
	x0, x1, x2, x3 := archsimd.BroadcastFloat32x8(1), archsimd.BroadcastFloat32x8(2), archsimd.BroadcastFloat32x8(3), archsimd.BroadcastFloat32x8(4)
	x4, x5, x6, x7 := archsimd.BroadcastFloat32x8(5), archsimd.BroadcastFloat32x8(6), archsimd.BroadcastFloat32x8(7), archsimd.BroadcastFloat32x8(8)
	x8, x9, xa, xb := archsimd.BroadcastFloat32x8(9), archsimd.BroadcastFloat32x8(10), archsimd.BroadcastFloat32x8(11), archsimd.BroadcastFloat32x8(12)
	for range n {
		x0, x1, x2, x3 = x0.MulAdd(a, c), x1.MulAdd(a, c), x2.MulAdd(a, c), x3.MulAdd(a, c)
		x4, x5, x6, x7 = x4.MulAdd(a, c), x5.MulAdd(a, c), x6.MulAdd(a, c), x7.MulAdd(a, c)
		x8, x9, xa, xb = x8.MulAdd(a, c), x9.MulAdd(a, c), xa.MulAdd(a, c), xb.MulAdd(a, c)
	}
	var s [8]float32
	x0.Add(x1).Add(x2).Add(x3).Add(x4).Add(x5).Add(x6).Add(x7).Add(x8).Add(x9).Add(xa).Add(xb).Store(&s)
	archsimd.ClearAVXUpperBits()
	return float64(s[0])
}

//go:noinline
func peakF32x16(n int) float64 {
	a, c := archsimd.BroadcastFloat32x16(0.999999), archsimd.BroadcastFloat32x16(1e-9)
	x0, x1, x2, x3 := archsimd.BroadcastFloat32x16(1), archsimd.BroadcastFloat32x16(2), archsimd.BroadcastFloat32x16(3), archsimd.BroadcastFloat32x16(4)
	x4, x5, x6, x7 := archsimd.BroadcastFloat32x16(5), archsimd.BroadcastFloat32x16(6), archsimd.BroadcastFloat32x16(7), archsimd.BroadcastFloat32x16(8)
	x8, x9, xa, xb := archsimd.BroadcastFloat32x16(9), archsimd.BroadcastFloat32x16(10), archsimd.BroadcastFloat32x16(11), archsimd.BroadcastFloat32x16(12)
	for range n {
		x0, x1, x2, x3 = x0.MulAdd(a, c), x1.MulAdd(a, c), x2.MulAdd(a, c), x3.MulAdd(a, c)
		x4, x5, x6, x7 = x4.MulAdd(a, c), x5.MulAdd(a, c), x6.MulAdd(a, c), x7.MulAdd(a, c)
		x8, x9, xa, xb = x8.MulAdd(a, c), x9.MulAdd(a, c), xa.MulAdd(a, c), xb.MulAdd(a, c)
	}
	var s [16]float32
	x0.Add(x1).Add(x2).Add(x3).Add(x4).Add(x5).Add(x6).Add(x7).Add(x8).Add(x9).Add(xa).Add(xb).Store(&s)
	archsimd.ClearAVXUpperBits()
	return float64(s[0])
}
