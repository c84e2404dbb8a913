//go:build !(goexperiment.simd && amd64)

package simdblas

// DotMixed returns Σ x[i]·y[i] over len(x) elements (len(y) ≥ len(x)),
// each float32 x[i] widened exactly to float64 and the sum accumulated in
// float64 (a plain loop in this build; vector kernels with
// GOEXPERIMENT=simd on amd64). L-BFGS with its curvature pairs stored in
// float32 uses it: half the memory traffic of float64 pairs, float64
// arithmetic.
func DotMixed(x []float32, y []float64) float64 { return dotMixedGo(x, y) }

// AxpyMixed sets y[i] += alpha·x[i] over len(x) elements (len(y) ≥
// len(x)), each float32 x[i] widened exactly to float64.
func AxpyMixed(alpha float64, x []float32, y []float64) { axpyMixedGo(alpha, x, y) }

// AxpyDot sets y[i] += alpha·x[i] and returns Σ z[i]·y[i] with the updated
// y, in one pass over len(x) elements (len(y), len(z) ≥ len(x)): the
// two-loop recursion of L-BFGS fuses each update of its direction with
// the next dot product, so the direction is read once instead of twice.
func AxpyDot(alpha float64, x, y, z []float64) float64 { return axpyDotGo(alpha, x, y, z) }

// AxpyDotMixed is AxpyDot with x and z in float32, each element widened
// exactly to float64.
func AxpyDotMixed(alpha float64, x []float32, y []float64, z []float32) float64 {
	return axpyDotMixedGo(alpha, x, y, z)
}
