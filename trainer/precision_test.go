package trainer

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pinnsweep/pinnsweep/internal/cputime"
	"github.com/pinnsweep/pinnsweep/trainer/optim"
	"github.com/pinnsweep/pinnsweep/trainer/refsol"
)

var (
	precisionAblation = flag.Bool("trainer.precision-ablation", false,
		"run TestPrecisionAblation: whole regular trials with the optimizer's state in float64 or float32 (minutes)")
	ablationBetas = flag.String("trainer.ablation-betas", "1,10,30", "β values of TestPrecisionAblation")
	ablationSeeds = flag.Int("trainer.ablation-seeds", 3, "seeds (0, 1, …) of TestPrecisionAblation")
)

// optimizerVariant is where a trial keeps its numbers: the network's
// precision, the L-BFGS curvature pairs and the parameter vector.
type optimizerVariant struct {
	name     string
	f32      bool // float32 network, streams, loss and reverse pass
	hist32   bool // curvature pairs stored in float32
	params32 bool // parameters rounded to float32 after every iteration
}

// trialStats is one trial of runVariant.
type trialStats struct {
	relL2    float64
	evals    int
	stop     string
	cpu      float64 // thread CPU seconds of the training
	optShare float64 // share of cpu outside the objective (two-loop, line search, bookkeeping)
}

// runVariant trains cfg's regular PINN as Train does, with the optimizer
// variant v, and measures the thread CPU time in and out of the objective.
func runVariant(t *testing.T, cfg Config, v optimizerVariant) trialStats {
	cfg.Precision = PrecisionF64
	if v.f32 {
		cfg.Precision = PrecisionF32
	}
	ic, err := refsol.LookupIC(cfg.IC)
	if err != nil {
		t.Fatal(err)
	}
	exact, err := Exact(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m, err := newModel(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &session{cfg: cfg, start: time.Now(), res: &Result{Config: cfg}, every: 10, nextLog: 1}
	pts := paperPoints(&cfg, ic.H)
	pr := s.newProblem(&cfg, m, pts)
	set := s.settings(cfg.MaxIters)
	set.MaxEvals = cfg.MaxEvals
	set.HistoryFloat32 = v.hist32
	if v.params32 {
		set.Callback = func(optim.Progress) {
			for i, p := range m.p {
				m.p[i] = float64(float32(p))
			}
		}
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	obj := s.objective(pr)
	var inObj time.Duration
	timed := func(x, g []float64) float64 {
		t0 := cputime.Thread()
		f := obj(x, g)
		inObj += cputime.Thread() - t0
		return f
	}
	t0 := cputime.Thread()
	r, err := optim.NewLBFGS(len(m.p), set).Minimize(context.Background(), timed, m.p)
	cpu := cputime.Thread() - t0
	if err != nil && r.Reason != optim.ReasonDiverged {
		t.Fatal(err)
	}
	s.iters = r.Iters
	op, _ := operatorFor(&cfg)
	s.finish(m, op, pts, exact)
	return trialStats{relL2: s.res.RelL2, evals: s.evals, stop: r.Reason, cpu: cpu.Seconds(),
		optShare: (cpu - inObj).Seconds() / cpu.Seconds()}
}

// TestPrecisionAblation decides where the float32 path keeps its
// optimizer state: regular convection trials (paper protocol) at each β
// and seed with a float64 network, and with a float32 network whose
// optimizer keeps (a) everything in float64 (what the trainer does), (b)
// its curvature pairs in float32, (c) also its parameters in float32
// (rounded after every iteration, as a float32 framework stores them).
// It prints the medians over seeds as a Markdown table (docs/repro.md,
// "Precision"). Run with
//
//	GOEXPERIMENT=simd go test -run PrecisionAblation -v ./trainer/ -args -trainer.precision-ablation
func TestPrecisionAblation(t *testing.T) {
	if !*precisionAblation {
		t.Skip("a long measurement: run with -args -trainer.precision-ablation")
	}
	variants := []optimizerVariant{
		{name: "float64 network, float64 optimizer"},
		{name: "float32 network, float64 optimizer (the trainer's)", f32: true},
		{name: "float32 network, float32 curvature pairs", f32: true, hist32: true},
		{name: "float32 network, float32 pairs and parameters", f32: true, hist32: true, params32: true},
	}
	var betas []float64
	for _, f := range strings.Split(*ablationBetas, ",") {
		var b float64
		if _, err := fmt.Sscan(f, &b); err != nil {
			t.Fatalf("-trainer.ablation-betas: %v", err)
		}
		betas = append(betas, b)
	}
	var rows []string
	for _, beta := range betas {
		for _, v := range variants {
			var st []trialStats
			for seed := 0; seed < *ablationSeeds; seed++ {
				cfg := DefaultConfig()
				// As the PyTorch anchor's --seed: the draw and the initialisation.
				cfg.Beta, cfg.Seed, cfg.SampleSeed = beta, int64(seed), int64(seed)
				r := runVariant(t, cfg, v)
				t.Logf("β=%g %s seed %d: rel_l2 %.3g, %d evals, %s, %.2f cpu-s, optimizer %.0f%%", beta, v.name, seed, r.relL2, r.evals, r.stop, r.cpu, 100*r.optShare)
				st = append(st, r)
			}
			med := func(f func(trialStats) float64) float64 {
				vs := make([]float64, len(st))
				for i, s := range st {
					vs[i] = f(s)
				}
				slices.Sort(vs)
				if len(vs)%2 == 1 {
					return vs[len(vs)/2]
				}
				return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
			}
			per := make([]string, len(st))
			stops := make([]string, len(st))
			for i, s := range st {
				per[i] = fmt.Sprintf("%.2g", s.relL2)
				stops[i] = s.stop
			}
			rows = append(rows, fmt.Sprintf("| %g | %s | %.3g [%s] | %.0f | %.2f | %.0f%% | %s |", beta, v.name,
				med(func(s trialStats) float64 { return s.relL2 }), strings.Join(per, ", "),
				med(func(s trialStats) float64 { return float64(s.evals) }),
				med(func(s trialStats) float64 { return s.cpu }),
				100*med(func(s trialStats) float64 { return s.optShare }), strings.Join(stops, ", ")))
		}
	}
	fmt.Printf("\n| β | variant | median rel. L2 [per seed] | evaluations (median) | CPU s per trial (median) | optimizer share of CPU | stop |\n|---|---|---|---|---|---|---|\n%s\n", strings.Join(rows, "\n"))
}
