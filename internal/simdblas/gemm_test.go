package simdblas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	"gonum.org/v1/gonum/blas/testblas"

	"github.com/pinnsweep/pinnsweep/internal/simdlevel"
)

var transposes = []blas.Transpose{blas.NoTrans, blas.Trans}

func tname(t blas.Transpose) string {
	if t == blas.NoTrans {
		return "N"
	}
	return "T"
}

// requireAVX512 makes a missing AVX-512 path a failure instead of a skip
// (CI machines have AVX-512; a skip there would hide a regression).
var requireAVX512 = os.Getenv("PINNSWEEP_REQUIRE_AVX512") == "1"

// forLevels runs f as one subtest per kernel level: gonum (no kernels),
// avx2, avx512 (the assembly kernels) and avx512-archsimd (the archsimd
// kernels of the same width, kept for comparison), as far as this build
// and CPU can run them. A level the build or CPU lacks is skipped, saying
// why; in a kernel build (with GOEXPERIMENT=simd) a missing AVX-512 fails
// with PINNSWEEP_REQUIRE_AVX512=1.
func forLevels(t *testing.T, f func(t *testing.T)) {
	for _, v := range []struct {
		lv       Level
		archsimd bool
	}{{LevelNone, false}, {LevelAVX2, false}, {LevelAVX512, false}, {LevelAVX512, true}} {
		lv := v.lv
		name := lv.String()
		if v.archsimd {
			name += "-archsimd"
		}
		t.Run(name, func(t *testing.T) {
			setAsm512(t, !v.archsimd)
			if !setLevel(t, lv) {
				msg := fmt.Sprintf("kernel level %s: this build or CPU supports up to %s (kernel build %v)", lv, cpuLevel(), kernelBuild)
				if requireAVX512 && lv == LevelAVX512 && kernelBuild {
					t.Fatal(msg + "; PINNSWEEP_REQUIRE_AVX512=1")
				}
				t.Skip(msg)
			}
			f(t)
		})
	}
}

// TestConformance runs gonum's Dgemm conformance suite against
// Implementation at every kernel level: with the default tiny-problem
// threshold and with the kernels forced on every size.
func TestConformance(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		t.Run("default", func(t *testing.T) {
			testblas.TestDgemm(t, Implementation{})
		})
		t.Run("kernels", func(t *testing.T) {
			setMinWork(t, 0)
			testblas.TestDgemm(t, Implementation{})
		})
	})
}

// TestAccelerated checks that Accelerated and Kernels match the build.
func TestAccelerated(t *testing.T) {
	f64, f32 := Kernels()
	if !kernelBuild && (Accelerated() || f64 != LevelNone || f32 != LevelNone) {
		t.Fatalf("kernel levels %v, %v in a build without kernels", f64, f32)
	}
	if want := simdlevel.Start(); kernelBuild && (f64 != want || f32 != want) {
		t.Fatalf("Kernels() = %v, %v; the start-up level is %v", f64, f32, want)
	}
	t.Logf("kernel build %v, Kernels() = %v, %v", kernelBuild, f64, f32)
}

// elem is an element type of the products under test.
type elem interface{ float32 | float64 }

// gemm calls Dgemm or Sgemm of impl, by the element type.
func gemm[T elem](impl any, tA, tB blas.Transpose, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	switch a := any(a).(type) {
	case []float64:
		impl.(blas.Float64).Dgemm(tA, tB, m, n, k, float64(alpha), a, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	case []float32:
		impl.(blas.Float32).Sgemm(tA, tB, m, n, k, float32(alpha), a, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	}
}

// isFloat32 reports whether T is float32.
func isFloat32[T elem]() bool {
	var z T
	_, ok := any(z).(float32)
	return ok
}

// sentinel fills the padding of matrices and C's NaN tests: a NaN with a
// recognisable payload, and its bits.
var sentinel = math.Float64frombits(0x7ff8_dead_beef_0001)

func sentinelOf[T elem]() T {
	if isFloat32[T]() {
		return T(math.Float32frombits(0x7fc0_dead))
	}
	return T(sentinel)
}

func bitsEqual[T elem](x, y T) bool {
	if isFloat32[T]() {
		return math.Float32bits(float32(x)) == math.Float32bits(float32(y))
	}
	return math.Float64bits(float64(x)) == math.Float64bits(float64(y))
}

// gemmCase is one randomized comparison against the reference.
type gemmCase struct {
	tA, tB      blas.Transpose
	m, n, k     int
	alpha, beta float64
	padA, padB  int // extra leading-dimension columns
	padC        int
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("%s%s/m=%d,n=%d,k=%d/alpha=%v,beta=%v/pad=%d,%d,%d",
		tname(tc.tA), tname(tc.tB), tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.padA, tc.padB, tc.padC)
}

// randMatrix returns an r×c matrix with leading dimension c+pad, the
// padding set to the sentinel.
func randMatrix[T elem](rng *rand.Rand, r, c, pad int) ([]T, int) {
	ld := c + pad
	if ld == 0 {
		ld = 1
	}
	s := make([]T, max(0, (r-1)*ld+c))
	for i := range s {
		if i%ld < c {
			s[i] = T(rng.Float64()*2 - 1)
		} else {
			s[i] = sentinelOf[T]()
		}
	}
	return s, ld
}

func widen[T elem](s []T) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

// checkCase runs one case through Implementation (Dgemm or Sgemm, by T)
// and through a float64 reference (gonum's Dgemm on the same values,
// which float32 inputs convert to exactly) and compares: every element of
// C within a rounding bound of the reference, C's padding untouched, A and
// B unchanged. It reports with t.Errorf only, so it may run on any
// goroutine.
func checkCase[T elem](t *testing.T, rng *rand.Rand, tc gemmCase) {
	t.Helper()
	ar, ac := tc.m, tc.k
	if tc.tA != blas.NoTrans {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.tB != blas.NoTrans {
		br, bc = tc.n, tc.k
	}
	a, lda := randMatrix[T](rng, ar, ac, tc.padA)
	b, ldb := randMatrix[T](rng, br, bc, tc.padB)
	c, ldc := randMatrix[T](rng, tc.m, tc.n, tc.padC)
	if tc.beta == 0 {
		// beta = 0 must overwrite C, NaN included.
		for i := range c {
			if i%ldc < tc.n {
				c[i] = T(math.NaN())
			}
		}
	}
	a0 := append([]T(nil), a...)
	b0 := append([]T(nil), b...)
	want := widen(c)
	if tc.beta == 0 {
		clear(want)
	}
	alpha, beta := T(tc.alpha), T(tc.beta) // the values the product sees
	ref := gonum.Implementation{}
	ref.Dgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, float64(alpha), widen(a), lda, widen(b), ldb, float64(beta), want, ldc)

	// Error bound: |alpha|·(|op(A)|·|op(B)|) + |beta|·|C|, times the
	// rounding of a k-term sum done twice (float64: ours and the
	// reference's; float32: ours, the reference being far more accurate).
	abs := func(s []T, ld, cols int) []float64 {
		out := make([]float64, len(s))
		for i, v := range s {
			if i%ld < cols {
				out[i] = math.Abs(float64(v))
			}
		}
		return out
	}
	bound := make([]float64, len(c))
	if tc.beta != 0 {
		for i, v := range c {
			if i%ldc < tc.n {
				bound[i] = math.Abs(float64(beta) * float64(v))
			}
		}
	}
	ref.Dgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, math.Abs(float64(alpha)), abs(a, lda, ac), lda, abs(b, ldb, bc), ldb, 1, bound, ldc)

	got := c
	gemm(Implementation{}, tc.tA, tc.tB, tc.m, tc.n, tc.k, alpha, a, lda, b, ldb, beta, got, ldc)

	eps := 0x1p-52
	if isFloat32[T]() {
		eps = 0x1p-23
	}
	tol := 2 * float64(tc.k+2) * eps
	bad := 0
	for i := range got {
		if i%ldc >= tc.n {
			if !bitsEqual(got[i], sentinelOf[T]()) {
				t.Errorf("%v: C padding at %d changed to %v", tc, i, got[i])
				return
			}
			continue
		}
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= tol*bound[i]) {
			if bad < 5 {
				t.Errorf("%v: C[%d,%d] = %v, reference %v (diff %.3g, bound %.3g)",
					tc, i/ldc, i%ldc, got[i], want[i], d, tol*bound[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%v: %d wrong elements", tc, bad)
	}
	for i := range a {
		if !bitsEqual(a[i], a0[i]) {
			t.Errorf("%v: A changed at %d", tc, i)
			return
		}
	}
	for i := range b {
		if !bitsEqual(b[i], b0[i]) {
			t.Errorf("%v: B changed at %d", tc, i)
			return
		}
	}
}

// forTypes runs f for float64 (Dgemm) and float32 (Sgemm) at every kernel
// level, gonum's included.
func forTypes(t *testing.T, f64 func(t *testing.T), f32 func(t *testing.T)) {
	t.Run("float64", func(t *testing.T) { forLevels(t, f64) })
	t.Run("float32", func(t *testing.T) { forLevels(t, f32) })
}

// forKernelTypes is forTypes at the kernel levels only: the randomized
// comparisons test the kernels, and TestFallbackMatchesGonum already shows
// that without them the products are gonum's, bit for bit.
func forKernelTypes(t *testing.T, f64 func(t *testing.T), f32 func(t *testing.T)) {
	kernels := func(f func(t *testing.T)) func(t *testing.T) {
		return func(t *testing.T) {
			forLevels(t, func(t *testing.T) {
				if f64, _ := Kernels(); f64 == LevelNone {
					t.Skip("gonum's products: see TestFallbackMatchesGonum")
				}
				f(t)
			})
		}
	}
	t.Run("float64", kernels(f64))
	t.Run("float32", kernels(f32))
}

// TestGemmSpecial checks the quick returns: alpha = 0 and k = 0 scale C
// by beta, and m = 0 or n = 0 does nothing. With the kernels, alpha = 0
// must not read A or B, so NaN there must not propagate (as in the
// reference BLAS); gonum's Dgemm computes 0·NaN, so without the kernels A
// and B hold ones instead.
func TestGemmSpecial(t *testing.T) {
	setMinWork(t, 0)
	forTypes(t, special[float64], special[float32])
}

func special[T elem](t *testing.T) {
	nan := T(math.NaN())
	if f64, _ := Kernels(); f64 == LevelNone {
		nan = 1
	}
	for _, tc := range []struct {
		name        string
		k           int
		alpha, beta T
		want        T // every element of C, which starts at 2
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
			a := make([]T, m*max(k, 1))
			b := make([]T, max(k, 1)*n)
			for i := range a {
				a[i] = nan
			}
			for i := range b {
				b[i] = nan
			}
			c := make([]T, m*n)
			for i := range c {
				c[i] = 2
			}
			gemm(Implementation{}, blas.NoTrans, blas.NoTrans, m, n, k, tc.alpha, a, max(k, 1), b, n, tc.beta, c, n)
			for i, v := range c {
				if v != tc.want {
					t.Fatalf("C[%d] = %v, want %v", i, v, tc.want)
				}
			}
		})
	}
	t.Run("empty", func(t *testing.T) {
		gemm(Implementation{}, blas.NoTrans, blas.NoTrans, 0, 5, 3, 1, nil, 3, make([]T, 15), 5, 0, nil, 5)
		gemm(Implementation{}, blas.NoTrans, blas.NoTrans, 5, 0, 3, 1, make([]T, 15), 3, nil, 1, 0, nil, 1)
	})
}

// TestGemmPanics checks that invalid arguments panic with gonum's
// messages, for Dgemm and Sgemm.
func TestGemmPanics(t *testing.T) {
	forTypes(t, panics[float64], panics[float32])
}

func panics[T elem](t *testing.T) {
	a := make([]T, 100)
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
			call := func(impl any) (msg any) {
				defer func() { msg = recover() }()
				gemm(impl, tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, a[:tc.lenA], tc.lda, a[:tc.lenB], tc.ldb, 0, make([]T, tc.lenC), tc.ldc)
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
// or a CPU without AVX2/FMA) and for tiny problems, Dgemm and Sgemm are
// exactly gonum's, bit for bit.
func TestFallbackMatchesGonum(t *testing.T) {
	t.Run("float64", fallback[float64])
	t.Run("float32", fallback[float32])
}

func fallback[T elem](t *testing.T) {
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
				a, lda := randMatrix[T](rng, ar, ac, 1)
				b, ldb := randMatrix[T](rng, br, bc, 2)
				c, ldc := randMatrix[T](rng, m, n, 0)
				want := append([]T(nil), c...)
				gemm(gonum.Implementation{}, tA, tB, m, n, k, 0.75, a, lda, b, ldb, 0.5, want, ldc)
				gemm(Implementation{}, tA, tB, m, n, k, 0.75, a, lda, b, ldb, 0.5, c, ldc)
				for i := range c {
					if !bitsEqual(c[i], want[i]) {
						t.Fatalf("%s%s m=%d n=%d k=%d: C[%d] = %v, gonum %v", tname(tA), tname(tB), m, n, k, i, c[i], want[i])
					}
				}
			}
		}
	}
	t.Run("no-kernels", func(t *testing.T) {
		setLevel(t, LevelNone)
		check(t, 50, 300, 50)
		check(t, 7, 9, 130)
	})
	t.Run("tiny", func(t *testing.T) {
		check(t, 3, 5, 7) // m·n·k = 105 < minWork
	})
}

// TestGemmConjTrans checks that ConjTrans is treated as Trans.
func TestGemmConjTrans(t *testing.T) {
	setMinWork(t, 0)
	conj := func(t *testing.T, f32 bool) {
		rng := rand.New(rand.NewPCG(9, 9))
		for _, tA := range []blas.Transpose{blas.NoTrans, blas.ConjTrans} {
			for _, tB := range []blas.Transpose{blas.NoTrans, blas.ConjTrans} {
				tc := gemmCase{tA: tA, tB: tB, m: 13, n: 29, k: 37, alpha: 1.5, beta: 0.5, padA: 1, padB: 2, padC: 3}
				if f32 {
					checkCase[float32](t, rng, tc)
				} else {
					checkCase[float64](t, rng, tc)
				}
			}
		}
	}
	forKernelTypes(t, func(t *testing.T) { conj(t, false) }, func(t *testing.T) { conj(t, true) })
}

// TestGemmConcurrent runs products from several goroutines at once (the
// kernels share pooled workspaces), each checked against the reference;
// run it with -race.
func TestGemmConcurrent(t *testing.T) {
	setMinWork(t, 0)
	forKernelTypes(t, concurrent[float64], concurrent[float32])
}

func concurrent[T elem](t *testing.T) {
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			rng := rand.New(rand.NewPCG(uint64(g), 99))
			for i := range 20 {
				tA := transposes[i%2]
				tB := transposes[(i/2)%2]
				checkCase[T](t, rng, gemmCase{tA: tA, tB: tB, m: 50 + g, n: 300 + i, k: 50 + 7*i, alpha: 1, beta: float64(i % 2)})
			}
		}()
	}
	for range 4 {
		<-done
	}
}
