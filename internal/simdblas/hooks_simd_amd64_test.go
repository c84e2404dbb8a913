//go:build goexperiment.simd && amd64

package simdblas

import "testing"

// kernelBuild reports whether this test binary contains the kernels.
const kernelBuild = true

// setMinWork sets the m·n·k threshold below which the kernels call gonum,
// and restores it when the test ends.
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

// setLevel makes Dgemm and Sgemm use the kernels of level lv (LevelNone:
// gonum's, as on a CPU without AVX2 or FMA) and restores the start-up
// levels when the test ends. It reports whether this CPU can run lv.
func setLevel(t testing.TB, lv Level) bool {
	if lv > detected {
		return false
	}
	o64, o32 := level64, level32
	level64, level32 = lv, lv
	t.Cleanup(func() { level64, level32 = o64, o32 })
	return true
}

// cpuLevel is the widest level this CPU supports.
func cpuLevel() Level { return detected }

// setAsm512 chooses the assembly (true) or archsimd (false) kernels at
// the AVX-512 level and restores the choice when the test ends.
func setAsm512(t testing.TB, on bool) {
	old := useAsm512
	useAsm512 = on
	t.Cleanup(func() { useAsm512 = old })
}
