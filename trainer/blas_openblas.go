//go:build openblas

package trainer

import (
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
)

// BLASEngine names the BLAS implementation the trainer's GEMMs use.
const BLASEngine = "openblas"

// With -tags openblas the trainer runs its GEMMs on OpenBLAS through
// gonum/netlib's cgo binding, linked against Debian's SERIAL OpenBLAS (the
// Makefile sets CGO_LDFLAGS).
//
// Debian's serial OpenBLAS is not safe to call from several threads at once
// (it is built without USE_LOCKING: concurrent calls corrupted gradients in
// TestGradientFiniteDifference with 3 shards), so every call is serialised
// by a mutex. Shards and concurrent trials in one process then overlap only
// their elementwise work; the pure-Go builds have no such lock.
func init() {
	l := &lockedBLAS{}
	blas64.Use(l)
	blas32.Use(l)
}

// lockedBLAS is netlib's OpenBLAS binding with the routines the trainer
// calls (Dgemm, Sgemm, Dgemv) serialised.
type lockedBLAS struct {
	netlib.Implementation
	mu sync.Mutex
}

var (
	_ blas.Float64 = (*lockedBLAS)(nil)
	_ blas.Float32 = (*lockedBLAS)(nil)
)

// Dgemm is netlib's Dgemm under the lock.
func (l *lockedBLAS) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Sgemm is netlib's Sgemm under the lock.
func (l *lockedBLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Dgemv is netlib's Dgemv under the lock.
func (l *lockedBLAS) Dgemv(tA blas.Transpose, m, n int, alpha float64, a []float64, lda int, x []float64, incX int, beta float64, y []float64, incY int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.Implementation.Dgemv(tA, m, n, alpha, a, lda, x, incX, beta, y, incY)
}
