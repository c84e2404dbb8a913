//go:build goexperiment.simd && amd64

package vmath

import (
	"testing"

	"github.com/pinnsweep/pinnsweep/internal/simdlevel"
)

// levelNames are the kernel levels, narrowest first.
var levelNames = []string{"go", "avx2", "avx512"}

// setLevel makes both precisions use the named kernel level and restores
// the start-up levels when the test ends. It reports whether this build
// and CPU can run it.
func setLevel(t testing.TB, name string) bool {
	for l, n := range levelNames {
		if n != name {
			continue
		}
		if simdlevel.Level(l) > detected {
			return false
		}
		o64, o32 := level64, level32
		level64, level32 = simdlevel.Level(l), simdlevel.Level(l)
		t.Cleanup(func() { level64, level32 = o64, o32 })
		return true
	}
	return false
}
