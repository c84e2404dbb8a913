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
