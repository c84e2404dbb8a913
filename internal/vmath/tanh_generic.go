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

// derivChunk is the block length of tanhDerivGeneric: the block of h is
// still in L1 when s is computed from it.
const derivChunk = 512

// tanhDerivGeneric is the portable fused kernel: h[i] = tanh(src[i]) and
// s[i] = 1 − h[i]². len(h) and len(s) must be ≥ len(src); h or s may be src.
func tanhDerivGeneric(h, s, src []float64) {
	n := len(src)
	h = h[:n]
	s = s[:n]
	for lo := 0; lo < n; lo += derivChunk {
		hi := min(lo+derivChunk, n)
		hb := h[lo:hi]
		tanhGeneric(hb, src[lo:hi]) // reads src[lo:hi] before s[lo:hi] is written
		sb := s[lo:hi]
		sb = sb[:len(hb)]
		for i, v := range hb {
			sb[i] = 1 - float64(v*v)
		}
	}
}
