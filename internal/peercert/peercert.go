// Package peercert finds the verified client certificate of a gRPC call.
// It is the one lookup that both internal/auth (which takes a caller's
// role from the certificate) and coordinator/service (which takes a
// worker's identity from it) use, so that the two can never disagree on
// which certificate a caller presented; it depends on gRPC alone, so the
// service does not depend on internal/auth for it.
package peercert

import (
	"context"
	"crypto/x509"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
)

// Verified returns the leaf of the verified chain of the client
// certificate that the caller of ctx presented, and false when it
// presented none: no peer in ctx, no TLS, or TLS without a client
// certificate. Only a certificate that the server's TLS configuration
// verified counts (a chain in VerifiedChains): one that was merely sent
// (PeerCertificates, as with tls.RequestClientCert) is not proof of
// anything.
func Verified(ctx context.Context) (*x509.Certificate, bool) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return nil, false
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.VerifiedChains) == 0 || len(info.State.VerifiedChains[0]) == 0 {
		return nil, false
	}
	return info.State.VerifiedChains[0][0], true
}
