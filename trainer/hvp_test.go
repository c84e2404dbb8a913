package trainer

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/pinnsweep/pinnsweep/trainer/refsol"
)

// denseHessian returns the Hessian of f at x from second differences of
// the loss alone (no gradient), Richardson-extrapolated from steps h and
// h/2: an independent check of the gradient-based products.
func denseHessian(f lossGrad, x []float64, h float64) *mat.SymDense {
	n := len(x)
	scratch := make([]float64, n)
	xs := make([]float64, n)
	at := func(i int, di float64, j int, dj float64) float64 {
		copy(xs, x)
		xs[i] += di
		xs[j] += dj
		return f(xs, scratch)
	}
	f0 := f(x, scratch)
	second := func(i, j int, h float64) float64 {
		if i == j {
			return (at(i, h, i, 0) - 2*f0 + at(i, -h, i, 0)) / (h * h)
		}
		return (at(i, h, j, h) - at(i, h, j, -h) - at(i, -h, j, h) + at(i, -h, j, -h)) / (4 * h * h)
	}
	H := mat.NewSymDense(n, nil)
	for i := range n {
		for j := 0; j <= i; j++ {
			H.SetSym(i, j, (4*second(i, j, h/2)-second(i, j, h))/3)
		}
	}
	return H
}

// hvpCase is a tiny training loss to check products on.
type hvpCase struct {
	name string
	loss lossGrad
	p    []float64
	// free is the number of leading parameters the loss depends on (the
	// hard layer solves the output layer: its parameters are inert).
	free int
}

// tinyLosses builds, for every PDE with every loss term on, the feature
// embedding, several shards, the hard layer and the supervised loss, a
// loss on a 2-6-5-1 network (59 parameters) at random parameters.
func tinyLosses(t *testing.T) []hvpCase {
	t.Helper()
	var out []hvpCase
	for _, spec := range []string{Convection, Reaction, Diffusion, ReactionDiffusion, "convection+features", "rd+threads", "convection+hard", "supervised"} {
		cfg := DefaultConfig()
		pde, variant, _ := strings.Cut(spec, "+")
		if pde == "supervised" {
			pde = Convection
		}
		cfg.PDE, cfg.Beta, cfg.Rho, cfg.Nu = pde, 7, 3, 0.4
		threads := 1
		var emb embedding = rawEmbedding{}
		switch variant {
		case "features":
			cfg.PeriodicX, cfg.FourierT, cfg.FourierSigma = 2, 3, 4
			emb = newEmbedding(&cfg)
		case "threads":
			threads = 3
		}
		op, err := operatorFor(&cfg)
		if err != nil {
			t.Fatal(err)
		}
		act, _ := activationByName("tanh")
		nt, err := newNetwork([]int{emb.dim(), 6, 5, 1}, act)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		pts := randomPoints(rng, 7, 5, 11, variant == "threads")
		p := make([]float64, nt.n)
		nt.initParams(p, 3)
		c := hvpCase{name: spec, p: p, free: nt.n}
		ux := pde == Diffusion || pde == ReactionDiffusion
		switch {
		case spec == "supervised":
			sl := tinySupervised(t, nt, emb, op)
			c.loss = sl.eval
		case variant == "hard":
			pr := newProblem(nt, emb, op, ux, termWeights{1, 1, 0.7}, pts, 1)
			pr.hard = &hardSolver{ridge: 1e-3}
			c.loss = pr.eval
			c.free = nt.wOff[nt.layers()-1]
		default:
			pr := newProblem(nt, emb, op, ux, termWeights{1, 1, 0.7}, pts, threads)
			c.loss = pr.eval
		}
		out = append(out, c)
	}
	return out
}

// tinySupervised is a supervised loss at a few grid points of a 16 × 9 grid.
func tinySupervised(t *testing.T, nt *network, emb embedding, op operator) *supervisedLoss {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Beta, cfg.NX, cfg.NT, cfg.NU, cfg.NB, cfg.NF = 7, 16, 9, 5, 4, 12
	ic, _ := refsol.LookupIC(cfg.IC)
	exact, err := Exact(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &session{cfg: cfg}
	m := &model{nt: nt, emb: emb, p: make([]float64, nt.n)}
	sl, err := s.newSupervised(&cfg, m, paperPoints(&cfg, ic.H), exact)
	if err != nil {
		t.Fatal(err)
	}
	for k, part := range sl.parts {
		if part == nil {
			t.Fatalf("supervised term %d is empty", k)
		}
	}
	return sl
}

// TestHVPAgainstDenseHessian checks the central-difference products
// against a Hessian of second differences of the loss alone, on random
// directions and on coordinate directions, for every tiny loss.
func TestHVPAgainstDenseHessian(t *testing.T) {
	for _, c := range tinyLosses(t) {
		t.Run(c.name, func(t *testing.T) {
			H := denseHessian(c.loss, c.p, 2e-3)
			n := len(c.p)
			h := newHVP(context.Background(), c.loss, c.p, 0x1p-52)
			rng := rand.New(rand.NewPCG(9, 9))
			hv := make([]float64, n)
			worst := 0.0
			dirs := make([][]float64, 0, 8)
			for range 5 {
				v := make([]float64, n)
				for i := range v {
					v[i] = rng.NormFloat64()
				}
				dirs = append(dirs, v)
			}
			for _, i := range []int{0, n / 2, c.free - 1} {
				v := make([]float64, n)
				v[i] = 1
				dirs = append(dirs, v)
			}
			for _, v := range dirs {
				if err := h.apply(hv, v); err != nil {
					t.Fatal(err)
				}
				want := mat.NewVecDense(n, nil)
				want.MulVec(H, mat.NewVecDense(n, v))
				diff := 0.0
				for i := range hv {
					diff += (hv[i] - want.AtVec(i)) * (hv[i] - want.AtVec(i))
				}
				rel := math.Sqrt(diff) / math.Max(mat.Norm(want, 2), 1e-3*mat.Norm(H, 2))
				worst = math.Max(worst, rel)
			}
			if worst > 1e-6 {
				t.Errorf("max relative error of H·v against the dense Hessian: %.3g > 1e-6", worst)
			}
			if h.evals != 2*len(dirs) {
				t.Errorf("%d gradient evaluations for %d products", h.evals, len(dirs))
			}
			t.Logf("max relative error %.2g (‖H‖₂ %.3g)", worst, mat.Norm(H, 2))
		})
	}
}

// TestHVPSymmetric checks that the Hessian assembled from products with
// the unit vectors is symmetric to the products' accuracy.
func TestHVPSymmetric(t *testing.T) {
	c := tinyLosses(t)[3] // reaction–diffusion: every stream and term
	n := len(c.p)
	h := newHVP(context.Background(), c.loss, c.p, 0x1p-52)
	cols := make([][]float64, n)
	for i := range cols {
		e := make([]float64, n)
		e[i] = 1
		cols[i] = make([]float64, n)
		if err := h.apply(cols[i], e); err != nil {
			t.Fatal(err)
		}
	}
	worst, big := 0.0, 0.0
	for i := range n {
		for j := range n {
			worst = math.Max(worst, math.Abs(cols[i][j]-cols[j][i]))
			big = math.Max(big, math.Abs(cols[i][j]))
		}
	}
	if worst > 1e-6*big {
		t.Errorf("max |H − Hᵀ| = %.3g against max |H| = %.3g", worst, big)
	}
}

// TestHVPCancelled: a done context stops the products.
func TestHVPCancelled(t *testing.T) {
	c := tinyLosses(t)[0]
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h := newHVP(ctx, c.loss, c.p, 0x1p-52)
	if err := h.apply(make([]float64, len(c.p)), c.p); err != context.Canceled {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if h.evals != 0 {
		t.Errorf("%d evaluations after cancellation", h.evals)
	}
}

func ExampleDiagnostics() {
	fmt.Println(Diagnostics())
	// Output: [hessian landscape]
}
