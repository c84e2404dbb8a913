package auth_test

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/service"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
	"github.com/pinnsweep/pinnsweep/internal/auth"
)

const (
	adminToken  = "admin-0123456789"
	workerToken = "worker-0123456789"
)

const spec = `name: auth
fixed: {pde: convection, nf: 100}
axes: {beta: [1, 2]}
budget: {iterations: 5, seconds: 60}
`

// serve runs a real coordinator on 127.0.0.1:0 with cfg's credentials and
// the server options extra, and returns its address.
func serve(t *testing.T, cfg auth.ServerConfig, extra ...grpc.ServerOption) string {
	t.Helper()
	opts, err := cfg.ServerOptions()
	if err != nil {
		t.Fatal(err)
	}
	opts = append(opts, extra...)
	c, err := coordinator.Open(coordinator.Options{Path: filepath.Join(t.TempDir(), "auth.db")})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- service.Serve(ctx, c, lis, opts...) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		c.Close()
	})
	return lis.Addr().String()
}

// conn is a client connection with both services.
type conn struct {
	sweeps pb.SweepServiceClient
	worker pb.WorkerServiceClient
	health healthpb.HealthClient
}

func dial(t *testing.T, addr string, cfg auth.ClientConfig) conn {
	t.Helper()
	opts, err := cfg.DialOptions()
	if err != nil {
		t.Fatal(err)
	}
	cc, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return conn{pb.NewSweepServiceClient(cc), pb.NewWorkerServiceClient(cc), healthpb.NewHealthClient(cc)}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func submit(t *testing.T, c conn) error {
	_, err := c.sweeps.SubmitSweep(ctx(t), &pb.SubmitSweepRequest{Spec: &pb.Spec{Source: spec}})
	return err
}

func cancelSweep(t *testing.T, c conn) error {
	_, err := c.sweeps.CancelSweep(ctx(t), &pb.CancelSweepRequest{Sweep: "auth"})
	return err
}

func lease(t *testing.T, c conn) error {
	_, err := c.worker.Lease(ctx(t), &pb.LeaseRequest{WorkerId: "w", Slots: 1, WaitMs: 10})
	return err
}

func health(t *testing.T, c conn) error {
	_, err := c.health.Check(ctx(t), &healthpb.HealthCheckRequest{})
	return err
}

func healthWatch(t *testing.T, c conn) error {
	st, err := c.health.Watch(ctx(t), &healthpb.HealthCheckRequest{})
	if err == nil {
		_, err = st.Recv()
	}
	return err
}

func watch(t *testing.T, c conn) error {
	st, err := c.sweeps.WatchSweep(ctx(t), &pb.WatchSweepRequest{Sweep: "auth"})
	if err == nil {
		_, err = st.Recv()
	}
	return err
}

// wantCode checks a call's code; a refusal must name the method and must
// not reveal a token.
func wantCode(t *testing.T, what string, err error, want codes.Code) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Fatalf("%s: %v, want %v", what, err, want)
	}
	if want == codes.Unauthenticated || want == codes.PermissionDenied {
		msg := status.Convert(err).Message()
		if !strings.Contains(msg, "/pinnsweep.v1.") && !strings.Contains(msg, "/grpc.health") {
			t.Errorf("%s: message %q does not name the method", what, msg)
		}
		if strings.Contains(msg, "0123456789") {
			t.Errorf("%s: message %q reveals a token", what, msg)
		}
	}
}

func TestTokens(t *testing.T) {
	refused := auth.NewRefusedCounter()
	addr := serve(t, auth.ServerConfig{AdminToken: adminToken, WorkerToken: workerToken, Refused: refused})
	none := dial(t, addr, auth.ClientConfig{})
	wrong := dial(t, addr, auth.ClientConfig{Token: "not-the-token"})
	worker := dial(t, addr, auth.ClientConfig{Token: workerToken})
	admin := dial(t, addr, auth.ClientConfig{Token: adminToken})

	wantCode(t, "submit without token", submit(t, none), codes.Unauthenticated)
	wantCode(t, "lease without token", lease(t, none), codes.Unauthenticated)
	wantCode(t, "health check without token", health(t, none), codes.OK) // as kubelets and load balancers call it
	wantCode(t, "health check with wrong token", health(t, wrong), codes.OK)
	wantCode(t, "health watch without token", healthWatch(t, none), codes.Unauthenticated)
	wantCode(t, "health watch with worker token", healthWatch(t, worker), codes.OK)
	wantCode(t, "watch without token", watch(t, none), codes.Unauthenticated)
	wantCode(t, "submit with wrong token", submit(t, wrong), codes.Unauthenticated)
	wantCode(t, "lease with wrong token", lease(t, wrong), codes.Unauthenticated)
	wantCode(t, "submit with worker token", submit(t, worker), codes.PermissionDenied)
	wantCode(t, "admin submit", submit(t, admin), codes.OK)
	wantCode(t, "cancel with worker token", cancelSweep(t, worker), codes.PermissionDenied)
	wantCode(t, "watch with worker token", watch(t, worker), codes.PermissionDenied)
	wantCode(t, "worker lease", lease(t, worker), codes.OK)
	wantCode(t, "worker health", health(t, worker), codes.OK)
	wantCode(t, "admin lease", lease(t, admin), codes.OK)
	wantCode(t, "admin watch", watch(t, admin), codes.OK)
	wantCode(t, "admin cancel", cancelSweep(t, admin), codes.OK)
	// Every refusal above is counted once, by code; allowed calls are not.
	for code, want := range map[codes.Code]float64{codes.Unauthenticated: 6, codes.PermissionDenied: 3} {
		if n := testutil.ToFloat64(refused.WithLabelValues(code.String())); n != want {
			t.Errorf("%s{grpc_code=%q} = %v, want %v", auth.RefusedMetric, code, n, want)
		}
	}
}

// pki writes a development PKI into a fresh directory.
type pki string

func newPKI(t *testing.T) pki {
	dir := t.TempDir()
	if _, err := auth.WriteDevCerts(auth.DevCertOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	return pki(dir)
}

func (p pki) file(name string) string { return filepath.Join(string(p), name) }

func (p pki) client(role string, token string) auth.ClientConfig {
	return auth.ClientConfig{CAFile: p.file(auth.CAFile), CertFile: p.file(role + ".pem"), KeyFile: p.file(role + "-key.pem"), Token: token}
}

func TestTLS(t *testing.T) {
	p := newPKI(t)
	addr := serve(t, auth.ServerConfig{AdminToken: adminToken, CertFile: p.file(auth.ServerCertFile), KeyFile: p.file(auth.ServerKeyFile)})

	wantCode(t, "plaintext client", submit(t, dial(t, addr, auth.ClientConfig{Token: adminToken})), codes.Unavailable)
	wantCode(t, "TLS with admin token", submit(t, dial(t, addr, auth.ClientConfig{CAFile: p.file(auth.CAFile), Token: adminToken})), codes.OK)
	wantCode(t, "TLS without token", submit(t, dial(t, addr, auth.ClientConfig{CAFile: p.file(auth.CAFile)})), codes.Unauthenticated)
	// Trusting another CA, or the system's, the client refuses the server.
	other := newPKI(t)
	wantCode(t, "server from an untrusted CA", submit(t, dial(t, addr, auth.ClientConfig{CAFile: other.file(auth.CAFile), Token: adminToken})), codes.Unavailable)
	wantCode(t, "wrong server name", submit(t, dial(t, addr, auth.ClientConfig{CAFile: p.file(auth.CAFile), ServerName: "elsewhere", Token: adminToken})), codes.Unavailable)
	wantCode(t, "right server name", submit(t, dial(t, addr, auth.ClientConfig{CAFile: p.file(auth.CAFile), ServerName: "localhost", Token: adminToken})), codes.OK)
}

func TestMutualTLS(t *testing.T) {
	p := newPKI(t)
	addr := serve(t, auth.ServerConfig{CertFile: p.file(auth.ServerCertFile), KeyFile: p.file(auth.ServerKeyFile), ClientCAFile: p.file(auth.CAFile)})
	admin := dial(t, addr, p.client("admin", ""))
	worker := dial(t, addr, p.client("worker", ""))

	wantCode(t, "admin certificate submits", submit(t, admin), codes.OK)
	wantCode(t, "worker certificate leases", lease(t, worker), codes.OK)
	wantCode(t, "worker certificate checks health", health(t, worker), codes.OK)
	wantCode(t, "worker certificate submits", submit(t, worker), codes.PermissionDenied)
	wantCode(t, "worker certificate cancels", cancelSweep(t, worker), codes.PermissionDenied)

	// A certificate from another CA fails the handshake. Without one the
	// handshake succeeds, so that health checks get through, and every
	// other call is refused.
	untrusted := newPKI(t).client("admin", "")
	untrusted.CAFile = p.file(auth.CAFile) // it trusts the server
	wantCode(t, "untrusted client certificate", submit(t, dial(t, addr, untrusted)), codes.Unavailable)
	nocert := dial(t, addr, auth.ClientConfig{CAFile: p.file(auth.CAFile)})
	wantCode(t, "no client certificate", submit(t, nocert), codes.Unauthenticated)
	wantCode(t, "no client certificate, lease", lease(t, nocert), codes.Unauthenticated)
	wantCode(t, "no client certificate, health check", health(t, nocert), codes.OK)
	wantCode(t, "no client certificate, health watch", healthWatch(t, nocert), codes.Unauthenticated)
	wantCode(t, "plaintext", submit(t, dial(t, addr, auth.ClientConfig{})), codes.Unavailable)
}

// With tokens and mTLS a caller needs both and gets the lesser role.
func TestMutualTLSAndTokens(t *testing.T) {
	p := newPKI(t)
	addr := serve(t, auth.ServerConfig{
		AdminToken: adminToken, WorkerToken: workerToken,
		CertFile: p.file(auth.ServerCertFile), KeyFile: p.file(auth.ServerKeyFile), ClientCAFile: p.file(auth.CAFile),
	})
	wantCode(t, "admin certificate, admin token", submit(t, dial(t, addr, p.client("admin", adminToken))), codes.OK)
	wantCode(t, "admin certificate, no token", submit(t, dial(t, addr, p.client("admin", ""))), codes.Unauthenticated)
	wantCode(t, "admin certificate, worker token", submit(t, dial(t, addr, p.client("admin", workerToken))), codes.PermissionDenied)
	wantCode(t, "worker certificate, admin token", submit(t, dial(t, addr, p.client("worker", adminToken))), codes.PermissionDenied)
	wantCode(t, "worker certificate, admin token, lease", lease(t, dial(t, addr, p.client("worker", adminToken))), codes.OK)
	wantCode(t, "worker certificate, wrong token", lease(t, dial(t, addr, p.client("worker", "wrong"))), codes.Unauthenticated)
}
