package optim

import (
	"math"

	"github.com/pinnsweep/pinnsweep/internal/simdblas"
)

// The O(m·n) two-loop recursion is the only hot loop of the optimizers:
// 4·History passes over vectors of n float64 per iteration, 12.6 MB for
// the trainer's n = 7851 and History 50, most of it from L3. Its dot
// products and axpys use simdblas's AVX-512 or AVX2 kernels (gonum's SSE2
// assembly in builds without GOEXPERIMENT=simd), which made the two-loop
// about 4× faster and a small share of a trial (BENCHMARKS.md).
// Everything else is a single fused pass in plain Go.

// blas is the level-1 BLAS of the two-loop.
var blas simdblas.Implementation

// dot returns aᵀb.
func dot(a, b []float64) float64 { return blas.Ddot(len(a), a, 1, b, 1) }

// axpy sets y += alpha·x.
func axpy(alpha float64, x, y []float64) { blas.Daxpy(len(x), alpha, x, 1, y, 1) }

// maxAbs returns max|v_i| (0 for an empty slice). NaN entries are skipped;
// callers only pass vectors already known to be finite.
func maxAbs(v []float64) float64 {
	m := 0.0
	for _, e := range v {
		if a := math.Abs(e); a > m {
			m = a
		}
	}
	return m
}

// maxAbsFinite returns max|v_i| and whether every entry is finite, in one pass.
func maxAbsFinite(v []float64) (float64, bool) {
	m, z := 0.0, 0.0
	for _, e := range v {
		z += e * 0 // stays 0 unless some e is ±Inf or NaN
		if a := math.Abs(e); a > m {
			m = a
		}
	}
	return m, z == 0
}

// sumAbs returns Σ|v_i|.
func sumAbs(v []float64) float64 {
	s := 0.0
	for _, e := range v {
		s += math.Abs(e)
	}
	return s
}

// pyMax and pyMin reproduce Python's builtin max(a, b) and min(a, b) on two
// floats, including their NaN behaviour (the first argument wins unless the
// second compares strictly greater/smaller).
func pyMax(a, b float64) float64 {
	if b > a {
		return b
	}
	return a
}

func pyMin(a, b float64) float64 {
	if b < a {
		return b
	}
	return a
}
