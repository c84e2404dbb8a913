package simdblas

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas/gonum"
)

// TestLevel1 compares Ddot and Daxpy with gonum's at every kernel level,
// for lengths around every vector width and the trainer's parameter count,
// unit and other increments, and alpha = 0: within 2(n+1)·ε·Σ|x_i·y_i| for
// Ddot and 2ε·(|y| + |alpha·x|) per element for Daxpy; elements beyond n
// untouched. Invalid arguments panic as in gonum.
func TestLevel1(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(4, 4))
		ref := gonum.Implementation{}
		const eps = 0x1p-52
		for _, n := range []int{0, 1, 7, 31, 32, 33, 63, 64, 65, 100, 255, 1001, 7851} {
			for _, inc := range []int{1, 2} {
				x := randSlice[float64](rng, n*inc+3)
				y := randSlice[float64](rng, n*inc+3)
				got := Implementation{}.Ddot(n, x, inc, y, inc)
				want := ref.Ddot(n, x, inc, y, inc)
				bound := 0.0
				for i := 0; i < n; i++ {
					bound += math.Abs(x[i*inc] * y[i*inc])
				}
				if d := math.Abs(got - want); d > 2*float64(n+1)*eps*bound {
					t.Errorf("Ddot n=%d inc=%d: %v, gonum %v", n, inc, got, want)
				}
				for _, alpha := range []float64{0, 1, -0.37} {
					yg := append([]float64(nil), y...)
					yw := append([]float64(nil), y...)
					Implementation{}.Daxpy(n, alpha, x, inc, yg, inc)
					ref.Daxpy(n, alpha, x, inc, yw, inc)
					for i := range yg {
						tol := 2 * eps * (math.Abs(y[i]) + math.Abs(alpha*x[i]))
						if i >= n*inc && yg[i] != y[i] || math.Abs(yg[i]-yw[i]) > tol {
							t.Fatalf("Daxpy n=%d inc=%d alpha=%v: y[%d] = %v, gonum %v", n, inc, alpha, i, yg[i], yw[i])
						}
					}
				}
			}
		}
		for _, f := range []func(){
			func() { Implementation{}.Ddot(-1, nil, 1, nil, 1) },
			func() { Implementation{}.Ddot(100, make([]float64, 50), 1, make([]float64, 100), 1) },
			func() { Implementation{}.Daxpy(100, 2, make([]float64, 100), 1, make([]float64, 50), 1) },
		} {
			func() {
				defer func() {
					if recover() == nil {
						t.Error("no panic on invalid arguments")
					}
				}()
				f()
			}()
		}
	})
}

// TestMixed compares DotMixed, AxpyMixed, AxpyDot and AxpyDotMixed with float64 loops on the
// widened values at every kernel level, for lengths around every vector
// width and the trainer's parameter count.
func TestMixed(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(6, 6))
		const eps = 0x1p-52
		for _, n := range []int{0, 1, 5, 31, 32, 33, 47, 64, 65, 1001, 7851} {
			x := randSlice[float32](rng, n)
			y := randSlice[float64](rng, n+2)
			want, bound := 0.0, 0.0
			for i, v := range x {
				want += float64(v) * y[i]
				bound += math.Abs(float64(v) * y[i])
			}
			if got := DotMixed(x, y); math.Abs(got-want) > 2*float64(n+1)*eps*bound {
				t.Errorf("DotMixed n=%d: %v, want %v", n, got, want)
			}
			z32 := randSlice[float32](rng, n)
			z64 := widen(z32)
			for _, mixed := range []bool{false, true} {
				yg := append([]float64(nil), y...)
				var got float64
				if mixed {
					got = AxpyDotMixed(0.3, x, yg, z32)
				} else {
					got = AxpyDot(0.3, widen(x), yg, z64)
				}
				want, bound := 0.0, 0.0
				for i := range x {
					w := y[i] + 0.3*float64(x[i])
					if math.Abs(yg[i]-w) > 2*eps*(math.Abs(y[i])+1) {
						t.Fatalf("AxpyDot mixed=%v n=%d: y[%d] = %v, want %v", mixed, n, i, yg[i], w)
					}
					want += z64[i] * w
					bound += math.Abs(z64[i] * w)
				}
				if math.Abs(got-want) > 2*float64(n+2)*eps*(bound+1) || yg[n] != y[n] {
					t.Errorf("AxpyDot mixed=%v n=%d: %v, want %v", mixed, n, got, want)
				}
			}
			yg := append([]float64(nil), y...)
			AxpyMixed(-0.7, x, yg)
			for i := range yg {
				w := y[i]
				if i < n {
					w += -0.7 * float64(x[i])
				}
				if math.Abs(yg[i]-w) > 2*eps*(math.Abs(y[i])+1) || i >= n && yg[i] != y[i] {
					t.Fatalf("AxpyMixed n=%d: y[%d] = %v, want %v", n, i, yg[i], w)
				}
			}
		}
	})
}
