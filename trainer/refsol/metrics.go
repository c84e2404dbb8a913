package refsol

import "math"

// Metrics compares a prediction with the reference over all points, as the
// public code does over the flattened grid (main_pbc.py):
//
//	relL2   = ‖pred − exact‖₂ / ‖exact‖₂
//	absMean = (1/N) Σ |pred − exact|
//	linfRel = max |pred − exact| / max |exact|
//
// If the lengths differ or are zero, all three are NaN. A zero reference
// gives +Inf (or NaN when the error is zero too), by plain division.
func Metrics(pred, exact []float64) (relL2, absMean, linfRel float64) {
	if len(pred) != len(exact) || len(exact) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	var num, den, sumAbs, maxErr, maxRef float64
	for k, u := range exact {
		e := pred[k] - u
		num += e * e
		den += u * u
		a := math.Abs(e)
		sumAbs += a
		if a > maxErr || math.IsNaN(a) {
			maxErr = a
		}
		maxRef = math.Max(maxRef, math.Abs(u))
	}
	return math.Sqrt(num) / math.Sqrt(den), sumAbs / float64(len(exact)), maxErr / maxRef
}
