package refsol

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// InitialCondition describes a named initial condition u(x, 0) = h(x).
type InitialCondition struct {
	// Name is the key accepted by IC and LookupIC.
	Name string
	// Formula is h(x) in words, for logs and reports.
	Formula string
	// H is h(x). It is the plain formula, evaluated at any real x without
	// wrapping x into [0, 2π).
	H func(x float64) float64
	// DH is the derivative h'(x) of the same formula.
	DH func(x float64) float64
	// Periodic reports whether h and h' are exactly 2π-periodic. The Gaussians
	// are not: their values agree at 0 and 2π but their slopes do not (the
	// mismatch is 1.7e-3 for gauss and 2.6e-13 for gauss-narrow), so the
	// convection closed form uses their periodic extension (see Solve).
	Periodic bool
	// UnitRange reports whether 0 ≤ h(x) ≤ 1 for every x, the condition for
	// the reaction closed form to be regular (see Solve).
	UnitRange bool
}

// Widths of the Gaussian ICs and the steepness of step-smooth.
const (
	// GaussSigma is σ of the paper's gauss IC, π/4 [paper App. A, Eq. 17].
	GaussSigma = math.Pi / 4
	// GaussNarrowSigma is σ of the gauss-narrow IC, π/8.
	GaussNarrowSigma = math.Pi / 8
	// StepSmoothA is the steepness a of the step-smooth IC.
	StepSmoothA = 5.0
)

func gaussian(sigma float64) (h, dh func(float64) float64) {
	h = func(x float64) float64 {
		d := (x - math.Pi) / sigma
		return math.Exp(-d * d / 2)
	}
	dh = func(x float64) float64 {
		d := (x - math.Pi) / sigma
		return -d / sigma * math.Exp(-d*d/2)
	}
	return h, dh
}

var (
	gaussH, gaussDH             = gaussian(GaussSigma)
	gaussNarrowH, gaussNarrowDH = gaussian(GaussNarrowSigma)
	tanhStepA                   = math.Tanh(StepSmoothA)
)

var ics = map[string]InitialCondition{
	"sin": {
		Formula:  "sin x (the paper's convection IC; singular for reaction)",
		H:        math.Sin,
		DH:       math.Cos,
		Periodic: true,
	},
	"cos": {
		Formula:  "cos x",
		H:        math.Cos,
		DH:       func(x float64) float64 { return -math.Sin(x) },
		Periodic: true,
	},
	"sin2": {
		Formula:  "sin 2x",
		H:        func(x float64) float64 { return math.Sin(2 * x) },
		DH:       func(x float64) float64 { return 2 * math.Cos(2*x) },
		Periodic: true,
	},
	"sin-mix": {
		Formula:  "sin x + 0.5 sin 3x",
		H:        func(x float64) float64 { return math.Sin(x) + 0.5*math.Sin(3*x) },
		DH:       func(x float64) float64 { return math.Cos(x) + 1.5*math.Cos(3*x) },
		Periodic: true,
	},
	"gauss": {
		Formula:   "exp(-(x-π)²/(2σ²)), σ = π/4 (the paper's reaction and rd IC)",
		H:         gaussH,
		DH:        gaussDH,
		UnitRange: true,
	},
	"gauss-narrow": {
		Formula:   "exp(-(x-π)²/(2σ²)), σ = π/8",
		H:         gaussNarrowH,
		DH:        gaussNarrowDH,
		UnitRange: true,
	},
	"step-smooth": {
		Formula: "(1 - tanh(a cos x)/tanh a)/2, a = 5: a smooth periodic plateau, 0 at x = 0, 1 at x = π",
		H: func(x float64) float64 {
			return 0.5 * (1 - math.Tanh(StepSmoothA*math.Cos(x))/tanhStepA)
		},
		DH: func(x float64) float64 {
			c := math.Cosh(StepSmoothA * math.Cos(x))
			return 0.5 * StepSmoothA * math.Sin(x) / (c * c * tanhStepA)
		},
		Periodic:  true,
		UnitRange: true,
	},
}

// ICNames returns the names of the known initial conditions, sorted.
func ICNames() []string {
	names := make([]string, 0, len(ics))
	for name := range ics {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// LookupIC returns the initial condition called name. An unknown name gives
// an error that lists the known ones.
func LookupIC(name string) (InitialCondition, error) {
	ic, ok := ics[name]
	if !ok {
		return InitialCondition{}, fmt.Errorf("refsol: unknown initial condition %q (known: %s)",
			name, strings.Join(ICNames(), ", "))
	}
	ic.Name = name
	return ic, nil
}

// IC returns h(x) for the initial condition called name. An unknown name
// gives an error that lists the known ones.
func IC(name string) (func(float64) float64, error) {
	ic, err := LookupIC(name)
	if err != nil {
		return nil, err
	}
	return ic.H, nil
}

// ICDeriv returns h'(x) for the initial condition called name. An unknown
// name gives an error that lists the known ones.
func ICDeriv(name string) (func(float64) float64, error) {
	ic, err := LookupIC(name)
	if err != nil {
		return nil, err
	}
	return ic.DH, nil
}

// sampleIC returns h(x_j), j = 0..NX-1.
func sampleIC(h func(float64) float64, g Grid) []float64 {
	u := make([]float64, g.NX)
	for j := range u {
		u[j] = h(g.X(j))
	}
	return u
}
