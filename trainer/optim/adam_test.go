package optim

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"
)

// TestAdamProgress: with a reasonable learning rate Adam makes steady
// progress: the loss at checkpoints every `every` steps decreases strictly
// until convergence, and ends far below the start.
func TestAdamProgress(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		f      Func
		x0     []float64
		s      Settings
		every  int
		reduce float64 // required f_end / f_0
	}{
		{"quadratic 50-D", 50, quad(50, 100), make([]float64, 50), Settings{LR: 0.05, MaxIters: 3000}, 50, 1e-12},
		{"quadratic 50-D decay", 50, quad(50, 100), make([]float64, 50), Settings{LR: 0.05, MaxIters: 3000, DecaySteps: 100, Decay: 0.8}, 50, 1e-12},
		{"rosenbrock 2-D", 2, rosenChained, rosenStart(2), Settings{LR: 0.01, MaxIters: 5000}, 250, 1e-8},
		{"rosenbrock 2-D decay", 2, rosenChained, rosenStart(2), Settings{LR: 0.02, MaxIters: 5000, DecaySteps: 1000, Decay: 0.5}, 250, 1e-5},
		{"rosenbrock chained 10-D", 10, rosenChained, rosenStart(10), Settings{LR: 0.01, MaxIters: 5000}, 500, 1e-3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := slices.Clone(tc.x0)
			f0, _ := eval(tc.f, x)
			var checkpoints []float64
			tc.s.Callback = func(p Progress) {
				if (p.Iter-1)%tc.every == 0 {
					checkpoints = append(checkpoints, p.F)
				}
			}
			res, err := NewAdam(tc.n, tc.s).Minimize(context.Background(), tc.f, x)
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i < len(checkpoints); i++ {
				if !(checkpoints[i] < checkpoints[i-1]) {
					t.Errorf("loss rose between checkpoints %d and %d: %g → %g", i-1, i, checkpoints[i-1], checkpoints[i])
				}
			}
			if fx, _ := eval(tc.f, x); !(fx <= tc.reduce*f0) {
				t.Errorf("f = %g after %d steps (%s), want ≤ %g", fx, res.Iters, res.Reason, tc.reduce*f0)
			}
			t.Logf("%s after %d steps: f %.3g (f0 %.3g)", res.Reason, res.Iters, res.F, f0)
		})
	}
}

// TestAdamFormula compares the iterates with a textbook implementation
// (bias-corrected m̂ and v̂) and checks the first step x₁ = x₀ − lr·g/(|g|+ε).
func TestAdamFormula(t *testing.T) {
	const n, steps, lr = 5, 60, 0.03
	f := quad(n, 10)
	b1, b2, eps := 0.9, 0.999, 1e-8
	x := make([]float64, n)
	ref := make([]float64, n)
	m, v, g := make([]float64, n), make([]float64, n), make([]float64, n)
	o := NewAdam(n, Settings{LR: lr, MaxIters: 1})
	for k := 1; k <= steps; k++ {
		f(slices.Clone(ref), g)
		for i := range ref {
			m[i] = b1*m[i] + (1-b1)*g[i]
			v[i] = b2*v[i] + (1-b2)*g[i]*g[i]
			mh := m[i] / (1 - math.Pow(b1, float64(k)))
			vh := v[i] / (1 - math.Pow(b2, float64(k)))
			ref[i] -= lr * mh / (math.Sqrt(vh) + eps)
		}
		x0 := slices.Clone(x)
		if _, err := o.Minimize(context.Background(), f, x); err != nil {
			t.Fatal(err)
		}
		if k == 1 {
			_, g0 := eval(f, x0)
			for i := range x {
				want := x0[i] - lr*g0[i]/(math.Abs(g0[i])+eps)
				if math.Abs(x[i]-want) > 1e-15 {
					t.Errorf("first step x[%d] = %.17g, want %.17g", i, x[i], want)
				}
			}
		}
		for i := range x {
			if math.Abs(x[i]-ref[i]) > 1e-12 {
				t.Fatalf("step %d: x[%d] = %.17g, textbook %.17g", k, i, x[i], ref[i])
			}
		}
	}
	if st, ev := o.Totals(); st != steps || ev != steps {
		t.Errorf("Totals %d, %d", st, ev)
	}
}

func TestAdamDecay(t *testing.T) {
	var lrs []float64
	o := NewAdam(2, Settings{LR: 0.8, DecaySteps: 3, Decay: 0.5, MaxIters: 4, TolGrad: -1,
		Callback: func(p Progress) { lrs = append(lrs, p.Step) }})
	x := rosenStart(2)
	o.Minimize(context.Background(), rosenChained, x)
	o.Minimize(context.Background(), rosenChained, x) // decay state carries over
	want := []float64{0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2}
	if !slices.Equal(lrs, want) {
		t.Errorf("lr per step %v, want %v", lrs, want)
	}
	if o.LR() != 0.2 { // decayed after steps 3 and 6; next decay after step 9
		t.Errorf("next lr %g, want 0.2", o.LR())
	}
	o.Reset()
	if o.LR() != 0.8 {
		t.Errorf("lr after Reset %g", o.LR())
	}
	// Decay 0 means 0.1 (StepLR's gamma); DecaySteps 0 means no decay.
	lrs = nil
	o = NewAdam(2, Settings{LR: 1, DecaySteps: 2, MaxIters: 5, TolGrad: -1, Callback: func(p Progress) { lrs = append(lrs, p.Step) }})
	o.Minimize(context.Background(), rosenChained, rosenStart(2))
	tenth := DefaultDecay
	if want := []float64{1, 1, tenth, tenth, tenth * tenth}; !slices.Equal(lrs, want) {
		t.Errorf("default decay: %v, want %v", lrs, want)
	}
	lrs = nil
	o = NewAdam(2, Settings{Decay: 0.5, MaxIters: 5, Callback: func(p Progress) { lrs = append(lrs, p.Step) }})
	o.Minimize(context.Background(), rosenChained, rosenStart(2))
	if want := []float64{1e-3, 1e-3, 1e-3, 1e-3, 1e-3}; !slices.Equal(lrs, want) {
		t.Errorf("no decay: %v, want %v", lrs, want)
	}
}

func TestAdamCancel(t *testing.T) {
	for _, k := range []int{1, 2, 5, 17} {
		ctx, cancel := context.WithCancel(context.Background())
		calls := 0
		f := func(x, g []float64) float64 {
			calls++
			if calls == k {
				cancel()
			}
			return rosenChained(x, g)
		}
		x := rosenStart(4)
		res, err := NewAdam(4, Settings{LR: 0.01}).Minimize(ctx, f, x)
		cancel()
		if !errors.Is(err, context.Canceled) || res.Reason != ReasonCancelled || calls != k || res.Evals != k || res.Iters != k {
			t.Errorf("k=%d: %+v, %v, %d calls", k, res, err, calls)
		}
		if !allFinite(x) {
			t.Errorf("k=%d: x = %v", k, x)
		}
	}
}

func TestAdamDiverged(t *testing.T) {
	for _, kind := range []string{"nan loss", "inf loss", "inf grad"} {
		for k := 1; k <= 8; k++ {
			calls := 0
			var points [][]float64 // x at each evaluation
			f := func(x, g []float64) float64 {
				calls++
				points = append(points, slices.Clone(x))
				v := rosenChained(x, g)
				if calls == k {
					switch kind {
					case "nan loss":
						v = math.NaN()
					case "inf loss":
						v = math.Inf(-1)
					case "inf grad":
						g[1] = math.Inf(1)
					}
				}
				return v
			}
			x := rosenStart(2)
			res, err := NewAdam(2, Settings{LR: 0.01}).Minimize(context.Background(), f, x)
			if !errors.Is(err, ErrDiverged) || res.Reason != ReasonDiverged || res.Evals != k || calls != k {
				t.Errorf("%s at %d: %+v, %v", kind, k, res, err)
				continue
			}
			// x rolled back to the last point with a finite evaluation
			want := points[max(k-2, 0)]
			if !slices.Equal(x, want) {
				t.Errorf("%s at %d: x = %v, want %v", kind, k, x, want)
			}
			if k == 1 {
				if !math.IsNaN(res.F) {
					t.Errorf("%s at 1: F = %g", kind, res.F)
				}
			} else if fx, _ := eval(rosenChained, x); fx != res.F {
				t.Errorf("%s at %d: F = %g, f(x) = %g", kind, k, res.F, fx)
			}
		}
	}
}

func TestAdamCaps(t *testing.T) {
	for _, tc := range []struct {
		s      Settings
		reason string
		evals  int
	}{
		{Settings{MaxIters: 7}, ReasonMaxIters, 7},
		{Settings{MaxEvals: 5}, ReasonMaxEvals, 5},
		{Settings{MaxIters: 5, MaxEvals: 5}, ReasonMaxIters, 5},
		{Settings{MaxIters: 9, MaxEvals: 4}, ReasonMaxEvals, 4},
		{Settings{MaxIters: 1}, ReasonMaxIters, 1},
	} {
		calls := 0
		f := func(x, g []float64) float64 { calls++; return rosenChained(x, g) }
		res, err := NewAdam(2, tc.s).Minimize(context.Background(), f, rosenStart(2))
		if err != nil || res.Reason != tc.reason || res.Evals != tc.evals || calls != tc.evals || res.Iters != tc.evals {
			t.Errorf("%+v: %+v, %v, %d calls", tc.s, res, err, calls)
		}
	}
	// tol_grad: the converged point is evaluated and not updated
	x := []float64{1, 1}
	res, err := NewAdam(2, Settings{}).Minimize(context.Background(), rosenChained, x)
	if err != nil || res.Reason != ReasonTolGrad || res.Evals != 1 || res.Iters != 0 || !slices.Equal(x, []float64{1, 1}) {
		t.Errorf("at the minimum: %+v, %v, x %v", res, err, x)
	}
	// max_seconds
	slow := func(x, g []float64) float64 { time.Sleep(time.Millisecond); return rosenChained(x, g) }
	res, err = NewAdam(2, Settings{MaxSeconds: 0.02}).Minimize(context.Background(), slow, rosenStart(2))
	if err != nil || res.Reason != ReasonMaxSeconds || res.Elapsed < 20*time.Millisecond || res.Elapsed > 200*time.Millisecond {
		t.Errorf("max_seconds: %+v, %v", res, err)
	}
}

func TestAdamContinuationAndReset(t *testing.T) {
	run := func(o *Adam, chunks ...int) []float64 {
		x := rosenStart(4)
		for _, c := range chunks {
			o.set.MaxIters = c
			if res, err := o.Minimize(context.Background(), rosenChained, x); err != nil || res.Iters != c {
				t.Fatalf("%+v %v", res, err)
			}
		}
		return x
	}
	s := Settings{LR: 0.01, DecaySteps: 4, Decay: 0.9}
	x20 := run(NewAdam(4, s), 20)
	o := NewAdam(4, s)
	if x := run(o, 10, 10); !slices.Equal(x, x20) {
		t.Errorf("2×10 steps: %v, 1×20: %v", x, x20)
	}
	if st, ev := o.Totals(); st != 20 || ev != 20 {
		t.Errorf("Totals %d %d", st, ev)
	}
	o.Reset()
	if x := run(o, 20); !slices.Equal(x, x20) {
		t.Errorf("after Reset: %v, fresh: %v", x, x20)
	}
}

func TestAdamNoAllocs(t *testing.T) {
	const n = 500
	f := quad(n, 100)
	x := make([]float64, n)
	o := NewAdam(n, Settings{MaxIters: 3, TolGrad: -1, Callback: func(Progress) {}})
	ctx := context.Background()
	if a := testing.AllocsPerRun(20, func() { o.Minimize(ctx, f, x) }); a != 0 {
		t.Errorf("%v allocations per Minimize", a)
	}
}
