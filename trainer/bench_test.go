package trainer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// benchProblem builds the paper configuration's loss: convection β = 30,
// 2-50-50-50-50-1 tanh, N_f collocation points, 256 IC points and 100
// boundary pairs.
func benchProblem(b *testing.B, nf, threads int) (*problem, []float64) {
	cfg := DefaultConfig()
	cfg.Beta = 30
	cfg.NF = nf
	m, err := newModel(&cfg)
	if err != nil {
		b.Fatal(err)
	}
	op, _ := operatorFor(&cfg)
	ic := func(x float64) float64 { return 0 }
	pr := newProblem(m.nt, m.emb, op, false, termWeights{1, 1, 1}, paperPoints(&cfg, ic), threads)
	return pr, m.p
}

// flopsPerEval counts the multiply-adds of one loss+gradient evaluation's
// GEMMs (3 per layer: forward, weight gradient, input adjoint; the first
// layer skips the input adjoint), as 2 FLOPs each.
func flopsPerEval(pr *problem) float64 {
	total := 0.0
	for _, sh := range pr.shards {
		for _, b := range []*batch{sh.ic, sh.bc, sh.res} {
			if b == nil {
				continue
			}
			for l := 0; l < pr.nt.layers(); l++ {
				mn := float64(pr.nt.sizes[l] * pr.nt.sizes[l+1] * b.cols)
				k := 2.0
				if l > 0 {
					k = 3
				}
				total += 2 * k * mn
			}
		}
	}
	return total
}

// BenchmarkLossGrad times one loss+gradient evaluation of the paper
// configuration (convection β = 30, float64). Run with -cpu 1 for the
// one-thread figure; -tags openblas selects OpenBLAS.
func BenchmarkLossGrad(b *testing.B) {
	for _, nf := range []int{1000, 10000} {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/nf=%d/shards=%d", BLASEngine, nf, threads), func(b *testing.B) {
				pr, p := benchProblem(b, nf, threads)
				grad := make([]float64, len(p))
				flops := flopsPerEval(pr)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					pr.eval(p, grad)
				}
				sec := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(sec*1e3, "ms/eval")
				b.ReportMetric(flops/sec/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkCausalAdamStep is one step of the β = 50 recipe
// (sweeps/examples/convection-beta50.yaml): redraw 2000 points, compute
// the causal weights, evaluate the loss and gradient. "in-pass" computes
// the weights from the evaluation's own forward pass and refills the
// buffers (what the trainer does); "separate" is the former way, a
// forward pass for the weights and a freshly allocated problem.
func BenchmarkCausalAdamStep(b *testing.B) {
	c := DefaultConfig()
	c.PDE, c.Beta, c.NF, c.Layers = Convection, 50, 2000, []int{64, 64, 64, 64}
	c.Strategy, c.Jitter, c.PeriodicX, c.FourierT, c.FourierSigma = StrategyResample, 1, 1, 32, 25
	c.CausalChunks, c.CausalEps, c.CausalEpsMax = 32, 0.01, 100
	for _, mode := range []string{"in-pass", "separate"} {
		b.Run(mode, func(b *testing.B) {
			m, err := newModel(&c)
			if err != nil {
				b.Fatal(err)
			}
			op, _ := operatorFor(&c)
			pts := paperPoints(&c, math.Sin)
			px, pt := interiorPoints(&c)
			sp := &sampler{poolX: px, poolT: pt, dx: 2 * math.Pi / float64(c.NX), dt: 1 / float64(c.NT-1), rng: rand.New(rand.NewPCG(1, 1))}
			s := &session{cfg: c}
			rw := newReweighter(&c)
			g := make([]float64, len(m.p))
			var pr *problem
			for b.Loop() {
				pts.resX, pts.resT = sp.draw(c.NF, 1, nil)
				if mode == "in-pass" {
					pts.resW = nil
					pr = s.redrawnProblem(pr, &c, m, pts)
					pr.causal = rw
				} else {
					pts.resW = rw.causalWeights(m, op, pts)
					pr = s.newProblem(&c, m, pts)
				}
				pr.eval(m.p, g)
			}
		})
	}
}
