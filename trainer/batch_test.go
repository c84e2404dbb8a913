package trainer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestFusedMatchesGeneral checks that a tanh network's fused path (the
// layers activated in place by vmath.TanhJet and reversed from their
// outputs alone by vmath.TanhJetAdjoint) computes the same outputs and
// gradient as the general path (σ, σ', σ” stored), for no, one and two
// derivative streams (two: no shipped PDE without u_xx has them, so only
// this test runs that branch), in both precisions.
func TestFusedMatchesGeneral(t *testing.T) {
	act, _ := activationByName("tanh")
	nt, err := newNetwork([]int{2, 7, 6, 1}, act)
	if err != nil {
		t.Fatal(err)
	}
	p := make([]float64, nt.n)
	nt.initParams(p, 3)
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 19
	x, tt := make([]float64, n), make([]float64, n)
	for i := range n {
		x[i], tt[i] = 2*math.Pi*rng.Float64(), rng.Float64()
	}
	for _, st := range []streams{
		{},
		{dirs: [][2]float64{{30, 1}}},
		{dirs: [][2]float64{{1, 0}, {0, 1}}},
	} {
		gout := make([]float64, st.count()*n)
		for i := range gout {
			gout[i] = rng.NormFloat64()
		}
		t.Run(fmt.Sprintf("streams=%d/float64", st.count()), func(t *testing.T) {
			fusedMatchesGeneral[float64](t, nt, st, p, x, tt, gout, 1e-13)
		})
		t.Run(fmt.Sprintf("streams=%d/float32", st.count()), func(t *testing.T) {
			fusedMatchesGeneral[float32](t, nt, st, p, x, tt, gout, 2e-5)
		})
	}
}

func fusedMatchesGeneral[T real](t *testing.T, nt *network, st streams, p, x, tt, gout []float64, tol float64) {
	var w params[T]
	w.load(nt, p)
	run := func(fused bool) ([]T, [][]T) {
		b := newBatchPath[T](nt, st, rawEmbedding{}, x, tt, fused)
		if b.fused != fused {
			t.Fatalf("batch fused = %v, want %v", b.fused, fused)
		}
		b.forward(&w)
		out := append([]T(nil), b.out...)
		for i, v := range gout {
			b.gout[i] = T(v)
		}
		g := newParams[T](nt)
		b.backward(&w, g)
		return out, g
	}
	fOut, fGrad := run(true)
	gOut, gGrad := run(false)
	near := func(what string, a, b []T) {
		t.Helper()
		scale := 0.0
		for _, v := range b {
			scale = max(scale, math.Abs(float64(v)))
		}
		for i := range a {
			if d := math.Abs(float64(a[i] - b[i])); d > tol*scale {
				t.Fatalf("%s[%d]: fused %v, general %v (|Δ| %.3g > %.3g)", what, i, a[i], b[i], d, tol*scale)
			}
		}
	}
	near("out", fOut, gOut)
	for l := range fGrad {
		near(fmt.Sprintf("grad layer %d", l), fGrad[l], gGrad[l])
	}
}
