package simdlevel

import (
	"os"
	"testing"
)

// TestCapLevel checks PINNSWEEP_KERNELS's effect on the start-up level.
func TestCapLevel(t *testing.T) {
	for _, tc := range []struct {
		cpu  Level
		env  string
		want Level
	}{
		{AVX512, "", AVX512}, {AVX512, "avx2", AVX2}, {AVX512, "none", None}, {AVX512, "go", None},
		{AVX2, "avx2", AVX2}, {None, "avx2", None}, {AVX512, "avx512", AVX512}, {AVX2, "bogus", AVX2},
	} {
		if got := capLevel(tc.cpu, tc.env); got != tc.want {
			t.Errorf("capLevel(%v, %q) = %v, want %v", tc.cpu, tc.env, got, tc.want)
		}
	}
	if want := capLevel(CPU(), os.Getenv("PINNSWEEP_KERNELS")); Start() != want {
		t.Errorf("Start() = %v, want %v (CPU %v)", Start(), want, CPU())
	}
	t.Logf("CPU() = %v, Start() = %v", CPU(), Start())
}
