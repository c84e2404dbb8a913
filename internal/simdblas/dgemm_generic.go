//go:build !(goexperiment.simd && amd64)

package simdblas

// accelerated is false: without GOEXPERIMENT=simd on amd64 there are no
// kernels, and Implementation.Dgemm is the embedded gonum one.
func accelerated() bool { return false }
