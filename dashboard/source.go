package dashboard

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// Source is where the dashboard reads sweeps from.
type Source interface {
	// ListSweeps returns every sweep's progress.
	ListSweeps(ctx context.Context) ([]*pb.SweepProgress, error)
	// GetSweep returns a sweep with all its trials and their results. An
	// unknown sweep gives an error wrapping ErrNotFound.
	GetSweep(ctx context.Context, name string) (*pb.GetSweepResponse, error)
}

// SweepClient is the part of the coordinator's SweepService client that
// GRPCSource uses (pb.SweepServiceClient has it).
type SweepClient interface {
	ListSweeps(ctx context.Context, in *pb.ListSweepsRequest, opts ...grpc.CallOption) (*pb.ListSweepsResponse, error)
	GetSweep(ctx context.Context, in *pb.GetSweepRequest, opts ...grpc.CallOption) (*pb.GetSweepResponse, error)
}

// GRPCSource is a Source over a coordinator's SweepService. The client's
// connection should accept messages as large as a whole sweep with its
// results (the coordinator's MaxSendMsgSize).
type GRPCSource struct {
	Client SweepClient
}

var _ Source = GRPCSource{}

// ListSweeps implements Source.
func (s GRPCSource) ListSweeps(ctx context.Context) ([]*pb.SweepProgress, error) {
	resp, err := s.Client.ListSweeps(ctx, &pb.ListSweepsRequest{})
	if err != nil {
		return nil, fmt.Errorf("listing sweeps: %w", err)
	}
	return resp.GetSweeps(), nil
}

// GetSweep implements Source; a NotFound status becomes ErrNotFound.
func (s GRPCSource) GetSweep(ctx context.Context, name string) (*pb.GetSweepResponse, error) {
	resp, err := s.Client.GetSweep(ctx, &pb.GetSweepRequest{Sweep: name, IncludeTrials: true})
	if status.Code(err) == codes.NotFound {
		return nil, fmt.Errorf("sweep %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("getting sweep %q: %w", name, err)
	}
	return resp, nil
}
