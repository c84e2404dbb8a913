//go:build goexperiment.simd && amd64

package simdblas

import "testing"

// kernelBuild reports whether this test binary contains the kernels.
const kernelBuild = true

// setMinWork sets the m·n·k threshold below which Dgemm calls gonum, and
// restores it when the test ends.
func setMinWork(t testing.TB, v int) {
	old := minWorkVar
	minWorkVar = v
	t.Cleanup(func() { minWorkVar = old })
}

// setPackBMin sets the size of B from which the outer-product path packs
// B in blocks, and restores it when the test ends.
func setPackBMin(t testing.TB, v int) {
	old := packBMinBytesVar
	packBMinBytesVar = v
	t.Cleanup(func() { packBMinBytesVar = old })
}

// setKernels enables or disables the kernels (as if the CPU lacked AVX2
// or FMA), and restores the setting when the test ends. It reports
// whether the requested setting is possible on this CPU.
func setKernels(t testing.TB, on bool) bool {
	old := useKernels
	if on && !old {
		return false
	}
	useKernels = on
	t.Cleanup(func() { useKernels = old })
	return true
}
