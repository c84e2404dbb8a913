//go:build !(goexperiment.simd && amd64)

package simdblas

import "testing"

// kernelBuild reports whether this test binary contains the kernels.
const kernelBuild = false

// setMinWork does nothing: this build has no kernels.
func setMinWork(testing.TB, int) {}

// setPackBMin does nothing: this build has no kernels.
func setPackBMin(testing.TB, int) {}

// setLevel reports whether the requested level is possible: this build
// has no kernels, so only LevelNone is.
func setLevel(_ testing.TB, lv Level) bool { return lv == LevelNone }

// cpuLevel is LevelNone: this build has no kernels.
func cpuLevel() Level { return LevelNone }

// setAsm512 does nothing: this build has no kernels.
func setAsm512(testing.TB, bool) {}
