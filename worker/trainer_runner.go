package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/trainer"
)

// TrainerRunner is the Runner that trains a PINN with trainer.Train.
//
// It decodes a trial's params (a JSON object of trainer settings) with
// DecodeParams, onto the defaults of the trial's strategy; an unknown key
// or a bad value fails the trial with the reason. Each trial runs with Threads
// goroutines unless its params set "threads". Train's statuses map as done
// → done, diverged → diverged, and cancelled → timeout when the lease's
// wall-time budget ran out (the stored result then says status "timeout"
// and stop_reason "budget_seconds"), cancelled otherwise. An error or a
// panic in Train fails the trial.
//
// With CheckpointDir set it checkpoints every trial the worker leases (see
// Checkpoints in the package documentation): an attempt resumes from the
// furthest checkpoint of its trial that any attempt left there, and the
// trial's wall-time budget counts the training seconds that checkpoint
// carries.
//
// The zero value is ready to use.
type TrainerRunner struct {
	// Threads is the number of goroutines one trial uses when its params
	// do not set "threads". Zero means 1: a worker runs one trial per slot
	// and one slot per core.
	Threads int

	// CheckpointDir, if set, is the directory of the trials' checkpoints;
	// workers may share it (a shared filesystem), so that an attempt on
	// one node resumes from the checkpoints of an attempt on another.
	CheckpointDir string
	// CheckpointEvery is the least time between two checkpoints of a
	// trial; zero means DefaultCheckpointEvery.
	CheckpointEvery time.Duration

	// Train replaces trainer.Train when not nil (a test hook).
	Train func(ctx context.Context, cfg trainer.Config, opts trainer.Options) (*trainer.Result, error)
}

var _ Runner = TrainerRunner{}

// DecodeParams returns the trainer configuration of paramsJSON (a JSON
// object of trainer setting names to values) on the defaults of its
// strategy; see trainer.DecodeParams, which it calls.
func DecodeParams(paramsJSON string) (trainer.Config, error) {
	return trainer.DecodeParams(paramsJSON)
}

// Run implements Runner.
func (r TrainerRunner) Run(ctx context.Context, paramsJSON string, progress func(evals int64, loss float64)) (out Outcome, err error) {
	cfg, err := DecodeParams(paramsJSON)
	if err != nil {
		return Outcome{Status: StatusFailed, Reason: err.Error()}, nil
	}
	if !hasKey(paramsJSON, "threads") {
		cfg.Threads = max(1, r.Threads)
	}
	train := r.Train
	if train == nil {
		train = trainer.Train
	}
	defer func() {
		if p := recover(); p != nil {
			out, err = Outcome{Status: StatusFailed, Reason: fmt.Sprintf("trainer panic: %v", p),
				Checkpoints: out.Checkpoints}, nil
		}
	}()
	opts := trainer.Options{Progress: func(p trainer.Progress) {
		progress(int64(p.Evals), p.Loss)
	}}
	// trainCtx carries the budget left after a checkpoint's seconds; a
	// fresh start (the checkpoint did not fit) gets the whole budget again.
	store, trainCtx, cancel := r.checkpoints(ctx, cfg, &opts)
	defer cancel()
	if store != nil {
		// Every outcome names the checkpoints, which the worker removes
		// when the coordinator says the trial is final; only the
		// coordinator knows whether a retry will resume from them.
		defer func() { out.Checkpoints = store.set() }()
	}
	res, trainErr := train(trainCtx, cfg, opts)
	if opts.Resume != nil && res == nil && errors.Is(trainErr, trainer.ErrCheckpoint) {
		hclog.FromContext(ctx).Warn("the checkpoint does not fit the trial; starting afresh", "error", trainErr)
		opts.Resume = nil
		trainCtx = ctx
		res, trainErr = train(trainCtx, cfg, opts)
	}
	if res == nil {
		if trainErr == nil {
			trainErr = errors.New("trainer returned no result")
		}
		if trainCtx.Err() != nil {
			cause := context.Cause(trainCtx)
			if errors.Is(cause, ErrBudgetExceeded) {
				return Outcome{Status: StatusTimeout, Reason: cause.Error()}, nil
			}
			return Outcome{Status: StatusCancelled, Reason: cause.Error()}, nil
		}
		return Outcome{Status: StatusFailed, Reason: trainErr.Error()}, nil
	}
	// The trainer reports its outcome by name; the status table maps it.
	// Only done, diverged and cancelled are the trainer's to report.
	switch st, _ := state.ParseStatus(res.Status); st {
	case StatusDone, StatusDiverged:
		out.Status = st
	case StatusCancelled:
		out.Status = StatusCancelled
		out.Reason = "cancelled"
		if cause := context.Cause(trainCtx); cause != nil {
			out.Reason = cause.Error()
		}
		if errors.Is(context.Cause(trainCtx), ErrBudgetExceeded) {
			out.Status = StatusTimeout
			res.Status = string(StatusTimeout)
			res.StopReason = "budget_seconds"
		}
	default:
		out.Status = StatusFailed
		out.Reason = fmt.Sprintf("trainer reported unknown status %q", res.Status)
	}
	b, err := marshalResult(res)
	if err != nil {
		return Outcome{Status: StatusFailed, Reason: fmt.Sprintf("encoding result: %v", err)}, nil
	}
	out.ResultJSON = string(b)
	return out, nil
}

// hasKey reports whether the JSON object paramsJSON has the top-level key.
func hasKey(paramsJSON, key string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(paramsJSON), &m) != nil {
		return false
	}
	_, ok := m[key]
	return ok
}

// marshalResult encodes v as JSON. encoding/json refuses NaN and ±Inf,
// which a diverged trial's loss is; in that case v is re-encoded with every
// non-finite float written as null (map keys then come out sorted).
func marshalResult(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	var unsupported *json.UnsupportedValueError
	if err == nil || !errors.As(err, &unsupported) {
		return b, err
	}
	return json.Marshal(finiteJSON(reflect.ValueOf(v)))
}

// finiteJSON converts v into plain maps, slices and scalars that
// encoding/json encodes as it would encode v, except that non-finite floats
// become nil. It honours json tag names, "-" and omitempty; types with their
// own MarshalJSON are passed through.
func finiteJSON(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	if v.Kind() != reflect.Pointer && v.Kind() != reflect.Interface && v.Type().Implements(marshalerType) {
		return v.Interface()
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return finiteJSON(v.Elem())
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		return f
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = finiteJSON(v.Index(i))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		out := make(map[string]any, v.Len())
		it := v.MapRange()
		for it.Next() {
			out[fmt.Sprint(it.Key().Interface())] = finiteJSON(it.Value())
		}
		return out
	case reflect.Struct:
		out := make(map[string]any, v.NumField())
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" && opts == "" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fv := v.Field(i)
			if strings.Contains(","+opts+",", ",omitempty,") && isEmptyValue(fv) {
				continue
			}
			out[name] = finiteJSON(fv)
		}
		return out
	default:
		return v.Interface()
	}
}

var marshalerType = reflect.TypeFor[json.Marshaler]()

// isEmptyValue is encoding/json's omitempty rule.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// checkpoints sets up the trial's checkpoints in opts when the runner
// keeps them and ctx names the trial: the furthest usable checkpoint to
// resume from, and where to write new ones. Resuming, it returns ctx with
// a deadline of the trial's budget less the seconds the checkpoint
// carries, so that the budget bounds the trial's whole training time.
func (r TrainerRunner) checkpoints(ctx context.Context, cfg trainer.Config, opts *trainer.Options) (*ckptStore, context.Context, context.CancelFunc) {
	t, ok := TrialFromContext(ctx)
	if r.CheckpointDir == "" || !ok {
		return nil, ctx, func() {}
	}
	log := hclog.FromContext(ctx)
	store := newCkptStore(r.CheckpointDir, t, log)
	opts.Checkpoint = store.save
	opts.CheckpointEvery = r.CheckpointEvery
	if opts.CheckpointEvery <= 0 {
		opts.CheckpointEvery = DefaultCheckpointEvery
	}
	opts.CheckpointTag = store.tag
	ck, file := store.newest(cfg)
	if ck == nil {
		return store, ctx, func() {}
	}
	opts.Resume = ck
	log.Info("trial resumed from a checkpoint", "file", file, "evals", ck.Evals(), "seconds", ck.Seconds())
	if t.Budget > 0 {
		spent := time.Duration(ck.Seconds() * float64(time.Second))
		ctx, cancel := context.WithTimeoutCause(ctx, t.Budget-spent, ErrBudgetExceeded)
		return store, ctx, cancel
	}
	return store, ctx, func() {}
}
