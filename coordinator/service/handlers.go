package service

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
	"github.com/pinnsweep/pinnsweep/sweeps"
)

// Request limits enforced by the gRPC handlers, which answer
// InvalidArgument, naming the field, beyond them. The server's receive
// limit, MaxRecvMsgSize, bounds a whole request (ResourceExhausted beyond
// it).
const (
	// maxWorkerIDLen bounds worker_id (bytes).
	maxWorkerIDLen = 256
	// maxLeaseIDLen bounds lease_id (bytes).
	maxLeaseIDLen = 512
	// maxSweepLen bounds a sweep name (bytes).
	maxSweepLen = 256
	// maxFilenameLen bounds spec.filename (bytes).
	maxFilenameLen = 1024
	// maxReasonLen bounds Complete's reason (bytes).
	maxReasonLen = 16 << 10
	// maxSlots bounds LeaseRequest.slots (0 counts as 1).
	maxSlots = 1 << 16
	// maxSweepFilter bounds the number of names in LeaseRequest.sweeps.
	maxSweepFilter = 1024
	// maxWaitMs bounds LeaseRequest.wait_ms (one day); the server caps
	// the wait it grants much lower (Options.MaxLeaseWait).
	maxWaitMs = 24 * 60 * 60 * 1000
	// maxShownLen bounds how much of an offending value a message quotes.
	maxShownLen = 64
	// MaxSpecSize is the largest spec source SubmitSweep accepts.
	MaxSpecSize = 1 << 20
	// MaxResultSize is the largest result_json Complete accepts.
	MaxResultSize = 8 << 20
)

// errShuttingDown is the cancellation cause of RPCs cut by Serve's
// shutdown.
var errShuttingDown = errors.New("coordinator shutting down")

// base holds what both services share.
type base struct {
	c    *coordinator.Coordinator
	log  hclog.Logger
	stop <-chan struct{} // closed when Serve begins shutting down
}

// withStop derives a context that is also cancelled (with cause
// errShuttingDown) when the server shuts down, so long-polls and watch
// streams do not hold GracefulStop up.
func (b *base) withStop(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	go func() {
		select {
		case <-b.stop:
			cancel(errShuttingDown)
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(nil) }
}

// toStatus maps an engine error to a gRPC status. This is the only place
// sentinel errors become status codes.
func (b *base) toStatus(method string, err error) error {
	if err == nil {
		return nil
	}
	var code codes.Code
	switch {
	case errors.Is(err, state.ErrNotFound), errors.Is(err, state.ErrLeaseNotFound):
		code = codes.NotFound
	case errors.Is(err, state.ErrStaleToken), errors.Is(err, state.ErrLeaseExpired), errors.Is(err, state.ErrLeaseReleased):
		code = codes.FailedPrecondition
	case errors.Is(err, state.ErrNotHolder):
		code = codes.PermissionDenied
	case errors.Is(err, state.ErrInvalidSpec), errors.Is(err, state.ErrIncompatible), errors.Is(err, state.ErrInvalidArgument):
		code = codes.InvalidArgument
	case errors.Is(err, state.ErrDiskFull):
		code = codes.ResourceExhausted
	case errors.Is(err, state.ErrClosed), errors.Is(err, errShuttingDown), errors.Is(err, state.ErrStorage), errors.Is(err, state.ErrCommitUnknown):
		code = codes.Unavailable
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	default:
		b.log.Error("request failed", "method", method, "error", err)
		code = codes.Internal
	}
	return status.Error(code, err.Error())
}

// invalid returns an InvalidArgument status.
func invalid(format string, args ...any) error {
	return status.Errorf(codes.InvalidArgument, format, args...)
}

// checkString validates a required or optional identifier-like string.
func checkString(field, s string, maxLen int, required bool) error {
	if s == "" {
		if required {
			return invalid("%s is required", field)
		}
		return nil
	}
	if len(s) > maxLen {
		return invalid("%s is %d bytes long; the limit is %d", field, len(s), maxLen)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return invalid("%s %s contains control characters", field, shown(s))
	}
	return nil
}

// shown quotes s for a message, cut to maxShownLen bytes.
func shown(s string) string {
	if len(s) <= maxShownLen {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q...", strings.ToValidUTF8(s[:maxShownLen], ""))
}

// sweepService implements pb.SweepServiceServer over the Coordinator.
type sweepService struct {
	pb.UnimplementedSweepServiceServer
	base
}

var _ pb.SweepServiceServer = (*sweepService)(nil)

// SubmitSweep implements pb.SweepServiceServer.
func (s *sweepService) SubmitSweep(ctx context.Context, req *pb.SubmitSweepRequest) (*pb.SubmitSweepResponse, error) {
	spec := req.GetSpec()
	if spec == nil {
		return nil, invalid("spec is required")
	}
	if spec.GetSource() == "" {
		return nil, invalid("spec.source is required")
	}
	if len(spec.GetSource()) > MaxSpecSize {
		return nil, invalid("spec.source is %d bytes long; the limit is %d", len(spec.GetSource()), MaxSpecSize)
	}
	if err := checkString("spec.filename", spec.GetFilename(), maxFilenameLen, false); err != nil {
		return nil, err
	}
	if err := checkString("spec.name", spec.GetName(), maxSweepLen, false); err != nil {
		return nil, err
	}
	filename := spec.GetFilename()
	if filename == "" {
		filename = "spec"
	}
	// Parsed once, here: the engine keeps the parsed spec.
	parsed, err := sweeps.Parse(filename, []byte(spec.GetSource()), s.c.Config().SpecOptions)
	if err != nil {
		return nil, s.toStatus("SubmitSweep", fmt.Errorf("%w: %w", state.ErrInvalidSpec, err))
	}
	if name := spec.GetName(); name != "" && name != parsed.Name {
		return nil, s.toStatus("SubmitSweep", fmt.Errorf("%w: request names sweep %q but the spec is named %q", state.ErrInvalidArgument, name, parsed.Name))
	}
	if err := checkCommandSpec(ctx, parsed); err != nil {
		s.log.Warn("command spec refused", "sweep", parsed.Name, "error", err)
		return nil, err
	}
	res, err := s.c.SubmitSpec(ctx, parsed)
	if err != nil {
		return nil, s.toStatus("SubmitSweep", err)
	}
	return &pb.SubmitSweepResponse{Sweep: res.Sweep, Total: int64(res.Total), Added: int64(res.Added)}, nil
}

// GetSweep implements pb.SweepServiceServer.
func (s *sweepService) GetSweep(ctx context.Context, req *pb.GetSweepRequest) (*pb.GetSweepResponse, error) {
	if err := checkString("sweep", req.GetSweep(), maxSweepLen, true); err != nil {
		return nil, err
	}
	only, err := checkStatuses(req.GetStatuses())
	if err != nil {
		return nil, err
	}
	resp, err := sweepDetail(ctx, s.c, s.log, req.GetSweep(), req.GetIncludeTrials(), only)
	if err != nil {
		return nil, s.toStatus("GetSweep", err)
	}
	return resp, nil
}

// ListSweeps implements pb.SweepServiceServer.
func (s *sweepService) ListSweeps(ctx context.Context, _ *pb.ListSweepsRequest) (*pb.ListSweepsResponse, error) {
	list, err := sweepList(ctx, s.c)
	if err != nil {
		return nil, s.toStatus("ListSweeps", err)
	}
	return &pb.ListSweepsResponse{Sweeps: list}, nil
}

// WatchSweep implements pb.SweepServiceServer: it sends the progress now
// and after every change until the sweep is finished. Shutdown ends the
// stream with Unavailable.
func (s *sweepService) WatchSweep(req *pb.WatchSweepRequest, stream pb.SweepService_WatchSweepServer) error {
	if err := checkString("sweep", req.GetSweep(), maxSweepLen, true); err != nil {
		return err
	}
	ctx, cancel := s.withStop(stream.Context())
	defer cancel()
	var sendErr error
	err := s.c.Watch(ctx, req.GetSweep(), func(p state.Progress) error {
		sendErr = stream.Send(&pb.WatchSweepResponse{Progress: ProgressToProto(p)})
		return sendErr
	})
	switch {
	case err == nil:
		return nil
	case sendErr != nil:
		return sendErr // already a status
	case errors.Is(context.Cause(ctx), errShuttingDown):
		return s.toStatus("WatchSweep", errShuttingDown)
	}
	return s.toStatus("WatchSweep", err)
}

// CancelSweep implements pb.SweepServiceServer.
func (s *sweepService) CancelSweep(ctx context.Context, req *pb.CancelSweepRequest) (*pb.CancelSweepResponse, error) {
	if err := checkString("sweep", req.GetSweep(), maxSweepLen, true); err != nil {
		return nil, err
	}
	n, err := s.c.Cancel(ctx, req.GetSweep())
	if err != nil {
		return nil, s.toStatus("CancelSweep", err)
	}
	return &pb.CancelSweepResponse{Cancelled: int64(n)}, nil
}

// RequeueFailed implements pb.SweepServiceServer.
func (s *sweepService) RequeueFailed(ctx context.Context, req *pb.RequeueFailedRequest) (*pb.RequeueFailedResponse, error) {
	if err := checkString("sweep", req.GetSweep(), maxSweepLen, true); err != nil {
		return nil, err
	}
	n, err := s.c.RequeueFailed(ctx, req.GetSweep())
	if err != nil {
		return nil, s.toStatus("RequeueFailed", err)
	}
	return &pb.RequeueFailedResponse{Requeued: int64(n)}, nil
}

// workerService implements pb.WorkerServiceServer over the Coordinator.
type workerService struct {
	pb.UnimplementedWorkerServiceServer
	base
}

var _ pb.WorkerServiceServer = (*workerService)(nil)

// leaseDeadlineMargin is kept between a Lease's wait and the caller's
// deadline, so an empty answer arrives before DeadlineExceeded would.
const leaseDeadlineMargin = 250 * time.Millisecond

// checkLeaseRequest validates a LeaseRequest (the fields named with
// prefix) and returns its worker id, defaulting to worker, and its wait,
// capped to end leaseDeadlineMargin before ctx's deadline. What it offers
// is checked by checkOffer.
func checkLeaseRequest(ctx context.Context, prefix string, req *pb.LeaseRequest, worker string) (string, time.Duration, error) {
	if id := req.GetWorkerId(); id != "" {
		if worker != "" && id != worker {
			return "", 0, invalid("%sworker_id %s differs from worker_id %s", prefix, shown(id), shown(worker))
		}
		worker = id
	}
	_, cert := peerCommonName(ctx) // with a client certificate, that is the identity
	if err := checkString(prefix+"worker_id", worker, maxWorkerIDLen, !cert); err != nil {
		return "", 0, err
	}
	if req.GetSlots() < 0 || req.GetSlots() > maxSlots {
		return "", 0, invalid("%sslots must be between 0 and %d, got %d", prefix, maxSlots, req.GetSlots())
	}
	if req.GetWaitMs() < 0 || req.GetWaitMs() > maxWaitMs {
		return "", 0, invalid("%swait_ms must be between 0 and %d, got %d", prefix, maxWaitMs, req.GetWaitMs())
	}
	if n := len(req.GetSweeps()); n > maxSweepFilter {
		return "", 0, invalid("%ssweeps has %d names; the limit is %d", prefix, n, maxSweepFilter)
	}
	for i, name := range req.GetSweeps() {
		if err := checkString(fmt.Sprintf("%ssweeps[%d]", prefix, i), name, maxSweepLen, true); err != nil {
			return "", 0, err
		}
	}
	wait := time.Duration(req.GetWaitMs()) * time.Millisecond
	if dl, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(dl)-leaseDeadlineMargin)
	}
	return worker, wait, nil
}

// Lease implements pb.WorkerServiceServer.
func (s *workerService) Lease(ctx context.Context, req *pb.LeaseRequest) (*pb.LeaseResponse, error) {
	worker, wait, err := checkLeaseRequest(ctx, "", req, "")
	if err != nil {
		return nil, err
	}
	if worker, err = workerIdentity(ctx, "worker_id", worker); err != nil {
		return nil, err
	}
	offer, err := checkOffer("", req)
	if err != nil {
		return nil, err
	}
	resp, err := s.lease(ctx, worker, wait, offer)
	if err != nil {
		return nil, s.toStatus("Lease", err)
	}
	return resp, nil
}

// lease long-polls for a trial; shutdown gives an empty answer.
func (s *workerService) lease(ctx context.Context, worker string, wait time.Duration, offer state.Offer) (*pb.LeaseResponse, error) {
	ctx, cancel := s.withStop(ctx)
	defer cancel()
	g, err := s.c.LeaseOffer(ctx, worker, wait, offer)
	if err != nil {
		if errors.Is(context.Cause(ctx), errShuttingDown) {
			return &pb.LeaseResponse{}, nil // "ask again"; the next call finds the server gone
		}
		return nil, err
	}
	return grantToProto(g), nil
}

// grantToProto converts a grant, or nil (an empty answer).
func grantToProto(g *state.Grant) *pb.LeaseResponse {
	if g == nil {
		return &pb.LeaseResponse{}
	}
	return &pb.LeaseResponse{
		Trial:         TrialToProto(&g.Trial),
		LeaseId:       g.LeaseID,
		Token:         g.Token,
		TtlMs:         g.TTL.Milliseconds(),
		BudgetSeconds: g.BudgetSeconds,
		LeaseSecret:   g.Secret.Bytes(),
		Command:       commandToProto(g.Command),
		Gpus:          int32(g.GPUs),
	}
}

// checkLease validates a lease reference and returns what the caller
// claims with it: its worker identity (workerIdentity) and the secret.
func checkLease(ctx context.Context, leaseID string, token uint64, worker string, secret []byte) (state.LeaseClaim, error) {
	if err := checkString("lease_id", leaseID, maxLeaseIDLen, true); err != nil {
		return state.LeaseClaim{}, err
	}
	if token == 0 {
		return state.LeaseClaim{}, invalid("token is required")
	}
	if err := checkString("worker_id", worker, maxWorkerIDLen, false); err != nil {
		return state.LeaseClaim{}, err
	}
	s, err := leaseSecret(secret)
	if err != nil {
		return state.LeaseClaim{}, err
	}
	id, err := workerIdentity(ctx, "worker_id", worker)
	if err != nil {
		return state.LeaseClaim{}, err
	}
	return state.LeaseClaim{LeaseID: leaseID, Token: token, Worker: id, Secret: s}, nil
}

// Heartbeat implements pb.WorkerServiceServer.
func (s *workerService) Heartbeat(ctx context.Context, req *pb.HeartbeatRequest) (*pb.HeartbeatResponse, error) {
	claim, err := checkLease(ctx, req.GetLeaseId(), req.GetToken(), req.GetWorkerId(), req.GetLeaseSecret())
	if err != nil {
		return nil, err
	}
	if req.GetEvals() < 0 {
		return nil, invalid("evals must not be negative, got %d", req.GetEvals())
	}
	if l := req.GetLoss(); math.IsNaN(l) || math.IsInf(l, 0) {
		return nil, invalid("loss must be finite, got %v", l)
	}
	beat, err := s.c.Heartbeat(ctx, claim)
	if err != nil {
		return nil, s.toStatus("Heartbeat", err)
	}
	if beat.Stop {
		s.log.Debug("heartbeat says stop", "lease", req.GetLeaseId(), "worker", claim.Worker, "reason", beat.Reason)
	}
	return &pb.HeartbeatResponse{Stop: beat.Stop, Reason: beat.Reason, TtlMs: beat.TTL.Milliseconds()}, nil
}

// Complete implements pb.WorkerServiceServer.
func (s *workerService) Complete(ctx context.Context, req *pb.CompleteRequest) (*pb.CompleteResponse, error) {
	claim, err := checkLease(ctx, req.GetLeaseId(), req.GetToken(), req.GetWorkerId(), req.GetLeaseSecret())
	if err != nil {
		return nil, err
	}
	st := StatusFromProto(req.GetStatus())
	if !st.Reported() {
		name, ok := pb.TrialStatus_name[int32(req.GetStatus())]
		if !ok {
			name = fmt.Sprintf("unknown value %d", int32(req.GetStatus()))
		}
		return nil, invalid("status must be DONE, DIVERGED, TIMEOUT, FAILED or CANCELLED, got %s", name)
	}
	if len(req.GetResultJson()) > MaxResultSize {
		return nil, invalid("result_json is %d bytes long; the limit is %d", len(req.GetResultJson()), MaxResultSize)
	}
	if len(req.GetReason()) > maxReasonLen {
		return nil, invalid("reason is %d bytes long; the limit is %d", len(req.GetReason()), maxReasonLen)
	}
	if err := checkStderrTail(req.GetStderrTail()); err != nil {
		return nil, err
	}
	// An invalid next does not refuse the completion (a worker must never
	// lose a result to it): next is answered without a trial, and the
	// worker's Lease call then reports the problem.
	next := req.GetNext()
	worker, wait := claim.Worker, time.Duration(0)
	var nextErr error
	var offer state.Offer
	if next != nil {
		var w string
		if w, wait, nextErr = checkLeaseRequest(ctx, "next.", next, req.GetWorkerId()); nextErr == nil {
			worker, nextErr = workerIdentity(ctx, "next.worker_id", w)
		}
		if nextErr == nil {
			offer, nextErr = checkOffer("next.", next)
		}
		if nextErr != nil {
			worker = claim.Worker
			s.log.Warn("ignoring an invalid next in Complete", "lease", req.GetLeaseId(), "error", nextErr)
		}
	}
	var result []byte
	if r := req.GetResultJson(); r != "" {
		result = []byte(r)
	}
	// The worker is the claim's, or next's when only next names it.
	claim.Worker = worker
	comp := state.Completion{
		LeaseClaim: claim,
		Status:     st,
		Result:     result,
		Reason:     req.GetReason(),
		StderrTail: req.GetStderrTail(),
	}
	if next == nil || nextErr != nil {
		ack, err := s.c.Complete(ctx, comp)
		if err != nil {
			return nil, s.toStatus("Complete", err)
		}
		resp := &pb.CompleteResponse{Duplicate: ack.Duplicate, Final: ack.Final}
		if next != nil {
			resp.Next = &pb.LeaseResponse{}
		}
		return resp, nil
	}
	ack, g, err := s.c.CompleteAndLease(ctx, comp, coordinator.NextLease{Sweeps: offer.Sweeps, GPUs: offer.GPUs,
		Commands: offer.Commands, Wait: wait, Stop: s.stop})
	if err != nil {
		return nil, s.toStatus("Complete", err)
	}
	return &pb.CompleteResponse{Duplicate: ack.Duplicate, Final: ack.Final, Next: grantToProto(g)}, nil
}

// Release implements pb.WorkerServiceServer.
func (s *workerService) Release(ctx context.Context, req *pb.ReleaseRequest) (*pb.ReleaseResponse, error) {
	claim, err := checkLease(ctx, req.GetLeaseId(), req.GetToken(), req.GetWorkerId(), req.GetLeaseSecret())
	if err != nil {
		return nil, err
	}
	if err := s.c.Release(ctx, claim); err != nil {
		return nil, s.toStatus("Release", err)
	}
	return &pb.ReleaseResponse{}, nil
}
