package spectral

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// EigenOptions configure TopEigen. The zero value asks for the largest
// eigenvalue with at most min(n, 100) steps and a relative tolerance of
// 1e-3.
type EigenOptions struct {
	// K is the number of largest (algebraic) eigenvalues wanted; 0 means 1.
	K int
	// MinSteps is the number of steps done before the run may stop (a run
	// whose tridiagonal also serves as a quadrature wants some); 0: none.
	MinSteps int
	// MaxSteps caps the steps (products); 0 means min(n, 100).
	MaxSteps int
	// Tol is the relative residual bound at which a Ritz pair counts as
	// converged: β_m·|s_mi| ≤ Tol·|θ_i| (or ≤ Tol·1e-6·max|θ| for θ_i
	// near 0); 0 means 1e-3.
	Tol float64
}

// Eigen are the largest eigenpairs found by TopEigen.
type Eigen struct {
	// Values are the K largest Ritz values, in descending order.
	Values []float64
	// Vectors are their unit Ritz vectors.
	Vectors [][]float64
	// Residuals bound ‖A y_i − θ_i y_i‖ (exactly, for exact products).
	Residuals []float64
	// Converged reports whether every pair met the tolerance.
	Converged bool
	// Min is the smallest Ritz value of the run (an upper bound on, and
	// with enough steps an estimate of, the smallest eigenvalue).
	Min float64
	// Run is the Lanczos run: its basis and tridiagonal (one SLQ sample
	// when the start vector was random).
	Run *Lanczos
}

// TopEigen finds the K largest eigenvalues of the symmetric operator op
// and their eigenvectors by a Lanczos run with full reorthogonalisation
// and restarts from start (typically a Rademacher vector drawn from rng,
// which also draws restart vectors). It stops when the K largest Ritz
// pairs have converged and MinSteps are done, or after MaxSteps, or when
// the basis spans the space; Converged says which.
func TopEigen(op Operator, start []float64, opt EigenOptions, rng *rand.Rand) (*Eigen, error) {
	n := len(start)
	if opt.K == 0 {
		opt.K = 1
	}
	if opt.MaxSteps == 0 {
		opt.MaxSteps = min(n, 100)
	}
	if opt.Tol == 0 {
		opt.Tol = 1e-3
	}
	switch {
	case opt.K < 0 || opt.K > n:
		return nil, fmt.Errorf("%w: K = %d for a %d × %d operator", ErrBadInput, opt.K, n, n)
	case opt.MaxSteps < opt.K || opt.MinSteps < 0:
		return nil, fmt.Errorf("%w: MaxSteps = %d, MinSteps = %d for K = %d", ErrBadInput, opt.MaxSteps, opt.MinSteps, opt.K)
	case !(opt.Tol > 0):
		return nil, fmt.Errorf("%w: Tol = %g", ErrBadInput, opt.Tol)
	}
	run, err := NewLanczos(op, start, true, rng)
	if err != nil {
		return nil, err
	}
	var e *Eigen
	for run.Steps() < opt.MaxSteps && !run.Done() {
		if err := run.Step(); err != nil {
			return nil, fmt.Errorf("lanczos step %d: %w", run.Steps()+1, err)
		}
		if run.Steps() < opt.K || run.Steps() < opt.MinSteps {
			continue
		}
		e = run.top(opt.K, opt.Tol)
		if e.Converged {
			return e, nil
		}
	}
	if e == nil || e.Run.Steps() != run.Steps() {
		e = run.top(opt.K, opt.Tol)
	}
	if run.Steps() == n {
		// The basis spans the space: the Ritz pairs are the eigenpairs.
		e.Converged = true
	}
	return e, nil
}

// top returns the run's k largest Ritz pairs.
func (l *Lanczos) top(k int, tol float64) *Eigen {
	theta, s, resid := l.Ritz()
	m := len(theta)
	k = min(k, m)
	e := &Eigen{Run: l, Converged: s != nil, Min: theta[0]}
	big := math.Max(math.Abs(theta[0]), math.Abs(theta[m-1]))
	for r := range k {
		i := m - 1 - r
		e.Values = append(e.Values, theta[i])
		e.Residuals = append(e.Residuals, resid[i])
		if s != nil {
			e.Vectors = append(e.Vectors, l.RitzVector(s, i))
		}
		if !(resid[i] <= tol*math.Max(math.Abs(theta[i]), 1e-6*big)) {
			e.Converged = false
		}
	}
	if l.Restarts > 0 && !l.Done() {
		// After a restart the new block may hold larger eigenvalues than
		// any found so far: its own largest Ritz value must converge too.
		th, r, ok := l.blockTop()
		if !ok || !(r <= tol*math.Max(math.Abs(th), 1e-6*big)) {
			e.Converged = false
		}
	}
	return e
}
