package dashboard_test

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/pinnsweep/pinnsweep/dashboard"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
	"github.com/pinnsweep/pinnsweep/trainer"
)

// completeWith leases the next trial and completes it as done with the
// result that forge makes from a real (one-iteration) training of the
// trial's params; it returns the trial's key and params.
func completeWith(t *testing.T, cl *cluster, forge func(*trainer.Result)) (string, trainer.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	lease := leaseOne(t, ctx, cl)
	cfg, err := trainer.DecodeParams(lease.GetTrial().GetParamsJson())
	if err != nil {
		t.Fatal(err)
	}
	run := cfg
	run.MaxIters = 1
	res, err := trainer.Train(ctx, run, trainer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	forge(res)
	completeDone(t, ctx, cl, lease, res)
	return lease.GetTrial().GetKey(), cfg
}

// completeDone completes lease as done with res.
func completeDone(t *testing.T, ctx context.Context, cl *cluster, lease *pb.LeaseResponse, res *trainer.Result) {
	t.Helper()
	body, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.work.Complete(ctx, &pb.CompleteRequest{
		LeaseId: lease.GetLeaseId(), Token: lease.GetToken(), WorkerId: "browser-test", LeaseSecret: lease.GetLeaseSecret(),
		Status: pb.TrialStatus_TRIAL_STATUS_DONE, ResultJson: string(body),
	}); err != nil {
		t.Fatal(err)
	}
}

// TestDetailUsesStoredParams: a trial's figure compares its prediction with
// the reference solution of its params as submitted, not of the config a
// worker put into its result (there nx = nt = 4096 and another β: the
// dashboard computed a 16.7-million-point reference per view from it).
func TestDetailUsesStoredParams(t *testing.T) {
	cl := startCluster(t, browserSpec)
	base := serveDashboard(t, cl, dashboard.Options{})
	key, cfg := completeWith(t, cl, func(r *trainer.Result) {
		r.Config.NX, r.Config.NT, r.Config.Beta = 4096, 4096, 30
	})
	var det dashboard.TrialDetail
	getJSON(t, base+"api/sweeps/dash/trials/"+key, &det)
	if det.Solution == nil {
		t.Fatalf("no solution: %q", det.SolutionNote)
	}
	full, err := trainer.Exact(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(det.Solution.X) != trainer.SnapshotNX || len(det.Solution.T) != trainer.SnapshotNT {
		t.Fatalf("solution %d × %d", len(det.Solution.X), len(det.Solution.T))
	}
	// Row 0 is t = 0: the initial condition sin(x) of the params, at the
	// snapshot's x columns (the first SnapshotNX columns of 256 spread
	// evenly, 0 and 255 included).
	for j, x := range det.Solution.X {
		col := int(math.Round(x / (2 * math.Pi) * float64(cfg.NX)))
		if got, want := det.Solution.Exact[j], float32(full[col]); got != want {
			t.Fatalf("exact at t = 0, x = %v: %v, want %v (the params' reference)", x, got, want)
		}
	}
	// The last row is t = 1, where β = 1 (the params) and β = 30 (the
	// forged config) differ.
	last := (len(det.Solution.T) - 1) * len(det.Solution.X)
	for j, x := range det.Solution.X {
		col := int(math.Round(x / (2 * math.Pi) * float64(cfg.NX)))
		if got, want := det.Solution.Exact[last+j], float32(full[(cfg.NT-1)*cfg.NX+col]); got != want {
			t.Fatalf("exact at t = 1, x = %v: %v, want %v (the params' reference)", x, got, want)
		}
	}
}

// TestDetailOverflowingSnapshot: a result whose snapshot grid overflows an
// int (grid_nx = 2^62 + 1, grid_nt = 8: the product wraps to 8, the size
// of the 4 × 2 grid of its config) gets a note, not a panic of the
// handler.
func TestDetailOverflowingSnapshot(t *testing.T) {
	cl := startCluster(t, browserSpec)
	base := serveDashboard(t, cl, dashboard.Options{})
	key, _ := completeWith(t, cl, forgeOverflow)
	var det dashboard.TrialDetail
	getJSON(t, base+"api/sweeps/dash/trials/"+key, &det)
	if det.Solution != nil || !strings.Contains(det.SolutionNote, "invalid solution snapshot") {
		t.Fatalf("solution %v, note %q; want no solution and a note on the snapshot", det.Solution, det.SolutionNote)
	}
	if det.Metrics == nil || det.Status != "done" {
		t.Fatalf("detail %+v: want the result's metrics all the same", det)
	}
}

// forgeOverflow gives a result a snapshot whose grid size overflows.
func forgeOverflow(r *trainer.Result) {
	r.Config.NX, r.Config.NT, r.Config.NF = 4, 2, 3
	r.Solution = &trainer.Snapshot{GridNX: 1<<62 + 1, GridNT: 8, XI: []int{1 << 61}, TI: []int{0, 7}, U: trainer.Float32s{0.5, 0.5}}
}
