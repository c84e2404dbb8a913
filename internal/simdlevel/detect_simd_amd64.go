//go:build goexperiment.simd && amd64

package simdlevel

import "simd/archsimd"

func detect() Level {
	switch {
	case !archsimd.X86.AVX2() || !archsimd.X86.FMA():
		return None
	case archsimd.X86.AVX512():
		return AVX512
	}
	return AVX2
}
