package trainer

import (
	"context"
	"strings"
	"testing"
)

// TestStrategyDefaultsDocumented: the defaults of each strategy are the
// settings docs/repro.md shows it working with (see strategyDefaults), and
// explicit settings win over them.
func TestStrategyDefaultsDocumented(t *testing.T) {
	base := DefaultConfig()
	if base.TolChange != 1e-7 || base.MaxIters != 100000 || base.CurriculumStep != 2.5 || base.CurriculumIters != 1000 {
		t.Fatalf("protocol defaults changed: %+v", base)
	}
	for strategy, want := range map[string]struct {
		tolChange, step float64
		maxIters        int
	}{
		StrategyRegular: {1e-7, 2.5, 100000}, StrategyHard: {1e-7, 2.5, 100000}, StrategySeq2Seq: {1e-7, 2.5, 100000},
		StrategyCurriculum: {1e-10, 1.6, 20000}, StrategyAdaptive: {1e-7, 2.5, 5000}, StrategyResample: {1e-7, 2.5, 5000},
		StrategySupervised: {1e-10, 2.5, 20000},
	} {
		c, err := NewConfig([]Setting{{"strategy", strategy}})
		if err != nil {
			t.Fatal(err)
		}
		if c.Strategy != strategy || c.TolChange != want.tolChange || c.CurriculumStep != want.step || c.MaxIters != want.maxIters {
			t.Errorf("%s: tol_change %g, curriculum_step %g, max_iters %d; want %g, %g, %d", strategy,
				c.TolChange, c.CurriculumStep, c.MaxIters, want.tolChange, want.step, want.maxIters)
		}
		if c2 := DefaultConfigFor(strategy); configHash(c2) != configHash(c) {
			t.Errorf("%s: NewConfig and DefaultConfigFor disagree", strategy)
		}
	}
	// Explicit settings win, in either order; the last strategy counts.
	c, err := NewConfig([]Setting{{"tol_change", 1e-7}, {"strategy", "adaptive"}, {"strategy", "curriculum"}, {"max_iters", "300"}})
	if err != nil || c.Strategy != StrategyCurriculum || c.TolChange != 1e-7 || c.MaxIters != 300 {
		t.Errorf("explicit settings: %v, strategy %s, tol_change %g, max_iters %d", err, c.Strategy, c.TolChange, c.MaxIters)
	}
	if _, err := NewConfig([]Setting{{"strategy", "curriculum"}, {"betta", 1}, {"nf", "many"}}); err == nil {
		t.Error("NewConfig accepted an unknown key and a bad value")
	}
}

// TestStrategyDefaultsWork trains each strategy with nothing but the
// strategy and its documented case set (NewConfig, as `pinnsweep train
// --strategy X` and a spec's strategy axis do) and checks the result class
// docs/repro.md gives it against the failure threshold rel_l2 = 0.1. It
// runs in `make test-simd` (the release build; the classes were measured
// there); the cases, kept short:
//
//   - regular, convection β = 30: fails (docs/repro.md: 1.43 median). On
//     the reduced case below (2-32-32-32-1, N_f = 500) it fails the same
//     way, converged and fitting its points (1.56, loss 2.8e-4).
//   - curriculum, convection β = 30 (docs/repro.md: 7.8e-3 median), on the
//     reduced case: a 2-32-32-32-1 network and N_f = 500 instead of the
//     paper's 2-50-50-50-50-1 and 1000, 20 stages and ~31000 evaluations.
//     It separates the defaults: measured 7.2e-3 (SIMD) and 3.9e-3
//     (OpenBLAS) with them, 0.71 with the protocol's tol_change 1e-7 and
//     steps of 2.5 that were the defaults before, 1.56 for regular. (At
//     N_f = 200 the curriculum fails too, by fitting the points.)
//   - seq2seq, reaction–diffusion ν = 3, ρ = 5, Gaussian IC, the documented
//     case unchanged: passes (docs/repro.md: 1.65e-2; regular 0.82).
//   - adaptive and resample, convection β = 10, N_f = 100, their documented
//     case with the evaluations capped at 3000 (about 1500 of the 5000
//     epochs of their default): pass (measured 1.4e-2 and 1.2e-2 at 1500
//     epochs; docs/repro.md: 9.2e-3 and 7.9e-3 at 5000; regular, converged:
//     0.87).
//   - hard, convection β = 10, the documented case unchanged: passes
//     (docs/repro.md: 3.3e-3 in 280 iterations).
//   - supervised, convection β = 1 (docs/why.md: 1.2e-3 with tol_change
//     1e-10, 1.2e-2 with the protocol's 1e-7) on the reduced network:
//     passes, and within 5e-3, which separates the defaults: measured
//     1.3e-3 (1,839 iterations) with them, 1.0e-2 (349) with 1e-7.
func TestStrategyDefaultsWork(t *testing.T) {
	reduced := []Setting{{"beta", 30}, {"layers", "32,32,32"}, {"nf", 500}}
	for _, tc := range []struct {
		strategy string
		settings []Setting
		pass     bool
		within   float64 // if set, rel_l2 must be at most this
	}{
		{StrategyRegular, reduced, false, 0},
		{StrategyCurriculum, reduced, true, 0},
		{StrategySeq2Seq, []Setting{{"pde", "rd"}, {"nu", 3}, {"rho", 5}, {"ic", "gauss"}}, true, 0},
		{StrategyAdaptive, []Setting{{"beta", 10}, {"nf", 100}, {"max_evals", 3000}}, true, 0},
		{StrategyResample, []Setting{{"beta", 10}, {"nf", 100}, {"max_evals", 3000}}, true, 0},
		{StrategyHard, []Setting{{"beta", 10}}, true, 0},
		{StrategySupervised, []Setting{{"beta", 1}, {"layers", "32,32,32"}, {"nf", 500}}, true, 5e-3},
	} {
		t.Run(tc.strategy, func(t *testing.T) {
			t.Parallel()
			if testing.Short() {
				t.Skip("trains full-size networks")
			}
			cfg, err := NewConfig(append([]Setting{{"strategy", tc.strategy}}, tc.settings...))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Train(context.Background(), cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != StatusDone {
				t.Fatalf("status %s (%s)", res.Status, res.StopReason)
			}
			pass := res.RelL2 <= 0.1
			t.Logf("%s: rel_l2 %.3g, loss %.3g, %d iterations, %d evaluations, %s, %.0fs",
				tc.strategy, res.RelL2, res.Loss, res.Iterations, res.Evals, res.StopReason, res.Seconds)
			if pass != tc.pass {
				t.Errorf("%s with its defaults: rel_l2 %.3g, %s; docs/repro.md: %s", tc.strategy, res.RelL2,
					map[bool]string{true: "pass", false: "fail"}[pass], map[bool]string{true: "pass", false: "fail"}[tc.pass])
			}
			if tc.within > 0 && res.RelL2 > tc.within {
				t.Errorf("%s with its defaults: rel_l2 %.3g, above %g: its defaults stop it early", tc.strategy, res.RelL2, tc.within)
			}
			if !tc.pass && (res.Loss > 1e-2 || res.StopReason == "max_iters") {
				t.Errorf("regular failed without training (loss %.3g, %s): the case does not show the failure mode", res.Loss, res.StopReason)
			}
		})
	}
}

// TestDecodeParamsStrategyDefaults: a trial's params decode on the
// defaults of their strategy, whoever decodes them (the worker, report,
// the dashboard); an explicit setting wins; every bad key is reported.
func TestDecodeParamsStrategyDefaults(t *testing.T) {
	cfg, err := DecodeParams(`{"strategy":"curriculum","beta":30}`)
	if err != nil || cfg.Strategy != StrategyCurriculum || cfg.TolChange != 1e-10 || cfg.CurriculumStep != 1.6 || cfg.MaxIters != 20000 {
		t.Errorf("curriculum: %v, tol_change %g, curriculum_step %g, max_iters %d", err, cfg.TolChange, cfg.CurriculumStep, cfg.MaxIters)
	}
	want := DefaultConfigFor(StrategyCurriculum)
	want.Beta = 30
	if configHash(cfg) != configHash(want) {
		t.Error("DecodeParams and DefaultConfigFor disagree")
	}
	cfg, err = DecodeParams(`{"tol_change":1e-7,"strategy":"curriculum"}`)
	if err != nil || cfg.TolChange != 1e-7 {
		t.Errorf("an explicit tol_change: %v, %g", err, cfg.TolChange)
	}
	_, err = DecodeParams(`{"betta":1,"nf":"many"}`)
	if err == nil || !strings.Contains(err.Error(), "betta") || !strings.Contains(err.Error(), "nf") {
		t.Errorf("bad keys: %v", err)
	}
}

// TestStrategyDefaultsFloat32: precision is a setting like any other
// beside a strategy's defaults (either order, and DecodeParams as a
// worker decodes a trial), and a float32 trial on those defaults trains:
// supervised at convection β = 1 on a small network, its evaluations
// capped, passes the failure threshold (rel_l2 ≤ 0.1) with a float32
// loss, as it does in float64.
func TestStrategyDefaultsFloat32(t *testing.T) {
	for _, settings := range [][]Setting{
		{{"precision", "f32"}, {"strategy", "supervised"}},
		{{"strategy", "supervised"}, {"precision", "f32"}},
	} {
		c, err := NewConfig(settings)
		if err != nil || c.Precision != PrecisionF32 || c.TolChange != 1e-10 || c.MaxIters != 20000 {
			t.Errorf("%v: %v, precision %q, tol_change %g, max_iters %d", settings, err, c.Precision, c.TolChange, c.MaxIters)
		}
	}
	if c, err := DecodeParams(`{"strategy":"curriculum","precision":"f32"}`); err != nil || c.Precision != PrecisionF32 || c.CurriculumStep != 1.6 {
		t.Errorf("DecodeParams: %v, precision %q, curriculum_step %g", err, c.Precision, c.CurriculumStep)
	}
	res := map[string]*Result{}
	for _, prec := range []string{PrecisionF32, PrecisionF64} {
		cfg, err := NewConfig([]Setting{{"strategy", "supervised"}, {"precision", prec}, {"beta", 1},
			{"layers", "20,20"}, {"nf", 200}, {"nx", 64}, {"nt", 32}, {"max_evals", 600}})
		if err != nil {
			t.Fatal(err)
		}
		r, err := Train(context.Background(), cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("supervised %s: rel_l2 %.3g, loss %.3g, %d evaluations, %s", prec, r.RelL2, r.Loss, r.Evals, r.StopReason)
		if r.Status != StatusDone || r.RelL2 > 0.1 || r.Config.Precision != prec {
			t.Errorf("supervised %s: status %s, rel_l2 %.3g, precision %q", prec, r.Status, r.RelL2, r.Config.Precision)
		}
		res[prec] = r
	}
	if l := res[PrecisionF32].Loss; float64(float32(l)) != l {
		t.Errorf("the float32 trial's loss %v is not a float32 value", l)
	}
}
