package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// fakeCoordinator is an in-memory WorkerService: a queue of trials and a
// record of every call. Hooks, when set, answer instead of the defaults.
type fakeCoordinator struct {
	pb.UnimplementedWorkerServiceServer

	mu        sync.Mutex
	queue     []*pb.Trial
	next      uint64
	ttlMs     int64
	budget    float64
	leases    map[string]*pb.Trial  // lease id → trial
	secrets   map[string][]byte     // lease id → the lease's secret
	completes []*pb.CompleteRequest // every call, duplicates and refused ones too
	// accepted holds the completion accepted for each lease. As the real
	// coordinator does, a later completion of a completed lease is a
	// duplicate: it changes nothing and is answered duplicate=true (a
	// worker retries a Complete whose answer it did not get, as on
	// shutdown, when the first may have arrived all the same).
	accepted  map[string]*pb.CompleteRequest
	dups      int // Complete calls answered duplicate=true
	releases  []*pb.ReleaseRequest
	beats     []*pb.HeartbeatRequest
	leaseReqs []*pb.LeaseRequest

	onComplete  func(n int, req *pb.CompleteRequest) error // n counts calls from 1
	onHeartbeat func(req *pb.HeartbeatRequest) (*pb.HeartbeatResponse, error)

	// leaseNext makes Complete honour CompleteRequest.next (from the
	// queue, without waiting); otherwise it ignores it, as a coordinator
	// that predates it does.
	leaseNext bool

	// requeue makes Release put the lease's trial back in the queue, as
	// the coordinator does.
	requeue bool

	// command, if set, makes every trial a command trial; gpus holds the
	// GPUs trials need by key, and a trial is leased only to a request
	// that offers them (LeaseRequest.gpus).
	command *pb.Command
	gpus    map[string]int32
}

func newFake(n int) *fakeCoordinator {
	f := &fakeCoordinator{ttlMs: 3000, leases: map[string]*pb.Trial{}, accepted: map[string]*pb.CompleteRequest{}, secrets: map[string][]byte{}}
	for i := range n {
		f.queue = append(f.queue, &pb.Trial{Sweep: "s", Key: fmt.Sprintf("k%02d", i), ParamsJson: fmt.Sprintf(`{"seed":%d}`, i)})
	}
	return f
}

// pop leases the first queued trial that fits the request, or returns an
// empty answer. f.mu is held.
func (f *fakeCoordinator) pop(req *pb.LeaseRequest) *pb.LeaseResponse {
	i := slices.IndexFunc(f.queue, func(t *pb.Trial) bool {
		need := f.gpus[t.GetKey()]
		return need == 0 && req.GetGpus() == 0 || need > 0 && need <= req.GetGpus()
	})
	if i < 0 {
		return &pb.LeaseResponse{}
	}
	t := f.queue[i]
	f.queue = slices.Delete(f.queue, i, i+1)
	f.next++
	id := fmt.Sprintf("L%d", f.next)
	f.leases[id] = t
	f.secrets[id] = []byte(fmt.Sprintf("secret of %-6s", id)) // 16 bytes, as the coordinator's
	return &pb.LeaseResponse{Trial: t, LeaseId: id, Token: f.next, TtlMs: f.ttlMs, BudgetSeconds: f.budget,
		Command: f.command, Gpus: f.gpus[t.GetKey()], LeaseSecret: f.secrets[id]}
}

// holds refuses, as the coordinator does (PermissionDenied), a call on a
// lease that does not carry the lease's secret. f.mu is held.
func (f *fakeCoordinator) holds(leaseID string, secret []byte) error {
	if want, ok := f.secrets[leaseID]; ok && !bytes.Equal(secret, want) {
		return status.Errorf(codes.PermissionDenied, "lease %s: wrong or missing lease secret", leaseID)
	}
	return nil
}

func (f *fakeCoordinator) Lease(ctx context.Context, req *pb.LeaseRequest) (*pb.LeaseResponse, error) {
	f.mu.Lock()
	f.leaseReqs = append(f.leaseReqs, req)
	if resp := f.pop(req); resp.GetTrial() != nil {
		f.mu.Unlock()
		return resp, nil
	}
	f.mu.Unlock()
	wait := min(time.Duration(req.GetWaitMs())*time.Millisecond, 50*time.Millisecond)
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(wait):
	}
	return &pb.LeaseResponse{}, nil
}

func (f *fakeCoordinator) Heartbeat(_ context.Context, req *pb.HeartbeatRequest) (*pb.HeartbeatResponse, error) {
	f.mu.Lock()
	f.beats = append(f.beats, req)
	hook := f.onHeartbeat
	err := f.holds(req.GetLeaseId(), req.GetLeaseSecret())
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if hook != nil {
		return hook(req)
	}
	return &pb.HeartbeatResponse{TtlMs: f.ttlMs}, nil
}

func (f *fakeCoordinator) Complete(_ context.Context, req *pb.CompleteRequest) (*pb.CompleteResponse, error) {
	f.mu.Lock()
	f.completes = append(f.completes, req)
	n := len(f.completes)
	hook := f.onComplete
	err := f.holds(req.GetLeaseId(), req.GetLeaseSecret())
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if hook != nil {
		if err := hook(n, req); err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	_, dup := f.accepted[req.GetLeaseId()]
	if dup {
		f.dups++
	} else {
		f.accepted[req.GetLeaseId()] = req
	}
	resp := &pb.CompleteResponse{Duplicate: dup}
	if f.leaseNext && req.GetNext() != nil {
		resp.Next = f.pop(req.GetNext())
	}
	return resp, nil
}

func (f *fakeCoordinator) Release(_ context.Context, req *pb.ReleaseRequest) (*pb.ReleaseResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.releases = append(f.releases, req)
	if err := f.holds(req.GetLeaseId(), req.GetLeaseSecret()); err != nil {
		return nil, err
	}
	if t, ok := f.leases[req.GetLeaseId()]; ok && f.requeue {
		delete(f.leases, req.GetLeaseId())
		f.queue = append(f.queue, t)
	}
	return &pb.ReleaseResponse{}, nil
}

// snapshot returns copies of the recorded calls.
func (f *fakeCoordinator) snapshot() (completes []*pb.CompleteRequest, releases []*pb.ReleaseRequest, beats []*pb.HeartbeatRequest) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*pb.CompleteRequest(nil), f.completes...),
		append([]*pb.ReleaseRequest(nil), f.releases...),
		append([]*pb.HeartbeatRequest(nil), f.beats...)
}

// serve starts f on a bufconn listener and returns a client connection.
func serve(t *testing.T, f *fakeCoordinator) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	s := grpc.NewServer()
	pb.RegisterWorkerServiceServer(s, f)
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	cc, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

// testLogger routes worker logs to t.Log.
func testLogger(t *testing.T) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: "test", Level: hclog.Debug, Output: tWriter{t}})
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// funcRunner adapts a function to Runner.
type funcRunner func(ctx context.Context, params string, progress func(int64, float64)) (Outcome, error)

func (f funcRunner) Run(ctx context.Context, params string, progress func(int64, float64)) (Outcome, error) {
	return f(ctx, params, progress)
}

// blockRunner reports progress and waits for ctx.
var blockRunner = funcRunner(func(ctx context.Context, _ string, progress func(int64, float64)) (Outcome, error) {
	progress(7, 0.5)
	<-ctx.Done()
	return Outcome{Status: StatusCancelled, Reason: "interrupted"}, nil
})

// startWorker runs a worker in the background; the returned function stops
// it and waits for Run to return.
func startWorker(t *testing.T, opts Options) (stop func()) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	opts.ID = "w1"
	opts.LeaseWait = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, opts) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-errc:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRunCompletesEveryTrialOnce(t *testing.T) {
	f := newFake(20)
	cc := serve(t, f)
	stop := startWorker(t, Options{Conn: cc, Slots: 3, Runner: NoopRunner{Delay: time.Millisecond}})
	waitFor(t, "20 completions", func() bool { c, _, _ := f.snapshot(); return len(c) >= 20 })
	stop()
	completes, releases, _ := f.snapshot()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.accepted) != 20 || len(releases) != 0 {
		t.Fatalf("accepted completions=%d releases=%d, want 20 and 0", len(f.accepted), len(releases))
	}
	// The stop may catch Completes in flight: the worker sends them again
	// (it cannot know whether they arrived), and the coordinator answers
	// duplicate=true. A repeat must be the same completion.
	for _, c := range completes {
		a := f.accepted[c.GetLeaseId()]
		if a == nil || a.GetToken() != c.GetToken() || a.GetStatus() != c.GetStatus() ||
			a.GetResultJson() != c.GetResultJson() || a.GetReason() != c.GetReason() {
			t.Fatalf("completion %v differs from the lease's accepted one %v", c, a)
		}
	}
	for _, c := range f.accepted {
		tr := f.leases[c.GetLeaseId()]
		if tr == nil {
			t.Fatalf("bad lease %q", c.GetLeaseId())
		}
		if c.GetStatus() != pb.TrialStatus_TRIAL_STATUS_DONE || c.GetWorkerId() != "w1" {
			t.Errorf("complete %v", c)
		}
		if !strings.Contains(c.GetResultJson(), tr.GetParamsJson()) {
			t.Errorf("result %s does not echo params %s", c.GetResultJson(), tr.GetParamsJson())
		}
		if want := "L" + fmt.Sprint(c.GetToken()); c.GetLeaseId() != want {
			t.Errorf("lease %s carries token %d", c.GetLeaseId(), c.GetToken())
		}
		if !bytes.Equal(c.GetLeaseSecret(), f.secrets[c.GetLeaseId()]) {
			t.Errorf("complete of lease %s carries secret %q, want %q", c.GetLeaseId(), c.GetLeaseSecret(), f.secrets[c.GetLeaseId()])
		}
	}
	for _, r := range f.leaseReqs {
		if r.GetWorkerId() != "w1" || r.GetSlots() < 1 || r.GetSlots() > 3 || r.GetWaitMs() != 50 {
			t.Fatalf("lease request %v", r)
		}
	}
}

func TestHeartbeatCarriesProgressAndStopCancels(t *testing.T) {
	f := newFake(1)
	f.onHeartbeat = func(req *pb.HeartbeatRequest) (*pb.HeartbeatResponse, error) {
		return &pb.HeartbeatResponse{Stop: true, Reason: "sweep cancelled"}, nil
	}
	cc := serve(t, f)
	startWorker(t, Options{Conn: cc, Runner: blockRunner, HeartbeatEvery: 10 * time.Millisecond})
	waitFor(t, "a completion", func() bool { c, _, _ := f.snapshot(); return len(c) == 1 })
	c, r, beats := f.snapshot()
	if len(beats) != 1 || beats[0].GetEvals() != 7 || beats[0].GetLoss() != 0.5 || beats[0].GetToken() != 1 {
		t.Fatalf("heartbeats %v", beats)
	}
	if c[0].GetStatus() != pb.TrialStatus_TRIAL_STATUS_CANCELLED || !strings.Contains(c[0].GetReason(), "sweep cancelled") || len(r) != 0 {
		t.Fatalf("complete %v, releases %d", c[0], len(r))
	}
}

func TestBudgetGivesTimeout(t *testing.T) {
	f := newFake(1)
	f.budget = 0.05
	cc := serve(t, f)
	startWorker(t, Options{Conn: cc, Runner: blockRunner})
	waitFor(t, "a completion", func() bool { c, _, _ := f.snapshot(); return len(c) == 1 })
	c, _, _ := f.snapshot()
	if c[0].GetStatus() != pb.TrialStatus_TRIAL_STATUS_TIMEOUT || !strings.Contains(c[0].GetReason(), "budget of 0.05s") {
		t.Fatalf("complete %v", c[0])
	}
}

func TestResultIsKeptThroughOutage(t *testing.T) {
	f := newFake(1)
	f.onComplete = func(n int, _ *pb.CompleteRequest) error {
		if n <= 3 {
			return status.Error(codes.Unavailable, "coordinator away")
		}
		return nil
	}
	cc := serve(t, f)
	startWorker(t, Options{Conn: cc, Runner: NoopRunner{}, Backoff: Backoff{Initial: time.Millisecond, Max: 5 * time.Millisecond}})
	waitFor(t, "4 completion attempts", func() bool { c, _, _ := f.snapshot(); return len(c) == 4 })
	time.Sleep(50 * time.Millisecond)
	c, _, _ := f.snapshot()
	if len(c) != 4 {
		t.Fatalf("%d completion attempts, want 4 (3 failed, 1 accepted)", len(c))
	}
	for _, r := range c {
		if r.GetToken() != 1 || r.GetResultJson() != c[0].GetResultJson() {
			t.Fatalf("retry changed the request: %v", r)
		}
	}
}

func TestStaleResultIsDropped(t *testing.T) {
	f := newFake(2)
	f.onComplete = func(n int, _ *pb.CompleteRequest) error {
		if n == 1 {
			return status.Error(codes.FailedPrecondition, "stale fencing token")
		}
		return nil
	}
	cc := serve(t, f)
	startWorker(t, Options{Conn: cc, Runner: NoopRunner{}})
	waitFor(t, "2 completions", func() bool { c, _, _ := f.snapshot(); return len(c) == 2 })
	time.Sleep(30 * time.Millisecond)
	c, _, _ := f.snapshot()
	if len(c) != 2 || c[0].GetToken() != 1 || c[1].GetToken() != 2 {
		t.Fatalf("completions %v: the stale one must not be retried", c)
	}
}

func TestRejectedResultIsReportedFailed(t *testing.T) {
	f := newFake(1)
	f.onComplete = func(n int, req *pb.CompleteRequest) error {
		if req.GetStatus() == pb.TrialStatus_TRIAL_STATUS_DONE {
			return status.Error(codes.InvalidArgument, "result is not a JSON object")
		}
		return nil
	}
	cc := serve(t, f)
	startWorker(t, Options{Conn: cc, Runner: funcRunner(func(context.Context, string, func(int64, float64)) (Outcome, error) {
		return Outcome{Status: StatusDone, ResultJSON: "[]"}, nil
	})})
	waitFor(t, "2 completions", func() bool { c, _, _ := f.snapshot(); return len(c) == 2 })
	c, _, _ := f.snapshot()
	if c[1].GetStatus() != pb.TrialStatus_TRIAL_STATUS_FAILED || !strings.Contains(c[1].GetReason(), "not a JSON object") {
		t.Fatalf("second completion %v", c[1])
	}
}

func TestShutdownReleasesRunningTrials(t *testing.T) {
	f := newFake(2)
	cc := serve(t, f)
	var started atomic.Int32
	runner := funcRunner(func(ctx context.Context, params string, progress func(int64, float64)) (Outcome, error) {
		started.Add(1)
		return blockRunner.Run(ctx, params, progress)
	})
	stop := startWorker(t, Options{Conn: cc, Slots: 2, Runner: runner})
	// Both trials must be running on the worker (a lease whose answer the
	// worker never read is the TTL's to recover, not the worker's).
	waitFor(t, "2 running trials", func() bool { return started.Load() == 2 })
	start := time.Now()
	stop()
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("shutdown took %v", el)
	}
	c, r, _ := f.snapshot()
	if len(c) != 0 || len(r) != 2 {
		t.Fatalf("completes=%d releases=%d, want 0 and 2", len(c), len(r))
	}
	for _, rel := range r {
		if want := f.secrets[rel.GetLeaseId()]; want == nil || !bytes.Equal(rel.GetLeaseSecret(), want) {
			t.Errorf("release of %s carries secret %q, want %q", rel.GetLeaseId(), rel.GetLeaseSecret(), want)
		}
	}
	tokens := map[uint64]bool{r[0].GetToken(): true, r[1].GetToken(): true}
	if !tokens[1] || !tokens[2] || r[0].GetWorkerId() != "w1" {
		t.Fatalf("releases %v", r)
	}
}

// TestLostLeaseAbandonsTrial: a heartbeat answered with an error that
// says the lease is no longer this worker's (a stale token, an unknown
// lease, or PermissionDenied: the coordinator says this worker does not
// hold it) cancels the run, and the worker neither completes nor releases
// the lease.
func TestLostLeaseAbandonsTrial(t *testing.T) {
	for _, code := range []codes.Code{codes.FailedPrecondition, codes.NotFound, codes.PermissionDenied} {
		t.Run(code.String(), func(t *testing.T) {
			f := newFake(1)
			f.onHeartbeat = func(*pb.HeartbeatRequest) (*pb.HeartbeatResponse, error) {
				return nil, status.Error(code, "the lease is not yours")
			}
			cancelled := make(chan error, 1)
			cc := serve(t, f)
			startWorker(t, Options{Conn: cc, HeartbeatEvery: 10 * time.Millisecond,
				Runner: funcRunner(func(ctx context.Context, _ string, _ func(int64, float64)) (Outcome, error) {
					<-ctx.Done()
					cancelled <- context.Cause(ctx)
					return Outcome{Status: StatusCancelled}, nil
				})})
			select {
			case err := <-cancelled:
				if !errors.Is(err, ErrLeaseLost) {
					t.Fatalf("cause %v, want ErrLeaseLost", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("run not cancelled")
			}
			time.Sleep(30 * time.Millisecond)
			c, r, beats := f.snapshot()
			if len(c) != 0 || len(r) != 0 {
				t.Fatalf("completes=%d releases=%d, want none", len(c), len(r))
			}
			if len(beats) == 0 || string(beats[0].GetLeaseSecret()) != "secret of L1    " {
				t.Fatalf("heartbeats %v; want the lease's secret in each", beats)
			}
		})
	}
}

func TestHeartbeatOutageKeepsRunning(t *testing.T) {
	f := newFake(1)
	f.onHeartbeat = func(*pb.HeartbeatRequest) (*pb.HeartbeatResponse, error) {
		return nil, status.Error(codes.Unavailable, "away")
	}
	cc := serve(t, f)
	startWorker(t, Options{Conn: cc, HeartbeatEvery: 5 * time.Millisecond,
		Runner: funcRunner(func(ctx context.Context, _ string, _ func(int64, float64)) (Outcome, error) {
			select {
			case <-ctx.Done():
				return Outcome{Status: StatusCancelled}, nil
			case <-time.After(100 * time.Millisecond):
				return Outcome{Status: StatusDone, ResultJSON: "{}"}, nil
			}
		})})
	waitFor(t, "a completion", func() bool { c, _, _ := f.snapshot(); return len(c) == 1 })
	c, _, beats := f.snapshot()
	if c[0].GetStatus() != pb.TrialStatus_TRIAL_STATUS_DONE || len(beats) < 3 {
		t.Fatalf("complete %v after %d failed heartbeats", c[0], len(beats))
	}
}

func TestRunnerPanicFailsTrial(t *testing.T) {
	f := newFake(1)
	cc := serve(t, f)
	startWorker(t, Options{Conn: cc, Runner: funcRunner(func(context.Context, string, func(int64, float64)) (Outcome, error) {
		panic("boom")
	})})
	waitFor(t, "a completion", func() bool { c, _, _ := f.snapshot(); return len(c) == 1 })
	c, _, _ := f.snapshot()
	if c[0].GetStatus() != pb.TrialStatus_TRIAL_STATUS_FAILED || !strings.Contains(c[0].GetReason(), "boom") {
		t.Fatalf("complete %v", c[0])
	}
}

func TestOverrunningRunnerIsReportedAfterGrace(t *testing.T) {
	f := newFake(1)
	f.leaseNext = true
	f.budget = 0.02
	release := make(chan struct{})
	cc := serve(t, f)
	stop := startWorker(t, Options{Conn: cc, StopGrace: 20 * time.Millisecond,
		Runner: funcRunner(func(ctx context.Context, _ string, _ func(int64, float64)) (Outcome, error) {
			<-release // ignores ctx
			return Outcome{Status: StatusDone, ResultJSON: "{}"}, nil
		})})
	waitFor(t, "a completion", func() bool { c, _, _ := f.snapshot(); return len(c) == 1 })
	c, _, _ := f.snapshot()
	if c[0].GetStatus() != pb.TrialStatus_TRIAL_STATUS_TIMEOUT {
		t.Fatalf("complete %v", c[0])
	}
	if c[0].GetNext() != nil {
		t.Fatalf("the busy slot asked for its next trial: %v", c[0])
	}
	close(release)
	stop()
}

func TestOptionsValidation(t *testing.T) {
	for _, o := range []Options{
		{Coordinator: "x:1"},
		{Runner: NoopRunner{}},
		{Coordinator: "x:1", Runner: NoopRunner{}, Slots: -1},
	} {
		if err := Run(context.Background(), o); err == nil {
			t.Errorf("Run(%+v) = nil, want an error", o)
		}
	}
}

func TestReconnectsWhenCoordinatorStartsLate(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close() // nobody listens yet
	f := newFake(1)
	stop := startWorker(t, Options{Coordinator: addr, Runner: NoopRunner{}})
	time.Sleep(200 * time.Millisecond)
	lis, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s taken meanwhile: %v", addr, err)
	}
	s := grpc.NewServer()
	pb.RegisterWorkerServiceServer(s, f)
	go s.Serve(lis)
	defer s.Stop()
	waitFor(t, "a completion", func() bool { c, _, _ := f.snapshot(); return len(c) == 1 })
	stop()
}

func TestCompleteLeasesNext(t *testing.T) {
	for _, noNext := range []bool{false, true} {
		t.Run(fmt.Sprintf("NoLeaseNext=%v", noNext), func(t *testing.T) {
			f := newFake(10)
			f.leaseNext = true
			cc := serve(t, f)
			sweeps := []string{"s", "t"}
			stop := startWorker(t, Options{Conn: cc, Slots: 2, Runner: NoopRunner{}, Sweeps: sweeps, NoLeaseNext: noNext})
			distinct := func() int {
				c, _, _ := f.snapshot()
				seen := map[string]bool{}
				for _, r := range c {
					seen[r.GetLeaseId()] = true
				}
				return len(seen)
			}
			waitFor(t, "10 completions", func() bool { return distinct() >= 10 })
			stop()
			// A Complete in flight at stop is retried: count leases.
			completes, releases, _ := f.snapshot()
			if distinct() != 10 || len(releases) != 0 {
				t.Fatalf("%d leases completed, %d released; want 10 and 0", distinct(), len(releases))
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			for _, c := range completes {
				if f.leases[c.GetLeaseId()] == nil {
					t.Fatalf("bad lease %q", c.GetLeaseId())
				}
				next := c.GetNext()
				switch {
				case noNext && next != nil:
					t.Fatalf("NoLeaseNext, but Complete asked for the next trial: %v", c)
				case !noNext && next != nil && (next.GetWaitMs() != 0 || !slices.Equal(next.GetSweeps(), sweeps) || next.GetWorkerId() != ""):
					t.Fatalf("Complete's next = %v; want no wait, sweeps %v, the request's worker", next, sweeps)
				}
			}
			for _, r := range f.leaseReqs {
				if !slices.Equal(r.GetSweeps(), sweeps) {
					t.Fatalf("lease request %v lacks the sweeps %v", r, sweeps)
				}
			}
			leaseCalls := len(f.leaseReqs)
			if noNext && leaseCalls < 10 {
				t.Fatalf("%d Lease calls for 10 trials without lease-next", leaseCalls)
			}
			if !noNext && leaseCalls >= 10 {
				t.Fatalf("%d Lease calls for 10 trials: the trials leased by Complete were not used", leaseCalls)
			}
			if len(f.leases) != 10 {
				t.Fatalf("%d leases granted, want 10", len(f.leases))
			}
		})
	}
}

// nextClient is a WorkerServiceClient whose Complete leases the next trial
// and, as it answers, runs onComplete (which may end the worker's context).
type nextClient struct {
	pb.WorkerServiceClient
	mu         sync.Mutex
	leased     int
	completes  []*pb.CompleteRequest
	releases   []*pb.ReleaseRequest
	onComplete func()
}

func (c *nextClient) grant() *pb.LeaseResponse {
	c.leased++
	return &pb.LeaseResponse{Trial: &pb.Trial{Sweep: "s", Key: fmt.Sprintf("k%d", c.leased), ParamsJson: "{}"},
		LeaseId: fmt.Sprintf("L%d", c.leased), Token: uint64(c.leased), TtlMs: 3000, LeaseSecret: []byte(fmt.Sprintf("secret of L%-4d", c.leased))}
}

func (c *nextClient) Lease(context.Context, *pb.LeaseRequest, ...grpc.CallOption) (*pb.LeaseResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.grant(), nil
}

func (c *nextClient) Complete(_ context.Context, req *pb.CompleteRequest, _ ...grpc.CallOption) (*pb.CompleteResponse, error) {
	c.mu.Lock()
	c.completes = append(c.completes, req)
	resp := &pb.CompleteResponse{}
	if req.GetNext() != nil {
		resp.Next = c.grant()
	}
	hook := c.onComplete
	c.mu.Unlock()
	if hook != nil {
		hook()
	}
	return resp, nil
}

func (c *nextClient) Release(_ context.Context, req *pb.ReleaseRequest, _ ...grpc.CallOption) (*pb.ReleaseResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.releases = append(c.releases, req)
	return &pb.ReleaseResponse{}, nil
}

// TestStopReleasesTrialLeasedByComplete stops a slot just as Complete
// brings the next trial: the slot must not run it, and must release it.
func TestStopReleasesTrialLeasedByComplete(t *testing.T) {
	o, err := Options{Conn: &grpc.ClientConn{}, Runner: NoopRunner{}, Logger: testLogger(t), ID: "w1"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	client := &nextClient{onComplete: cancel}
	w := &worker{opts: o, client: client, log: o.Logger}
	w.free.Store(1)
	done := make(chan struct{})
	go func() { defer close(done); w.slot(ctx, 0, nil) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("slot did not return")
	}
	client.mu.Lock()
	defer client.mu.Unlock()
	if len(client.completes) != 1 || client.completes[0].GetNext() == nil {
		t.Fatalf("completes %v; want one, asking for the next trial", client.completes)
	}
	if len(client.releases) != 1 || client.releases[0].GetLeaseId() != "L2" || client.releases[0].GetToken() != 2 || client.releases[0].GetWorkerId() != "w1" ||
		string(client.releases[0].GetLeaseSecret()) != "secret of L2   " {
		t.Fatalf("releases %v; want the next trial's lease L2 released", client.releases)
	}
}

// TestShutdownCompleteAsksNoNext stops the worker while a trial finishes:
// its Complete must not ask for a trial the worker could not run.
func TestShutdownCompleteAsksNoNext(t *testing.T) {
	f := newFake(3)
	f.leaseNext = true
	cc := serve(t, f)
	ran := make(chan struct{})
	var once sync.Once
	runner := funcRunner(func(ctx context.Context, _ string, _ func(int64, float64)) (Outcome, error) {
		once.Do(func() { close(ran) })
		<-ctx.Done()
		return Outcome{Status: StatusDone, ResultJSON: `{"rel_l2":0.5}`}, nil // finished anyway
	})
	stop := startWorker(t, Options{Conn: cc, Runner: runner})
	<-ran
	stop()
	c, r, _ := f.snapshot()
	if len(c) != 1 || c[0].GetNext() != nil || len(r) != 0 {
		t.Fatalf("completes %v, releases %v; want one completion without next and no release", c, r)
	}
}
