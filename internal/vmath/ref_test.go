package vmath

import (
	"math"
	"math/big"
)

// refPrec is the working precision of the big.Float reference, far above
// the 53 bits of float64 so that the reference is exact for our purposes.
const refPrec = 160

// refTanh returns tanh(x) correctly rounded to float64 (up to a negligible
// double-rounding chance), computed with big.Float:
//
//	tanh(x) = −expm1(−2|x|) / (2 + expm1(−2|x|)), sign restored,
//
// which has no cancellation. expm1 uses its Taylor series for |y| < 1 and
// exp(y) − 1 otherwise, exp by the series of exp(y/2^m) squared m times.
func refTanh(x float64) float64 {
	switch {
	case math.IsNaN(x):
		return x
	case x == 0:
		return x
	case math.Abs(x) > 40:
		return math.Copysign(1, x)
	}
	a := math.Abs(x)
	if a < 1e-6 {
		// tanh a = a − a³/3 + 2a⁵/15 − 17a⁷/315 …; the a⁷ term is below
		// 2⁻¹⁶⁰ relative to a here.
		f := newF(a)
		a2 := newF(0).Mul(f, f)
		t := newF(2.0 / 15)
		t.Mul(t, a2)
		t.Sub(t, newF(0).Quo(newF(1), newF(3)))
		t.Mul(t, a2)
		t.Add(t, newF(1))
		t.Mul(t, f)
		v, _ := t.Float64()
		return math.Copysign(v, x)
	}
	y := newF(-2 * a) // exact
	em1 := expm1Big(y)
	den := newF(2)
	den.Add(den, em1)
	num := newF(0).Neg(em1)
	num.Quo(num, den)
	v, _ := num.Float64()
	return math.Copysign(v, x)
}

func newF(v float64) *big.Float { return new(big.Float).SetPrec(refPrec).SetFloat64(v) }

// expm1Big returns e^y − 1 for |y| ≤ 80.
func expm1Big(y *big.Float) *big.Float {
	if y.Cmp(newF(1)) < 0 && y.Cmp(newF(-1)) > 0 {
		return expSeries(y, true)
	}
	// e^y = (e^(y/2^m))^(2^m) with |y/2^m| < 1/16.
	m := 0
	z := new(big.Float).SetPrec(refPrec).Set(y)
	for z.Cmp(newF(1.0/16)) > 0 || z.Cmp(newF(-1.0/16)) < 0 {
		z.Quo(z, newF(2))
		m++
	}
	e := expSeries(z, false)
	for range m {
		e.Mul(e, e)
	}
	return e.Sub(e, newF(1))
}

// expSeries returns Σ yⁿ/n! over n ≥ 1 (minus1) or n ≥ 0.
func expSeries(y *big.Float, minus1 bool) *big.Float {
	sum := newF(0)
	if !minus1 {
		sum.SetFloat64(1)
	}
	term := newF(1)
	eps := new(big.Float).SetPrec(refPrec).SetMantExp(newF(1), -refPrec-8)
	for n := 1; n < 200; n++ {
		term.Mul(term, y)
		term.Quo(term, newF(float64(n)))
		sum.Add(sum, term)
		if new(big.Float).Abs(term).Cmp(eps) < 0 {
			break
		}
	}
	return sum
}

// ulpDiff returns |got − want| in units of the last place of want
// (ulp of the binade of want; for want = 0 the smallest subnormal).
func ulpDiff(got, want float64) float64 {
	if got == want {
		return 0
	}
	w := math.Abs(want)
	var ulp float64
	if w < math.SmallestNonzeroFloat64*(1<<52) {
		ulp = math.SmallestNonzeroFloat64
	} else {
		_, e := math.Frexp(w) // w = f·2^e, f ∈ [0.5, 1)
		ulp = math.Ldexp(1, e-53)
	}
	return math.Abs(got-want) / ulp
}
