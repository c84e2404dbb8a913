package simdblas

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/pinnsweep/pinnsweep/internal/cputime"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// pinnShape is one of the trainer's per-layer products for a hidden layer
// of width 50 on N points (row-major).
type pinnShape struct {
	name    string
	tA, tB  blas.Transpose
	m, n, k int
	beta    float64
}

func pinnShapes(N int) []pinnShape {
	return []pinnShape{
		// C(50×N) = W(50×50)·H(50×N)
		{fmt.Sprintf("forward-N%d", N), blas.NoTrans, blas.NoTrans, 50, N, 50, 0},
		// dW(50×50) += Ā(50×N)·H(50×N)ᵀ
		{fmt.Sprintf("weight-N%d", N), blas.NoTrans, blas.Trans, 50, 50, N, 1},
		// Ḡ(50×N) = W(50×50)ᵀ·Ā(50×N)
		{fmt.Sprintf("input-N%d", N), blas.Trans, blas.NoTrans, 50, N, 50, 0},
	}
}

// BenchmarkDgemm compares gonum's Dgemm with Implementation's at each
// kernel level this CPU supports on the trainer's shapes, reporting
// GFLOP/s (2·m·n·k per call). Compare them in the same run: on a loaded
// machine only the ratios are meaningful. Run with -cpu 1 for a one-core
// comparison (gonum parallelises the forward and input products over
// GOMAXPROCS; Implementation does not).
func BenchmarkDgemm(b *testing.B) {
	benchShapes[float64](b, append(pinnShapes(2000), pinnShapes(10000)...))
}

// BenchmarkSgemm is BenchmarkDgemm for float32 (gonum's Sgemm against
// the float32 kernels).
func BenchmarkSgemm(b *testing.B) {
	benchShapes[float32](b, append(pinnShapes(2000), pinnShapes(10000)...))
}

func benchShapes[T elem](b *testing.B, shapes []pinnShape) {
	impls := []struct {
		name     string
		impl     any
		level    Level
		archsimd bool // the archsimd kernels at the AVX-512 level
	}{
		{"gonum", gonum.Implementation{}, LevelNone, false},
		{"avx2", Implementation{}, LevelAVX2, false},
		{"avx512-archsimd", Implementation{}, LevelAVX512, true},
		{"avx512", Implementation{}, LevelAVX512, false},
	}
	for _, s := range shapes {
		rng := rand.New(rand.NewPCG(1, uint64(s.m*s.n*s.k)))
		ar, ac := s.m, s.k
		if s.tA != blas.NoTrans {
			ar, ac = s.k, s.m
		}
		br, bc := s.k, s.n
		if s.tB != blas.NoTrans {
			br, bc = s.n, s.k
		}
		a := randSlice[T](rng, ar*ac)
		bm := randSlice[T](rng, br*bc)
		c := randSlice[T](rng, s.m*s.n)
		for _, im := range impls {
			b.Run(s.name+"/"+im.name, func(b *testing.B) {
				if im.level != LevelNone && !setLevel(b, im.level) {
					b.Skipf("this build or CPU has no %s kernels", im.level)
				}
				setAsm512(b, !im.archsimd)
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				cpu0 := cputime.Thread()
				for b.Loop() {
					gemm(im.impl, s.tA, s.tB, s.m, s.n, s.k, 1, a, ac, bm, bc, T(s.beta), c, s.n)
				}
				flops := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(b.N)
				b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				b.ReportMetric(flops/(cputime.Thread()-cpu0).Seconds()/1e9, "cpu-GFLOP/s")
			})
		}
	}
}

// edgeShapes are the trainer's other products at N = 2000 points: the
// first layer (input width 2, or 21 with a periodic embedding) and the
// output layer (width 1).
func edgeShapes() []pinnShape {
	const N = 2000
	return []pinnShape{
		{"first-forward-k2", blas.NoTrans, blas.NoTrans, 50, N, 2, 0},
		{"first-weight-n2", blas.NoTrans, blas.Trans, 50, 2, N, 1},
		{"first-forward-k21", blas.NoTrans, blas.NoTrans, 50, N, 21, 0},
		{"first-weight-n21", blas.NoTrans, blas.Trans, 50, 21, N, 1},
		{"first-input-m21", blas.Trans, blas.NoTrans, 21, N, 50, 0},
		{"output-forward-m1", blas.NoTrans, blas.NoTrans, 1, N, 50, 0},
		{"output-weight-m1", blas.NoTrans, blas.Trans, 1, 50, N, 1},
		{"output-input-k1", blas.Trans, blas.NoTrans, 50, N, 1, 0},
	}
}

// BenchmarkDgemmEdge is BenchmarkDgemm for the first and output layers.
func BenchmarkDgemmEdge(b *testing.B) {
	benchShapes[float64](b, edgeShapes())
}

// BenchmarkSgemmEdge is BenchmarkSgemm for the first and output layers.
func BenchmarkSgemmEdge(b *testing.B) {
	benchShapes[float32](b, edgeShapes())
}

func randSlice[T elem](rng *rand.Rand, n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(rng.Float64()*2 - 1)
	}
	return s
}
