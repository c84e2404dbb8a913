package simdblas

import (
	"fmt"
	"math/rand/v2"
	"testing"

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

// BenchmarkDgemm compares gonum's Dgemm with Implementation's on the
// trainer's shapes, reporting GFLOP/s (2·m·n·k per call). Compare the two
// in the same run: on a loaded machine only the ratio is meaningful. Run
// with -cpu 1 for a one-core comparison (gonum parallelises the forward
// and input products over GOMAXPROCS; Implementation does not).
func BenchmarkDgemm(b *testing.B) {
	benchShapes(b, append(pinnShapes(2000), pinnShapes(10000)...))
}

func benchShapes(b *testing.B, shapes []pinnShape) {
	impls := []struct {
		name string
		impl Dgemmer
	}{
		{"gonum", gonum.Implementation{}},
		{"simdblas", Implementation{}},
	}
	for _, s := range shapes {
		{
			rng := rand.New(rand.NewPCG(1, uint64(s.m*s.n*s.k)))
			ar, ac := s.m, s.k
			if s.tA != blas.NoTrans {
				ar, ac = s.k, s.m
			}
			br, bc := s.k, s.n
			if s.tB != blas.NoTrans {
				br, bc = s.n, s.k
			}
			a := randSlice(rng, ar*ac)
			bm := randSlice(rng, br*bc)
			c := randSlice(rng, s.m*s.n)
			for _, im := range impls {
				b.Run(s.name+"/"+im.name, func(b *testing.B) {
					for b.Loop() {
						im.impl.Dgemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, ac, bm, bc, s.beta, c, s.n)
					}
					flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
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
	benchShapes(b, edgeShapes())
}

func randSlice(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = rng.Float64()*2 - 1
	}
	return s
}
