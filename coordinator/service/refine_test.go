package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/boltstore"
	"github.com/pinnsweep/pinnsweep/coordinator/internal/coordtest"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
	"github.com/pinnsweep/pinnsweep/sweeps"
)

// refineYAML is the convection example's grid (6 β × 2 strategies × 3
// seeds) with β refined to a bracket of width at most 1.
const refineYAML = `name: refine
fixed: {pde: convection, nf: 100}
axes:
  beta: [1, 5, 10, 20, 30, 40]
  strategy: [regular, curriculum]
replicates: 3
budget: {iterations: 10, seconds: 60}
refine:
  - {axis: beta, tolerance: 1, max_depth: 6}
`

// critical is the synthetic critical β of each strategy: rel_l2 is 0.01 up
// to it and 0.7 above.
var critical = map[string]float64{"regular": 23.7, "curriculum": 35.2}

// syntheticRelL2 returns the synthetic rel_l2 of a trial's params.
func syntheticRelL2(t *testing.T, paramsJSON string) float64 {
	t.Helper()
	var p struct {
		Beta     float64 `json:"beta"`
		Strategy string  `json:"strategy"`
	}
	if err := json.Unmarshal([]byte(paramsJSON), &p); err != nil {
		t.Fatalf("params %s: %v", paramsJSON, err)
	}
	if p.Beta > critical[p.Strategy] {
		return 0.7
	}
	return 0.01
}

// grpcWorker leases and completes trials over gRPC, counting leases and
// completions per trial key.
type grpcWorker struct {
	leased, completed map[string]int
}

// complete reports a leased trial done with its synthetic rel_l2.
func (w *grpcWorker) complete(t *testing.T, s *server, l *pb.LeaseResponse) {
	t.Helper()
	tr := l.GetTrial()
	resp, err := s.worker.Complete(context.Background(), &pb.CompleteRequest{
		LeaseId: l.GetLeaseId(), Token: l.GetToken(), WorkerId: "w", LeaseSecret: l.GetLeaseSecret(),
		Status: pb.TrialStatus_TRIAL_STATUS_DONE, ResultJson: coordtest.ResultJSON(syntheticRelL2(t, tr.GetParamsJson())),
	})
	if err != nil || resp.GetDuplicate() {
		t.Fatalf("Complete of %s = %v, %v", tr.GetPointJson(), resp, err)
	}
	w.completed[tr.GetKey()]++
}

// lease leases one trial; nil when none is pending.
func (w *grpcWorker) lease(t *testing.T, s *server) *pb.LeaseResponse {
	t.Helper()
	l, err := s.worker.Lease(context.Background(), &pb.LeaseRequest{WorkerId: "w", Slots: 1})
	if err != nil {
		t.Fatalf("Lease: %v", err)
	}
	if l.GetTrial() == nil {
		return nil
	}
	w.leased[l.GetTrial().GetKey()]++
	return l
}

// run leases and completes up to n trials (n < 0: until none is pending)
// and returns how many it completed.
func (w *grpcWorker) run(t *testing.T, s *server, n int) int {
	t.Helper()
	k := 0
	for ; n < 0 || k < n; k++ {
		l := w.lease(t, s)
		if l == nil {
			break
		}
		w.complete(t, s, l)
	}
	return k
}

func TestRefinementOverGRPCWithRestart(t *testing.T) {
	clock := coordtest.NewFakeClock()
	path := filepath.Join(t.TempDir(), "sweeps.db")
	s := startServerAt(t, path, clock)
	ctx := context.Background()
	sub, err := s.sweeps.SubmitSweep(ctx, &pb.SubmitSweepRequest{Spec: &pb.Spec{Filename: "refine.yaml", Source: refineYAML}})
	if err != nil || sub.GetTotal() != 36 {
		t.Fatalf("SubmitSweep = %v, %v", sub, err)
	}
	w := &grpcWorker{leased: map[string]int{}, completed: map[string]int{}}

	// The grid and the first refinements, then a trial held across a
	// restart of the coordinator.
	if n := w.run(t, s, 42); n != 42 {
		t.Fatalf("ran %d trials before the restart, want 42 (refinement added too few)", n)
	}
	held := w.lease(t, s)
	if held == nil {
		t.Fatal("no trial pending mid-refinement")
	}
	before, err := s.sweeps.GetSweep(ctx, &pb.GetSweepRequest{Sweep: "refine"})
	if err != nil {
		t.Fatal(err)
	}
	s.stop(t)

	s = startServerAt(t, path, clock)
	after, err := s.sweeps.GetSweep(ctx, &pb.GetSweepRequest{Sweep: "refine"})
	if err != nil {
		t.Fatal(err)
	}
	if after.GetProgress().GetTotal() != before.GetProgress().GetTotal() || after.GetProgress().GetRunning() != 1 {
		t.Fatalf("progress before the restart %v, after %v", before.GetProgress(), after.GetProgress())
	}
	w.complete(t, s, held) // the lease survived the restart
	w.run(t, s, -1)

	got, err := s.sweeps.GetSweep(ctx, &pb.GetSweepRequest{Sweep: "refine", IncludeTrials: true})
	if err != nil {
		t.Fatal(err)
	}
	// Regular: 25, 22.5, 23.75, 23.125; curriculum: 35, 37.5, 36.25,
	// 35.625: 8 refined points × 3 seeds.
	if p := got.GetProgress(); p.GetTotal() != 60 || p.GetDone() != 60 || !p.GetFinished() {
		t.Fatalf("final progress %v", p)
	}
	for _, tr := range got.GetTrials() {
		if w.leased[tr.GetKey()] != 1 || w.completed[tr.GetKey()] != 1 || tr.GetAttempts() != 1 {
			t.Errorf("trial %s leased %d, completed %d times, %d attempts; want exactly once",
				tr.GetPointJson(), w.leased[tr.GetKey()], w.completed[tr.GetKey()], tr.GetAttempts())
		}
	}
	if len(w.leased) != 60 {
		t.Errorf("leased %d distinct trials, want 60", len(w.leased))
	}

	brs := got.GetBrackets()
	if len(brs) != 2 {
		t.Fatalf("brackets %v, want one per strategy", brs)
	}
	for _, b := range brs {
		var others map[string]string
		if err := json.Unmarshal([]byte(b.GetOthersJson()), &others); err != nil {
			t.Fatal(err)
		}
		crit := critical[others["strategy"]]
		if b.GetStatus() != sweeps.BracketConverged || b.GetLower() > crit || b.GetUpper() < crit || b.GetUpper()-b.GetLower() > 1 ||
			b.GetLowerVerdict() != "success" || b.GetUpperVerdict() != "failure" || b.GetUpperMedian() != 0.7 {
			t.Errorf("bracket %v does not hold %v within the tolerance", b, crit)
		}
	}
	if b := brs[0]; b.GetLower() != 23.125 || b.GetUpper() != 23.75 || b.GetDepth() != 4 {
		t.Errorf("regular's bracket %v, want [23.125, 23.75] at depth 4", b)
	}
}

// TestRefinementAtOpen simulates a crash between the last result and the
// refinement it calls for: a database whose sweep has all its grid trials
// done and no refined trial. Open adds the refined trials, once.
func TestRefinementAtOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sweeps.db")
	spec, err := sweeps.Parse("refine.yaml", []byte(refineYAML), sweeps.Options{})
	if err != nil {
		t.Fatal(err)
	}
	grid, err := spec.Expand()
	if err != nil {
		t.Fatal(err)
	}
	clock := coordtest.NewFakeClock()
	ch := &state.Change{NextToken: 1, Sweeps: []state.SweepRecord{{
		Name: "refine", Filename: "refine.yaml", Source: refineYAML, Axes: []string{"beta", "strategy", "seed"},
		MaxAttempts: 3, Created: clock.Now(), Updated: clock.Now(), Submissions: 1,
	}}}
	nt := &state.NewTrials{Sweep: "refine", Inputs: state.InputList{}, Updated: clock.Now()}
	ch.New = []*state.NewTrials{nt}
	for _, tr := range grid {
		point, _ := json.Marshal(tr.Point)
		params := sweeps.CanonicalJSON(tr.Params)
		rel := syntheticRelL2(t, string(params))
		nt.Keys = append(nt.Keys, tr.Key)
		nt.Inputs = append(nt.Inputs.(state.InputList), state.TrialInputs{Key: tr.Key, Params: params, Point: point})
		ch.Trials = append(ch.Trials, state.TrialRecord{
			Sweep: "refine", Key: tr.Key, Index: tr.Index, Status: state.StatusDone, Attempts: 1,
			Value: &rel, Updated: clock.Now(),
		})
		ch.Results = append(ch.Results, state.ResultPut{Sweep: "refine", Key: tr.Key, JSON: json.RawMessage(coordtest.ResultJSON(rel))})
	}
	st, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	for range 2 { // the second Open adds nothing
		c := coordtest.Open(t, path, clock)
		p := coordtest.MustProgress(t, c, "refine")
		if p.Total != 42 || p.Pending != 6 || p.Done != 36 {
			t.Errorf("progress after Open: %+v; want the 6 trials of β=25 (regular) and β=35 (curriculum) added", p)
		}
		brs, err := c.Brackets(context.Background(), "refine")
		if err != nil || len(brs) != 2 || brs[0].Status != sweeps.BracketRefining || brs[0].Lower != 20 || brs[0].Upper != 30 {
			t.Errorf("Brackets = %v, %v", brs, err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRefinementStopsWhenCancelled(t *testing.T) {
	c := coordtest.Open(t, "", nil)
	defer c.Close()
	coordtest.MustSubmit(t, c, refineYAML)
	var held *state.Grant
	for i := range 36 {
		g := coordtest.MustLease(t, c, "w")
		if i == 35 {
			held = g
			break
		}
		coordtest.MustComplete(t, c, g, state.StatusDone, coordtest.ResultJSON(syntheticRelL2(t, string(g.Trial.Params))))
	}
	if _, err := c.Cancel(context.Background(), "refine"); err != nil {
		t.Fatal(err)
	}
	before := coordtest.MustProgress(t, c, "refine")
	// The last grid trial ends done after the cancellation, which
	// completes the curriculum's grid: no refinement.
	coordtest.MustComplete(t, c, held, state.StatusDone, coordtest.ResultJSON(syntheticRelL2(t, string(held.Trial.Params))))
	if p := coordtest.MustProgress(t, c, "refine"); p.Total != before.Total || !p.Finished {
		t.Fatalf("a cancelled sweep was refined: %+v, before the last result %+v", p, before)
	}
	// Requeueing the cancelled trials resumes the sweep and its refinement.
	if _, err := c.RequeueFailed(context.Background(), "refine"); err != nil {
		t.Fatal(err)
	}
	coordtest.Drain(t, c, "w", func(g *state.Grant) string { return coordtest.ResultJSON(syntheticRelL2(t, string(g.Trial.Params))) })
	if p := coordtest.MustProgress(t, c, "refine"); p.Total != 60 || p.Done != 60 {
		t.Fatalf("after requeueing: %+v, want the 60 trials of the full refinement done", p)
	}
}

// TestRefinementStaleSpec reopens a database whose refined sweep's spec no
// longer parses (the trial limit was lowered below its grid): Open and
// GetSweep still work, without brackets.
func TestRefinementStaleSpec(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sweeps.db")
	c := coordtest.Open(t, path, nil)
	coordtest.MustSubmit(t, c, refineYAML)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c, err := coordinator.Open(coordinator.Options{Path: path, SpecOptions: sweeps.Options{MaxTrials: 10}, Logger: coordtest.Logger(t)})
	if err != nil {
		t.Fatalf("Open with a lower trial limit: %v", err)
	}
	defer c.Close()
	if _, err := c.Brackets(context.Background(), "refine"); !errors.Is(err, state.ErrInvalidSpec) {
		t.Errorf("Brackets = %v, want ErrInvalidSpec", err)
	}
	if p := coordtest.MustProgress(t, c, "refine"); p.Total != 36 {
		t.Errorf("progress %+v", p)
	}
}
