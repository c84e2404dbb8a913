package vmath

import "math"

// Constants of the tanh kernel shared by every implementation.
//
// The exp reduction constants and P1…P5 are those of FreeBSD's e_exp.c
// (fdlibm), as used by Go's src/math/exp.go: 2.0+P1*z+…+P5*z⁵ approximates
// R(r) = r·(eʳ+1)/(eʳ−1) = r·coth(r/2), z = r², on |r| ≤ 0.34658 with an
// error below 2⁻⁵⁹.
const (
	ln2Hi = 6.93147180369123816490e-01 // high part of ln 2; k·ln2Hi is exact for |k| < 2²⁰
	ln2Lo = 1.90821492927058770002e-10 // ln 2 − ln2Hi
	log2e = 1.44269504088896338700e+00 // 1/ln 2

	p1 = 1.66666666666666657415e-01
	p2 = -2.77777777770155933842e-03
	p3 = 6.61375632143793436117e-05
	p4 = -1.65339022054652515390e-06
	p5 = 4.13813679705723846039e-08

	// roundMagic is 1.5·2⁵² + 1023: adding it to y (|y| < 2⁵⁰) rounds y
	// to an integer k and leaves k + 1023 in the low mantissa bits, so
	// that shifting the bits left by 52 gives 2^k.
	roundMagic = 6755399441055744.0 + 1023

	// clampAbs bounds |x|: tanh(x) rounds to ±1 for |x| > 19.06, and the
	// kernel returns exactly ±1 at |x| = clampAbs, so clamping changes
	// nothing while keeping 2^k finite (k ≤ 58).
	clampAbs = 20.0

	// ln3Bits is the bits of ln 3 rounded up: tanh(a) ≥ 0.5 iff 2a ≥ ln 3.
	ln3Bits = 0x3FF193EA7AAD030B

	signBit = 1 << 63
	oneBits = 0x3FF0000000000000 // math.Float64bits(1)
)

// tanhGeneric is the portable kernel: dst[i] = tanh(src[i]).
// len(dst) must be ≥ len(src); dst may be src.
//
// For a = min(|x|, clampAbs) and t = 2a it reduces t = k·ln2 + r with
// |r| ≤ ln2/2, so that e^t = 2^k·(R+r)/(R−r) with R = r·coth(r/2)
// (fdlibm's exp). With P = 2^k,
//
//	tanh(a) = (e^t − 1)/(e^t + 1) = num/den,
//	num = (P−1)·R + (P+1)·r,  den = (P+1)·R + (P−1)·r,
//
// needs one division and no cancellation-prone subtraction: for k = 0 the
// numerator is exactly 2r = 4a (so tiny and subnormal x come out exact),
// and for k = 1 it is R + 3r ≥ 0.96. Where 2a ≥ ln 3 (|h| ≥ 0.5) it
// returns 1 − 2(R−r)/den instead (den − num = 2(R−r) exactly), whose
// rounding error is relative to 1 − |h| ≤ 0.5 rather than to |h|. The
// sign is copied from x (so −0 → −0), and NaN propagates to a NaN.
//
// Every product is wrapped in float64(…) so that no compiler (arm64, or
// amd64 with GOAMD64=v3) fuses it into an FMA: the results are then
// bit-identical on every platform and to the archsimd kernel, which does
// the same operations in the same order.
func tanhGeneric(dst, src []float64) {
	dst = dst[:len(src)]
	for i, x := range src {
		b := math.Float64bits(x)
		a := min(math.Float64frombits(b&^signBit), clampAbs) // NaN stays NaN
		t := a + a
		sh := float64(t*log2e) + roundMagic // k + 1023 in the low bits
		kf := sh - roundMagic
		r := (t - float64(kf*ln2Hi)) - float64(kf*ln2Lo)
		z := float64(r * r)
		q := float64(z*p5) + p4
		q = float64(z*q) + p3
		q = float64(z*q) + p2
		q = float64(z*q) + p1
		rr := float64(z*q) + 2
		kb := math.Float64bits(sh)
		p := math.Float64frombits(kb << 52) // 2^k
		pm1 := p - 1
		pp1 := p + 1
		den := float64(pp1*rr) + float64(pm1*r)
		num := float64(pm1*rr) + float64(pp1*r)
		d := r - rr
		alt := d + d                                               // −2(R−r) = num − den
		mask := uint64(int64(ln3Bits-1-math.Float64bits(t)) >> 63) // all ones iff t ≥ ln 3
		n := math.Float64frombits(math.Float64bits(num)&^mask | math.Float64bits(alt)&mask)
		c := math.Float64frombits(oneBits & mask)
		// NaN propagates through every step and comes out as a NaN.
		dst[i] = math.Float64frombits(math.Float64bits(c+n/den) | b&signBit)
	}
}

// derivChunk is the block length of tanhJetGeneric: the block of h is
// still in L1 when s (and the derivative stream) are computed from it.
const derivChunk = 512

// tanhJetGeneric is the portable TanhJet (and Tanh, TanhDeriv) for either
// precision, with tanh the portable kernel of that precision: h[i] =
// tanh(src[i]) and, if hd != nil, hd[i] = s[i]·ad[i] with s[i] =
// 1 − h[i]², stored if s != nil. h or s may be src, hd may be ad.
func tanhJetGeneric[T real](tanh func(dst, src []T), h, s, hd, src, ad []T) {
	n := len(src)
	if s == nil && hd == nil {
		tanh(h[:n], src)
		return
	}
	var sbuf [derivChunk]T // s of one block when the caller does not keep it
	for lo := 0; lo < n; lo += derivChunk {
		hi := min(lo+derivChunk, n)
		hb := h[lo:hi]
		tanh(hb, src[lo:hi]) // reads src[lo:hi] before s[lo:hi] is written
		sb := sbuf[:hi-lo]
		if s != nil {
			sb = s[lo:hi]
		}
		var hdb, adb []T
		if hd != nil {
			hdb, adb = hd[lo:hi], ad[lo:hi]
		}
		jetGeneric(hb, sb, hdb, adb)
	}
}

// ln3 is ln 3 rounded up (the bits ln3Bits): tanh(a) ≥ 0.5 iff 2a ≥ ln 3.
var ln3 = math.Float64frombits(ln3Bits)

// Constants of the float32 tanh kernel: Cephes' tanhf polynomial for
// |x| < small32, and its expf (range reduction by ln 2 in two parts and a
// degree-5 polynomial) for 1 − 2/(e^{2|x|} + 1) elsewhere.
const (
	// small32 is where the odd polynomial gives way to the exponential.
	small32 = 0.625
	// clamp32 bounds |x|: the correctly rounded float32 tanh is ±1 from
	// |x| ≈ 9.01, and the kernel gives exactly ±1 at clamp32.
	clamp32 = 10.0
	t32P0   = -5.70498872745e-3
	t32P1   = 2.06390887954e-2
	t32P2   = -5.37397155531e-2
	t32P3   = 1.33314422036e-1
	t32P4   = -3.33332819422e-1
	log2e32 = 1.44269504088896341
	ln2Hi32 = 0.693359375 // exact in float32; k·ln2Hi32 is exact for |k| < 2^15
	ln2Lo32 = -2.12194440e-4
	e32P0   = 1.9875691500e-4
	e32P1   = 1.3981999507e-3
	e32P2   = 8.3334519073e-3
	e32P3   = 4.1665795894e-2
	e32P4   = 1.6666665459e-1
	e32P5   = 5.0000001201e-1
	// magic32 is 1.5·2²³ + 127: adding it to y (|y| < 2²²) rounds y to an
	// integer k and leaves k + 127 in the low mantissa bits, so that
	// shifting the bits left by 23 gives 2^k.
	magic32     = 12582912.0 + 127
	signBit32   = 1 << 31
	small32Bits = 0x3F200000 // math.Float32bits(small32)
)

// tanh32Generic is the portable float32 kernel: dst[i] = tanh(src[i]).
// len(dst) must be ≥ len(src); dst may be src.
//
// For a = min(|x|, clamp32) it computes both branches and keeps one
// without a jump: where a < small32, a + a³·P(a²) (Cephes tanhf, whose
// polynomial has no cancellation for small a); elsewhere
// 1 − 2/(e^{2a} + 1), with e^{2a} = 2^k·e^r from the reduction
// 2a = k·ln2 + r, |r| ≤ ln2/2, and Cephes' expf polynomial for e^r; the
// result is then at least 0.55, so the subtraction loses nothing. The sign
// is copied from x (so −0 → −0), and NaN propagates to a NaN.
//
// Every product is wrapped in float32(…) so that no compiler fuses it
// into an FMA: the results are then bit-identical on every platform and
// to the archsimd kernels, which do the same operations in the same order.
func tanh32Generic(dst, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		b := math.Float32bits(x)
		a := min(math.Float32frombits(b&^signBit32), clamp32) // NaN stays NaN
		z := float32(a * a)
		p := float32(z*t32P0) + t32P1
		p = float32(z*p) + t32P2
		p = float32(z*p) + t32P3
		p = float32(z*p) + t32P4
		lo := float32(float32(p*z)*a) + a
		t := a + a
		sh := float32(t*log2e32) + magic32 // k + 127 in the low bits
		kf := sh - magic32
		r := (t - float32(kf*ln2Hi32)) - float32(kf*ln2Lo32)
		rz := float32(r * r)
		q := float32(r*e32P0) + e32P1
		q = float32(r*q) + e32P2
		q = float32(r*q) + e32P3
		q = float32(r*q) + e32P4
		q = float32(r*q) + e32P5
		e := (float32(q*rz) + r) + 1
		e = float32(e * math.Float32frombits(math.Float32bits(sh)<<23))
		hi := 1 - 2/(e+1)
		mask := uint32(int32(math.Float32bits(a)-small32Bits) >> 31) // all ones iff a < small32
		y := math.Float32frombits(math.Float32bits(lo)&mask | math.Float32bits(hi)&^mask)
		dst[i] = math.Float32frombits(math.Float32bits(y) | b&signBit32)
	}
}

// real is the element type of the generic kernels.
type real interface{ ~float32 | ~float64 }

// jetGeneric finishes the portable TanhJet for a block whose h is already
// set: s[i] = 1 − h[i]² and, if hd != nil, hd[i] = s[i]·ad[i], each
// product rounded (never fused).
func jetGeneric[T real](h, s, hd, ad []T) {
	s = s[:len(h)]
	for i, v := range h {
		s[i] = 1 - T(v*v)
	}
	if hd == nil {
		return
	}
	hd = hd[:len(h)]
	ad = ad[:len(h)]
	for i, v := range s {
		hd[i] = T(v * ad[i])
	}
}

// jetAdjointGeneric is the portable TanhJetAdjoint: with s = 1 − h[i]²
// (rounded as jetGeneric rounds it), gv[i] = s·gv[i] − 2·h[i]·hd[i]·gd[i]
// and gd[i] = s·gd[i], or, with gd = nil, gv[i] = s·gv[i]. Every product
// is rounded (never fused).
func jetAdjointGeneric[T real](gv, gd, h, hd []T) {
	gv = gv[:len(h)]
	if gd == nil {
		for i, v := range h {
			gv[i] = T((1 - T(v*v)) * gv[i])
		}
		return
	}
	gd = gd[:len(h)]
	hd = hd[:len(h)]
	for i, v := range h {
		s := 1 - T(v*v)
		g := gd[i]
		t := T(T(v*hd[i]) * g)
		gv[i] = T(s*gv[i]) - (t + t)
		gd[i] = T(s * g)
	}
}
