//go:build goexperiment.simd && amd64

package simdblas

// DotMixed returns Σ x[i]·y[i] over len(x) elements (len(y) ≥ len(x)),
// each float32 x[i] widened exactly to float64 and the sum accumulated in
// float64, with the vector kernels of Kernels' float64 level (four
// accumulators, fused multiply–adds) or a plain loop without them.
// L-BFGS with its curvature pairs stored in float32 uses it: half the
// memory traffic of float64 pairs, float64 arithmetic.
func DotMixed(x []float32, y []float64) float64 {
	switch {
	case level64 == LevelAVX512 && len(x) >= minLevel1:
		return dotMixedf64x8(x, y[:len(x)])
	case level64 == LevelAVX2 && len(x) >= minLevel1:
		return dotMixedf64x4(x, y[:len(x)])
	}
	return dotMixedGo(x, y)
}

// AxpyMixed sets y[i] += alpha·x[i] over len(x) elements (len(y) ≥
// len(x)), each float32 x[i] widened exactly to float64, with the vector
// kernels of Kernels' float64 level (fused multiply–adds) or a plain loop
// without them.
func AxpyMixed(alpha float64, x []float32, y []float64) {
	switch {
	case level64 == LevelAVX512 && len(x) >= minLevel1:
		axpyMixedf64x8(alpha, x, y[:len(x)])
	case level64 == LevelAVX2 && len(x) >= minLevel1:
		axpyMixedf64x4(alpha, x, y[:len(x)])
	default:
		axpyMixedGo(alpha, x, y)
	}
}

// AxpyDot sets y[i] += alpha·x[i] and returns Σ z[i]·y[i] with the updated
// y, in one pass over len(x) elements (len(y), len(z) ≥ len(x)): the
// two-loop recursion of L-BFGS fuses each update of its direction with
// the next dot product, so the direction is read once instead of twice.
// It uses the vector kernels of Kernels' float64 level (fused
// multiply–adds) or a plain loop without them.
func AxpyDot(alpha float64, x, y, z []float64) float64 {
	switch {
	case level64 == LevelAVX512 && len(x) >= minLevel1:
		return axpyDotf64x8(alpha, x, y[:len(x)], z[:len(x)])
	case level64 == LevelAVX2 && len(x) >= minLevel1:
		return axpyDotf64x4(alpha, x, y[:len(x)], z[:len(x)])
	}
	return axpyDotGo(alpha, x, y, z)
}

// AxpyDotMixed is AxpyDot with x and z in float32, each element widened
// exactly to float64.
func AxpyDotMixed(alpha float64, x []float32, y []float64, z []float32) float64 {
	switch {
	case level64 == LevelAVX512 && len(x) >= minLevel1:
		return axpyDotMixedf64x8(alpha, x, y[:len(x)], z[:len(x)])
	case level64 == LevelAVX2 && len(x) >= minLevel1:
		return axpyDotMixedf64x4(alpha, x, y[:len(x)], z[:len(x)])
	}
	return axpyDotMixedGo(alpha, x, y, z)
}
