// Package refsol computes initial conditions and reference ("exact")
// solutions for the four PDE systems of Krishnapriyan et al., "Characterizing
// possible failure modes in physics-informed neural networks" (NeurIPS 2021),
// on the evaluation grid, following the project reference
// shared/reference/pinn-failure-modes.md §§1–3.
//
// The entry point is Solve(Problem, Grid); Metrics compares a prediction with
// the result. All numbers below were measured by this package's tests on the
// paper grid (256 × 100) in float64.
//
// # Grid layout
//
// x_j = 2πj/NX for j = 0..NX−1 (periodic; 2π itself is excluded) and
// t_i = i/(NT−1) for i = 0..NT−1 (0 and 1 included); the paper uses
// 256 × 100. A solution is a []float64 of length NT·NX, row-major by t:
// u(x_j, t_i) is element i·NX + j (Grid.Index), as in the public code's
// flattened arrays. Row 0 is the initial condition sampled on the grid.
// NX ≥ 4 and NT ≥ 2; NX need not be a power of two (gonum's FFT takes any
// length).
//
// # Initial conditions
//
// IC, ICDeriv and LookupIC return h(x) and h'(x) by name (ICNames):
//
//	sin           sin x                      paper's convection IC
//	cos           cos x
//	sin2          sin 2x
//	sin-mix       sin x + 0.5 sin 3x
//	gauss         exp(−(x−π)²/(2σ²)), σ = π/4   paper's reaction and rd IC
//	gauss-narrow  the same with σ = π/8
//	step-smooth   (1 − tanh(5 cos x)/tanh 5)/2, a smooth periodic plateau, 0 at 0, 1 at π
//
// The trigonometric ICs and step-smooth are exactly periodic and analytic.
// The Gaussians match in value at 0 and 2π (gauss: e^−8 ≈ 3.4e−4) but not
// in slope (gauss: ±1.7e−3; gauss-narrow: ±2.6e−13). Only gauss,
// gauss-narrow and step-smooth lie in [0, 1] (InitialCondition.UnitRange).
//
// # Convection: u_t + β u_x = 0
//
// ModeDefault evaluates the closed form h(x − βt); for the Gaussians the
// argument is wrapped into [0, 2π), i.e. the exact solution for the periodic
// extension of h. ModeFourier is the pseudo-spectral route for a general IC:
// NewFFT(NX).Coefficients of the samples, coefficient k times e^{−iβkt},
// Sequence, divide by NX, with the Nyquist coefficient zeroed. ModePublic is
// the same but rotates the Nyquist coefficient like the others (only its real
// part survives), as the public code's real(ifft(·)) does.
//
// Verified: at β = 30 the Fourier route matches sin(x − βt) to 2.8e−15 (max
// abs over the grid), and the closed form to ≤ 1.2e−14 for every periodic IC
// and gauss-narrow. For gauss its slope kink limits the spectral interpolant:
// Fourier vs closed form differ by 7.9e−6. At βt = s·2π/NX the exact
// solution is a circular shift of the samples: the closed form and ModePublic
// reproduce it to rounding (≤ 7.5e−15 for shifts up to 1,280 points),
// ModeFourier to 8.2e−8 for gauss (the dropped Nyquist coefficient) and to
// ≤ 3.8e−15 for the other ICs.
//
// # Diffusion: u_t − ν u_xx = 0
//
// Exact in Fourier space: coefficient k times e^{−νk²t}, the Nyquist
// coefficient included (the factor is real, so the cos(NX·x/2) grid mode is
// also exact). Verified against e^{−νt} sin x, e^{−4νt} sin 2x and the
// sin-mix closed form to 1.1e−15 (max abs, ν = 0 to 5), and for gauss
// against an independent O(n²) DFT on even and odd grids to 3e−16.
//
// # Reaction: u_t = ρ u (1 − u)
//
// Pointwise closed form u = h e^{ρt} / (h e^{ρt} + 1 − h), evaluated as
// h / (h + (1 − h) e^{−ρt}) for ρ ≥ 0 so that large ρ cannot overflow; it
// agrees with the printed formula to rounding (≤ 4e−15). It is regular only
// for 0 ≤ h ≤ 1: when ρ ≠ 0 and some grid sample h(x_j) leaves [0, 1],
// Validate and Solve return an error naming the IC's range and the ICs that
// fit, instead of the singular values of the public code's default sin IC
// (issue #2; at ρ = 5 its denominator reaches 7e−4 and |u| about 2.7e3). The
// same check applies to rd. With ρ = 0 any IC is accepted.
//
// # Reaction–diffusion: u_t − ν u_xx − ρ u (1 − u) = 0
//
// ModeDefault: Strang splitting with a fine step. The sub-step is
// dt = 1/((NT−1)·m), m = Problem.StrangSteps (default 100, dt ≈ 1.0e−4 on the
// paper grid), so every grid time is hit exactly; one step is R(dt/2),
// D(dt), R(dt/2), where R is the reaction closed form and D the exact
// Fourier-space diffusion, and the state is stored every m steps. One FFT
// plan and its buffers serve all 9,900 steps (10 allocations per solve); a
// paper-grid solve takes about 0.15–0.22 s on a shared 2-core machine
// (BenchmarkSolveRD), 93% of it in gonum's FFTs.
//
// Verified (ρ = 5, gauss, relative L2 over the grid): m = 1 differs from
// m = 100 by 2.15e−5 (ν = 2) and 6.18e−5 (ν = 5), m = 10 by 2.1e−7 and
// 6.1e−7, m = 50 by 6.4e−9 and 1.9e−8, as in the reference doc. Against the
// Richardson extrapolation of m = 100 and 200 the observed order is 2.000
// (m = 1→10→50→100→200) and the m = 100 error is 2.2e−9 (ν = 2) and 6.2e−9
// (ν = 5). ν = 0 reproduces the reaction closed form to 4e−11 (rounding of
// 9,900 FFT round trips, amplified by the reaction's growth) and ρ = 0 the
// diffusion solution to 2e−13. One Strang step and two public Lie steps
// match an independent DFT implementation to rounding.
//
// ModePublic reproduces the public code's reaction_diffusion_discrete_solution
// for like-for-like comparison with the paper: first-order Lie splitting,
// R(dt) then D(dt), with dt = 1/NT (0.01), row i holding the state after i
// steps (t = 0.01·i) although the grid labels it t_i = i/99. Its defects at
// ρ = 5, relative L2: Lie vs converged at the same times 2.5e−3 (ν = 2) and
// 2.9e−3 (ν = 5); the label mismatch alone 4.4e−3 and 3.7e−3; together
// 6.8e−3 and 6.3e−3, the reference doc's table.
//
// # Metrics
//
// Metrics returns the public code's three errors over the flattened grid:
// relative L2 ‖û − u‖₂/‖u‖₂, mean absolute error, and relative L∞
// max|û − u|/max|u|.
package refsol
