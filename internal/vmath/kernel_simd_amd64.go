//go:build goexperiment.simd && amd64

package vmath

import (
	"math"
	"simd/archsimd"
)

// useAVX2 selects the archsimd kernels; they need AVX2 (VPSLLQ on 256-bit
// vectors, VBLENDVPD). FMA is deliberately not used (see blocksAVX2).
var useAVX2 = archsimd.X86.AVX2()

func implementationName() string {
	if useAVX2 {
		return "avx2"
	}
	return "go"
}

func tanhKernel(dst, src []float64) {
	if !useAVX2 {
		tanhGeneric(dst, src)
		return
	}
	tanhAVX2(dst, src)
}

func tanhDerivKernel(h, s, src []float64) {
	if !useAVX2 {
		tanhDerivGeneric(h, s, src)
		return
	}
	tanhDerivAVX2(h, s, src)
}

func tanhAVX2(dst, src []float64) { tanhLoopAVX2(dst, nil, src) }

func tanhDerivAVX2(h, s, src []float64) { tanhLoopAVX2(h, s, src) }

// Four-lane copies of the kernel constants.
var (
	vClamp = splat(clampAbs)
	vMagic = splat(roundMagic)
	vLog2e = splat(log2e)
	vLn2Hi = splat(ln2Hi)
	vLn2Lo = splat(ln2Lo)
	vP5    = splat(p5)
	vP4    = splat(p4)
	vP3    = splat(p3)
	vP2    = splat(p2)
	vP1    = splat(p1)
	vTwo   = splat(2)
	vOne   = splat(1)
	vLn3   = splat(math.Float64frombits(ln3Bits))
)

func splat(c float64) [4]float64 { return [4]float64{c, c, c, c} }

// tanhLoopAVX2 sets h[i] = tanh(src[i]) and, if s != nil, s[i] = 1 − h[i]².
// The tail of fewer than four elements goes through a padded buffer.
func tanhLoopAVX2(h, s, src []float64) {
	// Go's scalar float64 code uses SSE; leaving the upper halves of the
	// YMM registers dirty makes it many times slower afterwards.
	defer archsimd.ClearAVXUpperBits()
	n := len(src)
	n4 := n &^ 3
	blocksAVX2(h[:n4], s, src[:n4])
	if n4 == n {
		return
	}
	var in, hb, sb [4]float64
	copy(in[:], src[n4:])
	if s == nil {
		blocksAVX2(hb[:], nil, in[:])
	} else {
		blocksAVX2(hb[:], sb[:], in[:])
		copy(s[n4:n], sb[:])
	}
	copy(h[n4:n], hb[:])
}

// blocksAVX2 is tanhLoopAVX2 for len(src) a multiple of 4. It is
// tanhGeneric's algorithm on four lanes, with the same operations in the
// same order (no FMA), so both give bit-identical results. The kernel is
// written out in the loop, since a function taking a Float64x4 is too
// large to inline.
func blocksAVX2(h, s, src []float64) {
	n := len(src)
	h = h[:n]
	wantS := s != nil
	if wantS {
		s = s[:n]
	}
	// Loading the constants from memory in the loop costs one load each;
	// BroadcastFloat64x4(c) would cost a load and a broadcast.
	bc := func(c *[4]float64) archsimd.Float64x4 { return archsimd.LoadFloat64x4(c) }
	signMask := archsimd.BroadcastUint64x4(signBit)
	for i := 0; i <= n-4; i += 4 {
		x := archsimd.LoadFloat64x4((*[4]float64)(src[i : i+4]))
		xb := x.AsUint64x4()
		// NaN lanes may become clampAbs here (VMINPD returns its second
		// operand for NaN and the compiler may swap operands); they are
		// restored at the end.
		a := xb.AndNot(signMask).AsFloat64x4().Min(bc(&vClamp))
		t := a.Add(a)
		magic := bc(&vMagic)
		sh := t.Mul(bc(&vLog2e)).Add(magic) // k + 1023 in the low bits
		kf := sh.Sub(magic)
		r := t.Sub(kf.Mul(bc(&vLn2Hi))).Sub(kf.Mul(bc(&vLn2Lo)))
		z := r.Mul(r)
		q := z.Mul(bc(&vP5)).Add(bc(&vP4))
		q = z.Mul(q).Add(bc(&vP3))
		q = z.Mul(q).Add(bc(&vP2))
		q = z.Mul(q).Add(bc(&vP1))
		rr := z.Mul(q).Add(bc(&vTwo))
		p := sh.AsUint64x4().ShiftAllLeft(52).AsFloat64x4() // 2^k
		one := bc(&vOne)
		pm1 := p.Sub(one)
		pp1 := p.Add(one)
		den := pp1.Mul(rr).Add(pm1.Mul(r))
		num := pm1.Mul(rr).Add(pp1.Mul(r))
		d := r.Sub(rr)
		alt := d.Add(d)                  // −2(R−r) = num − den
		big := t.GreaterEqual(bc(&vLn3)) // h ≥ 0.5
		y := one.Masked(big).Add(alt.Merge(num, big).Div(den))
		y = y.AsUint64x4().Or(xb.And(signMask)).AsFloat64x4()
		y = y.Merge(x, x.Equal(x)) // NaN → x
		y.Store((*[4]float64)(h[i : i+4]))
		if wantS {
			one.Sub(y.Mul(y)).Store((*[4]float64)(s[i : i+4]))
		}
	}
}
