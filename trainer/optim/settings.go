package optim

import (
	"context"
	"fmt"
	"math"
	"time"
)

// Func evaluates the objective at x and writes its gradient into grad, which
// has len(x) entries; every entry must be overwritten (grad is not zeroed
// beforehand). It returns the loss f(x).
//
// Func must not retain x or grad after it returns and must not modify x.
// LBFGS calls it with an internal trial buffer as x during its line search,
// not with the slice passed to Minimize. A NaN or ±Inf loss or gradient ends
// the minimization with ErrDiverged; Func never needs to panic for that.
type Func func(x, grad []float64) float64

// Stop reasons reported in Result.Reason.
//
// The PyTorch "lack of progress" rules are reported separately:
// ReasonTolDir (gᵀd > −TolChange: no descent direction, checked before the
// line search), ReasonTolStep (max|t·d| ≤ TolChange) and ReasonTolChange
// (|f − f_prev| < TolChange). Callers wanting a single "converged by
// tolerance" class can test Converged.
const (
	// ReasonTolGrad: max|g| ≤ TolGrad (also checked on the initial gradient).
	ReasonTolGrad = "tol_grad"
	// ReasonTolDir: the search direction is not a descent direction by more
	// than TolChange (gᵀd > −TolChange). L-BFGS only.
	ReasonTolDir = "tol_dir"
	// ReasonTolStep: the accepted step was tiny (max|t·d| ≤ TolChange). L-BFGS only.
	ReasonTolStep = "tol_step"
	// ReasonTolChange: the loss changed by less than TolChange in one
	// iteration. L-BFGS only.
	ReasonTolChange = "tol_change"
	// ReasonMaxIters: MaxIters iterations were done in this call.
	ReasonMaxIters = "max_iters"
	// ReasonMaxEvals: MaxEvals evaluations were done in this call.
	ReasonMaxEvals = "max_evals"
	// ReasonMaxSeconds: MaxSeconds of wall time (monotonic clock) elapsed in
	// this call. Not an error.
	ReasonMaxSeconds = "max_seconds"
	// ReasonCancelled: the context was cancelled or its deadline passed;
	// Minimize returns ctx.Err() alongside.
	ReasonCancelled = "cancelled"
	// ReasonDiverged: a loss or gradient was NaN or ±Inf; Minimize returns an
	// error wrapping ErrDiverged alongside.
	ReasonDiverged = "diverged"
)

// Converged reports whether reason is one of the tolerance-based stops
// (tol_grad, tol_dir, tol_step, tol_change), as opposed to a budget, a
// cancellation or a divergence.
func Converged(reason string) bool {
	switch reason {
	case ReasonTolGrad, ReasonTolDir, ReasonTolStep, ReasonTolChange:
		return true
	}
	return false
}

// Defaults applied to zero-valued Settings fields.
const (
	DefaultLBFGSLR       = 1.0  // PyTorch LBFGS lr
	DefaultAdamLR        = 1e-3 // PyTorch Adam lr
	DefaultHistory       = 50   // PyTorch uses 100; the PINN protocol uses 50
	DefaultTolGrad       = 1e-7 // PyTorch tolerance_grad
	DefaultTolChange     = 1e-9 // PyTorch tolerance_change
	DefaultMaxLineSearch = 25   // PyTorch max_ls
	DefaultBeta1         = 0.9
	DefaultBeta2         = 0.999
	DefaultEps           = 1e-8
	DefaultDecay         = 0.1 // PyTorch StepLR gamma
)

// Settings configures an LBFGS or an Adam optimizer. The zero value is usable:
// every zero field means the documented default, and a zero cap means
// "unlimited". Caps are per Minimize call (like the arguments of PyTorch's
// LBFGS.step), so a caller running one iteration per epoch sets MaxIters = 1.
type Settings struct {
	// LR is the learning rate: the initial step length of every L-BFGS line
	// search (PyTorch lr), or Adam's step size.
	// 0 means DefaultLBFGSLR (1) for LBFGS and DefaultAdamLR (1e-3) for Adam.
	LR float64

	// History is the number of L-BFGS curvature pairs kept (PyTorch
	// history_size). 0 means DefaultHistory (50). L-BFGS only.
	History int
	// HistoryFloat32 stores the curvature pairs (s, y) rounded to
	// float32; yᵀs, the scale of the initial Hessian and every dot
	// product and update of the two-loop recursion stay float64. It halves
	// the two-loop's memory traffic, which dominates its cost (History·n
	// values read four times per iteration), at a relative perturbation of
	// the search direction of about 1e-7, meant for objectives computed in
	// float32, whose gradients carry more noise than that. The trainer
	// does not use it: over 20 seeds of a float32 PINN it cost accuracy
	// at no measurable saving of time (docs/repro.md). L-BFGS only.
	HistoryFloat32 bool

	// TolGrad stops when max|g| ≤ TolGrad (PyTorch tolerance_grad), also on
	// the first gradient of a call. 0 means DefaultTolGrad (1e-7); a
	// negative value disables the test.
	TolGrad float64

	// TolChange is PyTorch's tolerance_change, used by the three
	// lack-of-progress stops (tol_dir, tol_step, tol_change) and by the line
	// search (a bracket shorter than TolChange/max|d| ends the zoom).
	// 0 means DefaultTolChange (1e-9); a negative value means exactly 0,
	// which disables tol_change and leaves only the exact-stall forms of
	// tol_dir (gᵀd > 0) and tol_step (a zero step). L-BFGS only.
	TolChange float64

	// MaxLineSearch is PyTorch's max_ls: the line search stops after this
	// many iterations beyond its first evaluation, so one search evaluates
	// the objective at most MaxLineSearch+1 times (26 by default, exactly as
	// PyTorch). 0 means DefaultMaxLineSearch (25). L-BFGS only.
	MaxLineSearch int

	// Beta1, Beta2 and Eps are Adam's β₁, β₂ and ε; 0 means 0.9, 0.999 and
	// 1e-8. Adam only.
	Beta1, Beta2, Eps float64

	// DecaySteps > 0 enables step decay for Adam: after every DecaySteps
	// Adam steps (counted since Reset) the learning rate is multiplied by
	// Decay. 0 disables decay. Adam only.
	DecaySteps int
	// Decay is the decay factor; 0 means DefaultDecay (0.1). Adam only.
	Decay float64

	// MaxIters caps the iterations of one Minimize call (L-BFGS iterations,
	// or Adam steps). 0 means unlimited.
	MaxIters int
	// MaxEvals caps the objective evaluations of one Minimize call. It is
	// never exceeded (see the package documentation for how L-BFGS enforces
	// it inside a line search). 0 means unlimited; note that PyTorch's
	// default is max_iter·5/4.
	MaxEvals int
	// MaxSeconds caps the wall time of one Minimize call, measured with the
	// monotonic clock and checked before every evaluation. 0 means unlimited.
	MaxSeconds float64

	// Callback, if non-nil, is called after every completed iteration
	// (after x has been updated), synchronously. It must not modify x.
	Callback func(Progress)

	// AtBoundary, if non-nil, is called synchronously at every iteration
	// boundary of a Minimize call: after an iteration whose stop rules let
	// the call go on, before the next one starts. It must not modify x.
	// There, and only there, MarshalBinary also captures the call in
	// progress, so that an optimizer restored from it continues the call
	// exactly (see the package documentation, Checkpoints).
	AtBoundary func()
}

// Progress is passed to Settings.Callback after each iteration. Counters are
// for the current Minimize call.
type Progress struct {
	// Iter is the number of iterations completed in this call (1 for the first).
	Iter int
	// Evals is the number of objective evaluations done in this call.
	Evals int
	// F is the loss: for LBFGS at the new iterate x; for Adam at the point
	// evaluated in this step, i.e. before the update just applied.
	F float64
	// GradMax is max|g| at the point where F was measured.
	GradMax float64
	// Step is the accepted step length t of the line search (LBFGS), or the
	// learning rate used by this step (Adam).
	Step float64
	// Elapsed is the wall time since this Minimize call started.
	Elapsed time.Duration
}

// Result summarises one Minimize call.
type Result struct {
	// F is the loss at the returned x for LBFGS. For Adam it is the loss of
	// the last evaluation, which precedes the final update (x has moved one
	// step further) except when Reason is tol_grad or diverged. NaN if no
	// finite loss was obtained in this call.
	F float64
	// GradMax is max|g| where F was measured (NaN when F is NaN).
	GradMax float64
	// Iters counts the iterations begun in this call. For LBFGS this is
	// PyTorch's n_iter, which includes an iteration that ended on tol_dir
	// before its line search.
	Iters int
	// Evals counts objective evaluations in this call (including the
	// initial one of LBFGS).
	Evals int
	// Reason is one of the Reason* constants, or "" when Minimize rejected
	// its arguments (see the returned error).
	Reason string
	// Elapsed is the wall time of this call.
	Elapsed time.Duration
}

// Validate reports whether every field of s is in range. Zero fields are
// valid (they select defaults). Minimize calls it and returns its error,
// wrapped ErrSettings, without evaluating anything.
func (s Settings) Validate() error {
	bad := func(name string, v any) error {
		return fmt.Errorf("%w: %s = %v", ErrSettings, name, v)
	}
	switch {
	case !(s.LR >= 0) || math.IsInf(s.LR, 0):
		return bad("LR", s.LR)
	case s.History < 0:
		return bad("History", s.History)
	case math.IsNaN(s.TolGrad):
		return bad("TolGrad", s.TolGrad)
	case math.IsNaN(s.TolChange) || math.IsInf(s.TolChange, 0):
		return bad("TolChange", s.TolChange)
	case s.MaxLineSearch < 0:
		return bad("MaxLineSearch", s.MaxLineSearch)
	case !(s.Beta1 >= 0 && s.Beta1 < 1):
		return bad("Beta1", s.Beta1)
	case !(s.Beta2 >= 0 && s.Beta2 < 1):
		return bad("Beta2", s.Beta2)
	case !(s.Eps >= 0) || math.IsInf(s.Eps, 0):
		return bad("Eps", s.Eps)
	case s.DecaySteps < 0:
		return bad("DecaySteps", s.DecaySteps)
	case !(s.Decay >= 0) || math.IsInf(s.Decay, 0):
		return bad("Decay", s.Decay)
	case s.MaxIters < 0:
		return bad("MaxIters", s.MaxIters)
	case s.MaxEvals < 0:
		return bad("MaxEvals", s.MaxEvals)
	case !(s.MaxSeconds >= 0):
		return bad("MaxSeconds", s.MaxSeconds)
	}
	return nil
}

func orDefault(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

// limits enforces the per-call budgets that are checked before every
// evaluation: cancellation, wall time and the evaluation cap.
type limits struct {
	ctx      context.Context
	start    time.Time
	maxDur   time.Duration // 0: none
	maxEvals int           // 0: none
	evals    int           // evaluations done in this call
}

func newLimits(ctx context.Context, start time.Time, s *Settings) limits {
	l := limits{ctx: ctx, start: start, maxEvals: s.MaxEvals}
	if s.MaxSeconds > 0 {
		if s.MaxSeconds >= float64(math.MaxInt64)/1e9 {
			l.maxDur = 0 // beyond time.Duration's range: unlimited
		} else {
			l.maxDur = max(time.Duration(s.MaxSeconds*1e9), 1)
		}
	}
	return l
}

// check returns a non-empty reason (and ctx.Err() for cancellation) when no
// further evaluation may start.
func (l *limits) check() (string, error) {
	if err := l.ctx.Err(); err != nil {
		return ReasonCancelled, err
	}
	if l.maxDur > 0 && time.Since(l.start) >= l.maxDur {
		return ReasonMaxSeconds, nil
	}
	if l.maxEvals > 0 && l.evals >= l.maxEvals {
		return ReasonMaxEvals, nil
	}
	return "", nil
}

func (l *limits) elapsed() time.Duration { return time.Since(l.start) }

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
