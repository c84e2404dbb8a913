package auth

import (
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// TestClientCertificateWithoutRole: a client certificate signed by the
// trusted CA but naming no role (no OU admin or worker) is refused, with a
// message naming the certificate.
func TestClientCertificateWithoutRole(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteDevCerts(DevCertOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	ca := readCert(t, filepath.Join(dir, CAFile))
	keyPEM, err := os.ReadFile(filepath.Join(dir, CAKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(keyPEM)
	caKey, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key, der, err := issue(&x509.Certificate{
		Subject:     pkix.Name{CommonName: "nobody", OrganizationalUnit: []string{"guest"}},
		NotBefore:   time.Now().Add(-time.Minute),
		NotAfter:    time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, ca, caKey.(crypto.Signer))
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "nobody.pem"), filepath.Join(dir, "nobody-key.pem")
	if err := writePEM(certFile, "CERTIFICATE", der, 0o644, false); err != nil {
		t.Fatal(err)
	}
	if err := writePEM(keyFile, "PRIVATE KEY", keyDER, 0o600, false); err != nil {
		t.Fatal(err)
	}

	opts, err := ServerConfig{
		CertFile: filepath.Join(dir, ServerCertFile), KeyFile: filepath.Join(dir, ServerKeyFile), ClientCAFile: filepath.Join(dir, CAFile),
	}.ServerOptions()
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(opts...)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	defer srv.Stop()

	check := func(certFile, keyFile string) error {
		dial, err := ClientConfig{CAFile: filepath.Join(dir, CAFile), CertFile: certFile, KeyFile: keyFile}.DialOptions()
		if err != nil {
			t.Fatal(err)
		}
		cc, err := grpc.NewClient(lis.Addr().String(), dial...)
		if err != nil {
			t.Fatal(err)
		}
		defer cc.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// Watch, which needs the worker role (Check is open to all).
		st, err := healthpb.NewHealthClient(cc).Watch(ctx, &healthpb.HealthCheckRequest{})
		if err == nil {
			_, err = st.Recv()
		}
		return err
	}
	err = check(certFile, keyFile)
	if status.Code(err) != codes.Unauthenticated || !strings.Contains(err.Error(), `"nobody" names no role`) {
		t.Fatalf("certificate without a role: %v", err)
	}
	if err := check(filepath.Join(dir, WorkerCertFile), filepath.Join(dir, WorkerKeyFile)); err != nil {
		t.Fatalf("worker certificate: %v", err)
	}
}
