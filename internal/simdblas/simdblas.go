package simdblas

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
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

// Level is the instruction set of the kernels a product runs on.
type Level int

// Kernel levels, in increasing order of width.
const (
	// LevelNone: no kernels; every product is gonum's.
	LevelNone Level = iota
	// LevelAVX2: 256-bit vectors (Float64x4, Float32x8); needs AVX2 and FMA.
	LevelAVX2
	// LevelAVX512: 512-bit vectors (Float64x8, Float32x16); needs
	// AVX-512 F, CD, BW, DQ and VL and FMA.
	LevelAVX512
)

// String returns "none", "avx2" or "avx512".
func (l Level) String() string {
	switch l {
	case LevelAVX2:
		return "avx2"
	case LevelAVX512:
		return "avx512"
	}
	return "none"
}

// Accelerated reports whether Implementation's Dgemm uses the archsimd
// kernels in this build on this CPU. When it returns false, Dgemm is
// gonum's.
func Accelerated() bool { return accelerated() }

// Kernels reports the kernel levels Dgemm (f64) and Sgemm (f32) use in
// this build on this CPU, chosen once at start-up: the widest the CPU
// supports. LevelNone means gonum's routine.
func Kernels() (f64, f32 Level) { return kernelLevels() }

// capLevel returns the kernel level to use on a CPU that supports cpu,
// given the value of the environment variable PINNSWEEP_KERNELS: "avx2"
// caps it at LevelAVX2, "none" or "go" turns the kernels off, anything
// else (normally unset) leaves it. Benchmarks use it to compare the
// levels on one machine; the setting is read once, at start-up.
func capLevel(cpu Level, env string) Level {
	switch env {
	case "avx2":
		return min(cpu, LevelAVX2)
	case "none", "go":
		return LevelNone
	}
	return cpu
}
