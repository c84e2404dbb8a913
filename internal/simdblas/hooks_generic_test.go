//go:build !(goexperiment.simd && amd64)

package simdblas

import "testing"

// kernelBuild reports whether this test binary contains the kernels.
const kernelBuild = false

// setMinWork does nothing: this build has no kernels.
func setMinWork(testing.TB, int) {}

// setPackBMin does nothing: this build has no kernels.
func setPackBMin(testing.TB, int) {}

// setKernels reports whether the requested setting is possible: this
// build has no kernels, so only off is.
func setKernels(_ testing.TB, on bool) bool { return !on }
