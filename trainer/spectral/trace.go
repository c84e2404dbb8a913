package spectral

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// TraceOptions configure Hutchinson. The zero value uses 10 to 100
// probes, a relative tolerance of 1e-2 and no deflation.
type TraceOptions struct {
	// MinProbes and MaxProbes bound the number of probes (products):
	// 0 means 10 and 100.
	MinProbes, MaxProbes int
	// RelTol stops the estimate once its standard error is at most
	// RelTol·|estimate|; 0 means 1e-2.
	RelTol float64
	// Deflate is an orthonormal set V whose part of the trace,
	// DeflatedTrace = Σ v_iᵀAv_i, the caller knows (for a Lanczos basis,
	// Σ α_i). Probes are projected onto its orthogonal complement.
	Deflate       [][]float64
	DeflatedTrace float64
}

// Trace is a trace estimate.
type Trace struct {
	// Value is the estimate; StdErr its standard error (of the mean over
	// the probes; 0 with a single probe).
	Value, StdErr float64
	// Probes is the number of probes used (one product each).
	Probes int
	// Converged reports whether StdErr met the tolerance.
	Converged bool
}

// Hutchinson estimates the trace of the n × n symmetric operator op with
// Rademacher probes drawn from rng, deflated by opt.Deflate; see the
// package documentation for the estimator and the stopping rule.
func Hutchinson(op Operator, n int, opt TraceOptions, rng *rand.Rand) (Trace, error) {
	if opt.MinProbes == 0 {
		opt.MinProbes = 10
	}
	if opt.MaxProbes == 0 {
		opt.MaxProbes = 100
	}
	if opt.RelTol == 0 {
		opt.RelTol = 1e-2
	}
	switch {
	case n < 1 || rng == nil:
		return Trace{}, fmt.Errorf("%w: n = %d (a random source is required)", ErrBadInput, n)
	case opt.MinProbes < 1 || opt.MaxProbes < opt.MinProbes:
		return Trace{}, fmt.Errorf("%w: probes %d to %d", ErrBadInput, opt.MinProbes, opt.MaxProbes)
	case !(opt.RelTol > 0):
		return Trace{}, fmt.Errorf("%w: RelTol = %g", ErrBadInput, opt.RelTol)
	}
	for i, v := range opt.Deflate {
		if len(v) != n {
			return Trace{}, fmt.Errorf("%w: deflation vector %d has length %d, want %d", ErrBadInput, i, len(v), n)
		}
	}
	z := make([]float64, n)
	az := make([]float64, n)
	var t Trace
	mean, m2 := 0.0, 0.0 // Welford's running mean and sum of squared deviations
	for t.Probes < opt.MaxProbes {
		for i := range z {
			z[i] = float64(1 - 2*int(rng.Uint64()&1))
		}
		for _, v := range opt.Deflate {
			axpy(-dot(v, z), v, z)
		}
		if err := op(az, z); err != nil {
			return t, fmt.Errorf("hutchinson probe %d: %w", t.Probes+1, err)
		}
		x := dot(z, az)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return t, fmt.Errorf("hutchinson probe %d: %w", t.Probes+1, ErrNotFinite)
		}
		t.Probes++
		d := x - mean
		mean += d / float64(t.Probes)
		m2 += d * (x - mean)
		t.Value = opt.DeflatedTrace + mean
		if t.Probes > 1 {
			t.StdErr = math.Sqrt(m2 / float64(t.Probes-1) / float64(t.Probes))
		}
		if t.Probes >= opt.MinProbes && t.StdErr <= opt.RelTol*math.Abs(t.Value) {
			t.Converged = true
			break
		}
	}
	return t, nil
}
