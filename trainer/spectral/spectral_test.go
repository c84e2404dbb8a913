package spectral

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// known is a symmetric matrix U·diag(λ)·Uᵀ with a random orthogonal U.
type known struct {
	n      int
	lambda []float64
	u      *mat.Dense // eigenvectors as columns
	a      *mat.Dense
}

func newKnown(t *testing.T, lambda []float64, seed uint64) *known {
	t.Helper()
	n := len(lambda)
	rng := rand.New(rand.NewPCG(seed, 1))
	g := mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			g.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	u := mat.NewDense(n, n, nil)
	qr.QTo(u)
	var ud mat.Dense
	ud.Mul(u, mat.NewDiagDense(n, lambda))
	a := mat.NewDense(n, n, nil)
	a.Mul(&ud, u.T())
	// Symmetrise away the rounding.
	for i := range n {
		for j := range i {
			v := 0.5 * (a.At(i, j) + a.At(j, i))
			a.Set(i, j, v)
			a.Set(j, i, v)
		}
	}
	return &known{n: n, lambda: lambda, u: u, a: a}
}

func (k *known) op(dst, v []float64) error {
	mat.NewVecDense(k.n, dst).MulVec(k.a, mat.NewVecDense(k.n, v))
	return nil
}

// eigvec returns the unit eigenvector of λ_i.
func (k *known) eigvec(i int) []float64 { return mat.Col(nil, i, k.u) }

func rademacher(rng *rand.Rand, n int) []float64 {
	z := make([]float64, n)
	for i := range z {
		z[i] = float64(1 - 2*int(rng.Uint64()&1))
	}
	return z
}

// spikedSpectrum has three outliers over a bulk in [−1, 1].
func spikedSpectrum(n int) []float64 {
	l := make([]float64, n)
	for i := range l {
		l[i] = -1 + 2*float64(i)/float64(n-1)
	}
	l[0], l[1], l[2] = 1000, 300, 100
	return l
}

func TestTopEigenKnownSpectrum(t *testing.T) {
	for _, tc := range []struct {
		name   string
		lambda []float64
		k      int
		want   []float64
		// vectors: index into lambda of each wanted eigenvalue (-1: a
		// repeated eigenvalue, whose vectors are checked for the span)
		idx      []int
		maxSteps int
	}{
		{"spiked", spikedSpectrum(200), 3, []float64{1000, 300, 100}, []int{0, 1, 2}, 60},
		{"negative top", []float64{-0.5, -2, -3, -7, -9, -11, -20, -30}, 2, []float64{-0.5, -2}, []int{0, 1}, 8},
		// A double eigenvalue over a 27-fold one: the Krylov space of one
		// start vector is 3-dimensional and holds one copy of 5; the restart
		// after the invariant subspace finds the other.
		{"double", append([]float64{5, 5, 3}, slices.Repeat([]float64{1}, 27)...), 3, []float64{5, 5, 3}, []int{-1, -1, 2}, 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newKnown(t, tc.lambda, 7)
			rng := rand.New(rand.NewPCG(3, 4))
			e, err := TopEigen(k.op, rademacher(rng, k.n), EigenOptions{K: tc.k, MaxSteps: tc.maxSteps, Tol: 1e-8}, rng)
			if err != nil {
				t.Fatal(err)
			}
			if !e.Converged {
				t.Errorf("not converged after %d steps: residuals %v", e.Run.Steps(), e.Residuals)
			}
			for i, want := range tc.want {
				if math.Abs(e.Values[i]-want) > 1e-9*math.Max(1, math.Abs(want)) {
					t.Errorf("λ_%d = %.15g, want %g", i+1, e.Values[i], want)
				}
				y := e.Vectors[i]
				if d := math.Abs(norm(y) - 1); d > 1e-10 {
					t.Errorf("‖y_%d‖ − 1 = %g", i+1, d)
				}
				if j := tc.idx[i]; j >= 0 {
					if c := math.Abs(dot(y, k.eigvec(j))); c < 1-1e-9 {
						t.Errorf("|⟨y_%d, u⟩| = %.12f, want 1", i+1, c)
					}
				} else {
					// In the span of the eigenvectors of the repeated value.
					c0, c1 := dot(y, k.eigvec(0)), dot(y, k.eigvec(1))
					if s := c0*c0 + c1*c1; s < 1-1e-9 {
						t.Errorf("y_%d has %.12f of its norm² in the double eigenspace, want 1", i+1, s)
					}
				}
			}
			if tc.name == "double" {
				if e.Run.Restarts == 0 {
					t.Error("no restart, yet the second copy of λ = 5 was wanted")
				}
				if c := math.Abs(dot(e.Vectors[0], e.Vectors[1])); c > 1e-9 {
					t.Errorf("the two vectors of λ = 5 are not orthogonal: %g", c)
				}
			}
			t.Logf("%d steps, %d products, %d restarts, residuals %.2g", e.Run.Steps(), e.Run.Products, e.Run.Restarts, e.Residuals)
		})
	}
}

func linspace(a, b float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = a + (b-a)*float64(i)/float64(n-1)
	}
	return out
}

// TestTopEigenStopsEarly checks the convergence test: well-separated top
// eigenvalues converge in far fewer steps than n, and MinSteps is honoured.
func TestTopEigenStopsEarly(t *testing.T) {
	k := newKnown(t, spikedSpectrum(300), 9)
	rng := rand.New(rand.NewPCG(5, 6))
	e, err := TopEigen(k.op, rademacher(rng, k.n), EigenOptions{K: 2, MaxSteps: 100, Tol: 1e-6}, rng)
	if err != nil {
		t.Fatal(err)
	}
	if !e.Converged || e.Run.Steps() >= 40 {
		t.Errorf("converged %v after %d steps: want convergence well before 40", e.Converged, e.Run.Steps())
	}
	if e.Run.Products != e.Run.Steps() {
		t.Errorf("%d products for %d steps", e.Run.Products, e.Run.Steps())
	}
	e2, err := TopEigen(k.op, rademacher(rng, k.n), EigenOptions{K: 2, MinSteps: 50, MaxSteps: 100, Tol: 1e-6}, rng)
	if err != nil {
		t.Fatal(err)
	}
	if e2.Run.Steps() != 50 {
		t.Errorf("MinSteps 50: stopped after %d steps", e2.Run.Steps())
	}
	// Not converged within the cap: Converged is false, the values are the best so far.
	e3, err := TopEigen(k.op, rademacher(rng, k.n), EigenOptions{K: 2, MaxSteps: 3, Tol: 1e-12}, rng)
	if err != nil {
		t.Fatal(err)
	}
	if e3.Converged || e3.Run.Steps() != 3 || len(e3.Values) != 2 {
		t.Errorf("capped at 3 steps: converged %v, %d steps, %d values", e3.Converged, e3.Run.Steps(), len(e3.Values))
	}
}

// TestLanczosOrthogonality checks that full reorthogonalisation keeps the
// basis orthonormal to working precision on a matrix whose outlier makes
// plain Lanczos lose orthogonality.
func TestLanczosOrthogonality(t *testing.T) {
	k := newKnown(t, spikedSpectrum(150), 11)
	rng := rand.New(rand.NewPCG(1, 1))
	run, err := NewLanczos(k.op, rademacher(rng, k.n), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 80 {
		if err := run.Step(); err != nil {
			t.Fatal(err)
		}
	}
	worst := 0.0
	for i, qi := range run.Q {
		for j, qj := range run.Q[:i+1] {
			want := 0.0
			if i == j {
				want = 1
			}
			worst = math.Max(worst, math.Abs(dot(qi, qj)-want))
		}
	}
	if worst > 1e-13 {
		t.Errorf("max |QᵀQ − I| = %g", worst)
	}
	// No ghost copies of the outliers among the Ritz values.
	theta, _, _ := run.Ritz()
	near := 0
	for _, v := range theta {
		if math.Abs(v-1000) < 1 {
			near++
		}
	}
	if near != 1 {
		t.Errorf("%d Ritz values near 1000, want 1 (ghosts): %v", near, theta[len(theta)-4:])
	}
}

// TestQuadratureExactness checks the Gauss property of a Lanczos run of m
// steps: Σ w_i θ_i^p = vᵀA^p v for p ≤ 2m − 1.
func TestQuadratureExactness(t *testing.T) {
	lambda := linspace(-1, 2, 60)
	k := newKnown(t, lambda, 13)
	rng := rand.New(rand.NewPCG(2, 2))
	v := rademacher(rng, k.n)
	scal(1/norm(v), v)
	run, err := NewLanczos(k.op, v, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	const m = 6
	for range m {
		if err := run.Step(); err != nil {
			t.Fatal(err)
		}
	}
	nodes, weights := run.Quadrature()
	if s := sum(weights); math.Abs(s-1) > 1e-13 {
		t.Errorf("weights sum to %.15g", s)
	}
	av := slices.Clone(v)
	for p := 0; p <= 2*m-1; p++ {
		if p > 0 {
			next := make([]float64, k.n)
			_ = k.op(next, av)
			av = next
		}
		want := dot(v, av)
		got := 0.0
		for i, th := range nodes {
			got += weights[i] * math.Pow(th, float64(p))
		}
		if math.Abs(got-want) > 1e-11*math.Max(1, math.Abs(want)) {
			t.Errorf("p = %d: Σwθ^p = %.15g, vᵀAᵖv = %.15g", p, got, want)
		}
	}
}

// TestQuadratureStopsAtInvariantSubspace: on a rank-3 matrix a run
// without restarts ends after 4 steps with the exact spectral measure of
// its start vector.
func TestQuadratureStopsAtInvariantSubspace(t *testing.T) {
	lambda := make([]float64, 40)
	lambda[0], lambda[1], lambda[2] = 4, 2, -1
	k := newKnown(t, lambda, 17)
	rng := rand.New(rand.NewPCG(8, 8))
	v := rademacher(rng, k.n)
	scal(1/norm(v), v)
	run, _ := NewLanczos(k.op, v, false, nil)
	for range 20 {
		if err := run.Step(); err != nil {
			t.Fatal(err)
		}
	}
	if run.Steps() != 4 || !run.Done() {
		t.Fatalf("%d steps, done %v: want 4 and done", run.Steps(), run.Done())
	}
	nodes, weights := run.Quadrature()
	for i, want := range []float64{-1, 0, 2, 4} {
		if math.Abs(nodes[i]-want) > 1e-10 {
			t.Errorf("node %d = %g, want %g", i, nodes[i], want)
		}
	}
	// The weight of 4 is ⟨v, u_0⟩².
	if c := dot(v, k.eigvec(0)); math.Abs(weights[3]-c*c) > 1e-12 {
		t.Errorf("weight of λ = 4: %g, want %g", weights[3], c*c)
	}
}

func sum(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

func TestHutchinson(t *testing.T) {
	// A diagonal matrix: zᵀDz = tr D for every Rademacher z.
	d := linspace(-3, 10, 50)
	diag := func(dst, v []float64) error {
		for i := range v {
			dst[i] = d[i] * v[i]
		}
		return nil
	}
	rng := rand.New(rand.NewPCG(1, 2))
	tr, err := Hutchinson(diag, len(d), TraceOptions{}, rng)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(tr.Value-sum(d)) > 1e-12 || tr.StdErr > 1e-12 || tr.Probes != 10 || !tr.Converged {
		t.Errorf("diagonal: %+v, want trace %g exactly after 10 probes", tr, sum(d))
	}

	// A dense spiked matrix: the plain estimate is noisy; deflating the
	// Lanczos basis, which holds the outliers, makes it tight.
	lambda := spikedSpectrum(300)
	k := newKnown(t, lambda, 19)
	want := sum(lambda)
	plain, err := Hutchinson(k.op, k.n, TraceOptions{MaxProbes: 30}, rand.New(rand.NewPCG(3, 3)))
	if err != nil {
		t.Fatal(err)
	}
	e, err := TopEigen(k.op, rademacher(rng, k.n), EigenOptions{K: 3, MinSteps: 20, MaxSteps: 20}, rng)
	if err != nil {
		t.Fatal(err)
	}
	defl, err := Hutchinson(k.op, k.n, TraceOptions{Deflate: e.Run.Q, DeflatedTrace: sum(e.Run.Alpha)}, rand.New(rand.NewPCG(3, 3)))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("trace %g: plain %g ± %g (%d probes), deflated %g ± %g (%d probes)", want, plain.Value, plain.StdErr, plain.Probes,
		defl.Value, defl.StdErr, defl.Probes)
	if !defl.Converged || defl.StdErr > 1e-2*math.Abs(defl.Value) {
		t.Errorf("deflated estimate did not meet its tolerance: %+v", defl)
	}
	if math.Abs(defl.Value-want) > 4*defl.StdErr+1e-9 {
		t.Errorf("deflated %g ± %g, want %g", defl.Value, defl.StdErr, want)
	}
	if defl.StdErr > plain.StdErr/10 {
		t.Errorf("deflation did not reduce the standard error tenfold: %g against %g", defl.StdErr, plain.StdErr)
	}
}

func TestSmoothDensity(t *testing.T) {
	// Half the eigenvalues near −1, half near 2, over n = 400: one SLQ
	// run of 30 steps puts about half the mass near each.
	n := 400
	lambda := make([]float64, n)
	for i := range lambda {
		if i < n/2 {
			lambda[i] = -1 + 0.01*float64(i)/float64(n)
		} else {
			lambda[i] = 2 + 0.01*float64(i)/float64(n)
		}
	}
	k := newKnown(t, lambda, 23)
	rng := rand.New(rand.NewPCG(4, 4))
	var nodes, weights [][]float64
	for range 3 {
		v := rademacher(rng, n)
		run, _ := NewLanczos(k.op, v, false, nil)
		for range 30 {
			if err := run.Step(); err != nil {
				t.Fatal(err)
			}
		}
		nd, w := run.Quadrature()
		nodes, weights = append(nodes, nd), append(weights, w)
	}
	d, err := SmoothDensity(nodes, weights, 30)
	if err != nil {
		t.Fatal(err)
	}
	if s := sum(d.Mass); math.Abs(s-1) > 3e-3 {
		t.Errorf("mass sums to %g", s)
	}
	width := (d.Hi - d.Lo) / float64(len(d.Mass))
	low, high := 0.0, 0.0
	for b, m := range d.Mass {
		c := d.Lo + (float64(b)+0.5)*width
		switch {
		case math.Abs(c+1) < 0.5:
			low += m
		case math.Abs(c-2) < 0.5:
			high += m
		default:
			if m > 1e-6 {
				t.Errorf("bin at %g has mass %g, want none between the clusters", c, m)
			}
		}
	}
	if math.Abs(low-0.5) > 0.05 || math.Abs(high-0.5) > 0.05 {
		t.Errorf("mass near −1: %g, near 2: %g; want about 0.5 each", low, high)
	}
	if want := math.Sqrt(KernelVariance * 3.01); math.Abs(d.Sigma-want) > 1e-3*want {
		t.Errorf("σ = %g, want %g", d.Sigma, want)
	}
}

func TestErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	bad := errors.New("operator failed")
	failing := func(dst, v []float64) error { return bad }
	nan := func(dst, v []float64) error {
		dst[0] = math.NaN()
		return nil
	}
	if _, err := TopEigen(failing, []float64{1, 2}, EigenOptions{}, rng); !errors.Is(err, bad) {
		t.Errorf("operator error: got %v", err)
	}
	if _, err := TopEigen(nan, []float64{1, 2}, EigenOptions{}, rng); !errors.Is(err, ErrNotFinite) {
		t.Errorf("NaN product: got %v", err)
	}
	if _, err := Hutchinson(nan, 2, TraceOptions{}, rng); !errors.Is(err, ErrNotFinite) {
		t.Errorf("NaN product in Hutchinson: got %v", err)
	}
	for _, c := range []struct {
		start []float64
		opt   EigenOptions
	}{
		{[]float64{0, 0}, EigenOptions{}},
		{[]float64{1, math.Inf(1)}, EigenOptions{}},
		{nil, EigenOptions{}},
		{[]float64{1, 1}, EigenOptions{K: 3}},
		{[]float64{1, 1}, EigenOptions{Tol: -1}},
	} {
		if _, err := TopEigen(nan, c.start, c.opt, rng); !errors.Is(err, ErrBadInput) {
			t.Errorf("start %v, %+v: got %v, want ErrBadInput", c.start, c.opt, err)
		}
	}
	if _, err := SmoothDensity([][]float64{{1}}, [][]float64{{math.NaN()}}, 4); !errors.Is(err, ErrBadInput) {
		t.Errorf("NaN weight: got %v", err)
	}
	if _, err := SmoothDensity(nil, nil, 4); !errors.Is(err, ErrBadInput) {
		t.Errorf("no runs: got %v", err)
	}
}
