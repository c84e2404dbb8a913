package vmath

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/pinnsweep/pinnsweep/internal/cputime"
)

// benchN is the benchmark vector length: 50 units × 2000 points.
const benchN = 100_000

// benchInput returns pre-activations like a trained tanh layer's: mostly
// |a| < 3 with a tail out to ±8.
func benchInput() []float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	src := make([]float64, benchN)
	for i := range src {
		src[i] = 2 * rng.NormFloat64()
	}
	return src
}

// reportPerElement reports the time per element as the "ns/elem" metric.
func reportPerElement(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchN, "ns/elem")
}

// BenchmarkTanhMath is the baseline: a loop over math.Tanh.
func BenchmarkTanhMath(b *testing.B) {
	src := benchInput()
	dst := make([]float64, benchN)
	for b.Loop() {
		for i, x := range src {
			dst[i] = math.Tanh(x)
		}
	}
	reportPerElement(b)
}

// BenchmarkTanhFast measures Tanh with the kernel this build selects
// (see Implementation).
func BenchmarkTanhFast(b *testing.B) {
	src := benchInput()
	dst := make([]float64, benchN)
	for b.Loop() {
		Tanh(dst, src)
	}
	reportPerElement(b)
}

// BenchmarkTanhGeneric measures the portable kernel in every build.
func BenchmarkTanhGeneric(b *testing.B) {
	src := benchInput()
	dst := make([]float64, benchN)
	for b.Loop() {
		tanhGeneric(dst, src)
	}
	reportPerElement(b)
}

// BenchmarkTanhDerivMath is the baseline for BenchmarkTanhDeriv:
// math.Tanh followed by s = 1 − h².
func BenchmarkTanhDerivMath(b *testing.B) {
	src := benchInput()
	h := make([]float64, benchN)
	s := make([]float64, benchN)
	for b.Loop() {
		for i, x := range src {
			t := math.Tanh(x)
			h[i] = t
			s[i] = 1 - t*t
		}
	}
	reportPerElement(b)
}

// BenchmarkTanhDeriv measures the fused TanhDeriv.
func BenchmarkTanhDeriv(b *testing.B) {
	src := benchInput()
	h := make([]float64, benchN)
	s := make([]float64, benchN)
	for b.Loop() {
		TanhDeriv(h, s, src)
	}
	reportPerElement(b)
}

// BenchmarkJet measures TanhJet ("tanh": value and tanh′; "jet": value
// and one derivative stream, as the trainer's tanh layers run it) and
// TanhJetAdjoint for both precisions at every kernel level, in ns per
// element of thread CPU time (steadier than wall time on a shared
// machine) beside the wall-clock ns/op.
func BenchmarkJet(b *testing.B) {
	b.Run("float64", benchJet[float64])
	b.Run("float32", benchJet[float32])
}

func benchJet[T float32 | float64](b *testing.B) {
	src64 := benchInput()
	a := make([]T, benchN)
	ad := make([]T, benchN)
	for i, v := range src64 {
		a[i] = T(v)
		ad[i] = T(v / 3)
	}
	h, s, hd := make([]T, benchN), make([]T, benchN), make([]T, benchN)
	gv, gd := make([]T, benchN), make([]T, benchN)
	for _, lv := range levelNames {
		for _, op := range []string{"tanh", "jet", "adjoint"} {
			b.Run(op+"/"+lv, func(b *testing.B) {
				if !setLevel(b, lv) {
					b.Skipf("no %s kernels in this build or on this CPU", lv)
				}
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				cpu0 := cputime.Thread()
				for b.Loop() {
					switch op {
					case "tanh":
						TanhJet(h, s, nil, a, nil)
					case "jet":
						TanhJet(h, nil, hd, a, ad)
					case "adjoint":
						copy(gv, ad)
						copy(gd, a)
						TanhJetAdjoint(gv, gd, h, hd)
					}
				}
				b.ReportMetric(float64((cputime.Thread()-cpu0).Nanoseconds())/float64(b.N)/benchN, "cpu-ns/elem")
			})
		}
	}
}
