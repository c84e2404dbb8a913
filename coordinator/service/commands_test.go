package service_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pinnsweep/pinnsweep/coordinator/service"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// commandSpec is a command sweep of two CPU trials.
const commandSpec = `name: cmd
runner:
  command: [python3, train.py, --lr, "{lr}"]
  env: {MODE: fast}
axes:
  lr: [0.1, 1]
metric: accuracy
goal: max
failure_threshold: 0.5
retries: 0
`

// gateFunc adapts a function to service.CommandSpecGate.
type gateFunc func(context.Context) error

func (f gateFunc) AllowCommandSpec(ctx context.Context) error { return f(ctx) }

// TestSubmitCommandSpecGate: without AcceptCommandSpecs a server refuses
// every command spec (PermissionDenied, naming the program); with it, the
// gate decides; built-in specs are never asked about.
func TestSubmitCommandSpecGate(t *testing.T) {
	ctx := context.Background()
	submit := func(s *server, src string) error {
		_, err := s.sweeps.SubmitSweep(ctx, &pb.SubmitSweepRequest{Spec: &pb.Spec{Source: src}})
		return err
	}
	s := startServer(t, nil)
	err := submit(s, commandSpec)
	if status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), `"python3"`) {
		t.Fatalf("command spec to a server without a gate: %v; want PermissionDenied naming the program", err)
	}
	if _, err := s.sweeps.GetSweep(ctx, &pb.GetSweepRequest{Sweep: "cmd"}); status.Code(err) != codes.NotFound {
		t.Fatalf("refused sweep: GetSweep %v; want NotFound", err)
	}

	asked := 0
	refuse := gateFunc(func(context.Context) error { asked++; return errors.New("not you") })
	s = startServerAt(t, filepath.Join(t.TempDir(), "s.db"), nil, service.AcceptCommandSpecs(refuse))
	if err := submit(s, commandSpec); status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "not you") {
		t.Fatalf("refused by the gate: %v", err)
	}
	if err := submit(s, `name: plain
fixed: {pde: convection, nf: 100}
axes: {beta: [1]}
`); err != nil || asked != 1 {
		t.Fatalf("built-in spec: %v, gate asked %d times; want accepted, asked once (for the command spec)", err, asked)
	}

	s = startServerAt(t, filepath.Join(t.TempDir(), "s.db"), nil, service.AcceptCommandSpecs(gateFunc(func(context.Context) error { return nil })))
	if err := submit(s, commandSpec); err != nil {
		t.Fatalf("allowed by the gate: %v", err)
	}
}

// TestCommandTrialsOverGRPC: a command trial is leased only by requests
// that run commands; its grant carries the command; a completion's
// stderr tail is bounded, stored and returned by GetSweep; gpus out of
// range is InvalidArgument (in next too, where it only costs the next
// trial).
func TestCommandTrialsOverGRPC(t *testing.T) {
	ctx := context.Background()
	s := startServerAt(t, filepath.Join(t.TempDir(), "s.db"), nil, service.AcceptCommandSpecs(gateFunc(func(context.Context) error { return nil })))
	if _, err := s.sweeps.SubmitSweep(ctx, &pb.SubmitSweepRequest{Spec: &pb.Spec{Source: commandSpec}}); err != nil {
		t.Fatal(err)
	}
	for _, g := range []int32{-1, 65} {
		_, err := s.worker.Lease(ctx, &pb.LeaseRequest{WorkerId: "w", Gpus: g, Commands: true})
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "gpus must be between 0 and 64") {
			t.Errorf("Lease with gpus %d: %v", g, err)
		}
	}
	if l, err := s.worker.Lease(ctx, &pb.LeaseRequest{WorkerId: "plain", WaitMs: 50}); err != nil || l.GetTrial() != nil {
		t.Fatalf("Lease without commands: %v, %v; want no trial", l, err)
	}
	l, err := s.worker.Lease(ctx, &pb.LeaseRequest{WorkerId: "w", Commands: true})
	if err != nil || l.GetTrial() == nil {
		t.Fatalf("Lease with commands: %v, %v", l, err)
	}
	cmd := l.GetCommand()
	if got := strings.Join(cmd.GetArgv(), " "); got != "python3 train.py --lr {lr}" || cmd.GetEnv()["MODE"] != "fast" ||
		cmd.GetMetric() != "accuracy" || l.GetGpus() != 0 {
		t.Fatalf("grant's command %v, gpus %d", cmd, l.GetGpus())
	}

	complete := func(tail string, next *pb.LeaseRequest) (*pb.CompleteResponse, error) {
		return s.worker.Complete(ctx, &pb.CompleteRequest{LeaseId: l.GetLeaseId(), Token: l.GetToken(), WorkerId: "w", LeaseSecret: l.GetLeaseSecret(),
			Status: pb.TrialStatus_TRIAL_STATUS_FAILED, Reason: "exit status 1", StderrTail: tail, Next: next})
	}
	_, err = complete(strings.Repeat("x", 64<<10+1), nil)
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "stderr_tail is 65537 bytes long") {
		t.Fatalf("oversized tail: %v", err)
	}
	tail := "Traceback (most recent call last):\nValueError: lr\n"
	resp, err := complete(tail, &pb.LeaseRequest{Gpus: 99, Commands: true})
	if err != nil || resp.GetNext() == nil || resp.GetNext().GetTrial() != nil {
		t.Fatalf("completion with an invalid next: %v, %v; want accepted, no next trial", resp, err)
	}
	got, err := s.sweeps.GetSweep(ctx, &pb.GetSweepRequest{Sweep: "cmd", IncludeTrials: true})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, tr := range got.GetTrials() {
		if tr.GetKey() == l.GetTrial().GetKey() {
			found = tr.GetStderrTail() == tail && tr.GetStatus() == pb.TrialStatus_TRIAL_STATUS_FAILED
		}
	}
	if !found {
		t.Fatalf("GetSweep lacks the failed trial's tail: %v", got.GetTrials())
	}
	// Only the failed trials, as status asks for them.
	got, err = s.sweeps.GetSweep(ctx, &pb.GetSweepRequest{Sweep: "cmd", IncludeTrials: true,
		Statuses: []pb.TrialStatus{pb.TrialStatus_TRIAL_STATUS_FAILED, pb.TrialStatus_TRIAL_STATUS_TIMEOUT}})
	if err != nil || len(got.GetTrials()) != 1 || got.GetTrials()[0].GetKey() != l.GetTrial().GetKey() {
		t.Fatalf("GetSweep of the failed trials: %v, %v", got.GetTrials(), err)
	}
	for _, bad := range [][]pb.TrialStatus{{0}, {99}, {pb.TrialStatus_TRIAL_STATUS_FAILED, pb.TrialStatus_TRIAL_STATUS_FAILED}} {
		_, err := s.sweeps.GetSweep(ctx, &pb.GetSweepRequest{Sweep: "cmd", IncludeTrials: true, Statuses: bad})
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "statuses[") {
			t.Errorf("GetSweep with statuses %v: %v", bad, err)
		}
	}
}
