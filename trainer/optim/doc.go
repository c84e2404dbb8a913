// Package optim holds the optimizers of the PINN trainer: L-BFGS with a
// strong-Wolfe line search, and Adam with optional step decay. Both work on
// a flat []float64 parameter vector, are stateful (the optimizer state
// survives between Minimize calls and Reset clears it), deterministic (no
// randomness, goroutines or map iteration: the same inputs give bit-identical
// iterates on the same platform), context-aware, and allocation-free in
// their inner loop.
//
// # L-BFGS
//
// LBFGS is a port of PyTorch's torch.optim.LBFGS with
// line_search_fn="strong_wolfe" (pytorch/pytorch torch/optim/lbfgs.py:
// LBFGS.step, the two-loop recursion, _strong_wolfe and _cubic_interpolate,
// themselves from the Lua torch/optim lbfgs.lua, lswolfe.lua and
// polyinterp.lua). One Minimize call is one step(closure):
//
//   - the first iteration after creation or Reset takes d = −g and starts
//     its line search at t = min(1, 1/‖g‖₁)·LR; later iterations start at
//     t = LR;
//   - a pair (s, y) = (t·d, g_new − g_old) is stored only if yᵀs > 1e-10,
//     keeping at most History pairs (oldest dropped first), and the initial
//     inverse Hessian is H₀ = (yᵀs/yᵀy)·I from the newest stored pair;
//   - the line search is PyTorch's strong-Wolfe search (c1 = 1e-4,
//     c2 = 0.9): bracketing with cubic extrapolation up to 10× the current
//     step, then the zoom phase with cubic interpolation and PyTorch's
//     insuf_progress safeguard, ending when the bracket is shorter than
//     TolChange/max|d| or after max_ls = MaxLineSearch iterations, i.e. at
//     most MaxLineSearch+1 = 26 evaluations by default;
//   - stop rules (all absolute): max|g| ≤ TolGrad (also on the first
//     gradient), gᵀd > −TolChange (tol_dir), max|t·d| ≤ TolChange
//     (tol_step), |f − f_prev| < TolChange (tol_change), MaxIters, MaxEvals.
//
// Deviations from PyTorch:
//
//   - float64 throughout, on a single flat vector; state is explicit in the
//     LBFGS value rather than in a state dict, with Reset to clear it.
//   - Defaults: History 50 (PyTorch 100); MaxIters and MaxEvals 0 mean
//     unlimited (PyTorch 20 and 25), as do MaxSeconds and the context.
//   - MaxEvals is a hard cap. PyTorch checks max_eval only after a whole
//     iteration and can overrun it by up to a line search; here every
//     evaluation is preceded by a check of the context, MaxSeconds and
//     MaxEvals. A line search interrupted that way ends as if it had
//     exhausted max_ls: it returns the better of t = 0 and its last
//     evaluated point, which is accepted (so x never gets worse), and
//     Minimize then stops with the interrupting reason. A search that
//     PyTorch completes within the caps runs identically.
//   - Func may be called on an internal trial buffer; trial points never
//     touch x (PyTorch adds t·d to the parameters and restores them).
//   - A NaN or ±Inf loss or gradient ends the call with ErrDiverged instead
//     of propagating NaN; a NaN trial step (which needs a degenerate bracket)
//     ends the line search as above instead of evaluating at NaN.
//   - Reasons are reported (Result.Reason). When several stop rules hold
//     after one iteration, convergence reasons are reported before caps;
//     PyTorch breaks on the same set of conditions, so this changes labels
//     only.
//
// Counters and caps are per Minimize call, like PyTorch's per-step max_iter
// and max_eval; Totals returns the running totals (PyTorch's n_iter and
// func_evals). Each call evaluates the objective at its starting x once, as
// step(closure) does, so with an unchanged deterministic objective two calls
// of 10 iterations produce exactly the same x as one call of 20; they differ
// only by the extra evaluation. Changing the objective between calls (e.g.
// resampling collocation points) keeps the curvature memory; the first pair
// formed in the next call then mixes the old and new gradients, exactly as
// in PyTorch.
//
// # Adam
//
// Adam follows torch.optim.Adam (no weight decay, no amsgrad) with
// β₁ = 0.9, β₂ = 0.999, ε = 1e-8 by default and an optional step decay of
// the learning rate. Its limits, Result and context semantics are those of
// LBFGS.
//
// # Checkpoints
//
// MarshalBinary encodes an optimizer's whole state (L-BFGS: the curvature
// pairs, the last direction, step and gradient, H_diag and the counters;
// Adam: the moments, the step count and the decayed learning rate), and
// UnmarshalBinary restores it into an optimizer of the same dimension and
// settings, which then produces bit-identical iterates. Between Minimize
// calls that is all there is. Inside a call the state is only consistent
// at an iteration boundary, which Settings.AtBoundary marks: called from
// that hook, MarshalBinary also captures the call in progress (its
// iteration and evaluation counts, the loss and gradient at x, Adam's
// rollback point), and the next Minimize of the restored optimizer
// continues that call where it was, without the initial evaluation, with
// the same caps counted from the same totals. x itself is the caller's
// to save. The encoding (package internal/bincodec) keeps every float64
// bit; a corrupt or mismatched state is refused with ErrState.
//
// # Limits and safety
//
// Both optimizers check the context before every evaluation: a cancelled
// context stops the call after at most the evaluation in progress, with
// Reason "cancelled" and ctx.Err() as the error. MaxSeconds uses the
// monotonic clock and is not an error (Reason "max_seconds"). A NaN or Inf
// loss or gradient stops with Reason "diverged" and an error wrapping
// ErrDiverged; see ErrDiverged for where x is left. Nothing panics on bad
// numbers; invalid settings are reported by Minimize as ErrSettings.
package optim
