package peercert_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"

	"github.com/pinnsweep/pinnsweep/internal/peercert"
)

// otherAuth is the AuthInfo of a transport other than TLS.
type otherAuth struct{}

func (otherAuth) AuthType() string { return "other" }

// TestVerified: only a verified chain's leaf is the caller's certificate;
// a certificate that was sent but not verified, TLS without one, another
// transport and a context without a peer give none.
func TestVerified(t *testing.T) {
	leaf := &x509.Certificate{Subject: pkix.Name{CommonName: "node-a"}}
	ca := &x509.Certificate{Subject: pkix.Name{CommonName: "ca"}}
	withAuth := func(a credentials.AuthInfo) context.Context {
		return peer.NewContext(context.Background(), &peer.Peer{AuthInfo: a})
	}
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want *x509.Certificate
	}{
		{"no peer", context.Background(), nil},
		{"another transport", withAuth(otherAuth{}), nil},
		{"TLS without a client certificate", withAuth(credentials.TLSInfo{}), nil},
		{"sent but not verified", withAuth(credentials.TLSInfo{State: tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf}}}), nil},
		{"an empty verified chain", withAuth(credentials.TLSInfo{State: tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{}}}}), nil},
		{"verified", withAuth(credentials.TLSInfo{State: tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{leaf, ca}}}}), leaf},
	} {
		got, ok := peercert.Verified(tc.ctx)
		if got != tc.want || ok != (tc.want != nil) {
			t.Errorf("%s: Verified = %v, %v; want %v", tc.name, got, ok, tc.want)
		}
	}
}
