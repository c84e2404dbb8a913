package main

import (
	"flag"
	"fmt"
	"net"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"

	"github.com/pinnsweep/pinnsweep/internal/auth"
)

// clientAuthFlags are the credential flags of every command that dials a
// coordinator.
type clientAuthFlags struct {
	tokenFile, ca, cert, key, serverName string
}

// clientAuthUsage is the usage line of the client credential flags.
const clientAuthUsage = "         [--token-file FILE] [--ca FILE] [--cert FILE --key FILE] [--server-name NAME]"

// addClientAuthFlags registers the credential flags on fs.
func addClientAuthFlags(fs *flag.FlagSet) *clientAuthFlags {
	f := &clientAuthFlags{}
	fs.StringVar(&f.tokenFile, "token-file", "", "read the coordinator's access token from `file` (default: $"+auth.EnvToken+")")
	fs.StringVar(&f.ca, "ca", "", "trust the CA certificates in PEM `file` for the coordinator's certificate (implies TLS)")
	fs.StringVar(&f.cert, "cert", "", "client certificate PEM `file` for mutual TLS (with --key; implies TLS)")
	fs.StringVar(&f.key, "key", "", "client private key PEM `file` for mutual TLS (with --cert)")
	fs.StringVar(&f.serverName, "server-name", "", "`name` the coordinator's certificate must carry (default: the host of the address; implies TLS)")
	return f
}

// dialOptions reads the token and certificates and returns the dial
// options that present them.
func (f *clientAuthFlags) dialOptions() ([]grpc.DialOption, error) {
	tok, err := auth.ReadToken(f.tokenFile, auth.EnvToken)
	if err != nil {
		return nil, err
	}
	return auth.ClientConfig{
		Token:      tok,
		CAFile:     f.ca,
		CertFile:   f.cert,
		KeyFile:    f.key,
		ServerName: f.serverName,
	}.DialOptions()
}

// serverAuthFlags are the credential flags of `pinnsweep serve`.
type serverAuthFlags struct {
	adminTokenFile, workerTokenFile, cert, key, clientCA string
	insecure                                             bool
}

// addServerAuthFlags registers the server's credential flags on fs.
func addServerAuthFlags(fs *flag.FlagSet) *serverAuthFlags {
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
