package optim

import (
	"math"

	"gonum.org/v1/gonum/floats"
)

// The O(m·n) two-loop recursion is the only hot loop of the optimizers; its
// dot products and axpys use gonum's assembly kernels. Everything else is a
// single fused pass in plain Go.

// dot returns aᵀb.
func dot(a, b []float64) float64 { return floats.Dot(a, b) }

// axpy sets y += alpha·x.
func axpy(alpha float64, x, y []float64) { floats.AddScaled(y, alpha, x) }

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
