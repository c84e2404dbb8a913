//go:build goexperiment.simd && amd64

package simdblas

import (
	"simd/archsimd"
	"unsafe"
)

// The kernels address memory through a base pointer plus a byte offset
// (unsafe.Add), which avoids bounds checks in the inner loops. Every base
// pointer is taken with &s[i] by the caller, which guarantees that every
// offset used stays inside the slice; offsets are plain integers, so no
// pointer past the end of an object is ever formed.
//
// Every kernel ends with archsimd.ClearAVXUpperBits (VZEROUPPER) before
// any scalar floating-point code runs. The Go compiler emits scalar float64
// operations with legacy SSE encodings (MOVSD, MULSD, UCOMISD), and on the
// development machine (AMD EPYC, family 25) running them while the upper
// halves of the YMM registers are dirty made kernel4x8 30 times slower
// (1 GFLOP/s instead of 31). For the same reason the kernels take alpha
// and beta as vectors in a coefs (loaded with VMOVUPD) rather than as
// float64 arguments, and the packing routines copy elements as uint64.
//
// The Go compiler emits MulAdd as VFMADD213PD, which overwrites its
// receiver, and it does not fold loads into the FMA. The kernels are
// written so that the register allocator needs at most one copy per FMA
// and no spills (checked with go build -gcflags=-S): kernel4x8 holds eight
// accumulators, two B vectors and one A vector with the k loop unrolled
// twice; dot4x1 and dot1x4 are not unrolled, because unrolling them made
// the compiler hoist loads and spill.

// vec is the memory shape of one Float64x4.
type vec = [4]float64

// kernel4x8 computes a 4×8 block of C:
//
//	C[r][j] = alpha·Σ_p A[p][r]·B[p][j] + beta·C[r][j],  r < 4, j < 8, p < k,
//
// where A is a pre-broadcast 4-row panel (16 float64 per p, see packA),
// row p of B starts at byte offset p·sb from pb, and row r of C starts at
// byte offset r·sc from pc. With beta = 0, C is not read. k ≥ 1.
func kernel4x8(k int, pa, pb unsafe.Pointer, sb uintptr, pc unsafe.Pointer, sc uintptr, cf *coefs) {
	var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float64x4
	var oa, ob uintptr
	for ; k >= 2; k -= 2 {
		b0 := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb, ob)))
		b1 := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb, ob+32)))
		x := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, oa)))
		c00 = x.MulAdd(b0, c00)
		c01 = x.MulAdd(b1, c01)
		x = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, oa+32)))
		c10 = x.MulAdd(b0, c10)
		c11 = x.MulAdd(b1, c11)
		x = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, oa+64)))
		c20 = x.MulAdd(b0, c20)
		c21 = x.MulAdd(b1, c21)
		x = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, oa+96)))
		c30 = x.MulAdd(b0, c30)
		c31 = x.MulAdd(b1, c31)
		ob += sb
		b0 = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb, ob)))
		b1 = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb, ob+32)))
		x = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, oa+128)))
		c00 = x.MulAdd(b0, c00)
		c01 = x.MulAdd(b1, c01)
		x = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, oa+160)))
		c10 = x.MulAdd(b0, c10)
		c11 = x.MulAdd(b1, c11)
		x = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, oa+192)))
		c20 = x.MulAdd(b0, c20)
		c21 = x.MulAdd(b1, c21)
		x = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, oa+224)))
		c30 = x.MulAdd(b0, c30)
		c31 = x.MulAdd(b1, c31)
		ob += sb
		oa += 256
	}
	if k > 0 {
		b0 := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb, ob)))
		b1 := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb, ob+32)))
		x := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, oa)))
		c00 = x.MulAdd(b0, c00)
		c01 = x.MulAdd(b1, c01)
		x = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, oa+32)))
		c10 = x.MulAdd(b0, c10)
		c11 = x.MulAdd(b1, c11)
		x = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, oa+64)))
		c20 = x.MulAdd(b0, c20)
		c21 = x.MulAdd(b1, c21)
		x = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, oa+96)))
		c30 = x.MulAdd(b0, c30)
		c31 = x.MulAdd(b1, c31)
	}
	update2(pc, c00, c01, cf)
	update2(unsafe.Add(pc, sc), c10, c11, cf)
	update2(unsafe.Add(pc, 2*sc), c20, c21, cf)
	update2(unsafe.Add(pc, 3*sc), c30, c31, cf)
	archsimd.ClearAVXUpperBits()
}

// kernel1x8 is kernel4x8 for one row: C[j] = alpha·Σ_p A[p]·B[p][j] +
// beta·C[j], j < 8, with A a pre-broadcast one-row panel (4 float64 per
// p). Even and odd p accumulate separately, for four independent chains.
func kernel1x8(k int, pa, pb unsafe.Pointer, sb uintptr, pc unsafe.Pointer, cf *coefs) {
	var c0, c1, d0, d1 archsimd.Float64x4
	var oa, ob uintptr
	for ; k >= 2; k -= 2 {
		x := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, oa)))
		b0 := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb, ob)))
		b1 := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb, ob+32)))
		c0 = b0.MulAdd(x, c0)
		c1 = b1.MulAdd(x, c1)
		ob += sb
		y := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, oa+32)))
		b0 = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb, ob)))
		b1 = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb, ob+32)))
		d0 = b0.MulAdd(y, d0)
		d1 = b1.MulAdd(y, d1)
		ob += sb
		oa += 64
	}
	if k > 0 {
		x := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, oa)))
		b0 := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb, ob)))
		b1 := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb, ob+32)))
		c0 = b0.MulAdd(x, c0)
		c1 = b1.MulAdd(x, c1)
	}
	update2(pc, c0.Add(d0), c1.Add(d1), cf)
	archsimd.ClearAVXUpperBits()
}

// coefs holds alpha and beta for the kernels' update of C, as vectors so
// that the kernels load them with VEX instructions (see the note on
// ClearAVXUpperBits in the file comment).
type coefs struct {
	alpha, beta vec
	// mode is betaZero (C = alpha·acc, C not read), betaOne
	// (C += alpha·acc) or betaOther (C = alpha·acc + beta·C).
	mode int
}

const (
	betaZero = iota
	betaOne
	betaOther
)

// setCoefs fills cf for the given alpha and beta.
func (cf *coefs) set(alpha, beta float64) {
	cf.alpha = vec{alpha, alpha, alpha, alpha}
	cf.beta = vec{beta, beta, beta, beta}
	switch beta {
	case 0:
		cf.mode = betaZero
	case 1:
		cf.mode = betaOne
	default:
		cf.mode = betaOther
	}
}

// update2 sets the 8 float64 at pc to alpha·[v0 v1] + beta·(those 8),
// without reading them when beta = 0.
func update2(pc unsafe.Pointer, v0, v1 archsimd.Float64x4, cf *coefs) {
	p0 := (*vec)(pc)
	p1 := (*vec)(unsafe.Add(pc, 32))
	al := archsimd.LoadFloat64x4(&cf.alpha)
	switch cf.mode {
	case betaZero:
		v0.Mul(al).Store(p0)
		v1.Mul(al).Store(p1)
	case betaOne:
		v0.MulAdd(al, archsimd.LoadFloat64x4(p0)).Store(p0)
		v1.MulAdd(al, archsimd.LoadFloat64x4(p1)).Store(p1)
	default:
		be := archsimd.LoadFloat64x4(&cf.beta)
		v0.MulAdd(al, archsimd.LoadFloat64x4(p0).Mul(be)).Store(p0)
		v1.MulAdd(al, archsimd.LoadFloat64x4(p1).Mul(be)).Store(p1)
	}
}

// hsum2 returns the sums of the four lanes of x and of y, in that order.
func hsum2(x, y archsimd.Float64x4) archsimd.Float64x2 {
	h := x.AddPairsGrouped(y) // [x0+x1, y0+y1, x2+x3, y2+y3]
	return h.GetLo().Add(h.GetHi())
}

// dot4x2 computes the eight dot products out[2r+s] = Σ_p A_r[p]·B_s[p],
// r < 4, s < 2, p < k, where row r of A starts at byte offset r·sa from
// pa and row s of B at s·sb from pb. k ≥ 1.
func dot4x2(k int, pa unsafe.Pointer, sa uintptr, pb unsafe.Pointer, sb uintptr, out *[8]float64) {
	pa1 := unsafe.Add(pa, sa)
	pa2 := unsafe.Add(pa, 2*sa)
	pa3 := unsafe.Add(pa, 3*sa)
	pb1 := unsafe.Add(pb, sb)
	var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float64x4
	var off uintptr
	end8 := uintptr(k&^7) * 8
	for ; off < end8; off += 64 {
		a0 := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, off)))
		a1 := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa1, off)))
		a2 := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa2, off)))
		a3 := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa3, off)))
		b := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb, off)))
		c00 = a0.MulAdd(b, c00)
		c10 = a1.MulAdd(b, c10)
		c20 = a2.MulAdd(b, c20)
		c30 = a3.MulAdd(b, c30)
		b = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb1, off)))
		c01 = a0.MulAdd(b, c01)
		c11 = a1.MulAdd(b, c11)
		c21 = a2.MulAdd(b, c21)
		c31 = a3.MulAdd(b, c31)
		a0 = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, off+32)))
		a1 = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa1, off+32)))
		a2 = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa2, off+32)))
		a3 = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa3, off+32)))
		b = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb, off+32)))
		c00 = a0.MulAdd(b, c00)
		c10 = a1.MulAdd(b, c10)
		c20 = a2.MulAdd(b, c20)
		c30 = a3.MulAdd(b, c30)
		b = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb1, off+32)))
		c01 = a0.MulAdd(b, c01)
		c11 = a1.MulAdd(b, c11)
		c21 = a2.MulAdd(b, c21)
		c31 = a3.MulAdd(b, c31)
	}
	if end4 := uintptr(k&^3) * 8; off < end4 {
		a0 := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, off)))
		a1 := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa1, off)))
		a2 := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa2, off)))
		a3 := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa3, off)))
		b := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb, off)))
		c00 = a0.MulAdd(b, c00)
		c10 = a1.MulAdd(b, c10)
		c20 = a2.MulAdd(b, c20)
		c30 = a3.MulAdd(b, c30)
		b = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb1, off)))
		c01 = a0.MulAdd(b, c01)
		c11 = a1.MulAdd(b, c11)
		c21 = a2.MulAdd(b, c21)
		c31 = a3.MulAdd(b, c31)
		off = end4
	}
	hsum2(c00, c01).Store((*[2]float64)(out[0:2]))
	hsum2(c10, c11).Store((*[2]float64)(out[2:4]))
	hsum2(c20, c21).Store((*[2]float64)(out[4:6]))
	hsum2(c30, c31).Store((*[2]float64)(out[6:8]))
	archsimd.ClearAVXUpperBits()
	for ; off < uintptr(k)*8; off += 8 {
		b0 := *(*float64)(unsafe.Add(pb, off))
		b1 := *(*float64)(unsafe.Add(pb1, off))
		a0 := *(*float64)(unsafe.Add(pa, off))
		a1 := *(*float64)(unsafe.Add(pa1, off))
		a2 := *(*float64)(unsafe.Add(pa2, off))
		a3 := *(*float64)(unsafe.Add(pa3, off))
		out[0] += a0 * b0
		out[1] += a0 * b1
		out[2] += a1 * b0
		out[3] += a1 * b1
		out[4] += a2 * b0
		out[5] += a2 * b1
		out[6] += a3 * b0
		out[7] += a3 * b1
	}
}

// dot4x1 computes out[r] = Σ_p A_r[p]·B[p], r < 4, p < k, with row r of A
// at byte offset r·sa from pa and B at pb, in four accumulators (unrolling
// further makes the compiler spill). k ≥ 1.
func dot4x1(k int, pa unsafe.Pointer, sa uintptr, pb unsafe.Pointer, out *[8]float64) {
	pa1 := unsafe.Add(pa, sa)
	pa2 := unsafe.Add(pa, 2*sa)
	pa3 := unsafe.Add(pa, 3*sa)
	var c0, c1, c2, c3 archsimd.Float64x4
	var off uintptr
	end4 := uintptr(k&^3) * 8
	for ; off < end4; off += 32 {
		b := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb, off)))
		c0 = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, off))).MulAdd(b, c0)
		c1 = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa1, off))).MulAdd(b, c1)
		c2 = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa2, off))).MulAdd(b, c2)
		c3 = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa3, off))).MulAdd(b, c3)
	}
	hsum2(c0, c1).Store((*[2]float64)(out[0:2]))
	hsum2(c2, c3).Store((*[2]float64)(out[2:4]))
	archsimd.ClearAVXUpperBits()
	for ; off < uintptr(k)*8; off += 8 {
		b := *(*float64)(unsafe.Add(pb, off))
		out[0] += *(*float64)(unsafe.Add(pa, off)) * b
		out[1] += *(*float64)(unsafe.Add(pa1, off)) * b
		out[2] += *(*float64)(unsafe.Add(pa2, off)) * b
		out[3] += *(*float64)(unsafe.Add(pa3, off)) * b
	}
}

// dot1x4 computes out[s] = Σ_p A[p]·B_s[p], s < 4, p < k, with A at pa
// and row s of B at byte offset s·sb from pb, in four accumulators
// (unrolling further makes the compiler spill). k ≥ 1.
func dot1x4(k int, pa, pb unsafe.Pointer, sb uintptr, out *[8]float64) {
	pb1 := unsafe.Add(pb, sb)
	pb2 := unsafe.Add(pb, 2*sb)
	pb3 := unsafe.Add(pb, 3*sb)
	var c0, c1, c2, c3 archsimd.Float64x4
	var off uintptr
	end4 := uintptr(k&^3) * 8
	for ; off < end4; off += 32 {
		a := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, off)))
		c0 = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb, off))).MulAdd(a, c0)
		c1 = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb1, off))).MulAdd(a, c1)
		c2 = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb2, off))).MulAdd(a, c2)
		c3 = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb3, off))).MulAdd(a, c3)
	}
	hsum2(c0, c1).Store((*[2]float64)(out[0:2]))
	hsum2(c2, c3).Store((*[2]float64)(out[2:4]))
	archsimd.ClearAVXUpperBits()
	for ; off < uintptr(k)*8; off += 8 {
		a := *(*float64)(unsafe.Add(pa, off))
		out[0] += a * *(*float64)(unsafe.Add(pb, off))
		out[1] += a * *(*float64)(unsafe.Add(pb1, off))
		out[2] += a * *(*float64)(unsafe.Add(pb2, off))
		out[3] += a * *(*float64)(unsafe.Add(pb3, off))
	}
}

// dot1x2 computes out[s] = Σ_p A[p]·B_s[p], s < 2, p < k, with A at pa
// and row s of B at byte offset s·sb from pb. Even and odd vector steps
// accumulate separately, for four independent chains. k ≥ 1.
func dot1x2(k int, pa, pb unsafe.Pointer, sb uintptr, out *[8]float64) {
	pb1 := unsafe.Add(pb, sb)
	var c0, c1, d0, d1 archsimd.Float64x4
	var off uintptr
	end8 := uintptr(k&^7) * 8
	for ; off < end8; off += 64 {
		a := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, off)))
		c0 = a.MulAdd(archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb, off))), c0)
		c1 = a.MulAdd(archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb1, off))), c1)
		a = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, off+32)))
		d0 = a.MulAdd(archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb, off+32))), d0)
		d1 = a.MulAdd(archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb1, off+32))), d1)
	}
	if end4 := uintptr(k&^3) * 8; off < end4 {
		a := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, off)))
		c0 = a.MulAdd(archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb, off))), c0)
		c1 = a.MulAdd(archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb1, off))), c1)
		off = end4
	}
	hsum2(c0.Add(d0), c1.Add(d1)).Store((*[2]float64)(out[0:2]))
	archsimd.ClearAVXUpperBits()
	for ; off < uintptr(k)*8; off += 8 {
		a := *(*float64)(unsafe.Add(pa, off))
		out[0] += a * *(*float64)(unsafe.Add(pb, off))
		out[1] += a * *(*float64)(unsafe.Add(pb1, off))
	}
}

// dot1x1 returns Σ_p A[p]·B[p], p < k, with A at pa and B at pb, using
// two independent chains. k ≥ 1.
func dot1x1(k int, pa, pb unsafe.Pointer) float64 {
	var c, d archsimd.Float64x4
	var off uintptr
	end8 := uintptr(k&^7) * 8
	for ; off < end8; off += 64 {
		a := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, off)))
		c = a.MulAdd(archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb, off))), c)
		a = archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, off+32)))
		d = a.MulAdd(archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb, off+32))), d)
	}
	if end4 := uintptr(k&^3) * 8; off < end4 {
		a := archsimd.LoadFloat64x4((*vec)(unsafe.Add(pa, off)))
		c = a.MulAdd(archsimd.LoadFloat64x4((*vec)(unsafe.Add(pb, off))), c)
		off = end4
	}
	var s [2]float64
	hsum2(c.Add(d), archsimd.Float64x4{}).Store(&s)
	archsimd.ClearAVXUpperBits()
	sum := s[0]
	for ; off < uintptr(k)*8; off += 8 {
		sum += *(*float64)(unsafe.Add(pa, off)) * *(*float64)(unsafe.Add(pb, off))
	}
	return sum
}
