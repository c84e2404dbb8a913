package optim

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/pinnsweep/pinnsweep/internal/simdblas"
)

// LBFGS is a stateful L-BFGS optimizer with a strong-Wolfe line search, a
// port of PyTorch's torch.optim.LBFGS(line_search_fn="strong_wolfe").
//
// Each Minimize call is one PyTorch step(closure): it evaluates the objective
// at x, then runs up to MaxIters iterations. The curvature memory, the last
// direction and step and the iteration counter persist between calls, as
// PyTorch's optimizer state does, so a caller may change the objective
// between calls (e.g. resample collocation points) and continue; Reset
// clears them. An LBFGS is not safe for concurrent use.
//
// Memory: 2·(History+1) vectors of n float64 (float32 with
// HistoryFloat32) for the curvature pairs (allocated as the history fills,
// then reused, also across Reset) plus 6 work vectors. Minimize does not allocate once the history has filled.
type LBFGS struct {
	n   int
	set Settings

	// resolved settings
	lr, tolGrad, tolChange float64
	maxLS                  int

	// PyTorch state; persists across Minimize calls, cleared by Reset.
	nIter  int       // state["n_iter"]
	nEvals int       // state["func_evals"]
	d      []float64 // state["d"]
	t      float64   // state["t"]
	prevG  []float64 // state["prev_flat_grad"]
	hDiag  float64   // state["H_diag"]
	mem    memory    // old_dirs (y), old_stps (s), ro, al

	// work buffers
	g   [3][]float64 // gradient pool: current gradient and line-search trials
	cur int          // index of the gradient at x in g
	xt  []float64    // line-search trial point

	trace func(lsTrace) // test hook, called after every line search

	// at holds the running call's counters at an iteration boundary (for
	// MarshalBinary); resume holds a restored call's (see state.go).
	at     *callState
	resume *callState
}

// NewLBFGS returns an L-BFGS optimizer for n parameters. Settings are
// validated by Minimize (see Settings.Validate); zero fields take the
// documented defaults. It panics if n < 1.
func NewLBFGS(n int, s Settings) *LBFGS {
	if n < 1 {
		panic(fmt.Sprintf("optim: NewLBFGS: n = %d, want ≥ 1", n))
	}
	o := &LBFGS{n: n, set: s}
	o.lr = orDefault(s.LR, DefaultLBFGSLR)
	o.tolGrad = orDefault(s.TolGrad, DefaultTolGrad)
	o.tolChange = max(orDefault(s.TolChange, DefaultTolChange), 0)
	o.maxLS = s.MaxLineSearch
	if o.maxLS == 0 {
		o.maxLS = DefaultMaxLineSearch
	}
	m := s.History
	if m == 0 {
		m = DefaultHistory
	}
	o.mem.init(max(m, 0), s.HistoryFloat32)
	o.d = make([]float64, n)
	o.prevG = make([]float64, n)
	o.xt = make([]float64, n)
	for i := range o.g {
		o.g[i] = make([]float64, n)
	}
	o.Reset()
	return o
}

// Settings returns the settings the optimizer was created with.
func (o *LBFGS) Settings() Settings { return o.set }

// Reset forgets the curvature memory, the last direction and step, and the
// total counters, so the next Minimize starts like a fresh optimizer (first
// step length min(1, 1/‖g‖₁)·LR). Buffers are kept for reuse.
func (o *LBFGS) Reset() {
	o.nIter, o.nEvals = 0, 0
	o.t, o.hDiag = 0, 1
	o.mem.reset()
	clear(o.d)
	clear(o.prevG)
	o.resume = nil
}

// Totals returns the iterations and evaluations done since the optimizer
// was created or last Reset (PyTorch's state n_iter and func_evals).
func (o *LBFGS) Totals() (iters, evals int) { return o.nIter, o.nEvals }

// Minimize runs one PyTorch LBFGS step(closure): it evaluates f at x and
// iterates until a stop rule or a cap of this call is met, updating x in
// place. Result counters are for this call; Totals accumulates.
//
// Stop rules, in the order they are reported when several hold after an
// iteration: a limit that interrupted the line search (cancelled,
// max_seconds, max_evals), tol_grad, tol_step, tol_change, max_iters,
// max_evals. tol_grad is also checked on the first gradient (0 iterations)
// and tol_dir before each line search; cancellation, MaxSeconds and MaxEvals
// are checked before every evaluation.
//
// On return x is the last accepted iterate and Result.F its loss: on
// cancellation or a limit met inside a line search, the line search ends
// early and its best point so far (never worse than x) is accepted. The
// returned error is nil except for cancellation (ctx.Err(), Reason
// cancelled), divergence (wrapping ErrDiverged, Reason diverged), and
// invalid arguments (ErrSettings, ErrDimension, Reason "").
func (o *LBFGS) Minimize(ctx context.Context, f Func, x []float64) (Result, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	lim := newLimits(ctx, time.Now(), &o.set)
	res := Result{F: math.NaN(), GradMax: math.NaN()}
	if len(x) != o.n {
		return res, fmt.Errorf("%w: len(x) = %d, optimizer has n = %d", ErrDimension, len(x), o.n)
	}
	if err := o.set.Validate(); err != nil {
		return res, err
	}
	reason, err := o.minimize(&lim, f, x, &res)
	res.Reason = reason
	res.Evals = lim.evals
	res.Elapsed = lim.elapsed()
	return res, err
}

func (o *LBFGS) minimize(lim *limits, fn Func, x []float64, res *Result) (string, error) {
	var loss, gmax float64
	if r := o.resume; r != nil {
		// A call restored by UnmarshalBinary: continue at its boundary.
		o.resume = nil
		lim.evals, res.Iters = r.evals, r.iters
		loss, gmax = r.f, r.gmax
		res.F, res.GradMax = loss, gmax
	} else {
		// evaluate initial f(x) and df/dx
		if reason, err := lim.check(); reason != "" {
			return reason, err
		}
		lim.evals++
		o.nEvals++
		loss = fn(x, o.g[o.cur])
		var ok bool
		gmax, ok = maxAbsFinite(o.g[o.cur])
		if !ok || !finite(loss) {
			return ReasonDiverged, errDiverged(lim.evals)
		}
		res.F, res.GradMax = loss, gmax

		// optimal condition
		if gmax <= o.tolGrad {
			return ReasonTolGrad, nil
		}
	}

	maxIters := o.set.MaxIters
	d := o.d
	for {
		if res.Iters > 0 && o.set.AtBoundary != nil {
			o.boundary(callState{iters: res.Iters, evals: lim.evals, f: loss, gmax: gmax})
		}
		// Not in PyTorch: stop before an iteration that could not do its
		// first evaluation. (Only fires where PyTorch would exceed a cap.)
		if reason, err := lim.check(); reason != "" {
			return reason, err
		}
		res.Iters++
		o.nIter++
		g := o.g[o.cur]

		// compute gradient descent direction
		if o.nIter == 1 {
			for i, gi := range g {
				d[i] = -gi
			}
			o.mem.reset()
			o.hDiag = 1
		} else {
			// do lbfgs update (update memory)
			if ys, yy, stored := o.mem.push(g, o.prevG, d, o.t); stored {
				// update scale of initial Hessian approximation
				o.hDiag = ys / yy
			}
			// compute the approximate (L-BFGS) inverse Hessian multiplied
			// by the gradient
			o.mem.direction(g, o.hDiag, d)
		}
		copy(o.prevG, g)
		prevLoss := loss

		// compute step length: reset initial guess for step size
		if o.nIter == 1 {
			o.t = pyMin(1, 1/sumAbs(g)) * o.lr
		} else {
			o.t = o.lr
		}

		// directional derivative
		gtd := dot(g, d)
		// directional derivative is below tolerance
		if gtd > -o.tolChange {
			return ReasonTolDir, nil
		}

		t0 := o.t
		ls := o.strongWolfe(fn, lim, x, d, o.t, loss, o.cur, gtd)
		if o.trace != nil {
			o.trace(lsTrace{t0: t0, f0: loss, gtd0: gtd, res: ls})
		}
		if ls.diverged {
			// x has not moved; make a later continuation store no pair.
			o.t = 0
			return ReasonDiverged, errDiverged(lim.evals)
		}
		o.t, o.cur, loss = ls.t, ls.gi, ls.f
		t := o.t
		for i := range x {
			x[i] = x[i] + float64(t*d[i]) // same rounding as the evaluated trial point
		}
		gmax = maxAbs(o.g[o.cur])
		res.F, res.GradMax = loss, gmax
		if cb := o.set.Callback; cb != nil {
			cb(Progress{Iter: res.Iters, Evals: lim.evals, F: loss, GradMax: gmax, Step: t, Elapsed: lim.elapsed()})
		}

		// check conditions
		switch {
		case ls.stop != "":
			return ls.stop, ls.err
		case gmax <= o.tolGrad: // optimal condition
			return ReasonTolGrad, nil
		case t*ls.dNorm <= o.tolChange: // lack of progress: max|t·d|
			return ReasonTolStep, nil
		case math.Abs(loss-prevLoss) < o.tolChange:
			return ReasonTolChange, nil
		case maxIters > 0 && res.Iters >= maxIters:
			return ReasonMaxIters, nil
		case o.set.MaxEvals > 0 && lim.evals >= o.set.MaxEvals:
			return ReasonMaxEvals, nil
		}
	}
}

// memory is the L-BFGS curvature history: a FIFO of at most m pairs (s, y)
// stored in m+1 slots, the extra one receiving the candidate pair so a
// rejected candidate never overwrites a stored one. The vectors of slot j
// are v64[sVec][j] and v64[yVec][j], or with f32 v32[sVec][j] and
// v32[yVec][j] (rounded to float32, see Settings.HistoryFloat32).
type memory struct {
	v64   [2][][]float64 // per kind and slot; allocated on first use
	v32   [2][][]float32
	f32   bool
	ro    []float64 // per slot: 1/(yᵀs)
	ring  []int     // slot of the k-th oldest pair is ring[(head+k)%m]
	head  int
	count int
	spare int       // slot that receives the next candidate
	al    []float64 // two-loop coefficients, by age
}

// The kinds of vector of a curvature pair.
const (
	sVec = iota // s = t·d, the step
	yVec        // y = g − g_prev, the change of gradient
)

func (m *memory) init(size int, f32 bool) {
	m.f32 = f32
	for k := range 2 {
		if f32 {
			m.v32[k] = make([][]float32, size+1)
		} else {
			m.v64[k] = make([][]float64, size+1)
		}
	}
	m.ro = make([]float64, size+1)
	m.ring = make([]int, size)
	m.al = make([]float64, size)
}

func (m *memory) reset() { m.head, m.count, m.spare = 0, 0, 0 }

// slot returns the slot of the k-th oldest stored pair.
func (m *memory) slot(k int) int { return m.ring[(m.head+k)%len(m.ring)] }

// push forms y = g − prevG and s = t·d and stores the pair if yᵀs > 1e-10,
// dropping the oldest pair when the memory is full. It returns yᵀs and yᵀy,
// computed in float64 from the unrounded pair.
func (m *memory) push(g, prevG, d []float64, t float64) (ys, yy float64, stored bool) {
	j := m.spare
	n := len(g)
	if m.f32 {
		if m.v32[sVec][j] == nil {
			m.v32[sVec][j], m.v32[yVec][j] = make([]float32, n), make([]float32, n)
		}
		s, y := m.v32[sVec][j][:n], m.v32[yVec][j][:n]
		for i := range g {
			yi := g[i] - prevG[i]
			si := d[i] * t
			y[i], s[i] = float32(yi), float32(si)
			ys += yi * si
			yy += yi * yi
		}
	} else {
		if m.v64[sVec][j] == nil {
			m.v64[sVec][j], m.v64[yVec][j] = make([]float64, n), make([]float64, n)
		}
		s, y := m.v64[sVec][j][:n], m.v64[yVec][j][:n]
		for i := range g {
			yi := g[i] - prevG[i]
			si := d[i] * t
			y[i], s[i] = yi, si
			ys += yi * si
			yy += yi * yi
		}
	}
	if !(ys > 1e-10) || len(m.ring) == 0 {
		return ys, yy, false
	}
	size := len(m.ring)
	if m.count == size {
		// shift history by one (limited-memory)
		oldest := m.ring[m.head]
		m.ring[m.head] = j
		m.head = (m.head + 1) % size
		m.spare = oldest
	} else {
		m.ring[(m.head+m.count)%size] = j
		m.count++
		m.spare = m.count // before the first drop, slots fill in order
	}
	m.ro[j] = 1 / ys
	return ys, yy, true
}

// dotVec returns the dot product of vector kind of slot j with v.
func (m *memory) dotVec(kind, j int, v []float64) float64 {
	if m.f32 {
		return simdblas.DotMixed(m.v32[kind][j], v)
	}
	return dot(m.v64[kind][j], v)
}

// axpyDot adds alpha times vector kind of slot j to v and returns the dot
// product of the other kind of slot next with the updated v, in one pass;
// next < 0 skips the dot product.
func (m *memory) axpyDot(alpha float64, kind, j, next int, v []float64) float64 {
	other := 1 - kind
	switch {
	case next < 0 && m.f32:
		simdblas.AxpyMixed(alpha, m.v32[kind][j], v)
	case next < 0:
		axpy(alpha, m.v64[kind][j], v)
	case m.f32:
		return simdblas.AxpyDotMixed(alpha, m.v32[kind][j], v, m.v32[other][next])
	default:
		return simdblas.AxpyDot(alpha, m.v64[kind][j], v, m.v64[other][next])
	}
	return 0
}

// direction writes d = −H·g with the two-loop recursion, H being the L-BFGS
// inverse-Hessian approximation with initial scale hDiag. Each update of d
// is fused with the dot product of the next step (one pass over d instead
// of two); the arithmetic is PyTorch's, summed in a different order.
func (m *memory) direction(g []float64, hDiag float64, d []float64) {
	for i, gi := range g {
		d[i] = -gi
	}
	if m.count == 0 {
		for i := range d {
			d[i] *= hDiag
		}
		return
	}
	// First loop, newest to oldest: al_k = ρ_k·s_kᵀd; d −= al_k·y_k.
	sd := m.dotVec(sVec, m.slot(m.count-1), d)
	for k := m.count - 1; k >= 0; k-- {
		j := m.slot(k)
		m.al[k] = sd * m.ro[j]
		next := -1
		if k > 0 {
			next = m.slot(k - 1)
		}
		sd = m.axpyDot(-m.al[k], yVec, j, next, d)
	}
	// multiply by initial Hessian
	for i := range d {
		d[i] *= hDiag
	}
	// Second loop, oldest to newest: be_k = ρ_k·y_kᵀd; d += (al_k − be_k)·s_k.
	yd := m.dotVec(yVec, m.slot(0), d)
	for k := 0; k < m.count; k++ {
		j := m.slot(k)
		be := yd * m.ro[j]
		next := -1
		if k+1 < m.count {
			next = m.slot(k + 1)
		}
		yd = m.axpyDot(m.al[k]-be, sVec, j, next, d)
	}
}
