//go:build !(goexperiment.simd && amd64)

package simdblas

// accelerated is false: without GOEXPERIMENT=simd on amd64 there are no
// kernels, and Implementation.Dgemm and Sgemm are the embedded gonum ones.
func accelerated() bool { return false }

func kernelLevels() (f64, f32 Level) { return LevelNone, LevelNone }
