package auth

import (
	"context"
	"errors"
	"fmt"
)

// roleKey is the context key of the caller's role, which the server's
// unary interceptor sets once it has authorised a call.
type roleKey struct{}

// CallerRole returns the role the server authenticated the caller of a
// unary call as (ctx is the handler's), and false when the server
// authenticates nobody (or the call is a stream).
func CallerRole(ctx context.Context) (Role, bool) {
	r, ok := ctx.Value(roleKey{}).(Role)
	return r, ok
}

// CommandSpecs is the coordinator's rule for sweep specs whose trials run
// a command on workers (coordinator/service.CommandSpecGate; `pinnsweep
// serve` gives it to service.AcceptCommandSpecs). Such a spec makes every
// worker that allows its program run it with the arguments the spec
// gives, so:
//
//   - a server that authenticates callers accepts a command spec only
//     from a caller authenticated as RoleAdmin. SubmitSweep needs that
//     role anyway (Policy); the gate checks it again, on its own, as
//     defence in depth;
//   - a server that authenticates nobody (loopback, or --insecure) treats
//     every caller as an admin, so anyone who can connect — any user of
//     the machine, on loopback — could make its workers run programs: it
//     refuses command specs unless AllowUnauthenticated is set (`serve
//     --allow-command-specs`), which says the operator trusts them all.
//
// The workers' --allow-exec lists stay the real guard: no spec makes a
// worker run a program it did not allow.
type CommandSpecs struct {
	// Authenticated is set when the server authenticates its callers
	// (ServerConfig.Authenticates).
	Authenticated bool
	// AllowUnauthenticated accepts command specs from every caller of a
	// server that authenticates none.
	AllowUnauthenticated bool
}

// errNoAuthCommands explains why an unauthenticated server refuses
// command specs.
var errNoAuthCommands = errors.New("this coordinator authenticates no caller, so anyone who can connect could make its workers " +
	"run programs: command specs need an authenticated admin (serve with --admin-token-file or --client-ca), " +
	"or serve --allow-command-specs on a machine whose users are all trusted")

// AllowCommandSpec implements service.CommandSpecGate.
func (p CommandSpecs) AllowCommandSpec(ctx context.Context) error {
	if !p.Authenticated {
		if p.AllowUnauthenticated {
			return nil
		}
		return errNoAuthCommands
	}
	role, ok := CallerRole(ctx)
	if !ok {
		return errors.New("the caller's role is unknown; command specs need the admin role")
	}
	if role != RoleAdmin {
		return fmt.Errorf("command specs need the admin role; the caller has the %s role", role)
	}
	return nil
}
