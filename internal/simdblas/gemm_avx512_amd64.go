//go:build goexperiment.simd && amd64

package simdblas

//go:generate go run gen_asm.go

import (
	"sync"
	"unsafe"
)

// The AVX-512 level runs assembly micro-kernels (gemm_avx512_amd64.s,
// written by gen_asm.go) driven from this file. archsimd kernels of the
// same width (the f64x8 and f32x16 variants) remain for comparison
// (useAsm512) and their tests.

// useAsm512 selects the assembly kernels at the AVX-512 level; tests and
// benchmarks turn it off to compare with the archsimd ones.
var useAsm512 = true

// Blocking of the assembly kernels.
const (
	// asmMR×asmNV is the outer-product register block: 5 rows of C by 5
	// vectors (25 accumulators).
	asmMR = 5
	asmNV = 5
	// asmKC bounds the k extent of one pass of the outer-product path,
	// so that a strip of B (k rows of 5 vectors, 320 bytes each) stays in
	// L1 while every panel of A runs over it: 96 rows are 30 KiB.
	asmKC = 96
	// asmDR×asmDR is the dot-product block: 5 rows of A by 5 rows of B.
	asmDR = 5
	// asmKCDotBytes bounds the bytes of one row of A or B in one pass of
	// the dot-product path: five rows of A (20 KiB) stay in L1 while the
	// rows of B stream from L2.
	asmKCDotBytes = 4096
)

// outerArgs are the arguments of the outer-product kernels
// outer<R>x5<f64|f32>, which compute np panels of R rows of C by 5
// vectors: for panel g and row r < R,
//
//	C_g[r][j] = alpha·Σ_p A_g[r][p]·B[p][j] + beta·C_g[r][j],  p < k, j < 5·lanes,
//
// where A_g[r][p] is at pa + g·panA + r·sar + p·sak, B[p][j] at
// pb + p·sb + j·size and C_g[r][j] at pc + g·panC + r·sc + j·size. With
// mode 0, beta is taken as 0 and C is not read. k ≥ 1, np ≥ 1. The
// kernels read the struct and never write it. The field offsets are
// fixed in gen_asm.go.
type outerArgs[T float32 | float64] struct {
	k           int
	pa          unsafe.Pointer
	sar, sak    uintptr
	pb          unsafe.Pointer
	sb          uintptr
	pc          unsafe.Pointer
	sc          uintptr
	np          int
	mode        int
	panA, panC  uintptr
	alpha, beta T
}

type (
	outerArgsf64 = outerArgs[float64]
	outerArgsf32 = outerArgs[float32]
)

// dotArgs are the arguments of the dot-product kernels
// dot<R>x<C><f64|f32>, which compute nt tiles of R rows by C columns of
// C = alpha·A·Bᵀ + beta·C: for tile t, r < R and c < C,
//
//	C[r][t·C+c] = alpha·Σ_p A_r[p]·B_{t·C+c}[p] + beta·C[r][t·C+c],
//
// the sum over kv full vectors and, when mask ≠ 0, one more vector whose
// lanes are the set bits of mask, where row r of A starts at pa + r·sa,
// row j of B at pb + j·sb and C[r][j] is at pc + r·sc + j·size. rewind
// is kv·64, the bytes the kernel's k loop advances A and B by. With mode
// 0, beta is taken as 0 and C is not read. nt ≥ 1. The kernels read the
// struct and never write it; the field offsets are fixed in gen_asm.go.
type dotArgs[T float32 | float64] struct {
	kv          int
	mask        uint64
	pa          unsafe.Pointer
	sa          uintptr
	pb          unsafe.Pointer
	sb          uintptr
	pc          unsafe.Pointer
	sc          uintptr
	nt          int
	mode        int
	rewind      uintptr
	alpha, beta T
}

type (
	dotArgsf64 = dotArgs[float64]
	dotArgsf32 = dotArgs[float32]
)

// asmKernels are one element type's kernels.
type asmKernels[T float32 | float64] struct {
	lanes int
	outer [asmMR + 1]func(*outerArgs[T])          // by rows
	dot   [asmDR + 1][asmDR + 1]func(*dotArgs[T]) // by rows of A, rows of B
}

var asmf64 = asmKernels[float64]{
	lanes: 8,
	outer: [...]func(*outerArgsf64){nil, outer1x5f64, outer2x5f64, outer3x5f64, outer4x5f64, outer5x5f64},
	dot: [...][asmDR + 1]func(*dotArgsf64){
		{},
		{nil, dot1x1f64, dot1x2f64, dot1x3f64, dot1x4f64, dot1x5f64},
		{nil, dot2x1f64, dot2x2f64, dot2x3f64, dot2x4f64, dot2x5f64},
		{nil, dot3x1f64, dot3x2f64, dot3x3f64, dot3x4f64, dot3x5f64},
		{nil, dot4x1f64, dot4x2f64, dot4x3f64, dot4x4f64, dot4x5f64},
		{nil, dot5x1f64, dot5x2f64, dot5x3f64, dot5x4f64, dot5x5f64},
	},
}

var asmf32 = asmKernels[float32]{
	lanes: 16,
	outer: [...]func(*outerArgsf32){nil, outer1x5f32, outer2x5f32, outer3x5f32, outer4x5f32, outer5x5f32},
	dot: [...][asmDR + 1]func(*dotArgsf32){
		{},
		{nil, dot1x1f32, dot1x2f32, dot1x3f32, dot1x4f32, dot1x5f32},
		{nil, dot2x1f32, dot2x2f32, dot2x3f32, dot2x4f32, dot2x5f32},
		{nil, dot3x1f32, dot3x2f32, dot3x3f32, dot3x4f32, dot3x5f32},
		{nil, dot4x1f32, dot4x2f32, dot4x3f32, dot4x4f32, dot4x5f32},
		{nil, dot5x1f32, dot5x2f32, dot5x3f32, dot5x4f32, dot5x5f32},
	},
}

// asmWS holds the scratch buffers of one outer-product call: a strip of
// B (packed when B is transposed, or the zero-padded last columns) and a
// tile for the columns past the last full strip.
type asmWS[T float32 | float64] struct {
	strip []T
	tile  []T
	// The kernels' arguments: here rather than on the stack because the
	// kernels are called through asmKernels' function values, through
	// which escape analysis cannot see their go:noescape (each call
	// allocated them). clearArgs drops their pointers before the pool
	// keeps them.
	outer, raw outerArgs[T]
	dot        dotArgs[T]
}

// clearArgs zeroes the kernels' arguments, so that the pooled buffers do
// not keep the caller's matrices alive.
func (ws *asmWS[T]) clearArgs() {
	ws.outer, ws.raw, ws.dot = outerArgs[T]{}, outerArgs[T]{}, dotArgs[T]{}
}

var (
	asmPoolf64 = sync.Pool{New: func() any {
		return &asmWS[float64]{strip: make([]float64, asmKC*asmNV*8), tile: make([]float64, asmMR*asmNV*8)}
	}}
	asmPoolf32 = sync.Pool{New: func() any {
		return &asmWS[float32]{strip: make([]float32, asmKC*asmNV*16), tile: make([]float32, asmMR*asmNV*16)}
	}}
)

// gemmOuterAsm computes C = alpha·op(A)·op(B) + beta·C with the assembly
// outer-product kernels. For each k block of asmKC and each strip of
// 5·lanes columns of C, every 5-row panel of op(A) runs over the strip,
// which stays in L1; op(A) is read in place through its row and k
// strides (no packing). B is read in place unless it is transposed, when
// each strip is packed. The columns past the last full strip go through
// a zero-padded strip and ws.tile.
func gemmOuterAsm[T float32 | float64](kr *asmKernels[T], ws *asmWS[T], aTrans, bTrans bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	size := uintptr(unsafe.Sizeof(T(0)))
	nr := asmNV * kr.lanes // columns of a strip
	full, rem := m/asmMR, m%asmMR
	nfull := n / nr * nr
	var sar, sak uintptr
	if aTrans {
		sar, sak = size, uintptr(lda)*size
	} else {
		sar, sak = uintptr(lda)*size, size
	}
	aAt := func(i, p int) unsafe.Pointer {
		if aTrans {
			return unsafe.Pointer(&a[p*lda+i])
		}
		return unsafe.Pointer(&a[i*lda+p])
	}
	sc := uintptr(ldc) * size
	for p0 := 0; p0 < k; p0 += asmKC {
		kb := min(asmKC, k-p0)
		bt := beta
		if p0 > 0 {
			bt = 1
		}
		args := &ws.outer
		*args = outerArgs[T]{
			k: kb, sar: sar, sak: sak, sc: sc,
			panA: asmMR * sar, panC: asmMR * sc,
			alpha: alpha, beta: bt,
		}
		if bt != 0 {
			args.mode = 1
		}
		for j := 0; j < n; j += nr {
			tail := j >= nfull
			switch {
			case tail:
				packStrip(ws.strip, bTrans, b, ldb, p0, j, kb, n-j, nr)
				args.pb, args.sb = unsafe.Pointer(&ws.strip[0]), uintptr(nr)*size
			case bTrans:
				packStrip(ws.strip, true, b, ldb, p0, j, kb, nr, nr)
				args.pb, args.sb = unsafe.Pointer(&ws.strip[0]), uintptr(nr)*size
			default:
				args.pb, args.sb = unsafe.Pointer(&b[p0*ldb+j]), uintptr(ldb)*size
			}
			if !tail {
				if full > 0 {
					args.pa, args.pc, args.np = aAt(0, p0), unsafe.Pointer(&c[j]), full
					kr.outer[asmMR](args)
				}
				if rem > 0 {
					i := full * asmMR
					args.pa, args.pc, args.np = aAt(i, p0), unsafe.Pointer(&c[i*ldc+j]), 1
					kr.outer[rem](args)
				}
				continue
			}
			// The last, partial strip: each panel's raw sums go to the
			// tile, then into C.
			nb := n - j
			raw := &ws.raw
			*raw = *args
			raw.sc, raw.panC, raw.mode, raw.alpha, raw.np = uintptr(nr)*size, 0, 0, 1, 1
			raw.pc = unsafe.Pointer(&ws.tile[0])
			for i := 0; i < m; i += asmMR {
				r := min(asmMR, m-i)
				raw.pa = aAt(i, p0)
				kr.outer[r](raw)
				for q := range r {
					row := (i + q) * ldc
					storeRow(c[row+j:row+j+nb], ws.tile[q*nr:q*nr+nb], alpha, bt)
				}
			}
		}
	}
}

// packStrip copies rows p0…p0+kb−1 and columns j0…j0+w−1 of op(B) into
// dst as a kb×nr row-major strip, zero-padding columns w…nr−1.
func packStrip[T float32 | float64](dst []T, bTrans bool, b []T, ldb, p0, j0, kb, w, nr int) {
	dst = dst[:kb*nr]
	if !bTrans {
		for p := range kb {
			d := dst[p*nr : (p+1)*nr]
			copy(d, b[(p0+p)*ldb+j0:(p0+p)*ldb+j0+w])
			clear(d[w:])
		}
		return
	}
	if w < nr {
		clear(dst)
	}
	for j := range w {
		row := b[(j0+j)*ldb+p0 : (j0+j)*ldb+p0+kb]
		for p, v := range row {
			dst[p*nr+j] = v
		}
	}
}

// gemmDotAsm computes C = alpha·A·Bᵀ + beta·C with the assembly
// dot-product kernels: element (i, j) is the dot product of rows i of A
// and j of B, both contiguous. For each k block (asmKCDotBytes of a row)
// and each 5-row group of A, one kernel call runs over every full 5-row
// group of B and updates C; the last n mod 5 columns take one more call.
func gemmDotAsm[T float32 | float64](kr *asmKernels[T], ws *asmWS[T], m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	size := uintptr(unsafe.Sizeof(T(0)))
	kc := asmKCDotBytes / int(size)
	args := &ws.dot
	*args = dotArgs[T]{sa: uintptr(lda) * size, sb: uintptr(ldb) * size, sc: uintptr(ldc) * size, alpha: alpha}
	nt, cn := n/asmDR, n%asmDR
	for p0 := 0; p0 < k; p0 += kc {
		kb := min(kc, k-p0)
		args.kv = kb / kr.lanes
		args.mask = 1<<(kb%kr.lanes) - 1
		args.rewind = uintptr(args.kv) * 64
		args.beta, args.mode = beta, 1
		if p0 > 0 {
			args.beta = 1
		}
		if args.beta == 0 {
			args.mode = 0
		}
		for i := 0; i < m; i += asmDR {
			r := min(asmDR, m-i)
			args.pa = unsafe.Pointer(&a[i*lda+p0])
			if nt > 0 {
				args.pb, args.pc, args.nt = unsafe.Pointer(&b[p0]), unsafe.Pointer(&c[i*ldc]), nt
				kr.dot[r][asmDR](args)
			}
			if cn > 0 {
				j := nt * asmDR
				args.pb, args.pc, args.nt = unsafe.Pointer(&b[j*ldb+p0]), unsafe.Pointer(&c[i*ldc+j]), 1
				kr.dot[r][cn](args)
			}
		}
	}
}
