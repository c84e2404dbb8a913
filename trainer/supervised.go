package trainer

import (
	"fmt"
	"math"

	"github.com/pinnsweep/pinnsweep/trainer/refsol"
)

// StrategySupervised is the expressivity control of Krishnapriyan et al.
// (2021): the same network, embedding, optimizer and budget trained on the
// exact solution at the training points, with no PDE residual in the loss.
const StrategySupervised = "supervised"

// trainingLoss is what the optimizer minimises: a PINN problem or the
// supervised loss.
type trainingLoss interface {
	// eval returns the weighted loss at p and writes its gradient.
	eval(p, grad []float64) float64
	// lastTerms are the unweighted terms of the last eval.
	lastTerms() [numTerms]float64
	// setOutput writes solved output weights into p (the hard layer).
	setOutput(p []float64)
}

func (pr *problem) lastTerms() [numTerms]float64 { return pr.terms }

// supervisedLoss is the data misfit of the exact solution u* at the
// paper's training points, in the PINN loss's three terms:
//
//	loss = MSE_IC + MSE_BC + λ·MSE_colloc,
//
// MSE_IC over the initial-condition points (target h, as in the PINN),
// MSE_BC over both ends of every boundary pair (targets u*(0, t) =
// u*(2π, t), instead of the PINN's periodicity difference) and MSE_colloc
// over the collocation points (targets u* there, in place of the PDE
// residual), with the PINN's term weights (the BC term is dropped with
// the periodic embedding). Each term is an IC-style problem, whose
// gradient the finite-difference tests check.
type supervisedLoss struct {
	parts [numTerms]*problem
	terms [numTerms]float64
	grad  []float64
}

// validateSupervised checks the settings that supervised cannot honour.
func (c *Config) validateSupervised() error {
	switch {
	case c.Optimizer == OptimizerAdamLBFGS:
		return fmt.Errorf("optimizer adam_lbfgs works with regular, hard, adaptive and resample, not %s", c.Strategy)
	case c.useHard() || c.CausalChunks > 0 || c.GradBalance:
		return fmt.Errorf("strategy supervised has no PDE residual: hard_layer, causal_chunks and grad_balance do not apply")
	}
	return nil
}

// newSupervised builds the supervised loss of cfg on the model at the
// training points pts (paperPoints), with targets from the exact solution
// on the evaluation grid (collocation points are grid points) and on a
// grid of the boundary times.
func (s *session) newSupervised(cfg *Config, m *model, pts pointSet, exact []float64) (*supervisedLoss, error) {
	op, _ := operatorFor(cfg)
	w := s.baseWeights(cfg)
	g := cfg.grid()
	threads := max(1, cfg.Threads)
	sl := &supervisedLoss{grad: make([]float64, len(m.p))}
	part := func(weight float64, x, t, u []float64) *problem {
		if weight == 0 || len(x) == 0 {
			return nil
		}
		return newProblem(m.nt, m.emb, op, false, termWeights{ic: weight}, pointSet{icX: x, icT: t, icU: u}, threads)
	}
	sl.parts[termIC] = part(w.ic, pts.icX, pts.icT, pts.icU)

	if len(pts.bcT) > 0 && w.bc > 0 {
		u0, err := boundaryValues(cfg, pts.bcT)
		if err != nil {
			return nil, err
		}
		var x, t, u []float64
		for _, side := range []float64{pts.xl, pts.xr} {
			for i, ti := range pts.bcT {
				x, t, u = append(x, side), append(t, ti), append(u, u0[i])
			}
		}
		sl.parts[termBC] = part(w.bc, x, t, u)
	}

	u := make([]float64, len(pts.resX))
	for k := range pts.resX {
		j := int(math.Round(pts.resX[k] * float64(g.NX) / (2 * math.Pi)))
		i := int(math.Round(pts.resT[k] * float64(g.NT-1)))
		if i < 0 || i >= g.NT || j < 0 || j >= g.NX || math.Abs(g.X(j)-pts.resX[k]) > 1e-12 || math.Abs(g.T(i)-pts.resT[k]) > 1e-12 {
			return nil, fmt.Errorf("supervised: collocation point (%g, %g) is not a grid point", pts.resX[k], pts.resT[k])
		}
		u[k] = exact[i*g.NX+j]
	}
	sl.parts[termRes] = part(w.res, pts.resX, pts.resT, u)
	return sl, nil
}

// boundaryValues returns u*(0, t) at the boundary times bcT = i/(NB−1):
// column x = 0 of the reference solution on an NX × NB grid.
func boundaryValues(cfg *Config, bcT []float64) ([]float64, error) {
	if len(bcT) == 1 {
		ic, err := refsol.LookupIC(cfg.IC)
		if err != nil {
			return nil, err
		}
		return []float64{ic.H(0)}, nil
	}
	g := refsol.Grid{NX: cfg.NX, NT: len(bcT)}
	sol, err := refsol.Solve(cfg.refProblem(), g)
	if err != nil {
		return nil, fmt.Errorf("supervised boundary targets: %w", err)
	}
	out := make([]float64, len(bcT))
	for i, t := range bcT {
		if math.Abs(g.T(i)-t) > 1e-12 {
			return nil, fmt.Errorf("supervised: boundary time %g is not %d/%d", t, i, len(bcT)-1)
		}
		out[i] = sol[i*g.NX]
	}
	return out, nil
}

func (sl *supervisedLoss) eval(p, grad []float64) float64 {
	clear(grad)
	total := 0.0
	for k, pr := range sl.parts {
		sl.terms[k] = 0
		if pr == nil {
			continue
		}
		total += pr.eval(p, sl.grad)
		sl.terms[k] = pr.terms[termIC]
		for i, g := range sl.grad {
			grad[i] += g
		}
	}
	return total
}

func (sl *supervisedLoss) lastTerms() [numTerms]float64 { return sl.terms }

func (sl *supervisedLoss) setOutput([]float64) {}
