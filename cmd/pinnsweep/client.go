package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pinnsweep/pinnsweep/coordinator/service"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// rpcTimeout bounds one administrative call (submit, status, cancel,
// export) to a coordinator.
const rpcTimeout = 2 * time.Minute

// coordinatorClient is a connection to a coordinator's SweepService.
type coordinatorClient struct {
	conn   *grpc.ClientConn
	sweeps pb.SweepServiceClient
}

// dialCoordinator returns a client for the coordinator c names (host:port
// or any gRPC target), presenting its credentials. Like grpc.NewClient it
// does not connect until the first call. Its receive limit matches the
// server's send limit, so whole sweeps can be fetched.
func dialCoordinator(c conn) (*coordinatorClient, error) {
	opts, err := c.dialOptions()
	if err != nil {
		return nil, err
	}
	cc, err := grpc.NewClient(c.Coordinator, append(opts,
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(service.MaxSendMsgSize)),
	)...)
	if err != nil {
		return nil, usageErrorf("coordinator address %q: %w", c.where(), err)
	}
	return &coordinatorClient{conn: cc, sweeps: pb.NewSweepServiceClient(cc)}, nil
}

// Close closes the connection.
func (c *coordinatorClient) Close() error { return c.conn.Close() }

// signalContext returns a context cancelled by SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// callContext returns the context of one CLI command: cancelled by SIGINT
// or SIGTERM and bounded by rpcTimeout.
func callContext() (context.Context, context.CancelFunc) {
	ctx, stop := signalContext()
	ctx, cancel := context.WithTimeout(ctx, rpcTimeout)
	return ctx, func() { cancel(); stop() }
}

// rpcError turns a gRPC error into a one-line message without the
// "rpc error: code = ... desc =" wrapping, naming the coordinator (addr,
// as conn.where describes it) when it cannot be reached.
func rpcError(addr string, err error) string {
	st, ok := status.FromError(err)
	if !ok {
		return oneLine(err)
	}
	switch st.Code() {
	case codes.Unavailable:
		msg := fmt.Sprintf("coordinator %s unavailable: %s", addr, oneLine(errors.New(st.Message())))
		if strings.Contains(msg, "tls:") || strings.Contains(msg, "x509:") || strings.Contains(msg, "server preface") {
			msg += " (does the coordinator serve TLS? check --ca, --cert, --key and --server-name)"
		}
		return msg
	case codes.DeadlineExceeded:
		return fmt.Sprintf("coordinator %s did not answer in time", addr)
	case codes.Unauthenticated, codes.PermissionDenied:
		return fmt.Sprintf("coordinator %s refused the call: %s", addr, oneLine(errors.New(st.Message())))
	case codes.NotFound, codes.InvalidArgument, codes.FailedPrecondition:
		return oneLine(errors.New(st.Message()))
	}
	return fmt.Sprintf("%s: %s", st.Code(), oneLine(errors.New(st.Message())))
}

// errRPC is a failed call to the coordinator at addr.
type errRPC struct {
	addr string
	err  error
}

func (e errRPC) Error() string { return rpcError(e.addr, e.err) }
func (e errRPC) Unwrap() error { return e.err }

// rpcErr wraps a failed call to c's coordinator for its message.
func (c conn) rpcErr(err error) error { return errRPC{addr: c.where(), err: err} }
