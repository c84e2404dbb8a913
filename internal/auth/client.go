package auth

import (
	"crypto/tls"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// ClientConfig configures the client side. The zero value dials in
// plaintext without a token.
type ClientConfig struct {
	// Token, if set, is sent with every call.
	Token string
	// CAFile, if set, is a PEM bundle of the CAs the client trusts to sign
	// the coordinator's certificate; it implies TLS. Without it a TLS
	// client trusts the system's CAs.
	CAFile string
	// CertFile and KeyFile, if set, are the client certificate and key
	// presented for mutual TLS; they imply TLS.
	CertFile, KeyFile string
	// ServerName, if set, replaces the host of the dialled address as the
	// name the server's certificate must carry; it implies TLS.
	ServerName string
}

// TLS reports whether c dials with TLS.
func (c ClientConfig) TLS() bool {
	return c.CAFile != "" || c.CertFile != "" || c.KeyFile != "" || c.ServerName != ""
}

// DialOptions checks c, loads its files and returns the gRPC dial options
// that apply it: transport credentials (TLS, or insecure ones) and the
// token.
func (c ClientConfig) DialOptions() ([]grpc.DialOption, error) {
	if c.Token != "" {
		if err := checkToken(c.Token); err != nil {
			return nil, err
		}
	}
	creds := insecure.NewCredentials()
	if c.TLS() {
		cfg, err := ClientTLS(c.CAFile, c.CertFile, c.KeyFile, c.ServerName)
		if err != nil {
			return nil, err
		}
		creds = credentials.NewTLS(cfg)
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	if c.Token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(tokenCreds{token: c.Token, secureOnly: c.TLS()}))
	}
	return opts, nil
}

// ClientTLS returns a client TLS configuration: trusting the CAs in caFile
// (the system's when ""), presenting the certificate in certFile and key
// in keyFile (none when ""), and expecting serverName (the dialled host
// when "").
func ClientTLS(caFile, certFile, keyFile, serverName string) (*tls.Config, error) {
	if (certFile == "") != (keyFile == "") {
		return nil, fmt.Errorf("%w: a client certificate and its key go together", ErrConfig)
	}
	cfg := &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pool, err := loadPool(caFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	if certFile != "" {
		cert, err := loadKeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("client certificate %s and key %s: %w", certFile, keyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
