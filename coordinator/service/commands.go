package service

import (
	"context"
	"maps"
	"slices"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
	"github.com/pinnsweep/pinnsweep/sweeps"
)

// CommandSpecGate decides whether the caller of a SubmitSweep may submit a
// spec whose trials run a command on workers. A command spec makes every
// worker that allows its program (--allow-exec) run that program with the
// arguments the spec gives: with an interpreter allowed, any code. So the
// coordinator accepts one only from callers its operator trusts with that;
// the workers' own allow lists remain the last word.
type CommandSpecGate interface {
	// AllowCommandSpec returns nil if the caller whose call ctx belongs
	// to may submit a command spec, and an error saying why not
	// otherwise.
	AllowCommandSpec(ctx context.Context) error
}

// gateKey is the context key of the server's CommandSpecGate.
type gateKey struct{}

// AcceptCommandSpecs returns a server option for Serve under which
// SubmitSweep accepts specs with a command runner from the callers gate
// allows. Without it, SubmitSweep refuses every command spec
// (PermissionDenied): a server must be told who may make its workers run
// programs. The gate runs after the server's authentication, whichever
// the order of the options, since it is consulted by the handler.
func AcceptCommandSpecs(gate CommandSpecGate) grpc.ServerOption {
	return grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if info.FullMethod == pb.SweepService_SubmitSweep_FullMethodName {
			ctx = context.WithValue(ctx, gateKey{}, gate)
		}
		return handler(ctx, req)
	})
}

// checkCommandSpec refuses a command spec unless the server's gate allows
// the caller (PermissionDenied, naming the sweep and its program).
func checkCommandSpec(ctx context.Context, spec *sweeps.Spec) error {
	if spec.Runner.Builtin() {
		return nil
	}
	gate, _ := ctx.Value(gateKey{}).(CommandSpecGate)
	if gate == nil {
		return status.Errorf(codes.PermissionDenied, "sweep %q runs the program %s: this server accepts no command specs", spec.Name, shown(spec.Runner.Command[0]))
	}
	if err := gate.AllowCommandSpec(ctx); err != nil {
		return status.Errorf(codes.PermissionDenied, "sweep %q runs the program %s: %v", spec.Name, shown(spec.Runner.Command[0]), err)
	}
	return nil
}

// checkOffer checks what a LeaseRequest (its fields named with prefix)
// offers and returns it as a state.Offer.
func checkOffer(prefix string, req *pb.LeaseRequest) (state.Offer, error) {
	if g := req.GetGpus(); g < 0 || g > state.MaxGPUs {
		return state.Offer{}, invalid("%sgpus must be between 0 and %d, got %d", prefix, state.MaxGPUs, g)
	}
	return state.Offer{Sweeps: req.GetSweeps(), GPUs: int(req.GetGpus()), Commands: req.GetCommands()}, nil
}

// commandToProto converts a grant's command (nil: none).
func commandToProto(c *state.Command) *pb.Command {
	if c == nil {
		return nil
	}
	return &pb.Command{Argv: slices.Clone(c.Argv), Workdir: c.Workdir, Env: maps.Clone(c.Env), Metric: c.Metric}
}

// checkStderrTail checks CompleteRequest.stderr_tail.
func checkStderrTail(tail string) error {
	if len(tail) > state.MaxStderrTail {
		return invalid("stderr_tail is %d bytes long; the limit is %d", len(tail), state.MaxStderrTail)
	}
	return nil
}

// checkStatuses checks GetSweepRequest.statuses: each a trial status, at
// most once.
func checkStatuses(in []pb.TrialStatus) ([]state.Status, error) {
	out := make([]state.Status, 0, len(in))
	for i, w := range in {
		st := StatusFromProto(w)
		switch {
		case st == "":
			return nil, invalid("statuses[%d]: %d is not a trial status", i, int32(w))
		case slices.Contains(out, st):
			return nil, invalid("statuses[%d]: %s is listed twice", i, w)
		}
		out = append(out, st)
	}
	return out, nil
}
