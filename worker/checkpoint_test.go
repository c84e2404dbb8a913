package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
	"github.com/pinnsweep/pinnsweep/trainer"
)

// ckptParams is a trial of a few hundred evaluations.
const ckptParams = `{"pde":"convection","beta":5,"nf":80,"layers":[12,12],"nx":64,"nt":26,"nu_points":32,"nb":26,"max_iters":150}`

// logBuffer is a goroutine-safe log sink.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// trialContext is the context a worker gives a runner for attempt token
// of the trial, logging into buf.
func trialContext(ctx context.Context, token uint64, budget time.Duration, buf *logBuffer) context.Context {
	log := hclog.New(&hclog.LoggerOptions{Output: buf, Level: hclog.Debug})
	return hclog.WithContext(withTrial(ctx, Trial{Sweep: "s", Key: "0123456789abcdef", Attempt: int(token), Token: token, Budget: budget}), log)
}

// resultBits is a result document with its wall-clock seconds zeroed.
func resultBits(t *testing.T, doc string) string {
	t.Helper()
	var r trainer.Result
	if err := json.Unmarshal([]byte(doc), &r); err != nil {
		t.Fatal(err)
	}
	r.Seconds = 0
	for i := range r.History {
		r.History[i].Seconds = 0
	}
	b, err := json.Marshal(&r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTrainerRunnerResumes: an attempt interrupted (its context cancelled,
// as on a worker's shutdown) leaves its checkpoint in the directory; the
// next attempt of the trial resumes from it, logs so, and reports the
// result of a run straight through, bit for bit. The runner removes no
// checkpoint itself; its outcome's Checkpoints, which the worker
// removes when the coordinator says the trial is final, cover them all.
// In both precisions.
func TestTrainerRunnerResumes(t *testing.T) {
	for name, params := range map[string]string{"f64": ckptParams, "f32": ckptParamsF32} {
		t.Run(name, func(t *testing.T) { trainerRunnerResumes(t, params) })
	}
}

// ckptParamsF32 is ckptParams with a float32 network.
var ckptParamsF32 = strings.Replace(ckptParams, `{`, `{"precision":"f32",`, 1)

func trainerRunnerResumes(t *testing.T, params string) {
	straight, err := TrainerRunner{}.Run(context.Background(), params, func(int64, float64) {})
	if err != nil || straight.Status != StatusDone {
		t.Fatalf("%+v, %v", straight, err)
	}
	dir := t.TempDir()
	r := TrainerRunner{CheckpointDir: dir, CheckpointEvery: time.Nanosecond}
	var logs logBuffer

	ctx, cancel := context.WithCancel(context.Background())
	out, err := r.Run(trialContext(ctx, 7, 0, &logs), params, func(evals int64, _ float64) {
		if evals >= 150 {
			cancel()
		}
	})
	cancel()
	if err != nil || out.Status != StatusCancelled {
		t.Fatalf("interrupted attempt: %+v, %v", out, err)
	}
	file := filepath.Join(dir, "s", "0123456789abcdef.7.ckpt")
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("checkpoint %s: %v", file, err)
	}

	out, err = r.Run(trialContext(context.Background(), 8, 0, &logs), params, func(int64, float64) {})
	if err != nil || out.Status != StatusDone {
		t.Fatalf("resumed attempt: %+v, %v", out, err)
	}
	if !strings.Contains(logs.String(), "trial resumed from a checkpoint") || !strings.Contains(logs.String(), "0123456789abcdef.7.ckpt") {
		t.Errorf("no resume logged:\n%s", logs.String())
	}
	if got, want := resultBits(t, out.ResultJSON), resultBits(t, straight.ResultJSON); got != want {
		t.Errorf("resumed result differs from the straight run:\n got %s\nwant %s", got, want)
	}
	if _, err := os.Stat(file); err != nil {
		t.Errorf("the runner removed a checkpoint itself: %v", err)
	}
	removeCheckpoints(hclog.NewNullLogger(), out.Checkpoints)
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("checkpoints left after removing the outcome's Checkpoints: %v", left)
	}
}

// TestTrainerRunnerSkipsBadCheckpoints: damaged files, another trial's
// checkpoint and another setting's (another β, float32) are skipped, each
// with a log line, and the furthest good checkpoint is the one resumed
// from.
func TestTrainerRunnerSkipsBadCheckpoints(t *testing.T) {
	dir := t.TempDir()
	var checkpoints [][]byte
	cfg, err := DecodeParams(ckptParams)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Threads = 1
	tag := "s/0123456789abcdef"
	if _, err := trainer.Train(context.Background(), cfg, trainer.Options{CheckpointTag: tag,
		Checkpoint: func(b []byte) { checkpoints = append(checkpoints, b) }}); err != nil {
		t.Fatal(err)
	}
	other := cfg
	other.Beta = 6
	var otherCk []byte
	if _, err := trainer.Train(context.Background(), other, trainer.Options{CheckpointTag: tag,
		Checkpoint: func(b []byte) { otherCk = b }}); err != nil {
		t.Fatal(err)
	}
	f32 := cfg
	f32.Precision = trainer.PrecisionF32
	var f32Ck []byte
	if _, err := trainer.Train(context.Background(), f32, trainer.Options{CheckpointTag: tag,
		Checkpoint: func(b []byte) { f32Ck = b }}); err != nil {
		t.Fatal(err)
	}
	var foreign []byte
	if _, err := trainer.Train(context.Background(), cfg, trainer.Options{CheckpointTag: "s/fedcba9876543210",
		Checkpoint: func(b []byte) { foreign = b }}); err != nil {
		t.Fatal(err)
	}
	n := len(checkpoints)
	sub := filepath.Join(dir, "s")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"0123456789abcdef.1.ckpt": checkpoints[n/4],
		"0123456789abcdef.2.ckpt": checkpoints[n/2], // the furthest good one
		"0123456789abcdef.3.ckpt": checkpoints[n-1][:len(checkpoints[n-1])/2],
		"0123456789abcdef.4.ckpt": []byte("not a checkpoint"),
		"0123456789abcdef.5.ckpt": otherCk,
		"0123456789abcdef.6.ckpt": foreign,
		"0123456789abcdef.7.ckpt": f32Ck,            // the same trial in float32: another setting
		"fedcba9876543210.1.ckpt": checkpoints[n-1], // another trial's file
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(sub, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var logs logBuffer
	out, err := TrainerRunner{CheckpointDir: dir}.Run(trialContext(context.Background(), 9, 0, &logs), ckptParams, func(int64, float64) {})
	if err != nil || out.Status != StatusDone {
		t.Fatalf("%+v, %v", out, err)
	}
	text := logs.String()
	for _, name := range []string{".3.ckpt", ".4.ckpt", ".5.ckpt", ".6.ckpt", ".7.ckpt"} {
		if !strings.Contains(text, "ignoring checkpoint") || !strings.Contains(text, "0123456789abcdef"+name) {
			t.Errorf("no log line for the bad checkpoint %s:\n%s", name, text)
		}
	}
	if !strings.Contains(text, "0123456789abcdef.2.ckpt") || !strings.Contains(text, "trial resumed") {
		t.Errorf("did not resume from the furthest good checkpoint:\n%s", text)
	}
	removeCheckpoints(hclog.NewNullLogger(), out.Checkpoints)
	left, _ := os.ReadDir(sub)
	if len(left) != 1 || left[0].Name() != "fedcba9876543210.1.ckpt" {
		t.Errorf("after the trial: %v, want only the other trial's file", left)
	}
}

// TestTrainerRunnerBudgetCountsCheckpoint: the wall-time budget counts
// the seconds a checkpoint carries, so a trial resumed with less budget
// left than it had used times out at once (status timeout, its result
// evaluated at the checkpoint); its outcome's Checkpoints cover the
// checkpoints.
func TestTrainerRunnerBudgetCountsCheckpoint(t *testing.T) {
	dir := t.TempDir()
	r := TrainerRunner{CheckpointDir: dir, CheckpointEvery: time.Nanosecond}
	var logs logBuffer
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	_, _ = r.Run(trialContext(ctx, 1, 0, &logs), ckptParams, func(evals int64, _ float64) {
		if evals >= 100 {
			cancel()
		}
	})
	cancel()
	spent := time.Since(start)
	out, err := r.Run(trialContext(context.Background(), 2, spent/4, &logs), ckptParams, func(int64, float64) {})
	if err != nil || out.Status != StatusTimeout {
		t.Fatalf("resumed with a budget below the time spent: %+v, %v", out, err)
	}
	var res trainer.Result
	if err := json.Unmarshal([]byte(out.ResultJSON), &res); err != nil || res.StopReason != "budget_seconds" || res.Evals < 100 {
		t.Fatalf("result %+v: %v", res, err)
	}
	removeCheckpoints(hclog.NewNullLogger(), out.Checkpoints)
	if left, _ := os.ReadDir(filepath.Join(dir, "s")); len(left) != 0 {
		t.Errorf("checkpoints left after removing the timeout's Checkpoints: %v", left)
	}
}

func TestSafeName(t *testing.T) {
	for name, want := range map[string]string{"convection-beta": "convection-beta", "a.b_c": "a.b_c"} {
		if got := safeName(name); got != want {
			t.Errorf("safeName(%q) = %q", name, got)
		}
	}
	for _, name := range []string{".", "..", ".hidden", "a/b", "", strings.Repeat("x", 101)} {
		if got := safeName(name); !strings.HasPrefix(got, "h-") || strings.ContainsAny(got, "/.") {
			t.Errorf("safeName(%q) = %q: want a digest", name, got)
		}
	}
}

// TestTrainerRunnerFreshStartHasWholeBudget: when the checkpoint a trial
// resumes from does not fit the trainer (ErrCheckpoint), the fresh start
// runs under the trial's own context, not under the deadline that was
// cut short by the checkpoint's seconds.
func TestTrainerRunnerFreshStartHasWholeBudget(t *testing.T) {
	dir := t.TempDir()
	cfg, err := DecodeParams(ckptParams)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Threads = 1
	var ck []byte
	if _, err := trainer.Train(context.Background(), cfg, trainer.Options{CheckpointTag: "s/0123456789abcdef",
		Checkpoint: func(b []byte) { ck = b }}); err != nil || ck == nil {
		t.Fatalf("no checkpoint: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "s"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "s", "0123456789abcdef.1.ckpt"), ck, 0o644); err != nil {
		t.Fatal(err)
	}
	var resumed, fresh bool
	r := TrainerRunner{CheckpointDir: dir, Train: func(ctx context.Context, cfg trainer.Config, opts trainer.Options) (*trainer.Result, error) {
		if opts.Resume != nil {
			resumed = true
			if _, ok := ctx.Deadline(); !ok {
				t.Error("the resumed run has no deadline of the budget left")
			}
			return nil, trainer.ErrCheckpoint
		}
		fresh = true
		if d, ok := ctx.Deadline(); ok {
			t.Errorf("the fresh start runs under the resumed run's deadline (%v left)", time.Until(d))
		}
		return &trainer.Result{Status: trainer.StatusDone}, nil
	}}
	var logs logBuffer
	out, err := r.Run(trialContext(context.Background(), 2, time.Hour, &logs), ckptParams, func(int64, float64) {})
	if err != nil || out.Status != StatusDone || !resumed || !fresh {
		t.Fatalf("%+v, %v (resumed %v, fresh %v)", out, err, resumed, fresh)
	}
}

// TestCheckpointsKeptWithoutFinal: a coordinator that predates
// CompleteResponse.final never sets it, so the worker keeps a trial's
// checkpoints even when the trial is done: a kept checkpoint costs disk
// space, a removed one that a retry needed would cost the retry its work,
// and only the coordinator knows whether a retry follows.
func TestCheckpointsKeptWithoutFinal(t *testing.T) {
	dir := t.TempDir()
	f := newFake(1) // answers Complete without final, as an old coordinator
	r := TrainerRunner{CheckpointDir: dir, Train: func(_ context.Context, _ trainer.Config, opts trainer.Options) (*trainer.Result, error) {
		opts.Checkpoint([]byte("a checkpoint"))
		return &trainer.Result{Status: trainer.StatusDone}, nil
	}}
	stop := startWorker(t, Options{Conn: serve(t, f), Runner: r})
	waitFor(t, "the completion", func() bool {
		completes, _, _ := f.snapshot()
		return len(completes) == 1
	})
	stop()
	completes, _, _ := f.snapshot()
	if st := completes[0].GetStatus(); st != pb.TrialStatus_TRIAL_STATUS_DONE {
		t.Fatalf("completed %s, want done", st)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "s", "k00.*.ckpt")); len(files) != 1 {
		t.Errorf("checkpoints after a completion without final: %v; want the one written", files)
	}
}
