package trainer

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestCurriculumSchedule(t *testing.T) {
	for _, tc := range []struct {
		name    string
		start   float64
		target  float64
		stages  int
		spacing string
		want    []float64
	}{
		{"linear auto steps of 2.5", 0, 10, 0, "linear", []float64{0, 2.5, 5, 7.5, 10}},
		{"linear 4 stages", 10, 40, 4, "linear", []float64{10, 20, 30, 40}},
		{"geometric 3 stages", 1, 100, 3, "geometric", []float64{1, 10, 100}},
		{"geometric auto doubles", 5, 40, 0, "geometric", []float64{5, 10, 20, 40}},
		{"start above target", 50, 30, 0, "linear", []float64{30}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			c.Beta, c.CurriculumStart, c.CurriculumStages, c.CurriculumSpacing = tc.target, tc.start, tc.stages, tc.spacing
			got := c.CurriculumSchedule()
			if len(got) != len(tc.want) {
				t.Fatalf("schedule %v, want %v", got, tc.want)
			}
			for i := range got {
				if math.Abs(got[i]-tc.want[i]) > 1e-9*math.Max(1, tc.want[i]) {
					t.Fatalf("schedule %v, want %v", got, tc.want)
				}
			}
			if got[len(got)-1] != tc.target {
				t.Errorf("last stage %v is not exactly the target", got[len(got)-1])
			}
		})
	}
}

func TestCurriculumRunsEveryStageAndEndsAtTarget(t *testing.T) {
	c := smallConfig()
	c.Strategy, c.Beta, c.CurriculumStart, c.CurriculumStages, c.CurriculumIters, c.MaxIters = StrategyCurriculum, 12, 2, 3, 10, 15
	res, err := Train(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Schedule, []float64{2, 7, 12}) {
		t.Errorf("schedule %v", res.Schedule)
	}
	// Two capped stages and the final one: 10 + 10 + at most 15 iterations.
	if res.Iterations < 21 || res.Iterations > 35 {
		t.Errorf("iterations %d, want 21..35", res.Iterations)
	}
	if res.Config.Beta != 12 {
		t.Errorf("result config β = %v, want the target", res.Config.Beta)
	}
}

func TestSeq2SeqWindowsAndStitching(t *testing.T) {
	c := DefaultConfig()
	c.Seq2SeqDt = 0.3
	w := c.Seq2SeqWindows()
	want := [][2]float64{{0, 0.3}, {0.3, 0.6}, {0.6, 0.9}, {0.9, 1}}
	if len(w) != len(want) {
		t.Fatalf("windows %v", w)
	}
	for i := range w {
		if math.Abs(w[i][0]-want[i][0]) > 1e-12 || math.Abs(w[i][1]-want[i][1]) > 1e-12 {
			t.Fatalf("windows %v, want %v", w, want)
		}
	}
	st := &stitched{windows: w, models: make([]*model, len(w))}
	for _, tc := range []struct {
		t   float64
		seg int
	}{{0, 0}, {0.1, 0}, {0.3, 0}, {0.31, 1}, {0.6, 1}, {0.95, 3}, {1, 3}} {
		if got := st.segmentOf(tc.t); got != tc.seg {
			t.Errorf("segmentOf(%v) = %d, want %d", tc.t, got, tc.seg)
		}
	}
	idx, _, ts := st.split([]float64{1, 2, 3}, []float64{0.1, 0.45, 1})
	if len(idx[0]) != 1 || len(idx[1]) != 1 || len(idx[3]) != 1 || math.Abs(ts[1][0]-0.15) > 1e-12 || math.Abs(ts[3][0]-0.1) > 1e-12 {
		t.Errorf("split: idx %v local times %v", idx, ts)
	}
}

func TestSeq2SeqSplitsCollocationAndHandsOver(t *testing.T) {
	for _, warm := range []bool{true, false} {
		c := smallConfig()
		c.Strategy, c.PDE, c.IC, c.Rho, c.Nu = StrategySeq2Seq, ReactionDiffusion, "gauss", 2, 0.5
		c.Seq2SeqDt, c.Seq2SeqWarm, c.MaxIters, c.NF = 0.25, warm, 40, 203
		res, fields, err := TrainFields(context.Background(), c, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != StatusDone || res.RelL2 > 0.5 {
			t.Errorf("warm=%v: status %s rel_l2 %.3g", warm, res.Status, res.RelL2)
		}
		// The stitched field is continuous across segment boundaries: the
		// grid row just after t = 0.25 is close to the row just before.
		i := int(0.25*float64(c.NT-1)) + 1
		jump := 0.0
		for j := 0; j < c.NX; j++ {
			jump = math.Max(jump, math.Abs(fields.Pred[i*c.NX+j]-fields.Pred[(i-1)*c.NX+j]))
		}
		if jump > 0.2 {
			t.Errorf("warm=%v: stitched field jumps by %.3g across a segment boundary", warm, jump)
		}
	}
}

func TestUniformFraction(t *testing.T) {
	for _, tc := range []struct {
		k, T int
		want float64
	}{{0, 100, 1}, {50, 100, 0.5}, {100, 100, 1}, {99, 100, 0.5 * (1 + math.Cos(math.Pi*0.99))}} {
		if got := uniformFraction(tc.k, tc.T); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("uniformFraction(%d, %d) = %v, want %v", tc.k, tc.T, got, tc.want)
		}
	}
}

func TestStallMonitor(t *testing.T) {
	m := &stallMonitor{patience: 3, delta: 1e-7}
	m.reset()
	seq := []float64{1, 0.5, 0.5 - 5e-8, 0.5, 0.49999995}
	var stalls []bool
	for _, f := range seq {
		stalls = append(stalls, m.observe(f))
	}
	// Improvements of less than delta do not count: epochs 3, 4, 5 stall.
	if !slices.Equal(stalls, []bool{false, false, false, false, true}) {
		t.Errorf("stalls %v", stalls)
	}
}

func TestSamplerCounts(t *testing.T) {
	c := DefaultConfig()
	px, pt := interiorPoints(&c)
	sp := &sampler{poolX: px, poolT: pt, dx: 2 * math.Pi / 256, dt: 1.0 / 99, rng: rand.New(rand.NewPCG(1, 1))}
	w := make([]float64, len(px))
	for i := range w {
		if pt[i] < 0.1 {
			w[i] = 1 // all residual weight early in time
		}
	}
	for _, s := range []float64{1, 0.5, 0} {
		x, tt := sp.draw(1000, s, w)
		if len(x) > 1000 || len(x) < 900 || len(x) != len(tt) {
			t.Fatalf("s=%v: %d points", s, len(x))
		}
		early := 0
		for i := range x {
			if x[i] <= 0 || x[i] >= 2*math.Pi+0.02 || tt[i] <= 0 || tt[i] > 1 {
				t.Fatalf("point (%g, %g) outside the domain", x[i], tt[i])
			}
			if tt[i] < 0.1+1.0/99 {
				early++
			}
		}
		// Uniform draws put ~10% of points early; residual draws all.
		wantMin := int(float64(len(x)) * (1 - s) * 0.95)
		if early < wantMin {
			t.Errorf("s=%v: %d early points, want ≥ %d", s, early, wantMin)
		}
	}
}

func TestAdaptiveResampleSchedule(t *testing.T) {
	for _, strat := range []string{StrategyAdaptive, StrategyResample} {
		c := smallConfig()
		c.Strategy, c.NF, c.ResampleEvery, c.MaxIters, c.StallPatience = strat, 100, 5, 30, 1000
		res, err := Train(context.Background(), c, Options{})
		if err != nil {
			t.Fatal(err)
		}
		a := res.Adaptive
		if a == nil || a.Epochs != 30 || a.Resamples != 6 || a.Restarts != 0 || a.Points > 100 || a.Points < 90 {
			t.Errorf("%s: stats %+v", strat, a)
		}
	}
	// A patience of 1 makes nearly every epoch without improvement a restart.
	c := smallConfig()
	c.Strategy, c.NF, c.ResampleEvery, c.MaxIters, c.StallPatience, c.StallDelta = StrategyAdaptive, 100, 1000, 20, 1, 10
	res, err := Train(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Adaptive.Restarts == 0 {
		t.Errorf("no restart with stall_delta 10: %+v", res.Adaptive)
	}
}

func TestAdamLBFGSPhases(t *testing.T) {
	// Adam for 6 epochs redrawing every 2 (3 redraws), a fresh draw at the
	// switch, then L-BFGS redrawing every 5 iterations over 10 epochs (2).
	c := smallConfig()
	c.Strategy, c.NF, c.ResampleEvery, c.StallPatience = StrategyResample, 100, 2, 1000
	c.Optimizer, c.AdamIters, c.AdamLR, c.LBFGSResampleEvery, c.MaxIters = OptimizerAdamLBFGS, 6, 1e-3, 5, 16
	c.TolChange, c.TolGrad = 0, 0
	res, err := Train(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := res.Adaptive
	if a == nil || a.Epochs != 16 || a.Switched != 6 || a.Resamples != 6 || a.Restarts != 0 {
		t.Fatalf("stats %+v, want 16 epochs, switch at 6, 6 redraws", a)
	}
	// Adam takes one evaluation a step; L-BFGS at least one an iteration.
	if res.Evals < 16 || res.Iterations != 16 {
		t.Errorf("%d evaluations, %d iterations", res.Evals, res.Iterations)
	}

	// Regular training with adam_lbfgs: the same loop without redraws.
	c = smallConfig()
	c.Optimizer, c.AdamIters, c.MaxIters = OptimizerAdamLBFGS, 10, 20
	res, err = Train(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a := res.Adaptive; a == nil || a.Switched != 10 || a.Resamples != 0 {
		t.Errorf("regular adam_lbfgs: stats %+v", a)
	}
	if res.Iterations != 20 {
		t.Errorf("regular adam_lbfgs: %d iterations, want 20", res.Iterations)
	}
}

func TestStrategyValidation(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Strategy = "magic" }, "magic"},
		{func(c *Config) { c.Strategy = StrategySeq2Seq; c.Seq2SeqDt = 0 }, "seq2seq_dt"},
		{func(c *Config) { c.Strategy = StrategyCurriculum; c.CurriculumSpacing = "cubic" }, "curriculum_spacing"},
		{func(c *Config) { c.Strategy = StrategyAdaptive; c.ResampleEvery = 0 }, "resample_every"},
		{func(c *Config) { c.PeriodicX = -1 }, "periodic_x"},
		{func(c *Config) { c.Optimizer = "sgd" }, "adam_lbfgs"},
		{func(c *Config) { c.Optimizer = OptimizerAdamLBFGS; c.AdamLR = 0 }, "adam_lr"},
		{func(c *Config) { c.Optimizer = OptimizerAdamLBFGS; c.AdamIters = -1 }, "adam_iters"},
		{func(c *Config) { c.Optimizer = OptimizerAdamLBFGS; c.LBFGSResampleEvery = -2 }, "lbfgs_resample_every"},
		{func(c *Config) { c.Optimizer = OptimizerAdam; c.AdamDecaySteps = -1 }, "adam_decay_steps"},
		{func(c *Config) { c.Optimizer = OptimizerAdamLBFGS; c.AdamDecay = 1.5 }, "adam_decay"},
		{func(c *Config) { c.AdamDecay = 0 }, "adam_decay"},
		{func(c *Config) { c.Optimizer = OptimizerAdamLBFGS; c.Strategy = StrategySeq2Seq }, "adam_lbfgs"},
	} {
		c := DefaultConfig()
		tc.mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate() = %v, want an error naming %q", err, tc.want)
		}
	}
}

func TestPeriodicEmbeddingDropsBC(t *testing.T) {
	c := smallConfig()
	c.PeriodicX, c.MaxIters = 2, 30
	res, err := Train(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.LossBC != 0 || res.PeriodicUx {
		t.Errorf("BC loss %g with an exactly periodic network", res.LossBC)
	}
}

func TestCausalWeights(t *testing.T) {
	c := smallConfig()
	m, err := newModel(&c)
	if err != nil {
		t.Fatal(err)
	}
	op, _ := operatorFor(&c)
	pts := paperPoints(&c, math.Sin)
	rw := &reweighter{chunks: 8, eps: 1e6, epsMax: 1e6}
	w := rw.causalWeights(m, op, pts)
	// Weights never increase with t, and the earliest chunk has weight 1
	// (times its share N/(C·n_i)).
	type tw struct{ t, w float64 }
	var all []tw
	for i := range w {
		all = append(all, tw{pts.resT[i], w[i]})
	}
	slices.SortFunc(all, func(a, b tw) int {
		if a.t < b.t {
			return -1
		}
		if a.t > b.t {
			return 1
		}
		return 0
	})
	for i := 1; i < len(all); i++ {
		if all[i].w > all[i-1].w+1e-12 && all[i].t > all[i-1].t {
			t.Fatalf("weight rises with t at %v: %v > %v", all[i].t, all[i].w, all[i-1].w)
		}
	}
	if math.Abs(all[0].w-1) > 0.01 {
		t.Errorf("first chunk weight %v, want 1", all[0].w)
	}
	if all[len(all)-1].w > 1e-3 {
		t.Errorf("with ε = 1e6 an untrained network's last chunk must be nearly off, got %v", all[len(all)-1].w)
	}
	// A tiny ε releases every chunk and escalates ε by 10.
	rw = &reweighter{chunks: 8, eps: 1e-9, epsMax: 1}
	rw.causalWeights(m, op, pts)
	if rw.eps != 1e-8 {
		t.Errorf("ε = %v after a round with every weight > 0.99, want 1e-8", rw.eps)
	}
}

func TestCausalAndBalanceRun(t *testing.T) {
	c := smallConfig()
	c.CausalChunks, c.GradBalance, c.ReweightEvery, c.MaxIters = 4, true, 10, 30
	res, err := Train(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusDone || res.Adaptive == nil || res.Adaptive.Epochs != 30 {
		t.Fatalf("status %s, stats %+v", res.Status, res.Adaptive)
	}
	if cs := res.Adaptive.Causal; cs == nil || cs.Eps < c.CausalEps || cs.Eps > c.CausalEpsMax || cs.MinWeight < 0 || cs.MinWeight > 1 {
		t.Errorf("causal stats %+v", cs)
	}
	c.Strategy = StrategyCurriculum
	if err := c.Validate(); err == nil {
		t.Error("causal weighting accepted with curriculum")
	}
}

// The in-pass causal weights (problem.causal, used when the weights are
// recomputed before every Adam step) give exactly the loss and gradient of
// weights computed by a separate forward pass, and advance ε alike.
func TestCausalInPassMatchesSeparatePass(t *testing.T) {
	c := smallConfig()
	m, err := newModel(&c)
	if err != nil {
		t.Fatal(err)
	}
	op, _ := operatorFor(&c)
	pts := paperPoints(&c, math.Sin)
	s := &session{cfg: c}
	for _, eps := range []float64{1e-9, 1, 1e3} {
		sep := &reweighter{chunks: 7, eps: eps, epsMax: 1e4}
		in := &reweighter{chunks: 7, eps: eps, epsMax: 1e4}
		ps := pts
		ps.resW = sep.causalWeights(m, op, ps)
		prSep := s.newProblem(&c, m, ps)
		prIn := s.newProblem(&c, m, pts)
		prIn.causal = in
		gSep := make([]float64, len(m.p))
		gIn := make([]float64, len(m.p))
		fSep := prSep.eval(m.p, gSep)
		fIn := prIn.eval(m.p, gIn)
		if fSep != fIn || !slices.Equal(gSep, gIn) {
			t.Errorf("ε = %v: in-pass loss %v, separate %v (gradients equal: %v)", eps, fIn, fSep, slices.Equal(gSep, gIn))
		}
		if sep.eps != in.eps || sep.minW != in.minW {
			t.Errorf("ε = %v: schedule in-pass (ε %v, min w %v), separate (ε %v, min w %v)", eps, in.eps, in.minW, sep.eps, sep.minW)
		}
	}
}

// A redraw refills the problem's buffers in place; the result is the
// problem a fresh build gives.
func TestRedrawnProblemMatchesFresh(t *testing.T) {
	c := smallConfig()
	m, err := newModel(&c)
	if err != nil {
		t.Fatal(err)
	}
	pts := paperPoints(&c, math.Sin)
	s := &session{cfg: c}
	pr := s.newProblem(&c, m, pts)
	g := make([]float64, len(m.p))
	pr.eval(m.p, g)
	// New points, the same count, and weights.
	px, pt := interiorPoints(&c)
	sp := &sampler{poolX: px, poolT: pt, dx: 2 * math.Pi / float64(c.NX), dt: 1 / float64(c.NT-1), rng: rand.New(rand.NewPCG(3, 3))}
	pts.resX, pts.resT = sp.draw(len(pts.resX), 1, nil)
	pts.resW = make([]float64, len(pts.resX))
	for i := range pts.resW {
		pts.resW[i] = 1 + pts.resT[i]
	}
	re := s.redrawnProblem(pr, &c, m, pts)
	if re != pr {
		t.Fatal("a redraw of as many points built a new problem")
	}
	fresh := s.newProblem(&c, m, pts)
	gRe := make([]float64, len(m.p))
	gFresh := make([]float64, len(m.p))
	if fRe, fFresh := re.eval(m.p, gRe), fresh.eval(m.p, gFresh); fRe != fFresh || !slices.Equal(gRe, gFresh) {
		t.Errorf("refilled problem: loss %v, fresh %v", fRe, fFresh)
	}
	// Another count cannot reuse the buffers.
	pts.resX, pts.resT, pts.resW = pts.resX[:10], pts.resT[:10], nil
	if s.redrawnProblem(pr, &c, m, pts) == pr {
		t.Error("a redraw of fewer points reused the buffers")
	}
}

// Jitter 0.5 (the paper's) leaves half of every grid cell in t unsampled;
// jitter 1 covers the cells, the first one, (0, Δt], included.
func TestSamplerJitter(t *testing.T) {
	c := DefaultConfig()
	px, pt := interiorPoints(&c)
	dt := 1 / float64(c.NT-1)
	for _, tc := range []struct {
		jitter   float64
		wantGaps bool
	}{{0.5, true}, {1, false}, {0, true}} {
		sp := &sampler{poolX: px, poolT: pt, dx: tc.jitter * 2 * math.Pi / float64(c.NX), dt: tc.jitter * dt, rng: rand.New(rand.NewPCG(5, 5))}
		_, tt := sp.draw(5000, 1, nil)
		early := 0 // points in the first half of their cell
		first := 0 // points in the first cell, (0, Δt]
		for _, v := range tt {
			if v <= 0 || v > 1 {
				t.Fatalf("jitter %v: t = %v outside (0, 1]", tc.jitter, v)
			}
			if f := v/dt - math.Floor(v/dt); f > 1e-6 && f < 0.5-1e-6 {
				early++
			}
			if v < dt*(1-1e-9) {
				first++
			}
		}
		if gaps := early == 0; gaps != tc.wantGaps {
			t.Errorf("jitter %v: %d of %d points in the first half of a cell", tc.jitter, early, len(tt))
		}
		if (first == 0) != (tc.jitter == 0) {
			t.Errorf("jitter %v: %d of %d points in the first cell (0, Δt)", tc.jitter, first, len(tt))
		}
	}
	c.Strategy, c.Jitter = StrategyResample, 1.5
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "jitter") {
		t.Errorf("jitter 1.5 accepted: %v", err)
	}
}
