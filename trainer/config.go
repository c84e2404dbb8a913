package trainer

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// PDE names accepted in Config.PDE.
const (
	Convection        = "convection"
	Reaction          = "reaction"
	ReactionDiffusion = "rd"
	Diffusion         = "diffusion"
)

// Optimizer names (Config.Optimizer).
const (
	OptimizerLBFGS     = "lbfgs"
	OptimizerAdam      = "adam"
	OptimizerAdamLBFGS = "adam_lbfgs"
)

// Config is everything that defines one training trial. Its zero value is not
// usable; start from DefaultConfig, which is the paper protocol of
// Krishnapriyan et al. (2021): convection β=1, sin IC, 2-50-50-50-50-1 tanh,
// N_f=1000, L-BFGS (history 50, tolerances 1e-7), λ=1.
//
// Every field has a JSON name; these names are the setting keys used by
// sweep specs, `pinnsweep train` flags and stored results (see Set).
type Config struct {
	// PDE is one of convection, reaction, rd (reaction-diffusion), diffusion.
	PDE string `json:"pde"`
	// Beta is the convection speed β (convection only).
	Beta float64 `json:"beta"`
	// Rho is the reaction rate ρ (reaction, rd).
	Rho float64 `json:"rho"`
	// Nu is the diffusion coefficient ν (rd, diffusion).
	Nu float64 `json:"nu"`
	// IC names the initial condition h(x): sin, gauss, sin2, cos, step-smooth (see ICNames).
	IC string `json:"ic"`

	// NX and NT are the evaluation grid sizes: x_j = 2πj/NX, t_i = i/(NT-1). Paper: 256 × 100.
	NX int `json:"nx"`
	NT int `json:"nt"`
	// NU is the number of initial-condition points (the first NU x-grid points at t=0; paper 256).
	NU int `json:"nu_points"`
	// NB is the number of boundary pairs, one per t-grid value (paper 100).
	NB int `json:"nb"`
	// NF is the number of collocation points drawn without replacement
	// from the grid interior (t>0, x>0).
	NF int `json:"nf"`
	// SampleSeed seeds the collocation draw, independent of Seed.
	SampleSeed int64 `json:"sample_seed"`
	// Seed seeds the weight initialisation.
	Seed int64 `json:"seed"`

	// Layers are the hidden-layer widths; the input (2) and output (1) are implied.
	Layers []int `json:"layers"`
	// Activation is tanh or sin.
	Activation string `json:"activation"`

	// Lambda weights the residual MSE: loss = MSE_IC + MSE_BC + λ·MSE_res.
	Lambda float64 `json:"lambda"`
	// PeriodicUx adds the u_x periodicity term to the BC loss. "auto" (the
	// public code's rule: on when ν > 0), "on" or "off".
	PeriodicUx string `json:"periodic_ux"`

	// Optimizer is lbfgs, adam, or adam_lbfgs: AdamIters epochs of Adam
	// (step size AdamLR), then L-BFGS (step scale LR) whose curvature
	// memory restarts at every redraw. adam_lbfgs runs the epoch loop of
	// adaptive and resample, so it works with those and with regular and hard.
	Optimizer string `json:"optimizer"`
	// LR is the learning rate (L-BFGS: step scale, PyTorch's lr; Adam: step size).
	LR float64 `json:"lr"`
	// AdamIters is the number of Adam epochs before adam_lbfgs switches to L-BFGS.
	AdamIters int `json:"adam_iters"`
	// AdamLR is Adam's step size in adam_lbfgs.
	AdamLR float64 `json:"adam_lr"`
	// AdamDecaySteps > 0 multiplies Adam's step size by AdamDecay every
	// AdamDecaySteps steps (the expert's guide: 0.9 every 2000). 0: off.
	AdamDecaySteps int     `json:"adam_decay_steps"`
	AdamDecay      float64 `json:"adam_decay"`
	// LBFGSResampleEvery is the redraw interval, in L-BFGS iterations, of
	// adam_lbfgs's L-BFGS phase (0: every ResampleEvery epochs, as in the
	// Adam phase).
	LBFGSResampleEvery int `json:"lbfgs_resample_every"`
	// MaxIters caps optimizer iterations (0 = no cap).
	MaxIters int `json:"max_iters"`
	// MaxEvals caps loss+gradient evaluations (0 = no cap).
	MaxEvals int `json:"max_evals"`
	// MaxSeconds caps training wall time in seconds (0 = no cap); reaching it
	// ends training normally with StopReason "max_seconds".
	MaxSeconds float64 `json:"max_seconds"`
	// History is the L-BFGS history size (PyTorch: 50).
	History int `json:"history"`
	// TolGrad and TolChange are PyTorch's absolute L-BFGS tolerances (1e-7).
	TolGrad   float64 `json:"tol_grad"`
	TolChange float64 `json:"tol_change"`
	// HistoryEvery records the loss history every k evaluations (0: 10).
	HistoryEvery int `json:"history_every"`

	// Threads is the number of goroutines the points are sharded over (0 or 1: one).
	Threads int `json:"threads"`

	// Strategy is the training strategy: regular, curriculum, seq2seq,
	// adaptive, resample, hard or supervised (see Strategies).
	Strategy string `json:"strategy"`

	// CurriculumStart is the first coefficient of the curriculum schedule
	// (β for convection, ρ for reaction and rd, ν for diffusion).
	CurriculumStart float64 `json:"curriculum_start"`
	// CurriculumStages is the number of coefficients in the schedule,
	// start and target included; 0 picks steps of about CurriculumStep
	// (linear).
	CurriculumStages int `json:"curriculum_stages"`
	// CurriculumStep is the linear schedule's step when CurriculumStages is
	// 0 (default 2.5; β = 40 needed about 1.6, see docs/repro.md).
	CurriculumStep float64 `json:"curriculum_step"`
	// CurriculumSpacing is linear or geometric.
	CurriculumSpacing string `json:"curriculum_spacing"`
	// CurriculumIters caps the iterations of every stage but the last
	// (which has MaxIters).
	CurriculumIters int `json:"curriculum_iters"`

	// Seq2SeqDt is the length Δt of a time-marching segment.
	Seq2SeqDt float64 `json:"seq2seq_dt"`
	// Seq2SeqWarm starts each segment from the previous segment's weights
	// instead of a fresh network.
	Seq2SeqWarm bool `json:"seq2seq_warm"`

	// ResampleEvery is K: collocation points are redrawn every K epochs
	// (one epoch = one optimizer iteration) by adaptive and resample.
	ResampleEvery int `json:"resample_every"`
	// AdaptivePeriod is T, the period in epochs of the cosine mix between
	// uniform and residual-driven draws.
	AdaptivePeriod int `json:"adaptive_period"`
	// StallPatience and StallDelta define a stall: StallPatience epochs
	// without the loss dropping below best − StallDelta. A stall forces a
	// uniform resample (a restart).
	StallPatience int     `json:"stall_patience"`
	StallDelta    float64 `json:"stall_delta"`
	// ResampleReset resets the optimizer's memory at every redraw (the
	// default). The reference code keeps L-BFGS's curvature pairs across
	// redraws (false), which diverged on 2 of 3 seeds at β = 10, N_f = 100.
	ResampleReset bool `json:"resample_reset"`
	// Jitter is the fraction of a grid cell by which adaptive and resample
	// move each point drawn from the interior grid: by U(0, Jitter·Δx) in x
	// and by −U(0, Jitter·Δt) in t (towards t = 0, so that the first cell
	// (0, Δt] is reached). 0.5 is Subramanian et al.'s half-cell jitter,
	// which leaves half of every cell unsampled; 1 draws uniformly over
	// [Δx, 2π) × (0, 1]. With 0.5 a network with fast time features can put
	// a jump to a constant into (0, Δt/2) and satisfy the IC and the PDE
	// at every point it is ever shown (docs/repro.md, convection β = 50).
	Jitter float64 `json:"jitter"`

	// PeriodicX is M: the input x is replaced by (cos kx, sin kx), k = 1..M,
	// which makes u exactly 2π-periodic; the BC loss is then dropped.
	// 0 keeps the raw x.
	PeriodicX int `json:"periodic_x"`
	// FourierT adds that many random Fourier features (cos bt, sin bt) of
	// t with b ~ N(0, FourierSigma²), drawn from Seed.
	FourierT     int     `json:"fourier_t"`
	FourierSigma float64 `json:"fourier_sigma"`
	// FourierTRaw keeps t itself among the inputs beside its Fourier
	// features (the default). false feeds only the features, as Tancik et
	// al.'s embedding does: an unbounded t input lets a network with large
	// first-layer weights jump within a sliver after t = 0, satisfying the
	// IC at t = 0 and the PDE everywhere it is sampled with a constant (see
	// docs/repro.md, convection β = 50).
	FourierTRaw bool `json:"fourier_t_raw"`

	// HardLayer makes the output layer the hard-constraint PDE layer: its
	// weights are solved from the loss's rows at every evaluation (linear
	// PDEs only; one shard). Strategy "hard" is regular with HardLayer.
	HardLayer bool `json:"hard_layer"`
	// HardRidge is the ridge weight of the hard layer's least-squares solve.
	HardRidge float64 `json:"hard_ridge"`

	// CausalChunks > 0 turns on causal weighting (Wang et al. 2022): the
	// collocation points, ordered by t, form that many chunks, and chunk i's
	// residual is weighted by exp(−ε·Σ_{k<i} L_k), held fixed between
	// reweighting rounds. ε starts at CausalEps and grows ×10 up to
	// CausalEpsMax once every weight exceeds 0.99.
	CausalChunks int     `json:"causal_chunks"`
	CausalEps    float64 `json:"causal_eps"`
	CausalEpsMax float64 `json:"causal_eps_max"`
	// GradBalance weights the loss terms by their gradient norms,
	// λ_j = Σ_k‖∇L_k‖/‖∇L_j‖, smoothed 0.9/0.1 between rounds.
	GradBalance bool `json:"grad_balance"`
	// ReweightEvery is the number of iterations per reweighting round
	// (causal weights and balancing); L-BFGS restarts every round.
	ReweightEvery int `json:"reweight_every"`

	// Diagnostics lists the opt-in end-of-training diagnostics: hessian
	// (curvature of the training loss at the final parameters) and
	// landscape (the loss on a plane through them, spanned by the top two
	// Hessian eigenvectors; implies hessian). See diagnose.go.
	Diagnostics []string `json:"diagnostics"`
	// HessianK is the number of largest Hessian eigenvalues (k ≥ 2 with landscape).
	HessianK int `json:"hessian_k"`
	// HessianSteps is the number of Lanczos steps of the eigenvalue run,
	// which is also the spectral-density (SLQ) sample: at least this many,
	// up to 3× while the top k have not converged.
	HessianSteps int `json:"hessian_steps"`
	// HessianProbes caps the Hutchinson trace probes.
	HessianProbes int `json:"hessian_probes"`
	// LandscapePoints is the landscape grid's points per axis (odd, so the
	// trained parameters are its centre).
	LandscapePoints int `json:"landscape_points"`
	// LandscapeRange is the half-width of the landscape grid: the
	// coefficients a, b of θ* + a·v₁ + b·v₂ (unit eigenvectors) span
	// [−LandscapeRange, LandscapeRange].
	LandscapeRange float64 `json:"landscape_range"`
}

// DefaultConfig returns the paper protocol for convection at β = 1.
func DefaultConfig() Config {
	return Config{
		PDE:          Convection,
		Beta:         1,
		IC:           "sin",
		NX:           256,
		NT:           100,
		NU:           256,
		NB:           100,
		NF:           1000,
		SampleSeed:   0,
		Seed:         0,
		Layers:       []int{50, 50, 50, 50},
		Activation:   "tanh",
		Lambda:       1,
		PeriodicUx:   "auto",
		Optimizer:    "lbfgs",
		LR:           1,
		AdamIters:    5000,
		AdamLR:       1e-3,
		AdamDecay:    0.9,
		MaxIters:     100000,
		MaxEvals:     125000,
		History:      50,
		TolGrad:      1e-7,
		TolChange:    1e-7,
		HistoryEvery: 10,
		Threads:      1,

		Strategy:          "regular",
		CurriculumStart:   1,
		CurriculumSpacing: "linear",
		CurriculumStep:    2.5,
		CurriculumIters:   1000,
		Seq2SeqDt:         0.1,
		Seq2SeqWarm:       true,
		ResampleEvery:     50,
		AdaptivePeriod:    500,
		StallPatience:     10,
		StallDelta:        1e-7,
		ResampleReset:     true,
		Jitter:            0.5,
		FourierSigma:      1,
		FourierTRaw:       true,
		HardRidge:         1e-6,
		CausalEps:         1,
		CausalEpsMax:      100,
		ReweightEvery:     100,

		HessianK:        2,
		HessianSteps:    60,
		HessianProbes:   100,
		LandscapePoints: 21,
		LandscapeRange:  1,
	}
}

// UsePeriodicUx reports whether the BC loss includes the u_x periodicity term.
func (c *Config) UsePeriodicUx() bool {
	switch c.PeriodicUx {
	case "on", "true":
		return true
	case "off", "false":
		return false
	default:
		return c.Nu > 0
	}
}

// SettingNames lists the keys accepted by Set, sorted.
func SettingNames() []string {
	t := reflect.TypeOf(Config{})
	names := make([]string, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		names = append(names, jsonName(t.Field(i)))
	}
	sort.Strings(names)
	return names
}

func jsonName(f reflect.StructField) string {
	tag := f.Tag.Get("json")
	if i := strings.IndexByte(tag, ','); i >= 0 {
		tag = tag[:i]
	}
	return tag
}

// Set assigns the setting named key (a JSON field name of Config) from a
// decoded value: a number, string, bool or list as produced by a YAML or
// JSON decoder, or a string to be parsed (as given on a command line).
// It reports an unknown key or a value of the wrong type; it does not check
// ranges (see Validate).
func (c *Config) Set(key string, value any) error {
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if jsonName(t.Field(i)) != key {
			continue
		}
		if err := assign(v.Field(i), value); err != nil {
			return fmt.Errorf("setting %q: %w", key, err)
		}
		return nil
	}
	return fmt.Errorf("unknown setting %q (known: %s)", key, strings.Join(SettingNames(), ", "))
}

func assign(f reflect.Value, value any) error {
	switch f.Kind() {
	case reflect.String:
		switch x := value.(type) {
		case string:
			f.SetString(x)
		case bool:
			f.SetString(map[bool]string{true: "on", false: "off"}[x])
		default:
			return fmt.Errorf("want a string, got %v (%T)", value, value)
		}
	case reflect.Int, reflect.Int64:
		n, err := toInt(value)
		if err != nil {
			return err
		}
		f.SetInt(n)
	case reflect.Bool:
		switch x := value.(type) {
		case bool:
			f.SetBool(x)
		case string:
			b, err := strconv.ParseBool(strings.TrimSpace(x))
			if err != nil {
				return fmt.Errorf("want true or false, got %q", x)
			}
			f.SetBool(b)
		default:
			return fmt.Errorf("want true or false, got %v (%T)", value, value)
		}
	case reflect.Float64:
		x, err := toFloat(value)
		if err != nil {
			return err
		}
		f.SetFloat(x)
	case reflect.Slice:
		if f.Type().Elem().Kind() == reflect.String {
			return assignStrings(f, value)
		}
		// []int
		var items []any
		switch x := value.(type) {
		case []any:
			items = x
		case []int:
			for _, n := range x {
				items = append(items, n)
			}
		case string:
			s := strings.NewReplacer("-", ",", "x", ",", " ", "").Replace(x)
			for _, p := range strings.Split(s, ",") {
				if p != "" {
					items = append(items, p)
				}
			}
		default:
			return fmt.Errorf("want a list of integers, got %v (%T)", value, value)
		}
		out := reflect.MakeSlice(f.Type(), 0, len(items))
		for _, it := range items {
			n, err := toInt(it)
			if err != nil {
				return err
			}
			out = reflect.Append(out, reflect.ValueOf(int(n)))
		}
		f.Set(out)
	default:
		return fmt.Errorf("unsupported field kind %s", f.Kind())
	}
	return nil
}

func toInt(value any) (int64, error) {
	switch x := value.(type) {
	case int:
		return int64(x), nil
	case int64:
		return x, nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, fmt.Errorf("integer %d out of range", x)
		}
		return int64(x), nil
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			return 0, fmt.Errorf("want an integer, got %v", x)
		}
		return int64(x), nil
	case json.Number:
		return x.Int64()
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if ferr != nil || f != math.Trunc(f) {
				return 0, fmt.Errorf("want an integer, got %q", x)
			}
			return int64(f), nil
		}
		return n, nil
	default:
		return 0, fmt.Errorf("want an integer, got %v (%T)", value, value)
	}
}

func toFloat(value any) (float64, error) {
	switch x := value.(type) {
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case float64:
		return x, nil
	case json.Number:
		return x.Float64()
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, fmt.Errorf("want a number, got %q", x)
		}
		return f, nil
	default:
		return 0, fmt.Errorf("want a number, got %v (%T)", value, value)
	}
}
