package worker_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/service"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/trainer"
	"github.com/pinnsweep/pinnsweep/worker"
)

// finalSpec is a one-trial sweep of a few hundred evaluations, attempted
// at most 1+retries times.
func finalSpec(name string, retries int) []byte {
	return fmt.Appendf(nil, `name: %s
fixed:
  pde: convection
  beta: 5
  nf: 80
  layers: [12, 12]
  nx: 64
  nt: 26
  nu_points: 32
  nb: 26
axes:
  lr: [1.0]
retries: %d
budget:
  iterations: 150
  seconds: 600
`, name, retries)
}

// errInjected fails an attempt in the tests' Train hooks.
var errInjected = errors.New("injected failure")

// trainSome trains the trial for real, checkpointing into the runner's
// directory, until it has made at least 50 evaluations, and reports
// whether that left a checkpoint of the trial in dir.
func trainSome(ctx context.Context, t *testing.T, dir string, cfg trainer.Config, opts trainer.Options) bool {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	progress := opts.Progress
	opts.Progress = func(p trainer.Progress) {
		progress(p)
		if p.Evals >= 50 {
			cancel()
		}
	}
	_, _ = trainer.Train(cctx, cfg, opts)
	return len(checkpointFiles(t, dir)) > 0
}

// checkpointFiles returns the checkpoint files below dir.
func checkpointFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// finalCase runs one sweep of finalSpec on a coordinator with a bbolt
// file, served over gRPC on loopback, and a worker whose TrainerRunner
// checkpoints into dir and trains by train. during, if not nil, runs while
// the worker does (it may cancel the sweep). When the sweep has finished
// it stops the worker, so that every Complete it made has been answered
// and acted on, and returns the sweep's trial.
func finalCase(t *testing.T, name string, retries int, dir string, train func(ctx context.Context, cfg trainer.Config, opts trainer.Options) (*trainer.Result, error),
	during func(ctx context.Context, c *coordinator.Coordinator)) state.TrialRecord {
	t.Helper()
	log := hclog.New(&hclog.LoggerOptions{Name: t.Name(), Level: hclog.Debug, Output: testWriter{t}})
	c, err := coordinator.Open(coordinator.Options{Path: filepath.Join(t.TempDir(), "sweeps.db"), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	serveCtx, stopServe := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- service.Serve(serveCtx, c, lis) }()
	defer func() {
		stopServe()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	if _, err := c.Submit(ctx, name+".yaml", finalSpec(name, retries)); err != nil {
		t.Fatal(err)
	}

	workCtx, stopWork := context.WithCancel(ctx)
	worked := make(chan error, 1)
	go func() {
		worked <- worker.Run(workCtx, worker.Options{
			Coordinator:    lis.Addr().String(),
			ID:             "w",
			Runner:         worker.TrainerRunner{CheckpointDir: dir, CheckpointEvery: time.Nanosecond, Train: train},
			HeartbeatEvery: 20 * time.Millisecond,
			Logger:         log,
		})
	}()
	if during != nil {
		during(ctx, c)
	}
	if err := c.Watch(ctx, name, func(state.Progress) error { return nil }); err != nil {
		t.Fatal(err)
	}
	stopWork()
	if err := <-worked; err != nil {
		t.Fatalf("worker: %v", err)
	}
	trials, err := c.Trials(ctx, name)
	if err != nil || len(trials) != 1 {
		t.Fatalf("trials %v, %v; want one", trials, err)
	}
	return trials[0]
}

// testWriter routes log lines to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestFailedFinalAttemptRemovesCheckpoints: the only attempt of a trial
// fails after checkpointing; the coordinator fails the trial for good
// (Complete answers final), and the worker removes its checkpoints.
func TestFailedFinalAttemptRemovesCheckpoints(t *testing.T) {
	var checkpointed bool
	dir := t.TempDir()
	tr := finalCase(t, "failed-final", 0, dir, func(ctx context.Context, cfg trainer.Config, opts trainer.Options) (*trainer.Result, error) {
		checkpointed = trainSome(ctx, t, dir, cfg, opts)
		return nil, errInjected
	}, nil)
	if !checkpointed {
		t.Fatal("the attempt left no checkpoint: the test proves nothing")
	}
	if tr.Status != state.StatusFailed || tr.Attempts != 1 || !strings.Contains(tr.Reason, errInjected.Error()) {
		t.Fatalf("trial %s after %d attempts (%q); want failed after 1", tr.Status, tr.Attempts, tr.Reason)
	}
	if left := checkpointFiles(t, dir); len(left) != 0 {
		t.Errorf("checkpoints of the failed trial left: %v", left)
	}
}

// TestRetriedAttemptKeepsCheckpoints: the first of two attempts fails
// after checkpointing; the coordinator queues the trial again (Complete
// answers not final), so the worker keeps the checkpoints, and the second
// attempt resumes from them and ends done, final, which removes them.
func TestRetriedAttemptKeepsCheckpoints(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	var checkpointed bool
	var resumed []int64 // the evaluations of the checkpoint each later attempt resumed from, -1 for none
	tr := finalCase(t, "retried", 1, dir, func(ctx context.Context, cfg trainer.Config, opts trainer.Options) (*trainer.Result, error) {
		trial, _ := worker.TrialFromContext(ctx)
		mu.Lock()
		defer mu.Unlock()
		if trial.Attempt == 1 {
			checkpointed = trainSome(ctx, t, dir, cfg, opts)
			return nil, errInjected
		}
		evals := int64(-1)
		if opts.Resume != nil {
			evals = int64(opts.Resume.Evals())
		}
		resumed = append(resumed, evals)
		return trainer.Train(ctx, cfg, opts)
	}, nil)
	if !checkpointed {
		t.Fatal("the first attempt left no checkpoint: the test proves nothing")
	}
	if tr.Status != state.StatusDone || tr.Attempts != 2 {
		t.Fatalf("trial %s after %d attempts (%q); want done after 2", tr.Status, tr.Attempts, tr.Reason)
	}
	if len(resumed) != 1 || resumed[0] < 50 {
		t.Fatalf("the retry resumed from checkpoints of %v evaluations; want one retry, resumed from at least 50", resumed)
	}
	if left := checkpointFiles(t, dir); len(left) != 0 {
		t.Errorf("checkpoints of the done trial left: %v", left)
	}
}

// TestCancelledTrialRemovesCheckpoints: the sweep is cancelled while its
// trial runs, after it checkpointed; the heartbeat says stop, the worker
// completes the trial cancelled, the coordinator ends it for good
// (Complete answers final), and the worker removes its checkpoints.
func TestCancelledTrialRemovesCheckpoints(t *testing.T) {
	dir := t.TempDir()
	running := make(chan bool, 1)
	tr := finalCase(t, "cancelled", 2, dir, func(ctx context.Context, cfg trainer.Config, opts trainer.Options) (*trainer.Result, error) {
		running <- trainSome(ctx, t, dir, cfg, opts)
		<-ctx.Done() // until the coordinator says stop
		return nil, context.Cause(ctx)
	}, func(ctx context.Context, c *coordinator.Coordinator) {
		select {
		case checkpointed := <-running:
			if !checkpointed {
				t.Error("the attempt left no checkpoint: the test proves nothing")
			}
		case <-ctx.Done():
			return
		}
		if _, err := c.Cancel(ctx, "cancelled"); err != nil {
			t.Error(err)
		}
	})
	if tr.Status != state.StatusCancelled || tr.Attempts != 1 {
		t.Fatalf("trial %s after %d attempts (%q); want cancelled after 1", tr.Status, tr.Attempts, tr.Reason)
	}
	if left := checkpointFiles(t, dir); len(left) != 0 {
		t.Errorf("checkpoints of the cancelled trial left: %v", left)
	}
}
