package service_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// rawCodec sends a request's wire bytes as they are (a generated client
// cannot marshal a string that is not valid UTF-8) and decodes responses
// as protobuf.
type rawCodec struct{}

type rawRequest []byte

func (rawCodec) Marshal(v any) ([]byte, error) { return v.(rawRequest), nil }
func (rawCodec) Unmarshal(b []byte, v any) error {
	return proto.Unmarshal(b, v.(proto.Message))
}
func (rawCodec) Name() string { return "proto" }

// field appends a length-delimited field to b.
func field(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

// TestUndecodableRequest: a request whose string field is not valid UTF-8,
// or whose wire data is damaged, is answered InvalidArgument (naming the
// field where one is to blame), not Internal; unary and streaming calls
// alike, and the server goes on serving.
func TestUndecodableRequest(t *testing.T) {
	s := startServer(t, nil)
	ctx := context.Background()
	bad := []byte("beta \xff\xfe")
	spec := field(field(nil, 1, []byte("ok")), 2, bad) // Spec.name, Spec.source
	tests := []struct {
		name, method string
		req          rawRequest
		want         string // in the message
	}{
		{"a nested string", "/pinnsweep.v1.SweepService/SubmitSweep", field(nil, 1, spec), "spec.source is not valid UTF-8"},
		{"worker_id", "/pinnsweep.v1.WorkerService/Heartbeat", field(field(nil, 1, []byte("s/k/1")), 3, bad), "worker_id is not valid UTF-8"},
		{"lease_id", "/pinnsweep.v1.WorkerService/Complete", field(nil, 1, bad), "lease_id is not valid UTF-8"},
		{"damaged wire data", "/pinnsweep.v1.WorkerService/Lease", rawRequest{0x0a, 0x7f, 'x'}, "does not decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.conn.Invoke(ctx, tt.method, tt.req, &pb.LeaseResponse{}, grpc.ForceCodec(rawCodec{}))
			if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), tt.want) {
				t.Fatalf("%v; want InvalidArgument saying %q", err, tt.want)
			}
		})
	}
	t.Run("stream", func(t *testing.T) {
		desc := &grpc.StreamDesc{StreamName: "WatchSweep", ServerStreams: true}
		st, err := s.conn.NewStream(ctx, desc, "/pinnsweep.v1.SweepService/WatchSweep", grpc.ForceCodec(rawCodec{}))
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SendMsg(rawRequest(field(nil, 1, bad))); err != nil {
			t.Fatal(err)
		}
		if err := st.CloseSend(); err != nil {
			t.Fatal(err)
		}
		err = st.RecvMsg(&pb.WatchSweepResponse{})
		if err == io.EOF || status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), "sweep is not valid UTF-8") {
			t.Fatalf("WatchSweep: %v; want InvalidArgument naming sweep", err)
		}
	})
	if _, err := s.sweeps.ListSweeps(ctx, &pb.ListSweepsRequest{}); err != nil {
		t.Fatalf("the server stopped serving: %v", err)
	}
}
