package trainer

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/pinnsweep/pinnsweep/trainer/spectral"
)

// Diagnostic names accepted in Config.Diagnostics.
const (
	// DiagnosticHessian computes the curvature of the training loss at the
	// final parameters: the top HessianK eigenpairs, the trace and the
	// spectral density (Result.HessianTop, HessianTrace, Hessian).
	DiagnosticHessian = "hessian"
	// DiagnosticLandscape evaluates the training loss on a grid of the
	// plane through the final parameters spanned by the top two Hessian
	// eigenvectors (Result.Landscape); it implies DiagnosticHessian.
	DiagnosticLandscape = "landscape"
)

// Diagnostics lists the diagnostic names.
func Diagnostics() []string { return []string{DiagnosticHessian, DiagnosticLandscape} }

// Fixed parameters of the Hessian diagnostics (see HessianStats).
const (
	// eigenTol is the relative Ritz residual at which an eigenpair counts
	// as converged.
	eigenTol = 1e-3
	// traceRelTol stops Hutchinson once the standard error is 1% of the
	// estimate; traceMinProbes is the fewest probes it uses.
	traceRelTol    = 1e-2
	traceMinProbes = 10
	// densityBins is the number of bins of the smoothed spectral density.
	densityBins = 64
	// seedStream is the PCG stream of the diagnostics' random vectors.
	seedStream = 0x4e55
)

// HessianStats describe the Hessian of the training loss at the final
// parameters θ*. The loss is the one the optimizer minimised at the end,
// with unit point weights and no gradient balancing: MSE_IC + MSE_BC +
// λ·MSE_residual on the final training points (the target coefficient's
// for curriculum, the last draw's for adaptive and resample; the data
// misfit for supervised; the reduced loss of the solved output layer with
// the hard layer). Products H·v are central differences of the loss's
// gradient (hvp); the eigenvalues come from one Lanczos run from a
// Rademacher vector drawn from PCG(Seed), which is also the density's
// quadrature sample, and the trace from deflated Hutchinson probes drawn
// after it (package spectral). Results are deterministic for a seed and
// a build.
type HessianStats struct {
	// Loss is the loss at θ* whose Hessian this is.
	Loss float64 `json:"loss"`
	// Residuals bound ‖H y_i − λ_i y_i‖ for the top eigenvalues
	// (Result.HessianTop); Converged says whether each is at most
	// 1e-3·|λ_i| (the run stops then, or after 3 × HessianSteps steps).
	Residuals []float64 `json:"residuals"`
	Converged bool      `json:"converged"`
	// Min is the smallest Ritz value of the run: the most negative
	// curvature it saw (the spectrum's left end, approximately).
	Min float64 `json:"min"`
	// LanczosSteps is the length of the run.
	LanczosSteps int `json:"lanczos_steps"`
	// TraceStdErr is the standard error of Result.HessianTrace and
	// TraceProbes the Hutchinson probes it took: at least 10, until the
	// standard error is at most 1% of the estimate, at most
	// HessianProbes. The run's Krylov basis is deflated (its part of the
	// trace, Σ α_i, is exact).
	TraceStdErr float64 `json:"trace_stderr"`
	TraceProbes int     `json:"trace_probes"`
	// Nodes and Weights are the run's Gauss quadrature of the spectral
	// measure (stochastic Lanczos quadrature, one sample); Density is it
	// smoothed and binned (spectral.SmoothDensity, 64 bins).
	Nodes   []float64        `json:"nodes"`
	Weights []float64        `json:"weights"`
	Density spectral.Density `json:"density"`
	// Step is the scale of the finite-difference steps, ε^{1/3}·(1 + ‖θ*‖/√n):
	// the product H·v moves θ* by Step/‖v‖·v each way.
	Step float64 `json:"fd_step"`
	// HVPRelErr measures the products' error at the top eigenvector v₁:
	// ‖D(2h)·v₁ − D(h)·v₁‖ / ‖D(h)·v₁‖, the relative change of the
	// product when its step doubles (the O(h²) truncation error is a
	// third of it; a rounding-dominated error is of its size).
	HVPRelErr float64 `json:"hvp_rel_err"`
	// HVPs counts the Hessian–vector products (two gradient evaluations
	// each, plus one for Loss); Seconds is their wall time (the landscape
	// has its own).
	HVPs    int     `json:"hvps"`
	Seconds float64 `json:"seconds"`
	// Error says why the diagnostics stopped early (a non-finite loss
	// near θ*); the other fields are then partial or zero.
	Error string `json:"error,omitempty"`
}

// wantsHessian reports whether the Hessian diagnostics run.
func (c *Config) wantsHessian() bool {
	return slices.Contains(c.Diagnostics, DiagnosticHessian) || c.wantsLandscape()
}

func (c *Config) wantsLandscape() bool { return slices.Contains(c.Diagnostics, DiagnosticLandscape) }

// validateDiagnostics checks the diagnostics and their settings.
func (c *Config) validateDiagnostics() error {
	seen := map[string]bool{}
	for _, d := range c.Diagnostics {
		if !slices.Contains(Diagnostics(), d) {
			return fmt.Errorf("diagnostics: unknown %q (known: %s)", d, strings.Join(Diagnostics(), ", "))
		}
		if seen[d] {
			return fmt.Errorf("diagnostics: %q given twice", d)
		}
		seen[d] = true
	}
	switch {
	case c.HessianK < 1 || c.HessianK > 64:
		return fmt.Errorf("hessian_k = %d: must be in [1, 64]", c.HessianK)
	case c.wantsLandscape() && c.HessianK < 2:
		return fmt.Errorf("hessian_k = %d: the landscape needs the top two eigenvectors (hessian_k ≥ 2)", c.HessianK)
	case c.HessianSteps < c.HessianK || c.HessianSteps > 1000:
		return fmt.Errorf("hessian_steps = %d: must be in [hessian_k = %d, 1000]", c.HessianSteps, c.HessianK)
	case c.HessianProbes < 0 || c.HessianProbes > 10000:
		return fmt.Errorf("hessian_probes = %d: must be in [0, 10000] (0: no trace)", c.HessianProbes)
	case c.LandscapePoints < 3 || c.LandscapePoints > 101 || c.LandscapePoints%2 == 0:
		return fmt.Errorf("landscape_points = %d: must be odd, in [3, 101] (θ* is the centre)", c.LandscapePoints)
	case !(c.LandscapeRange > 0) || math.IsInf(c.LandscapeRange, 0):
		return fmt.Errorf("landscape_range = %v: must be finite and > 0", c.LandscapeRange)
	case c.wantsHessian() && c.Strategy == StrategySeq2Seq:
		return fmt.Errorf("diagnostics %v: not available with seq2seq (one network per time segment, no single training loss)", c.Diagnostics)
	}
	return nil
}

// diagnose runs the requested diagnostics on the loss f at the final
// parameters p and records them in the result. It returns the context's
// error if the context ends first, and records (not returns) a
// non-finite loss.
func (s *session) diagnose(ctx context.Context, f lossGrad, p []float64) error {
	c := &s.cfg
	if !c.wantsHessian() {
		return nil
	}
	t0 := time.Now()
	st := &HessianStats{}
	s.res.Hessian = st
	h := newHVP(ctx, f, p, c.gradientRoundoff())
	st.Step = h.scale
	done := false
	finish := func() {
		if !done {
			done = true
			st.HVPs = h.evals / 2
			st.Seconds = time.Since(t0).Seconds()
		}
	}
	defer finish()
	st.Loss = f(p, make([]float64, len(p)))
	rng := rand.New(rand.NewPCG(uint64(c.Seed), seedStream))
	start := make([]float64, len(p))
	for i := range start {
		start[i] = float64(1 - 2*int(rng.Uint64()&1))
	}
	e, err := spectral.TopEigen(h.apply, start, spectral.EigenOptions{K: c.HessianK, MinSteps: c.HessianSteps,
		MaxSteps: min(len(p), 3*c.HessianSteps), Tol: eigenTol}, rng)
	if err != nil {
		return s.diagnosticError(ctx, err)
	}
	for _, y := range e.Vectors {
		orient(y)
	}
	top := slices.Clone(e.Values)
	s.res.HessianTop = top
	s.res.HessianMax = &top[0]
	st.Residuals, st.Converged, st.Min, st.LanczosSteps = e.Residuals, e.Converged, e.Min, e.Run.Steps()
	st.Nodes, st.Weights = e.Run.Quadrature()
	if st.Weights != nil {
		d, err := spectral.SmoothDensity([][]float64{st.Nodes}, [][]float64{st.Weights}, densityBins)
		if err != nil {
			return s.diagnosticError(ctx, err)
		}
		st.Density = d
	}
	if len(e.Vectors) > 0 {
		d1, d2 := make([]float64, len(p)), make([]float64, len(p))
		if err := h.applyStep(d1, e.Vectors[0], 1); err != nil {
			return s.diagnosticError(ctx, err)
		}
		if err := h.applyStep(d2, e.Vectors[0], 2); err != nil {
			return s.diagnosticError(ctx, err)
		}
		for i := range d2 {
			d2[i] -= d1[i]
		}
		st.HVPRelErr = vecNorm(d2) / vecNorm(d1)
	}
	alphaSum := 0.0 // tr(QᵀHQ) over the Krylov basis Q
	for _, a := range e.Run.Alpha {
		alphaSum += a
	}
	if c.HessianProbes > 0 && e.Run.Steps() == len(p) {
		// The basis spans the space: the trace is T's, exactly.
		s.res.HessianTrace = &alphaSum
	} else if c.HessianProbes > 0 {
		tr, err := spectral.Hutchinson(h.apply, len(p), spectral.TraceOptions{MinProbes: min(traceMinProbes, c.HessianProbes),
			MaxProbes: c.HessianProbes, RelTol: traceRelTol, Deflate: e.Run.Q, DeflatedTrace: alphaSum}, rng)
		if err != nil {
			return s.diagnosticError(ctx, err)
		}
		s.res.HessianTrace = &tr.Value
		st.TraceStdErr, st.TraceProbes = tr.StdErr, tr.Probes
	}
	finish()
	if c.wantsLandscape() {
		if len(e.Vectors) < 2 {
			st.Error = "landscape: fewer than two eigenvectors"
			return nil
		}
		return s.landscape(ctx, f, p, e.Vectors[0], e.Vectors[1], top[0], top[1])
	}
	return nil
}

// finalLoss records the loss and its terms at the final parameters p,
// the gradient's norm there, and the same loss at the initial parameters p0.
func (s *session) finalLoss(pr trainingLoss, p, p0 []float64) {
	grad := make([]float64, len(p))
	s.res.Loss = pr.eval(p, grad)
	pr.setOutput(p)
	t := pr.lastTerms()
	s.res.LossIC, s.res.LossBC, s.res.LossRes = t[termIC], t[termBC], t[termRes]
	gn := vecNorm(grad)
	s.res.GradNorm = &gn
	l0 := pr.eval(p0, grad)
	s.res.LossInitial = &l0
}

// diagnosticLoss is the loss whose Hessian the diagnostics take (see
// HessianStats): the supervised loss itself, or for a PINN a fresh
// problem of the target configuration on the final training points with
// unit point weights and no gradient balancing.
func (s *session) diagnosticLoss(m *model, pr trainingLoss, train pointSet) lossGrad {
	if sup, ok := pr.(*supervisedLoss); ok {
		return sup.eval
	}
	train.resW = nil
	balance := s.balanceW
	s.balanceW = [numTerms]float64{}
	fresh := s.newProblem(&s.cfg, m, train)
	s.balanceW = balance
	return fresh.eval
}

// diagnosticError returns the context's error when the context ended,
// and otherwise records err in the Hessian stats.
func (s *session) diagnosticError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	s.res.Hessian.Error = err.Error()
	return nil
}

// orient fixes an eigenvector's sign: its largest-magnitude component
// (the first of equals) is positive, so landscapes are reproducible.
func orient(y []float64) {
	k := 0
	for i, v := range y {
		if math.Abs(v) > math.Abs(y[k]) {
			k = i
		}
	}
	if y[k] < 0 {
		for i := range y {
			y[i] = -y[i]
		}
	}
}
