package simdblas

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// TestGemmRandom compares Implementation with the reference on a grid of
// edge sizes for all four transpose combinations, with padded leading
// dimensions and alpha, beta cycling through 1, −0.7, 2.5 and 0, 1, 0.3,
// −1.5 (beta = 0 with NaN in C). The packB subtest repeats the products
// with B not transposed while forcing the outer-product path to pack B in
// blocks, which it otherwise does only for large B.
func TestGemmRandom(t *testing.T) {
	setMinWork(t, 0)
	run := func(grid func(*testing.T, []blas.Transpose)) func(*testing.T) {
		return func(t *testing.T) {
			t.Run("default", func(t *testing.T) { grid(t, transposes) })
			t.Run("packB", func(t *testing.T) {
				setPackBMin(t, 0)
				grid(t, []blas.Transpose{blas.NoTrans})
			})
		}
	}
	forKernelTypes(t, run(randomGrid[float64]), run(randomGrid[float32]))
}

func randomGrid[T elem](t *testing.T, tBs []blas.Transpose) {
	rng := rand.New(rand.NewPCG(7, 11))
	ms := []int{1, 2, 3, 4, 5, 7, 8, 9, 49, 50, 51}
	ns := []int{1, 2, 3, 7, 8, 9, 16, 17, 33, 1001}
	ks := []int{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 21, 33, 50, 65, 129, 300}
	alphas := []float64{1, -0.7, 2.5}
	betas := []float64{0, 1, 0.3, -1.5}
	count := 0
	for _, tA := range transposes {
		for _, tB := range tBs {
			for _, m := range ms {
				for _, n := range ns {
					for _, k := range ks {
						if testing.Short() && m*n*k > 200_000 {
							continue
						}
						tc := gemmCase{
							tA: tA, tB: tB, m: m, n: n, k: k,
							alpha: alphas[count%len(alphas)],
							beta:  betas[(count/len(alphas))%len(betas)],
							padA:  rng.IntN(3), padB: rng.IntN(3), padC: rng.IntN(3),
						}
						count++
						checkCase[T](t, rng, tc)
					}
				}
			}
		}
	}
	t.Logf("%d cases", count)
}

// TestGemmBlocking covers sizes past the blocking parameters: k beyond
// one k block of both paths, m beyond one row block, n beyond one packed
// block of B (5003 columns by 60 rows is above packBMinBytes in float64),
// and large leading dimensions.
func TestGemmBlocking(t *testing.T) {
	setMinWork(t, 0)
	forKernelTypes(t, blocking[float64], blocking[float32])
}

func blocking[T elem](t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	shapes := [][3]int{
		{67, 33, 129}, {130, 17, 257}, {64, 64, 128}, {65, 9, 513},
		{50, 50, 1000}, {51, 49, 777}, {5, 130, 600}, {129, 3, 300},
		{9, 5003, 60}, {6, 600, 140}, {5, 9000, 70},
	}
	for _, s := range shapes {
		for _, tA := range transposes {
			for _, tB := range transposes {
				for _, beta := range []float64{0, 1, 0.5} {
					checkCase[T](t, rng, gemmCase{
						tA: tA, tB: tB, m: s[0], n: s[1], k: s[2],
						alpha: 1.25, beta: beta,
						padA: rng.IntN(20), padB: rng.IntN(20), padC: rng.IntN(20),
					})
				}
			}
		}
	}
}

// TestGemmPINN checks the trainer's shapes: the forward product
// (NoTrans, NoTrans), the weight gradient (NoTrans, Trans, beta = 1) and
// the input gradient (Trans, NoTrans), for hidden layers (with and
// without the bias folded in as a 51st input), first (width 2, 3 or 21)
// and output (width 1) layers.
func TestGemmPINN(t *testing.T) {
	forKernelTypes(t, pinn[float64], pinn[float32])
}

func pinn[T elem](t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pts := []int{1, 3, 7, 8, 9, 200, 256, 500, 1001, 2000}
	if !testing.Short() {
		pts = append(pts, 10000)
	}
	for _, N := range pts {
		for _, w := range [][2]int{{50, 50}, {50, 51}, {50, 2}, {50, 3}, {50, 21}, {1, 50}, {1, 51}, {2, 50}, {49, 51}, {200, 201}} {
			out, in := w[0], w[1]
			checkCase[T](t, rng, gemmCase{tA: blas.NoTrans, tB: blas.NoTrans, m: out, n: N, k: in, alpha: 1, beta: 0})
			checkCase[T](t, rng, gemmCase{tA: blas.NoTrans, tB: blas.Trans, m: out, n: in, k: N, alpha: 1, beta: 1})
			checkCase[T](t, rng, gemmCase{tA: blas.Trans, tB: blas.NoTrans, m: in, n: N, k: out, alpha: 1, beta: 0})
		}
	}
}
