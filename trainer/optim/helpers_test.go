package optim

import (
	"math"
	"slices"
)

// rosenChained is the chained (SciPy rosen) Rosenbrock function
// Σ 100(x_{i+1} − x_i²)² + (1 − x_i)².
func rosenChained(x, g []float64) float64 {
	clear(g)
	f := 0.0
	for i := 0; i+1 < len(x); i++ {
		a := x[i+1] - x[i]*x[i]
		b := 1 - x[i]
		f += 100*a*a + b*b
		g[i] += -400*a*x[i] - 2*b
		g[i+1] += 200 * a
	}
	return f
}

// rosenExtended is the extended Rosenbrock function of Moré, Garbow and
// Hillstrom: independent 2-D Rosenbrock blocks (x_{2i−1}, x_{2i}).
func rosenExtended(x, g []float64) float64 {
	f := 0.0
	for i := 0; i+1 < len(x); i += 2 {
		a := x[i+1] - x[i]*x[i]
		b := 1 - x[i]
		f += 100*a*a + b*b
		g[i] = -400*a*x[i] - 2*b
		g[i+1] = 200 * a
	}
	return f
}

// rosenStart is the standard start (−1.2, 1, −1.2, 1, …).
func rosenStart(n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		if i%2 == 0 {
			x[i] = -1.2
		} else {
			x[i] = 1
		}
	}
	return x
}

// quad returns f(x) = ½ Σ a_i (x_i − c_i)² with a_i spread over [1, cond]
// (log-spaced) and c_i = sin(i).
func quad(n int, cond float64) Func {
	a := make([]float64, n)
	c := make([]float64, n)
	for i := range a {
		if n > 1 {
			a[i] = math.Pow(cond, float64(i)/float64(n-1))
		} else {
			a[i] = 1
		}
		c[i] = math.Sin(float64(i))
	}
	return func(x, g []float64) float64 {
		f := 0.0
		for i := range x {
			r := x[i] - c[i]
			g[i] = a[i] * r
			f += 0.5 * a[i] * r * r
		}
		return f
	}
}

// linear is f(x) = −Σx_i: unbounded below, so every line search extrapolates
// until it runs out of iterations.
func linear(x, g []float64) float64 {
	f := 0.0
	for i := range x {
		f -= x[i]
		g[i] = -1
	}
	return f
}

func dist1(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += (v - 1) * (v - 1)
	}
	return math.Sqrt(s)
}

func eval(f Func, x []float64) (float64, []float64) {
	g := make([]float64, len(x))
	return f(slices.Clone(x), g), g
}

func dotT(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func allFinite(x []float64) bool {
	for _, v := range x {
		if !finite(v) {
			return false
		}
	}
	return true
}

// sharp is Σ √(1e-4 + (x_i − i)²): nearly |x − i|, badly modelled by cubics,
// which drives the line search into its zoom safeguards.
func sharp(x, g []float64) float64 {
	f := 0.0
	for i := range x {
		r := x[i] - float64(i)
		s := math.Sqrt(1e-4 + r*r)
		f += s
		g[i] = r / s
	}
	return f
}

// wavy is Σ ½x_i² + 0.3·sin(5x_i): non-convex with several local minima.
func wavy(x, g []float64) float64 {
	f := 0.0
	for i := range x {
		f += 0.5*x[i]*x[i] + 0.3*math.Sin(5*x[i])
		g[i] = x[i] + 1.5*math.Cos(5*x[i])
	}
	return f
}
