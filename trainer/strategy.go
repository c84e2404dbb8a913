package trainer

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// Strategy names accepted in Config.Strategy.
const (
	// StrategyRegular is the soft-constraint PINN (the baseline).
	StrategyRegular = "regular"
	// StrategyCurriculum warm-starts through an increasing schedule of the
	// PDE coefficient (Krishnapriyan et al. 2021, §5.1).
	StrategyCurriculum = "curriculum"
	// StrategySeq2Seq marches in time over segments of Seq2SeqDt
	// (Krishnapriyan et al. 2021, §5.2).
	StrategySeq2Seq = "seq2seq"
	// StrategyAdaptive resamples the collocation points by a cosine mix of
	// uniform and residual-driven draws, restarting on a stall
	// (Subramanian et al. 2022).
	StrategyAdaptive = "adaptive"
	// StrategyResample is adaptive's schedule with uniform draws only: the
	// control that tells whether the residual weighting helps.
	StrategyResample = "resample"
	// StrategyHard is the regular PINN with the hard-constraint layer
	// (Négiar et al. 2023); HardLayer combines the layer with any strategy.
	StrategyHard = "hard"
)

// Strategies lists the strategy names.
func Strategies() []string {
	return []string{StrategyRegular, StrategyCurriculum, StrategySeq2Seq, StrategyAdaptive, StrategyResample, StrategyHard, StrategySupervised}
}

// validateStrategy checks the strategy and its parameters.
func (c *Config) validateStrategy() error {
	switch c.Strategy {
	case StrategyRegular, "", StrategyHard:
	case StrategySupervised:
		if err := c.validateSupervised(); err != nil {
			return err
		}
	case StrategyCurriculum:
		target := c.curriculumTarget()
		switch {
		case c.CurriculumSpacing != "linear" && c.CurriculumSpacing != "geometric":
			return fmt.Errorf("curriculum_spacing = %q: want linear or geometric", c.CurriculumSpacing)
		case c.CurriculumStages < 0 || c.CurriculumStages > 1000:
			return fmt.Errorf("curriculum_stages = %d: must be in [0, 1000]", c.CurriculumStages)
		case !(c.CurriculumStep > 0) || math.IsInf(c.CurriculumStep, 0):
			return fmt.Errorf("curriculum_step = %v: must be finite and > 0", c.CurriculumStep)
		case c.CurriculumIters < 0:
			return fmt.Errorf("curriculum_iters = %d: must be ≥ 0", c.CurriculumIters)
		case math.IsNaN(c.CurriculumStart) || math.IsInf(c.CurriculumStart, 0):
			return fmt.Errorf("curriculum_start = %v: must be finite", c.CurriculumStart)
		case c.CurriculumSpacing == "geometric" && (c.CurriculumStart <= 0 || target <= 0):
			return fmt.Errorf("curriculum_spacing = geometric needs curriculum_start > 0 and a target > 0 (got %v → %v)", c.CurriculumStart, target)
		}
	case StrategySeq2Seq:
		if !(c.Seq2SeqDt > 0 && c.Seq2SeqDt <= 1) {
			return fmt.Errorf("seq2seq_dt = %v: must be in (0, 1]", c.Seq2SeqDt)
		}
		if k := c.segments(); c.NF < k {
			return fmt.Errorf("nf = %d: seq2seq needs at least one collocation point per segment (%d segments)", c.NF, k)
		}
	case StrategyAdaptive, StrategyResample:
		switch {
		case c.NF < 1:
			return fmt.Errorf("nf = %d: must be ≥ 1", c.NF)
		case c.ResampleEvery < 1:
			return fmt.Errorf("resample_every = %d: must be ≥ 1", c.ResampleEvery)
		case c.AdaptivePeriod < 1:
			return fmt.Errorf("adaptive_period = %d: must be ≥ 1", c.AdaptivePeriod)
		case c.StallPatience < 1:
			return fmt.Errorf("stall_patience = %d: must be ≥ 1", c.StallPatience)
		case !(c.StallDelta >= 0) || math.IsInf(c.StallDelta, 0):
			return fmt.Errorf("stall_delta = %v: must be finite and ≥ 0", c.StallDelta)
		case !(c.Jitter >= 0 && c.Jitter <= 1):
			return fmt.Errorf("jitter = %v: must be in [0, 1]", c.Jitter)
		}
	default:
		return fmt.Errorf("strategy = %q: known: %v", c.Strategy, Strategies())
	}
	switch {
	case c.PeriodicX < 0 || c.PeriodicX > 64:
		return fmt.Errorf("periodic_x = %d: must be in [0, 64]", c.PeriodicX)
	case c.FourierT < 0 || c.FourierT > 1024:
		return fmt.Errorf("fourier_t = %d: must be in [0, 1024]", c.FourierT)
	case math.IsNaN(c.FourierSigma) || math.IsInf(c.FourierSigma, 0) || c.FourierSigma < 0:
		return fmt.Errorf("fourier_sigma = %v: must be finite and ≥ 0", c.FourierSigma)
	case !(c.HardRidge >= 0) || math.IsInf(c.HardRidge, 0):
		return fmt.Errorf("hard_ridge = %v: must be finite and ≥ 0", c.HardRidge)
	case c.CausalChunks < 0 || c.CausalChunks > 4096:
		return fmt.Errorf("causal_chunks = %d: must be in [0, 4096]", c.CausalChunks)
	case !(c.CausalEps > 0) || math.IsInf(c.CausalEps, 0) || !(c.CausalEpsMax >= c.CausalEps) || math.IsInf(c.CausalEpsMax, 0):
		return fmt.Errorf("causal_eps = %v, causal_eps_max = %v: need 0 < causal_eps ≤ causal_eps_max, finite", c.CausalEps, c.CausalEpsMax)
	case c.ReweightEvery < 1:
		return fmt.Errorf("reweight_every = %d: must be ≥ 1", c.ReweightEvery)
	case (c.CausalChunks > 0 || c.GradBalance) && (c.Strategy == StrategyCurriculum || c.Strategy == StrategySeq2Seq):
		return fmt.Errorf("causal_chunks and grad_balance work with regular, hard, adaptive and resample, not %s", c.Strategy)
	}
	if c.useHard() {
		op, _ := operatorFor(c)
		if err := hardCompatible(op); err != nil {
			return fmt.Errorf("strategy %s: %w", c.Strategy, err)
		}
	}
	return nil
}

// curriculumTarget is the coefficient the curriculum raises: β for
// convection, ρ for reaction and rd, ν for diffusion.
func (c *Config) curriculumTarget() float64 {
	switch c.PDE {
	case Convection:
		return c.Beta
	case Diffusion:
		return c.Nu
	default:
		return c.Rho
	}
}

func (c *Config) setCurriculumCoefficient(v float64) {
	switch c.PDE {
	case Convection:
		c.Beta = v
	case Diffusion:
		c.Nu = v
	default:
		c.Rho = v
	}
}

// CurriculumSchedule returns the coefficients of the curriculum stages,
// from CurriculumStart to the target (the last entry, exactly). With
// CurriculumStages = 0 the linear schedule steps by about CurriculumStep
// (default 2.5) and the geometric one doubles. (Steps of 5, one reading of the paper's Fig. 4,
// plateaued at β = 30 in our runs: 0.74 against 2.6e-2 with steps of 2.5.) A start at or above
// the target gives the target alone.
func (c *Config) CurriculumSchedule() []float64 {
	target, start := c.curriculumTarget(), c.CurriculumStart
	if start >= target {
		return []float64{target}
	}
	n := c.CurriculumStages
	geometric := c.CurriculumSpacing == "geometric"
	if n <= 0 {
		if geometric {
			n = int(math.Ceil(math.Log2(target/start))) + 1
		} else {
			n = int(math.Ceil((target-start)/c.CurriculumStep)) + 1
		}
	}
	if n < 2 {
		return []float64{target}
	}
	out := make([]float64, n)
	for i := range out {
		f := float64(i) / float64(n-1)
		if geometric {
			out[i] = start * math.Pow(target/start, f)
		} else {
			out[i] = start + (target-start)*f
		}
	}
	out[n-1] = target
	return out
}

// segments is the number of seq2seq segments, ⌈1/Δt⌉.
func (c *Config) segments() int {
	return int(math.Ceil(1/c.Seq2SeqDt - 1e-9))
}

// Seq2SeqWindows returns the segments [t0, t1] covering [0, 1].
func (c *Config) Seq2SeqWindows() [][2]float64 {
	k := c.segments()
	w := make([][2]float64, k)
	for i := range w {
		w[i] = [2]float64{float64(i) * c.Seq2SeqDt, math.Min(1, float64(i+1)*c.Seq2SeqDt)}
	}
	w[k-1][1] = 1
	return w
}

// runCurriculum trains through the coefficient schedule: the weights carry
// over, every stage gets a fresh optimizer, and all stages use the same
// collocation points. Every stage but the last is capped at
// CurriculumIters iterations; the last (the target) at MaxIters.
func (s *session) runCurriculum(ctx context.Context, m *model, pts pointSet) (*problem, string, error) {
	sched := s.cfg.CurriculumSchedule()
	s.res.Schedule = sched
	var pr *problem
	for i, v := range sched {
		stage := s.cfg
		stage.setCurriculumCoefficient(v)
		pr = s.newProblem(&stage, m, pts)
		iters := s.cfg.CurriculumIters
		if i == len(sched)-1 {
			iters = s.cfg.MaxIters
		}
		reason, err := s.minimize(ctx, pr, m.p, iters)
		if err != nil || budgetReason(reason) {
			if i < len(sched)-1 {
				// The target was never reached: evaluate the target's loss anyway.
				pr = s.newProblem(&s.cfg, m, pts)
			}
			return pr, reason, err
		}
		if i == len(sched)-1 {
			return pr, reason, nil
		}
	}
	return pr, "", nil
}

// budgetReason reports whether an optimizer stop reason means the trial's
// whole budget is spent.
func budgetReason(r string) bool { return r == "max_evals" || r == "max_seconds" }

// baseWeights are the loss-term weights of cfg before balancing.
func (s *session) baseWeights(cfg *Config) termWeights {
	w := termWeights{ic: 1, bc: 1, res: cfg.Lambda}
	if cfg.PeriodicX > 0 {
		w.bc = 0
	}
	return w
}

// problemWeights are the loss-term weights of cfg after balancing.
func (s *session) problemWeights(cfg *Config) termWeights {
	w := s.baseWeights(cfg)
	if b := s.balanceW; b != [numTerms]float64{} {
		w.ic *= b[termIC]
		w.bc *= b[termBC]
		w.res *= b[termRes]
	}
	return w
}

// newProblem builds the loss of cfg (its PDE coefficients) on the model and points.
func (s *session) newProblem(cfg *Config, m *model, pts pointSet) *problem {
	op, _ := operatorFor(cfg) // cfg was validated
	w := s.problemWeights(cfg)
	if cfg.PeriodicX > 0 {
		// u is exactly periodic: the BC loss is identically zero.
		pts.bcT = nil
	}
	if cfg.useHard() {
		pr := newProblem(m.nt, m.emb, op, cfg.UsePeriodicUx(), w, pts, 1)
		pr.hard = &hardSolver{ridge: cfg.HardRidge}
		return pr
	}
	return newProblem(m.nt, m.emb, op, cfg.UsePeriodicUx(), w, pts, max(1, cfg.Threads))
}

// redrawnProblem is newProblem for points that differ from pr's only in
// the collocation points and their weights (a redraw): it refills pr's
// buffers in place when their sizes allow (one shard, no hard layer, the
// same number of points), which saves allocating and clearing every
// layer's activations on each redraw, and builds a new problem otherwise.
func (s *session) redrawnProblem(pr *problem, cfg *Config, m *model, pts pointSet) *problem {
	if pr == nil || pr.hard != nil || cfg.useHard() || len(pr.shards) != 1 || pr.nRes != len(pts.resX) || pr.shards[0].res == nil {
		return s.newProblem(cfg, m, pts)
	}
	sh := pr.shards[0]
	sh.res.refill(pts.resX, pts.resT)
	sh.resT = pts.resT
	switch {
	case pts.resW != nil:
		sh.resW = pts.resW
	case pr.causal != nil:
		// the weights are written by every eval
	default:
		sh.resW = nil
	}
	pr.w = s.problemWeights(cfg)
	return pr
}

// useHard reports whether the output layer is the hard-constraint layer.
func (c *Config) useHard() bool { return c.HardLayer || c.Strategy == StrategyHard }

// stitched is the seq2seq solution: segment k's model covers [t0_k, t1_k]
// in local time τ = t − t0_k; a point belongs to the last segment whose
// window starts at or before it.
type stitched struct {
	windows [][2]float64
	models  []*model
}

func (st *stitched) segmentOf(t float64) int {
	k := 0
	for i, w := range st.windows {
		if t >= w[0]-1e-12 {
			k = i
		}
	}
	// A time on a segment boundary belongs to the segment it ends (its
	// end-time prediction is what the next segment starts from) except t = 0.
	if k > 0 && math.Abs(t-st.windows[k][0]) < 1e-12 {
		k--
	}
	return k
}

// split groups point indices by segment and shifts their time.
func (st *stitched) split(x, t []float64) (idx [][]int, xs, ts [][]float64) {
	K := len(st.models)
	idx, xs, ts = make([][]int, K), make([][]float64, K), make([][]float64, K)
	for i := range x {
		k := st.segmentOf(t[i])
		idx[k] = append(idx[k], i)
		xs[k] = append(xs[k], x[i])
		ts[k] = append(ts[k], t[i]-st.windows[k][0])
	}
	return idx, xs, ts
}

func (st *stitched) predict(x, t []float64) []float64 {
	out := make([]float64, len(x))
	idx, xs, ts := st.split(x, t)
	for k, m := range st.models {
		if len(idx[k]) == 0 {
			continue
		}
		u := predict(m.nt, m.emb, m.p, xs[k], ts[k])
		for j, i := range idx[k] {
			out[i] = u[j]
		}
	}
	return out
}

func (st *stitched) meanSquaredResidual(op operator, x, t []float64) float64 {
	idx, xs, ts := st.split(x, t)
	s := 0.0
	for k, m := range st.models {
		s += float64(len(idx[k])) * meanSquaredResidual(m.nt, m.emb, op, m.p, xs[k], ts[k])
	}
	return s / float64(len(x))
}

// runSeq2Seq marches over the segments: segment k trains on its window in
// local time with the previous segment's prediction at t0_k as its initial
// condition, NF/K of the collocation points (drawn from the window's
// interior grid points), the boundary times inside the window, and a fresh
// optimizer; the network is warm-started from the previous segment's
// weights when Seq2SeqWarm is set, fresh (seeded by Seed + k) otherwise.
func (s *session) runSeq2Seq(ctx context.Context, h func(float64) float64) (*stitched, pointSet, string, error) {
	c := &s.cfg
	windows := c.Seq2SeqWindows()
	K := len(windows)
	st := &stitched{windows: windows}
	g := c.grid()
	var all pointSet
	// The collocation pool per window: interior grid points with t in (t0, t1].
	idx := sampleInterior(c.NX, c.NT, (c.NX-1)*(c.NT-1), c.SampleSeed)
	var prev *model
	reason := ""
	for k, w := range windows {
		var m *model
		var err error
		if prev != nil && c.Seq2SeqWarm {
			m = &model{nt: prev.nt, emb: prev.emb, p: slices.Clone(prev.p)}
		} else {
			seg := *c
			seg.Seed = c.Seed + int64(k)
			if m, err = newModel(&seg); err != nil {
				return nil, all, "", err
			}
		}
		ps := pointSet{xl: 0, xr: 2 * math.Pi}
		ps.icX, ps.icT = icPoints(c)
		if prev == nil {
			for _, x := range ps.icX {
				ps.icU = append(ps.icU, h(x))
			}
		} else {
			ts := make([]float64, len(ps.icX))
			for i := range ts {
				ts[i] = windows[k-1][1] - windows[k-1][0]
			}
			ps.icU = predict(prev.nt, prev.emb, prev.p, ps.icX, ts)
		}
		for _, t := range bcTimes(c) {
			if t >= w[0]-1e-12 && t <= w[1]+1e-12 {
				ps.bcT = append(ps.bcT, t-w[0])
			}
		}
		want := c.NF*(k+1)/K - c.NF*k/K
		for _, q := range idx {
			if len(ps.resX) == want {
				break
			}
			i, j := 1+q/(c.NX-1), 1+q%(c.NX-1)
			t := g.T(i)
			if t > w[0]+1e-12 && t <= w[1]+1e-12 {
				ps.resX = append(ps.resX, g.X(j))
				ps.resT = append(ps.resT, t-w[0])
			}
		}
		all.resX = append(all.resX, ps.resX...)
		for _, t := range ps.resT {
			all.resT = append(all.resT, t+w[0])
		}
		pr := s.newProblem(c, m, ps)
		reason, err = s.minimize(ctx, pr, m.p, c.MaxIters)
		st.models = append(st.models, m)
		s.segLoss(pr, m)
		if err != nil || budgetReason(reason) {
			// Segments never reached keep the last network (extrapolated).
			for len(st.models) < K {
				st.models = append(st.models, m)
			}
			return st, all, reason, err
		}
		prev = m
	}
	return st, all, reason, nil
}

// segLoss adds a segment's final loss terms to the result (seq2seq reports
// the sums over segments).
func (s *session) segLoss(pr *problem, m *model) {
	grad := make([]float64, len(m.p))
	f := pr.eval(m.p, grad)
	pr.setOutput(m.p)
	s.res.Loss += f
	s.res.LossIC += pr.terms[termIC]
	s.res.LossBC += pr.terms[termBC]
	s.res.LossRes += pr.terms[termRes]
}
