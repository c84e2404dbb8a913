package main

import (
	"fmt"
	"net"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/pflag"

	"github.com/pinnsweep/pinnsweep/internal/auth"
)

// serverAuthFlags are the credential flags of `pinnsweep serve`.
type serverAuthFlags struct {
	adminTokenFile, workerTokenFile, cert, key, clientCA string
	insecure                                             bool
}

// addServerAuthFlags registers the server's credential flags on fs.
func addServerAuthFlags(fs *pflag.FlagSet) *serverAuthFlags {
	f := &serverAuthFlags{}
	fs.StringVar(&f.adminTokenFile, "admin-token-file", "", "read the admin token (every call) from `file` (default: $"+auth.EnvAdminToken+")")
	fs.StringVar(&f.workerTokenFile, "worker-token-file", "", "read the worker token (lease protocol and health watches only) from `file` (default: $"+auth.EnvWorkerToken+")")
	fs.StringVar(&f.cert, "tls-cert", "", "serve TLS with the certificate (chain) in PEM `file` (with --tls-key)")
	fs.StringVar(&f.key, "tls-key", "", "private key PEM `file` of --tls-cert")
	fs.StringVar(&f.clientCA, "client-ca", "", "require client certificates signed by a CA in PEM `file` (mutual TLS; the certificate's OU, admin or worker, is the caller's role)")
	fs.BoolVar(&f.insecure, "insecure", false, "allow a non-loopback --listen address without authentication")
	return f
}

// config reads the tokens and returns the server's auth configuration.
func (f *serverAuthFlags) config(log hclog.Logger) (auth.ServerConfig, error) {
	admin, err := auth.ReadToken(f.adminTokenFile, auth.EnvAdminToken)
	if err != nil {
		return auth.ServerConfig{}, err
	}
	worker, err := auth.ReadToken(f.workerTokenFile, auth.EnvWorkerToken)
	if err != nil {
		return auth.ServerConfig{}, err
	}
	return auth.ServerConfig{
		AdminToken:   admin,
		WorkerToken:  worker,
		CertFile:     f.cert,
		KeyFile:      f.key,
		ClientCAFile: f.clientCA,
		Logger:       log,
	}, nil
}

// checkExposure refuses a listener on a non-loopback address when cfg
// authenticates nobody, unless insecure is set.
func checkExposure(addr net.Addr, cfg auth.ServerConfig, insecure bool) error {
	if cfg.Authenticates() || insecure {
		return nil
	}
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsLoopback() {
		return nil
	}
	return fmt.Errorf("refusing to serve on %s, which is not a loopback address, without authentication: "+
		"give --admin-token-file (or $%s), --client-ca for mutual TLS, or --insecure to serve anyone who can connect",
		addr, auth.EnvAdminToken)
}
