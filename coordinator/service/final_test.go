package service_test

import (
	"context"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator/internal/coordtest"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// TestCompleteFinal: CompleteResponse.final says whether the trial's
// status is final after the completion, as the coordinator's rules
// decided it: a failure with an attempt left is retried (not final, and
// the retry may come back as the next lease), the last attempt's
// failure is final, a trial stopped by a cancelled sweep is final, and a
// duplicate says what the trial is now.
func TestCompleteFinal(t *testing.T) {
	s := startServer(t, nil)
	ctx := context.Background()
	if _, err := s.sweeps.SubmitSweep(ctx, &pb.SubmitSweepRequest{Spec: &pb.Spec{Source: coordtest.SpecYAML("fin", []int{1, 2}, 1, 1, 100)}}); err != nil {
		t.Fatal(err)
	}
	complete := func(l *pb.LeaseResponse, st pb.TrialStatus, next *pb.LeaseRequest) *pb.CompleteResponse {
		t.Helper()
		resp, err := s.worker.Complete(ctx, &pb.CompleteRequest{LeaseId: l.GetLeaseId(), Token: l.GetToken(), WorkerId: "w", LeaseSecret: l.GetLeaseSecret(),
			Status: st, Reason: "injected", Next: next})
		if err != nil {
			t.Fatalf("Complete %s: %v", st, err)
		}
		return resp
	}
	failed := pb.TrialStatus_TRIAL_STATUS_FAILED
	first, err := s.worker.Lease(ctx, &pb.LeaseRequest{WorkerId: "w"})
	if err != nil || first.GetTrial() == nil {
		t.Fatalf("Lease = %v, %v", first, err)
	}
	if resp := complete(first, failed, nil); resp.GetFinal() || resp.GetDuplicate() {
		t.Fatalf("first attempt failed: %v; want not final", resp)
	}
	resp := complete(first, failed, &pb.LeaseRequest{})
	retry := resp.GetNext()
	if resp.GetFinal() || !resp.GetDuplicate() || retry.GetTrial().GetKey() != first.GetTrial().GetKey() || retry.GetTrial().GetAttempts() != 2 {
		t.Fatalf("duplicate of the first attempt's completion: %v; want not final, and the retry as the next lease", resp)
	}
	if resp := complete(retry, failed, nil); !resp.GetFinal() || resp.GetDuplicate() {
		t.Errorf("last attempt failed: %v; want final", resp)
	}
	if resp := complete(retry, failed, nil); !resp.GetFinal() || !resp.GetDuplicate() {
		t.Errorf("duplicate of the final completion: %v; want final", resp)
	}

	other, err := s.worker.Lease(ctx, &pb.LeaseRequest{WorkerId: "w"})
	if err != nil || other.GetTrial() == nil || other.GetTrial().GetKey() == first.GetTrial().GetKey() {
		t.Fatalf("Lease of the other trial = %v, %v", other, err)
	}
	if _, err := s.sweeps.CancelSweep(ctx, &pb.CancelSweepRequest{Sweep: "fin"}); err != nil {
		t.Fatal(err)
	}
	if resp := complete(other, pb.TrialStatus_TRIAL_STATUS_CANCELLED, nil); !resp.GetFinal() {
		t.Errorf("trial stopped by a cancelled sweep: %v; want final", resp)
	}
}
