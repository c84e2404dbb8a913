package refsol

import (
	"math"
	"testing"
)

func TestMetrics(t *testing.T) {
	tests := []struct {
		name               string
		pred, exact        []float64
		relL2, abs, linfRe float64
	}{
		// e = (0, 0, 1, −1): ‖e‖ = √2, ‖u‖ = √34, mean|e| = 2/4, max|e|/max|u| = 1/5.
		{"hand", []float64{1, 2, 3, 4}, []float64{1, 2, 2, 5}, math.Sqrt(2.0 / 34), 0.5, 0.2},
		// e = (0.5, −0.5): ‖e‖ = √0.5, ‖u‖ = √(9 + 16) = 5; max|u| = 4 from a negative value.
		{"negative", []float64{3.5, -4.5}, []float64{3, -4}, math.Sqrt(0.5) / 5, 0.5, 0.125},
		{"exact", []float64{1, -2}, []float64{1, -2}, 0, 0, 0},
		// A zero prediction has relative errors 1, the failure level of a PINN.
		{"zero", []float64{0, 0, 0}, []float64{1, -1, 2}, 1, 4.0 / 3, 1},
	}
	for _, tc := range tests {
		r, a, l := Metrics(tc.pred, tc.exact)
		if math.Abs(r-tc.relL2) > 1e-15 || math.Abs(a-tc.abs) > 1e-15 || math.Abs(l-tc.linfRe) > 1e-15 {
			t.Errorf("%s: Metrics = (%.17g, %.17g, %.17g), want (%.17g, %.17g, %.17g)",
				tc.name, r, a, l, tc.relL2, tc.abs, tc.linfRe)
		}
	}
}

func TestMetricsDegenerate(t *testing.T) {
	for _, tc := range []struct{ pred, exact []float64 }{
		{[]float64{1}, []float64{1, 2}},
		{nil, nil},
	} {
		r, a, l := Metrics(tc.pred, tc.exact)
		if !math.IsNaN(r) || !math.IsNaN(a) || !math.IsNaN(l) {
			t.Errorf("Metrics(%v, %v) = %g, %g, %g; want NaNs", tc.pred, tc.exact, r, a, l)
		}
	}
	if r, _, l := Metrics([]float64{1}, []float64{0}); !math.IsInf(r, 1) || !math.IsInf(l, 1) {
		t.Errorf("zero reference: relL2 %g, linfRel %g; want +Inf", r, l)
	}
	if _, _, l := Metrics([]float64{math.NaN(), 0}, []float64{1, 0}); !math.IsNaN(l) {
		t.Errorf("NaN prediction: linfRel %g, want NaN", l)
	}
}
