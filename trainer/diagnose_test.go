package trainer

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// checkLossGradient compares the gradient of f at p with central finite
// differences of its value (as checkGradientPrefix does for a problem).
func checkLossGradient(t *testing.T, f lossGrad, p []float64) {
	t.Helper()
	grad := make([]float64, len(p))
	f(p, grad)
	scratch := make([]float64, len(p))
	gmax := 0.0
	for _, g := range grad {
		gmax = math.Max(gmax, math.Abs(g))
	}
	if gmax == 0 {
		t.Fatal("gradient is identically zero")
	}
	worst := 0.0
	for i := range p {
		h := 1e-5 * math.Max(1, math.Abs(p[i]))
		orig := p[i]
		p[i] = orig + h
		fp := f(p, scratch)
		p[i] = orig - h
		fm := f(p, scratch)
		p[i] = orig
		rel := math.Abs((fp-fm)/(2*h)-grad[i]) / math.Max(math.Abs(grad[i]), 1e-3*gmax)
		worst = math.Max(worst, rel)
	}
	if worst > 1e-6 {
		t.Fatalf("max relative gradient error %.3g > 1e-6", worst)
	}
}

// TestSupervisedGradient checks the supervised loss's gradient, each term
// alone and all together, against finite differences.
func TestSupervisedGradient(t *testing.T) {
	cfg := DefaultConfig()
	emb := rawEmbedding{}
	act, _ := activationByName("tanh")
	nt, _ := newNetwork([]int{2, 6, 5, 1}, act)
	op, _ := operatorFor(&cfg)
	sl := tinySupervised(t, nt, emb, op)
	p := make([]float64, nt.n)
	nt.initParams(p, 5)
	for k := range numTerms {
		one := &supervisedLoss{grad: sl.grad}
		one.parts[k] = sl.parts[k]
		checkLossGradient(t, one.eval, p)
	}
	checkLossGradient(t, sl.eval, p)
	sl.eval(p, make([]float64, len(p)))
	for k, v := range sl.lastTerms() {
		if !(v > 0) {
			t.Errorf("term %d = %g, want > 0 at random parameters", k, v)
		}
	}
}

// TestSupervisedTargets: the supervised targets are the exact solution,
// so the loss of a network that is the exact solution is zero; here the
// targets are compared with the closed form sin(x − βt).
func TestSupervisedTargets(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Beta, cfg.NX, cfg.NT, cfg.NU, cfg.NB, cfg.NF = 7, 16, 9, 5, 4, 12
	act, _ := activationByName("tanh")
	nt, _ := newNetwork([]int{2, 3, 1}, act)
	op, _ := operatorFor(&cfg)
	sl := tinySupervised(t, nt, rawEmbedding{}, op)
	for k, part := range sl.parts {
		sh := part.shards[0]
		b := sh.ic
		cols := b.cols
		for i, u := range sh.icU {
			x, tt := b.h[0][i], b.h[0][cols+i]
			if want := math.Sin(x - cfg.Beta*tt); math.Abs(u-want) > 1e-12 {
				t.Errorf("term %d point (%g, %g): target %g, want sin(x − βt) = %g", k, x, tt, u, want)
			}
		}
	}
	if n := sl.parts[termBC].nIC; n != 2*cfg.NB {
		t.Errorf("%d boundary targets, want %d (both ends)", n, 2*cfg.NB)
	}
}

// TestDiagnoseAgainstDense runs the Hessian diagnostics on a tiny loss
// and compares them with the eigendecomposition of its dense Hessian.
func TestDiagnoseAgainstDense(t *testing.T) {
	c := tinyLosses(t)[3] // reaction–diffusion
	n := len(c.p)
	H := denseHessian(c.loss, c.p, 2e-3)
	var es mat.EigenSym
	if !es.Factorize(H, false) {
		t.Fatal("eigendecomposition failed")
	}
	lambda := es.Values(nil)
	sort.Sort(sort.Reverse(sort.Float64Slice(lambda)))
	trace := 0.0
	for _, l := range lambda {
		trace += l
	}
	for _, steps := range []int{12, n} {
		cfg := DefaultConfig()
		cfg.Diagnostics = []string{DiagnosticLandscape}
		cfg.HessianK, cfg.HessianSteps, cfg.LandscapePoints, cfg.LandscapeRange = 3, steps, 5, 0.5
		s := &session{cfg: cfg, res: &Result{}}
		if err := s.diagnose(context.Background(), c.loss, slices.Clone(c.p)); err != nil {
			t.Fatal(err)
		}
		r := s.res
		st := r.Hessian
		if st.Error != "" {
			t.Fatal(st.Error)
		}
		t.Logf("%d steps: top %.6g (dense %.6g), trace %.6g ± %.2g (dense %.6g, %d probes), min %.4g (dense %.4g), %d products, hvp error %.2g",
			steps, r.HessianTop, lambda[:3], *r.HessianTrace, st.TraceStdErr, trace, st.TraceProbes, st.Min, lambda[n-1], st.HVPs, st.HVPRelErr)
		if *r.HessianMax != r.HessianTop[0] || len(r.HessianTop) != 3 {
			t.Errorf("hessian_max %g, hessian_top %v", *r.HessianMax, r.HessianTop)
		}
		for i, l := range r.HessianTop {
			if math.Abs(l-lambda[i]) > 1e-4*math.Abs(lambda[0]) {
				t.Errorf("λ_%d = %.8g, dense %.8g", i+1, l, lambda[i])
			}
		}
		if !st.Converged {
			t.Errorf("not converged: residuals %v", st.Residuals)
		}
		if steps == n {
			// A full run: the trace is the sum of T's diagonal, exact; the
			// probes see the empty complement.
			if math.Abs(*r.HessianTrace-trace) > 1e-6*math.Abs(lambda[0]) {
				t.Errorf("trace %.10g, dense %.10g", *r.HessianTrace, trace)
			}
			if math.Abs(st.Min-lambda[n-1]) > 1e-5*math.Abs(lambda[0]) {
				t.Errorf("min %g, dense %g", st.Min, lambda[n-1])
			}
		} else if math.Abs(*r.HessianTrace-trace) > 4*st.TraceStdErr+1e-6*math.Abs(lambda[0]) {
			t.Errorf("trace %g ± %g, dense %g", *r.HessianTrace, st.TraceStdErr, trace)
		}
		if st.LanczosSteps < steps || st.HVPs != st.LanczosSteps+st.TraceProbes+2 || (steps == n) != (st.TraceProbes == 0) {
			t.Errorf("%d Lanczos steps, %d probes, %d products", st.LanczosSteps, st.TraceProbes, st.HVPs)
		}
		if st.HVPRelErr > 1e-5 {
			t.Errorf("hvp_rel_err %g", st.HVPRelErr)
		}
		mass := 0.0
		for _, m := range st.Density.Mass {
			mass += m
		}
		if math.Abs(mass-1) > 3e-3 || len(st.Density.Mass) != densityBins {
			t.Errorf("density: %d bins summing to %g", len(st.Density.Mass), mass)
		}
		// The landscape: its centre is the loss, and its points are the
		// loss at θ* + a·v₁ + b·v₂ (checked along the axes with a fresh
		// eigenvector of the dense Hessian up to sign).
		ls := r.Landscape
		if ls == nil || len(ls.Coords) != 5 || len(ls.Loss) != 25 || ls.Evals != 25 {
			t.Fatalf("landscape %+v", ls)
		}
		if ls.Coords[0] != -0.5 || ls.Coords[2] != 0 || ls.Coords[4] != 0.5 {
			t.Errorf("coords %v", ls.Coords)
		}
		if ls.Center != st.Loss || float32(ls.Center) != ls.Loss[12] {
			t.Errorf("centre %g, loss at θ* %g, grid middle %g", ls.Center, st.Loss, ls.Loss[12])
		}
		// Along v₁ the loss is about L + ½λ₁a² near θ* (a = ±0.5 is not
		// small: only the ordering is checked).
		if !(ls.Loss[11] > ls.Loss[12] && ls.Loss[13] > ls.Loss[12]) {
			t.Errorf("loss along v₁ not larger than at θ*: %v", ls.Loss[10:15])
		}
	}
}

// TestDiagnoseCancelled: a context that ends stops the diagnostics with
// its error.
func TestDiagnoseCancelled(t *testing.T) {
	c := tinyLosses(t)[0]
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cfg := DefaultConfig()
	cfg.Diagnostics = []string{DiagnosticHessian}
	s := &session{cfg: cfg, res: &Result{}}
	if err := s.diagnose(ctx, c.loss, c.p); err != context.Canceled {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if s.res.HessianMax != nil {
		t.Error("a cancelled diagnosis recorded λ_max")
	}
}

// tinyConfig is a few-second training run.
func tinyConfig() Config {
	cfg := DefaultConfig()
	cfg.Beta = 5
	cfg.NX, cfg.NT, cfg.NU, cfg.NB, cfg.NF = 32, 17, 32, 17, 60
	cfg.Layers = []int{8, 8}
	cfg.MaxIters = 60
	return cfg
}

// TestTrainWithDiagnostics trains with the Hessian and landscape on and
// checks the result's fields, their size and their determinism.
func TestTrainWithDiagnostics(t *testing.T) {
	for _, strategy := range []string{StrategyRegular, StrategyCurriculum, StrategySupervised, StrategyAdaptive} {
		t.Run(strategy, func(t *testing.T) {
			cfg := tinyConfig()
			cfg.Strategy = strategy
			cfg.CurriculumStep, cfg.CurriculumIters, cfg.ResampleEvery = 2, 20, 10
			if err := cfg.Set("diagnostics", []any{"hessian", "landscape"}); err != nil {
				t.Fatal(err)
			}
			cfg.HessianSteps = 15
			var outs [2][]byte
			for k := range outs {
				res, err := Train(context.Background(), cfg, Options{})
				if err != nil {
					t.Fatal(err)
				}
				if res.Status != StatusDone || res.Hessian == nil || res.Hessian.Error != "" || res.HessianMax == nil ||
					res.HessianTrace == nil || res.Landscape == nil || res.LossInitial == nil || res.GradNorm == nil {
					t.Fatalf("status %s, hessian %+v, landscape %v", res.Status, res.Hessian, res.Landscape != nil)
				}
				if *res.LossInitial <= res.Loss {
					t.Errorf("loss_initial %g ≤ loss %g", *res.LossInitial, res.Loss)
				}
				if strategy == StrategyRegular && res.Hessian.Loss != res.Loss {
					t.Errorf("the Hessian's loss %g is not the training loss %g", res.Hessian.Loss, res.Loss)
				}
				if res.Landscape.Center != res.Hessian.Loss {
					t.Errorf("landscape centre %g, hessian loss %g", res.Landscape.Center, res.Hessian.Loss)
				}
				// Timings differ between runs; everything else must not.
				res.Seconds, res.Hessian.Seconds, res.Landscape.Seconds = 0, 0, 0
				res.History = nil
				b, err := json.Marshal(res)
				if err != nil {
					t.Fatal(err)
				}
				outs[k] = b
			}
			if string(outs[0]) != string(outs[1]) {
				t.Error("two runs with the same seed gave different results")
			}
			if len(outs[0]) > 64<<10 {
				t.Errorf("result is %d bytes", len(outs[0]))
			}
			for _, key := range []string{`"hessian_max":`, `"hessian_top":[`, `"hessian_trace":`, `"landscape":{`, `"loss_initial":`, `"grad_norm":`} {
				if !strings.Contains(string(outs[0]), key) {
					t.Errorf("result JSON lacks %s", key)
				}
			}
		})
	}
}

func TestDiagnosticsValidation(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Diagnostics = []string{"hesian"} }, `diagnostics: unknown "hesian"`},
		{func(c *Config) { c.Diagnostics = []string{"hessian", "hessian"} }, "given twice"},
		{func(c *Config) { c.Diagnostics = []string{"landscape"}; c.HessianK = 1 }, "hessian_k = 1"},
		{func(c *Config) { c.HessianSteps = 1 }, "hessian_steps = 1"},
		{func(c *Config) { c.LandscapePoints = 20 }, "landscape_points = 20"},
		{func(c *Config) { c.LandscapeRange = 0 }, "landscape_range = 0"},
		{func(c *Config) { c.HessianProbes = -1 }, "hessian_probes = -1"},
		{func(c *Config) { c.Diagnostics = []string{"hessian"}; c.Strategy = StrategySeq2Seq }, "not available with seq2seq"},
		{func(c *Config) { c.Strategy = StrategySupervised; c.HardLayer = true }, "supervised has no PDE residual"},
		{func(c *Config) { c.Strategy = StrategySupervised; c.Optimizer = OptimizerAdamLBFGS }, "not supervised"},
	} {
		cfg := DefaultConfig()
		tc.mod(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want an error containing %q", err, tc.want)
		}
	}
	cfg := DefaultConfig()
	for _, v := range []any{"hessian, landscape", []any{"hessian", "landscape"}, []string{"hessian", "landscape"}} {
		if err := cfg.Set("diagnostics", v); err != nil || !slices.Equal(cfg.Diagnostics, []string{"hessian", "landscape"}) {
			t.Errorf("Set(diagnostics, %#v): %v, %v", v, cfg.Diagnostics, err)
		}
	}
	if err := cfg.Set("diagnostics", []any{"hessian", 3}); err == nil {
		t.Error("Set(diagnostics, [hessian, 3]) succeeded")
	}
	if err := cfg.Set("diagnostics", ""); err != nil || len(cfg.Diagnostics) != 0 {
		t.Errorf("Set(diagnostics, \"\"): %v, %v", cfg.Diagnostics, err)
	}
}

// TestMSEGrid: mse_grid is the mean squared error on the grid, consistent
// with rel_l2 and the exact solution (sin: mean square 1/2 on the grid).
func TestMSEGrid(t *testing.T) {
	cfg := tinyConfig()
	res, fields, err := TrainFields(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := 0.0
	for i, u := range fields.Exact {
		d := fields.Pred[i] - u
		s += d * d
	}
	want := s / float64(len(fields.Exact))
	if math.Abs(res.MSEGrid-want) > 1e-12*want {
		t.Errorf("mse_grid %.15g, want %.15g", res.MSEGrid, want)
	}
	if ms := res.MSEGrid / (res.RelL2 * res.RelL2); math.Abs(ms-0.5) > 1e-12 {
		t.Errorf("mse_grid / rel_l2² = %.15g, want the mean square of sin on the grid, 1/2", ms)
	}
}
