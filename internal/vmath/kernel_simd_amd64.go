//go:build goexperiment.simd && amd64

package vmath

//go:generate go run gen_kernels.go

import (
	"os"
	"simd/archsimd"
)

// Kernel levels: the archsimd kernels need AVX2 (VPSLLQ on 256-bit
// vectors, VBLENDVPD) for the 256-bit variants and AVX-512 (F, CD, BW,
// DQ, VL) for the 512-bit ones. FMA is deliberately not used (bit
// identity with the portable kernels).
const (
	levelGo = iota
	levelAVX2
	levelAVX512
)

// detected is the widest level this CPU supports; level64 and level32
// are the levels the float64 and float32 kernels use, chosen once at
// start-up (tests lower them to check every path).
var (
	detected = detectLevel()
	level64  = capLevel(detected, os.Getenv("PINNSWEEP_KERNELS"))
	level32  = level64
)

// capLevel returns the kernel level to use on a CPU that supports cpu,
// given the value of PINNSWEEP_KERNELS: "avx2" caps it at the 256-bit
// kernels, "none" or "go" selects the portable ones, anything else
// (normally unset) leaves it. It is read once, at start-up.
func capLevel(cpu int, env string) int {
	switch env {
	case "avx2":
		return min(cpu, levelAVX2)
	case "none", "go":
		return levelGo
	}
	return cpu
}

func detectLevel() int {
	switch {
	case archsimd.X86.AVX512():
		return levelAVX512
	case archsimd.X86.AVX2():
		return levelAVX2
	}
	return levelGo
}

func levelName(l int) string {
	return [...]string{"go", "avx2", "avx512"}[l]
}

func implementationName() string { return levelName(level64) }

func implementation32Name() string { return levelName(level32) }

func tanhKernel(dst, src []float64)       { tanhJet64(dst, nil, nil, src, nil) }
func tanhDerivKernel(h, s, src []float64) { tanhJet64(h, s, nil, src, nil) }
func tanh32Kernel(dst, src []float32)     { tanhJet32(dst, nil, nil, src, nil) }
func tanhDeriv32Kernel(h, s, src []float32) {
	tanhJet32(h, s, nil, src, nil)
}

// tanhJet64 runs the float64 tanh kernel of level64 (s and hd optional).
func tanhJet64(h, s, hd, src, ad []float64) {
	switch level64 {
	case levelAVX512:
		tanhBlocksf64x8(h, s, hd, src, ad)
	case levelAVX2:
		tanhBlocksf64x4(h, s, hd, src, ad)
	default:
		tanhJetGeneric(tanhGeneric, h, s, hd, src, ad)
	}
}

// tanhJet32 runs the float32 tanh kernel of level32 (s and hd optional).
func tanhJet32(h, s, hd, src, ad []float32) {
	switch level32 {
	case levelAVX512:
		tanhBlocksf32x16(h, s, hd, src, ad)
	case levelAVX2:
		tanhBlocksf32x8(h, s, hd, src, ad)
	default:
		tanhJetGeneric(tanh32Generic, h, s, hd, src, ad)
	}
}

func jetAdjoint64(gv, gd, h, s, ad []float64) {
	switch level64 {
	case levelAVX512:
		adjointBlocksf64x8(gv, gd, h, s, ad)
	case levelAVX2:
		adjointBlocksf64x4(gv, gd, h, s, ad)
	default:
		jetAdjointGeneric(gv, gd, h, s, ad)
	}
}

func jetAdjoint32(gv, gd, h, s, ad []float32) {
	switch level32 {
	case levelAVX512:
		adjointBlocksf32x16(gv, gd, h, s, ad)
	case levelAVX2:
		adjointBlocksf32x8(gv, gd, h, s, ad)
	default:
		jetAdjointGeneric(gv, gd, h, s, ad)
	}
}
