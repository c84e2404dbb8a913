package auth_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/stats"

	"github.com/pinnsweep/pinnsweep/coordinator/service"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
	"github.com/pinnsweep/pinnsweep/internal/auth"
)

// payloads is a server stats.Handler that counts the request messages the
// server received (read off the wire and decoded), by method.
type payloads struct {
	mu   sync.Mutex
	read map[string]int
}

type methodKey struct{}

func (p *payloads) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	return context.WithValue(ctx, methodKey{}, info.FullMethodName)
}

func (p *payloads) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if _, ok := s.(*stats.InPayload); ok {
		p.mu.Lock()
		p.read[ctx.Value(methodKey{}).(string)]++
		p.mu.Unlock()
	}
}

func (p *payloads) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (p *payloads) HandleConn(context.Context, stats.ConnStats)                       {}

func (p *payloads) count(method string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.read[method]
}

// TestRefusedBeforeRead: a call without valid credentials is refused from
// its headers, before the server reads its request message: a caller
// without credentials cannot make the coordinator read and decode 16 MiB
// messages. A stats handler on the server counts the messages it read;
// an admin's call shows that it counts them.
func TestRefusedBeforeRead(t *testing.T) {
	p := newPKI(t)
	for _, tt := range []struct {
		name   string
		server auth.ServerConfig
		caller auth.ClientConfig
		admin  auth.ClientConfig
	}{
		{"token", auth.ServerConfig{AdminToken: adminToken, WorkerToken: workerToken},
			auth.ClientConfig{Token: "not-the-token"}, auth.ClientConfig{Token: adminToken}},
		{"mTLS", auth.ServerConfig{CertFile: p.file(auth.ServerCertFile), KeyFile: p.file(auth.ServerKeyFile), ClientCAFile: p.file(auth.CAFile)},
			auth.ClientConfig{CAFile: p.file(auth.CAFile)}, p.client("admin", "")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			seen := &payloads{read: map[string]int{}}
			addr := serve(t, tt.server, grpc.StatsHandler(seen))
			// A spec source just under the server's message limit.
			big := &pb.SubmitSweepRequest{Spec: &pb.Spec{Source: strings.Repeat("#", service.MaxRecvMsgSize-1024)}}
			c := dial(t, addr, tt.caller)
			for range 4 {
				_, err := c.sweeps.SubmitSweep(ctx(t), big, grpc.MaxCallSendMsgSize(service.MaxRecvMsgSize))
				wantCode(t, "16 MiB submit without credentials", err, codes.Unauthenticated)
			}
			const submitMethod = "/pinnsweep.v1.SweepService/SubmitSweep"
			if n := seen.count(submitMethod); n != 0 {
				t.Fatalf("the server read %d request messages of refused calls; want 0", n)
			}
			// The handler does count what the server reads.
			wantCode(t, "admin submit", submit(t, dial(t, addr, tt.admin)), codes.OK)
			if n := seen.count(submitMethod); n != 1 {
				t.Fatalf("the server read %d request messages of the admin's call; want 1", n)
			}
		})
	}
}
