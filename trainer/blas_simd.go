//go:build !openblas && goexperiment.simd

package trainer

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/pinnsweep/pinnsweep/internal/simdblas"
)

// BLASEngine names the BLAS implementation the trainer's GEMMs use.
const BLASEngine = "gonum+simd"

// With GOEXPERIMENT=simd (and no openblas tag) the GEMMs run on gonum's BLAS
// with Dgemm and Sgemm replaced by the AVX-512 or AVX2/FMA kernels of
// internal/simdblas — still pure Go, no cgo; CPUs without AVX2 and FMA fall
// back to gonum's kernels.
func init() {
	blas64.Use(simdblas.Implementation{})
	blas32.Use(simdblas.Implementation{})
}
