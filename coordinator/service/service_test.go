package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/internal/coordtest"
	"github.com/pinnsweep/pinnsweep/coordinator/service"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// server runs a coordinator on 127.0.0.1:0 and returns its clients.
type server struct {
	c      *coordinator.Coordinator
	addr   string // the listener's address
	conn   *grpc.ClientConn
	sweeps pb.SweepServiceClient
	worker pb.WorkerServiceClient
	cancel context.CancelFunc
	served chan error
}

func startServer(t *testing.T, clock *coordtest.FakeClock) *server {
	t.Helper()
	return startServerAt(t, filepath.Join(t.TempDir(), "sweeps.db"), clock)
}

// startServerAt is startServer on the database file at path, with extra
// server options.
func startServerAt(t *testing.T, path string, clock *coordtest.FakeClock, extra ...grpc.ServerOption) *server {
	t.Helper()
	opts := coordinator.Options{
		Path:         path,
		LeaseTTL:     30 * time.Second,
		MaxLeaseWait: 2 * time.Second,
		Logger:       coordtest.Logger(t),
	}
	if clock != nil {
		opts.Now = clock.Now
	}
	return startServerWith(t, opts, extra...)
}

// startServerWith is startServer with the given options (Path or Store
// set) and extra server options.
func startServerWith(t *testing.T, opts coordinator.Options, extra ...grpc.ServerOption) *server {
	t.Helper()
	c, err := coordinator.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{c: c, addr: lis.Addr().String(), cancel: cancel, served: make(chan error, 1)}
	go func() { s.served <- service.Serve(ctx, c, lis, extra...) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	s.conn = conn
	s.sweeps = pb.NewSweepServiceClient(conn)
	s.worker = pb.NewWorkerServiceClient(conn)
	t.Cleanup(func() { s.stop(t) })
	return s
}

func (s *server) stop(t *testing.T) {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("Serve did not return after its context was cancelled")
	}
	s.conn.Close()
	if err := s.c.Close(); err != nil {
		t.Error(err)
	}
}

// leaseOne submits a sweep of one trial and leases it as worker "w".
func (s *server) leaseOne(t *testing.T, sweep string) (leaseID string, token uint64, secret []byte) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.sweeps.SubmitSweep(ctx, &pb.SubmitSweepRequest{Spec: &pb.Spec{Source: coordtest.SpecYAML(sweep, []int{1}, 1, 0, 100)}}); err != nil {
		t.Fatal(err)
	}
	l, err := s.worker.Lease(ctx, &pb.LeaseRequest{WorkerId: "w", WaitMs: 100})
	if err != nil || l.GetTrial() == nil {
		t.Fatalf("Lease = %v, %v", l, err)
	}
	return l.GetLeaseId(), l.GetToken(), l.GetLeaseSecret()
}

func wantCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	if status.Code(err) != code {
		t.Fatalf("got %v, want code %v", err, code)
	}
}

func TestGRPCStaleLease(t *testing.T) {
	clock := coordtest.NewFakeClock()
	s := startServer(t, clock)
	ctx := context.Background()
	sub, err := s.sweeps.SubmitSweep(ctx, &pb.SubmitSweepRequest{Spec: &pb.Spec{Filename: "one.yaml", Source: coordtest.SpecYAML("one", []int{3}, 1, 2, 100)}})
	if err != nil || sub.GetTotal() != 1 || sub.GetAdded() != 1 || sub.GetSweep() != "one" {
		t.Fatalf("SubmitSweep = %v, %v", sub, err)
	}

	a, err := s.worker.Lease(ctx, &pb.LeaseRequest{WorkerId: "A", Slots: 1, WaitMs: 1000})
	if err != nil || a.GetTrial() == nil {
		t.Fatalf("A's Lease = %v, %v", a, err)
	}
	if a.GetTtlMs() != 30000 || a.GetBudgetSeconds() != 60 || a.GetTrial().GetStatus() != pb.TrialStatus_TRIAL_STATUS_RUNNING {
		t.Fatalf("A's lease: %v", a)
	}
	var params map[string]any
	if err := json.Unmarshal([]byte(a.GetTrial().GetParamsJson()), &params); err != nil || params["beta"] != 3.0 || params["seed"] != 0.0 {
		t.Fatalf("params_json %q (%v)", a.GetTrial().GetParamsJson(), err)
	}
	hb, err := s.worker.Heartbeat(ctx, &pb.HeartbeatRequest{LeaseId: a.GetLeaseId(), Token: a.GetToken(), WorkerId: "A", LeaseSecret: a.GetLeaseSecret(), Evals: 10, Loss: 0.5})
	if err != nil || hb.GetStop() || hb.GetTtlMs() != 30000 {
		t.Fatalf("A's Heartbeat = %v, %v", hb, err)
	}

	clock.Advance(31 * time.Second) // A's lease expires
	b, err := s.worker.Lease(ctx, &pb.LeaseRequest{WorkerId: "B", Slots: 1, WaitMs: 1000})
	if err != nil || b.GetTrial().GetKey() != a.GetTrial().GetKey() {
		t.Fatalf("B's Lease = %v, %v; want A's trial again", b, err)
	}
	if b.GetToken() <= a.GetToken() || b.GetTrial().GetAttempts() != 2 {
		t.Fatalf("B's lease: token %d (A's %d), attempts %d", b.GetToken(), a.GetToken(), b.GetTrial().GetAttempts())
	}
	hb, err = s.worker.Heartbeat(ctx, &pb.HeartbeatRequest{LeaseId: a.GetLeaseId(), Token: a.GetToken(), WorkerId: "A", LeaseSecret: a.GetLeaseSecret()})
	if err != nil || !hb.GetStop() || hb.GetReason() == "" {
		t.Fatalf("A's late Heartbeat = %v, %v; want stop with a reason", hb, err)
	}

	bResult := coordtest.ResultJSON(0.042)
	if _, err := s.worker.Complete(ctx, &pb.CompleteRequest{LeaseId: b.GetLeaseId(), Token: b.GetToken(), WorkerId: "B", LeaseSecret: b.GetLeaseSecret(),
		Status: pb.TrialStatus_TRIAL_STATUS_DONE, ResultJson: bResult}); err != nil {
		t.Fatalf("B's Complete: %v", err)
	}
	_, err = s.worker.Complete(ctx, &pb.CompleteRequest{LeaseId: a.GetLeaseId(), Token: a.GetToken(), WorkerId: "A", LeaseSecret: a.GetLeaseSecret(),
		Status: pb.TrialStatus_TRIAL_STATUS_DONE, ResultJson: coordtest.ResultJSON(0.9)})
	wantCode(t, err, codes.FailedPrecondition)
	dup, err := s.worker.Complete(ctx, &pb.CompleteRequest{LeaseId: b.GetLeaseId(), Token: b.GetToken(), WorkerId: "B", LeaseSecret: b.GetLeaseSecret(),
		Status: pb.TrialStatus_TRIAL_STATUS_DONE, ResultJson: bResult})
	if err != nil || !dup.GetDuplicate() {
		t.Fatalf("B's repeated Complete = %v, %v; want duplicate", dup, err)
	}

	got, err := s.sweeps.GetSweep(ctx, &pb.GetSweepRequest{Sweep: "one", IncludeTrials: true})
	if err != nil {
		t.Fatal(err)
	}
	if p := got.GetProgress(); p.GetDone() != 1 || !p.GetFinished() || p.GetTotal() != 1 {
		t.Fatalf("progress %v", p)
	}
	tr := got.GetTrials()[0]
	// B's result, stored with its failure class (verdict.WithClass).
	if tr.GetWorker() != "B" || tr.GetResultJson() != `{"failure_class":"pass",`+bResult[1:] || !tr.GetHasRelL2() || tr.GetRelL2() != 0.042 || tr.GetAttempts() != 2 {
		t.Fatalf("B's result does not stand: %v", tr)
	}
	if tr.GetPointJson() != `{"beta":3,"seed":0}` || strings.Join(got.GetAxes(), ",") != "beta,seed" || !strings.Contains(got.GetSpecSource(), "name: one") {
		t.Fatalf("GetSweep details: point %s axes %v", tr.GetPointJson(), got.GetAxes())
	}
}

func TestGRPCInvalidArguments(t *testing.T) {
	s := startServer(t, nil)
	ctx := context.Background()
	id, tok, secret := s.leaseOne(t, "inv")
	tests := []struct {
		name string
		call func() error
		code codes.Code
	}{
		{"submit without spec", func() error { _, err := s.sweeps.SubmitSweep(ctx, &pb.SubmitSweepRequest{}); return err }, codes.InvalidArgument},
		{"submit bad yaml", func() error {
			_, err := s.sweeps.SubmitSweep(ctx, &pb.SubmitSweepRequest{Spec: &pb.Spec{Source: "name: x\nunknown: 1\n"}})
			return err
		}, codes.InvalidArgument},
		{"submit name mismatch", func() error {
			_, err := s.sweeps.SubmitSweep(ctx, &pb.SubmitSweepRequest{Spec: &pb.Spec{Name: "other", Source: coordtest.SpecYAML("inv", []int{1}, 1, 0, 100)}})
			return err
		}, codes.InvalidArgument},
		{"submit changed fixed setting", func() error {
			_, err := s.sweeps.SubmitSweep(ctx, &pb.SubmitSweepRequest{Spec: &pb.Spec{Source: coordtest.SpecYAML("inv", []int{1}, 1, 0, 999)}})
			return err
		}, codes.InvalidArgument},
		{"submit too large", func() error {
			_, err := s.sweeps.SubmitSweep(ctx, &pb.SubmitSweepRequest{Spec: &pb.Spec{Source: strings.Repeat("#", service.MaxSpecSize+1)}})
			return err
		}, codes.InvalidArgument},
		{"get without name", func() error { _, err := s.sweeps.GetSweep(ctx, &pb.GetSweepRequest{}); return err }, codes.InvalidArgument},
		{"get unknown", func() error { _, err := s.sweeps.GetSweep(ctx, &pb.GetSweepRequest{Sweep: "nosuch"}); return err }, codes.NotFound},
		{"cancel unknown", func() error { _, err := s.sweeps.CancelSweep(ctx, &pb.CancelSweepRequest{Sweep: "nosuch"}); return err }, codes.NotFound},
		{"requeue unknown", func() error {
			_, err := s.sweeps.RequeueFailed(ctx, &pb.RequeueFailedRequest{Sweep: "nosuch"})
			return err
		}, codes.NotFound},
		{"lease without worker", func() error { _, err := s.worker.Lease(ctx, &pb.LeaseRequest{}); return err }, codes.InvalidArgument},
		{"lease negative wait", func() error { _, err := s.worker.Lease(ctx, &pb.LeaseRequest{WorkerId: "w", WaitMs: -1}); return err }, codes.InvalidArgument},
		{"lease negative slots", func() error { _, err := s.worker.Lease(ctx, &pb.LeaseRequest{WorkerId: "w", Slots: -1}); return err }, codes.InvalidArgument},
		{"lease control chars", func() error { _, err := s.worker.Lease(ctx, &pb.LeaseRequest{WorkerId: "w\n1"}); return err }, codes.InvalidArgument},
		{"heartbeat NaN loss", func() error {
			_, err := s.worker.Heartbeat(ctx, &pb.HeartbeatRequest{LeaseId: id, Token: tok, Loss: math.NaN()})
			return err
		}, codes.InvalidArgument},
		{"heartbeat Inf loss", func() error {
			_, err := s.worker.Heartbeat(ctx, &pb.HeartbeatRequest{LeaseId: id, Token: tok, Loss: math.Inf(1)})
			return err
		}, codes.InvalidArgument},
		{"heartbeat negative evals", func() error {
			_, err := s.worker.Heartbeat(ctx, &pb.HeartbeatRequest{LeaseId: id, Token: tok, Evals: -1})
			return err
		}, codes.InvalidArgument},
		{"heartbeat without token", func() error { _, err := s.worker.Heartbeat(ctx, &pb.HeartbeatRequest{LeaseId: id}); return err }, codes.InvalidArgument},
		{"heartbeat unknown lease", func() error {
			_, err := s.worker.Heartbeat(ctx, &pb.HeartbeatRequest{LeaseId: "inv/0000000000000000/1", Token: 1, WorkerId: "w"})
			return err
		}, codes.NotFound},
		{"complete unspecified status", func() error {
			_, err := s.worker.Complete(ctx, &pb.CompleteRequest{LeaseId: id, Token: tok})
			return err
		}, codes.InvalidArgument},
		{"complete running status", func() error {
			_, err := s.worker.Complete(ctx, &pb.CompleteRequest{LeaseId: id, Token: tok, Status: pb.TrialStatus_TRIAL_STATUS_RUNNING})
			return err
		}, codes.InvalidArgument},
		{"complete unknown enum value", func() error {
			_, err := s.worker.Complete(ctx, &pb.CompleteRequest{LeaseId: id, Token: tok, Status: pb.TrialStatus(99)})
			return err
		}, codes.InvalidArgument},
		{"complete result not JSON", func() error {
			_, err := s.worker.Complete(ctx, &pb.CompleteRequest{LeaseId: id, Token: tok, Status: pb.TrialStatus_TRIAL_STATUS_DONE, ResultJson: "{oops"})
			return err
		}, codes.InvalidArgument},
		{"complete done without result", func() error {
			_, err := s.worker.Complete(ctx, &pb.CompleteRequest{LeaseId: id, Token: tok, Status: pb.TrialStatus_TRIAL_STATUS_DONE})
			return err
		}, codes.InvalidArgument},
		{"complete token mismatch", func() error {
			_, err := s.worker.Complete(ctx, &pb.CompleteRequest{LeaseId: id, Token: tok + 7, Status: pb.TrialStatus_TRIAL_STATUS_FAILED})
			return err
		}, codes.InvalidArgument},
		{"release without lease", func() error { _, err := s.worker.Release(ctx, &pb.ReleaseRequest{Token: 1}); return err }, codes.InvalidArgument},
		{"watch without name", func() error {
			st, err := s.sweeps.WatchSweep(ctx, &pb.WatchSweepRequest{})
			if err != nil {
				return err
			}
			_, err = st.Recv()
			return err
		}, codes.InvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.code) })
	}
	// None of that changed the lease.
	hb, err := s.worker.Heartbeat(ctx, &pb.HeartbeatRequest{LeaseId: id, Token: tok, WorkerId: "w", LeaseSecret: secret})
	if err != nil || hb.GetStop() {
		t.Fatalf("lease disturbed by bad requests: %v, %v", hb, err)
	}
}

func TestGRPCWatchCancelRequeueAndHealth(t *testing.T) {
	s := startServer(t, nil)
	ctx := context.Background()
	hc := healthpb.NewHealthClient(s.conn)
	if h, err := hc.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health = %v, %v", h, err)
	}
	if _, err := s.sweeps.SubmitSweep(ctx, &pb.SubmitSweepRequest{Spec: &pb.Spec{Source: coordtest.SpecYAML("w", []int{1, 2}, 2, 0, 100)}}); err != nil {
		t.Fatal(err)
	}
	stream, err := s.sweeps.WatchSweep(ctx, &pb.WatchSweepRequest{Sweep: "w"})
	if err != nil {
		t.Fatal(err)
	}
	first, err := stream.Recv()
	if err != nil || first.GetProgress().GetPending() != 4 {
		t.Fatalf("first watch message %v, %v", first, err)
	}
	l, err := s.worker.Lease(ctx, &pb.LeaseRequest{WorkerId: "w", WaitMs: 100})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.sweeps.CancelSweep(ctx, &pb.CancelSweepRequest{Sweep: "w"})
	if err != nil || c.GetCancelled() != 4 {
		t.Fatalf("CancelSweep = %v, %v", c, err)
	}
	hb, err := s.worker.Heartbeat(ctx, &pb.HeartbeatRequest{LeaseId: l.GetLeaseId(), Token: l.GetToken(), WorkerId: "w", LeaseSecret: l.GetLeaseSecret()})
	if err != nil || !hb.GetStop() {
		t.Fatalf("heartbeat after cancel = %v, %v; want stop", hb, err)
	}
	if _, err := s.worker.Complete(ctx, &pb.CompleteRequest{LeaseId: l.GetLeaseId(), Token: l.GetToken(), WorkerId: "w", LeaseSecret: l.GetLeaseSecret(), Status: pb.TrialStatus_TRIAL_STATUS_CANCELLED, Reason: "stopped"}); err != nil {
		t.Fatal(err)
	}
	var last *pb.SweepProgress
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("watch: %v", err)
		}
		last = m.GetProgress()
	}
	if !last.GetFinished() || last.GetCancelled() != 4 {
		t.Fatalf("last watch message %v", last)
	}
	rq, err := s.sweeps.RequeueFailed(ctx, &pb.RequeueFailedRequest{Sweep: "w"})
	if err != nil || rq.GetRequeued() != 4 {
		t.Fatalf("RequeueFailed = %v, %v", rq, err)
	}
	list, err := s.sweeps.ListSweeps(ctx, &pb.ListSweepsRequest{})
	if err != nil || len(list.GetSweeps()) != 1 || list.GetSweeps()[0].GetPending() != 4 {
		t.Fatalf("ListSweeps = %v, %v", list, err)
	}
}

func TestGRPCShutdownEndsLongPollsAndStreams(t *testing.T) {
	s := startServer(t, nil)
	ctx := context.Background()
	if _, err := s.sweeps.SubmitSweep(ctx, &pb.SubmitSweepRequest{Spec: &pb.Spec{Source: coordtest.SpecYAML("sd", []int{1}, 1, 0, 100)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.worker.Lease(ctx, &pb.LeaseRequest{WorkerId: "w"}); err != nil { // takes the only trial
		t.Fatal(err)
	}
	stream, err := s.sweeps.WatchSweep(ctx, &pb.WatchSweepRequest{Sweep: "sd"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	polled := make(chan error, 1)
	go func() {
		r, err := s.worker.Lease(ctx, &pb.LeaseRequest{WorkerId: "w2", WaitMs: 60_000})
		if err == nil && r.GetTrial() != nil {
			err = errors.New("got a trial")
		}
		polled <- err
	}()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	s.stop(t)
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("shutdown took %v", d)
	}
	select {
	case err := <-polled:
		if err != nil {
			t.Fatalf("long-poll during shutdown: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("long-poll not ended by shutdown")
	}
	if _, err := stream.Recv(); status.Code(err) != codes.Unavailable {
		t.Fatalf("watch stream after shutdown: %v, want Unavailable", err)
	}
}

func TestGRPCLeaseNextAndSweepFilter(t *testing.T) {
	s := startServer(t, nil)
	ctx := context.Background()
	for _, src := range []string{coordtest.SpecYAML("one", []int{1, 2, 3}, 1, 0, 100), coordtest.SpecYAML("two", []int{1}, 1, 0, 100)} {
		if _, err := s.sweeps.SubmitSweep(ctx, &pb.SubmitSweepRequest{Spec: &pb.Spec{Source: src}}); err != nil {
			t.Fatal(err)
		}
	}
	only := []string{"one"}
	l, err := s.worker.Lease(ctx, &pb.LeaseRequest{WorkerId: "A", Slots: 1, Sweeps: only})
	if err != nil || l.GetTrial().GetSweep() != "one" {
		t.Fatalf("Lease from one = %v, %v", l, err)
	}
	complete := func(l *pb.LeaseResponse, next *pb.LeaseRequest) *pb.CompleteResponse {
		t.Helper()
		resp, err := s.worker.Complete(ctx, &pb.CompleteRequest{LeaseId: l.GetLeaseId(), Token: l.GetToken(), WorkerId: "A", LeaseSecret: l.GetLeaseSecret(),
			Status: pb.TrialStatus_TRIAL_STATUS_DONE, ResultJson: coordtest.ResultJSON(0.1), Next: next})
		if err != nil {
			t.Fatalf("Complete: %v", err)
		}
		return resp
	}
	// The next trial comes with the completion, from the allowed sweep, to
	// the request's worker.
	for range 2 {
		resp := complete(l, &pb.LeaseRequest{Sweeps: only})
		next := resp.GetNext()
		if next.GetTrial().GetSweep() != "one" || next.GetTrial().GetWorker() != "A" || next.GetToken() <= l.GetToken() || next.GetTtlMs() != 30000 {
			t.Fatalf("next lease %v", next)
		}
		l = next
	}
	// None left in one: the call waits next.wait_ms, then answers empty.
	start := time.Now()
	resp := complete(l, &pb.LeaseRequest{Sweeps: only, WaitMs: 300})
	if resp.GetNext() == nil || resp.GetNext().GetTrial() != nil || time.Since(start) < 250*time.Millisecond {
		t.Fatalf("next from an exhausted sweep = %v after %v; want an empty answer after ~300ms", resp.GetNext(), time.Since(start))
	}
	got, err := s.sweeps.GetSweep(ctx, &pb.GetSweepRequest{Sweep: "two"})
	if err != nil || got.GetProgress().GetPending() != 1 {
		t.Fatalf("sweep two was touched: %v, %v", got, err)
	}
	if p, _ := s.sweeps.GetSweep(ctx, &pb.GetSweepRequest{Sweep: "one"}); p.GetProgress().GetDone() != 3 {
		t.Fatalf("sweep one: %v", p.GetProgress())
	}

	// Without next, no next; an invalid next does not refuse the result.
	l, err = s.worker.Lease(ctx, &pb.LeaseRequest{WorkerId: "B"})
	if err != nil || l.GetTrial().GetSweep() != "two" {
		t.Fatalf("Lease = %v, %v", l, err)
	}
	resp, err = s.worker.Complete(ctx, &pb.CompleteRequest{LeaseId: l.GetLeaseId(), Token: l.GetToken(), WorkerId: "B", LeaseSecret: l.GetLeaseSecret(),
		Status: pb.TrialStatus_TRIAL_STATUS_DONE, ResultJson: coordtest.ResultJSON(0.1), Next: &pb.LeaseRequest{WorkerId: "C"}})
	if err != nil || resp.GetNext() == nil || resp.GetNext().GetTrial() != nil {
		t.Fatalf("Complete with a next for another worker = %v, %v; want the completion and an empty next", resp, err)
	}
	resp, err = s.worker.Complete(ctx, &pb.CompleteRequest{LeaseId: l.GetLeaseId(), Token: l.GetToken(), WorkerId: "B", LeaseSecret: l.GetLeaseSecret(),
		Status: pb.TrialStatus_TRIAL_STATUS_DONE, ResultJson: coordtest.ResultJSON(0.1)})
	if err != nil || !resp.GetDuplicate() || resp.GetNext() != nil {
		t.Fatalf("Complete without next = %v, %v", resp, err)
	}

	for _, req := range []*pb.LeaseRequest{
		{WorkerId: "A", Sweeps: []string{""}},
		{WorkerId: "A", Sweeps: []string{"a\nb"}},
		{WorkerId: "A", Sweeps: make([]string, 1025)},
	} {
		_, err := s.worker.Lease(ctx, req)
		wantCode(t, err, codes.InvalidArgument)
	}
}
