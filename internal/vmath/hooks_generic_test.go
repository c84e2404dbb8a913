//go:build !(goexperiment.simd && amd64)

package vmath

import "testing"

// levelNames are the kernel levels, narrowest first.
var levelNames = []string{"go", "avx2", "avx512"}

// setLevel reports whether the named level is possible: this build has
// only the portable kernels.
func setLevel(_ testing.TB, name string) bool { return name == "go" }
