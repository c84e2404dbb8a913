package trainer

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/pinnsweep/pinnsweep/trainer/optim"
)

// AdaptiveStats records what the adaptive and resample strategies did.
type AdaptiveStats struct {
	// Epochs is the number of optimizer iterations run.
	Epochs int `json:"epochs"`
	// Resamples counts scheduled redraws; Restarts counts stalls, each of
	// which forced a uniform redraw.
	Resamples int `json:"resamples"`
	Restarts  int `json:"restarts"`
	// Points is the collocation count after the last redraw (at most NF:
	// duplicates between the uniform and residual draws are merged).
	Points int `json:"points"`
	// Switched is the epoch at which adam_lbfgs turned to L-BFGS (0 if it
	// did not, or with another optimizer).
	Switched int `json:"switched,omitempty"`
	// Causal is the state of causal weighting at the end (nil without it).
	Causal *CausalStats `json:"causal,omitempty"`
}

// CausalStats is the causal schedule's state after the last round.
type CausalStats struct {
	// Eps is the last round's ε.
	Eps float64 `json:"eps"`
	// MinWeight is its smallest chunk weight: 1 when every chunk of time is
	// released, near 0 while training still works on early times only.
	MinWeight float64 `json:"min_weight"`
}

// uniformFraction is the cosine mix s = ½(1 + cos(π·(k mod T)/T)) of
// Subramanian et al.: 1 (all uniform) right after a restart, falling to 0
// (all residual-driven) at the end of each period T.
func uniformFraction(k, T int) float64 {
	return 0.5 * (1 + math.Cos(math.Pi*float64(k%T)/float64(T)))
}

// stallMonitor detects a stall: patience epochs in a row in which the loss
// never drops below best − delta.
type stallMonitor struct {
	patience int
	delta    float64
	best     float64
	since    int
}

func (m *stallMonitor) reset() { m.best, m.since = math.Inf(1), 0 }

// observe records an epoch's loss and reports a stall.
func (m *stallMonitor) observe(f float64) bool {
	if f < m.best-m.delta {
		m.best, m.since = f, 0
		return false
	}
	m.since++
	return m.since >= m.patience
}

// sampler redraws collocation points from the interior grid pool.
type sampler struct {
	poolX, poolT []float64
	dx, dt       float64
	rng          *rand.Rand
}

// draw returns n points: ⌊n·s⌋ uniform and the rest drawn with probability
// proportional to weight (both without replacement; the union merges
// duplicates), each jittered by +U(0, dx) in x and −U(0, dt) in t. The
// pool holds the interior grid (t > 0), so jittering t backwards is what
// lets a full-cell jitter reach the first cell, (0, Δt]: forwards, no point
// ever fell in it. weight may be nil when s = 1.
func (sp *sampler) draw(n int, s float64, weight []float64) (x, t []float64) {
	N := len(sp.poolX)
	nu := int(math.Floor(float64(n) * s))
	chosen := make(map[int]bool, n)
	order := make([]int, 0, n)
	perm := sp.rng.Perm(N)
	for _, i := range perm[:nu] {
		chosen[i] = true
		order = append(order, i)
	}
	if nr := n - nu; nr > 0 {
		if weight == nil {
			for _, i := range perm[nu : nu+nr] {
				chosen[i] = true
				order = append(order, i)
			}
		} else {
			// Efraimidis–Spirakis: the nr largest keys u^(1/w) are a
			// weighted sample without replacement.
			type kv struct {
				k float64
				i int
			}
			keys := make([]kv, 0, N)
			for i, w := range weight {
				if w > 0 && !math.IsNaN(w) {
					keys = append(keys, kv{math.Log(sp.rng.Float64()) / w, i})
				}
			}
			sort.Slice(keys, func(a, b int) bool { return keys[a].k > keys[b].k })
			for _, e := range keys[:min(nr, len(keys))] {
				if !chosen[e.i] {
					chosen[e.i] = true
					order = append(order, e.i)
				}
			}
		}
	}
	for _, i := range order {
		xi := sp.poolX[i] + sp.dx*sp.rng.Float64()
		ti := sp.poolT[i] - sp.dt*sp.rng.Float64()
		x = append(x, xi)
		t = append(t, ti)
	}
	return x, t
}

// residualMagnitude returns |f| at every point.
func residualMagnitude(m *model, op operator, x, t []float64) []float64 {
	out := make([]float64, len(x))
	residuals(m.nt, m.emb, op, m.p, x, t, out)
	for i, v := range out {
		out[i] = math.Abs(v)
	}
	return out
}

// runAdaptive trains in epochs: one epoch is one L-BFGS iteration or Adam
// step of an optimizer that lives across epochs. Every ResampleEvery
// epochs adaptive and resample redraw the collocation points with uniform
// fraction uniformFraction(k, AdaptivePeriod), k counting epochs since the
// last restart (resample: always uniform); a stall (StallPatience epochs
// without improving by StallDelta) resets k and redraws uniformly at once.
// The stall monitor restarts after every redraw, and with ResampleReset so
// does L-BFGS's curvature memory (Adam's moments are kept). With causal
// weights or gradient balancing the weights are recomputed every
// ReweightEvery epochs. adam_lbfgs runs AdamIters epochs of Adam, then
// L-BFGS on freshly drawn points, redrawing every LBFGSResampleEvery
// iterations. MaxIters caps the epochs.
func (s *session) runAdaptive(ctx context.Context, m *model, pts pointSet) (*problem, pointSet, string, error) {
	c := &s.cfg
	op, _ := operatorFor(c)
	px, pt := interiorPoints(c)
	pcg := rand.NewPCG(uint64(c.SampleSeed), 0xada)
	sp := &sampler{poolX: px, poolT: pt, dx: c.Jitter * 2 * math.Pi / float64(c.NX), dt: c.Jitter / float64(c.NT-1),
		rng: rand.New(pcg)}
	stats := &AdaptiveStats{Points: len(pts.resX)}
	s.res.Adaptive = stats
	pr := s.newProblem(c, m, pts)

	// The trial's eval and time budgets are enforced through the context,
	// so the optimizer (and its memory) lives across epochs.
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if c.MaxSeconds > 0 {
		var cancelT context.CancelFunc
		bctx, cancelT = context.WithDeadline(bctx, s.start.Add(time.Duration(c.MaxSeconds*float64(time.Second))))
		defer cancelT()
	}
	s.evalCap = func() {
		if c.MaxEvals > 0 && s.evals >= c.MaxEvals {
			cancel()
		}
	}
	defer func() { s.evalCap = nil }()
	type optimizer interface {
		Minimize(context.Context, optim.Func, []float64) (optim.Result, error)
		Reset()
		optState
	}
	lbfgs := func() optimizer { return optim.NewLBFGS(len(m.p), s.settings(1)) }
	var opt optimizer
	adam := false // whether opt is Adam
	every := c.ResampleEvery
	switch c.Optimizer {
	case OptimizerAdam:
		opt, adam = optim.NewAdam(len(m.p), s.settings(1)), true
	case OptimizerAdamLBFGS:
		set := s.settings(1)
		set.LR = c.AdamLR
		opt, adam = optim.NewAdam(len(m.p), set), true
	default:
		opt = lbfgs()
	}
	switchAt := -1 // the epoch at which adam_lbfgs turns to L-BFGS
	if c.Optimizer == OptimizerAdamLBFGS {
		switchAt = c.AdamIters
	}
	phaseStart := 0 // the epoch the current optimizer started at
	mon := &stallMonitor{patience: c.StallPatience, delta: c.StallDelta}
	mon.reset()
	k := 0
	redrawing := c.Strategy == StrategyAdaptive || c.Strategy == StrategyResample
	rw := newReweighter(c)
	// dynamic: the causal weights are recomputed before every step anyway
	// (Adam, with a redraw or a reweighting every epoch), so each eval
	// computes them from its own forward pass (problem.causal) rather than
	// a separate one: the same weights at two thirds of the cost.
	dynamic := func() bool {
		return rw != nil && rw.chunks > 0 && adam && max(1, c.Threads) == 1 && !c.useHard() &&
			((redrawing && every == 1) || c.ReweightEvery == 1)
	}
	setCausal := func() {
		if dynamic() {
			pr.causal = rw
		} else {
			pr.causal = nil
		}
	}
	reweight := func() {
		if rw == nil {
			return
		}
		// The balance sees the causal weights (also when each eval
		// recomputes them).
		pts.resW = rw.causalWeights(m, op, pts)
		rw.balance(s, c, m, pts)
		if dynamic() {
			pts.resW = nil
		}
		pr = s.newProblem(c, m, pts)
		setCausal()
		if !adam {
			// The objective changed: L-BFGS's curvature pairs no longer
			// describe it (Adam's moments are kept).
			opt.Reset()
		}
	}
	redraw := func(frac float64) {
		var w []float64
		if c.Strategy == StrategyAdaptive && frac < 1 {
			w = residualMagnitude(m, op, px, pt)
		}
		if c.Strategy == StrategyResample {
			frac = 1
		}
		pts.resX, pts.resT = sp.draw(c.NF, frac, w)
		pts.resW = nil
		if rw != nil && !dynamic() {
			pts.resW = rw.causalWeights(m, op, pts)
		}
		stats.Points = len(pts.resX)
		pr = s.redrawnProblem(pr, c, m, pts)
		setCausal()
		mon.reset()
		if c.ResampleReset && !adam {
			// Adam's moments are averages over draws and stay.
			opt.Reset()
		}
	}
	switchPhase := func() {
		opt, adam, phaseStart = lbfgs(), false, stats.Epochs
		if c.LBFGSResampleEvery > 0 {
			every = c.LBFGSResampleEvery
		}
		stats.Switched = stats.Epochs
		if redrawing {
			stats.Resamples++
			redraw(1)
		} else if pr.causal != nil {
			// L-BFGS needs an objective that holds still: fixed weights.
			pts.resW = rw.causalWeights(m, op, pts)
			pr = s.newProblem(c, m, pts)
			setCausal()
		}
	}
	if e := s.ck.takeEpoch(); e != nil {
		if err := restoreEpoch(e, &pts, pcg, stats, mon, rw); err != nil {
			return pr, pts, "", err
		}
		every, phaseStart, k = e.every, e.phaseStart, e.k
		if adam && !e.adam {
			opt, adam = lbfgs(), false // adam_lbfgs had switched
		}
		if err := opt.UnmarshalBinary(e.opt); err != nil {
			return pr, pts, "", fmt.Errorf("%w: %w", ErrCheckpoint, err)
		}
		pr = s.newProblem(c, m, pts)
		setCausal()
	} else {
		reweight()
	}
	s.ck.inEpoch(func() *epochCkpt {
		return captureEpoch(&pts, pcg, stats, opt, adam, every, phaseStart, k, mon, rw)
	})
	for c.MaxIters == 0 || stats.Epochs < c.MaxIters {
		s.ck.boundary()
		if stats.Epochs == switchAt {
			switchPhase()
		}
		r, err := opt.Minimize(bctx, s.objective(pr), m.p)
		s.iters += r.Iters
		stats.Epochs++
		rw.record(stats)
		if err != nil {
			switch {
			case ctx.Err() != nil:
				return pr, pts, optim.ReasonCancelled, ctx.Err()
			case bctx.Err() != nil && c.MaxEvals > 0 && s.evals >= c.MaxEvals:
				return pr, pts, "max_evals", nil
			case bctx.Err() != nil:
				return pr, pts, "max_seconds", nil
			}
			return pr, pts, r.Reason, err
		}
		k++
		if rw != nil && stats.Epochs%c.ReweightEvery == 0 {
			reweight()
		}
		if !redrawing {
			continue
		}
		if mon.observe(r.F) {
			stats.Restarts++
			k = 0
			redraw(1)
			continue
		}
		if (stats.Epochs-phaseStart)%every == 0 {
			stats.Resamples++
			redraw(uniformFraction(k, c.AdaptivePeriod))
		}
	}
	return pr, pts, "max_iters", nil
}

// record notes the causal schedule's state in the stats.
func (rw *reweighter) record(stats *AdaptiveStats) {
	if rw == nil || rw.chunks == 0 {
		return
	}
	if stats.Causal == nil {
		stats.Causal = &CausalStats{}
	}
	stats.Causal.Eps, stats.Causal.MinWeight = rw.eps, rw.minW
}

// reweighter holds the state of causal weighting (Wang et al. 2022) and
// gradient-norm loss balancing between reweighting rounds.
type reweighter struct {
	chunks   int
	eps      float64
	epsMax   float64
	minW     float64 // the smallest causal weight of the last round
	order    []int   // scratch: point indices sorted by time
	balanced bool
	lam      [numTerms]float64 // the balancing weights, smoothed
}

func newReweighter(c *Config) *reweighter {
	if c.CausalChunks == 0 && !c.GradBalance {
		return nil
	}
	return &reweighter{chunks: c.CausalChunks, eps: c.CausalEps, epsMax: c.CausalEpsMax, balanced: c.GradBalance}
}

// causalWeights returns per-point residual weights: the points are ordered
// by t into `chunks` chunks of (nearly) equal count, chunk i with mean
// squared residual L_i gets w_i = exp(−ε·Σ_{k<i} L_k), and a point's weight
// is w_i·N/(chunks·n_i), so the residual term is (1/chunks)·Σ_i w_i·L_i.
// Once every w_i exceeds 0.99 the next round uses ε·10 (up to the maximum).
func (rw *reweighter) causalWeights(m *model, op operator, pts pointSet) []float64 {
	if rw.chunks == 0 {
		return nil
	}
	f := residualMagnitude(m, op, pts.resX, pts.resT)
	w := make([]float64, len(f))
	rw.weightsFrom(f, pts.resT, w)
	return w
}

// weightsFrom writes into w the causal weights of points at times t with
// residuals f (their signs do not matter), as causalWeights describes, and
// advances the ε schedule.
func (rw *reweighter) weightsFrom(f, t, w []float64) {
	n := len(f)
	if cap(rw.order) < n {
		rw.order = make([]int, n)
	}
	order := rw.order[:n]
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return t[order[a]] < t[order[b]] })
	C := min(rw.chunks, n)
	cum := 0.0
	rw.minW = 1
	for ci := 0; ci < C; ci++ {
		lo, hi := split(n, C, ci)
		L := 0.0
		for _, i := range order[lo:hi] {
			L += f[i] * f[i]
		}
		L /= float64(hi - lo)
		wi := math.Exp(-rw.eps * cum)
		rw.minW = math.Min(rw.minW, wi)
		for _, i := range order[lo:hi] {
			w[i] = wi * float64(n) / float64(C*(hi-lo))
		}
		cum += L
	}
	if rw.minW > 0.99 && rw.eps < rw.epsMax {
		rw.eps = math.Min(rw.epsMax, rw.eps*10)
	}
}

// balance updates the loss-term weights by gradient norms (the expert's
// guide, Algorithm 1): λ_j = Σ_k ‖∇L_k‖ / ‖∇L_j‖ over the active terms,
// smoothed as λ ← 0.9·λ + 0.1·λ_new.
func (rw *reweighter) balance(s *session, c *Config, m *model, pts pointSet) {
	if !rw.balanced {
		return
	}
	base := s.baseWeights(c)
	var norms [numTerms]float64
	grad := make([]float64, len(m.p))
	total := 0.0
	for j := 0; j < numTerms; j++ {
		w := [numTerms]float64{}
		w[j] = [numTerms]float64{base.ic, base.bc, base.res}[j]
		if w[j] == 0 {
			continue
		}
		op, _ := operatorFor(c)
		pr := newProblem(m.nt, m.emb, op, c.UsePeriodicUx(), termWeights{w[0], w[1], w[2]}, pts, max(1, c.Threads))
		pr.eval(m.p, grad)
		norms[j] = math.Sqrt(dotSelf(grad))
		total += norms[j]
	}
	for j := range norms {
		if norms[j] == 0 {
			continue
		}
		l := total / norms[j]
		if rw.lam[j] == 0 {
			rw.lam[j] = l
		} else {
			rw.lam[j] = 0.9*rw.lam[j] + 0.1*l
		}
	}
	s.balanceW = rw.lam
}

func dotSelf(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x * x
	}
	return s
}
