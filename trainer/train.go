package trainer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/pinnsweep/pinnsweep/trainer/optim"
	"github.com/pinnsweep/pinnsweep/trainer/refsol"
)

// session is one training run: the configuration, the clock and the
// bookkeeping shared by every strategy.
type session struct {
	cfg     Config
	opts    Options
	start   time.Time
	evals   int
	iters   int
	res     *Result
	lastF   float64
	every   int
	nextLog int
	// evalCap, if set, runs after every evaluation (adaptive's budget).
	evalCap func()
	// balanceW multiplies the loss-term weights (gradient-norm balancing);
	// zero means off.
	balanceW [numTerms]float64
	// ck takes checkpoints and holds the state resumed from (nil: neither).
	ck *checkpointer
}

// objective wraps pr.eval with evaluation counting, history and progress.
func (s *session) objective(pr trainingLoss) optim.Func {
	return func(x, grad []float64) float64 {
		f := pr.eval(x, grad)
		s.evals++
		s.lastF = f
		if s.evals >= s.nextLog {
			s.nextLog = s.evals + s.every
			el := time.Since(s.start).Seconds()
			terms := pr.lastTerms()
			s.res.History = append(s.res.History, HistoryPoint{Eval: s.evals, Iter: s.iters, Seconds: el, Loss: f,
				LossIC: terms[termIC], LossBC: terms[termBC], LossRes: terms[termRes]})
			if s.opts.Progress != nil {
				s.opts.Progress(Progress{Evals: s.evals, Iter: s.iters, Loss: f, Seconds: el})
			}
		}
		if s.evalCap != nil {
			s.evalCap()
		}
		return f
	}
}

// settings are the optimizer settings of cfg for one call of maxIters
// iterations. A zero tolerance in the Config disables the test.
func (s *session) settings(maxIters int) optim.Settings {
	tol := func(v float64) float64 {
		if v == 0 {
			return -1
		}
		return v
	}
	return optim.Settings{
		LR:        s.cfg.LR,
		History:   s.cfg.History,
		TolGrad:   tol(s.cfg.TolGrad),
		TolChange: tol(s.cfg.TolChange),
		MaxIters:  maxIters,
		// The curvature pairs stay float64 for a float32 network too
		// (HistoryFloat32 off): over 20 seeds of the paper's β = 10 trial,
		// float32 pairs reached a worse median rel_l2 and one seed failed,
		// for about 8% less time per evaluation (docs/repro.md, "Where
		// the float32 path keeps its optimizer state").
		// Adam only (L-BFGS ignores them).
		DecaySteps: s.cfg.AdamDecaySteps,
		Decay:      s.cfg.AdamDecay,
	}
}

// minimize runs a fresh optimizer on pr from x with at most maxIters
// iterations (0: no cap) and the trial's remaining eval and time budget.
func (s *session) minimize(ctx context.Context, pr trainingLoss, x []float64, maxIters int) (string, error) {
	set := s.settings(maxIters)
	evals0, iters0 := s.evals, s.iters
	resumed := s.ck.takeCall()
	if resumed != nil {
		evals0, iters0 = resumed.evals0, resumed.iters0
	}
	if s.cfg.MaxEvals > 0 {
		left := s.cfg.MaxEvals - evals0
		if left <= 0 {
			return "max_evals", nil
		}
		set.MaxEvals = left
	}
	if s.cfg.MaxSeconds > 0 {
		left := s.cfg.MaxSeconds - time.Since(s.start).Seconds()
		if left <= 0 {
			return "max_seconds", nil
		}
		set.MaxSeconds = left
	}
	set.Callback = func(p optim.Progress) { s.iters = iters0 + p.Iter }
	if s.ck.saving() {
		set.AtBoundary = s.ck.boundary
	}
	var opt interface {
		optState
		Minimize(context.Context, optim.Func, []float64) (optim.Result, error)
	}
	if s.cfg.Optimizer == OptimizerAdam {
		opt = optim.NewAdam(len(x), set)
	} else {
		opt = optim.NewLBFGS(len(x), set)
	}
	if resumed != nil {
		if err := opt.UnmarshalBinary(resumed.opt); err != nil {
			return "", fmt.Errorf("%w: %w", ErrCheckpoint, err)
		}
	}
	s.ck.enter(opt, evals0, iters0)
	r, err := opt.Minimize(ctx, s.objective(pr), x)
	s.ck.leave()
	s.iters = iters0 + r.Iters
	return r.Reason, err
}

// Train runs one trial: it builds the network, the training points and the
// loss of cfg, minimises it with cfg's strategy, and evaluates the result on
// the full grid.
//
// A cancelled ctx stops training within one loss evaluation; the result is
// then evaluated at the last parameters and has Status "cancelled" (Train
// also returns ctx's error). A NaN or Inf loss gives Status "diverged" and
// no error. An invalid cfg returns an error and no result.
func Train(ctx context.Context, cfg Config, opts Options) (*Result, error) {
	res, _, err := TrainFields(ctx, cfg, opts)
	return res, err
}

// Fields are the exact and predicted solutions on the NX × NT evaluation
// grid, row-major by t (index i·NX + j), with the coordinates of each point.
type Fields struct {
	NX, NT      int
	X, T        []float64
	Exact, Pred []float64
}

// solution is a trained model as the evaluation sees it.
type solution interface {
	predict(x, t []float64) []float64
	meanSquaredResidual(op operator, x, t []float64) float64
}

func (m *model) predict(x, t []float64) []float64 { return predict(m.nt, m.emb, m.p, x, t) }

func (m *model) meanSquaredResidual(op operator, x, t []float64) float64 {
	return meanSquaredResidual(m.nt, m.emb, op, m.p, x, t)
}

// TrainFields is Train that also returns the exact and predicted fields.
func TrainFields(ctx context.Context, cfg Config, opts Options) (*Result, *Fields, error) {
	cfg.explicitDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, nil, fmt.Errorf("invalid config: %w", err)
	}
	ic, err := refsol.LookupIC(cfg.IC)
	if err != nil {
		return nil, nil, err
	}
	exact, err := Exact(cfg)
	if err != nil {
		return nil, nil, err
	}
	s := &session{cfg: cfg, opts: opts, start: time.Now(),
		res: &Result{Config: cfg, Version: Version, BLAS: BLASName(), PeriodicUx: cfg.UsePeriodicUx() && cfg.PeriodicX == 0}}
	s.every = cfg.HistoryEvery
	if s.every <= 0 {
		s.every = 10
	}
	s.nextLog = 1
	if s.ck, err = newCheckpointer(s, opts); err != nil {
		return nil, nil, err
	}
	op, _ := operatorFor(&cfg)

	var sol solution
	var train pointSet
	var reason string
	var trainErr error
	var pr trainingLoss
	var mdl *model // the trained model (not seq2seq)
	if cfg.Strategy == StrategySeq2Seq {
		var st *stitched
		st, train, reason, trainErr = s.runSeq2Seq(ctx, ic.H)
		sol = st
	} else {
		m, err := newModel(&cfg)
		if err != nil {
			return nil, nil, err
		}
		// Resuming, the checkpoint's weights replace the initial ones
		// here: whatever needs the initial weights takes them before
		// (p0, for Result.LossInitial).
		p0 := slices.Clone(m.p)
		if err := s.ck.track(m); err != nil {
			return nil, nil, err
		}
		sol = m
		mdl = m
		train = paperPoints(&cfg, ic.H)
		switch cfg.Strategy {
		case StrategyCurriculum:
			pr, reason, trainErr = s.runCurriculum(ctx, m, train)
		case StrategyAdaptive, StrategyResample:
			pr, train, reason, trainErr = s.runAdaptive(ctx, m, train)
		case StrategyRegular, StrategyHard:
			if cfg.epochLoop() {
				// Reweighting rounds and optimizer phases need the persistent epoch loop.
				pr, train, reason, trainErr = s.runAdaptive(ctx, m, train)
				break
			}
			pr = s.newProblem(&cfg, m, train)
			reason, trainErr = s.minimize(ctx, pr, m.p, cfg.MaxIters)
		case StrategySupervised:
			var sup *supervisedLoss
			if sup, err = s.newSupervised(&cfg, m, train, exact); err != nil {
				return nil, nil, err
			}
			pr = sup
			reason, trainErr = s.minimize(ctx, pr, m.p, cfg.MaxIters)
		default:
			pr = s.newProblem(&cfg, m, train)
			reason, trainErr = s.minimize(ctx, pr, m.p, cfg.MaxIters)
		}
		s.finalLoss(pr, m.p, p0)
	}
	res := s.res
	res.StopReason = reason
	res.Status = StatusDone
	switch {
	case errors.Is(trainErr, optim.ErrDiverged):
		res.Status = StatusDiverged
		trainErr = nil
	case trainErr != nil && ctx.Err() != nil:
		res.Status = StatusCancelled
	case trainErr != nil:
		return nil, nil, trainErr
	}
	fields := s.finish(sol, op, train, exact)
	if res.Status == StatusDone && !finite(res.RelL2, res.Loss) {
		res.Status = StatusDiverged
	}
	if res.Status == StatusDone && cfg.wantsHessian() {
		if err := s.diagnose(ctx, s.diagnosticLoss(mdl, pr, train), mdl.p); err != nil {
			res.Status = StatusCancelled
			return res, fields, err
		}
	}
	return res, fields, trainErr
}

// finish evaluates the trained solution: the metrics on the full grid and
// the PDE residual on the grid interior and on the training points.
func (s *session) finish(sol solution, op operator, train pointSet, exact []float64) *Fields {
	res := s.res
	c := &s.cfg
	g := c.grid()
	xs, ts := make([]float64, 0, g.Len()), make([]float64, 0, g.Len())
	for i := 0; i < c.NT; i++ {
		for j := 0; j < c.NX; j++ {
			xs = append(xs, g.X(j))
			ts = append(ts, g.T(i))
		}
	}
	pred := sol.predict(xs, ts)
	res.RelL2, res.AbsErr, res.LinfRel = refsol.Metrics(pred, exact)
	res.MSEGrid = res.RelL2 * res.RelL2 * dotSelf(exact) / float64(len(exact))
	ix, it := interiorPoints(c)
	res.ResidualGrid = sol.meanSquaredResidual(op, ix, it)
	res.ResidualTrain = sol.meanSquaredResidual(op, train.resX, train.resT)
	res.Evals, res.Iterations = s.evals, s.iters
	res.Seconds = time.Since(s.start).Seconds()
	res.Solution = newSnapshot(c.NX, c.NT, pred)
	return &Fields{NX: c.NX, NT: c.NT, X: xs, T: ts, Exact: exact, Pred: pred}
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
