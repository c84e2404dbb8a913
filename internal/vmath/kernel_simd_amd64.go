//go:build goexperiment.simd && amd64

package vmath

//go:generate go run gen_kernels.go

import "simd/archsimd"

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
	level64  = detected
	level32  = detected
)

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

// blocks is a block kernel: it handles a length that is a multiple of its
// vector width.
type blocks[T real] func(h, s, hd, src, ad []T)

// tanhJet64 runs the float64 tanh kernel of level64 (s and hd optional).
func tanhJet64(h, s, hd, src, ad []float64) {
	switch level64 {
	case levelAVX512:
		drive(tanhBlocksf64x8, 8, 3, h, s, hd, src, ad)
	case levelAVX2:
		drive(tanhBlocksf64x4, 4, 3, h, s, hd, src, ad)
	default:
		tanhJetGeneric(tanhGeneric, h, s, hd, src, ad)
	}
}

// tanhJet32 runs the float32 tanh kernel of level32 (s and hd optional).
func tanhJet32(h, s, hd, src, ad []float32) {
	switch level32 {
	case levelAVX512:
		drive(tanhBlocksf32x16, 16, 3, h, s, hd, src, ad)
	case levelAVX2:
		drive(tanhBlocksf32x8, 8, 3, h, s, hd, src, ad)
	default:
		tanhJetGeneric(tanh32Generic, h, s, hd, src, ad)
	}
}

func jetAdjoint64(gv, gd, h, s, ad []float64) {
	switch level64 {
	case levelAVX512:
		drive(adjointBlocksf64x8, 8, 2, gv, gd, h, s, ad)
	case levelAVX2:
		drive(adjointBlocksf64x4, 4, 2, gv, gd, h, s, ad)
	default:
		jetAdjointGeneric(gv, gd, h, s, ad)
	}
}

func jetAdjoint32(gv, gd, h, s, ad []float32) {
	switch level32 {
	case levelAVX512:
		drive(adjointBlocksf32x16, 16, 2, gv, gd, h, s, ad)
	case levelAVX2:
		drive(adjointBlocksf32x8, 8, 2, gv, gd, h, s, ad)
	default:
		jetAdjointGeneric(gv, gd, h, s, ad)
	}
}

// drive runs a block kernel of width w over five slices of the length of
// the fourth (nil slices stay nil), of which the first outs are outputs:
// the whole vectors in place, then the tail of fewer than w elements
// through padded buffers.
func drive[T real](k blocks[T], w, outs int, a, b, c, d, e []T) {
	// Go's scalar float code uses SSE; leaving the upper halves of the
	// vector registers dirty makes it many times slower afterwards.
	defer archsimd.ClearAVXUpperBits()
	n := len(d)
	nw := n / w * w
	k(part(a, 0, nw), part(b, 0, nw), part(c, 0, nw), d[:nw], part(e, 0, nw))
	if nw == n {
		return
	}
	var buf [5][16]T
	args := [5][]T{a, b, c, d, e}
	var padded [5][]T
	for i, s := range args {
		if s != nil {
			copy(buf[i][:w], s[nw:n])
			padded[i] = buf[i][:w]
		}
	}
	k(padded[0], padded[1], padded[2], padded[3], padded[4])
	for i, s := range args[:outs] {
		if s != nil {
			copy(s[nw:n], buf[i][:n-nw])
		}
	}
}

// part returns s[lo:hi], or nil for a nil s.
func part[T real](s []T, lo, hi int) []T {
	if s == nil {
		return nil
	}
	return s[lo:hi]
}
