package worker

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"

	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// Causes with which the worker cancels a trial's context; a Runner can
// tell them apart with errors.Is(context.Cause(ctx), ...).
var (
	// ErrBudgetExceeded: the lease's wall-time budget (budget_seconds) ran
	// out. The trial is reported as timeout.
	ErrBudgetExceeded = errors.New("worker: wall-time budget exceeded")

	// ErrStopped: a heartbeat answer told the worker to stop the trial
	// (e.g. the sweep was cancelled). The trial is reported as cancelled.
	ErrStopped = errors.New("worker: stopped by the coordinator")

	// ErrLeaseLost: the coordinator rejected a heartbeat as stale
	// (FailedPrecondition or NotFound): the trial now belongs to another
	// attempt, so this one is abandoned without a report.
	ErrLeaseLost = errors.New("worker: lease lost")
)

// ErrRefused is returned by Run when the coordinator refuses the worker's
// credentials (Unauthenticated or PermissionDenied on Lease): a
// misconfiguration, which retrying cannot mend.
var ErrRefused = errors.New("worker: the coordinator refused the worker's credentials")

// Defaults of Options.
const (
	// DefaultLeaseWait is how long one Lease call long-polls for work.
	DefaultLeaseWait = 30 * time.Second
	// DefaultMaxHeartbeatEvery caps the default heartbeat interval, which
	// is otherwise a third of the lease TTL.
	DefaultMaxHeartbeatEvery = 5 * time.Second
	// DefaultCallTimeout bounds each Heartbeat, Complete and Release call.
	DefaultCallTimeout = 10 * time.Second
	// DefaultShutdownTimeout bounds the Release (or last Complete) calls
	// made after the worker's context is done.
	DefaultShutdownTimeout = 5 * time.Second
	// DefaultStopGrace is how long an interrupted runner may take to return.
	DefaultStopGrace = 10 * time.Second
)

// leaseMargin is added to the Lease long-poll wait to form the call's
// deadline, so that the server, not the client, ends an idle poll.
const leaseMargin = 10 * time.Second

// minPollGap spaces Lease calls that come back empty faster than this, so a
// server that does not long-poll is not hammered.
const minPollGap = 100 * time.Millisecond

// Options configures Run. Coordinator or Conn, and Runner, are required;
// every other zero value means the documented default.
type Options struct {
	// Coordinator is the coordinator's address (host:port or any gRPC
	// target); Run dials it with Dial. Ignored when Conn is set.
	Coordinator string
	// Conn is an existing connection to the coordinator (such as a
	// *grpc.ClientConn). Run uses it as is and does not close it.
	Conn grpc.ClientConnInterface
	// DialOptions are added to Dial's defaults when Run dials Coordinator
	// (for example TLS credentials, which replace the insecure default).
	DialOptions []grpc.DialOption

	// ID names the worker to the coordinator and in logs; zero means
	// "<hostname>-<pid>".
	ID string
	// Slots is the number of CPU slots: trials that need no GPU run at
	// once; zero means 1, or none when GPUs is set.
	Slots int
	// GPUs lists the GPU devices (ids as nvidia-smi numbers them, or
	// UUIDs) of the worker's GPU slots, one slot per device; a trial that
	// needs GPUs runs only on them (see gpuPool) and sees its devices
	// through CUDA_VISIBLE_DEVICES and ROCR_VISIBLE_DEVICES.
	GPUs []string
	// Sweeps, if not empty, restricts the worker to trials of these
	// sweeps (by name); empty means any sweep.
	Sweeps []string
	// NoLeaseNext makes each slot lease every trial with a Lease call of
	// its own. By default a slot asks for its next trial in the Complete
	// call of the previous one (CompleteRequest.next), which saves a round
	// trip, and a commit on the coordinator, per trial; it falls back to
	// Lease when that brings no trial. For comparisons.
	NoLeaseNext bool
	// Runner runs the trials of the built-in trainer.
	Runner Runner
	// Command runs command trials (their grant carries a command); nil
	// means the worker runs none: its Lease calls say so, and a command
	// trial it is granted anyway fails.
	Command *CommandRunner
	// Logger receives the worker's logs, under the name "worker" with a
	// worker_id field; nil discards them.
	Logger hclog.Logger
	// Metrics, if not nil, records the worker's Prometheus metrics (see
	// NewMetrics).
	Metrics *Metrics

	// HeartbeatEvery is the heartbeat interval of a running trial; zero
	// means a third of the lease TTL granted by the coordinator, at most
	// DefaultMaxHeartbeatEvery.
	HeartbeatEvery time.Duration
	// LeaseWait is how long one Lease call waits for work (the server may
	// cap it); zero means DefaultLeaseWait.
	LeaseWait time.Duration
	// Backoff spaces retries while the coordinator is unreachable, both
	// for calls and for gRPC's reconnection attempts; zero means 20 ms
	// doubling to 10 s.
	Backoff Backoff
	// CallTimeout bounds each Heartbeat, Complete and Release call; zero
	// means DefaultCallTimeout.
	CallTimeout time.Duration
	// ShutdownTimeout bounds the calls that hand leases back after ctx is
	// done; zero means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// StopGrace is how long the worker waits for a cancelled runner to
	// return before it reports the trial (or releases it, on shutdown)
	// without the runner's outcome; zero means DefaultStopGrace, and with
	// a Command runner at least the time it takes to stop a trial (its
	// kill grace and a margin). A slot whose runner overran stays busy
	// until the runner returns.
	StopGrace time.Duration
}

// withDefaults checks o and fills in its defaults.
func (o Options) withDefaults() (Options, error) {
	if o.Runner == nil {
		return o, errors.New("worker: no Runner")
	}
	if o.Conn == nil && o.Coordinator == "" {
		return o, errors.New("worker: no coordinator address or connection")
	}
	if o.Slots < 0 {
		return o, fmt.Errorf("worker: slots = %d: must be ≥ 1", o.Slots)
	}
	if err := checkGPUs(o.GPUs); err != nil {
		return o, err
	}
	o.GPUs = slices.Clone(o.GPUs)
	if o.Slots == 0 && len(o.GPUs) == 0 {
		o.Slots = 1
	}
	for _, name := range o.Sweeps {
		if name == "" {
			return o, errors.New("worker: empty sweep name in Sweeps")
		}
	}
	o.Sweeps = slices.Clone(o.Sweeps)
	if o.ID == "" {
		o.ID = DefaultID()
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	o.Logger = o.Logger.Named("worker").With("worker_id", o.ID)
	if o.LeaseWait <= 0 {
		o.LeaseWait = DefaultLeaseWait
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = DefaultCallTimeout
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	if o.StopGrace <= 0 {
		o.StopGrace = DefaultStopGrace
	}
	if o.Command != nil {
		o.StopGrace = max(o.StopGrace, o.Command.stopGrace())
	}
	o.Backoff = o.Backoff.withDefaults()
	return o, nil
}

// DefaultID returns the default worker id, "<hostname>-<pid>".
func DefaultID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "worker"
	}
	return host + "-" + strconv.Itoa(os.Getpid())
}

// Dial returns a client connection to a coordinator at target, with
// insecure transport credentials, reconnection backoff of 20 ms doubling
// to 10 s, and keepalive pings every 20 s (the coordinator permits one
// every 5 s); opts are applied after these defaults and so override them.
// Like grpc.NewClient it does not connect until the first call.
func Dial(target string, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	return dial(target, Backoff{}.withDefaults(), opts)
}

func dial(target string, b Backoff, opts []grpc.DialOption) (*grpc.ClientConn, error) {
	base := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff: backoff.Config{
				BaseDelay:  b.Initial,
				Multiplier: 2,
				Jitter:     0.2,
				MaxDelay:   b.Max,
			},
			MinConnectTimeout: 5 * time.Second,
		}),
		// Detect a dead connection (a coordinator host that vanished
		// without closing it) between calls; the coordinator permits pings
		// every 5 s, with or without calls in flight.
		grpc.WithKeepaliveParams(keepalive.ClientParameters{
			Time:                20 * time.Second,
			Timeout:             10 * time.Second,
			PermitWithoutStream: true,
		}),
	}
	cc, err := grpc.NewClient(target, append(base, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("worker: connecting to %s: %w", target, err)
	}
	return cc, nil
}

// Run runs trials from the coordinator until ctx is done. Each of the
// Slots slots loops: Lease (a long-poll) → run the trial while
// heartbeating → Complete with the lease's fencing token, which also asks
// for the next trial (unless NoLeaseNext); the slot calls Lease again only
// when Complete brought none.
//
// While the coordinator is unreachable, every call is retried with
// exponential backoff; a result computed meanwhile is kept and delivered
// when the coordinator is back, until it is accepted, rejected as stale
// (FailedPrecondition or NotFound: dropped and logged), or ctx is done.
//
// When ctx is done, Run cancels the running trials, releases their leases
// at once so that the coordinator requeues them without waiting for the
// TTL (a trial that finished anyway is completed instead), and returns nil.
// It returns an error for invalid Options, and ErrRefused (after
// releasing its leases as above) when the coordinator refuses the worker's
// credentials: retrying cannot help there.
func Run(ctx context.Context, opts Options) error {
	o, err := opts.withDefaults()
	if err != nil {
		return err
	}
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	conn := o.Conn
	if conn == nil {
		cc, err := dial(o.Coordinator, o.Backoff, o.DialOptions)
		if err != nil {
			return err
		}
		defer cc.Close()
		conn = cc
	}
	w := &worker{opts: o, client: pb.NewWorkerServiceClient(conn), log: o.Logger, stop: stop}
	w.free.Store(int32(o.Slots))
	o.Metrics.setSlots(o.Slots + len(o.GPUs))
	w.log.Info("worker started", "coordinator", o.Coordinator, "slots", o.Slots, "gpus", o.GPUs, "commands", o.Command != nil)
	var wg sync.WaitGroup
	for i := range o.Slots {
		wg.Go(func() { w.slot(ctx, i, nil) })
	}
	if len(o.GPUs) > 0 {
		pool := newGPUPool(o.GPUs)
		for i := range o.GPUs {
			wg.Go(func() { w.slot(ctx, o.Slots+i, pool) })
		}
	}
	wg.Wait()
	if err := context.Cause(ctx); errors.Is(err, ErrRefused) {
		w.log.Error("worker stopped: the coordinator refused its credentials", "error", err)
		return err
	}
	w.log.Info("worker stopped")
	return nil
}

// worker is the state shared by the slots of one Run.
type worker struct {
	opts   Options
	client pb.WorkerServiceClient
	log    hclog.Logger
	// free counts idle CPU slots (sent as LeaseRequest.slots).
	free atomic.Int32
	// unreachable is set after a transient call failure and cleared by the
	// next success, so an outage logs one warning and one recovery.
	unreachable atomic.Bool
	// stop ends Run with a cause.
	stop context.CancelCauseFunc
}

// slot is one slot's loop: a CPU slot's, or with a pool a GPU slot's.
func (w *worker) slot(ctx context.Context, n int, pool *gpuPool) {
	log := w.log.With("slot", n)
	r := retrier{b: w.opts.Backoff}
	// unrunnable spaces the leases of a slot that cannot prepare trials
	// (its work directory's disk is full, say): each is released.
	unrunnable := retrier{b: w.opts.Backoff}
	var next *pb.LeaseResponse // leased by the last Complete
	for ctx.Err() == nil {
		resp := next
		next = nil
		var offer []string // a GPU slot's devices offered in its Lease
		if resp == nil {
			if pool != nil {
				var ok bool
				if offer, ok = pool.acquire(ctx); !ok {
					return
				}
			}
			start := time.Now()
			var err error
			resp, err = w.lease(ctx, len(offer))
			if err != nil || resp.GetTrial() == nil {
				pool.giveBack(offer)
			}
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				if c := status.Code(err); c == codes.Unauthenticated || c == codes.PermissionDenied {
					w.stop(fmt.Errorf("%w: %s", ErrRefused, status.Convert(err).Message()))
					return
				}
				d := r.next()
				w.callFailed(log, "lease", err, d)
				sleep(ctx, d)
				continue
			}
			w.callOK()
			r.reset()
			if resp.GetTrial() == nil {
				sleep(ctx, minPollGap-time.Since(start))
				continue
			}
		}
		st := slotTrial{gpuSlot: pool != nil}
		if pool != nil {
			st.devices, st.refuse = pool.grant(offer, int(resp.GetGpus()))
		} else if need := resp.GetGpus(); need > 0 {
			st.refuse = fmt.Sprintf("the trial needs %d GPUs; this worker slot has none (start the worker with --gpus)", need)
		}
		if pool == nil {
			w.free.Add(-1)
		}
		w.opts.Metrics.slotBusy(1)
		var released bool
		next, released = w.runTrial(ctx, log, resp, st)
		w.opts.Metrics.slotBusy(-1)
		if pool == nil {
			w.free.Add(1)
		} else {
			pool.put(st.devices, false)
		}
		if released {
			sleep(ctx, unrunnable.next())
		} else {
			unrunnable.reset()
		}
	}
	if next != nil {
		// The worker stopped as Complete brought the next trial: hand it
		// back at once.
		t := next.GetTrial()
		l := &lease{id: next.GetLeaseId(), worker: w.opts.ID, token: next.GetToken(), secret: next.GetLeaseSecret()}
		w.release(ctx, log.With("sweep", t.GetSweep(), "trial", t.GetKey(), "token", l.token), l)
	}
}

// leaseRequest returns the parameters of a Lease call: a long-poll of
// wait, offering gpus GPUs (a GPU slot's) or none (a CPU slot's).
func (w *worker) leaseRequest(wait time.Duration, gpus int) *pb.LeaseRequest {
	return &pb.LeaseRequest{
		WorkerId: w.opts.ID,
		Slots:    max(1, w.free.Load()),
		WaitMs:   wait.Milliseconds(),
		Sweeps:   w.opts.Sweeps,
		Gpus:     int32(gpus),
		Commands: w.opts.Command != nil,
	}
}

// lease long-polls the coordinator for one trial.
func (w *worker) lease(ctx context.Context, gpus int) (*pb.LeaseResponse, error) {
	cctx, cancel := context.WithTimeout(ctx, w.opts.LeaseWait+leaseMargin)
	defer cancel()
	resp, err := w.client.Lease(cctx, w.leaseRequest(w.opts.LeaseWait, gpus))
	if err != nil {
		return nil, fmt.Errorf("lease: %w", err)
	}
	return resp, nil
}

// lease is one held lease.
type lease struct {
	id, worker string
	token      uint64
	secret     []byte // the lease's secret (LeaseResponse.lease_secret): never logged
	budget     float64
	ttlMs      atomic.Int64
}

// interval returns the heartbeat interval for l: every if set, else a
// third of the TTL capped at DefaultMaxHeartbeatEvery.
func (l *lease) interval(every time.Duration) time.Duration {
	if every > 0 {
		return every
	}
	ttl := time.Duration(l.ttlMs.Load()) * time.Millisecond
	if ttl <= 0 {
		return DefaultMaxHeartbeatEvery
	}
	return max(min(ttl/3, DefaultMaxHeartbeatEvery), 10*time.Millisecond)
}

// progress holds a running trial's latest evals and loss.
type progress struct {
	evals atomic.Int64
	loss  atomic.Uint64
}

func (p *progress) report(evals int64, loss float64) {
	p.evals.Store(evals)
	p.loss.Store(math.Float64bits(loss))
}

func (p *progress) load() (int64, float64) {
	return p.evals.Load(), math.Float64frombits(p.loss.Load())
}

// slotTrial is what a slot adds to a leased trial.
type slotTrial struct {
	gpuSlot bool
	devices []string // the GPUs assigned to the trial
	refuse  string   // why the slot cannot run the trial
}

// runTrial runs one leased trial to its report. It returns the next
// trial if the coordinator leased one with the completion, else nil; and
// unrunnable if the worker could not prepare the trial (see execute) and
// released its lease, the attempt not counted, so that the slot backs off.
func (w *worker) runTrial(ctx context.Context, log hclog.Logger, resp *pb.LeaseResponse, st slotTrial) (next *pb.LeaseResponse, unrunnable bool) {
	t := resp.GetTrial()
	start := time.Now()
	l := &lease{id: resp.GetLeaseId(), worker: w.opts.ID, token: resp.GetToken(), secret: resp.GetLeaseSecret(),
		budget: resp.GetBudgetSeconds()}
	l.ttlMs.Store(resp.GetTtlMs())
	log = log.With("sweep", t.GetSweep(), "trial", t.GetKey(), "token", l.token)
	log.Info("trial leased", "lease", l.id, "attempt", t.GetAttempts(), "ttl_ms", resp.GetTtlMs(), "budget_s", l.budget)

	runCtx, cancelRun := context.WithCancelCause(ctx)
	defer cancelRun(nil)
	runCtx = hclog.WithContext(withTrial(runCtx, Trial{Sweep: t.GetSweep(), Key: t.GetKey(), Attempt: int(t.GetAttempts()),
		Token: l.token, Budget: time.Duration(l.budget * float64(time.Second))}), log)
	if l.budget > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeoutCause(runCtx, time.Duration(l.budget*float64(time.Second)), ErrBudgetExceeded)
		defer cancel()
	}

	var prog progress
	hbCtx, stopHB := context.WithCancel(runCtx)
	hbDone := make(chan struct{})
	go func() {
		defer close(hbDone)
		w.heartbeat(hbCtx, log, l, &prog, cancelRun)
	}()

	done := make(chan executed, 1)
	go func() {
		out, err := w.execute(runCtx, log, resp, st, prog.report)
		done <- executed{out, err}
	}()
	var out Outcome
	var setupErr error
	returned := true
	select {
	case e := <-done:
		out, setupErr = e.out, e.setupErr
	case <-runCtx.Done():
		grace := time.NewTimer(w.opts.StopGrace)
		select {
		case e := <-done:
			out, setupErr = e.out, e.setupErr
		case <-grace.C:
			returned = false
			log.Warn("runner did not stop in time; reporting without its outcome", "grace", w.opts.StopGrace)
			out = Outcome{Status: StatusCancelled, Reason: "runner did not stop within " + w.opts.StopGrace.String()}
		}
		grace.Stop()
	}
	stopHB()
	<-hbDone
	var final bool // the coordinator said the trial is final
	if !returned && ctx.Err() == nil {
		// Keep the slot busy until the runner really ends, so that an
		// overrunning trial does not oversubscribe the machine; its
		// checkpoints, if the trial is final, go only then, once nothing
		// writes them any more.
		defer func() {
			e := <-done
			log.Info("overrunning runner returned")
			if final {
				removeCheckpoints(log, e.out.Checkpoints)
			}
		}()
	}

	if setupErr != nil && ctx.Err() == nil {
		log.Error("cannot prepare the trial; releasing its lease (the attempt does not count) and backing off", "error", setupErr)
		w.opts.Metrics.trialEnded(outcomeReleased, time.Since(start))
		w.release(ctx, log, l)
		return nil, true
	}
	if !finished(out.Status) && runCtx.Err() != nil {
		cause := context.Cause(runCtx)
		switch {
		case errors.Is(cause, ErrBudgetExceeded):
			out.Status = StatusTimeout
			out.Reason = fmt.Sprintf("wall-time budget of %gs exceeded", l.budget)
		case errors.Is(cause, ErrStopped):
			out.Status = StatusCancelled
			out.Reason = cause.Error()
		case errors.Is(cause, ErrLeaseLost):
			log.Warn("trial abandoned: its lease was lost", "error", cause)
			w.opts.Metrics.trialEnded(outcomeLost, time.Since(start))
			return nil, false
		case ctx.Err() != nil:
			w.opts.Metrics.trialEnded(outcomeReleased, time.Since(start))
			w.release(ctx, log, l)
			return nil, false
		}
	}
	w.opts.Metrics.trialEnded(string(out.Status), time.Since(start))
	// A slot whose runner overran stays busy (above), so it must not be
	// given a next trial whose lease it could not heartbeat. A GPU slot
	// gives its devices back and polls with every free one instead.
	next, final = w.complete(ctx, log, l, out, returned && !st.gpuSlot)
	// The coordinator's word alone, never the worker's own reading of the
	// outcome: only the coordinator knows whether a retry follows.
	if final && returned {
		removeCheckpoints(log, out.Checkpoints)
	}
	return next, false
}

// executed is what execute returned.
type executed struct {
	out      Outcome
	setupErr error
}

// execute calls the runner, turning an error or a panic into a failed
// outcome: the CommandRunner for a trial whose grant carries a command,
// else the Runner. An error of the CommandRunner says that the worker
// could not prepare the trial (its work directory: a full disk, say),
// which is no fault of the trial: it is returned as setupErr, for the
// caller to release the lease rather than fail the trial.
func (w *worker) execute(ctx context.Context, log hclog.Logger, resp *pb.LeaseResponse, st slotTrial, report func(int64, float64)) (out Outcome, setupErr error) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("runner panicked", "panic", p, "stack", string(debug.Stack()))
			out, setupErr = Outcome{Status: StatusFailed, Reason: fmt.Sprintf("runner panic: %v", p)}, nil
		}
	}()
	if st.refuse != "" {
		return Outcome{Status: StatusFailed, Reason: st.refuse}, nil
	}
	t := resp.GetTrial()
	var o Outcome
	var err error
	if c := resp.GetCommand(); c != nil {
		if w.opts.Command == nil {
			return Outcome{Status: StatusFailed, Reason: "this worker runs no command trials (start it with --allow-exec PROGRAM)"}, nil
		}
		o, err = w.opts.Command.Run(ctx, CommandTrial{
			Sweep: t.GetSweep(), Key: t.GetKey(), Token: resp.GetToken(), Params: t.GetParamsJson(),
			Command:  Command{Argv: c.GetArgv(), Workdir: c.GetWorkdir(), Env: c.GetEnv(), Metric: c.GetMetric()},
			Devices:  st.devices,
			HideGPUs: len(w.opts.GPUs) > 0,
		}, report)
		if err != nil {
			return Outcome{}, err
		}
	} else {
		o, err = w.opts.Runner.Run(ctx, t.GetParamsJson(), report)
	}
	switch {
	case err != nil:
		return Outcome{Status: StatusFailed, ResultJSON: o.ResultJSON, Reason: err.Error(), Checkpoints: o.Checkpoints}, nil
	case o.Status == "":
		return Outcome{Status: StatusFailed, ResultJSON: o.ResultJSON, Reason: "runner reported no status", Checkpoints: o.Checkpoints}, nil
	}
	return o, nil
}

// heartbeat extends l every interval until ctx is done, carrying the
// latest progress. A stop answer or a stale-lease rejection cancels the
// run through stop.
func (w *worker) heartbeat(ctx context.Context, log hclog.Logger, l *lease, p *progress, stop context.CancelCauseFunc) {
	every := l.interval(w.opts.HeartbeatEvery)
	t := time.NewTimer(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		evals, loss := p.load()
		cctx, cancel := context.WithTimeout(ctx, min(w.opts.CallTimeout, max(every, time.Second)))
		resp, err := w.client.Heartbeat(cctx, &pb.HeartbeatRequest{
			LeaseId: l.id, Token: l.token, WorkerId: l.worker, LeaseSecret: l.secret, Evals: evals, Loss: loss,
		})
		cancel()
		switch {
		case err == nil:
			w.callOK()
			if resp.GetStop() {
				log.Info("coordinator says stop", "reason", resp.GetReason())
				stop(fmt.Errorf("%w: %s", ErrStopped, resp.GetReason()))
				return
			}
			if ttl := resp.GetTtlMs(); ttl > 0 {
				l.ttlMs.Store(ttl)
			}
		case ctx.Err() != nil:
			return
		case staleLease(err):
			stop(fmt.Errorf("%w: %w", ErrLeaseLost, err))
			return
		default:
			w.callFailed(log, "heartbeat", err, every)
		}
		every = l.interval(w.opts.HeartbeatEvery)
		t.Reset(every)
	}
}

// complete delivers out for l, retrying with backoff until the coordinator
// accepts it, rejects it as stale, or ctx is done (then one last attempt is
// made within ShutdownTimeout). If askNext is set, unless NoLeaseNext is
// set or ctx is done, it asks for the next trial too (without waiting for
// one), and returns it if the coordinator leased one. final is the
// coordinator's CompleteResponse.final: the trial's status is final and
// no attempt follows. It is false when the completion was not accepted,
// and from a coordinator that predates the field, which never sets it:
// the trial's checkpoints are then kept, which costs disk space, whereas
// removing those a retry would resume from would cost it their work.
func (w *worker) complete(ctx context.Context, log hclog.Logger, l *lease, out Outcome, askNext bool) (next *pb.LeaseResponse, final bool) {
	req := &pb.CompleteRequest{
		LeaseId: l.id, Token: l.token, WorkerId: l.worker, LeaseSecret: l.secret,
		Status: wireStatus(out.Status), ResultJson: out.ResultJSON, Reason: out.Reason,
		StderrTail: out.StderrTail,
	}
	if askNext && !w.opts.NoLeaseNext && ctx.Err() == nil {
		req.Next = w.leaseRequest(0, 0)
		req.Next.WorkerId = "" // defaults to the request's
		req.Next.Slots = 1
	}
	r := retrier{b: w.opts.Backoff}
	failed := 0 // failed attempts, for the late-result metric
	// Retry at least as often as a heartbeat would come, so the result
	// gets in while a restarted coordinator still honours the lease.
	r.b.Max = max(r.b.Initial, min(r.b.Max, l.interval(w.opts.HeartbeatEvery)))
	for {
		shutdown := ctx.Err() != nil
		var cctx context.Context
		var cancel context.CancelFunc
		if shutdown {
			req.Next = nil // the slot could not run it
			cctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), w.opts.ShutdownTimeout)
		} else {
			cctx, cancel = context.WithTimeout(ctx, w.opts.CallTimeout)
		}
		resp, err := w.client.Complete(cctx, req)
		cancel()
		if err == nil {
			w.callOK()
			w.opts.Metrics.delivered(failed)
			log.Info("trial completed", "status", out.Status, "duplicate", resp.GetDuplicate(), "final", resp.GetFinal(), "reason", req.GetReason())
			if next := resp.GetNext(); next.GetTrial() != nil {
				return next, resp.GetFinal()
			}
			return nil, resp.GetFinal()
		}
		switch {
		case staleLease(err):
			log.Warn("result rejected as stale; dropped", "status", out.Status, "error", err)
			w.opts.Metrics.drop(dropStale)
			return nil, false
		case status.Code(err) == codes.InvalidArgument && req.Status != pb.TrialStatus_TRIAL_STATUS_FAILED:
			log.Error("coordinator rejected the result; reporting the trial failed", "status", out.Status, "error", err)
			req.Status, req.ResultJson = pb.TrialStatus_TRIAL_STATUS_FAILED, ""
			req.Reason = "coordinator rejected the result: " + status.Convert(err).Message()
			out.Status = StatusFailed
			continue
		case status.Code(err) == codes.InvalidArgument:
			log.Error("coordinator rejected the completion; dropped", "error", err)
			w.opts.Metrics.drop(dropRejected)
			return nil, false
		case !shutdown && ctx.Err() != nil && shutdownRetry(err):
			failed++
			continue // the worker is stopping: make the one last attempt now
		case shutdown || ctx.Err() != nil:
			log.Error("shutting down with an undelivered result; the trial reruns when its lease expires",
				"status", out.Status, "error", err)
			w.opts.Metrics.drop(dropUndelivered)
			return nil, false
		}
		failed++
		d := r.next()
		w.callFailed(log, "complete", err, d)
		sleep(ctx, d)
	}
}

// shutdownRetry reports whether a call that failed as ctx ended deserves
// the one last attempt made on shutdown (it does unless it was rejected).
func shutdownRetry(err error) bool {
	c := status.Code(err)
	return c == codes.Canceled || c == codes.DeadlineExceeded || transient(c)
}

// release hands l back so that the coordinator requeues it at once.
func (w *worker) release(ctx context.Context, log hclog.Logger, l *lease) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.opts.ShutdownTimeout)
	defer cancel()
	_, err := w.client.Release(cctx, &pb.ReleaseRequest{LeaseId: l.id, Token: l.token, WorkerId: l.worker, LeaseSecret: l.secret})
	if err != nil {
		log.Warn("could not release the lease; the trial is requeued when it expires", "error", err)
		return
	}
	log.Info("trial released")
}

// staleLease reports whether err says the lease is no longer this
// worker's: its token is stale, the coordinator does not know it, or it
// says this worker does not hold it (PermissionDenied).
func staleLease(err error) bool {
	c := status.Code(err)
	return c == codes.FailedPrecondition || c == codes.NotFound || c == codes.PermissionDenied
}

// transient reports whether c is an error code of an outage or overload
// that a retry can outlive.
func transient(c codes.Code) bool {
	switch c {
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted:
		return true
	}
	return false
}

// callFailed logs a failed call that will be retried in retryIn. Transient
// failures log one warning per outage (then debug lines); other failures,
// which suggest a misconfiguration, log an error every time.
func (w *worker) callFailed(log hclog.Logger, call string, err error, retryIn time.Duration) {
	c := status.Code(err)
	switch {
	case !transient(c):
		log.Error("coordinator call failed", "call", call, "error", err, "retry_in", retryIn)
	case w.unreachable.CompareAndSwap(false, true):
		log.Warn("coordinator unreachable; retrying with backoff", "call", call, "error", err, "retry_in", retryIn)
	default:
		log.Debug("coordinator call failed", "call", call, "error", err, "retry_in", retryIn)
	}
}

// callOK notes a successful call, logging the end of an outage.
func (w *worker) callOK() {
	if w.unreachable.CompareAndSwap(true, false) {
		w.log.Info("coordinator reachable again")
	}
}
