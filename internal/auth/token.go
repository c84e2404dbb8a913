package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"os"
	"strings"

	"google.golang.org/grpc/credentials"

	"github.com/pinnsweep/pinnsweep/internal/safefile"
)

// Environment variables that hold tokens when no token file is given.
const (
	// EnvAdminToken holds the coordinator's admin token.
	EnvAdminToken = "PINNSWEEP_ADMIN_TOKEN"
	// EnvWorkerToken holds the coordinator's worker token.
	EnvWorkerToken = "PINNSWEEP_WORKER_TOKEN"
	// EnvToken holds a client's token.
	EnvToken = "PINNSWEEP_TOKEN"
)

// authorizationKey is the metadata key that carries the token.
const authorizationKey = "authorization"

// bearerPrefix precedes the token in the authorization metadata.
const bearerPrefix = "Bearer "

// MaxTokenLen bounds a token's length.
const MaxTokenLen = 4096

// ReadToken returns the token in file or, when file is "", in the
// environment variable env; it returns "" when neither is set. A file's
// trailing newline (LF or CRLF, repeated) is trimmed. A file or variable
// that is set but empty, or a token with characters other than printable
// ASCII, is an error, which never contains the token.
func ReadToken(file, env string) (string, error) {
	var tok, source string
	if file != "" {
		// Bounded, and never a named pipe or a device: the token follows
		// at most a few line ends.
		b, err := safefile.ReadRegular(file, MaxTokenLen+1024)
		if err != nil {
			return "", fmt.Errorf("token file: %w", err)
		}
		tok, source = strings.TrimRight(string(b), "\r\n"), "token file "+file
	} else {
		v, ok := os.LookupEnv(env)
		if !ok {
			return "", nil
		}
		tok, source = v, "environment variable "+env
	}
	if err := checkToken(tok); err != nil {
		return "", fmt.Errorf("%s: %w", source, err)
	}
	return tok, nil
}

// checkToken validates a token without revealing it.
func checkToken(tok string) error {
	if tok == "" {
		return ErrEmptyToken
	}
	if len(tok) > MaxTokenLen {
		return fmt.Errorf("%w: %d bytes long; the limit is %d", ErrBadToken, len(tok), MaxTokenLen)
	}
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; c <= ' ' || c > '~' {
			return fmt.Errorf("%w: byte %d is not printable ASCII (spaces are not allowed either)", ErrBadToken, i+1)
		}
	}
	return nil
}

// digest is a token's SHA-256 digest; the server keeps only digests and
// compares them in constant time, which also hides the token's length.
type digest [sha256.Size]byte

func digestOf(tok string) digest { return sha256.Sum256([]byte(tok)) }

// equal compares two digests in constant time.
func (d digest) equal(o digest) bool { return subtle.ConstantTimeCompare(d[:], o[:]) == 1 }

// tokenCreds is the client side: it puts the token into each call's
// metadata.
type tokenCreds struct {
	token      string
	secureOnly bool
}

var _ credentials.PerRPCCredentials = tokenCreds{}

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (c tokenCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{authorizationKey: bearerPrefix + c.token}, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials: a
// client configured for TLS never sends its token over plaintext; one
// configured without TLS (a loopback or VPN link) may.
func (c tokenCreds) RequireTransportSecurity() bool { return c.secureOnly }

// String hides the token from %v.
func (c tokenCreds) String() string { return "tokenCreds{REDACTED}" }
