//go:build !openblas

package trainer

// BLASEngine names the BLAS implementation the trainer's GEMMs use: gonum's
// pure-Go BLAS by default, "openblas" with -tags openblas.
const BLASEngine = "gonum"
