package coordinator

import (
	"context"
	"errors"
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
// Options.ShutdownTimeout the remaining ones are cut. Serve closes lis. It
// returns nil after a shutdown and the listener's error if serving fails.
// Close the coordinator after Serve returns. After a commit whose outcome
// is unknown (ErrCommitUnknown) Serve shuts down the same way and returns
// that error.
//
// opts are added to the server's own options (message size limits,
// keepalive policy, and interceptors that log calls and turn a handler's
// panic into Internal): transport credentials, and interceptors such as
// authentication's, which run inside the server's own.
func (c *Coordinator) Serve(ctx context.Context, lis net.Listener, opts ...grpc.ServerOption) error {
	c.mu.Lock()
	switch {
	case c.closed:
		c.mu.Unlock()
		_ = lis.Close()
		return ErrClosed
	case c.serving:
		c.mu.Unlock()
		_ = lis.Close()
		return errors.New("coordinator: already serving")
	}
	c.serving = true
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.serving = false
		c.mu.Unlock()
	}()

	stop := make(chan struct{})
	b := base{c: c, log: c.rpcLog, stop: stop}
	srv := grpc.NewServer(append([]grpc.ServerOption{
		grpc.MaxRecvMsgSize(MaxRecvMsgSize),
		grpc.MaxSendMsgSize(MaxSendMsgSize),
		grpc.KeepaliveEnforcementPolicy(keepalivePolicy),
		grpc.ChainUnaryInterceptor(unaryInterceptor(c.rpcLog)),
		grpc.ChainStreamInterceptor(streamInterceptor(c.rpcLog)),
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
	c.rpcLog.Info("serving", "addr", lis.Addr().String())

	select {
	case err := <-errc:
		close(stop)
		hs.Shutdown()
		srv.Stop()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	case <-c.done:
	case <-c.failed:
	}
	c.rpcLog.Info("shutting down", "timeout", c.opts.ShutdownTimeout)
	hs.Shutdown() // NOT_SERVING; health Watch streams would block GracefulStop, hence the timer
	close(stop)
	timer := time.AfterFunc(c.opts.ShutdownTimeout, func() {
		c.rpcLog.Warn("graceful stop timed out; cutting remaining RPCs")
		srv.Stop()
	})
	srv.GracefulStop()
	timer.Stop()
	<-errc
	if err := c.Err(); err != nil {
		c.rpcLog.Error("stopped after a storage failure", "error", err)
		return fmt.Errorf("serve: %w", err)
	}
	c.rpcLog.Info("stopped")
	return nil
}

// unaryInterceptor turns a handler panic into Internal and logs each call
// at debug level.
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
		return handler(srv, ss)
	}
}
