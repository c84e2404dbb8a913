//go:build goexperiment.simd && amd64

package vmath

//go:generate go run gen_kernels.go

import "github.com/pinnsweep/pinnsweep/internal/simdlevel"

// The archsimd kernels on 256-bit vectors need AVX2 (VPSLLQ, VBLENDVPD),
// the 512-bit ones AVX-512 (F, CD, BW, DQ, VL); package internal/simdlevel
// chooses the level once at start-up. FMA is deliberately not used (bit
// identity with the portable kernels).

// detected is the widest level this CPU supports; level64 and level32
// are the levels the float64 and float32 kernels use (tests lower them to
// check every path).
var (
	detected = simdlevel.CPU()
	level64  = simdlevel.Start()
	level32  = level64
)

func levelName(l simdlevel.Level) string {
	if l == simdlevel.None {
		return "go"
	}
	return l.String()
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
	case simdlevel.AVX512:
		tanhBlocksf64x8(h, s, hd, src, ad)
	case simdlevel.AVX2:
		tanhBlocksf64x4(h, s, hd, src, ad)
	default:
		tanhJetGeneric(tanhGeneric, h, s, hd, src, ad)
	}
}

// tanhJet32 runs the float32 tanh kernel of level32 (s and hd optional).
func tanhJet32(h, s, hd, src, ad []float32) {
	switch level32 {
	case simdlevel.AVX512:
		tanhBlocksf32x16(h, s, hd, src, ad)
	case simdlevel.AVX2:
		tanhBlocksf32x8(h, s, hd, src, ad)
	default:
		tanhJetGeneric(tanh32Generic, h, s, hd, src, ad)
	}
}

func jetAdjoint64(gv, gd, h, hd []float64) {
	switch level64 {
	case simdlevel.AVX512:
		adjointBlocksf64x8(gv, gd, h, hd)
	case simdlevel.AVX2:
		adjointBlocksf64x4(gv, gd, h, hd)
	default:
		jetAdjointGeneric(gv, gd, h, hd)
	}
}

func jetAdjoint32(gv, gd, h, hd []float32) {
	switch level32 {
	case simdlevel.AVX512:
		adjointBlocksf32x16(gv, gd, h, hd)
	case simdlevel.AVX2:
		adjointBlocksf32x8(gv, gd, h, hd)
	default:
		jetAdjointGeneric(gv, gd, h, hd)
	}
}
