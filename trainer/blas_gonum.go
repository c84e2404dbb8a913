//go:build !openblas && !goexperiment.simd

package trainer

// BLASEngine names the BLAS implementation the trainer's GEMMs use: gonum's
// pure-Go BLAS in the default build, gonum with archsimd GEMM kernels
// (internal/simdblas) with GOEXPERIMENT=simd, "openblas" with -tags openblas.
const BLASEngine = "gonum"
