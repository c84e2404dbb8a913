package vmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestScratchMax(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 1))
	xs := make([]float64, 600000)
	for i := range xs {
		xs[i] = 0.1 + rng.Float64()*0.5
	}
	got := make([]float64, len(xs))
	Tanh(got, xs)
	var mu, mr float64
	var c4 int
	for i, x := range xs {
		ref := refTanh(x)
		u := ulpDiff(got[i], ref)
		if u >= 4 {
			c4++
		}
		mu = max(mu, u)
		mr = max(mr, math.Abs(got[i]-ref)/ref/0x1p-52)
	}
	t.Logf("max ulp %.0f (n≥4: %d), max rel %.3f eps", mu, c4, mr)
}
