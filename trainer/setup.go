package trainer

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/pinnsweep/pinnsweep/trainer/refsol"
)

// Validate checks every setting's range and consistency and returns an
// error naming the first bad setting and its value.
func (c *Config) Validate() error {
	if _, err := operatorFor(c); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"beta", c.Beta}, {"rho", c.Rho}, {"nu", c.Nu}, {"lr", c.LR}, {"lambda", c.Lambda},
		{"max_seconds", c.MaxSeconds}, {"tol_grad", c.TolGrad}, {"tol_change", c.TolChange}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return fmt.Errorf("%s = %v: must be finite", f.name, f.v)
		}
	}
	switch {
	case c.Nu < 0:
		return fmt.Errorf("nu = %v: must be ≥ 0", c.Nu)
	case c.LR <= 0:
		return fmt.Errorf("lr = %v: must be > 0", c.LR)
	case c.Lambda < 0:
		return fmt.Errorf("lambda = %v: must be ≥ 0", c.Lambda)
	case c.NX < 4 || c.NX > 1<<16:
		return fmt.Errorf("nx = %d: must be in [4, 65536]", c.NX)
	case c.NT < 2 || c.NT > 1<<16:
		return fmt.Errorf("nt = %d: must be in [2, 65536]", c.NT)
	case c.NU < 1 || c.NU > 1<<20:
		return fmt.Errorf("nu_points = %d: must be in [1, 1048576]", c.NU)
	case c.NB < 0 || c.NB > 1<<20:
		return fmt.Errorf("nb = %d: must be in [0, 1048576]", c.NB)
	case c.NF < 1 || c.NF > (c.NX-1)*(c.NT-1):
		return fmt.Errorf("nf = %d: must be in [1, %d] (the interior of the %d × %d grid)", c.NF, (c.NX-1)*(c.NT-1), c.NX, c.NT)
	case len(c.Layers) == 0 || len(c.Layers) > 64:
		return fmt.Errorf("layers = %v: need 1 to 64 hidden layers", c.Layers)
	case c.MaxIters < 0 || c.MaxEvals < 0 || c.MaxSeconds < 0:
		return fmt.Errorf("max_iters, max_evals, max_seconds must be ≥ 0 (0 = no cap)")
	case c.History < 1 || c.History > 1000:
		return fmt.Errorf("history = %d: must be in [1, 1000]", c.History)
	case c.TolGrad < 0 || c.TolChange < 0:
		return fmt.Errorf("tol_grad, tol_change must be ≥ 0")
	case c.HistoryEvery < 0:
		return fmt.Errorf("history_every = %d: must be ≥ 0", c.HistoryEvery)
	case c.Threads < 0 || c.Threads > 256:
		return fmt.Errorf("threads = %d: must be in [0, 256]", c.Threads)
	}
	for _, w := range c.Layers {
		if w < 1 || w > 4096 {
			return fmt.Errorf("layers = %v: widths must be in [1, 4096]", c.Layers)
		}
	}
	if _, err := activationByName(c.Activation); err != nil {
		return err
	}
	switch {
	case c.AdamDecaySteps < 0:
		return fmt.Errorf("adam_decay_steps = %d: must be ≥ 0", c.AdamDecaySteps)
	case !(c.AdamDecay > 0 && c.AdamDecay <= 1):
		return fmt.Errorf("adam_decay = %v: must be in (0, 1]", c.AdamDecay)
	}
	switch c.Optimizer {
	case OptimizerLBFGS, OptimizerAdam:
	case OptimizerAdamLBFGS:
		switch {
		case c.AdamIters < 0:
			return fmt.Errorf("adam_iters = %d: must be ≥ 0", c.AdamIters)
		case !(c.AdamLR > 0) || math.IsInf(c.AdamLR, 0):
			return fmt.Errorf("adam_lr = %v: must be finite and > 0", c.AdamLR)
		case c.LBFGSResampleEvery < 0:
			return fmt.Errorf("lbfgs_resample_every = %d: must be ≥ 0", c.LBFGSResampleEvery)
		case c.Strategy == StrategyCurriculum || c.Strategy == StrategySeq2Seq:
			return fmt.Errorf("optimizer adam_lbfgs works with regular, hard, adaptive and resample, not %s", c.Strategy)
		}
	default:
		return fmt.Errorf("optimizer = %q: known: %s, %s, %s", c.Optimizer, OptimizerLBFGS, OptimizerAdam, OptimizerAdamLBFGS)
	}
	switch c.PeriodicUx {
	case "auto", "on", "off", "true", "false", "":
	default:
		return fmt.Errorf("periodic_ux = %q: want auto, on or off", c.PeriodicUx)
	}
	if err := c.validateStrategy(); err != nil {
		return err
	}
	if err := c.validateDiagnostics(); err != nil {
		return err
	}
	if err := c.checkResources(); err != nil {
		return err
	}
	if err := c.refProblem().Validate(c.grid()); err != nil {
		return err
	}
	return nil
}

func (c *Config) grid() refsol.Grid { return refsol.Grid{NX: c.NX, NT: c.NT} }

func (c *Config) refProblem() refsol.Problem {
	return refsol.Problem{PDE: c.PDE, Beta: c.Beta, Rho: c.Rho, Nu: c.Nu, IC: c.IC}
}

// paperPoints builds the training points of the paper protocol on [0, 2π) ×
// [0, 1]: NU initial-condition points x_j = 2πj/NU at t = 0 with targets
// h(x_j); NB boundary pairs (0, t_i), (2π, t_i) at t_i = i/(NB−1); and NF
// collocation points drawn without replacement from the (NX−1)(NT−1)
// interior grid points (t > 0, x > 0) by PCG(SampleSeed).
func paperPoints(c *Config, h func(float64) float64) pointSet {
	ps := pointSet{xl: 0, xr: 2 * math.Pi, bcT: bcTimes(c)}
	ps.icX, ps.icT = icPoints(c)
	for _, x := range ps.icX {
		ps.icU = append(ps.icU, h(x))
	}
	idx := sampleInterior(c.NX, c.NT, c.NF, c.SampleSeed)
	g := c.grid()
	for _, k := range idx {
		i, j := 1+k/(c.NX-1), 1+k%(c.NX-1)
		ps.resX = append(ps.resX, g.X(j))
		ps.resT = append(ps.resT, g.T(i))
	}
	return ps
}

// icPoints returns the NU initial-condition points x_j = 2πj/NU, t = 0.
func icPoints(c *Config) (x, t []float64) {
	for j := 0; j < c.NU; j++ {
		x = append(x, 2*math.Pi*float64(j)/float64(c.NU))
		t = append(t, 0)
	}
	return x, t
}

// bcTimes returns the NB boundary times t_i = i/(NB−1).
func bcTimes(c *Config) []float64 {
	ts := make([]float64, c.NB)
	for i := range ts {
		if c.NB > 1 {
			ts[i] = float64(i) / float64(c.NB-1)
		}
	}
	return ts
}

// sampleInterior draws n distinct indices of the (nx−1)(nt−1) interior
// grid points by a partial Fisher–Yates shuffle with PCG(seed, 0xc011).
func sampleInterior(nx, nt, n int, seed int64) []int {
	pool := make([]int, (nx-1)*(nt-1))
	for i := range pool {
		pool[i] = i
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0xc011))
	for i := 0; i < n; i++ {
		j := i + rng.IntN(len(pool)-i)
		pool[i], pool[j] = pool[j], pool[i]
	}
	return pool[:n]
}

// interiorPoints returns every interior grid point (t > 0, x > 0).
func interiorPoints(c *Config) (x, t []float64) {
	g := c.grid()
	for i := 1; i < c.NT; i++ {
		for j := 1; j < c.NX; j++ {
			x = append(x, g.X(j))
			t = append(t, g.T(i))
		}
	}
	return x, t
}
