//go:build goexperiment.simd && amd64

package simdblas

import (
	"simd/archsimd"
	"sync"
	"unsafe"

	"gonum.org/v1/gonum/blas"
)

// useKernels selects the archsimd kernels. They need AVX2 (256-bit
// vectors) and FMA (VFMADD213PD); without both, Dgemm is gonum's. Tests
// clear it to check the fallback.
var useKernels = archsimd.X86.AVX2() && archsimd.X86.FMA()

func accelerated() bool { return useKernels }

// Blocking parameters.
const (
	// mr×nr is the register block of the outer-product kernel: 4 rows of C
	// by 8 columns, held in eight Float64x4 accumulators.
	mr = 4
	nr = 8

	// kcOuter bounds the k extent of one packed A block (and of one B
	// strip) in the outer-product path. A strip of B (kcOuter×8) stays in
	// L1; the pre-broadcast A block (≤ mcOuter×kcOuter×4 values, 256 KiB)
	// stays in L2.
	kcOuter = 128
	// mcOuter bounds the rows of one packed A block; a multiple of mr.
	mcOuter = 64

	// kcDot bounds the k extent of one pass of the dot-product path: a
	// 4-row group of A (4×kcDot values, 8 KiB) stays in L1 while the rows
	// of B (n×kcDot values) stream from L2.
	kcDot = 256
	// minKDot is the smallest k for which A·Bᵀ uses the dot-product
	// kernels; below it, B is packed for the outer-product kernels.
	minKDot = 16

	// ncOuter is the width of a packed block of B; a multiple of nr. A
	// block is at most kcOuter×ncOuter values (256 KiB).
	ncOuter = 256
	// packBMinBytes is the size of one k block of B (not transposed) from
	// which B is packed in blocks of ncOuter columns. Smaller B (the
	// trainer's 50×N with N ≲ 5000) is read in place by the kernel, which
	// measured up to 15% faster at N = 2000 when B is in cache; larger B
	// measured 15–25% faster packed (N = 6000 and 10000, k = 50).
	packBMinBytes = 2 << 20

	// minWork is the smallest m·n·k for which the kernels are used; tiny
	// products go to gonum, whose set-up cost is lower. Tests set
	// minWorkVar to 0 so that the kernels also see tiny shapes.
	minWork = 512
)

// minWorkVar and packBMinBytesVar are minWork and packBMinBytes, as
// variables so that tests can lower them.
var (
	minWorkVar       = minWork
	packBMinBytesVar = packBMinBytes
)

// Panic messages, identical to gonum's.
const (
	mLT0         = "blas: m < 0"
	nLT0         = "blas: n < 0"
	kLT0         = "blas: k < 0"
	badTranspose = "blas: illegal transpose"
	badLdA       = "blas: bad leading dimension of A"
	badLdB       = "blas: bad leading dimension of B"
	badLdC       = "blas: bad leading dimension of C"
	shortA       = "blas: insufficient length of a"
	shortB       = "blas: insufficient length of b"
	shortC       = "blas: insufficient length of c"
)

// Dgemm performs one of the matrix-matrix operations
//
//	C = alpha * A * B + beta * C
//	C = alpha * Aᵀ * B + beta * C
//	C = alpha * A * Bᵀ + beta * C
//	C = alpha * Aᵀ * Bᵀ + beta * C
//
// where A is an m×k or k×m dense matrix, B is an n×k or k×n dense matrix, C
// is an m×n matrix, and alpha and beta are scalars. tA and tB specify
// whether A or B are transposed. The matrices are row-major with leading
// dimensions lda, ldb and ldc, as in gonum.Implementation.Dgemm, and the
// argument checks and panics are gonum's.
//
// With beta = 0, C is overwritten without being read (NaN in C does not
// propagate). With alpha = 0 or k = 0, A and B are not read.
//
// This build computes C with AVX2/FMA kernels on one goroutine when the CPU
// has AVX2 and FMA (see Accelerated), and calls gonum's Dgemm otherwise or
// when m·n·k is tiny. The results agree with gonum's to rounding, but not
// bit for bit: the sums are accumulated in a different order and with
// fused multiply–adds.
func (impl Implementation) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if !useKernels {
		impl.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	switch tA {
	default:
		panic(badTranspose)
	case blas.NoTrans, blas.Trans, blas.ConjTrans:
	}
	switch tB {
	default:
		panic(badTranspose)
	case blas.NoTrans, blas.Trans, blas.ConjTrans:
	}
	if m < 0 {
		panic(mLT0)
	}
	if n < 0 {
		panic(nLT0)
	}
	if k < 0 {
		panic(kLT0)
	}
	aTrans := tA != blas.NoTrans
	bTrans := tB != blas.NoTrans
	if aTrans {
		if lda < max(1, m) {
			panic(badLdA)
		}
	} else if lda < max(1, k) {
		panic(badLdA)
	}
	if bTrans {
		if ldb < max(1, k) {
			panic(badLdB)
		}
	} else if ldb < max(1, n) {
		panic(badLdB)
	}
	if ldc < max(1, n) {
		panic(badLdC)
	}
	if m == 0 || n == 0 {
		return
	}
	if aTrans {
		if len(a) < (k-1)*lda+m {
			panic(shortA)
		}
	} else if len(a) < (m-1)*lda+k {
		panic(shortA)
	}
	if bTrans {
		if len(b) < (n-1)*ldb+k {
			panic(shortB)
		}
	} else if len(b) < (k-1)*ldb+n {
		panic(shortB)
	}
	if len(c) < (m-1)*ldc+n {
		panic(shortC)
	}

	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	if m*n*k < minWorkVar {
		impl.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if !aTrans && bTrans && k >= minKDot {
		dgemmDot(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	dgemmOuter(aTrans, bTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// scaleC sets C = beta·C; with beta = 0 it stores zeros without reading C.
func scaleC(m, n int, beta float64, c []float64, ldc int) {
	switch beta {
	case 1:
	case 0:
		for i := range m {
			clear(c[i*ldc : i*ldc+n])
		}
	default:
		for i := range m {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// workspace holds the packing buffers of one Dgemm call (about 520 KiB;
// pooled, so concurrent calls each get their own).
type workspace struct {
	// apack is one block of A, pre-broadcast: every element of op(A) is
	// stored four times, so that the kernels load it as a Float64x4 with
	// one instruction (see packA).
	apack [mcOuter * kcOuter * 4]float64
	// bpack is one zero-padded strip of op(B), kcOuter×nr.
	bpack [kcOuter * nr]float64
	// bblock is a block of ncOuter columns of B (not transposed), packed
	// as consecutive kc×nr strips; see packBBlock.
	bblock [kcOuter * ncOuter]float64
	// tile receives a kernel's block when it extends past the edge of C.
	tile [mr * nr]float64
}

var workspaces = sync.Pool{New: func() any { return new(workspace) }}

// dgemmOuter computes C = alpha·op(A)·op(B) + beta·C for any transposes
// with the outer-product kernels: for each k block and each block of up
// to mcOuter rows, A is packed pre-broadcast; then for each strip of nr
// columns of C, kernel4x8 runs down the 4-row panels (kernel1x8 does the
// last m mod 4 rows). A full strip of op(B) is read in place when B is
// not transposed and smaller than packBMinBytesVar, read from a packed
// block of ncOuter columns (packBBlock) when B is not transposed and
// larger, and otherwise packed on its own into a zero-padded kc×nr
// buffer (packB), as is the last strip when n mod nr ≠ 0. Blocks that
// extend past the last column of C go through ws.tile.
func dgemmOuter(aTrans, bTrans bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	ws := workspaces.Get().(*workspace)
	defer workspaces.Put(ws)
	sc := uintptr(ldc) * 8
	tile := unsafe.Pointer(&ws.tile[0])
	var raw coefs // the kernel's sums, unscaled
	raw.set(1, 0)
	for p0 := 0; p0 < k; p0 += kcOuter {
		kb := min(kcOuter, k-p0)
		bt := beta
		if p0 > 0 {
			bt = 1
		}
		var cf coefs
		cf.set(alpha, bt)
		// Pack B in blocks of ncOuter columns when this k block of B is
		// too large to stay in cache between calls.
		packBlocks := !bTrans && kb*n*8 >= packBMinBytesVar
		for i0 := 0; i0 < m; i0 += mcOuter {
			mb := min(mcOuter, m-i0)
			packA(ws.apack[:], aTrans, a, lda, i0, p0, mb, kb)
			full := mb / mr // number of 4-row panels
			pa := unsafe.Pointer(&ws.apack[0])
			for j0 := 0; j0 < n; j0 += nr {
				nb := min(nr, n-j0)
				var pb unsafe.Pointer
				var sb uintptr
				if packBlocks && nb == nr {
					if j0%ncOuter == 0 {
						packBBlock(ws.bblock[:], b, ldb, p0, j0, kb, min(ncOuter, (n-j0)&^(nr-1)))
					}
					pb = unsafe.Pointer(&ws.bblock[(j0%ncOuter)*kb])
					sb = nr * 8
				} else if !bTrans && nb == nr {
					pb = unsafe.Pointer(&b[p0*ldb+j0])
					sb = uintptr(ldb) * 8
				} else {
					packB(ws.bpack[:], bTrans, b, ldb, p0, j0, kb, nb)
					pb = unsafe.Pointer(&ws.bpack[0])
					sb = nr * 8
				}
				for g := range full {
					i := i0 + g*mr
					pag := unsafe.Add(pa, uintptr(g*kb*mr*4)*8)
					if nb == nr {
						kernel4x8(kb, pag, pb, sb, unsafe.Pointer(&c[i*ldc+j0]), sc, &cf)
						continue
					}
					kernel4x8(kb, pag, pb, sb, tile, nr*8, &raw)
					for r := range mr {
						storeRow(c[(i+r)*ldc+j0:(i+r)*ldc+j0+nb], ws.tile[r*nr:r*nr+nb], alpha, bt)
					}
				}
				for r := full * mr; r < mb; r++ {
					i := i0 + r
					par := unsafe.Add(pa, uintptr(full*kb*mr*4+(r-full*mr)*kb*4)*8)
					if nb == nr {
						kernel1x8(kb, par, pb, sb, unsafe.Pointer(&c[i*ldc+j0]), &cf)
						continue
					}
					kernel1x8(kb, par, pb, sb, tile, &raw)
					storeRow(c[i*ldc+j0:i*ldc+j0+nb], ws.tile[:nb], alpha, bt)
				}
			}
		}
	}
}

// storeRow sets dst = alpha·src + beta·dst, without reading dst when
// beta = 0.
func storeRow(dst, src []float64, alpha, beta float64) {
	src = src[:len(dst)]
	if beta == 0 {
		for j, v := range src {
			dst[j] = alpha * v
		}
		return
	}
	for j, v := range src {
		dst[j] = alpha*v + beta*dst[j]
	}
}

// packA packs rows i0…i0+mb−1 and columns p0…p0+kb−1 of op(A) into dst,
// every element stored four times (a broadcast Float64x4). The first
// ⌊mb/4⌋ panels hold four rows each, laid out as dst[(g·kb+p)·16+r·4+l] =
// op(A)[i0+4g+r, p0+p] for lane l; the remaining mb mod 4 rows follow as
// one-row panels of kb·4 values. Elements are copied as uint64 so that no
// SSE instruction runs (see the file comment of the kernels).
func packA(dstf []float64, aTrans bool, af []float64, lda, i0, p0, mb, kb int) {
	dst := asUint64(dstf)
	a := asUint64(af)
	full := mb / mr
	for g := range full {
		out := dst[g*kb*16 : (g+1)*kb*16]
		i := i0 + g*mr
		if !aTrans {
			r0 := a[i*lda+p0:]
			r0 = r0[:kb]
			r1 := a[(i+1)*lda+p0:]
			r1 = r1[:kb]
			r2 := a[(i+2)*lda+p0:]
			r2 = r2[:kb]
			r3 := a[(i+3)*lda+p0:]
			r3 = r3[:kb]
			for p := range kb {
				o := (*[16]uint64)(out[p*16 : p*16+16])
				v0, v1, v2, v3 := r0[p], r1[p], r2[p], r3[p]
				o[0], o[1], o[2], o[3] = v0, v0, v0, v0
				o[4], o[5], o[6], o[7] = v1, v1, v1, v1
				o[8], o[9], o[10], o[11] = v2, v2, v2, v2
				o[12], o[13], o[14], o[15] = v3, v3, v3, v3
			}
			continue
		}
		for p := range kb {
			col := (*[4]uint64)(a[(p0+p)*lda+i:])
			o := (*[16]uint64)(out[p*16 : p*16+16])
			v0, v1, v2, v3 := col[0], col[1], col[2], col[3]
			o[0], o[1], o[2], o[3] = v0, v0, v0, v0
			o[4], o[5], o[6], o[7] = v1, v1, v1, v1
			o[8], o[9], o[10], o[11] = v2, v2, v2, v2
			o[12], o[13], o[14], o[15] = v3, v3, v3, v3
		}
	}
	base := full * kb * 16
	for r := full * mr; r < mb; r++ {
		out := dst[base : base+kb*4]
		base += kb * 4
		i := i0 + r
		for p := range kb {
			var v uint64
			if aTrans {
				v = a[(p0+p)*lda+i]
			} else {
				v = a[i*lda+p0+p]
			}
			o := (*[4]uint64)(out[p*4 : p*4+4])
			o[0], o[1], o[2], o[3] = v, v, v, v
		}
	}
}

// packB packs rows p0…p0+kb−1 and columns j0…j0+nb−1 (nb ≤ nr) of op(B)
// into dst as a kb×nr row-major strip, zero-padding columns nb…nr−1.
// Elements are copied as uint64, like packA.
func packB(dstf []float64, bTrans bool, bf []float64, ldb, p0, j0, kb, nb int) {
	dst := asUint64(dstf)[:kb*nr]
	b := asUint64(bf)
	if nb < nr {
		clear(dst)
	}
	if !bTrans {
		for p := range kb {
			copy(dst[p*nr:p*nr+nb], b[(p0+p)*ldb+j0:(p0+p)*ldb+j0+nb])
		}
		return
	}
	for j := range nb {
		row := b[(j0+j)*ldb+p0:]
		row = row[:kb]
		for p, v := range row {
			dst[p*nr+j] = v
		}
	}
}

// packBBlock packs the full strips of rows p0…p0+kb−1 and columns
// j0…j0+nc−1 (nc a multiple of nr) of B, not transposed, into dst: strip s
// (columns j0+s…j0+s+7) is the kb×nr row-major array at dst[s·kb:]. It
// reads B row by row, which the hardware prefetchers follow better than
// the kernel's one 64-byte segment per row per strip.
func packBBlock(dstf []float64, bf []float64, ldb, p0, j0, kb, nc int) {
	dst := asUint64(dstf)
	b := asUint64(bf)
	for p := range kb {
		row := b[(p0+p)*ldb+j0:]
		row = row[:nc]
		for s := 0; s < nc; s += nr {
			copy(dst[(s*kb+p*nr):(s*kb+p*nr)+nr], row[s:s+nr])
		}
	}
}

// asUint64 returns the bits of s as a []uint64 sharing its memory.
func asUint64(s []float64) []uint64 {
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// dgemmDot computes C = alpha·A·Bᵀ + beta·C with the dot-product kernels:
// element (i, j) is the dot product of rows i of A and j of B, both
// contiguous. For each k block of kcDot, 4×2 blocks of C go through
// dot4x2 (dot4x1 for the last column when n is odd; the last m mod 4 rows
// go through dot1x4, dot1x2 and dot1x1), whose sums are then scaled into
// C.
func dgemmDot(m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	var out [8]float64
	sa := uintptr(lda) * 8
	sb := uintptr(ldb) * 8
	m4 := m &^ 3
	n2 := n &^ 1
	for p0 := 0; p0 < k; p0 += kcDot {
		kb := min(kcDot, k-p0)
		bt := beta
		if p0 > 0 {
			bt = 1
		}
		for i := 0; i < m4; i += 4 {
			pa := unsafe.Pointer(&a[i*lda+p0])
			for j := 0; j < n2; j += 2 {
				dot4x2(kb, pa, sa, unsafe.Pointer(&b[j*ldb+p0]), sb, &out)
				for r := range 4 {
					storeRow(c[(i+r)*ldc+j:(i+r)*ldc+j+2], out[2*r:2*r+2], alpha, bt)
				}
			}
			if n2 < n {
				dot4x1(kb, pa, sa, unsafe.Pointer(&b[n2*ldb+p0]), &out)
				for r := range 4 {
					storeRow(c[(i+r)*ldc+n2:(i+r)*ldc+n2+1], out[r:r+1], alpha, bt)
				}
			}
		}
		for i := m4; i < m; i++ {
			pa := unsafe.Pointer(&a[i*lda+p0])
			j := 0
			for ; j+4 <= n; j += 4 {
				dot1x4(kb, pa, unsafe.Pointer(&b[j*ldb+p0]), sb, &out)
				storeRow(c[i*ldc+j:i*ldc+j+4], out[0:4], alpha, bt)
			}
			if j < n2 {
				dot1x2(kb, pa, unsafe.Pointer(&b[j*ldb+p0]), sb, &out)
				storeRow(c[i*ldc+j:i*ldc+j+2], out[0:2], alpha, bt)
			}
			if n2 < n {
				out[0] = dot1x1(kb, pa, unsafe.Pointer(&b[n2*ldb+p0]))
				storeRow(c[i*ldc+n2:i*ldc+n2+1], out[0:1], alpha, bt)
			}
		}
	}
}
