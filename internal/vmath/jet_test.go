package vmath

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

// maxULP32 bounds Tanh32's error against the exact tanh, in ulp of the
// float32 result (measured: 1.31 ulp at x = 0.630, just above the switch
// from the polynomial to the exponential; 99.99% of the points within
// 1 ulp).
const maxULP32 = 1.5

// ulp32 returns |got − want| in units of the last place of want rounded
// to float32 (the smallest subnormal below 2⁻¹²⁶).
func ulp32(got float32, want float64) float64 {
	w := math.Abs(want)
	u := 0x1p-149
	if w >= 0x1p-126 {
		_, e := math.Frexp(w) // w = f·2^e, f ∈ [0.5, 1)
		u = math.Ldexp(1, e-24)
	}
	return math.Abs(float64(got)-want) / u
}

// TestTanh32Accuracy compares Tanh32 with tanh computed in float64
// (math.Tanh, within 1 ulp of float64: exact at float32's precision) on
// every stride-th float32 in [2⁻³⁰, 10.5] (stride 1 with
// -vmath.fullsweep: every float32 there, about 300 million), and checks
// that negative inputs give exactly the negated results.
func TestTanh32Accuracy(t *testing.T) {
	stride := uint32(61)
	switch {
	case *fullSweep:
		stride = 1
	case testing.Short():
		stride = 997
	}
	lo, hi := math.Float32bits(0x1p-30), math.Float32bits(10.5)
	const chunk = 1 << 16
	src := make([]float32, 0, chunk)
	got := make([]float32, chunk)
	neg := make([]float32, chunk)
	var maxU float64
	var worst float32
	var n, within1 int
	flush := func() {
		Tanh32(got[:len(src)], src)
		for i, x := range src {
			u := ulp32(got[i], math.Tanh(float64(x)))
			if u > maxU {
				maxU, worst = u, x
			}
			if u <= 1 {
				within1++
			}
			src[i] = -x
		}
		Tanh32(neg[:len(src)], src)
		for i, x := range src {
			if neg[i] != -got[i] {
				t.Fatalf("Tanh32(%v) = %v, but Tanh32(%v) = %v", x, neg[i], -x, got[i])
			}
		}
		n += len(src)
		src = src[:0]
	}
	for b := lo; b < hi; b += stride {
		src = append(src, math.Float32frombits(b))
		if len(src) == chunk {
			flush()
		}
	}
	flush()
	t.Logf("%s, %d points: max error %.3f ulp at x = %v; %.4f%% within 1 ulp", Implementation32(), n, maxU, worst, 100*float64(within1)/float64(n))
	if maxU > maxULP32 {
		t.Errorf("max error %.3f ulp at x = %v exceeds %v ulp", maxU, worst, maxULP32)
	}
}

// TestTanh32Special checks signed zeros, infinities, NaN, subnormals and
// the saturation range.
func TestTanh32Special(t *testing.T) {
	nz := float32(math.Copysign(0, -1))
	inf := float32(math.Inf(1))
	cases := []struct{ x, want float32 }{
		{0, 0}, {nz, nz}, {inf, 1}, {-inf, -1},
		{math.SmallestNonzeroFloat32, math.SmallestNonzeroFloat32},
		{-math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32},
		{0x1p-126, 0x1p-126}, {1e-20, 1e-20}, {-3e-9, -3e-9},
		{9.1, 1}, {-9.1, -1}, {10, 1}, {11, 1}, {1e30, 1}, {-math.MaxFloat32, -1},
	}
	for _, c := range cases {
		d := []float32{c.x}
		Tanh32(d, d)
		if d[0] != c.want || math.Signbit(float64(d[0])) != math.Signbit(float64(c.want)) {
			t.Errorf("Tanh32(%g) = %g, want %g", c.x, d[0], c.want)
		}
	}
	d := []float32{float32(math.NaN()), -float32(math.NaN())}
	Tanh32(d, d)
	for _, v := range d {
		if v == v {
			t.Errorf("Tanh32(NaN) = %v, want NaN", v)
		}
	}
}

// forLevels runs f once per kernel level (go, avx2, avx512) this build
// and CPU can run; a level the build or CPU lacks is skipped, saying why.
// In a kernel build on a CPU with AVX2, a missing AVX-512 fails with
// PINNSWEEP_REQUIRE_AVX512=1 (CI machines have AVX-512).
func forLevels(t *testing.T, f func(t *testing.T)) {
	for _, name := range levelNames {
		t.Run(name, func(t *testing.T) {
			if !setLevel(t, name) {
				if name == "avx512" && os.Getenv("PINNSWEEP_REQUIRE_AVX512") == "1" && setLevel(t, "avx2") {
					t.Fatal("no avx512 kernels in this build or on this CPU; PINNSWEEP_REQUIRE_AVX512=1")
				}
				t.Skipf("no %s kernels in this build or on this CPU", name)
			}
			f(t)
		})
	}
}

// sameBitsT reports whether a and b are identical, all NaNs equal.
func sameBitsT[T float32 | float64](a, b T) bool {
	if a != a || b != b {
		return a != a && b != b
	}
	if _, ok := any(a).(float32); ok {
		return math.Float32bits(float32(a)) == math.Float32bits(float32(b))
	}
	return math.Float64bits(float64(a)) == math.Float64bits(float64(b))
}

// randomInputs returns n values of scale sigma with specials mixed in.
func randomInputs[T float32 | float64](rng *rand.Rand, n int, sigma float64) []T {
	specials := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 1e-40, 20, -25, 1e30}
	s := make([]T, n)
	for i := range s {
		if rng.IntN(6) == 0 {
			s[i] = T(specials[rng.IntN(len(specials))])
		} else {
			s[i] = T(sigma * rng.NormFloat64())
		}
	}
	return s
}

// TestKernelsMatchGeneric checks, at every kernel level and for both
// precisions, that Tanh, TanhDeriv, TanhJet and TanhJetAdjoint are bit
// for bit the portable kernels, for every length up to 70 (every tail)
// and with special values.
func TestKernelsMatchGeneric(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		t.Run("float64", func(t *testing.T) { matchGeneric[float64](t, tanhGeneric) })
		t.Run("float32", func(t *testing.T) { matchGeneric[float32](t, tanh32Generic) })
	})
}

func matchGeneric[T float32 | float64](t *testing.T, tanh func(dst, src []T)) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := range 71 {
		a := randomInputs[T](rng, n, 3)
		ad := randomInputs[T](rng, n, 2)
		// The reference: the portable kernels.
		wh := make([]T, n)
		tanh(wh, a)
		ws := make([]T, n)
		whd := make([]T, n)
		jetGeneric(wh, ws, whd, ad)
		gv, gd := randomInputs[T](rng, n, 1), randomInputs[T](rng, n, 1)
		wgv, wgd := append([]T(nil), gv...), append([]T(nil), gd...)
		jetAdjointGeneric(wgv, wgd, wh, whd)
		wgv0 := append([]T(nil), gv...)
		jetAdjointGeneric(wgv0, nil, wh, nil)

		h, s, hd := make([]T, n), make([]T, n), make([]T, n)
		TanhJet(h, s, hd, a, ad)
		h2, s2 := make([]T, n), make([]T, n)
		TanhJet(h2, s2, nil, a, nil)
		h4, hd4 := make([]T, n), make([]T, n)
		TanhJet(h4, nil, hd4, a, ad)
		h3 := make([]T, n)
		switch a := any(a).(type) {
		case []float64:
			Tanh(any(h3).([]float64), a)
		case []float32:
			Tanh32(any(h3).([]float32), a)
		}
		agv, agd := append([]T(nil), gv...), append([]T(nil), gd...)
		TanhJetAdjoint(agv, agd, wh, whd)
		agv0 := append([]T(nil), gv...)
		TanhJetAdjoint(agv0, nil, wh, nil)
		for i := range a {
			for _, c := range []struct {
				name      string
				got, want T
			}{
				{"TanhJet h", h[i], wh[i]}, {"TanhJet s", s[i], ws[i]}, {"TanhJet hd", hd[i], whd[i]},
				{"TanhJet (no stream) h", h2[i], wh[i]}, {"TanhJet (no stream) s", s2[i], ws[i]},
				{"TanhJet (no s) h", h4[i], wh[i]}, {"TanhJet (no s) hd", hd4[i], whd[i]},
				{"Tanh", h3[i], wh[i]},
				{"TanhJetAdjoint gv", agv[i], wgv[i]}, {"TanhJetAdjoint gd", agd[i], wgd[i]},
				{"TanhJetAdjoint (no stream) gv", agv0[i], wgv0[i]},
			} {
				if !sameBitsT(c.got, c.want) {
					t.Fatalf("n=%d i=%d a=%v: %s = %v, portable %v", n, i, a[i], c.name, c.got, c.want)
				}
			}
		}
	}
}

// TestJetAliasingAndBounds checks the allowed aliases of TanhJet (h = a,
// s = a, hd = ad) and that nothing beyond the length is written, for
// lengths around every vector width, at every level.
func TestJetAliasingAndBounds(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		t.Run("float64", jetAliasing[float64])
		t.Run("float32", jetAliasing[float32])
	})
}

func jetAliasing[T float32 | float64](t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	guard := func(n int, src []T) []T {
		g := make([]T, n+16)
		for i := range g {
			g[i] = 42
		}
		copy(g, src)
		return g[:n]
	}
	checkGuard := func(name string, s []T) {
		t.Helper()
		for i, v := range s[len(s):cap(s)] {
			if v != 42 {
				t.Fatalf("%s n=%d: wrote beyond the end at %d", name, len(s), len(s)+i)
			}
		}
	}
	for _, n := range []int{0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 1001} {
		a := randomInputs[T](rng, n, 3)
		ad := randomInputs[T](rng, n, 2)
		h, s, hd := guard(n, nil), guard(n, nil), guard(n, nil)
		TanhJet(h, s, hd, a, ad)
		for _, x := range [][]T{h, s, hd} {
			checkGuard("TanhJet", x)
		}
		// h = a
		ha, s1, hd1 := guard(n, a), guard(n, nil), guard(n, nil)
		TanhJet(ha, s1, hd1, ha, ad)
		// s = a, hd = ad
		sa, h2, hdad := guard(n, a), guard(n, nil), guard(n, ad)
		TanhJet(h2, sa, hdad, sa, hdad)
		for i := range a {
			if !sameBitsT(ha[i], h[i]) || !sameBitsT(s1[i], s[i]) || !sameBitsT(hd1[i], hd[i]) {
				t.Fatalf("n=%d: h = a gives different results at %d", n, i)
			}
			if !sameBitsT(h2[i], h[i]) || !sameBitsT(sa[i], s[i]) || !sameBitsT(hdad[i], hd[i]) {
				t.Fatalf("n=%d: s = a, hd = ad gives different results at %d", n, i)
			}
		}
		// In place without s (the trainer's fused layers): h = a, hd = ad.
		hp, hdp := guard(n, a), guard(n, ad)
		TanhJet(hp, nil, hdp, hp, hdp)
		for i := range a {
			if !sameBitsT(hp[i], h[i]) || !sameBitsT(hdp[i], hd[i]) {
				t.Fatalf("n=%d: in place without s gives different results at %d", n, i)
			}
		}
		for _, x := range [][]T{ha, s1, hd1, sa, h2, hdad, hp, hdp} {
			checkGuard("TanhJet aliased", x)
		}
		gv, gd := guard(n, randomInputs[T](rng, n, 1)), guard(n, randomInputs[T](rng, n, 1))
		TanhJetAdjoint(gv, gd, h, hd)
		checkGuard("TanhJetAdjoint gv", gv)
		checkGuard("TanhJetAdjoint gd", gd)
	}
}

func TestJetPanics(t *testing.T) {
	a, b := make([]float32, 3), make([]float32, 4)
	mustPanic(t, "Tanh32", func() { Tanh32(a, b) })
	mustPanic(t, "TanhDeriv32", func() { TanhDeriv32(a, b, b) })
	mustPanic(t, "TanhJet h", func() { TanhJet(a, b, b, b, b) })
	mustPanic(t, "TanhJet hd without ad", func() { TanhJet(b, b, b, b, nil) })
	mustPanic(t, "TanhJet ad", func() { TanhJet(b, b, b, b, a) })
	mustPanic(t, "TanhJet s", func() { TanhJet(b, a, b, b, b) })
	mustPanic(t, "TanhJetAdjoint gv", func() { TanhJetAdjoint(a, b, b, b) })
	mustPanic(t, "TanhJetAdjoint gd without hd", func() { TanhJetAdjoint(b, b, b, nil) })
	mustPanic(t, "TanhJetAdjoint hd", func() { TanhJetAdjoint(b, b, b, a) })
}

// TestJetAdjointIsTranspose checks, at every kernel level, that
// TanhJetAdjoint is the transpose of the Jacobian of TanhJet's map
// (a, a_d) → (h, h_d): for random directions (δa, δa_d) and adjoints
// (ḡ, ḡ_d), ⟨(ḡ, ḡ_d), J·(δa, δa_d)⟩ with J·(δa, δa_d) from central
// differences of TanhJet equals ⟨TanhJetAdjoint(ḡ, ḡ_d), (δa, δa_d)⟩, and
// each adjoint matches the closed form s·ḡ − 2·tanh(a)·s·a_d·ḡ_d,
// s·ḡ_d computed with math.Tanh.
func TestJetAdjointIsTranspose(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(11, 12))
		const n = 37
		a, ad := make([]float64, n), make([]float64, n)
		da, dad := make([]float64, n), make([]float64, n)
		gv, gd := make([]float64, n), make([]float64, n)
		for i := range n {
			a[i], ad[i] = 1.5*rng.NormFloat64(), rng.NormFloat64()
			da[i], dad[i] = rng.NormFloat64(), rng.NormFloat64()
			gv[i], gd[i] = rng.NormFloat64(), rng.NormFloat64()
		}
		h, hd := make([]float64, n), make([]float64, n)
		TanhJet(h, nil, hd, a, ad)
		av, avd := append([]float64(nil), gv...), append([]float64(nil), gd...)
		TanhJetAdjoint(av, avd, h, hd)
		for i := range n {
			th := math.Tanh(a[i])
			s := 1 - th*th
			wantV, wantD := s*gv[i]-2*th*s*ad[i]*gd[i], s*gd[i]
			if d := math.Abs(av[i] - wantV); d > 1e-14*(1+math.Abs(wantV)) {
				t.Errorf("i=%d: ā = %v, closed form %v", i, av[i], wantV)
			}
			if d := math.Abs(avd[i] - wantD); d > 1e-14*(1+math.Abs(wantD)) {
				t.Errorf("i=%d: ā_d = %v, closed form %v", i, avd[i], wantD)
			}
		}
		const eps = 1e-6
		point := func(sign float64) ([]float64, []float64) {
			ap, adp := make([]float64, n), make([]float64, n)
			for i := range n {
				ap[i], adp[i] = a[i]+sign*eps*da[i], ad[i]+sign*eps*dad[i]
			}
			hp, hdp := make([]float64, n), make([]float64, n)
			TanhJet(hp, nil, hdp, ap, adp)
			return hp, hdp
		}
		hp, hdp := point(1)
		hm, hdm := point(-1)
		var fwd, rev float64
		for i := range n {
			fwd += gv[i]*(hp[i]-hm[i])/(2*eps) + gd[i]*(hdp[i]-hdm[i])/(2*eps)
			rev += av[i]*da[i] + avd[i]*dad[i]
		}
		if math.Abs(fwd-rev) > 1e-7*math.Abs(rev) {
			t.Errorf("⟨ḡ, J·δ⟩ = %.12g by differences, ⟨Jᵀ·ḡ, δ⟩ = %.12g by TanhJetAdjoint", fwd, rev)
		}
	})
}

// mustPanic reports an error unless f panics.
func mustPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", name)
		}
	}()
	f()
}
