package coordinator_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/internal/coordtest"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// commandSpec is a command sweep of two trials whose trials need a GPU,
// judged by accuracy, maximised.
const commandSpec = `name: cmd
runner:
  command: [python3, train.py, --lr, "{lr}"]
  workdir: /tmp
  env: {OMP_NUM_THREADS: "1"}
resources: {gpus: 1}
axes:
  lr: [0.1, 1]
metric: accuracy
goal: max
failure_threshold: 0.9
retries: 0
`

// TestCommandLease: a command sweep's trials go only to requests that
// run commands and offer a GPU; the grant carries the command, the
// metric and the GPUs; a completion's stderr tail is stored with the
// attempt.
func TestCommandLease(t *testing.T) {
	ctx := context.Background()
	c := coordtest.Open(t, filepath.Join(t.TempDir(), "s.db"), nil)
	coordtest.MustSubmit(t, c, commandSpec)
	coordtest.MustSubmit(t, c, coordtest.SpecYAML("cpu", []int{1}, 1, 0, 50))

	for _, offer := range []state.Offer{{Sweeps: []string{"cmd"}}, {Sweeps: []string{"cmd"}, Commands: true},
		{Sweeps: []string{"cmd"}, GPUs: 1}} {
		if g, err := c.LeaseOffer(ctx, "w", 0, offer); err != nil || g != nil {
			t.Fatalf("LeaseOffer(%+v) = %v, %v; want nothing", offer, g, err)
		}
	}
	if _, err := c.LeaseOffer(ctx, "w", 0, state.Offer{GPUs: state.MaxGPUs + 1}); err == nil {
		t.Error("LeaseOffer with 65 GPUs: want an error")
	}
	// The pending GPU trials do not keep a CPU request from the CPU sweep.
	if g := coordtest.MustLease(t, c, "cpu-worker"); g.Trial.Sweep != "cpu" || g.Command != nil || g.GPUs != 0 {
		t.Fatalf("CPU lease: %+v", g)
	}

	g, err := c.LeaseOffer(ctx, "gpu-worker", 0, state.Offer{GPUs: 2, Commands: true})
	if err != nil || g == nil {
		t.Fatalf("GPU lease: %v, %v", g, err)
	}
	want := state.Command{Argv: []string{"python3", "train.py", "--lr", "{lr}"}, Workdir: "/tmp",
		Env: map[string]string{"OMP_NUM_THREADS": "1"}, Metric: "accuracy"}
	if g.GPUs != 1 || g.Command == nil || !slices.Equal(g.Command.Argv, want.Argv) || g.Command.Workdir != want.Workdir ||
		g.Command.Env["OMP_NUM_THREADS"] != "1" || len(g.Command.Env) != 1 || g.Command.Metric != want.Metric {
		t.Fatalf("grant: gpus %d, command %+v; want 1, %+v", g.GPUs, g.Command, want)
	}
	if _, err := c.Complete(ctx, state.Completion{LeaseClaim: g.Claim(), Status: state.StatusFailed, Reason: "exit status 1", StderrTail: "Traceback\nRuntimeError: CUDA out of memory\n"}); err != nil {
		t.Fatal(err)
	}
	tr, err := trialOf(c, "cmd", g.Trial.Key)
	if err != nil || tr.Status != state.StatusFailed || tr.StderrTail != "Traceback\nRuntimeError: CUDA out of memory\n" {
		t.Fatalf("failed trial: %+v, %v", tr, err)
	}

	// The next trial comes with the completion of the second, with the
	// command; it is done by the metric named in the spec.
	g2, err := c.LeaseOffer(ctx, "gpu-worker", 0, state.Offer{GPUs: 1, Commands: true})
	if err != nil || g2 == nil {
		t.Fatalf("second GPU lease: %v, %v", g2, err)
	}
	ack, next, err := c.CompleteAndLease(ctx, state.Completion{LeaseClaim: g2.Claim(), Status: state.StatusDone, Result: []byte(`{"accuracy": 0.95}`)}, coordinator.NextLease{GPUs: 1, Commands: true})
	if err != nil || ack != (state.Ack{Final: true}) || next != nil {
		t.Fatalf("CompleteAndLease: %+v, %v, %v", ack, next, err)
	}
	tr, err = trialOf(c, "cmd", g2.Trial.Key)
	if err != nil || tr.Status != state.StatusDone || tr.Value == nil || *tr.Value != 0.95 || tr.StderrTail != "" {
		t.Fatalf("done trial: %+v, %v", tr, err)
	}
}

// TestCommandNeedsRestored: a sweep record written without its needs
// (by a version that did not store them) gets them from its spec when
// the coordinator opens the file, before any lease.
func TestCommandNeedsRestored(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	c := coordtest.Open(t, path, nil)
	coordtest.MustSubmit(t, c, commandSpec)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("sweeps"))
		var rec map[string]any
		if err := json.Unmarshal(b.Get([]byte("cmd")), &rec); err != nil {
			return err
		}
		if rec["needs"] == nil {
			t.Errorf("stored record has no needs: %v", rec)
		}
		delete(rec, "needs")
		v, _ := json.Marshal(rec)
		return b.Put([]byte("cmd"), v)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	c = coordtest.Open(t, path, nil)
	if g, err := c.Lease(context.Background(), "plain", 0); err != nil || g != nil {
		t.Fatalf("plain lease after restore: %v, %v; want nothing", g, err)
	}
	g, err := c.LeaseOffer(context.Background(), "w", 0, state.Offer{GPUs: 1, Commands: true})
	if err != nil || g == nil || g.Command == nil {
		t.Fatalf("command lease after restore: %+v, %v", g, err)
	}
}

// trialOf reads one trial as Trials reads it, with its result and tail.
func trialOf(c *coordinator.Coordinator, sweep, key string) (state.TrialRecord, error) {
	ts, err := c.Trials(context.Background(), sweep)
	for _, t := range ts {
		if t.Key == key {
			return t, nil
		}
	}
	return state.TrialRecord{}, err
}
