package optim

import (
	"context"
	"fmt"
	"math"
	"time"
)

// Adam is a stateful Adam optimizer (Kingma & Ba), computed as PyTorch's
// torch.optim.Adam does without weight decay or amsgrad:
//
//	m ← m + (1−β₁)(g − m),  v ← β₂v + (1−β₂)g²
//	x ← x − (lr/(1−β₁ᵗ)) · m / (√v/√(1−β₂ᵗ) + ε)
//
// with optional step decay of lr (Settings.Decay, Settings.DecaySteps,
// PyTorch's StepLR stepped once per Adam step). The moments, the step count t
// and the decayed learning rate persist across Minimize calls; Reset clears
// them. An Adam is not safe for concurrent use.
//
// Each iteration evaluates f and its gradient at x, then updates x, so a
// call of k iterations does k evaluations. Minimize does not allocate.
type Adam struct {
	n   int
	set Settings

	b1, b2, eps, lr0, tolGrad, decay float64

	m, v, prev, g []float64
	step          int     // Adam's t, since Reset
	lr            float64 // current (decayed) learning rate
	nEvals        int

	// at holds the running call's counters at an iteration boundary (for
	// MarshalBinary); resume holds a restored call's (see state.go).
	at     *callState
	resume *callState
}

// NewAdam returns an Adam optimizer for n parameters. Settings are validated
// by Minimize (see Settings.Validate); zero fields take the documented
// defaults. L-BFGS-only fields are ignored. It panics if n < 1.
func NewAdam(n int, s Settings) *Adam {
	if n < 1 {
		panic(fmt.Sprintf("optim: NewAdam: n = %d, want ≥ 1", n))
	}
	o := &Adam{n: n, set: s}
	o.lr0 = orDefault(s.LR, DefaultAdamLR)
	o.b1 = orDefault(s.Beta1, DefaultBeta1)
	o.b2 = orDefault(s.Beta2, DefaultBeta2)
	o.eps = orDefault(s.Eps, DefaultEps)
	o.tolGrad = orDefault(s.TolGrad, DefaultTolGrad)
	o.decay = orDefault(s.Decay, DefaultDecay)
	o.m = make([]float64, n)
	o.v = make([]float64, n)
	o.prev = make([]float64, n)
	o.g = make([]float64, n)
	o.Reset()
	return o
}

// Settings returns the settings the optimizer was created with.
func (o *Adam) Settings() Settings { return o.set }

// Reset zeroes the moment estimates, the step count and the total counters
// and restores the initial learning rate.
func (o *Adam) Reset() {
	clear(o.m)
	clear(o.v)
	o.step, o.nEvals = 0, 0
	o.lr = o.lr0
	o.resume = nil
}

// Totals returns the Adam steps and evaluations done since the optimizer was
// created or last Reset.
func (o *Adam) Totals() (steps, evals int) { return o.step, o.nEvals }

// LR returns the learning rate the next step will use (after decay).
func (o *Adam) LR() float64 { return o.lr }

// Minimize runs Adam steps on f from x, updating x in place, until a cap of
// this call (MaxIters steps, MaxEvals evaluations, MaxSeconds), tol_grad
// (max|g| ≤ TolGrad at an evaluated point, which is then not updated),
// cancellation or divergence. Cancellation, MaxSeconds and MaxEvals are
// checked before every evaluation. TolChange is not used.
//
// Result.F is the loss of the last evaluation; unless Reason is tol_grad or
// diverged, x has been updated once more since. On divergence x is rolled
// back as described at ErrDiverged. The returned error is nil except for
// cancellation (ctx.Err()), divergence (wrapping ErrDiverged) and invalid
// arguments (ErrSettings, ErrDimension, Reason "").
func (o *Adam) Minimize(ctx context.Context, f Func, x []float64) (Result, error) {
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

func (o *Adam) minimize(lim *limits, fn Func, x []float64, res *Result) (string, error) {
	maxIters := o.set.MaxIters
	g, m, v, prev := o.g, o.m, o.v, o.prev
	b1, b2, eps := o.b1, o.b2, o.eps
	if r := o.resume; r != nil {
		// A call restored by UnmarshalBinary: continue at its boundary.
		o.resume = nil
		lim.evals, res.Iters = r.evals, r.iters
		res.F, res.GradMax = r.f, r.gmax
	}
	for {
		if res.Iters > 0 && o.set.AtBoundary != nil {
			o.boundary(callState{iters: res.Iters, evals: lim.evals, f: res.F, gmax: res.GradMax})
		}
		if maxIters > 0 && res.Iters >= maxIters {
			return ReasonMaxIters, nil
		}
		if reason, err := lim.check(); reason != "" {
			return reason, err
		}
		lim.evals++
		o.nEvals++
		loss := fn(x, g)
		gmax, ok := maxAbsFinite(g)
		if !ok || !finite(loss) {
			if res.Iters > 0 {
				copy(x, prev) // back to the point whose loss is res.F
			}
			return ReasonDiverged, errDiverged(lim.evals)
		}
		res.F, res.GradMax = loss, gmax
		if gmax <= o.tolGrad {
			return ReasonTolGrad, nil
		}

		res.Iters++
		o.step++
		lr := o.lr
		bc1 := 1 - math.Pow(b1, float64(o.step))
		bc2 := 1 - math.Pow(b2, float64(o.step))
		stepSize := lr / bc1
		bc2Sqrt := math.Sqrt(bc2)
		w1, w2 := 1-b1, 1-b2
		m, v, prev := m[:len(x)], v[:len(x)], prev[:len(x)]
		g := g[:len(x)]
		for i, gi := range g {
			mi := m[i] + w1*(gi-m[i])
			vi := b2*v[i] + w2*gi*gi
			m[i], v[i] = mi, vi
			prev[i] = x[i]
			x[i] -= stepSize * (mi / (math.Sqrt(vi)/bc2Sqrt + eps))
		}
		if o.set.DecaySteps > 0 && o.step%o.set.DecaySteps == 0 {
			o.lr *= o.decay
		}
		if cb := o.set.Callback; cb != nil {
			cb(Progress{Iter: res.Iters, Evals: lim.evals, F: loss, GradMax: gmax, Step: lr, Elapsed: lim.elapsed()})
		}
	}
}
