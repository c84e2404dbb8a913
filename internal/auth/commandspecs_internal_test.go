package auth

import (
	"context"
	"strings"
	"testing"
)

// TestCommandSpecsRule: an authenticating server's gate checks the
// caller's role itself (admin only), whatever the method policy said; an
// unauthenticated server's gate refuses unless told to accept everyone.
func TestCommandSpecsRule(t *testing.T) {
	bg := context.Background()
	as := func(r Role) context.Context { return context.WithValue(bg, roleKey{}, r) }
	tests := []struct {
		name string
		p    CommandSpecs
		ctx  context.Context
		want string // "" to accept, else a part of the error
	}{
		{"admin", CommandSpecs{Authenticated: true}, as(RoleAdmin), ""},
		{"worker", CommandSpecs{Authenticated: true}, as(RoleWorker), "need the admin role; the caller has the worker role"},
		{"none", CommandSpecs{Authenticated: true}, as(RoleNone), "the caller has the none role"},
		{"no role in the context", CommandSpecs{Authenticated: true}, bg, "role is unknown"},
		{"allow-unauthenticated does not lower the bar", CommandSpecs{Authenticated: true, AllowUnauthenticated: true}, as(RoleWorker), "admin role"},
		{"unauthenticated server", CommandSpecs{}, bg, "--allow-command-specs"},
		{"unauthenticated server that accepts", CommandSpecs{AllowUnauthenticated: true}, bg, ""},
	}
	for _, tt := range tests {
		err := tt.p.AllowCommandSpec(tt.ctx)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v, want accepted", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: %v, want an error with %q", tt.name, err, tt.want)
		}
	}
}
