//go:build !(goexperiment.simd && amd64)

package simdlevel

// detect returns None: this build has no vector kernels.
func detect() Level { return None }
