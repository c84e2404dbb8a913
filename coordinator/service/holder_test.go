package service_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"net"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/pinnsweep/pinnsweep/coordinator/internal/coordtest"
	"github.com/pinnsweep/pinnsweep/coordinator/service"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// TestForgedComplete is issue 15's attack over gRPC: worker A releases
// its lease, the victim V leases the trial, and A completes it with V's
// lease id and token, as itself and posing as V, with no secret, a
// guessed one and V's secret from another worker id. Every forgery is
// refused with PermissionDenied and changes nothing; V's result is the
// one stored, attributed to V, and no error message names V's token.
func TestForgedComplete(t *testing.T) {
	s := startServer(t, nil)
	ctx := context.Background()
	if _, err := s.sweeps.SubmitSweep(ctx, &pb.SubmitSweepRequest{Spec: &pb.Spec{Source: coordtest.SpecYAML("f", []int{1}, 1, 1, 100)}}); err != nil {
		t.Fatal(err)
	}
	a, err := s.worker.Lease(ctx, &pb.LeaseRequest{WorkerId: "A", WaitMs: 100})
	if err != nil || a.GetTrial() == nil || len(a.GetLeaseSecret()) != 16 {
		t.Fatalf("A's Lease = %v, %v; want a trial and a 16-byte secret", a, err)
	}
	if _, err := s.worker.Release(ctx, &pb.ReleaseRequest{LeaseId: a.GetLeaseId(), Token: a.GetToken(), WorkerId: "A", LeaseSecret: a.GetLeaseSecret()}); err != nil {
		t.Fatal(err)
	}
	v, err := s.worker.Lease(ctx, &pb.LeaseRequest{WorkerId: "V", WaitMs: 100})
	if err != nil || v.GetTrial().GetKey() != a.GetTrial().GetKey() {
		t.Fatalf("V's Lease = %v, %v; want A's released trial", v, err)
	}
	if string(v.GetLeaseSecret()) == string(a.GetLeaseSecret()) {
		t.Fatal("two leases got the same secret")
	}
	vToken := regexp.MustCompile(`\b` + strconv.FormatUint(v.GetToken(), 10) + `\b`)
	guessed := append([]byte(nil), v.GetLeaseSecret()...)
	guessed[0] ^= 1
	forged := coordtest.ResultJSON(0.9)
	for _, f := range []struct {
		name   string
		worker string
		secret []byte
	}{
		{"as A, no secret", "A", nil},
		{"as A, with V's secret", "A", v.GetLeaseSecret()},
		{"as V, no secret", "V", nil},
		{"as V, a guessed secret", "V", guessed},
	} {
		_, err := s.worker.Complete(ctx, &pb.CompleteRequest{LeaseId: v.GetLeaseId(), Token: v.GetToken(), WorkerId: f.worker, LeaseSecret: f.secret,
			Status: pb.TrialStatus_TRIAL_STATUS_DONE, ResultJson: forged})
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("forged Complete %s: %v; want PermissionDenied", f.name, err)
		}
		if msg := status.Convert(err).Message(); vToken.MatchString(msg) {
			t.Errorf("forged Complete %s: the message names V's token: %q", f.name, msg)
		}
		hb, err := s.worker.Heartbeat(ctx, &pb.HeartbeatRequest{LeaseId: v.GetLeaseId(), Token: v.GetToken(), WorkerId: f.worker, LeaseSecret: f.secret})
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("forged Heartbeat %s: %v, %v; want PermissionDenied", f.name, hb, err)
		}
		if _, err := s.worker.Release(ctx, &pb.ReleaseRequest{LeaseId: v.GetLeaseId(), Token: v.GetToken(), WorkerId: f.worker, LeaseSecret: f.secret}); status.Code(err) != codes.PermissionDenied {
			t.Errorf("forged Release %s: %v; want PermissionDenied", f.name, err)
		}
	}
	// A's own, superseded lease is stale; the message names no token of V's.
	_, err = s.worker.Complete(ctx, &pb.CompleteRequest{LeaseId: a.GetLeaseId(), Token: a.GetToken(), WorkerId: "A", LeaseSecret: a.GetLeaseSecret(),
		Status: pb.TrialStatus_TRIAL_STATUS_DONE, ResultJson: forged})
	if status.Code(err) != codes.FailedPrecondition || vToken.MatchString(status.Convert(err).Message()) {
		t.Errorf("A's stale Complete: %v; want FailedPrecondition naming no current token", err)
	}

	real := coordtest.ResultJSON(0.05)
	resp, err := s.worker.Complete(ctx, &pb.CompleteRequest{LeaseId: v.GetLeaseId(), Token: v.GetToken(), WorkerId: "V", LeaseSecret: v.GetLeaseSecret(),
		Status: pb.TrialStatus_TRIAL_STATUS_DONE, ResultJson: real})
	if err != nil || resp.GetDuplicate() {
		t.Fatalf("V's Complete = %v, %v; want accepted, not a duplicate", resp, err)
	}
	got, err := s.sweeps.GetSweep(ctx, &pb.GetSweepRequest{Sweep: "f", IncludeTrials: true})
	if err != nil {
		t.Fatal(err)
	}
	if tr := got.GetTrials()[0]; tr.GetWorker() != "V" || !sameResult(t, tr.GetResultJson(), real) || tr.GetAttempts() != 1 {
		t.Fatalf("stored trial %v; want V's result, one attempt", tr)
	}
}

// sameResult reports whether the stored result is the one sent, apart from
// the failure class the engine adds to it.
func sameResult(t *testing.T, stored, sent string) bool {
	t.Helper()
	var a, b map[string]any
	if err := json.Unmarshal([]byte(stored), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(sent), &b); err != nil {
		t.Fatal(err)
	}
	delete(a, "failure_class")
	return reflect.DeepEqual(a, b)
}

// TestWorkerIdentityFromCertificate serves over mutual TLS: a worker's
// identity is its certificate's Common Name, qualified by the worker_id it
// sends. A worker with another certificate cannot act on the lease even
// with its secret and the holder's worker_id, and ids that would make the
// qualified form ambiguous are refused.
func TestWorkerIdentityFromCertificate(t *testing.T) {
	pki := newTestPKI(t)
	c := coordtest.Open(t, filepath.Join(t.TempDir(), "sweeps.db"), nil)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- service.Serve(ctx, c, lis, grpc.Creds(credentials.NewTLS(pki.serverConfig()))) }()
	t.Cleanup(func() {
		cancel()
		<-served
		c.Close()
	})
	dial := func(cn string) pb.WorkerServiceClient {
		conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(credentials.NewTLS(pki.clientConfig(t, cn))))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return pb.NewWorkerServiceClient(conn)
	}
	nodeA, nodeB := dial("node-a"), dial("node-b")
	coordtest.MustSubmit(t, c, coordtest.SpecYAML("m", []int{1, 2, 3}, 1, 0, 100))

	l, err := nodeA.Lease(ctx, &pb.LeaseRequest{WorkerId: "x", WaitMs: 100})
	if err != nil || l.GetTrial().GetWorker() != "node-a/x" {
		t.Fatalf("node-a's Lease as x = %v, %v; want the trial held by node-a/x", l, err)
	}
	for id, code := range map[string]codes.Code{"x": codes.PermissionDenied, "node-a/x": codes.InvalidArgument} {
		if _, err := nodeB.Heartbeat(ctx, &pb.HeartbeatRequest{LeaseId: l.GetLeaseId(), Token: l.GetToken(), WorkerId: id, LeaseSecret: l.GetLeaseSecret()}); status.Code(err) != code {
			t.Errorf("node-b's Heartbeat as %q with the secret: %v; want %v", id, err, code)
		}
	}
	for _, id := range []string{"x", "node-a/x"} {
		if _, err := nodeA.Heartbeat(ctx, &pb.HeartbeatRequest{LeaseId: l.GetLeaseId(), Token: l.GetToken(), WorkerId: id, LeaseSecret: l.GetLeaseSecret()}); err != nil {
			t.Errorf("node-a's Heartbeat as %q: %v", id, err)
		}
	}
	if _, err := nodeA.Complete(ctx, &pb.CompleteRequest{LeaseId: l.GetLeaseId(), Token: l.GetToken(), WorkerId: "x", LeaseSecret: l.GetLeaseSecret(),
		Status: pb.TrialStatus_TRIAL_STATUS_DONE, ResultJson: coordtest.ResultJSON(0.1)}); err != nil {
		t.Fatalf("node-a's Complete: %v", err)
	}
	if l, err := nodeB.Lease(ctx, &pb.LeaseRequest{WaitMs: 100}); err != nil || l.GetTrial().GetWorker() != "node-b" {
		t.Errorf("node-b's Lease without worker_id = %v, %v; want the trial held by node-b", l, err)
	}
	if _, err := nodeB.Lease(ctx, &pb.LeaseRequest{WorkerId: "node-a/y", WaitMs: 100}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("node-b's Lease as node-a/y: %v; want InvalidArgument", err)
	}
	if _, err := dial("a/b").Lease(ctx, &pb.LeaseRequest{WorkerId: "x", WaitMs: 100}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("Lease with a certificate whose Common Name holds '/': %v; want PermissionDenied", err)
	}
}

// testPKI is a CA with a server certificate for 127.0.0.1, issuing client
// certificates by Common Name.
type testPKI struct {
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	pool   *x509.CertPool
	server tls.Certificate
	serial int64
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	p := &testPKI{pool: x509.NewCertPool()}
	p.caKey, p.ca = p.issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature})
	p.pool.AddCert(p.ca)
	p.server = p.pair(t, &x509.Certificate{Subject: pkix.Name{CommonName: "coordinator"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	return p
}

// issue signs tmpl with the CA (itself when there is none yet).
func (p *testPKI) issue(t *testing.T, tmpl *x509.Certificate) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p.serial++
	tmpl.SerialNumber = big.NewInt(p.serial)
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	parent, signer := tmpl, key
	if p.ca != nil {
		parent, signer = p.ca, p.caKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

func (p *testPKI) pair(t *testing.T, tmpl *x509.Certificate) tls.Certificate {
	key, cert := p.issue(t, tmpl)
	return tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}
}

func (p *testPKI) serverConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{p.server}, ClientCAs: p.pool, ClientAuth: tls.VerifyClientCertIfGiven, MinVersion: tls.VersionTLS12}
}

func (p *testPKI) clientConfig(t *testing.T, cn string) *tls.Config {
	client := p.pair(t, &x509.Certificate{Subject: pkix.Name{CommonName: cn}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	return &tls.Config{Certificates: []tls.Certificate{client}, RootCAs: p.pool, MinVersion: tls.VersionTLS12}
}
