package state

import (
	"crypto/rand"
	"crypto/subtle"
	"strconv"
	"strings"
)

// LeaseID returns the id of a trial's lease with the given fencing token:
// "sweep/key/token". Workers treat it as opaque; the scheduler finds the
// trial by it, and the bbolt store stores it as a flag when it has this
// form.
func LeaseID(sweep, key string, token uint64) string {
	return sweep + "/" + key + "/" + strconv.FormatUint(token, 10)
}

// ParseLeaseID splits a lease id of LeaseID's form into its trial and
// token; ok is false for any other string.
func ParseLeaseID(id string) (sweep, key string, token uint64, ok bool) {
	i, j := strings.IndexByte(id, '/'), strings.LastIndexByte(id, '/')
	if i <= 0 || j <= i+1 {
		return "", "", 0, false
	}
	token, err := strconv.ParseUint(id[j+1:], 10, 64)
	if err != nil || token == 0 {
		return "", "", 0, false
	}
	return id[:i], id[i+1 : j], token, true
}

// LeaseSecret is a lease's secret: 128 random bits, drawn for every grant
// and stored with the lease, that only the coordinator and the worker the
// lease was granted to know. Heartbeat, Complete and Release must present
// it: lease ids and fencing tokens are guessable (a token comes from one
// counter), so without it any worker could act on another's lease. The
// zero value means none (a lease granted before secrets existed).
type LeaseSecret [16]byte

// NewLeaseSecret draws a secret from crypto/rand.
func NewLeaseSecret() LeaseSecret {
	var s LeaseSecret
	_, _ = rand.Read(s[:]) // crypto/rand.Read never fails (Go 1.24)
	return s
}

// LeaseSecretFrom returns the secret of b, which must be empty (zero) or
// 16 bytes long.
func LeaseSecretFrom(b []byte) (LeaseSecret, bool) {
	var s LeaseSecret
	if len(b) != 0 && len(b) != len(s) {
		return s, false
	}
	copy(s[:], b)
	return s, true
}

// IsZero reports whether s is the zero secret (none).
func (s LeaseSecret) IsZero() bool { return s == LeaseSecret{} }

// Bytes returns s as a byte slice, nil for the zero secret.
func (s LeaseSecret) Bytes() []byte {
	if s.IsZero() {
		return nil
	}
	return s[:]
}

// Matches reports, in constant time, whether a presented secret is s.
func (s LeaseSecret) Matches(presented LeaseSecret) bool {
	return subtle.ConstantTimeCompare(s[:], presented[:]) == 1
}

// String hides the secret's bits, so that a logged record or error never
// shows them.
func (s LeaseSecret) String() string {
	if s.IsZero() {
		return "none"
	}
	return "set"
}

// LeaseClaim is what a caller presents to act on a lease (Heartbeat,
// Release, and Complete through Completion, which embeds it): the
// lease's id and fencing token, the caller's worker id, and the lease's
// secret.
type LeaseClaim struct {
	LeaseID string
	Token   uint64
	Worker  string
	Secret  LeaseSecret
}
