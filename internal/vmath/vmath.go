package vmath

import "math"

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

// Sin sets dst[i] = sin(src[i]) using math.Sin. It panics if the lengths
// differ. dst may be src.
func Sin(dst, src []float64) {
	if len(dst) != len(src) {
		panic(errLength)
	}
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = math.Sin(x)
	}
}

// SinCos sets sinDst[i] = sin(src[i]) and cosDst[i] = cos(src[i]) in one
// pass using math.Sincos (for sin activations: value and derivative). It
// panics unless all three lengths are equal. sinDst or cosDst may be src;
// they must not overlap each other.
func SinCos(sinDst, cosDst, src []float64) {
	if len(sinDst) != len(src) || len(cosDst) != len(src) {
		panic(errLength)
	}
	sinDst = sinDst[:len(src)]
	cosDst = cosDst[:len(src)]
	for i, x := range src {
		sinDst[i], cosDst[i] = math.Sincos(x)
	}
}

// errLength is the panic value for mismatched slice lengths.
const errLength = "vmath: slice lengths do not match"

// Implementation reports which kernel Tanh and TanhDeriv use: "avx2" for
// the archsimd kernel (GOEXPERIMENT=simd builds on amd64 CPUs with AVX2)
// or "go" for the portable one.
func Implementation() string { return implementationName() }
