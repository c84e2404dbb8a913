//go:build goexperiment.simd && amd64

package simdblas

// Ddot returns the dot product of x and y:
//
//	Σ_i x[i*incX]·y[i*incY]
//
// With unit increments and n ≥ minLevel1 it uses the vector kernels of
// level64 (four accumulators, fused multiply–adds), otherwise gonum's
// Ddot; the sums agree with gonum's to rounding but are not
// bit-identical. The argument checks and panics are gonum's.
func (impl Implementation) Ddot(n int, x []float64, incX int, y []float64, incY int) float64 {
	if level64 == LevelNone || incX != 1 || incY != 1 || n < minLevel1 || len(x) < n || len(y) < n {
		return impl.Implementation.Ddot(n, x, incX, y, incY)
	}
	if level64 == LevelAVX512 {
		return dotVecf64x8(x[:n], y)
	}
	return dotVecf64x4(x[:n], y)
}

// Daxpy adds alpha times x to y:
//
//	y[i*incY] += alpha·x[i*incX]
//
// With unit increments and n ≥ minLevel1 it uses the vector kernels of
// level64 (fused multiply–adds), otherwise gonum's Daxpy. The argument
// checks and panics are gonum's.
func (impl Implementation) Daxpy(n int, alpha float64, x []float64, incX int, y []float64, incY int) {
	if level64 == LevelNone || incX != 1 || incY != 1 || n < minLevel1 || len(x) < n || len(y) < n || alpha == 0 {
		impl.Implementation.Daxpy(n, alpha, x, incX, y, incY)
		return
	}
	if level64 == LevelAVX512 {
		axpyVecf64x8(alpha, x[:n], y)
		return
	}
	axpyVecf64x4(alpha, x[:n], y)
}

// minLevel1 is the smallest n for which Ddot and Daxpy use the kernels;
// shorter vectors go to gonum, whose set-up cost is lower.
const minLevel1 = 32
