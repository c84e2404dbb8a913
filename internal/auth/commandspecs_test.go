package auth_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/pinnsweep/pinnsweep/coordinator/service"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
	"github.com/pinnsweep/pinnsweep/internal/auth"
)

const commandSpec = `name: cmd
runner: {command: [python3, train.py, "{lr}"]}
axes: {lr: [0.1]}
`

func submitCommand(t *testing.T, c conn) error {
	_, err := c.sweeps.SubmitSweep(ctx(t), &pb.SubmitSweepRequest{Spec: &pb.Spec{Source: commandSpec}})
	return err
}

// TestCommandSpecsOverGRPC: a server with tokens accepts a command spec
// from the admin token only (its interceptor hands the role to the gate);
// a server without authentication refuses it unless told otherwise.
func TestCommandSpecsOverGRPC(t *testing.T) {
	cfg := auth.ServerConfig{AdminToken: adminToken, WorkerToken: workerToken}
	addr := serve(t, cfg, service.AcceptCommandSpecs(auth.CommandSpecs{Authenticated: cfg.Authenticates()}))
	wantCode(t, "worker token", submitCommand(t, dial(t, addr, auth.ClientConfig{Token: workerToken})), codes.PermissionDenied)
	if err := submitCommand(t, dial(t, addr, auth.ClientConfig{Token: adminToken})); err != nil {
		t.Fatalf("admin token: %v", err)
	}

	addr = serve(t, auth.ServerConfig{}, service.AcceptCommandSpecs(auth.CommandSpecs{}))
	open := dial(t, addr, auth.ClientConfig{})
	if err := submitCommand(t, open); err == nil {
		t.Fatal("unauthenticated server: command spec accepted")
	}
	if err := submit(t, open); err != nil {
		t.Fatalf("unauthenticated server: built-in spec: %v", err)
	}
	addr = serve(t, auth.ServerConfig{}, service.AcceptCommandSpecs(auth.CommandSpecs{AllowUnauthenticated: true}))
	if err := submitCommand(t, dial(t, addr, auth.ClientConfig{})); err != nil {
		t.Fatalf("--allow-command-specs: %v", err)
	}
}
