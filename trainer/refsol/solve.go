package refsol

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/dsp/fourier"
)

// PDE names accepted in Problem.PDE (the public code's --system flags).
const (
	// Convection is u_t + β u_x = 0.
	Convection = "convection"
	// Reaction is u_t = ρ u (1 − u).
	Reaction = "reaction"
	// ReactionDiffusion is u_t − ν u_xx − ρ u (1 − u) = 0.
	ReactionDiffusion = "rd"
	// Diffusion is u_t − ν u_xx = 0.
	Diffusion = "diffusion"
)

// Reference modes accepted in Problem.Mode.
const (
	// ModeDefault is the most accurate reference: the closed form for
	// convection and reaction, exact Fourier-space decay for diffusion, and
	// fine-step Strang splitting for rd.
	ModeDefault = ""
	// ModeFourier forces the pseudo-spectral route for convection (Fourier
	// coefficient k times e^{−iβkt}, Nyquist coefficient zeroed). For the
	// other PDEs it is the same as ModeDefault.
	ModeFourier = "fourier"
	// ModePublic reproduces the public code (systems_pbc.py) for like-for-like
	// comparison with the paper: for rd, Lie splitting reaction(dt) then
	// diffusion(dt) with dt = 1/NT (0.01 on the paper grid), row i holding
	// the state after i steps (t = 0.01·i) although it is labelled t_i = i/99;
	// for convection and diffusion, the Fourier route with the Nyquist
	// coefficient rotated (only its real part survives) instead of zeroed;
	// for reaction, the same closed form as ModeDefault.
	ModePublic = "public"
)

// DefaultStrangSteps is the default number m of Strang sub-steps per grid
// time step for rd: dt = 1/((NT−1)·m), about 1.0e-4 on the paper grid.
const DefaultStrangSteps = 100

// MaxSubSteps caps the total number of rd sub-steps (NT−1)·m.
const MaxSubSteps = 1 << 26

// Problem is one reference-solution request.
type Problem struct {
	// PDE is Convection, Reaction, ReactionDiffusion ("rd") or Diffusion.
	PDE string
	// Beta is the convection speed β (convection only; any finite value).
	Beta float64
	// Rho is the reaction rate ρ (reaction, rd; any finite value).
	Rho float64
	// Nu is the diffusion coefficient ν ≥ 0 (rd, diffusion).
	Nu float64
	// IC names the initial condition h(x) (see ICNames).
	IC string
	// Mode is ModeDefault (""), ModeFourier or ModePublic.
	Mode string
	// StrangSteps is the number m of Strang sub-steps per grid time step
	// for rd in ModeDefault; 0 means DefaultStrangSteps.
	StrangSteps int
}

// pdeNames lists the accepted PDE names for error messages.
var pdeNames = []string{Convection, Reaction, ReactionDiffusion, Diffusion}

// Validate checks p on grid g without solving: a known PDE, IC and mode,
// finite coefficients for the terms the PDE uses, ν ≥ 0, StrangSteps ≥ 0,
// and, for reaction and rd with ρ ≠ 0, 0 ≤ h(x_j) ≤ 1 at every grid point.
// Coefficients of terms the PDE does not have are ignored, as the public
// code forces them to zero.
func (p Problem) Validate(g Grid) error {
	if err := g.Validate(); err != nil {
		return err
	}
	ic, err := LookupIC(p.IC)
	if err != nil {
		return err
	}
	switch p.Mode {
	case ModeDefault, ModeFourier, ModePublic:
	default:
		return fmt.Errorf("refsol: unknown mode %q (known: \"\" (default), %q, %q)", p.Mode, ModeFourier, ModePublic)
	}
	if p.StrangSteps < 0 {
		return fmt.Errorf("refsol: StrangSteps = %d, need ≥ 0 (0 means %d)", p.StrangSteps, DefaultStrangSteps)
	}
	switch p.PDE {
	case Convection:
		return finite("β", p.Beta)
	case Diffusion:
		return checkNu(p.Nu)
	case Reaction:
		if err := finite("ρ", p.Rho); err != nil {
			return err
		}
		return checkUnitRange(p, ic, g)
	case ReactionDiffusion:
		if err := finite("ρ", p.Rho); err != nil {
			return err
		}
		if err := checkNu(p.Nu); err != nil {
			return err
		}
		if p.Mode != ModePublic {
			if m := p.strangSteps(); m > MaxSubSteps/(g.NT-1) {
				return fmt.Errorf("refsol: (NT−1)·StrangSteps = %d·%d exceeds %d sub-steps", g.NT-1, m, MaxSubSteps)
			}
		}
		return checkUnitRange(p, ic, g)
	default:
		return fmt.Errorf("refsol: unknown PDE %q (known: %s)", p.PDE, strings.Join(pdeNames, ", "))
	}
}

func (p Problem) strangSteps() int {
	if p.StrangSteps == 0 {
		return DefaultStrangSteps
	}
	return p.StrangSteps
}

func finite(name string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("refsol: %s = %v, need a finite value", name, v)
	}
	return nil
}

func checkNu(nu float64) error {
	if err := finite("ν", nu); err != nil {
		return err
	}
	if nu < 0 {
		return fmt.Errorf("refsol: ν = %g < 0: backward diffusion is ill-posed", nu)
	}
	return nil
}

// checkUnitRange rejects ICs leaving [0, 1] on the grid when ρ ≠ 0: there the
// logistic closed form is singular or meaningless (public code issue #2).
func checkUnitRange(p Problem, ic InitialCondition, g Grid) error {
	if p.Rho == 0 {
		return nil
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	ok := true
	for j := 0; j < g.NX; j++ {
		v := ic.H(g.X(j))
		if !(v >= 0 && v <= 1) {
			ok = false
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if ok {
		return nil
	}
	var unit []string
	for _, name := range ICNames() {
		if ics[name].UnitRange {
			unit = append(unit, name)
		}
	}
	return fmt.Errorf("refsol: %s with ρ = %g needs 0 ≤ h ≤ 1, but IC %q ranges over [%.4g, %.4g] on the grid: "+
		"the closed form h·e^{ρt}/(h·e^{ρt} + 1 − h) is singular or leaves [0, 1] there "+
		"(public code issue #2); use an IC in [0, 1]: %s",
		p.PDE, p.Rho, p.IC, lo, hi, strings.Join(unit, ", "))
}

// Solve returns the reference solution of p on grid g, length g.Len(),
// row-major by t: u(x_j, t_i) is at index i·NX + j. Row 0 is h(x_j) except
// in the Fourier routes, where it is the spectral interpolant of those
// samples (identical up to rounding and the Nyquist coefficient). The
// methods are described in the package documentation. Invalid input (see
// Validate) or a non-finite result gives an error.
func Solve(p Problem, g Grid) ([]float64, error) {
	if err := p.Validate(g); err != nil {
		return nil, err
	}
	ic, _ := LookupIC(p.IC)
	out := make([]float64, g.Len())
	switch p.PDE {
	case Convection:
		if p.Mode == ModeDefault {
			convectionExact(out, ic, p.Beta, g)
		} else {
			convectionFourier(out, sampleIC(ic.H, g), p.Beta, g, p.Mode == ModePublic)
		}
	case Diffusion:
		diffusionFourier(out, sampleIC(ic.H, g), p.Nu, g)
	case Reaction:
		reactionExact(out, sampleIC(ic.H, g), p.Rho, g)
	case ReactionDiffusion:
		if p.Mode == ModePublic {
			rdPublic(out, sampleIC(ic.H, g), p.Rho, p.Nu, g)
		} else {
			rdStrang(out, sampleIC(ic.H, g), p.Rho, p.Nu, p.strangSteps(), g)
		}
	}
	for k, v := range out {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("refsol: %s reference is not finite (%v) at t = %g, x = %g",
				p.PDE, v, g.T(k/g.NX), g.X(k%g.NX))
		}
	}
	return out, nil
}

// wrap2Pi maps a into [0, 2π).
func wrap2Pi(a float64) float64 {
	r := math.Mod(a, 2*math.Pi)
	if r < 0 {
		r += 2 * math.Pi
	}
	if r >= 2*math.Pi {
		r = 0
	}
	return r
}

// convectionExact evaluates h(x − βt); for a non-periodic h the argument is
// wrapped into [0, 2π), i.e. the periodic extension of h is transported.
func convectionExact(out []float64, ic InitialCondition, beta float64, g Grid) {
	for i := 0; i < g.NT; i++ {
		bt := beta * g.T(i)
		row := out[i*g.NX : (i+1)*g.NX]
		for j := range row {
			a := g.X(j) - bt
			if !ic.Periodic {
				a = wrap2Pi(a)
			}
			row[j] = ic.H(a)
		}
	}
}

// spectral bundles a real FFT plan with its coefficient buffers.
type spectral struct {
	n      int
	fft    *fourier.FFT
	c0, c  []complex128 // c0: normalised coefficients of the IC; c: work
	nyq    int          // index of the Nyquist coefficient, −1 for odd n
	invLen float64
}

func newSpectral(n int) *spectral {
	s := &spectral{
		n:      n,
		fft:    fourier.NewFFT(n),
		c0:     make([]complex128, n/2+1),
		c:      make([]complex128, n/2+1),
		nyq:    -1,
		invLen: 1 / float64(n),
	}
	if n%2 == 0 {
		s.nyq = n / 2
	}
	return s
}

// setIC stores the coefficients of u divided by n in s.c0, so that Sequence
// of them returns u (gonum's transforms are unnormalised).
func (s *spectral) setIC(u []float64) {
	s.fft.Coefficients(s.c0, u)
	for k, v := range s.c0 {
		s.c0[k] = complex(real(v)*s.invLen, imag(v)*s.invLen)
	}
}

// convectionFourier multiplies coefficient k by e^{−iβkt}. The Nyquist
// coefficient is zeroed, or, for public, rotated like the others (gonum's
// Sequence keeps only its real part, as numpy's real(ifft(·)) does).
func convectionFourier(out, h []float64, beta float64, g Grid, public bool) {
	s := newSpectral(g.NX)
	s.setIC(h)
	for i := 0; i < g.NT; i++ {
		t := g.T(i)
		for k, v := range s.c0 {
			if k == s.nyq && !public {
				s.c[k] = 0
				continue
			}
			sn, cs := math.Sincos(-beta * float64(k) * t)
			s.c[k] = v * complex(cs, sn)
		}
		s.fft.Sequence(out[i*g.NX:(i+1)*g.NX], s.c)
	}
}

// diffusionFourier multiplies coefficient k by e^{−νk²t}, the Nyquist
// coefficient included (the factor is real, so this is exact for the
// cos(NX·x/2) grid mode too).
func diffusionFourier(out, h []float64, nu float64, g Grid) {
	s := newSpectral(g.NX)
	s.setIC(h)
	for i := 0; i < g.NT; i++ {
		t := g.T(i)
		for k, v := range s.c0 {
			f := math.Exp(-nu * float64(k) * float64(k) * t)
			s.c[k] = complex(real(v)*f, imag(v)*f)
		}
		s.fft.Sequence(out[i*g.NX:(i+1)*g.NX], s.c)
	}
}

// logistic is the exact flow R(τ) of u' = ρu(1−u) over a time τ:
// R(τ)u = u e^{ρτ} / (u e^{ρτ} + 1 − u), evaluated without overflow as
// u / (u + (1 − u) e^{−ρτ}) when ρτ ≥ 0.
type logistic struct {
	e   float64 // e^{−ρτ} if pos, else e^{ρτ}; both ≤ 1
	pos bool
}

func newLogistic(rho, tau float64) logistic {
	if a := rho * tau; a >= 0 {
		return logistic{e: math.Exp(-a), pos: true}
	}
	return logistic{e: math.Exp(rho * tau)}
}

func (l logistic) apply(u float64) float64 {
	if l.pos {
		if u == 0 {
			return 0
		}
		return u / (u + (1-u)*l.e)
	}
	if u == 1 {
		return 1
	}
	ue := u * l.e
	return ue / (ue + 1 - u)
}

func (l logistic) applyAll(u []float64) {
	for j, v := range u {
		u[j] = l.apply(v)
	}
}

// reactionExact evaluates the closed form pointwise on every row.
func reactionExact(out, h []float64, rho float64, g Grid) {
	for i := 0; i < g.NT; i++ {
		l := newLogistic(rho, g.T(i))
		row := out[i*g.NX : (i+1)*g.NX]
		for j, v := range h {
			row[j] = l.apply(v)
		}
	}
}

// diffuser applies the exact Fourier-space diffusion D(τ) in place, with
// the 1/n normalisation folded into its factors.
type diffuser struct {
	s      *spectral
	factor []float64
}

func newDiffuser(n int, nu, tau float64) diffuser {
	s := newSpectral(n)
	f := make([]float64, len(s.c))
	for k := range f {
		f[k] = math.Exp(-nu*float64(k)*float64(k)*tau) * s.invLen
	}
	return diffuser{s: s, factor: f}
}

func (d diffuser) apply(u []float64) {
	c := d.s.fft.Coefficients(d.s.c, u)
	for k, v := range c {
		f := d.factor[k]
		c[k] = complex(real(v)*f, imag(v)*f)
	}
	d.s.fft.Sequence(u, c)
}

// rdStrang advances with m Strang steps R(dt/2) D(dt) R(dt/2) per grid row,
// dt = 1/((NT−1)m), so every grid time is hit exactly.
func rdStrang(out, h []float64, rho, nu float64, m int, g Grid) {
	dt := 1 / float64((g.NT-1)*m)
	half := newLogistic(rho, dt/2)
	d := newDiffuser(g.NX, nu, dt)
	u := append([]float64(nil), h...)
	copy(out[:g.NX], u)
	for i := 1; i < g.NT; i++ {
		for range m {
			half.applyAll(u)
			d.apply(u)
			half.applyAll(u)
		}
		copy(out[i*g.NX:(i+1)*g.NX], u)
	}
}

// rdPublic is the public code's reaction_diffusion_discrete_solution: Lie
// splitting reaction(dt) then diffusion(dt), dt = 1/NT, row i after i steps.
func rdPublic(out, h []float64, rho, nu float64, g Grid) {
	dt := 1 / float64(g.NT)
	full := newLogistic(rho, dt)
	d := newDiffuser(g.NX, nu, dt)
	u := append([]float64(nil), h...)
	copy(out[:g.NX], u)
	for i := 1; i < g.NT; i++ {
		full.applyAll(u)
		d.apply(u)
		copy(out[i*g.NX:(i+1)*g.NX], u)
	}
}
