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

// gradCase is one loss of the gradient tests: a small network on random
// points, for a PDE, activation, embedding and loss term.
type gradCase struct {
	name  string
	build func(t *testing.T, f32 bool) (*problem, []float64)
}

// gradCases lists every PDE and activation with each loss term alone and
// all together, plus the periodic u_x term, point weights, sharding and
// the periodic and Fourier embeddings.
func gradCases() []gradCase {
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
	var out []gradCase
	for _, c := range cases {
		for _, term := range terms {
			pde, features := strings.CutSuffix(c.pde, "+features")
			if features && term.name == "bc" {
				continue // u is exactly periodic with the periodic embedding: the BC loss is rounding noise
			}
			out = append(out, gradCase{
				name: fmt.Sprintf("%s/%s/ux=%v/w=%v/threads=%d/%s", c.pde, c.act, c.periodicUx, c.weighted, c.threads, term.name),
				build: func(t *testing.T, f32 bool) (*problem, []float64) {
					cfg := DefaultConfig()
					cfg.PDE, cfg.Beta, cfg.Rho, cfg.Nu = pde, 7, 3, 0.4
					var emb embedding = rawEmbedding{}
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
					nt.f32 = f32
					rng := rand.New(rand.NewPCG(1, 2))
					pr := newProblem(nt, emb, op, c.periodicUx, term.w, randomPoints(rng, 7, 5, 11, c.weighted), c.threads)
					p := make([]float64, nt.n)
					nt.initParams(p, 3)
					return pr, p
				},
			})
		}
	}
	return out
}

// TestGradientFiniteDifference checks the gradient of every loss term for
// every PDE and activation against central finite differences.
func TestGradientFiniteDifference(t *testing.T) {
	for _, c := range gradCases() {
		t.Run(c.name, func(t *testing.T) {
			pr, p := c.build(t, false)
			checkGradient(t, pr, p)
		})
	}
}

// TestGradientFloat32 checks the float32 path at float32 tolerances, for
// every case of TestGradientFiniteDifference: its gradient against the
// float64 gradient at the same parameters (which finite differences
// verify), entry by entry, and the float32 loss's own central difference
// along the gradient direction against the gradient's norm. Both would
// fail on a wrong adjoint rule. Measured worst cases: 4.9e-5 entrywise
// (float32 rounding, ε = 1.2e-7, through the network and the loss) and
// 7e-5 along the gradient (the difference quotient's truncation error at
// h = 3e-3, which it scales with as h²); the tolerances are 20× those.
func TestGradientFloat32(t *testing.T) {
	var worstEntry, worstDir float64
	for _, c := range gradCases() {
		t.Run(c.name, func(t *testing.T) {
			pr64, p := c.build(t, false)
			pr32, _ := c.build(t, true)
			entry, dir := checkGradient32(t, pr32.eval, pr64.eval, p)
			worstEntry, worstDir = math.Max(worstEntry, entry), math.Max(worstDir, dir)
		})
	}
	t.Logf("worst: %.3g entrywise against float64, %.3g along the gradient", worstEntry, worstDir)
}

// checkGradient32 checks the gradient of a float32 loss f32 at p at
// float32 tolerances (see TestGradientFloat32): entry by entry against the
// gradient of the same loss in float64, f64, and along its own direction
// against the float32 loss's central difference quotient. It returns both
// relative errors.
func checkGradient32(t *testing.T, f32, f64 lossGrad, p []float64) (entry, dir float64) {
	t.Helper()
	g64 := make([]float64, len(p))
	g32 := make([]float64, len(p))
	l64 := f64(p, g64)
	l32 := f32(p, g32)
	if rel := math.Abs(l32-l64) / math.Max(math.Abs(l64), 1e-30); rel > 1e-5 {
		t.Errorf("float32 loss %v, float64 %v: relative difference %.3g > 1e-5", l32, l64, rel)
	}
	if float64(float32(l32)) != l32 {
		t.Errorf("float32 loss %v is not a float32 value", l32)
	}
	gmax := 0.0
	for _, g := range g64 {
		gmax = math.Max(gmax, math.Abs(g))
	}
	for i := range g64 {
		entry = math.Max(entry, math.Abs(g32[i]-g64[i])/math.Max(math.Abs(g64[i]), 1e-3*gmax))
	}
	// Central difference of the float32 loss along u = g32/|g32|.
	norm := math.Sqrt(dotF(g32, g32))
	h := 3e-3 / math.Max(1, norm)
	q := make([]float64, len(p))
	step := func(sign float64) float64 {
		for i := range p {
			q[i] = p[i] + sign*h*g32[i]/norm
		}
		return f32(q, make([]float64, len(p)))
	}
	dir = math.Abs((step(1)-step(-1))/(2*h)-norm) / norm
	if entry > tolGrad32 {
		t.Errorf("float32 gradient differs from float64 by %.3g (relative, max over entries) > %g", entry, tolGrad32)
	}
	if dir > tolDir32 {
		t.Errorf("float32 directional difference quotient differs from |g| by %.3g (relative) > %g", dir, tolDir32)
	}
	return entry, dir
}

// Tolerances of TestGradientFloat32.
const (
	tolGrad32 = 1e-3
	tolDir32  = 1e-3
)

func dotF(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
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
