package simdblas

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/pinnsweep/pinnsweep/internal/simdlevel"
)

// Implementation is gonum's pure-Go BLAS (it embeds gonum.Implementation,
// so every blas.Float64, blas.Float32 and complex routine is available)
// with faster Dgemm and Sgemm where the build and the CPU allow it.
//
// With GOEXPERIMENT=simd on amd64 and a CPU with AVX2 and FMA, Dgemm and
// Sgemm run the register-blocked archsimd kernels described in the
// package documentation, 512-bit ones where the CPU has AVX-512. In every
// other build, and on other CPUs, Implementation behaves exactly like
// gonum.Implementation.
//
// The zero value is ready to use, and it is safe for concurrent use by
// multiple goroutines. Install it process-wide with
// blas64.Use(simdblas.Implementation{}) and blas32.Use(simdblas.Implementation{}).
type Implementation struct {
	gonum.Implementation
}

var (
	_ blas.Float64 = Implementation{}
	_ blas.Float32 = Implementation{}
)

// Level is the instruction set of the kernels a product runs on (see
// package internal/simdlevel, which chooses it at start-up).
type Level = simdlevel.Level

// Kernel levels, in increasing order of width.
const (
	// LevelNone: no kernels; every product is gonum's.
	LevelNone = simdlevel.None
	// LevelAVX2: 256-bit vectors (Float64x4, Float32x8); needs AVX2 and FMA.
	LevelAVX2 = simdlevel.AVX2
	// LevelAVX512: 512-bit vectors (Float64x8, Float32x16); needs
	// AVX-512 F, CD, BW, DQ and VL and FMA.
	LevelAVX512 = simdlevel.AVX512
)

// Accelerated reports whether Implementation's Dgemm uses the archsimd
// kernels in this build on this CPU. When it returns false, Dgemm is
// gonum's.
func Accelerated() bool { return accelerated() }

// Kernels reports the kernel levels Dgemm (f64) and Sgemm (f32) use in
// this build on this CPU, chosen once at start-up: the widest the CPU
// supports, capped by PINNSWEEP_KERNELS (package internal/simdlevel).
// LevelNone means gonum's routine.
func Kernels() (f64, f32 Level) { return kernelLevels() }
