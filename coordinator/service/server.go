package service

import (
	"context"
	"fmt"
	"net"
	"runtime/debug"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// Message size limits of the gRPC server. Clients that fetch whole sweeps
// (GetSweep with include_trials) should raise their receive limit to
// MaxSendMsgSize.
const (
	// MaxRecvMsgSize bounds a request: a spec source or a result.
	MaxRecvMsgSize = 16 << 20
	// MaxSendMsgSize bounds a response: a sweep with all its results.
	MaxSendMsgSize = 512 << 20
	// MaxConcurrentStreams bounds the calls in flight on one client
	// connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS; a client queues
	// the calls beyond it). A worker has at most two per slot (a Lease
	// long-poll or a Heartbeat, and a Complete), so workers of up to 512
	// slots never queue.
	MaxConcurrentStreams = 1024
)

// Keepalive policy: clients may ping every 5s, also without active RPCs
// (a worker between long-polls). Pair it with a client keepalive Time of
// at least 10s (grpc-go's floor).
var keepalivePolicy = keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}

// Serve serves the gRPC API (SweepService, WorkerService, grpc.health.v1
// and server reflection) on lis until ctx is done or the coordinator is
// closed, then stops gracefully: health turns NOT_SERVING, long-polling
// Lease calls return empty, WatchSweep streams end with Unavailable, and
// in-flight RPCs (and their transactions) finish; after
// the coordinator's Options.ShutdownTimeout the remaining ones are cut.
// Serve closes lis. It returns nil after a shutdown, state.ErrClosed for a
// closed coordinator and the listener's error if serving fails. After a
// commit whose outcome is unknown (state.ErrCommitUnknown) Serve shuts
// down the same way and returns that error. Close the coordinator after
// Serve returns. It logs through the coordinator's logger, Named("grpc").
//
// opts are added to the server's own options (message size limits,
// keepalive policy, and interceptors that log calls and turn a handler's
// panic into Internal): transport credentials, and interceptors such as
// authentication's, which run inside the server's own.
func Serve(ctx context.Context, c *coordinator.Coordinator, lis net.Listener, opts ...grpc.ServerOption) error {
	select {
	case <-c.Done():
		_ = lis.Close()
		return state.ErrClosed
	default:
	}
	cfg := c.Config()
	log := cfg.Logger.Named("grpc")
	stop := make(chan struct{})
	b := base{c: c, log: log, stop: stop}
	srv := grpc.NewServer(append([]grpc.ServerOption{
		grpc.MaxRecvMsgSize(MaxRecvMsgSize),
		grpc.MaxSendMsgSize(MaxSendMsgSize),
		grpc.MaxConcurrentStreams(MaxConcurrentStreams),
		grpc.KeepaliveEnforcementPolicy(keepalivePolicy),
		serverCodec(),
		grpc.ChainUnaryInterceptor(unaryInterceptor(log)),
		grpc.ChainStreamInterceptor(streamInterceptor(log)),
	}, opts...)...)
	pb.RegisterSweepServiceServer(srv, &sweepService{base: b})
	pb.RegisterWorkerServiceServer(srv, &workerService{base: b})
	hs := health.NewServer()
	for _, name := range []string{"", pb.SweepService_ServiceDesc.ServiceName, pb.WorkerService_ServiceDesc.ServiceName} {
		hs.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	healthpb.RegisterHealthServer(srv, hs)
	reflection.Register(srv)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(lis) }()
	log.Info("serving", "addr", lis.Addr().String())

	select {
	case err := <-errc:
		close(stop)
		hs.Shutdown()
		srv.Stop()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	case <-c.Done():
	case <-c.Failed():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	hs.Shutdown() // NOT_SERVING; health Watch streams would block GracefulStop, hence the timer
	close(stop)
	timer := time.AfterFunc(cfg.ShutdownTimeout, func() {
		log.Warn("graceful stop timed out; cutting remaining RPCs")
		srv.Stop()
	})
	srv.GracefulStop()
	timer.Stop()
	<-errc
	if err := c.Err(); err != nil {
		log.Error("stopped after a storage failure", "error", err)
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}

// unaryInterceptor answers a request that did not decode with
// InvalidArgument (decodeError), turns a handler panic into Internal and
// logs each call at debug level. It must stay the outermost interceptor.
func unaryInterceptor(log hclog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		start := time.Now()
		defer func() {
			if r := recover(); r != nil {
				log.Error("panic in handler", "method", info.FullMethod, "panic", r, "stack", string(debug.Stack()))
				resp, err = nil, status.Error(codes.Internal, "internal error")
			}
			log.Debug("rpc", "method", info.FullMethod, "code", status.Code(err), "duration", time.Since(start))
		}()
		if err := decodeError(req); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// streamInterceptor is unaryInterceptor for streams.
func streamInterceptor(log hclog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		start := time.Now()
		defer func() {
			if r := recover(); r != nil {
				log.Error("panic in handler", "method", info.FullMethod, "panic", r, "stack", string(debug.Stack()))
				err = status.Error(codes.Internal, "internal error")
			}
			log.Debug("rpc", "method", info.FullMethod, "code", status.Code(err), "duration", time.Since(start))
		}()
		return handler(srv, decodedStream{ss})
	}
}
