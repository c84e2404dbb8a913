package service_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pinnsweep/pinnsweep/coordinator/service"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// TestGRPCRequestValidation sends every RPC requests with fields out of
// their limits (lengths, ranges, control characters, non-finite numbers,
// missing required fields) and checks the answer: InvalidArgument with a
// message naming the field (and, where short enough, the value), or
// ResourceExhausted for a request beyond the server's receive limit.
func TestGRPCRequestValidation(t *testing.T) {
	s := startServer(t, nil)
	ctx := context.Background()
	id, tok, secret := s.leaseOne(t, "val")
	long := strings.Repeat("n", 2000)
	spec := func(sp *pb.Spec) func() error {
		return func() error { _, err := s.sweeps.SubmitSweep(ctx, &pb.SubmitSweepRequest{Spec: sp}); return err }
	}
	get := func(name string) func() error {
		return func() error { _, err := s.sweeps.GetSweep(ctx, &pb.GetSweepRequest{Sweep: name}); return err }
	}
	watch := func(name string) func() error {
		return func() error {
			st, err := s.sweeps.WatchSweep(ctx, &pb.WatchSweepRequest{Sweep: name})
			if err == nil {
				_, err = st.Recv()
			}
			return err
		}
	}
	cancel := func(name string) func() error {
		return func() error { _, err := s.sweeps.CancelSweep(ctx, &pb.CancelSweepRequest{Sweep: name}); return err }
	}
	requeue := func(name string) func() error {
		return func() error { _, err := s.sweeps.RequeueFailed(ctx, &pb.RequeueFailedRequest{Sweep: name}); return err }
	}
	lease := func(r *pb.LeaseRequest) func() error {
		return func() error { _, err := s.worker.Lease(ctx, r); return err }
	}
	heartbeat := func(r *pb.HeartbeatRequest) func() error {
		return func() error { _, err := s.worker.Heartbeat(ctx, r); return err }
	}
	complete := func(r *pb.CompleteRequest) func() error {
		return func() error { _, err := s.worker.Complete(ctx, r); return err }
	}
	release := func(r *pb.ReleaseRequest) func() error {
		return func() error { _, err := s.worker.Release(ctx, r); return err }
	}
	failed := pb.TrialStatus_TRIAL_STATUS_FAILED
	tests := []struct {
		name string
		call func() error
		want []string // in the message
	}{
		{"submit empty source", spec(&pb.Spec{}), []string{"spec.source is required"}},
		{"submit long filename", spec(&pb.Spec{Source: "x", Filename: long}), []string{"spec.filename", "2000 bytes", "1024"}},
		{"submit filename control", spec(&pb.Spec{Source: "x", Filename: "a\x00b"}), []string{"spec.filename", `"a\x00b"`}},
		{"submit long name", spec(&pb.Spec{Source: "x", Name: long}), []string{"spec.name", "2000 bytes"}},
		{"submit name control", spec(&pb.Spec{Source: "x", Name: "a\tb"}), []string{"spec.name", `"a\tb"`}},
		{"get long name", get(long), []string{"sweep is 2000 bytes"}},
		{"get control", get("a\x1bb"), []string{"sweep", `"a\x1bb"`}},
		{"watch long name", watch(long), []string{"sweep is 2000 bytes"}},
		{"cancel without name", cancel(""), []string{"sweep is required"}},
		{"cancel long name", cancel(long), []string{"sweep is 2000 bytes"}},
		{"requeue without name", requeue(""), []string{"sweep is required"}},
		{"requeue control", requeue("\n"), []string{"sweep", `"\n"`}},
		{"lease long worker", lease(&pb.LeaseRequest{WorkerId: long}), []string{"worker_id is 2000 bytes", "256"}},
		{"lease too many slots", lease(&pb.LeaseRequest{WorkerId: "w", Slots: 1 << 20}), []string{"slots", "1048576"}},
		{"lease huge wait", lease(&pb.LeaseRequest{WorkerId: "w", WaitMs: math.MaxInt64}), []string{"wait_ms", "9223372036854775807"}},
		{"lease negative wait", lease(&pb.LeaseRequest{WorkerId: "w", WaitMs: -5}), []string{"wait_ms", "-5"}},
		{"lease empty sweep filter", lease(&pb.LeaseRequest{WorkerId: "w", Sweeps: []string{"val", ""}}), []string{"sweeps[1] is required"}},
		{"lease long sweep filter", lease(&pb.LeaseRequest{WorkerId: "w", Sweeps: []string{long}}), []string{"sweeps[0] is 2000 bytes"}},
		{"lease too many sweeps", lease(&pb.LeaseRequest{WorkerId: "w", Sweeps: make([]string, 1025)}), []string{"sweeps has 1025 names", "1024"}},
		{"heartbeat without lease", heartbeat(&pb.HeartbeatRequest{Token: tok}), []string{"lease_id is required"}},
		{"heartbeat long lease", heartbeat(&pb.HeartbeatRequest{LeaseId: long, Token: tok}), []string{"lease_id is 2000 bytes", "512"}},
		{"heartbeat long worker", heartbeat(&pb.HeartbeatRequest{LeaseId: id, Token: tok, WorkerId: long}), []string{"worker_id is 2000 bytes"}},
		{"heartbeat -Inf loss", heartbeat(&pb.HeartbeatRequest{LeaseId: id, Token: tok, Loss: math.Inf(-1)}), []string{"loss must be finite", "-Inf"}},
		{"heartbeat negative evals", heartbeat(&pb.HeartbeatRequest{LeaseId: id, Token: tok, Evals: -3}), []string{"evals", "-3"}},
		{"complete without token", complete(&pb.CompleteRequest{LeaseId: id, Status: failed}), []string{"token is required"}},
		{"complete lease control", complete(&pb.CompleteRequest{LeaseId: "a\x7fb", Token: tok, Status: failed}), []string{"lease_id", `"a\x7fb"`}},
		{"complete unknown status", complete(&pb.CompleteRequest{LeaseId: id, Token: tok, Status: pb.TrialStatus(42)}), []string{"status", "unknown value 42"}},
		{"complete pending status", complete(&pb.CompleteRequest{LeaseId: id, Token: tok, Status: pb.TrialStatus_TRIAL_STATUS_PENDING}), []string{"status", "TRIAL_STATUS_PENDING"}},
		{"complete result too large", complete(&pb.CompleteRequest{LeaseId: id, Token: tok, Status: pb.TrialStatus_TRIAL_STATUS_DONE,
			ResultJson: `{"x":"` + strings.Repeat("y", service.MaxResultSize) + `"}`}), []string{"result_json is", "8388608"}},
		{"complete reason too long", complete(&pb.CompleteRequest{LeaseId: id, Token: tok, Status: failed, Reason: strings.Repeat("r", 20000)}), []string{"reason is 20000 bytes", "16384"}},
		{"release without token", release(&pb.ReleaseRequest{LeaseId: id}), []string{"token is required"}},
		{"release worker control", release(&pb.ReleaseRequest{LeaseId: id, Token: tok, WorkerId: "w\r"}), []string{"worker_id", `"w\r"`}},
		// Without a client certificate the worker is worker_id: a claim
		// without one is malformed, not another worker's (PermissionDenied).
		{"heartbeat without worker", heartbeat(&pb.HeartbeatRequest{LeaseId: id, Token: tok, LeaseSecret: secret}), []string{"worker_id is required"}},
		{"complete without worker", complete(&pb.CompleteRequest{LeaseId: id, Token: tok, LeaseSecret: secret, Status: failed}), []string{"worker_id is required"}},
		{"complete without worker, invalid next", complete(&pb.CompleteRequest{LeaseId: id, Token: tok, LeaseSecret: secret, Status: failed,
			Next: &pb.LeaseRequest{Slots: -1}}), []string{"worker_id is required"}},
		{"release without worker", release(&pb.ReleaseRequest{LeaseId: id, Token: tok, LeaseSecret: secret}), []string{"worker_id is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			wantCode(t, err, codes.InvalidArgument)
			for _, w := range tt.want {
				if msg := status.Convert(err).Message(); !strings.Contains(msg, w) {
					t.Errorf("message %q does not contain %q", msg, w)
				}
			}
		})
	}
	t.Run("list sweeps", func(t *testing.T) {
		if _, err := s.sweeps.ListSweeps(ctx, &pb.ListSweepsRequest{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("beyond the receive limit", func(t *testing.T) {
		_, err := s.sweeps.SubmitSweep(ctx, &pb.SubmitSweepRequest{Spec: &pb.Spec{Source: strings.Repeat("#", service.MaxRecvMsgSize)}})
		wantCode(t, err, codes.ResourceExhausted)
	})
	// The lease survived every bad request.
	if hb, err := s.worker.Heartbeat(ctx, &pb.HeartbeatRequest{LeaseId: id, Token: tok, WorkerId: "w", LeaseSecret: secret}); err != nil || hb.GetStop() {
		t.Fatalf("lease disturbed by bad requests: %v, %v", hb, err)
	}
}
