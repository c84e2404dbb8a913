package simdblas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	"gonum.org/v1/gonum/blas/testblas"
)

var transposes = []blas.Transpose{blas.NoTrans, blas.Trans}

func tname(t blas.Transpose) string {
	if t == blas.NoTrans {
		return "N"
	}
	return "T"
}

// TestConformance runs gonum's Dgemm conformance suite against
// Implementation: with the default tiny-problem threshold, with the
// kernels forced on every size, and (in the simd build) with the kernels
// disabled as on a CPU without AVX2/FMA.
func TestConformance(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		testblas.TestDgemm(t, Implementation{})
	})
	t.Run("kernels", func(t *testing.T) {
		setMinWork(t, 0)
		testblas.TestDgemm(t, Implementation{})
	})
	t.Run("fallback", func(t *testing.T) {
		setKernels(t, false)
		testblas.TestDgemm(t, Implementation{})
	})
}

// TestAccelerated checks that Accelerated matches the build.
func TestAccelerated(t *testing.T) {
	if !kernelBuild && Accelerated() {
		t.Fatal("Accelerated() = true in a build without kernels")
	}
	t.Logf("kernel build %v, Accelerated() = %v", kernelBuild, Accelerated())
}

// sentinel fills the padding of matrices and C's NaN tests.
var sentinel = math.Float64frombits(0x7ff8_dead_beef_0001) // a NaN

// dgemmCase is one randomized comparison against gonum.
type dgemmCase struct {
	tA, tB      blas.Transpose
	m, n, k     int
	alpha, beta float64
	padA, padB  int // extra leading-dimension columns
	padC        int
}

func (tc dgemmCase) String() string {
	return fmt.Sprintf("%s%s/m=%d,n=%d,k=%d/alpha=%v,beta=%v/pad=%d,%d,%d",
		tname(tc.tA), tname(tc.tB), tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.padA, tc.padB, tc.padC)
}

// randMatrix returns an r×c matrix with leading dimension c+pad, the
// padding set to sentinel.
func randMatrix(rng *rand.Rand, r, c, pad int) ([]float64, int) {
	ld := c + pad
	if ld == 0 {
		ld = 1
	}
	s := make([]float64, max(0, (r-1)*ld+c))
	for i := range s {
		if i%ld < c {
			s[i] = rng.Float64()*2 - 1
		} else {
			s[i] = sentinel
		}
	}
	return s, ld
}

// checkCase runs one case through Implementation and through gonum and
// compares: every element of C within a rounding bound of gonum's, C's
// padding untouched, A and B unchanged. It reports with t.Errorf only, so
// it may run on any goroutine.
func checkCase(t *testing.T, rng *rand.Rand, tc dgemmCase) {
	t.Helper()
	ar, ac := tc.m, tc.k
	if tc.tA != blas.NoTrans {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.tB != blas.NoTrans {
		br, bc = tc.n, tc.k
	}
	a, lda := randMatrix(rng, ar, ac, tc.padA)
	b, ldb := randMatrix(rng, br, bc, tc.padB)
	c, ldc := randMatrix(rng, tc.m, tc.n, tc.padC)
	if tc.beta == 0 {
		// beta = 0 must overwrite C, NaN included.
		for i := range c {
			if i%ldc < tc.n {
				c[i] = math.NaN()
			}
		}
	}
	a0 := append([]float64(nil), a...)
	b0 := append([]float64(nil), b...)
	want := append([]float64(nil), c...)
	if tc.beta == 0 {
		clear(want) // gonum computes 0·NaN-free too, but start clean
	}
	gonum.Implementation{}.Dgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, want, ldc)

	// Error bound: |alpha|·(|op(A)|·|op(B)|) + |beta|·|C|, times the
	// rounding of a k-term sum done twice (ours and gonum's).
	absA := make([]float64, len(a))
	for i, v := range a {
		absA[i] = math.Abs(v)
		if i%lda >= ac {
			absA[i] = 0
		}
	}
	absB := make([]float64, len(b))
	for i, v := range b {
		absB[i] = math.Abs(v)
		if i%ldb >= bc {
			absB[i] = 0
		}
	}
	bound := make([]float64, len(c))
	if tc.beta != 0 {
		for i, v := range c {
			if i%ldc < tc.n {
				bound[i] = math.Abs(tc.beta * v)
			}
		}
	}
	gonum.Implementation{}.Dgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, math.Abs(tc.alpha), absA, lda, absB, ldb, 1, bound, ldc)

	got := c
	Implementation{}.Dgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, got, ldc)

	const eps = 0x1p-52
	tol := 2 * float64(tc.k+2) * eps
	bad := 0
	for i := range got {
		if i%ldc >= tc.n {
			if math.Float64bits(got[i]) != math.Float64bits(sentinel) {
				t.Errorf("%v: C padding at %d changed to %v", tc, i, got[i])
				return
			}
			continue
		}
		if d := math.Abs(got[i] - want[i]); !(d <= tol*bound[i]) {
			if bad < 5 {
				t.Errorf("%v: C[%d,%d] = %v, gonum %v (diff %.3g, bound %.3g)",
					tc, i/ldc, i%ldc, got[i], want[i], d, tol*bound[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%v: %d wrong elements", tc, bad)
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(a0[i]) {
			t.Errorf("%v: A changed at %d", tc, i)
			return
		}
	}
	for i := range b {
		if math.Float64bits(b[i]) != math.Float64bits(b0[i]) {
			t.Errorf("%v: B changed at %d", tc, i)
			return
		}
	}
}

// TestDgemmRandom compares Implementation with gonum on a grid of edge
// sizes for all four transpose combinations, with padded leading
// dimensions and alpha, beta cycling through 1, −0.7, 2.5 and 0, 1, 0.3,
// −1.5 (beta = 0 with NaN in C). The packB subtest repeats the products
// with B not transposed while forcing the outer-product path to pack B in
// blocks, which it otherwise does only for large B.
func TestDgemmRandom(t *testing.T) {
	setMinWork(t, 0)
	t.Run("default", func(t *testing.T) { randomGrid(t, transposes) })
	t.Run("packB", func(t *testing.T) {
		setPackBMin(t, 0)
		randomGrid(t, []blas.Transpose{blas.NoTrans})
	})
}

func randomGrid(t *testing.T, tBs []blas.Transpose) {
	rng := rand.New(rand.NewPCG(7, 11))
	ms := []int{1, 2, 3, 4, 5, 7, 8, 9, 49, 50, 51}
	ns := []int{1, 2, 3, 7, 8, 9, 16, 17, 1001}
	ks := []int{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 21, 50, 129, 300}
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
						tc := dgemmCase{
							tA: tA, tB: tB, m: m, n: n, k: k,
							alpha: alphas[count%len(alphas)],
							beta:  betas[(count/len(alphas))%len(betas)],
							padA:  rng.IntN(3), padB: rng.IntN(3), padC: rng.IntN(3),
						}
						count++
						checkCase(t, rng, tc)
					}
				}
			}
		}
	}
	t.Logf("%d cases", count)
}

// TestDgemmBlocking covers sizes past the blocking parameters: k beyond
// one k block of both paths, m beyond one row block, n beyond one packed
// block of B (5003 columns by 60 rows is above packBMinBytes), and large
// leading dimensions.
func TestDgemmBlocking(t *testing.T) {
	setMinWork(t, 0)
	rng := rand.New(rand.NewPCG(3, 5))
	shapes := [][3]int{
		{67, 33, 129}, {130, 17, 257}, {64, 64, 128}, {65, 9, 513},
		{50, 50, 1000}, {51, 49, 777}, {5, 130, 600}, {129, 3, 300},
		{9, 5003, 60}, {6, 600, 140},
	}
	for _, s := range shapes {
		for _, tA := range transposes {
			for _, tB := range transposes {
				for _, beta := range []float64{0, 1, 0.5} {
					checkCase(t, rng, dgemmCase{
						tA: tA, tB: tB, m: s[0], n: s[1], k: s[2],
						alpha: 1.25, beta: beta,
						padA: rng.IntN(20), padB: rng.IntN(20), padC: rng.IntN(20),
					})
				}
			}
		}
	}
}

// TestDgemmPINN checks the trainer's shapes: the forward product
// (NoTrans, NoTrans), the weight gradient (NoTrans, Trans, beta = 1) and
// the input gradient (Trans, NoTrans), for hidden, first (width 2 or 21)
// and output (width 1) layers.
func TestDgemmPINN(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pts := []int{1, 3, 7, 8, 9, 500, 1001, 2000}
	if !testing.Short() {
		pts = append(pts, 10000)
	}
	for _, N := range pts {
		for _, w := range [][2]int{{50, 50}, {50, 2}, {50, 21}, {1, 50}, {2, 50}, {49, 51}} {
			out, in := w[0], w[1]
			checkCase(t, rng, dgemmCase{tA: blas.NoTrans, tB: blas.NoTrans, m: out, n: N, k: in, alpha: 1, beta: 0})
			checkCase(t, rng, dgemmCase{tA: blas.NoTrans, tB: blas.Trans, m: out, n: in, k: N, alpha: 1, beta: 1})
			checkCase(t, rng, dgemmCase{tA: blas.Trans, tB: blas.NoTrans, m: in, n: N, k: out, alpha: 1, beta: 0})
		}
	}
}

// TestDgemmSpecial checks the quick returns: alpha = 0 and k = 0 scale C
// by beta, and m = 0 or n = 0 does nothing. With the kernels, alpha = 0
// must not read A or B, so NaN there must not propagate (as in the
// reference BLAS); gonum's Dgemm computes 0·NaN, so without the kernels A
// and B hold ones instead.
func TestDgemmSpecial(t *testing.T) {
	setMinWork(t, 0)
	nan := math.NaN()
	if !Accelerated() {
		nan = 1
	}
	for _, tc := range []struct {
		name        string
		k           int
		alpha, beta float64
		want        float64 // every element of C, which starts at 2
	}{
		{"alpha0-beta0", 3, 0, 0, 0},
		{"alpha0-beta1", 3, 0, 1, 2},
		{"alpha0-beta3", 3, 0, 3, 6},
		{"k0-beta0", 0, 1, 0, 0},
		{"k0-beta-half", 0, 1, -0.5, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const m, n = 5, 9
			k := tc.k
			a := make([]float64, m*max(k, 1))
			b := make([]float64, max(k, 1)*n)
			for i := range a {
				a[i] = nan
			}
			for i := range b {
				b[i] = nan
			}
			c := make([]float64, m*n)
			for i := range c {
				c[i] = 2
			}
			Implementation{}.Dgemm(blas.NoTrans, blas.NoTrans, m, n, k, tc.alpha, a, max(k, 1), b, n, tc.beta, c, n)
			for i, v := range c {
				if v != tc.want {
					t.Fatalf("C[%d] = %v, want %v", i, v, tc.want)
				}
			}
		})
	}
	t.Run("empty", func(t *testing.T) {
		Implementation{}.Dgemm(blas.NoTrans, blas.NoTrans, 0, 5, 3, 1, nil, 3, make([]float64, 15), 5, 0, nil, 5)
		Implementation{}.Dgemm(blas.NoTrans, blas.NoTrans, 5, 0, 3, 1, make([]float64, 15), 3, nil, 1, 0, nil, 1)
	})
}

// TestDgemmPanics checks that invalid arguments panic with gonum's
// messages.
func TestDgemmPanics(t *testing.T) {
	a := make([]float64, 100)
	for _, tc := range []struct {
		name             string
		tA, tB           blas.Transpose
		m, n, k          int
		lda, ldb, ldc    int
		lenA, lenB, lenC int
	}{
		{"tA", 'X', blas.NoTrans, 2, 2, 2, 2, 2, 2, 4, 4, 4},
		{"tB", blas.NoTrans, 'X', 2, 2, 2, 2, 2, 2, 4, 4, 4},
		{"m", blas.NoTrans, blas.NoTrans, -1, 2, 2, 2, 2, 2, 4, 4, 4},
		{"n", blas.NoTrans, blas.NoTrans, 2, -1, 2, 2, 2, 2, 4, 4, 4},
		{"k", blas.NoTrans, blas.NoTrans, 2, 2, -1, 2, 2, 2, 4, 4, 4},
		{"lda", blas.NoTrans, blas.NoTrans, 2, 2, 3, 2, 2, 2, 6, 6, 4},
		{"ldaT", blas.Trans, blas.NoTrans, 3, 2, 2, 2, 2, 2, 6, 6, 6},
		{"ldb", blas.NoTrans, blas.NoTrans, 2, 3, 2, 2, 2, 3, 4, 6, 6},
		{"ldbT", blas.NoTrans, blas.Trans, 2, 2, 3, 3, 2, 2, 6, 6, 4},
		{"ldc", blas.NoTrans, blas.NoTrans, 2, 3, 2, 2, 3, 2, 4, 6, 6},
		{"shortA", blas.NoTrans, blas.NoTrans, 2, 2, 2, 2, 2, 2, 3, 4, 4},
		{"shortB", blas.NoTrans, blas.NoTrans, 2, 2, 2, 2, 2, 2, 4, 3, 4},
		{"shortC", blas.NoTrans, blas.NoTrans, 2, 2, 2, 2, 2, 2, 4, 4, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			call := func(impl Dgemmer) (msg any) {
				defer func() { msg = recover() }()
				impl.Dgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, a[:tc.lenA], tc.lda, a[:tc.lenB], tc.ldb, 0, make([]float64, tc.lenC), tc.ldc)
				return nil
			}
			want := call(gonum.Implementation{})
			got := call(Implementation{})
			if want == nil {
				t.Fatal("gonum did not panic; bad test case")
			}
			if got != want {
				t.Fatalf("panic %v, gonum %v", got, want)
			}
		})
	}
}

// Dgemmer is the method under test.
type Dgemmer = testblas.Dgemmer

// TestFallbackMatchesGonum checks that without the kernels (another build,
// or a CPU without AVX2/FMA) and for tiny problems, Dgemm is exactly
// gonum's, bit for bit.
func TestFallbackMatchesGonum(t *testing.T) {
	check := func(t *testing.T, m, n, k int) {
		rng := rand.New(rand.NewPCG(uint64(m), uint64(n*1000+k)))
		for _, tA := range transposes {
			for _, tB := range transposes {
				ar, ac := m, k
				if tA != blas.NoTrans {
					ar, ac = k, m
				}
				br, bc := k, n
				if tB != blas.NoTrans {
					br, bc = n, k
				}
				a, lda := randMatrix(rng, ar, ac, 1)
				b, ldb := randMatrix(rng, br, bc, 2)
				c, ldc := randMatrix(rng, m, n, 0)
				want := append([]float64(nil), c...)
				gonum.Implementation{}.Dgemm(tA, tB, m, n, k, 0.75, a, lda, b, ldb, 0.5, want, ldc)
				Implementation{}.Dgemm(tA, tB, m, n, k, 0.75, a, lda, b, ldb, 0.5, c, ldc)
				for i := range c {
					if math.Float64bits(c[i]) != math.Float64bits(want[i]) {
						t.Fatalf("%s%s m=%d n=%d k=%d: C[%d] = %v, gonum %v", tname(tA), tname(tB), m, n, k, i, c[i], want[i])
					}
				}
			}
		}
	}
	t.Run("no-kernels", func(t *testing.T) {
		setKernels(t, false)
		check(t, 50, 300, 50)
		check(t, 7, 9, 130)
	})
	t.Run("tiny", func(t *testing.T) {
		check(t, 3, 5, 7) // m·n·k = 105 < minWork
	})
}

// TestDgemmConjTrans checks that ConjTrans is treated as Trans.
func TestDgemmConjTrans(t *testing.T) {
	setMinWork(t, 0)
	rng := rand.New(rand.NewPCG(9, 9))
	for _, tA := range []blas.Transpose{blas.NoTrans, blas.ConjTrans} {
		for _, tB := range []blas.Transpose{blas.NoTrans, blas.ConjTrans} {
			checkCase(t, rng, dgemmCase{tA: tA, tB: tB, m: 13, n: 29, k: 37, alpha: 1.5, beta: 0.5, padA: 1, padB: 2, padC: 3})
		}
	}
}

// TestDgemmConcurrent runs products from several goroutines at once (the
// kernels share pooled workspaces), each checked against gonum; run it
// with -race.
func TestDgemmConcurrent(t *testing.T) {
	setMinWork(t, 0)
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			rng := rand.New(rand.NewPCG(uint64(g), 99))
			for i := range 20 {
				tA := transposes[i%2]
				tB := transposes[(i/2)%2]
				checkCase(t, rng, dgemmCase{tA: tA, tB: tB, m: 50 + g, n: 300 + i, k: 50 + 7*i, alpha: 1, beta: float64(i % 2)})
			}
		}()
	}
	for range 4 {
		<-done
	}
}
