package worker

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/pinnsweep/pinnsweep/trainer"
)

func TestDecodeParams(t *testing.T) {
	cfg, err := DecodeParams(`{"beta":30,"layers":[20,20],"nf":100,"seed":3,"pde":"convection","lr":0.5}`)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Beta != 30 || len(cfg.Layers) != 2 || cfg.NF != 100 || cfg.Seed != 3 || cfg.LR != 0.5 {
		t.Fatalf("decoded %+v", cfg)
	}
	if cfg.NX != trainer.DefaultConfig().NX {
		t.Errorf("unset nx = %d, want the default", cfg.NX)
	}
	for _, bad := range []string{`{"betta":1}`, `{"nf":"many"}`, `[1]`, `{"nf":1} {}`, ``} {
		if _, err := DecodeParams(bad); err == nil {
			t.Errorf("DecodeParams(%q) = nil error", bad)
		}
	}
}

// fakeTrain returns a Train replacement that records its config and
// answers with res (copied) or err.
func fakeTrain(got *trainer.Config, res *trainer.Result, err error) func(context.Context, trainer.Config, trainer.Options) (*trainer.Result, error) {
	return func(ctx context.Context, cfg trainer.Config, opts trainer.Options) (*trainer.Result, error) {
		*got = cfg
		if opts.Progress != nil {
			opts.Progress(trainer.Progress{Evals: 5, Loss: 0.25})
		}
		if res == nil {
			return nil, err
		}
		r := *res
		r.Config = cfg
		return &r, err
	}
}

func TestTrainerRunner(t *testing.T) {
	var got trainer.Config
	var evals int64
	report := func(e int64, _ float64) { evals = e }

	t.Run("unknown key fails with the reason", func(t *testing.T) {
		out, err := TrainerRunner{Train: fakeTrain(&got, nil, nil)}.Run(context.Background(), `{"betta":1}`, report)
		if err != nil || out.Status != StatusFailed || !strings.Contains(out.Reason, `unknown setting "betta"`) {
			t.Fatalf("got %+v, %v", out, err)
		}
	})

	t.Run("done, one thread by default", func(t *testing.T) {
		r := TrainerRunner{Train: fakeTrain(&got, &trainer.Result{Status: trainer.StatusDone, RelL2: 0.01}, nil)}
		out, err := r.Run(context.Background(), `{"beta":5}`, report)
		if err != nil || out.Status != StatusDone || got.Threads != 1 || got.Beta != 5 || evals != 5 {
			t.Fatalf("got %+v, %v, threads %d, evals %d", out, err, got.Threads, evals)
		}
		var res trainer.Result
		if err := json.Unmarshal([]byte(out.ResultJSON), &res); err != nil || res.RelL2 != 0.01 || res.Config.Beta != 5 {
			t.Fatalf("result %s: %v", out.ResultJSON, err)
		}
	})

	t.Run("params threads win over the runner's", func(t *testing.T) {
		r := TrainerRunner{Threads: 4, Train: fakeTrain(&got, &trainer.Result{Status: trainer.StatusDone}, nil)}
		if _, err := r.Run(context.Background(), `{"threads":2}`, report); err != nil || got.Threads != 2 {
			t.Fatalf("threads %d, %v", got.Threads, err)
		}
		if _, err := r.Run(context.Background(), `{}`, report); err != nil || got.Threads != 4 {
			t.Fatalf("threads %d, %v", got.Threads, err)
		}
	})

	t.Run("diverged with NaN loss still encodes", func(t *testing.T) {
		r := TrainerRunner{Train: fakeTrain(&got, &trainer.Result{Status: trainer.StatusDiverged, Loss: math.NaN(), RelL2: math.Inf(1)}, nil)}
		out, err := r.Run(context.Background(), `{}`, report)
		if err != nil || out.Status != StatusDiverged {
			t.Fatalf("got %+v, %v", out, err)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(out.ResultJSON), &m); err != nil {
			t.Fatalf("result %s: %v", out.ResultJSON, err)
		}
		if m["loss"] != nil || m["rel_l2"] != nil || m["status"] != "diverged" {
			t.Fatalf("result %s", out.ResultJSON)
		}
		if _, ok := m["history"]; ok {
			t.Errorf("empty history not omitted: %s", out.ResultJSON)
		}
	})

	t.Run("cancelled by the budget is a timeout", func(t *testing.T) {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(ErrBudgetExceeded)
		r := TrainerRunner{Train: fakeTrain(&got, &trainer.Result{Status: trainer.StatusCancelled}, context.Canceled)}
		out, err := r.Run(ctx, `{}`, report)
		if err != nil || out.Status != StatusTimeout || !strings.Contains(out.ResultJSON, `"status":"timeout"`) ||
			!strings.Contains(out.ResultJSON, `"stop_reason":"budget_seconds"`) {
			t.Fatalf("got %+v, %v", out, err)
		}
	})

	t.Run("cancelled otherwise", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		r := TrainerRunner{Train: fakeTrain(&got, &trainer.Result{Status: trainer.StatusCancelled}, context.Canceled)}
		if out, err := r.Run(ctx, `{}`, report); err != nil || out.Status != StatusCancelled {
			t.Fatalf("got %+v, %v", out, err)
		}
	})

	t.Run("an error without a result fails", func(t *testing.T) {
		r := TrainerRunner{Train: fakeTrain(&got, nil, errors.New("invalid config: nf = 0"))}
		if out, err := r.Run(context.Background(), `{}`, report); err != nil || out.Status != StatusFailed || !strings.Contains(out.Reason, "nf = 0") {
			t.Fatalf("got %+v, %v", out, err)
		}
	})

	t.Run("a panic fails", func(t *testing.T) {
		r := TrainerRunner{Train: func(context.Context, trainer.Config, trainer.Options) (*trainer.Result, error) { panic("bad") }}
		if out, err := r.Run(context.Background(), `{}`, report); err != nil || out.Status != StatusFailed || !strings.Contains(out.Reason, "bad") {
			t.Fatalf("got %+v, %v", out, err)
		}
	})
}

// TestTrainerRunnerReal trains a tiny network with the real trainer, and
// again with a budget far too small, which must give a timeout.
func TestTrainerRunnerReal(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a network")
	}
	params := `{"nf":50,"nx":32,"nt":10,"nu_points":32,"nb":10,"layers":[8,8],"max_iters":5}`
	out, err := TrainerRunner{}.Run(context.Background(), params, func(int64, float64) {})
	if err != nil || out.Status != StatusDone {
		t.Fatalf("got %+v, %v", out, err)
	}
	var res trainer.Result
	if err := json.Unmarshal([]byte(out.ResultJSON), &res); err != nil || res.Evals == 0 || res.Config.NF != 50 {
		t.Fatalf("result %s: %v", out.ResultJSON, err)
	}

	ctx, cancel := context.WithTimeoutCause(context.Background(), time.Millisecond, ErrBudgetExceeded)
	defer cancel()
	out, err = TrainerRunner{}.Run(ctx, `{"nf":50,"nx":32,"nt":10,"nu_points":32,"nb":10,"layers":[8,8],"max_iters":0,"max_evals":0,"tol_change":0,"tol_grad":0}`, func(int64, float64) {})
	if err != nil || out.Status != StatusTimeout {
		t.Fatalf("got %+v, %v", out.Status, err)
	}
}
