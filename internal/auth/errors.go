package auth

import "errors"

// Sentinel errors; every error of this package that concerns credentials
// wraps one of them.
var (
	// ErrEmptyToken reports a token file or environment variable that is
	// set but holds no token.
	ErrEmptyToken = errors.New("auth: empty token")

	// ErrBadToken reports a token with characters that cannot travel in
	// gRPC metadata (only printable ASCII without spaces is allowed).
	ErrBadToken = errors.New("auth: malformed token")

	// ErrConfig reports an inconsistent set of credentials, such as equal
	// admin and worker tokens, or a client certificate without its key.
	ErrConfig = errors.New("auth: invalid configuration")

	// ErrExists reports a file WriteDevCerts would overwrite without
	// Force.
	ErrExists = errors.New("auth: file exists")
)
