package optim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"
)

// TestLBFGSRosenbrock runs from the standard start (−1.2, 1, …). With
// PyTorch's default tolerance_change (1e-9) the gᵀd and Δf rules stop
// L-BFGS about 4e-5 from the minimiser of the 2-D function, as PyTorch does;
// reaching ‖x − 1‖ < 1e-5 takes TolChange = 1e-12.
func TestLBFGSRosenbrock(t *testing.T) {
	tests := []struct {
		name string
		n    int
		f    Func
		s    Settings
		tol  float64
	}{
		{"2-D", 2, rosenChained, Settings{TolChange: 1e-12}, 1e-5},
		{"extended 10-D", 10, rosenExtended, Settings{TolChange: 1e-12}, 1e-5},
		{"extended 100-D", 100, rosenExtended, Settings{TolChange: 1e-12}, 1e-5},
		{"chained 10-D", 10, rosenChained, Settings{TolChange: 1e-12}, 1e-5},
		{"chained 100-D", 100, rosenChained, Settings{TolChange: 1e-12}, 1e-5},
		{"2-D history 5", 2, rosenChained, Settings{TolChange: 1e-12, History: 5}, 1e-5},
		{"chained 100-D history 5", 100, rosenChained, Settings{TolChange: 1e-15, History: 5}, 1e-5},
		{"2-D PyTorch tolerances", 2, rosenChained, Settings{}, 1e-4},
		{"extended 100-D PyTorch tolerances", 100, rosenExtended, Settings{}, 1e-4},
		{"2-D tolerances off", 2, rosenChained, Settings{TolGrad: -1, TolChange: -1}, 1e-12},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := rosenStart(tc.n)
			tc.s.MaxIters = 5000
			o := NewLBFGS(tc.n, tc.s)
			res, err := o.Minimize(context.Background(), tc.f, x)
			if err != nil {
				t.Fatal(err)
			}
			if !Converged(res.Reason) {
				t.Errorf("reason %q, want a tolerance stop", res.Reason)
			}
			if d := dist1(x); d >= tc.tol {
				t.Errorf("‖x−1‖ = %g after %d iters, %d evals (%s), f = %g", d, res.Iters, res.Evals, res.Reason, res.F)
			}
			t.Logf("iters %d evals %d reason %s f %.3g ‖x−1‖ %.3g", res.Iters, res.Evals, res.Reason, res.F, dist1(x))
		})
	}
}

// TestLBFGSStrongWolfe checks every accepted step against the strong Wolfe
// conditions, both with the values the line search saw (trace hook) and by
// re-evaluating the objective at consecutive iterates (callback).
func TestLBFGSStrongWolfe(t *testing.T) {
	tests := []struct {
		name string
		n    int
		f    Func
		x0   []float64
		s    Settings
	}{
		{"rosen 2-D", 2, rosenChained, rosenStart(2), Settings{}},
		{"rosen chained 10-D", 10, rosenChained, rosenStart(10), Settings{}},
		{"rosen 2-D lr 0.1", 2, rosenChained, rosenStart(2), Settings{LR: 0.1}},
		{"rosen 2-D history 3", 2, rosenChained, rosenStart(2), Settings{History: 3}},
		{"quadratic 50-D cond 1e4", 50, quad(50, 1e4), make([]float64, 50), Settings{}},
		{"quadratic 50-D lr 10", 50, quad(50, 1e2), make([]float64, 50), Settings{LR: 10}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := slices.Clone(tc.x0)
			tc.s.MaxIters = 2000
			var traces []lsTrace
			iterates := [][]float64{slices.Clone(x)}
			tc.s.Callback = func(p Progress) { iterates = append(iterates, slices.Clone(x)) }
			o := NewLBFGS(tc.n, tc.s)
			o.trace = func(tr lsTrace) { traces = append(traces, tr) }
			res, err := o.Minimize(context.Background(), tc.f, x)
			if err != nil {
				t.Fatal(err)
			}
			if len(traces) != len(iterates)-1 {
				t.Fatalf("%d line searches, %d accepted steps", len(traces), len(iterates)-1)
			}
			done := 0
			for k, tr := range traces {
				r := tr.res
				if r.evals > o.maxLS+1 {
					t.Errorf("search %d: %d evaluations > max_ls+1 = %d", k, r.evals, o.maxLS+1)
				}
				if r.f > tr.f0 {
					t.Errorf("search %d: accepted f %g > f0 %g", k, r.f, tr.f0)
				}
				if !r.done {
					continue
				}
				done++
				if !(r.f <= tr.f0+wolfeC1*r.t*tr.gtd0) {
					t.Errorf("search %d: Armijo fails: f %g > %g", k, r.f, tr.f0+wolfeC1*r.t*tr.gtd0)
				}
				if !(math.Abs(r.gtd) <= -wolfeC2*tr.gtd0) {
					t.Errorf("search %d: curvature fails: |gtd| %g > %g", k, math.Abs(r.gtd), -wolfeC2*tr.gtd0)
				}
				// Independent check from the iterates: with s = x⁺ − x = t·d,
				// f⁺ ≤ f + c1·gᵀs and |g⁺ᵀs| ≤ c2·|gᵀs|.
				xa, xb := iterates[k], iterates[k+1]
				fa, ga := eval(tc.f, xa)
				fb, gb := eval(tc.f, xb)
				s := make([]float64, len(xa))
				for i := range s {
					s[i] = xb[i] - xa[i]
				}
				gs, gbs := dotT(ga, s), dotT(gb, s)
				tol := 1e-9 * (math.Abs(fa) + math.Abs(gs))
				if !(fb <= fa+wolfeC1*gs+tol) {
					t.Errorf("iter %d: Armijo fails on iterates: f⁺ %g, f %g, gᵀs %g", k+1, fb, fa, gs)
				}
				if !(math.Abs(gbs) <= wolfeC2*math.Abs(gs)*(1+1e-9)+1e-300) {
					t.Errorf("iter %d: curvature fails on iterates: |g⁺ᵀs| %g, |gᵀs| %g", k+1, math.Abs(gbs), math.Abs(gs))
				}
			}
			if frac := float64(done) / float64(len(traces)); frac < 0.9 {
				t.Errorf("only %d of %d line searches met the strong Wolfe conditions", done, len(traces))
			}
			t.Logf("%s: %d iters, %d evals, %d/%d searches Wolfe", res.Reason, res.Iters, res.Evals, done, len(traces))
		})
	}
}

// TestLBFGSLineSearchCap: on an unbounded linear function every search
// extrapolates (×10 per step) until max_ls is exhausted, so one iteration
// costs exactly max_ls+1 evaluations, as in PyTorch.
func TestLBFGSLineSearchCap(t *testing.T) {
	tests := []struct {
		maxLS     int
		wantEvals int // including the initial evaluation
	}{
		{0, 1 + 26}, // default max_ls = 25
		{25, 1 + 26},
		{24, 1 + 25},
		{5, 1 + 6},
		{1, 1 + 2},
	}
	for _, tc := range tests {
		x := []float64{0}
		var traces []lsTrace
		o := NewLBFGS(1, Settings{MaxLineSearch: tc.maxLS, MaxIters: 1})
		o.trace = func(tr lsTrace) { traces = append(traces, tr) }
		res, err := o.Minimize(context.Background(), linear, x)
		if err != nil || res.Reason != ReasonMaxIters || res.Evals != tc.wantEvals || res.Iters != 1 {
			t.Errorf("MaxLineSearch %d: %+v, %v; want %d evals, max_iters", tc.maxLS, res, err, tc.wantEvals)
			continue
		}
		if len(traces) != 1 || traces[0].res.done {
			t.Fatalf("MaxLineSearch %d: traces %+v", tc.maxLS, traces)
		}
		// extrapolation by exactly 10× per bracketing step, starting at t = 1
		want := 1.0
		for i := 0; i < tc.wantEvals-2; i++ {
			want *= 10
		}
		if got := traces[0].res.t; got != want {
			t.Errorf("MaxLineSearch %d: accepted t = %g, want %g", tc.maxLS, got, want)
		}
		if x[0] != want {
			t.Errorf("MaxLineSearch %d: x = %g, want %g", tc.maxLS, x[0], want)
		}
	}
}

// TestLBFGSFirstStep: the first line search starts at t = min(1, 1/‖g‖₁)·lr
// along d = −g; later ones (also in later calls) at t = lr; Reset restores
// the first-step rule.
func TestLBFGSFirstStep(t *testing.T) {
	tests := []struct {
		name string
		lr   float64
		x0   []float64
		f    Func
	}{
		{"large gradient", 1, rosenStart(2), rosenChained},
		{"large gradient lr 0.3", 0.3, rosenStart(4), rosenChained},
		{"small gradient", 1, []float64{0.1, 0.9}, quad(2, 10)},
		{"small gradient lr 2", 2, []float64{-0.05, 0.8}, quad(2, 10)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := len(tc.x0)
			var calls [][]float64
			f := func(x, g []float64) float64 {
				calls = append(calls, slices.Clone(x))
				return tc.f(x, g)
			}
			_, g0 := eval(tc.f, tc.x0)
			wantT := math.Min(1, 1/sumAbs(g0)) * tc.lr
			var t0s []float64
			o := NewLBFGS(n, Settings{LR: tc.lr, MaxIters: 3, TolGrad: -1, TolChange: -1})
			o.trace = func(tr lsTrace) { t0s = append(t0s, tr.t0) }

			for round := 0; round < 2; round++ {
				calls, t0s = nil, nil
				x := slices.Clone(tc.x0)
				if _, err := o.Minimize(context.Background(), f, x); err != nil {
					t.Fatal(err)
				}
				if len(calls) < 2 || len(t0s) != 3 {
					t.Fatalf("round %d: %d calls, %d searches", round, len(calls), len(t0s))
				}
				if t0s[0] != wantT {
					t.Errorf("round %d: first t = %g, want %g", round, t0s[0], wantT)
				}
				for i := range tc.x0 {
					if want := tc.x0[i] + wantT*-g0[i]; calls[1][i] != want {
						t.Errorf("round %d: first trial x[%d] = %v, want %v", round, i, calls[1][i], want)
					}
				}
				for k, t0 := range t0s[1:] {
					if t0 != tc.lr {
						t.Errorf("round %d: search %d starts at %g, want lr %g", round, k+2, t0, tc.lr)
					}
				}
				// a continuation keeps the state: starts at lr
				t0s = nil
				if _, err := o.Minimize(context.Background(), f, x); err != nil {
					t.Fatal(err)
				}
				if len(t0s) == 0 || t0s[0] != tc.lr {
					t.Errorf("round %d: continuation starts at %v, want %g", round, t0s, tc.lr)
				}
				o.Reset()
			}
		})
	}
}

func TestMemory(t *testing.T) {
	t.Run("curvature threshold", func(t *testing.T) {
		var m memory
		m.init(5, false)
		prev := []float64{0, 0}
		d := []float64{1, 0}
		// ys = y₀·s₀ = (g₀−0)·(1·t)
		for _, tc := range []struct {
			g0, t float64
			store bool
		}{
			{1e-10, 1, false}, // ys == 1e-10 exactly: not stored (strict >)
			{0.5e-10, 1, false},
			{1e-10, 1 + 1e-9, true},
			{-1, 1, false},
			{0, 1, false},
			{2e-10, 1, true},
			{1, 1, true},
		} {
			before := m.count
			_, _, stored := m.push([]float64{tc.g0, 0}, prev, d, tc.t)
			if stored != tc.store || m.count != before+b2i(tc.store) {
				t.Errorf("ys = %g: stored %v (count %d→%d), want %v", tc.g0*tc.t, stored, before, m.count, tc.store)
			}
		}
	})
	t.Run("FIFO", func(t *testing.T) {
		var m memory
		m.init(3, false)
		for k := 1; k <= 7; k++ {
			// pair k has s = (k, 0), y = (1, 0): ys = k
			if _, _, ok := m.push([]float64{1, 0}, []float64{0, 0}, []float64{float64(k), 0}, 1); !ok {
				t.Fatal("not stored")
			}
			// a rejected candidate in between must not disturb the memory
			m.push([]float64{0, 0}, []float64{0, 0}, []float64{1, 1}, 1)
			want := []float64{}
			for j := max(1, k-2); j <= k; j++ {
				want = append(want, float64(j))
			}
			got := []float64{}
			for i := 0; i < m.count; i++ {
				j := m.slot(i)
				got = append(got, m.v64[sVec][j][0])
				if m.ro[j] != 1/m.v64[sVec][j][0] {
					t.Errorf("ro = %g for s %g", m.ro[j], m.v64[sVec][j][0])
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("after %d pushes: s = %v, want %v", k, got, want)
			}
		}
	})
	for _, f32 := range []bool{false, true} {
		t.Run(fmt.Sprintf("secant/float32=%v", f32), func(t *testing.T) { secant(t, f32) })
	}
	t.Run("skip on linear objective", func(t *testing.T) {
		o := NewLBFGS(3, Settings{MaxIters: 4, MaxLineSearch: 2})
		x := make([]float64, 3)
		if _, err := o.Minimize(context.Background(), linear, x); err != nil {
			t.Fatal(err)
		}
		if it, _ := o.Totals(); it != 4 || o.mem.count != 0 {
			t.Errorf("iters %d, pairs stored %d; want 4, 0 (y = 0 ⇒ yᵀs = 0)", it, o.mem.count)
		}
	})
}

// secant checks that pairs from a quadratic with Hessian A give an L-BFGS
// matrix H with H·y = s for the newest pair: to 1e-12 with float64 pairs,
// to 1e-6 (the float32 rounding of the pair) with HistoryFloat32.
func secant(t *testing.T, f32 bool) {
	n := 6
	var m memory
	m.init(4, f32)
	A := func(v, out []float64) {
		for i := range v {
			out[i] = float64(i+1) * v[i]
			if i > 0 {
				out[i] += 0.5 * v[i-1]
			}
			if i+1 < n {
				out[i] += 0.5 * v[i+1]
			}
		}
	}
	var s, y []float64
	for k := 0; k < 6; k++ {
		s = make([]float64, n)
		for i := range s {
			s[i] = math.Sin(float64(3*k + i + 1))
		}
		y = make([]float64, n)
		A(s, y)
		if _, _, ok := m.push(y, make([]float64, n), s, 1); !ok {
			t.Fatal("pair rejected")
		}
	}
	hDiag := dotT(y, s) / dotT(y, y)
	d := make([]float64, n)
	m.direction(y, hDiag, d) // d = −H·y
	for i := range d {
		tol := 1e-12
		if f32 {
			tol = 1e-6
		}
		if math.Abs(d[i]+s[i]) > tol {
			t.Errorf("(H·y)[%d] = %g, want s = %g", i, -d[i], s[i])
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestCubicInterpolate(t *testing.T) {
	// f(x) = x³ − 3x: local minimiser 1.
	f := func(x float64) (float64, float64) { return x*x*x - 3*x, 3*x*x - 3 }
	f0, g0 := f(0)
	f2, g2 := f(2)
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"exact cubic", cubicInBracket(0, f0, g0, 2, f2, g2), 1},
		{"exact cubic, reversed", cubicInBracket(2, f2, g2, 0, f0, g0), 1},
		{"clamped low", cubicInterpolate(0, f0, g0, 2, f2, g2, 1.5, 3), 1.5},
		{"clamped high", cubicInterpolate(0, f0, g0, 2, f2, g2, -1, 0.5), 0.5},
		// no real minimiser (d1² < g1·g2): midpoint of the bounds
		{"midpoint", cubicInterpolate(0, 0, 1, 1, 0.5, 1, 0, 4), 2},
	}
	for _, tc := range tests {
		if math.Abs(tc.got-tc.want) > 1e-15 {
			t.Errorf("%s: %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestLBFGSCancel(t *testing.T) {
	for _, k := range []int{1, 2, 3, 5, 8, 13, 40} {
		ctx, cancel := context.WithCancel(context.Background())
		calls := 0
		f := func(x, g []float64) float64 {
			calls++
			if calls == k {
				cancel()
			}
			return rosenChained(x, g)
		}
		x0 := rosenStart(10)
		x := slices.Clone(x0)
		o := NewLBFGS(10, Settings{})
		res, err := o.Minimize(ctx, f, x)
		cancel()
		if !errors.Is(err, context.Canceled) || res.Reason != ReasonCancelled {
			t.Errorf("k=%d: reason %q err %v", k, res.Reason, err)
		}
		if calls != k || res.Evals != k {
			t.Errorf("k=%d: %d calls, Evals %d; want exactly %d", k, calls, res.Evals, k)
		}
		fx, _ := eval(rosenChained, x)
		f0, _ := eval(rosenChained, x0)
		if !allFinite(x) || fx > f0 || fx != res.F {
			t.Errorf("k=%d: f(x) = %g, Result.F %g, f(x0) = %g", k, fx, res.F, f0)
		}
	}
	// already cancelled: no evaluation at all
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	x := rosenStart(2)
	res, err := NewLBFGS(2, Settings{}).Minimize(ctx, func(x, g []float64) float64 {
		t.Fatal("evaluated after cancellation")
		return 0
	}, x)
	if !errors.Is(err, context.Canceled) || res.Evals != 0 || res.Reason != ReasonCancelled || !math.IsNaN(res.F) {
		t.Errorf("pre-cancelled: %+v, %v", res, err)
	}
}

func TestLBFGSDiverged(t *testing.T) {
	for _, kind := range []string{"nan loss", "inf loss", "inf grad", "nan grad"} {
		for k := 1; k <= 30; k++ {
			calls := 0
			f := func(x, g []float64) float64 {
				calls++
				v := rosenChained(x, g)
				if calls == k {
					switch kind {
					case "nan loss":
						v = math.NaN()
					case "inf loss":
						v = math.Inf(1)
					case "inf grad":
						g[len(g)-1] = math.Inf(-1)
					case "nan grad":
						g[0] = math.NaN()
					}
				}
				return v
			}
			x0 := rosenStart(4)
			x := slices.Clone(x0)
			last := slices.Clone(x0)
			o := NewLBFGS(4, Settings{Callback: func(Progress) { copy(last, x) }})
			res, err := o.Minimize(context.Background(), f, x)
			if res.Reason != ReasonDiverged || !errors.Is(err, ErrDiverged) || res.Evals != k || calls != k {
				t.Errorf("%s at %d: reason %q, err %v, evals %d, calls %d", kind, k, res.Reason, err, res.Evals, calls)
				continue
			}
			if !slices.Equal(x, last) {
				t.Errorf("%s at %d: x = %v, want last accepted iterate %v", kind, k, x, last)
			}
			if k == 1 {
				if !math.IsNaN(res.F) {
					t.Errorf("%s at 1: F = %g, want NaN", kind, res.F)
				}
			} else if fx, _ := eval(rosenChained, x); fx != res.F {
				t.Errorf("%s at %d: F = %g, f(x) = %g", kind, k, res.F, fx)
			}
		}
	}
}

func TestLBFGSCaps(t *testing.T) {
	for maxEvals := 0; maxEvals <= 60; maxEvals++ {
		for _, maxIters := range []int{0, 1, 2, 3, 7, 20} {
			x := rosenStart(10)
			calls := 0
			f := func(x, g []float64) float64 { calls++; return rosenChained(x, g) }
			iters := 0
			o := NewLBFGS(10, Settings{MaxEvals: maxEvals, MaxIters: maxIters, Callback: func(p Progress) {
				iters++
				if p.Iter != iters || p.Evals > calls {
					t.Errorf("progress %+v after %d callbacks, %d calls", p, iters, calls)
				}
			}})
			res, err := o.Minimize(context.Background(), f, x)
			if err != nil {
				t.Fatal(err)
			}
			if calls != res.Evals {
				t.Errorf("calls %d != Evals %d", calls, res.Evals)
			}
			if maxEvals > 0 && res.Evals > maxEvals {
				t.Errorf("MaxEvals %d MaxIters %d: %d evaluations", maxEvals, maxIters, res.Evals)
			}
			if maxIters > 0 && res.Iters > maxIters {
				t.Errorf("MaxEvals %d MaxIters %d: %d iterations", maxEvals, maxIters, res.Iters)
			}
			switch res.Reason {
			case ReasonMaxEvals:
				if res.Evals != maxEvals {
					t.Errorf("max_evals with %d evals, cap %d", res.Evals, maxEvals)
				}
			case ReasonMaxIters:
				if res.Iters != maxIters {
					t.Errorf("max_iters with %d iters, cap %d", res.Iters, maxIters)
				}
			default:
				if !Converged(res.Reason) {
					t.Errorf("MaxEvals %d MaxIters %d: reason %q", maxEvals, maxIters, res.Reason)
				}
			}
			if fx, _ := eval(rosenChained, x); fx != res.F {
				t.Errorf("F %g != f(x) %g", res.F, fx)
			}
		}
	}
}

// TestLBFGSContinuation: with an unchanged objective, splitting a run into
// several Minimize calls gives bit-identical iterates (each call only adds
// one evaluation at its starting point).
func TestLBFGSContinuation(t *testing.T) {
	const n = 10
	run := func(chunks ...int) ([]float64, int, int) {
		x := rosenStart(n)
		evals := 0
		o := NewLBFGS(n, Settings{})
		for _, c := range chunks {
			o.set.MaxIters = c
			res, err := o.Minimize(context.Background(), rosenChained, x)
			if err != nil || res.Reason != ReasonMaxIters || res.Iters != c {
				t.Fatalf("chunk %d: %+v %v", c, res, err)
			}
			evals += res.Evals
		}
		it, ev := o.Totals()
		if ev != evals {
			t.Errorf("Totals evals %d, sum of Result.Evals %d", ev, evals)
		}
		return x, it, evals
	}
	x20, it20, ev20 := run(20)
	for _, chunks := range [][]int{{10, 10}, {5, 15}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}} {
		x, it, ev := run(chunks...)
		if !slices.Equal(x, x20) {
			t.Errorf("%v: x differs from one call of 20:\n%v\n%v", chunks, x, x20)
		}
		if it != it20 || ev != ev20+len(chunks)-1 {
			t.Errorf("%v: iters %d evals %d; one call: %d, %d", chunks, it, ev, it20, ev20)
		}
	}
}

func TestLBFGSResetAndDeterminism(t *testing.T) {
	const n = 10
	fresh := func() ([]float64, Result) {
		x := rosenStart(n)
		res, err := NewLBFGS(n, Settings{MaxIters: 15}).Minimize(context.Background(), rosenChained, x)
		if err != nil {
			t.Fatal(err)
		}
		return x, res
	}
	xa, ra := fresh()
	xb, rb := fresh()
	if !slices.Equal(xa, xb) || ra.F != rb.F || ra.Evals != rb.Evals {
		t.Fatalf("two fresh runs differ")
	}

	o := NewLBFGS(n, Settings{MaxIters: 15})
	x := rosenStart(n)
	o.Minimize(context.Background(), quad(n, 100), x) // some unrelated history
	o.Minimize(context.Background(), rosenExtended, x)
	o.Reset()
	if it, ev := o.Totals(); it != 0 || ev != 0 {
		t.Errorf("Totals after Reset: %d, %d", it, ev)
	}
	x = rosenStart(n)
	res, err := o.Minimize(context.Background(), rosenChained, x)
	if err != nil || !slices.Equal(x, xa) || res.F != ra.F || res.Evals != ra.Evals || res.Iters != ra.Iters {
		t.Errorf("after Reset: %+v, x %v; fresh: %+v, x %v", res, x, ra, xa)
	}
}

func TestLBFGSStopReasons(t *testing.T) {
	// f = ½·a·x² in 1-D; see the comments for why each rule fires first.
	q := func(a float64) Func {
		return func(x, g []float64) float64 { g[0] = a * x[0]; return 0.5 * a * x[0] * x[0] }
	}
	tests := []struct {
		name       string
		a, x0      float64
		s          Settings
		want       string
		iters, evs int
	}{
		// g = 0 at the start
		{"tol_grad initial", 1, 0, Settings{}, ReasonTolGrad, 0, 1},
		// max|g| = 1e-8 ≤ 1e-7
		{"tol_grad initial small", 1, 1e-8, Settings{}, ReasonTolGrad, 0, 1},
		// first step t = 1/|g| = 1/a... lands exactly on the minimiser
		{"tol_grad after step", 1, 0.5, Settings{}, ReasonTolGrad, 1, 2},
		// gᵀd = −1e-6 > −1e-5
		{"tol_dir", 1, 1e-3, Settings{TolChange: 1e-5}, ReasonTolDir, 1, 1},
		// t = 0.5e-3, |t·d| = 0.5 ≤ 0.6, Wolfe at once (|1−ta| = 0.5)
		{"tol_step", 1000, 1, Settings{LR: 0.5, TolChange: 0.6}, ReasonTolStep, 1, 2},
		// t = 1, x → −0.8x: Δf ≈ 0.025 < 0.1 < |t·d| = 0.5, gᵀd = −0.25
		{"tol_change", 1.8, 0.5 / 1.8, Settings{TolChange: 0.1}, ReasonTolChange, 1, 2},
		{"max_evals 1", 1, 1, Settings{MaxEvals: 1}, ReasonMaxEvals, 0, 1},
	}
	for _, tc := range tests {
		x := []float64{tc.x0}
		res, err := NewLBFGS(1, tc.s).Minimize(context.Background(), q(tc.a), x)
		if err != nil || res.Reason != tc.want || res.Iters != tc.iters || res.Evals != tc.evs {
			t.Errorf("%s: %+v, %v; want %s after %d iters, %d evals", tc.name, res, err, tc.want, tc.iters, tc.evs)
		}
	}
}

func TestLBFGSMaxSeconds(t *testing.T) {
	const limit = 0.03
	f := func(x, g []float64) float64 {
		time.Sleep(2 * time.Millisecond)
		return linear(x, g)
	}
	x := make([]float64, 3)
	res, err := NewLBFGS(3, Settings{MaxSeconds: limit}).Minimize(context.Background(), f, x)
	if err != nil || res.Reason != ReasonMaxSeconds {
		t.Fatalf("%+v, %v", res, err)
	}
	if res.Elapsed < time.Duration(limit*1e9) || res.Elapsed > time.Duration(limit*1e9)+200*time.Millisecond {
		t.Errorf("elapsed %v for a %gs limit", res.Elapsed, limit)
	}
	if !allFinite(x) || x[0] <= 0 {
		t.Errorf("x = %v: the interrupted line search should have moved forward", x)
	}
}

func TestSettingsValidate(t *testing.T) {
	bad := []Settings{
		{LR: -1}, {LR: math.NaN()}, {LR: math.Inf(1)}, {History: -1}, {TolGrad: math.NaN()},
		{TolChange: math.NaN()}, {TolChange: math.Inf(1)}, {MaxLineSearch: -1}, {Beta1: 1}, {Beta1: -0.1},
		{Beta2: 1}, {Eps: -1}, {DecaySteps: -2}, {Decay: -1}, {MaxIters: -1}, {MaxEvals: -1},
		{MaxSeconds: -1}, {MaxSeconds: math.NaN()},
	}
	for _, s := range bad {
		if err := s.Validate(); !errors.Is(err, ErrSettings) {
			t.Errorf("%+v: %v", s, err)
		}
		x := []float64{1}
		for _, o := range []interface {
			Minimize(context.Context, Func, []float64) (Result, error)
		}{NewLBFGS(1, s), NewAdam(1, s)} {
			res, err := o.Minimize(context.Background(), func(x, g []float64) float64 {
				t.Fatal("evaluated with invalid settings")
				return 0
			}, x)
			if !errors.Is(err, ErrSettings) || res.Reason != "" || res.Evals != 0 {
				t.Errorf("%+v: %+v, %v", s, res, err)
			}
		}
	}
	good := []Settings{{}, {TolGrad: -1, TolChange: -1}, {LR: 0.1, History: 5, MaxSeconds: 1e300}}
	for _, s := range good {
		if err := s.Validate(); err != nil {
			t.Errorf("%+v: %v", s, err)
		}
	}
	if _, err := NewLBFGS(2, Settings{}).Minimize(context.Background(), rosenChained, make([]float64, 3)); !errors.Is(err, ErrDimension) {
		t.Errorf("dimension: %v", err)
	}
	if _, err := NewAdam(2, Settings{}).Minimize(context.Background(), rosenChained, make([]float64, 3)); !errors.Is(err, ErrDimension) {
		t.Errorf("dimension: %v", err)
	}
}

func TestLBFGSNoAllocs(t *testing.T) {
	const n = 200
	f := quad(n, 1e6)
	x := make([]float64, n)
	o := NewLBFGS(n, Settings{History: 5, MaxIters: 1, TolGrad: -1, TolChange: -1, Callback: func(Progress) {}})
	ctx := context.Background()
	for i := 0; i < 20; i++ { // fill the history
		o.Minimize(ctx, f, x)
	}
	if a := testing.AllocsPerRun(50, func() { o.Minimize(ctx, f, x) }); a != 0 {
		t.Errorf("%v allocations per Minimize", a)
	}
}
