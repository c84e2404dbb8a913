package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/pinnsweep/pinnsweep/trainer"
)

func init() {
	register("train", command{summary: "train one PINN and print its errors", run: runTrain})
}

// settingFlag is a flag.Value that records a trainer setting by key; the
// settings are applied in command-line order after parsing.
type settingFlag struct {
	key  string
	list *[]setting
}

type setting struct{ key, value string }

func (f settingFlag) String() string { return "" }

// boolSettingFlag is a settingFlag that may be given without a value.
type boolSettingFlag struct{ settingFlag }

func (boolSettingFlag) IsBoolFlag() bool { return true }

// boolSettings are the trainer settings whose flags may omit "=true".
var boolSettings = map[string]bool{"fourier_t_raw": true, "seq2seq_warm": true, "hard_layer": true, "grad_balance": true, "resample_reset": true}

func (f settingFlag) Set(v string) error {
	c := trainer.DefaultConfig()
	if err := c.Set(f.key, v); err != nil {
		return err
	}
	*f.list = append(*f.list, setting{f.key, v})
	return nil
}

// trainFlags maps command-line flags to trainer settings.
var trainFlags = []struct{ flag, key, usage string }{
	{"pde", "pde", "PDE: convection, reaction, rd, diffusion"},
	{"beta", "beta", "convection speed β"},
	{"rho", "rho", "reaction rate ρ"},
	{"nu", "nu", "diffusion coefficient ν"},
	{"ic", "ic", "initial condition: sin, gauss, cos, sin2, sin-mix, gauss-narrow, step-smooth"},
	{"nf", "nf", "number of collocation points"},
	{"layers", "layers", "network: 2-50-50-50-50-1 or hidden widths 50,50,50,50"},
	{"activation", "activation", "tanh or sin"},
	{"optimizer", "optimizer", "lbfgs, adam, or adam_lbfgs (Adam, then L-BFGS)"},
	{"lr", "lr", "learning rate (adam_lbfgs: the L-BFGS step scale)"},
	{"adam-iters", "adam_iters", "adam_lbfgs: Adam epochs before L-BFGS"},
	{"adam-lr", "adam_lr", "adam_lbfgs: Adam's step size"},
	{"adam-decay-steps", "adam_decay_steps", "Adam: multiply the step size by --adam-decay every K steps (0: off)"},
	{"adam-decay", "adam_decay", "Adam: step-size decay factor"},
	{"lbfgs-resample-every", "lbfgs_resample_every", "adam_lbfgs: redraw the points every K L-BFGS iterations (0: --resample-every)"},
	{"lambda", "lambda", "weight λ of the residual loss"},
	{"max-iters", "max_iters", "maximum optimizer iterations (0: no cap)"},
	{"max-evals", "max_evals", "maximum loss evaluations (0: no cap)"},
	{"max-seconds", "max_seconds", "maximum training seconds (0: no cap)"},
	{"seed", "seed", "weight-initialisation seed"},
	{"sample-seed", "sample_seed", "collocation-sampling seed"},
	{"periodic-ux", "periodic_ux", "u_x periodicity term in the BC loss: auto (on when ν > 0), true, false"},
	{"history", "history", "L-BFGS history size"},
	{"tol-grad", "tol_grad", "L-BFGS: stop when max|g| ≤ this (0: off)"},
	{"tol-change", "tol_change", "L-BFGS: stop when the loss or step changes less than this (0: off)"},
	{"threads", "threads", "goroutines the points are sharded over"},
	{"precision", "precision", "arithmetic of the network, its derivative streams, loss and gradient: f64 or f32 (the optimizer stays float64)"},
	{"nx", "nx", "evaluation grid points in x"},
	{"nt", "nt", "evaluation grid points in t"},
	{"history-every", "history_every", "record the loss every k evaluations"},
	{"strategy", "strategy", "training strategy: regular, curriculum, seq2seq, adaptive, resample, hard"},
	{"curriculum-start", "curriculum_start", "curriculum: first coefficient (β, ρ or ν)"},
	{"curriculum-stages", "curriculum_stages", "curriculum: coefficients in the schedule (0: steps of about 5)"},
	{"curriculum-spacing", "curriculum_spacing", "curriculum: linear or geometric"},
	{"curriculum-step", "curriculum_step", "curriculum: linear step when --curriculum-stages is 0"},
	{"curriculum-iters", "curriculum_iters", "curriculum: iterations of every stage but the last"},
	{"seq2seq-dt", "seq2seq_dt", "seq2seq: segment length Δt"},
	{"seq2seq-warm", "seq2seq_warm", "seq2seq: warm-start each segment from the previous (true) or a fresh network (false)"},
	{"resample-every", "resample_every", "adaptive/resample: redraw the points every K epochs"},
	{"jitter", "jitter", "adaptive/resample: jitter drawn grid points by this fraction of a cell (0.5: the paper's; 1: uniform over the domain)"},
	{"adaptive-period", "adaptive_period", "adaptive: period T of the cosine uniform/residual mix"},
	{"stall-patience", "stall_patience", "adaptive/resample: epochs without improvement that make a stall"},
	{"stall-delta", "stall_delta", "adaptive/resample: improvement that resets the stall counter"},
	{"resample-reset", "resample_reset", "adaptive/resample: reset the optimizer's memory at every redraw"},
	{"periodic-x", "periodic_x", "exact periodic embedding in x with M harmonics (0: off)"},
	{"fourier-t", "fourier_t", "random Fourier features of t (count)"},
	{"fourier-sigma", "fourier_sigma", "standard deviation of the Fourier frequencies"},
	{"fourier-t-raw", "fourier_t_raw", "keep t itself as an input beside its Fourier features (false: features only)"},
	{"hard-layer", "hard_layer", "solve the output layer as the hard-constraint PDE layer (linear PDEs)"},
	{"hard-ridge", "hard_ridge", "ridge weight of the hard layer's solve"},
	{"causal-chunks", "causal_chunks", "causal weighting over this many time chunks (0: off)"},
	{"causal-eps", "causal_eps", "causal weighting: first ε"},
	{"causal-eps-max", "causal_eps_max", "causal weighting: largest ε (×10 per release)"},
	{"grad-balance", "grad_balance", "balance the loss terms by their gradient norms"},
	{"reweight-every", "reweight_every", "iterations per causal/balancing round"},
}

func runTrain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	var sets []setting
	for _, f := range trainFlags {
		sf := settingFlag{key: f.key, list: &sets}
		if boolSettings[f.key] {
			fs.Var(boolSettingFlag{sf}, f.flag, f.usage)
		} else {
			fs.Var(sf, f.flag, f.usage)
		}
	}
	asJSON := fs.Bool("json", false, "print one JSON object with the result on stdout")
	outDir := fs.String("out", "", "directory to write the exact and predicted fields to")
	quiet := fs.Bool("quiet", false, "no progress line")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pinnsweep train: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	cfg := trainer.DefaultConfig()
	for _, s := range sets {
		v := s.value
		if s.key == "layers" {
			v = hiddenLayers(v)
		}
		if err := cfg.Set(s.key, v); err != nil {
			fmt.Fprintf(stderr, "pinnsweep train: %v\n", err)
			return 2
		}
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "pinnsweep train: %v\n", err)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var opts trainer.Options
	tty := false
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) && !*quiet {
		tty = true
		last := time.Time{}
		opts.Progress = func(p trainer.Progress) {
			if time.Since(last) < 200*time.Millisecond {
				return
			}
			last = time.Now()
			fmt.Fprintf(stderr, "\r\033[Kiter %d  evals %d  loss %.4e  %.1fs", p.Iter, p.Evals, p.Loss, p.Seconds)
		}
	}
	var res *trainer.Result
	var err error
	if *outDir != "" {
		var fields *trainer.Fields
		res, fields, err = trainer.TrainFields(ctx, cfg, opts)
		if res != nil && fields != nil {
			if werr := writeFields(*outDir, res, fields); werr != nil {
				fmt.Fprintf(stderr, "pinnsweep train: %v\n", werr)
				return 1
			}
		}
	} else {
		res, err = trainer.Train(ctx, cfg, opts)
	}
	if tty {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if res == nil {
		fmt.Fprintf(stderr, "pinnsweep train: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(res); err != nil {
			fmt.Fprintf(stderr, "pinnsweep train: %v\n", err)
			return 1
		}
	} else {
		fmt.Fprintf(stdout, "status %s (%s)\nrel_l2 %.4e  abs_err %.4e  linf_rel %.4e\nloss %.4e (ic %.3e, bc %.3e, res %.3e)\nresidual: grid %.4e  train %.4e\nevals %d  iterations %d  seconds %.2f\n",
			res.Status, res.StopReason, res.RelL2, res.AbsErr, res.LinfRel, res.Loss, res.LossIC, res.LossBC, res.LossRes,
			res.ResidualGrid, res.ResidualTrain, res.Evals, res.Iterations, res.Seconds)
	}
	if errors.Is(err, context.Canceled) {
		return 130
	}
	return 0
}

// hiddenLayers turns the full form 2-50-50-1 into the hidden widths
// 50,50; a list without the input and output sizes is kept as it is.
func hiddenLayers(v string) string {
	parts := strings.FieldsFunc(v, func(r rune) bool { return r == '-' || r == ',' || r == 'x' || r == ' ' })
	if strings.Contains(v, "-") && len(parts) >= 3 {
		in, err1 := strconv.Atoi(parts[0])
		out, err2 := strconv.Atoi(parts[len(parts)-1])
		if err1 == nil && err2 == nil && in == 2 && out == 1 {
			parts = parts[1 : len(parts)-1]
		}
	}
	return strings.Join(parts, ",")
}

// writeFields writes result.json and fields.csv (x, t, exact, predicted,
// |error| on the evaluation grid) into dir.
func writeFields(dir string, res *trainer.Result, f *trainer.Fields) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "result.json"), b, 0o644); err != nil {
		return err
	}
	var sb strings.Builder
	sb.WriteString("x,t,exact,predicted,abs_error\n")
	for i := range f.Exact {
		d := f.Pred[i] - f.Exact[i]
		if d < 0 {
			d = -d
		}
		fmt.Fprintf(&sb, "%.17g,%.17g,%.17g,%.17g,%.17g\n", f.X[i], f.T[i], f.Exact[i], f.Pred[i], d)
	}
	return os.WriteFile(filepath.Join(dir, "fields.csv"), []byte(sb.String()), 0o644)
}
