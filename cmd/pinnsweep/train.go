package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/pinnsweep/pinnsweep/internal/atomicfile"
	"github.com/pinnsweep/pinnsweep/trainer"
	"github.com/pinnsweep/pinnsweep/trainer/refsol"
)

// settingFlag is a pflag.Value that records a trainer setting by key; the
// settings are applied in command-line order after parsing. Its type and
// default, shown in the help, come from trainer.Config.
type settingFlag struct {
	key, typ string
	list     *[]setting
}

type setting struct{ key, value string }

func (f settingFlag) String() string { return "" }

// Type implements pflag.Value: the value's placeholder in the help.
func (f settingFlag) Type() string { return f.typ }

func (f settingFlag) Set(v string) error {
	c := trainer.DefaultConfig()
	if f.key == "layers" {
		v = hiddenLayers(v)
	}
	if err := c.Set(f.key, v); err != nil {
		return err
	}
	*f.list = append(*f.list, setting{f.key, v})
	return nil
}

// settingDefaults returns, by setting key, the type name of each trainer
// setting (bool, int, float, string, ints, strings) and its default as shown in
// help (trainer.DefaultConfig).
func settingDefaults() map[string][2]string {
	out := map[string][2]string{}
	def := reflect.ValueOf(trainer.DefaultConfig())
	t := def.Type()
	for i := 0; i < t.NumField(); i++ {
		key, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		v := def.Field(i)
		var typ, val string
		switch v.Kind() {
		case reflect.Bool:
			typ, val = "bool", strconv.FormatBool(v.Bool())
		case reflect.Int, reflect.Int64:
			typ, val = "int", strconv.FormatInt(v.Int(), 10)
		case reflect.Float64:
			typ, val = "float", strconv.FormatFloat(v.Float(), 'g', -1, 64)
		case reflect.String:
			typ, val = "string", v.String()
		case reflect.Slice:
			parts := make([]string, v.Len())
			for j := range parts {
				parts[j] = fmt.Sprint(v.Index(j).Interface())
			}
			typ = "ints"
			if v.Type().Elem().Kind() == reflect.String {
				typ = "strings"
			}
			val = strings.Join(parts, ",")
		default:
			typ, val = "value", fmt.Sprint(v.Interface())
		}
		out[key] = [2]string{typ, val}
	}
	return out
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
	{"nx", "nx", "evaluation grid points in x"},
	{"nt", "nt", "evaluation grid points in t"},
	{"history-every", "history_every", "record the loss every k evaluations"},
	{"strategy", "strategy", "training strategy: regular, curriculum, seq2seq, adaptive, resample, hard, supervised (the exact solution as data: the expressivity control)"},
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
	{"diagnostics", "diagnostics", "end-of-training diagnostics, comma-separated: hessian, landscape"},
	{"hessian-k", "hessian_k", "hessian: number of largest eigenvalues"},
	{"hessian-steps", "hessian_steps", "hessian: Lanczos steps (the spectral-density sample)"},
	{"hessian-probes", "hessian_probes", "hessian: most Hutchinson trace probes (0: no trace)"},
	{"landscape-points", "landscape_points", "landscape: grid points per axis (odd)"},
	{"landscape-range", "landscape_range", "landscape: half-width of the grid along each eigenvector"},
}

func newTrainCmd() *cobra.Command {
	var (
		sets   []setting
		asJSON bool
		outDir string
		quiet  bool
		diag   diagFlags
	)
	cmd := &cobra.Command{
		Use:   "train",
		Short: "train one PINN and print its errors",
		Long: `Trains one PINN and prints its errors: rel_l2 against the reference solution, the loss
terms, the residual. The defaults are the paper's protocol (Krishnapriyan et al., 2021);
every flag is a trainer setting, as in a sweep spec's fixed section. Bad flags or
values exit with status 2.`,
		Example: `  pinnsweep train --pde convection --beta 30 --nf 1000 --seed 0
  pinnsweep train --beta 30 --strategy curriculum --json`,
		Args: noArgs,
	}
	fs := cmd.Flags()
	defaults := settingDefaults()
	for _, f := range trainFlags {
		d := defaults[f.key]
		fl := fs.VarPF(settingFlag{key: f.key, typ: d[0], list: &sets}, f.flag, "", f.usage)
		fl.DefValue = d[1]
		if d[0] == "bool" {
			fl.NoOptDefVal = "true"
		}
	}
	for flag, words := range map[string][]string{
		"pde":                {trainer.Convection, trainer.Reaction, trainer.ReactionDiffusion, trainer.Diffusion},
		"ic":                 refsol.ICNames(),
		"strategy":           trainer.Strategies(),
		"optimizer":          {trainer.OptimizerLBFGS, trainer.OptimizerAdam, trainer.OptimizerAdamLBFGS},
		"activation":         {"tanh", "sin"},
		"curriculum-spacing": {"linear", "geometric"},
		"periodic-ux":        {"auto", "true", "false"},
	} {
		_ = cmd.RegisterFlagCompletionFunc(flag, completeWords(words...))
	}
	fs.BoolVar(&asJSON, "json", false, "print one JSON object with the result on stdout")
	fs.StringVar(&outDir, "out", "", "`dir`ectory to write result.json and fields.csv (the exact and predicted fields) to")
	fs.BoolVar(&quiet, "quiet", false, "no progress line")
	fs.BoolVar(&diag.hessian, "hessian", false, "after training, the Hessian's top eigenvalues, trace and spectral density (adds hessian to --diagnostics)")
	fs.BoolVar(&diag.landscape, "landscape", false, "after training, the loss on the plane of the top two Hessian eigenvectors (adds landscape to --diagnostics)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return runTrain(cmd, sets, asJSON, outDir, quiet, diag)
	}
	return cmd
}

// runTrain implements `pinnsweep train`.
func runTrain(cmd *cobra.Command, sets []setting, asJSON bool, outDir string, quiet bool, diag diagFlags) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	cfg := trainer.DefaultConfig()
	for _, s := range sets {
		if err := cfg.Set(s.key, s.value); err != nil {
			return usageError{err}
		}
	}
	diag.apply(&cfg)
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var opts trainer.Options
	tty := false
	if isTerminal(stderr) && !quiet {
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
	if outDir != "" {
		var fields *trainer.Fields
		res, fields, err = trainer.TrainFields(ctx, cfg, opts)
		if res != nil && fields != nil {
			if werr := writeFields(outDir, res, fields); werr != nil {
				return werr
			}
		}
	} else {
		res, err = trainer.Train(ctx, cfg, opts)
	}
	if tty {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if res == nil {
		return err
	}
	if asJSON {
		if err := json.NewEncoder(stdout).Encode(res); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "status %s (%s)\nrel_l2 %.4e  abs_err %.4e  linf_rel %.4e\nloss %.4e (ic %.3e, bc %.3e, res %.3e)\nresidual: grid %.4e  train %.4e\nevals %d  iterations %d  seconds %.2f\n",
			res.Status, res.StopReason, res.RelL2, res.AbsErr, res.LinfRel, res.Loss, res.LossIC, res.LossBC, res.LossRes,
			res.ResidualGrid, res.ResidualTrain, res.Evals, res.Iterations, res.Seconds)
		printDiagnostics(stdout, res)
	}
	if errors.Is(err, context.Canceled) {
		return exitCodeError{exitInterrupted, errSilent}
	}
	return nil
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
// |error| on the evaluation grid) into dir, atomically with mode 0644.
func writeFields(dir string, res *trainer.Result, f *trainer.Fields) error {
	if err := atomicfile.MkdirAll(dir); err != nil {
		return err
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "result.json"), append(b, '\n'), atomicfile.Public); err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, "fields.csv"), atomicfile.Public, func(w io.Writer) error {
		if _, err := io.WriteString(w, "x,t,exact,predicted,abs_error\n"); err != nil {
			return err
		}
		for i := range f.Exact {
			d := math.Abs(f.Pred[i] - f.Exact[i])
			if _, err := fmt.Fprintf(w, "%.17g,%.17g,%.17g,%.17g,%.17g\n", f.X[i], f.T[i], f.Exact[i], f.Pred[i], d); err != nil {
				return err
			}
		}
		return nil
	})
}

// diagFlags are train's --hessian and --landscape switches.
type diagFlags struct{ hessian, landscape bool }

// apply adds the switched-on diagnostics to cfg.Diagnostics.
func (d diagFlags) apply(cfg *trainer.Config) {
	for name, on := range map[string]bool{trainer.DiagnosticHessian: d.hessian, trainer.DiagnosticLandscape: d.landscape} {
		if on && !slices.Contains(cfg.Diagnostics, name) {
			cfg.Diagnostics = append(cfg.Diagnostics, name)
		}
	}
	slices.Sort(cfg.Diagnostics)
}

// printDiagnostics prints the Hessian and landscape lines of a result.
func printDiagnostics(w io.Writer, res *trainer.Result) {
	if h := res.Hessian; h != nil {
		if h.Error != "" {
			fmt.Fprintf(w, "hessian: stopped: %s\n", h.Error)
		}
		if res.HessianMax != nil {
			fmt.Fprintf(w, "hessian: top %.4g (converged %v, %d Lanczos steps), min Ritz %.3g", res.HessianTop, h.Converged, h.LanczosSteps, h.Min)
			if res.HessianTrace != nil {
				fmt.Fprintf(w, ", trace %.4g ± %.2g (%d probes)", *res.HessianTrace, h.TraceStdErr, h.TraceProbes)
			}
			fmt.Fprintf(w, "\nhessian: %d products, %.2fs, product error %.1e\n", h.HVPs, h.Seconds, h.HVPRelErr)
		}
	}
	if l := res.Landscape; l != nil {
		fmt.Fprintf(w, "landscape: %d × %d over ±%g, %.2fs\n", len(l.Coords), len(l.Coords), l.Coords[len(l.Coords)-1], l.Seconds)
	}
}
