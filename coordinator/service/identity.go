package service

import (
	"context"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/internal/peercert"
)

// workerIdentity returns the worker id a call acts as, given the
// worker_id it sent (validated already; field names it in messages).
//
// Without a verified client certificate it is the id sent. With one
// (mutual TLS) the identity comes from the certificate: its Subject
// Common Name, as Kubernetes and etcd take a client certificate's user
// name. A request that sends no worker_id, or the Common Name itself, acts
// as the Common Name; one that sends another id acts as "CN/ID", so that
// the processes sharing a certificate keep distinct ids (the dashboard
// and the metrics count workers by id) while none can act as a worker of
// another certificate. Since "/" separates the two, neither may contain
// it: a Common Name with "/" is refused (PermissionDenied), and so is a
// worker_id with "/" that is not already the qualified id
// (InvalidArgument).
func workerIdentity(ctx context.Context, field, sent string) (string, error) {
	cn, ok := peerCommonName(ctx)
	if !ok {
		return sent, nil
	}
	switch {
	case cn == "":
		return "", status.Error(codes.PermissionDenied, "the client certificate has no Common Name to identify the worker")
	case strings.Contains(cn, "/"):
		return "", status.Errorf(codes.PermissionDenied, "the client certificate's Common Name %s contains '/', which worker identities cannot hold", shown(cn))
	case sent == "" || sent == cn:
		return cn, nil
	case strings.HasPrefix(sent, cn+"/") && !strings.Contains(sent[len(cn)+1:], "/") && len(sent) > len(cn)+1:
		return sent, nil // already qualified
	case strings.Contains(sent, "/"):
		return "", invalid("%s %s contains '/', which a worker with a client certificate may not use (its identity is %s/ID)", field, shown(sent), shown(cn))
	}
	id := cn + "/" + sent
	if len(id) > maxWorkerIDLen {
		return "", invalid("%s %s with the certificate's Common Name is %d bytes long; the limit is %d", field, shown(sent), len(id), maxWorkerIDLen)
	}
	return id, nil
}

// peerCommonName returns the Common Name of the caller's verified client
// certificate, and false when the caller presented none (no TLS, or TLS
// without a client certificate).
func peerCommonName(ctx context.Context) (string, bool) {
	cert, ok := peercert.Verified(ctx)
	if !ok {
		return "", false
	}
	return cert.Subject.CommonName, true
}

// leaseSecret checks a request's lease_secret: empty (none) or 16 bytes.
func leaseSecret(b []byte) (state.LeaseSecret, error) {
	s, ok := state.LeaseSecretFrom(b)
	if !ok {
		return s, invalid("lease_secret must be %d bytes long, got %d", len(s), len(b))
	}
	return s, nil
}
