package optim_test

import (
	"context"
	"fmt"

	"github.com/pinnsweep/pinnsweep/trainer/optim"
)

// rosen is the 2-D Rosenbrock function with its gradient.
func rosen(x, g []float64) float64 {
	a, b := x[1]-x[0]*x[0], 1-x[0]
	g[0] = -400*a*x[0] - 2*b
	g[1] = 200 * a
	return 100*a*a + b*b
}

func ExampleLBFGS() {
	x := []float64{-1.2, 1}
	o := optim.NewLBFGS(len(x), optim.Settings{TolChange: 1e-12, MaxIters: 500})
	res, err := o.Minimize(context.Background(), rosen, x)
	if err != nil {
		panic(err)
	}
	fmt.Printf("converged: %v, x = (%.6f, %.6f)\n", optim.Converged(res.Reason), x[0], x[1])
	// Output: converged: true, x = (1.000000, 1.000000)
}

// Adaptive collocation: one L-BFGS iteration per epoch, the objective
// changing between epochs, the curvature memory kept. A curriculum would
// call Reset at each new stage instead.
func ExampleLBFGS_continuation() {
	x := []float64{-1.2, 1}
	o := optim.NewLBFGS(len(x), optim.Settings{MaxIters: 1})
	for epoch := 0; epoch < 100; epoch++ {
		// resample collocation points here: f may differ from epoch to epoch
		res, err := o.Minimize(context.Background(), rosen, x)
		if err != nil {
			panic(err)
		}
		if optim.Converged(res.Reason) {
			break
		}
	}
	iters, _ := o.Totals()
	fmt.Printf("fewer than 50 iterations: %v, x ≈ (%.4f, %.4f)\n", iters < 50, x[0], x[1])
	// Output: fewer than 50 iterations: true, x ≈ (1.0000, 1.0000)
}

func ExampleAdam() {
	x := []float64{-1.2, 1}
	o := optim.NewAdam(len(x), optim.Settings{LR: 0.01, MaxIters: 5000})
	res, _ := o.Minimize(context.Background(), rosen, x)
	fmt.Printf("%s, f < 1e-8: %v\n", res.Reason, res.F < 1e-8)
	// Output: max_iters, f < 1e-8: true
}
