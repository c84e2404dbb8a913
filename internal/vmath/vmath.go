package vmath

import "unsafe"

// Tanh sets dst[i] = tanh(src[i]) for every i. It panics if the lengths
// differ. dst may be src (in place); any other overlap is not allowed.
//
// The result is within 4 ulp (relative error ≤ 4.9e-16, absolute error
// ≤ 2.3e-16) of the exact tanh for every float64, ±0, ±Inf and NaN map to
// ±0, ±1 and NaN, and every build returns the same bits; see the package
// documentation.
func Tanh(dst, src []float64) {
	if len(dst) != len(src) {
		panic(errLength)
	}
	tanhKernel(dst, src)
}

// TanhDeriv sets h[i] = tanh(src[i]) and s[i] = 1 − h[i]² (the
// derivative of tanh) for every i in one pass. h[i] is bit-identical to
// what Tanh returns, and s[i] is exactly 1 − float64(h[i]*h[i]). It panics
// unless all three lengths are equal. h or s may be src; h and s must not
// overlap each other, and no other overlap is allowed.
func TanhDeriv(h, s, src []float64) {
	if len(h) != len(src) || len(s) != len(src) {
		panic(errLength)
	}
	tanhDerivKernel(h, s, src)
}

// Tanh32 is Tanh for float32: dst[i] = tanh(src[i]) for every i, within
// 2 ulp of the exact tanh (see the package documentation). It panics if
// the lengths differ. dst may be src (in place); any other overlap is not
// allowed. ±0, ±Inf and NaN map to ±0, ±1 and NaN, and every build
// returns the same bits.
func Tanh32(dst, src []float32) {
	if len(dst) != len(src) {
		panic(errLength)
	}
	tanh32Kernel(dst, src)
}

// TanhDeriv32 is TanhDeriv for float32: h[i] = tanh(src[i]) as Tanh32
// returns it and s[i] = 1 − float32(h[i]*h[i]), in one pass.
func TanhDeriv32(h, s, src []float32) {
	if len(h) != len(src) || len(s) != len(src) {
		panic(errLength)
	}
	tanhDeriv32Kernel(h, s, src)
}

// TanhJet computes a tanh layer's value and one first-order derivative
// stream in one pass (Taylor mode): for every i,
//
//	h[i]  = tanh(a[i])           (Tanh, or Tanh32 for float32)
//	s[i]  = 1 − h[i]²            (tanh′)
//	hd[i] = s[i]·ad[i]           (the derivative stream)
//
// with every product rounded (never fused), so that every build returns
// the same bits. s may be nil: tanh′ is then used for hd but not stored
// (TanhJetAdjoint recomputes it from h, which costs less than storing and
// reloading it). hd and ad may be nil (h, and s if given, only). It
// panics unless all given lengths are equal. h or s may be a, and hd may
// be ad; no other overlap is allowed.
func TanhJet[T float32 | float64](h, s, hd, a, ad []T) {
	n := len(a)
	if len(h) != n || s != nil && len(s) != n || (hd == nil) != (ad == nil) && n > 0 || (hd != nil && (len(hd) != n || len(ad) != n)) {
		panic(errLength)
	}
	if n == 0 {
		return
	}
	if f, ok := as64(h); ok {
		tanhJet64(f, must64(s), must64(hd), must64(a), must64(ad))
		return
	}
	tanhJet32(must32(h), must32(s), must32(hd), must32(a), must32(ad))
}

// TanhJetAdjoint is the reverse of TanhJet, from its outputs h and hd
// alone: given the adjoints gv of h and gd of hd, it overwrites them with
// the adjoints of a and ad. With s = 1 − h[i]² (tanh′, rounded as TanhJet
// rounds it) and tanh″ = −2·h·s,
//
//	gv[i] = s·gv[i] − 2·h[i]·hd[i]·gd[i]
//	gd[i] = s·gd[i]
//
// (the first line is s·(gv − 2·h·ad·gd) with s·ad = hd), or, with gd and
// hd nil, gv[i] = s·gv[i]. Every product is rounded (never fused), so
// every build returns the same bits. It panics unless all given lengths
// are equal; gv and gd must not overlap each other or h and hd.
func TanhJetAdjoint[T float32 | float64](gv, gd, h, hd []T) {
	n := len(h)
	if len(gv) != n || (gd == nil) != (hd == nil) && n > 0 || (gd != nil && (len(gd) != n || len(hd) != n)) {
		panic(errLength)
	}
	if n == 0 {
		return
	}
	if f, ok := as64(gv); ok {
		jetAdjoint64(f, must64(gd), must64(h), must64(hd))
		return
	}
	jetAdjoint32(must32(gv), must32(gd), must32(h), must32(hd))
}

// as64 returns s as a []float64 and true when T is float64.
func as64[T float32 | float64](s []T) ([]float64, bool) {
	if unsafe.Sizeof(T(0)) != 8 {
		return nil, false
	}
	return must64(s), true
}

// must64 and must32 reinterpret s (of the matching element size) as
// []float64 or []float32; nil stays nil.
func must64[T float32 | float64](s []T) []float64 {
	if s == nil {
		return nil
	}
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

func must32[T float32 | float64](s []T) []float32 {
	if s == nil {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// errLength is the panic value for mismatched slice lengths.
const errLength = "vmath: slice lengths do not match"

// Implementation reports which kernels the float64 functions (Tanh,
// TanhDeriv, TanhJet and TanhJetAdjoint on float64) use: "avx512" or
// "avx2" for the archsimd kernels (GOEXPERIMENT=simd builds on amd64 CPUs
// with AVX-512 or AVX2, chosen at start-up) or "go" for the portable one.
func Implementation() string { return implementationName() }

// Implementation32 is Implementation for the float32 functions.
func Implementation32() string { return implementation32Name() }
