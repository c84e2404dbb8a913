//go:build goexperiment.simd && amd64

package simdblas

//go:generate go run gen_kernels.go

import (
	"unsafe"

	"gonum.org/v1/gonum/blas"

	"github.com/pinnsweep/pinnsweep/internal/simdlevel"
)

// detected is the widest level this CPU supports.
var detected = simdlevel.CPU()

// level64 and level32 are the levels Dgemm and Sgemm use, chosen once at
// start-up (simdlevel.Start). Tests lower them to check every path this
// CPU can run.
var (
	level64 = simdlevel.Start()
	level32 = level64
)

func accelerated() bool { return level64 != LevelNone }

func kernelLevels() (f64, f32 Level) { return level64, level32 }

// Blocking parameters shared by every variant (the per-variant ones are
// in the generated files).
const (
	// kcDot bounds the k extent of one pass of the dot-product path: a
	// 4-row group of A stays in L1 while the rows of B stream from L2.
	kcDot = 256
	// minKDot is the smallest k for which A·Bᵀ uses the dot-product
	// kernels; below it, B is packed for the outer-product kernels.
	minKDot = 16

	// packBMinBytes is the size of one k block of B (not transposed) from
	// which B is packed in blocks. Smaller B (the trainer's 50×N with
	// N ≲ 5000 in float64) is read in place by the kernel, which measured
	// up to 15% faster at N = 2000 when B is in cache; larger B measured
	// 15–25% faster packed (N = 6000 and 10000, k = 50).
	packBMinBytes = 2 << 20

	// minWork is the smallest m·n·k for which the kernels are used; tiny
	// products go to gonum, whose set-up cost is lower.
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

// gemmPath is what checkGemm decided for a product.
type gemmPath int

const (
	pathNone  gemmPath = iota // nothing to compute (m = 0 or n = 0)
	pathScale                 // alpha = 0 or k = 0: C = beta·C
	pathGonum                 // a tiny product: the embedded gonum routine
	pathDot                   // A·Bᵀ with k ≥ minKDot: the dot-product kernels
	pathOuter                 // the outer-product kernels
)

// checkGemm validates the arguments of a GEMM exactly as gonum does
// (same checks, same order, same panic messages) and picks the path.
func checkGemm(tA, tB blas.Transpose, m, n, k, lda, ldb, ldc, lenA, lenB, lenC int, alphaZero bool) gemmPath {
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
		return pathNone
	}
	if aTrans {
		if lenA < (k-1)*lda+m {
			panic(shortA)
		}
	} else if lenA < (m-1)*lda+k {
		panic(shortA)
	}
	if bTrans {
		if lenB < (n-1)*ldb+k {
			panic(shortB)
		}
	} else if lenB < (k-1)*ldb+n {
		panic(shortB)
	}
	if lenC < (m-1)*ldc+n {
		panic(shortC)
	}
	switch {
	case alphaZero || k == 0:
		return pathScale
	case m*n*k < minWorkVar:
		return pathGonum
	case !aTrans && bTrans && k >= minKDot:
		return pathDot
	}
	return pathOuter
}

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
// This build computes C with AVX-512 or AVX2/FMA kernels on one goroutine
// (see Kernels), and calls gonum's Dgemm on CPUs without AVX2 and FMA or
// when m·n·k is tiny. The results agree with gonum's to rounding, but not
// bit for bit: the sums are accumulated in a different order and with
// fused multiply–adds.
func (impl Implementation) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	lv := level64
	if lv == LevelNone {
		impl.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	switch checkGemm(tA, tB, m, n, k, lda, ldb, ldc, len(a), len(b), len(c), alpha == 0) {
	case pathScale:
		scaleC(m, n, beta, c, ldc)
	case pathGonum:
		impl.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	case pathDot:
		if lv == LevelAVX512 && useAsm512 {
			ws := asmPoolf64.Get().(*asmWS[float64])
			gemmDotAsm(&asmf64, ws, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
			ws.clearArgs()
			asmPoolf64.Put(ws)
		} else if lv == LevelAVX512 {
			gemmDotf64x8(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		} else {
			gemmDotf64x4(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		}
	case pathOuter:
		aT, bT := tA != blas.NoTrans, tB != blas.NoTrans
		if lv == LevelAVX512 && useAsm512 {
			ws := asmPoolf64.Get().(*asmWS[float64])
			gemmOuterAsm(&asmf64, ws, aT, bT, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
			ws.clearArgs()
			asmPoolf64.Put(ws)
		} else if lv == LevelAVX512 {
			gemmOuterf64x8(aT, bT, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		} else {
			gemmOuterf64x4(aT, bT, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		}
	}
}

// Sgemm is Dgemm for float32: the same operations, argument checks,
// panics and special cases, computed in float32 with the float32 kernels
// (Float32x16 with AVX-512, Float32x8 with AVX2/FMA), and with gonum's
// Sgemm on other CPUs and for tiny products.
func (impl Implementation) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	lv := level32
	if lv == LevelNone {
		impl.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	switch checkGemm(tA, tB, m, n, k, lda, ldb, ldc, len(a), len(b), len(c), alpha == 0) {
	case pathScale:
		scaleC(m, n, beta, c, ldc)
	case pathGonum:
		impl.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	case pathDot:
		if lv == LevelAVX512 && useAsm512 {
			ws := asmPoolf32.Get().(*asmWS[float32])
			gemmDotAsm(&asmf32, ws, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
			ws.clearArgs()
			asmPoolf32.Put(ws)
		} else if lv == LevelAVX512 {
			gemmDotf32x16(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		} else {
			gemmDotf32x8(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		}
	case pathOuter:
		aT, bT := tA != blas.NoTrans, tB != blas.NoTrans
		if lv == LevelAVX512 && useAsm512 {
			ws := asmPoolf32.Get().(*asmWS[float32])
			gemmOuterAsm(&asmf32, ws, aT, bT, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
			ws.clearArgs()
			asmPoolf32.Put(ws)
		} else if lv == LevelAVX512 {
			gemmOuterf32x16(aT, bT, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		} else {
			gemmOuterf32x8(aT, bT, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		}
	}
}

// scaleC sets C = beta·C; with beta = 0 it stores zeros without reading C.
func scaleC[T float32 | float64](m, n int, beta T, c []T, ldc int) {
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

// storeRow sets dst = alpha·src + beta·dst, without reading dst when
// beta = 0.
func storeRow[T float32 | float64](dst, src []T, alpha, beta T) {
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

// asUint64 and asUint32 return the bits of s as unsigned integers
// sharing its memory, for copies that must not run legacy SSE
// instructions.
func asUint64(s []float64) []uint64 {
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

func asUint32(s []float32) []uint32 {
	return unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// betaMode says how the kernels update C for a given beta.
func betaMode(beta float64) int {
	switch beta {
	case 0:
		return betaZero
	case 1:
		return betaOne
	}
	return betaOther
}

// Update modes of C: overwrite (beta = 0, C not read), accumulate
// (beta = 1) or scale and accumulate.
const (
	betaZero = iota
	betaOne
	betaOther
)
