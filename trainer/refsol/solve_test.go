package refsol

import (
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
)

func mustSolve(t testing.TB, p Problem, g Grid) []float64 {
	t.Helper()
	u, err := Solve(p, g)
	if err != nil {
		t.Fatalf("Solve(%+v): %v", p, err)
	}
	if len(u) != g.Len() {
		t.Fatalf("Solve(%+v): length %d, want %d", p, len(u), g.Len())
	}
	return u
}

// maxAbsDiff returns max_k |a_k − b_k|.
func maxAbsDiff(a, b []float64) float64 {
	m := 0.0
	for k := range a {
		m = math.Max(m, math.Abs(a[k]-b[k]))
	}
	return m
}

// onGrid evaluates f(x_j, t_i) in the solution layout.
func onGrid(g Grid, f func(x, t float64) float64) []float64 {
	u := make([]float64, g.Len())
	for i := 0; i < g.NT; i++ {
		for j := 0; j < g.NX; j++ {
			u[g.Index(i, j)] = f(g.X(j), g.T(i))
		}
	}
	return u
}

// naiveDiffuse applies exact Fourier-space diffusion D(τ) to grid samples
// with an O(n²) DFT, independently of gonum: u_j = Σ_k û_k e^{ikx_j},
// û_k ← û_k e^{−νk²τ}, k = −n/2+1..n/2 (the Nyquist term, for even n, is
// real and decays too).
func naiveDiffuse(u []float64, nu, tau float64) []float64 {
	n := len(u)
	out := make([]float64, n)
	for k := -((n - 1) / 2); k <= n/2; k++ {
		var re, im float64
		for j, v := range u {
			s, c := math.Sincos(2 * math.Pi * float64(j*k) / float64(n))
			re += v * c
			im -= v * s
		}
		f := math.Exp(-nu*float64(k*k)*tau) / float64(n)
		for j := range out {
			s, c := math.Sincos(2 * math.Pi * float64(j*k) / float64(n))
			out[j] += f * (re*c - im*s)
		}
	}
	return out
}

// logisticFormula is the closed form as printed: h e^{ρt} / (h e^{ρt} + 1 − h).
func logisticFormula(h, rho, t float64) float64 {
	e := h * math.Exp(rho*t)
	return e / (e + 1 - h)
}

func TestValidate(t *testing.T) {
	g := PaperGrid()
	gauss := func(p Problem) Problem { p.IC = "gauss"; return p }
	tests := []struct {
		name    string
		p       Problem
		g       Grid
		wantErr string
	}{
		{"convection ok", Problem{PDE: Convection, Beta: -40, IC: "sin"}, g, ""},
		{"ignored NaN", Problem{PDE: Convection, Beta: 1, Rho: math.NaN(), Nu: -1, IC: "sin"}, g, ""},
		{"rd public ok", gauss(Problem{PDE: ReactionDiffusion, Rho: 5, Nu: 3, Mode: ModePublic}), g, ""},
		{"rd rho 0 any IC", Problem{PDE: ReactionDiffusion, Nu: 3, IC: "sin"}, g, ""},
		{"reaction rho 0 any IC", Problem{PDE: Reaction, IC: "sin-mix"}, g, ""},
		{"negative rho", gauss(Problem{PDE: Reaction, Rho: -4}), g, ""},
		{"unknown PDE", Problem{PDE: "burgers", IC: "sin"}, g, "known: convection, reaction, rd, diffusion"},
		{"empty PDE", Problem{IC: "sin"}, g, "unknown PDE"},
		{"unknown IC", Problem{PDE: Convection, IC: "Sin"}, g, "unknown initial condition \"Sin\""},
		{"unknown mode", Problem{PDE: Convection, IC: "sin", Mode: "strang"}, g, "unknown mode"},
		{"NaN beta", Problem{PDE: Convection, Beta: math.NaN(), IC: "sin"}, g, "β = NaN"},
		{"Inf rho", gauss(Problem{PDE: Reaction, Rho: math.Inf(1)}), g, "ρ = +Inf"},
		{"NaN nu", gauss(Problem{PDE: ReactionDiffusion, Rho: 1, Nu: math.NaN()}), g, "ν = NaN"},
		{"negative nu", Problem{PDE: Diffusion, Nu: -0.1, IC: "sin"}, g, "ν = -0.1 < 0"},
		{"negative steps", gauss(Problem{PDE: ReactionDiffusion, Rho: 1, Nu: 1, StrangSteps: -1}), g, "StrangSteps = -1"},
		{"too many steps", gauss(Problem{PDE: ReactionDiffusion, Rho: 1, Nu: 1, StrangSteps: 1 << 25}), g, "sub-steps"},
		{"small grid", Problem{PDE: Convection, IC: "sin"}, Grid{2, 100}, "NX = 2"},
		{"one time", Problem{PDE: Convection, IC: "sin"}, Grid{256, 1}, "NT = 1"},
		{"reaction sin", Problem{PDE: Reaction, Rho: 5, IC: "sin"}, g, "issue #2"},
		{"reaction cos", Problem{PDE: Reaction, Rho: 1, IC: "cos"}, g, "[-1, 1]"},
		{"rd sin-mix", Problem{PDE: ReactionDiffusion, Rho: 5, Nu: 2, IC: "sin-mix"}, g, "use an IC in [0, 1]: gauss, gauss-narrow, step-smooth"},
		{"rd public sin2", Problem{PDE: ReactionDiffusion, Rho: 5, Nu: 2, IC: "sin2", Mode: ModePublic}, g, "issue #2"},
	}
	for _, tc := range tests {
		err := tc.p.Validate(tc.g)
		_, serr := Solve(tc.p, tc.g)
		if (err == nil) != (serr == nil) {
			t.Errorf("%s: Validate %v but Solve %v", tc.name, err, serr)
		}
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.wantErr)
		}
	}
}

// TestRowZero checks the layout: row 0 is h(x_j) (Fourier routes: up to rounding).
func TestRowZero(t *testing.T) {
	g := Grid{NX: 64, NT: 5}
	for _, p := range []Problem{
		{PDE: Convection, Beta: 30, IC: "sin"},
		{PDE: Convection, Beta: 30, IC: "sin-mix", Mode: ModeFourier},
		{PDE: Convection, Beta: 30, IC: "gauss", Mode: ModePublic},
		{PDE: Diffusion, Nu: 5, IC: "cos"},
		{PDE: Reaction, Rho: 5, IC: "gauss"},
		{PDE: ReactionDiffusion, Rho: 5, Nu: 5, IC: "step-smooth"},
		{PDE: ReactionDiffusion, Rho: 5, Nu: 5, IC: "gauss", Mode: ModePublic},
	} {
		u := mustSolve(t, p, g)
		h, _ := IC(p.IC)
		for j := 0; j < g.NX; j++ {
			if d := math.Abs(u[j] - h(g.X(j))); d > 1e-15 {
				t.Errorf("%+v: u(x_%d, 0) − h = %.3g", p, j, d)
				break
			}
		}
	}
}

func TestConvectionSin(t *testing.T) {
	g := PaperGrid()
	for _, beta := range []float64{1, 10, 30, 50, -20} {
		exact := onGrid(g, func(x, t float64) float64 { return math.Sin(x - beta*t) })
		if d := maxAbsDiff(mustSolve(t, Problem{PDE: Convection, Beta: beta, IC: "sin"}, g), exact); d != 0 {
			t.Errorf("β = %g: closed form differs from sin(x − βt) by %.3g", beta, d)
		}
		for _, mode := range []string{ModeFourier, ModePublic} {
			u := mustSolve(t, Problem{PDE: Convection, Beta: beta, IC: "sin", Mode: mode}, g)
			d := maxAbsDiff(u, exact)
			if d > 1e-14 {
				t.Errorf("β = %g, mode %q: Fourier route differs from sin(x − βt) by %.3g", beta, mode, d)
			}
			if beta == 30 && mode == ModeFourier {
				t.Logf("β = 30: Fourier vs closed form, max abs %.2g", d)
			}
		}
	}
}

// TestConvectionFourierICs compares the Fourier route with the closed form
// for every IC at β = 30. For the periodic, smooth ICs they agree to
// rounding; gauss's slope kink at x = 0 ≡ 2π (1.7e-3 jump) limits the
// spectral interpolant to about 8e-6.
func TestConvectionFourierICs(t *testing.T) {
	g := PaperGrid()
	for _, name := range ICNames() {
		tol := 1e-13
		if name == "gauss" {
			tol = 1e-5
		}
		exact := mustSolve(t, Problem{PDE: Convection, Beta: 30, IC: name}, g)
		for _, mode := range []string{ModeFourier, ModePublic} {
			d := maxAbsDiff(mustSolve(t, Problem{PDE: Convection, Beta: 30, IC: name, Mode: mode}, g), exact)
			if d > tol {
				t.Errorf("%s, mode %q: Fourier vs closed form %.3g > %g", name, mode, d, tol)
			}
			if mode == ModeFourier {
				t.Logf("%-12s β = 30: Fourier vs closed form, max abs %.2g", name, d)
			}
		}
	}
}

// TestConvectionIntegerShift uses βt = s·2π/NX, where the exact solution
// (of the periodic extension) is the circular shift of the IC samples by s.
func TestConvectionIntegerShift(t *testing.T) {
	g := Grid{NX: 256, NT: 2} // t = 0, 1
	worst := map[string]float64{}
	defer func() {
		for _, k := range slices.Sorted(maps.Keys(worst)) {
			t.Logf("circular shift, %-20q worst max abs %.2g", k, worst[k])
		}
	}()
	for _, name := range []string{"gauss", "gauss-narrow", "step-smooth"} {
		h, _ := IC(name)
		for _, s := range []int{1, 7, 128, 1280, -3} {
			beta := float64(s) * 2 * math.Pi / float64(g.NX)
			want := make([]float64, g.NX)
			for j := range want {
				want[j] = h(g.X(((j-s)%g.NX + g.NX) % g.NX))
			}
			for _, tc := range []struct {
				mode string
				tol  float64
			}{
				{ModeDefault, 1e-14},
				{ModePublic, 1e-14},
				// Zeroing the Nyquist coefficient drops gauss's 8.2e-8 there.
				{ModeFourier, map[bool]float64{true: 1e-7, false: 1e-14}[name == "gauss"]},
			} {
				u := mustSolve(t, Problem{PDE: Convection, Beta: beta, IC: name, Mode: tc.mode}, g)
				d := maxAbsDiff(u[g.NX:], want)
				if d > tc.tol {
					t.Errorf("%s, shift %d, mode %q: max error %.3g > %g", name, s, tc.mode, d, tc.tol)
				}
				worst[name+" "+tc.mode] = math.Max(worst[name+" "+tc.mode], d)
			}
		}
	}
}

func TestDiffusion(t *testing.T) {
	g := PaperGrid()
	worst := 0.0
	for _, nu := range []float64{0, 0.5, 2, 5} {
		for _, tc := range []struct {
			ic    string
			exact func(x, t float64) float64
		}{
			{"sin", func(x, t float64) float64 { return math.Exp(-nu*t) * math.Sin(x) }},
			{"sin2", func(x, t float64) float64 { return math.Exp(-4*nu*t) * math.Sin(2*x) }},
			{"sin-mix", func(x, t float64) float64 {
				return math.Exp(-nu*t)*math.Sin(x) + 0.5*math.Exp(-9*nu*t)*math.Sin(3*x)
			}},
		} {
			u := mustSolve(t, Problem{PDE: Diffusion, Nu: nu, IC: tc.ic}, g)
			d := maxAbsDiff(u, onGrid(g, tc.exact))
			if d > 1e-14 {
				t.Errorf("ν = %g, %s: max error %.3g vs closed form", nu, tc.ic, d)
			}
			worst = math.Max(worst, d)
		}
	}
	t.Logf("diffusion vs closed forms: worst max abs %.2g", worst)
	// A general IC against an independent O(n²) DFT, on a small odd and even grid.
	for _, g := range []Grid{{NX: 32, NT: 4}, {NX: 33, NT: 4}} {
		u := mustSolve(t, Problem{PDE: Diffusion, Nu: 0.7, IC: "gauss"}, g)
		h, _ := IC("gauss")
		h0 := sampleIC(h, g)
		for i := 0; i < g.NT; i++ {
			want := naiveDiffuse(h0, 0.7, g.T(i))
			d := maxAbsDiff(u[i*g.NX:(i+1)*g.NX], want)
			if d > 1e-14 {
				t.Errorf("NX = %d, row %d: gauss vs naive DFT %.3g", g.NX, i, d)
			}
			if i == g.NT-1 {
				t.Logf("NX = %d: gauss vs naive DFT at t = 1: %.2g", g.NX, d)
			}
		}
	}
}

func TestReaction(t *testing.T) {
	g := PaperGrid()
	for _, name := range []string{"gauss", "gauss-narrow", "step-smooth"} {
		h, _ := IC(name)
		for _, rho := range []float64{-3, 0, 1, 5, 20} {
			u := mustSolve(t, Problem{PDE: Reaction, Rho: rho, IC: name}, g)
			want := onGrid(g, func(x, t float64) float64 { return logisticFormula(h(x), rho, t) })
			// Rounding only: for h = 1 and ρ < 0 the printed formula gives
			// 1 + 1.1e-15 where Solve gives exactly 1.
			if d := maxAbsDiff(u, want); d > 4e-15 {
				t.Errorf("%s, ρ = %g: differs from the printed closed form by %.3g", name, rho, d)
			}
		}
		// Large ρ overflows e^{ρt} in the printed formula; Solve stays finite.
		for _, rho := range []float64{1000, -1000} {
			u := mustSolve(t, Problem{PDE: Reaction, Rho: rho, IC: name}, g)
			for _, v := range u {
				if !(v >= 0 && v <= 1) {
					t.Fatalf("%s, ρ = %g: value %g outside [0, 1]", name, rho, v)
				}
			}
		}
	}
}

// TestRDLimits: ν = 0 gives the reaction closed form, ρ = 0 the diffusion.
func TestRDLimits(t *testing.T) {
	g := PaperGrid()
	rd := mustSolve(t, Problem{PDE: ReactionDiffusion, Rho: 5, IC: "gauss"}, g)
	re := mustSolve(t, Problem{PDE: Reaction, Rho: 5, IC: "gauss"}, g)
	d1 := maxAbsDiff(rd, re)
	rd = mustSolve(t, Problem{PDE: ReactionDiffusion, Nu: 3, IC: "sin-mix"}, g)
	di := mustSolve(t, Problem{PDE: Diffusion, Nu: 3, IC: "sin-mix"}, g)
	d2 := maxAbsDiff(rd, di)
	t.Logf("rd(ν = 0) vs reaction %.2g; rd(ρ = 0) vs diffusion %.2g (9,900 steps)", d1, d2)
	// Only rounding: 9,900 FFT round trips, amplified by the reaction's
	// growth (up to e^ρ for small u) when ν = 0; far below the m = 100
	// splitting error (≈ 2e-9).
	if d1 > 1e-10 || d2 > 1e-12 {
		t.Errorf("limits: ν = 0 %.3g (want ≤ 1e-10), ρ = 0 %.3g (want ≤ 1e-12)", d1, d2)
	}
}

// TestRDStepStructure checks one Strang step R(dt/2) D(dt) R(dt/2) and two
// public Lie steps D(dt) R(dt) against an independent DFT.
func TestRDStepStructure(t *testing.T) {
	const rho, nu = 2.0, 0.3
	g := Grid{NX: 32, NT: 2}
	h, _ := IC("gauss")
	h0 := sampleIC(h, g)
	react := func(u []float64, tau float64) []float64 {
		out := make([]float64, len(u))
		for j, v := range u {
			out[j] = logisticFormula(v, rho, tau)
		}
		return out
	}
	want := react(naiveDiffuse(react(h0, 0.5), nu, 1), 0.5)
	u := mustSolve(t, Problem{PDE: ReactionDiffusion, Rho: rho, Nu: nu, IC: "gauss", StrangSteps: 1}, g)
	if d := maxAbsDiff(u[g.NX:], want); d > 1e-14 {
		t.Errorf("Strang step: %.3g", d)
	}

	g = Grid{NX: 32, NT: 3} // public: dt = 1/NT = 1/3, rows after 0, 1, 2 steps
	u = mustSolve(t, Problem{PDE: ReactionDiffusion, Rho: rho, Nu: nu, IC: "gauss", Mode: ModePublic}, g)
	w := h0
	for i := 1; i < g.NT; i++ {
		w = naiveDiffuse(react(w, 1.0/3), nu, 1.0/3)
		if d := maxAbsDiff(u[i*g.NX:(i+1)*g.NX], w); d > 1e-14 {
			t.Errorf("public Lie row %d: %.3g", i, d)
		}
	}
}

// rdConvergence solves rd (ρ = 5, gauss) for m = 1, 10, 50, 100, 200 and
// returns each relative L2 distance to the Richardson extrapolation
// u* = u_200 + (u_200 − u_100)/3 (Strang's error is even in dt) and to u_100.
func rdConvergence(t *testing.T, nu float64) (rel map[int]float64, vs100 map[int]float64) {
	g := PaperGrid()
	u := map[int][]float64{}
	for _, m := range []int{1, 10, 50, 100, 200} {
		u[m] = mustSolve(t, Problem{PDE: ReactionDiffusion, Rho: 5, Nu: nu, IC: "gauss", StrangSteps: m}, g)
	}
	star := make([]float64, g.Len())
	for k := range star {
		star[k] = u[200][k] + (u[200][k]-u[100][k])/3
	}
	rel, vs100 = map[int]float64{}, map[int]float64{}
	for m, um := range u {
		rel[m], _, _ = Metrics(um, star)
		vs100[m], _, _ = Metrics(um, u[100])
	}
	return rel, vs100
}

// TestRDStrangConvergence checks second order and the reference doc's
// numbers (ρ = 5, gauss, relative L2 over the 256 × 100 grid).
func TestRDStrangConvergence(t *testing.T) {
	for _, tc := range []struct {
		nu            float64
		m1vs100       float64 // reference doc: 2e-5, 6e-5
		m10vs100      float64 // reference doc: 2e-7, 6e-7
		m50vs100Below float64 // reference doc: about 1e-8
	}{
		{2, 2.15e-5, 2.13e-7, 1e-8},
		{5, 6.18e-5, 6.13e-7, 3e-8},
	} {
		rel, vs100 := rdConvergence(t, tc.nu)
		t.Logf("ν = %g: vs m = 100: m=1 %.3g, m=10 %.3g, m=50 %.3g; vs extrapolated: m=1 %.3g, m=10 %.3g, m=50 %.3g, m=100 %.3g, m=200 %.3g",
			tc.nu, vs100[1], vs100[10], vs100[50], rel[1], rel[10], rel[50], rel[100], rel[200])
		if math.Abs(vs100[1]/tc.m1vs100-1) > 0.05 || math.Abs(vs100[10]/tc.m10vs100-1) > 0.05 || vs100[50] > tc.m50vs100Below {
			t.Errorf("ν = %g: m = 1, 10, 50 vs m = 100: %.3g, %.3g, %.3g; want ≈ %.3g, ≈ %.3g, < %.3g",
				tc.nu, vs100[1], vs100[10], vs100[50], tc.m1vs100, tc.m10vs100, tc.m50vs100Below)
		}
		for _, pair := range [][2]int{{1, 10}, {10, 50}, {50, 100}, {100, 200}} {
			a, b := pair[0], pair[1]
			order := math.Log(rel[a]/rel[b]) / math.Log(float64(b)/float64(a))
			t.Logf("ν = %g: observed order m = %d → %d: %.3f", tc.nu, a, b, order)
			if math.Abs(order-2) > 0.05 {
				t.Errorf("ν = %g: observed order m = %d → %d is %.3f, want 2", tc.nu, a, b, order)
			}
		}
		if rel[100] > 1e-8 {
			t.Errorf("ν = %g: m = 100 error estimate %.3g > 1e-8", tc.nu, rel[100])
		}
	}
}

// TestRDPublicDefects reproduces the reference doc's §3.4 table (ρ = 5).
func TestRDPublicDefects(t *testing.T) {
	g := PaperGrid()
	g101 := Grid{NX: 256, NT: 101} // t_i = i/100 = 0.01·i, the public rows' true times
	for _, tc := range []struct {
		nu                          float64
		lieSameTimes, label, public float64
	}{
		{2, 2.5e-3, 4.4e-3, 6.8e-3},
		{5, 2.9e-3, 3.7e-3, 6.3e-3},
	} {
		pub := mustSolve(t, Problem{PDE: ReactionDiffusion, Rho: 5, Nu: tc.nu, IC: "gauss", Mode: ModePublic}, g)
		fine := mustSolve(t, Problem{PDE: ReactionDiffusion, Rho: 5, Nu: tc.nu, IC: "gauss"}, g)
		fine101 := mustSolve(t, Problem{PDE: ReactionDiffusion, Rho: 5, Nu: tc.nu, IC: "gauss"}, g101)[:g.Len()]
		lie, _, _ := Metrics(pub, fine101)
		label, _, _ := Metrics(fine101, fine)
		public, _, _ := Metrics(pub, fine)
		t.Logf("ν = %g: Lie vs converged (same times) %.3g, label mismatch %.3g, public vs converged %.3g",
			tc.nu, lie, label, public)
		for _, c := range []struct {
			name      string
			got, want float64
		}{{"Lie", lie, tc.lieSameTimes}, {"label", label, tc.label}, {"public", public, tc.public}} {
			if math.Abs(c.got/c.want-1) > 0.05 {
				t.Errorf("ν = %g: %s defect %.3g, reference doc %.2g", tc.nu, c.name, c.got, c.want)
			}
		}
	}
}

// BenchmarkSolveRD times the default rd reference on the paper grid
// (ρ = 5, ν = 3, gauss, m = 100: 9,900 Strang steps, two 256-point FFTs each).
func BenchmarkSolveRD(b *testing.B) {
	p := Problem{PDE: ReactionDiffusion, Rho: 5, Nu: 3, IC: "gauss"}
	g := PaperGrid()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Solve(p, g); err != nil {
			b.Fatal(err)
		}
	}
}
