package auth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"

	"github.com/pinnsweep/pinnsweep/internal/peercert"
	"github.com/pinnsweep/pinnsweep/internal/safefile"
)

// ServerConfig configures the coordinator side. The zero value
// authenticates nothing.
type ServerConfig struct {
	// AdminToken, if set, grants RoleAdmin to callers presenting it.
	AdminToken string
	// WorkerToken, if set, grants RoleWorker to callers presenting it. It
	// requires AdminToken (otherwise no token could administer) and must
	// differ from it.
	WorkerToken string

	// CertFile and KeyFile, if set, are the server's certificate chain and
	// private key (PEM): the server speaks TLS.
	CertFile, KeyFile string
	// ClientCAFile, if set, is a PEM bundle of the CAs that sign client
	// certificates: every client must present one (mutual TLS), and its
	// Organizational Unit gives the caller's role. It requires CertFile.
	ClientCAFile string

	// Logger, if set, receives a warning for every refused call (method,
	// peer address, reason; never a token).
	Logger hclog.Logger
	// Refused, if set, counts every refused call by its gRPC code (see
	// NewRefusedCounter); nil counts nothing. A call refused by the tap
	// handle never reaches an interceptor, so the gRPC server metrics of
	// interceptors do not count it.
	Refused *prometheus.CounterVec
}

// RefusedMetric is the name of the counter NewRefusedCounter makes.
const RefusedMetric = "pinnsweep_refused_calls_total"

// NewRefusedCounter returns the counter of ServerConfig.Refused,
// pinnsweep_refused_calls_total, by grpc_code (Unauthenticated or
// PermissionDenied), for the caller to register. It has no method label:
// a caller without credentials chooses the method names it sends.
func NewRefusedCounter() *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: RefusedMetric,
		Help: "Calls refused for their credentials (before their request message is read), by gRPC code.",
	}, []string{"grpc_code"})
	for _, code := range []codes.Code{codes.Unauthenticated, codes.PermissionDenied} {
		c.WithLabelValues(code.String()) // exported as 0 before the first refusal
	}
	return c
}

// Authenticates reports whether c authenticates callers (tokens or
// client certificates); TLS alone does not.
func (c ServerConfig) Authenticates() bool {
	return c.AdminToken != "" || c.WorkerToken != "" || c.ClientCAFile != ""
}

// ServerOptions checks c, loads its certificates and returns the gRPC
// server options that enforce it: transport credentials (TLS, mTLS), a
// tap handle (grpc.InTapHandle) that authorises every call by Policy from
// its headers, before its request message is read, and a unary and a
// stream interceptor that authorise it again (they also cover a server
// mounted through ServeHTTP, where gRPC runs no tap handle). The zero
// ServerConfig gives none.
func (c ServerConfig) ServerOptions() ([]grpc.ServerOption, error) {
	switch {
	case c.WorkerToken != "" && c.AdminToken == "":
		return nil, fmt.Errorf("%w: a worker token needs an admin token too (nobody could submit sweeps)", ErrConfig)
	case c.WorkerToken != "" && c.WorkerToken == c.AdminToken:
		return nil, fmt.Errorf("%w: the admin and worker tokens are equal", ErrConfig)
	case (c.CertFile == "") != (c.KeyFile == ""):
		return nil, fmt.Errorf("%w: a TLS certificate and its key go together", ErrConfig)
	case c.ClientCAFile != "" && c.CertFile == "":
		return nil, fmt.Errorf("%w: client certificates (mTLS) need a server certificate and key", ErrConfig)
	}
	for _, tok := range []string{c.AdminToken, c.WorkerToken} {
		if tok != "" {
			if err := checkToken(tok); err != nil {
				return nil, err
			}
		}
	}
	var opts []grpc.ServerOption
	if c.CertFile != "" {
		cfg, err := ServerTLS(c.CertFile, c.KeyFile, c.ClientCAFile)
		if err != nil {
			return nil, err
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(cfg)))
	}
	if !c.Authenticates() {
		return opts, nil
	}
	log := c.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	a := &authorizer{mtls: c.ClientCAFile != "", log: newRefusalLog(log), refused: c.Refused}
	if c.AdminToken != "" {
		a.tokens = append(a.tokens, tokenRole{digestOf(c.AdminToken), RoleAdmin})
	}
	if c.WorkerToken != "" {
		a.tokens = append(a.tokens, tokenRole{digestOf(c.WorkerToken), RoleWorker})
	}
	return append(opts,
		grpc.InTapHandle(a.tap),
		grpc.ChainUnaryInterceptor(a.unary),
		grpc.ChainStreamInterceptor(a.stream),
	), nil
}

// ServerTLS returns a TLS configuration serving the certificate in
// certFile and key in keyFile; with clientCAFile it verifies client
// certificates against the CAs in that file. A client certificate that
// fails verification ends the handshake; a client without one completes
// it, so that health checks (which carry no credentials) reach the
// server, and the authoriser refuses its other calls (Unauthenticated).
func ServerTLS(certFile, keyFile, clientCAFile string) (*tls.Config, error) {
	cert, err := loadKeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate %s and key %s: %w", certFile, keyFile, err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if clientCAFile != "" {
		pool, err := loadPool(clientCAFile)
		if err != nil {
			return nil, err
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return cfg, nil
}

// maxPEMFile bounds a certificate, key or CA file: a bundle of a few
// hundred certificates fits, a device or a runaway file does not.
const maxPEMFile = 4 << 20

// loadKeyPair is tls.LoadX509KeyPair on files read with
// safefile.ReadRegular: a named pipe or a device given as a certificate
// or key is refused at once rather than blocking the process or read
// without end.
func loadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := safefile.ReadRegular(certFile, maxPEMFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := safefile.ReadRegular(keyFile, maxPEMFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}

// loadPool reads a PEM bundle of CA certificates (a regular file; see
// loadKeyPair).
func loadPool(file string) (*x509.CertPool, error) {
	b, err := safefile.ReadRegular(file, maxPEMFile)
	if err != nil {
		return nil, fmt.Errorf("CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("CA file %s: no PEM certificate in it", file)
	}
	return pool, nil
}

// tokenRole is one accepted token (its digest) and the role it grants.
type tokenRole struct {
	digest digest
	role   Role
}

// authorizer is the server-side tap handle and interceptor.
type authorizer struct {
	tokens  []tokenRole // empty: tokens are not used
	mtls    bool
	log     *refusalLog
	refused *prometheus.CounterVec // nil: not counted
}

// tap authorises a call from its headers when its stream opens, before
// gRPC reads (and allocates for) its request message: a refused call
// costs its headers, not its up to 16 MiB message. gRPC runs it on the
// connection's reading goroutine, so it must not block: it hashes one
// token and compares digests.
func (a *authorizer) tap(ctx context.Context, info *tap.Info) (context.Context, error) {
	if _, err := a.authorize(ctx, info.FullMethodName, info.Header); err != nil {
		return nil, err
	}
	return ctx, nil
}

func (a *authorizer) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	role, err := a.authorize(ctx, info.FullMethod, md)
	if err != nil {
		return nil, err
	}
	return handler(context.WithValue(ctx, roleKey{}, role), req)
}

func (a *authorizer) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	md, _ := metadata.FromIncomingContext(ss.Context())
	if _, err := a.authorize(ss.Context(), info.FullMethod, md); err != nil {
		return err
	}
	return handler(srv, ss)
}

// authorize returns the caller's role if its credentials (its metadata md
// and its connection's peer in ctx) give one that allows method, and an
// Unauthenticated or PermissionDenied status naming method otherwise. A
// method open to every caller (Policy RoleNone) is allowed without
// looking at credentials, as RoleNone.
func (a *authorizer) authorize(ctx context.Context, method string, md metadata.MD) (Role, error) {
	need := Policy(method)
	if need == RoleNone {
		return RoleNone, nil
	}
	role, err := a.role(ctx, md)
	if err == nil {
		if role < need {
			err = status.Errorf(codes.PermissionDenied, "%s needs the %s role; the caller has the %s role", method, need, role)
		}
	} else {
		err = status.Errorf(codes.Unauthenticated, "%s: %v", method, err)
	}
	if err != nil {
		addr := "unknown"
		if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
			addr = p.Addr.String()
		}
		a.log.refused(method, addr, status.Code(err), status.Convert(err).Message())
		if a.refused != nil {
			a.refused.WithLabelValues(status.Code(err).String()).Inc()
		}
		return RoleNone, err
	}
	return role, nil
}

// role authenticates the caller: by the token in md, by the client
// certificate of ctx's peer, or by both (the lesser role).
func (a *authorizer) role(ctx context.Context, md metadata.MD) (Role, error) {
	role := RoleAdmin
	if len(a.tokens) > 0 {
		r, err := a.tokenRole(md)
		if err != nil {
			return RoleNone, err
		}
		role = min(role, r)
	}
	if a.mtls {
		r, err := peerCertRole(ctx)
		if err != nil {
			return RoleNone, err
		}
		role = min(role, r)
	}
	return role, nil
}

// tokenRole returns the role of the token in the caller's metadata.
func (a *authorizer) tokenRole(md metadata.MD) (Role, error) {
	vals := md.Get(authorizationKey)
	if len(vals) == 0 {
		return RoleNone, fmt.Errorf("no token (authorization metadata); give the client --token-file or %s", EnvToken)
	}
	if len(vals) > 1 {
		return RoleNone, fmt.Errorf("%d authorization metadata values; want one", len(vals))
	}
	tok, ok := strings.CutPrefix(vals[0], bearerPrefix)
	if !ok {
		return RoleNone, fmt.Errorf("authorization metadata is not a bearer token")
	}
	d := digestOf(tok)
	role := RoleNone
	for _, t := range a.tokens { // every comparison runs: no early exit
		if d.equal(t.digest) {
			role = max(role, t.role)
		}
	}
	if role == RoleNone {
		return RoleNone, fmt.Errorf("invalid token")
	}
	return role, nil
}

// peerCertRole returns the role of the caller's verified client
// certificate.
func peerCertRole(ctx context.Context) (Role, error) {
	cert, ok := peercert.Verified(ctx)
	if !ok {
		return RoleNone, fmt.Errorf("no verified client certificate")
	}
	r := certRole(cert)
	if r == RoleNone {
		return RoleNone, fmt.Errorf("client certificate %q names no role (Organizational Unit %q or %q)",
			cert.Subject.CommonName, RoleAdmin, RoleWorker)
	}
	return r, nil
}
