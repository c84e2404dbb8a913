package simdblas

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Implementation is gonum's pure-Go BLAS (it embeds gonum.Implementation,
// so every blas.Float64 and blas.Complex128 routine is available) with a
// faster Dgemm where the build and the CPU allow it.
//
// With GOEXPERIMENT=simd on amd64 and a CPU with AVX2 and FMA, Dgemm runs
// the register-blocked archsimd kernels described in the package
// documentation. In every other build, and on other CPUs, Implementation
// behaves exactly like gonum.Implementation.
//
// The zero value is ready to use, and it is safe for concurrent use by
// multiple goroutines. Install it process-wide with
// blas64.Use(simdblas.Implementation{}).
type Implementation struct {
	gonum.Implementation
}

var _ blas.Float64 = Implementation{}

// Accelerated reports whether Implementation's Dgemm uses the archsimd
// kernels in this build on this CPU. When it returns false, Dgemm is
// gonum's.
func Accelerated() bool { return accelerated() }
