package vmath

import "math"

// Tanh sets dst[i] = tanh(src[i]) for every i. It panics if the lengths
// differ. dst may be src (in-place); any other overlap is not allowed.
func Tanh(dst, src []float64) {
	if len(dst) != len(src) {
		panic(errLength)
	}
	tanhKernel(dst, src)
}

// TanhDeriv sets h[i] = tanh(src[i]) and s[i] = 1 − h[i]² for every i in
// one pass. It panics unless all three lengths are equal. h or s may be
// src; h and s must not overlap each other, and no other overlap is
// allowed.
func TanhDeriv(h, s, src []float64) {
	if len(h) != len(src) || len(s) != len(src) {
		panic(errLength)
	}
	tanhDerivKernel(h, s, src)
}

// SinCos sets sinDst[i] = sin(src[i]) and cosDst[i] = cos(src[i]) using
// math.Sincos. It panics unless all three lengths are equal. sinDst or
// cosDst may be src.
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

const errLength = "vmath: slice lengths do not match"

// Implementation reports which kernel Tanh and TanhDeriv use: "avx2" for
// the archsimd kernel (GOEXPERIMENT=simd builds on amd64 CPUs with AVX2)
// or "go" for the portable one.
func Implementation() string { return implementationName() }
