package trainer

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// smallConfig is a trial of well under a second.
func smallConfig() Config {
	c := DefaultConfig()
	c.NF = 200
	c.Layers = []int{16, 16}
	c.MaxIters = 60
	return c
}

func TestTrainLearnsEasyConvection(t *testing.T) {
	for _, prec := range []string{PrecisionF64, PrecisionF32} {
		t.Run(prec, func(t *testing.T) { learnsEasyConvection(t, prec) })
	}
}

// learnsEasyConvection trains β = 1 in the given precision: float32 must
// solve it as float64 does, and its loss must be a float32 value.
func learnsEasyConvection(t *testing.T, prec string) {
	c := smallConfig()
	c.MaxIters = 400
	c.Precision = prec
	res, err := Train(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusDone {
		t.Fatalf("status %s (%s)", res.Status, res.StopReason)
	}
	if res.RelL2 > 0.1 {
		t.Errorf("β=1 rel_l2 = %.3g after %d iterations, want < 0.1", res.RelL2, res.Iterations)
	}
	if res.Evals == 0 || res.Iterations == 0 || res.Seconds <= 0 || len(res.History) == 0 {
		t.Errorf("missing bookkeeping: %+v", res)
	}
	if math.Abs(res.Loss-(res.LossIC+res.LossBC+c.Lambda*res.LossRes)) > 1e-7*res.Loss {
		t.Errorf("loss %g != sum of terms", res.Loss)
	}
	if prec == PrecisionF32 && float64(float32(res.Loss)) != res.Loss {
		t.Errorf("float32 trial's loss %v is not a float32 value", res.Loss)
	}
	if res.Config.Precision != prec {
		t.Errorf("result records precision %q, want %q", res.Config.Precision, prec)
	}
	if res.PeriodicUx {
		t.Error("periodic_ux on for ν = 0 under auto")
	}
}

func TestTrainDeterministic(t *testing.T) {
	c := smallConfig()
	a, err := Train(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Train(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.RelL2 != b.RelL2 || a.Evals != b.Evals || a.Loss != b.Loss {
		t.Errorf("two runs differ: %g/%d vs %g/%d", a.RelL2, a.Evals, b.RelL2, b.Evals)
	}
	c.Seed = 1
	d, _ := Train(context.Background(), c, Options{})
	if d.Loss == a.Loss {
		t.Error("a different seed gave the same loss")
	}
}

func TestTrainLimits(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mod    func(*Config)
		reason string
		check  func(*Result) bool
	}{
		{"max_iters", func(c *Config) { c.MaxIters = 5 }, "max_iters", func(r *Result) bool { return r.Iterations == 5 }},
		{"max_evals", func(c *Config) { c.MaxIters = 0; c.MaxEvals = 17; c.TolChange = 0; c.TolGrad = 0 }, "max_evals", func(r *Result) bool { return r.Evals == 17 }},
		{"max_seconds", func(c *Config) { c.MaxIters = 0; c.MaxSeconds = 0.3; c.TolChange = 0; c.TolGrad = 0 }, "max_seconds", func(r *Result) bool { return r.Seconds < 5 }},
		{"adam", func(c *Config) { c.Optimizer = "adam"; c.LR = 1e-3; c.MaxIters = 30 }, "max_iters", func(r *Result) bool { return r.Iterations == 30 && r.Evals == 30 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := smallConfig()
			tc.mod(&c)
			res, err := Train(context.Background(), c, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.StopReason != tc.reason || !tc.check(res) || res.Status != StatusDone {
				t.Errorf("status %s reason %s iterations %d evals %d seconds %.2f", res.Status, res.StopReason, res.Iterations, res.Evals, res.Seconds)
			}
		})
	}
}

func TestTrainCancelStopsWithinOneEvaluation(t *testing.T) {
	c := smallConfig()
	c.MaxIters = 0
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var at int
	opts := Options{Progress: func(p Progress) {
		if p.Evals >= 20 && at == 0 {
			at = p.Evals
			cancel()
		}
	}}
	c.HistoryEvery = 1
	res, err := Train(ctx, c, opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if res == nil || res.Status != StatusCancelled {
		t.Fatalf("result %+v", res)
	}
	if res.Evals != at {
		t.Errorf("cancelled at evaluation %d but %d evaluations ran", at, res.Evals)
	}
}

func TestTrainDivergedIsAStatusNotAPanic(t *testing.T) {
	c := smallConfig()
	c.Beta = 1e300 // the residual overflows to Inf at the first evaluation
	res, err := Train(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusDiverged {
		t.Errorf("status %s, want diverged", res.Status)
	}
}

func TestValidateNamesTheSetting(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.PDE = "burgers" }, "burgers"},
		{func(c *Config) { c.Beta = math.NaN() }, "beta"},
		{func(c *Config) { c.NF = 0 }, "nf"},
		{func(c *Config) { c.NF = 30000 }, "nf"},
		{func(c *Config) { c.LR = -1 }, "lr"},
		{func(c *Config) { c.Layers = nil }, "layers"},
		{func(c *Config) { c.Activation = "relu" }, "relu"},
		{func(c *Config) { c.Optimizer = "sgd" }, "sgd"},
		{func(c *Config) { c.PDE = Reaction; c.Rho = 5; c.IC = "sin" }, "sin"},
		{func(c *Config) { c.IC = "square" }, "square"},
		{func(c *Config) { c.PeriodicUx = "maybe" }, "periodic_ux"},
		{func(c *Config) { c.Precision = "f16" }, "precision = \"f16\""},
	} {
		c := DefaultConfig()
		tc.mod(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate() = %v, want an error naming %q", err, tc.want)
		}
	}
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Errorf("default config invalid: %v", err)
	}
}

func TestSet(t *testing.T) {
	c := DefaultConfig()
	for _, tc := range []struct {
		key   string
		value any
		ok    bool
	}{
		{"beta", 30, true}, {"beta", "30.5", true}, {"beta", "fast", false},
		{"nf", 1000.0, true}, {"nf", 1.5, false}, {"layers", []any{20, 20}, true},
		{"layers", "50,50,50", true}, {"periodic_ux", false, true}, {"bogus", 1, false},
	} {
		err := c.Set(tc.key, tc.value)
		if (err == nil) != tc.ok {
			t.Errorf("Set(%q, %v) = %v", tc.key, tc.value, err)
		}
	}
	if c.Beta != 30.5 || c.NF != 1000 || len(c.Layers) != 3 || c.PeriodicUx != "off" {
		t.Errorf("config after Set: %+v", c)
	}
}

func TestSampleInteriorDistinct(t *testing.T) {
	idx := sampleInterior(256, 100, 25245, 0)
	seen := make(map[int]bool)
	for _, k := range idx {
		if seen[k] || k < 0 || k >= 25245 {
			t.Fatalf("index %d repeated or out of range", k)
		}
		seen[k] = true
	}
	a := sampleInterior(256, 100, 100, 7)
	b := sampleInterior(256, 100, 100, 7)
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("same sample seed gave different points")
		}
	}
}

func TestPaperPoints(t *testing.T) {
	c := DefaultConfig()
	ps := paperPoints(&c, math.Sin)
	if len(ps.icX) != 256 || len(ps.bcT) != 100 || len(ps.resX) != 1000 {
		t.Fatalf("counts %d %d %d", len(ps.icX), len(ps.bcT), len(ps.resX))
	}
	if ps.bcT[0] != 0 || ps.bcT[99] != 1 {
		t.Errorf("bc times %g..%g", ps.bcT[0], ps.bcT[99])
	}
	for i := range ps.resX {
		if ps.resX[i] <= 0 || ps.resT[i] <= 0 || ps.resX[i] >= 2*math.Pi || ps.resT[i] > 1 {
			t.Fatalf("collocation point (%g, %g) outside the interior", ps.resX[i], ps.resT[i])
		}
	}
	_ = time.Second
}
