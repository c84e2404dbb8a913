package trainer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// randomPoints builds a small point set on the paper's domain.
func randomPoints(rng *rand.Rand, nIC, nBC, nRes int, weighted bool) pointSet {
	var ps pointSet
	for i := 0; i < nIC; i++ {
		x := 2 * math.Pi * rng.Float64()
		ps.icX = append(ps.icX, x)
		ps.icT = append(ps.icT, 0)
		ps.icU = append(ps.icU, math.Sin(x))
	}
	for i := 0; i < nBC; i++ {
		ps.bcT = append(ps.bcT, rng.Float64())
	}
	ps.xl, ps.xr = 0, 2*math.Pi
	for i := 0; i < nRes; i++ {
		ps.resX = append(ps.resX, 2*math.Pi*rng.Float64())
		ps.resT = append(ps.resT, rng.Float64())
		if weighted {
			ps.resW = append(ps.resW, 0.5+rng.Float64())
		}
	}
	return ps
}

// TestGradientFiniteDifference checks the gradient of every loss term for
// every PDE and activation against central finite differences.
func TestGradientFiniteDifference(t *testing.T) {
	type tc struct {
		pde        string
		act        string
		periodicUx bool
		weighted   bool
		threads    int
	}
	var cases []tc
	for _, pde := range []string{Convection, Reaction, Diffusion, ReactionDiffusion} {
		for _, act := range []string{"tanh", "sin"} {
			cases = append(cases, tc{pde, act, pde == Diffusion || pde == ReactionDiffusion, false, 1})
		}
	}
	cases = append(cases,
		tc{Convection, "tanh", true, true, 3},
		tc{"convection+features", "tanh", false, false, 1},
		tc{"rd+features", "tanh", false, true, 2},
		tc{ReactionDiffusion, "tanh", false, true, 2},
	)
	terms := []struct {
		name string
		w    termWeights
	}{
		{"ic", termWeights{1, 0, 0}},
		{"bc", termWeights{0, 1, 0}},
		{"res", termWeights{0, 0, 1}},
		{"all", termWeights{1, 1, 0.7}},
	}
	for _, c := range cases {
		for _, term := range terms {
			name := fmt.Sprintf("%s/%s/ux=%v/w=%v/threads=%d/%s", c.pde, c.act, c.periodicUx, c.weighted, c.threads, term.name)
			t.Run(name, func(t *testing.T) {
				cfg := DefaultConfig()
				pde, features := strings.CutSuffix(c.pde, "+features")
				cfg.PDE, cfg.Beta, cfg.Rho, cfg.Nu = pde, 7, 3, 0.4
				var emb embedding = rawEmbedding{}
				if features && term.name == "bc" {
					t.Skip("u is exactly periodic with the periodic embedding: the BC loss is rounding noise")
				}
				if features {
					cfg.PeriodicX, cfg.FourierT, cfg.FourierSigma = 2, 3, 4
					cfg.FourierTRaw = c.threads == 1 // both inputs, without t
					emb = newEmbedding(&cfg)
				}
				op, err := operatorFor(&cfg)
				if err != nil {
					t.Fatal(err)
				}
				act, _ := activationByName(c.act)
				nt, err := newNetwork([]int{emb.dim(), 6, 5, 1}, act)
				if err != nil {
					t.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(1, 2))
				pr := newProblem(nt, emb, op, c.periodicUx, term.w, randomPoints(rng, 7, 5, 11, c.weighted), c.threads)
				p := make([]float64, nt.n)
				nt.initParams(p, 3)
				checkGradient(t, pr, p)
			})
		}
	}
}

// TestHardLayerGradient checks the implicit-function-theorem gradient of
// the hard-constraint layer against central finite differences.
func TestHardLayerGradient(t *testing.T) {
	for _, tc := range []struct {
		pde        string
		periodicUx bool
		ridge      float64
	}{{Convection, false, 1e-3}, {Convection, true, 1e-1}, {Diffusion, true, 1e-3}} {
		t.Run(fmt.Sprintf("%s/ux=%v", tc.pde, tc.periodicUx), func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.PDE, cfg.Beta, cfg.Nu = tc.pde, 3, 0.3
			op, _ := operatorFor(&cfg)
			act, _ := activationByName("tanh")
			nt, _ := newNetwork([]int{2, 6, 5, 1}, act)
			rng := rand.New(rand.NewPCG(4, 5))
			pr := newProblem(nt, rawEmbedding{}, op, tc.periodicUx, termWeights{1, 1, 0.7}, randomPoints(rng, 9, 6, 13, false), 1)
			pr.hard = &hardSolver{ridge: tc.ridge}
			p := make([]float64, nt.n)
			nt.initParams(p, 3)
			// The output layer is solved, not trained: zero its parameters'
			// finite differences by leaving them out of the check.
			checkGradientPrefix(t, pr, p, nt.wOff[nt.layers()-1])
		})
	}
}

func checkGradient(t *testing.T, pr *problem, p []float64) {
	t.Helper()
	checkGradientPrefix(t, pr, p, len(p))
}

// checkGradientPrefix compares the gradient's first n entries with
// central finite differences.
func checkGradientPrefix(t *testing.T, pr *problem, p []float64, n int) {
	t.Helper()
	grad := make([]float64, len(p))
	pr.eval(p, grad)
	scratch := make([]float64, len(p))
	worst := 0.0
	gmax := 0.0
	for _, g := range grad[:n] {
		gmax = math.Max(gmax, math.Abs(g))
	}
	if gmax == 0 {
		t.Fatal("gradient is identically zero")
	}
	for i := range p[:n] {
		h := 1e-5 * math.Max(1, math.Abs(p[i]))
		orig := p[i]
		p[i] = orig + h
		fp := pr.eval(p, scratch)
		p[i] = orig - h
		fm := pr.eval(p, scratch)
		p[i] = orig
		fd := (fp - fm) / (2 * h)
		rel := math.Abs(fd-grad[i]) / math.Max(math.Abs(grad[i]), 1e-3*gmax)
		worst = math.Max(worst, rel)
	}
	if worst > 1e-6 {
		t.Fatalf("max relative gradient error %.3g > 1e-6", worst)
	}
	t.Logf("max relative error %.2g over %d parameters", worst, n)
}
