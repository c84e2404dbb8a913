package spectral

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/gonum"
)

// Operator applies a symmetric n × n matrix A: it writes A·v into dst
// (both of length n; it must not keep them). An error stops the
// computation and is returned, wrapped, by the caller.
type Operator func(dst, v []float64) error

// Sentinel errors. Errors returned by the package wrap one of them, or an
// Operator's error.
var (
	// ErrBadInput reports an empty or non-finite start vector, or
	// options out of range.
	ErrBadInput = errors.New("spectral: bad input")
	// ErrNotFinite reports a product A·v with a NaN or infinite entry.
	ErrNotFinite = errors.New("spectral: matrix–vector product is not finite")
)

// breakdown is the relative size of β below which the Krylov space is
// taken to be invariant.
const breakdown = 1e-10

// Lanczos is a Lanczos run with full reorthogonalisation. Create it with
// NewLanczos and advance it with Step.
type Lanczos struct {
	op Operator
	n  int
	// Q holds the orthonormal basis vectors q_0 … q_{m−1}.
	Q [][]float64
	// Alpha and Beta are T's diagonal and off-diagonal: Beta[j] couples
	// q_j and q_{j+1} (0 at a restart); Beta[m−1] is the norm of the
	// residual after the last step.
	Alpha, Beta []float64
	// Products counts the calls of the operator.
	Products int
	// Restarts counts restarts after an invariant subspace was found.
	Restarts int

	restart bool
	block   int // the first step of the current block (after the last restart)
	rng     *rand.Rand
	next    []float64 // q_m, when known
	w       []float64
	scale   float64 // the largest |α| or β so far
	done    bool
}

// NewLanczos starts a run of op from start (any non-zero vector; it is
// normalised, not modified). With restart set the run continues after an
// invariant subspace with a Gaussian vector drawn from rng (which must
// then be non-nil); without, it ends there.
func NewLanczos(op Operator, start []float64, restart bool, rng *rand.Rand) (*Lanczos, error) {
	nrm := norm(start)
	if len(start) == 0 || !(nrm > 0) || math.IsInf(nrm, 0) {
		return nil, fmt.Errorf("%w: start vector of length %d and norm %g", ErrBadInput, len(start), nrm)
	}
	if restart && rng == nil {
		return nil, fmt.Errorf("%w: a restarting run needs a random source", ErrBadInput)
	}
	q := slices.Clone(start)
	scal(1/nrm, q)
	return &Lanczos{op: op, n: len(start), next: q, restart: restart, rng: rng, w: make([]float64, len(start))}, nil
}

// Steps is the number of steps done (the size of T).
func (l *Lanczos) Steps() int { return len(l.Alpha) }

// Done reports whether the run cannot continue: the basis spans the
// whole space, or (without restarts) the Krylov space is invariant.
func (l *Lanczos) Done() bool { return l.done }

// Step adds one basis vector: one product with the operator and a full
// reorthogonalisation. It does nothing once Done.
func (l *Lanczos) Step() error {
	if l.done {
		return nil
	}
	q := l.next
	m := len(l.Q)
	w := l.w
	if err := l.op(w, q); err != nil {
		return err
	}
	l.Products++
	for _, v := range w {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return ErrNotFinite
		}
	}
	alpha := dot(q, w)
	axpy(-alpha, q, w)
	if m > 0 {
		axpy(-l.Beta[m-1], l.Q[m-1], w)
	}
	l.Q = append(l.Q, q)
	// Full reorthogonalisation, twice.
	for range 2 {
		for _, qi := range l.Q {
			axpy(-dot(qi, w), qi, w)
		}
	}
	beta := norm(w)
	l.Alpha = append(l.Alpha, alpha)
	l.scale = math.Max(l.scale, math.Max(math.Abs(alpha), beta))
	if len(l.Q) == l.n {
		l.Beta = append(l.Beta, beta)
		l.done = true
		return nil
	}
	if beta > breakdown*l.scale {
		l.Beta = append(l.Beta, beta)
		l.next = slices.Clone(w)
		scal(1/beta, l.next)
		return nil
	}
	// An invariant subspace.
	l.Beta = append(l.Beta, 0)
	if !l.restart {
		l.done = true
		return nil
	}
	l.Restarts++
	l.block = len(l.Q)
	for range 3 {
		for i := range w {
			w[i] = l.rng.NormFloat64()
		}
		for range 2 {
			for _, qi := range l.Q {
				axpy(-dot(qi, w), qi, w)
			}
		}
		if nw := norm(w); nw > 1e-8*math.Sqrt(float64(l.n)) {
			l.next = slices.Clone(w)
			scal(1/nw, l.next)
			return nil
		}
	}
	l.done = true
	return nil
}

// Ritz returns the Ritz values of the run in ascending order, the
// eigenvectors of T as the columns of S (row-major m × m: S[j*m+i] is
// component j of vector i) and the residual bounds β_m·|s_mi|.
func (l *Lanczos) Ritz() (theta, s, resid []float64) {
	return ritz(l.Alpha, l.Beta)
}

// blockTop returns the largest Ritz value of the current block (the
// steps since the last restart) and its residual bound, or ok = false
// when the block has no step yet.
func (l *Lanczos) blockTop() (theta, resid float64, ok bool) {
	if l.block >= len(l.Alpha) {
		return 0, 0, false
	}
	th, _, r := ritz(l.Alpha[l.block:], l.Beta[l.block:])
	return th[len(th)-1], r[len(r)-1], true
}

// ritz diagonalises the tridiagonal of alpha and beta[:m−1]; beta[m−1]
// scales the residual bounds.
func ritz(alpha, beta []float64) (theta, s, resid []float64) {
	m := len(alpha)
	if m == 0 {
		return nil, nil, nil
	}
	theta = slices.Clone(alpha)
	e := slices.Clone(beta[:m-1])
	s = make([]float64, m*m)
	work := make([]float64, max(1, 2*m-2))
	if !(gonum.Implementation{}).Dsteqr(lapack.EVTridiag, m, theta, e, s, m, work) {
		// The QL iteration did not converge (it does within 30m sweeps
		// for any finite T): report T's diagonal with unknown residuals.
		theta = slices.Clone(alpha)
		slices.Sort(theta)
		resid = make([]float64, m)
		for i := range resid {
			resid[i] = math.Inf(1)
		}
		return theta, nil, resid
	}
	last := beta[m-1]
	resid = make([]float64, m)
	for i := range resid {
		resid[i] = math.Abs(last * s[(m-1)*m+i])
	}
	return theta, s, resid
}

// Quadrature returns the Gauss quadrature of the start vector's spectral
// measure: the Ritz values and the squared first components of T's
// eigenvectors (which sum to 1).
func (l *Lanczos) Quadrature() (nodes, weights []float64) {
	theta, s, _ := l.Ritz()
	m := len(theta)
	if s == nil {
		return theta, nil
	}
	weights = make([]float64, m)
	for i := range weights {
		weights[i] = s[i] * s[i]
	}
	return theta, weights
}

// RitzVector returns Σ_j S[j*m+i]·q_j, the Ritz vector of column i of S.
func (l *Lanczos) RitzVector(s []float64, i int) []float64 {
	m := len(l.Q)
	y := make([]float64, l.n)
	for j, q := range l.Q {
		axpy(s[j*m+i], q, y)
	}
	return y
}

func dot(a, b []float64) float64 {
	s := 0.0
	b = b[:len(a)]
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

func norm(a []float64) float64 { return math.Sqrt(dot(a, a)) }

// axpy sets y += a·x.
func axpy(a float64, x, y []float64) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += a * v
	}
}

func scal(a float64, x []float64) {
	for i := range x {
		x[i] *= a
	}
}
