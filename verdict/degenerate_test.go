package verdict_test

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/trainer"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// TestConsistentButWrongIsReachable trains a real PINN into the
// degenerate solution docs/repro.md found at β = 50 (sin x at t = 0, a
// constant from t = Δt on, the jump in the first time cell where no
// collocation point and no grid point lies) and checks that
// Metric.FailureClass, on the result as the worker encodes it, calls it
// consistent-but-wrong. The small case: convection β = 10 on a 32 × 5
// grid (Δt = 0.25), every interior grid point a collocation point, a
// 2-16-16-1 network, L-BFGS; about 0.1 s. The trainer is deterministic
// (TestTrainDeterministic), so the outcome is too.
func TestConsistentButWrongIsReachable(t *testing.T) {
	c := trainer.DefaultConfig()
	c.Beta = 10
	c.NX, c.NT = 32, 5
	c.NU, c.NB = 32, 5
	c.NF = (c.NX - 1) * (c.NT - 1)
	c.Layers = []int{16, 16}
	c.MaxIters = 500
	res, f, err := trainer.TrainFields(context.Background(), c, trainer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != trainer.StatusDone || res.LossInitial == nil {
		t.Fatalf("status %s, loss_initial %v", res.Status, res.LossInitial)
	}
	// The numbers the class rests on, as the class's documentation states
	// them: a large error, a loss that fell more than LossRatio, the same
	// small residual on the grid as on the training points, a small IC loss.
	t.Logf("rel_l2 %.3g, loss %.3g of %.3g, loss_ic %.3g, residual train %.3g grid %.3g",
		res.RelL2, res.Loss, *res.LossInitial, res.LossIC, res.ResidualTrain, res.ResidualGrid)
	if res.RelL2 < 0.5 || res.Loss > 1e-3**res.LossInitial || res.LossIC > 1e-3 || res.ResidualGrid > 1e-3 {
		t.Errorf("not the degenerate solution: rel_l2 %.3g, loss %.3g of %.3g, loss_ic %.3g, residual grid %.3g",
			res.RelL2, res.Loss, *res.LossInitial, res.LossIC, res.ResidualGrid)
	}
	// Its shape: the initial condition at t = 0, one constant after.
	var level float64
	for i := 1; i < c.NT; i++ {
		lo, hi := math.Inf(1), math.Inf(-1)
		for j := 0; j < c.NX; j++ {
			v := f.Pred[i*c.NX+j]
			lo, hi = min(lo, v), max(hi, v)
		}
		if i == 1 {
			level = (lo + hi) / 2
		}
		if hi-lo > 0.1 || math.Abs((lo+hi)/2-level) > 0.1 {
			t.Errorf("t = %.2f: prediction in [%.3f, %.3f], not the constant %.3f", f.T[i*c.NX], lo, hi, level)
		}
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	fields, err := verdict.Fields(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := verdict.Default().FailureClass(state.StatusDone, fields); got != verdict.ConsistentButWrong {
		t.Errorf("class %q, want %q", got, verdict.ConsistentButWrong)
	}
}
