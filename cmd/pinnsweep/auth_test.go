package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pinnsweep/pinnsweep/internal/auth"
)

// clearTokenEnv unsets the token variables for the test.
func clearTokenEnv(t *testing.T) {
	for _, v := range []string{auth.EnvAdminToken, auth.EnvWorkerToken, auth.EnvToken} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
}

// writeToken writes a token file with a trailing newline.
func writeToken(t *testing.T, dir, name, token string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestServeRefusesExposureWithoutAuth(t *testing.T) {
	clearTokenEnv(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "sweeps.db")
	for _, listen := range []string{"0.0.0.0:0", ":0"} {
		code, _, stderr := cli("serve", "--db", db, "--listen", listen)
		if code != 2 || !strings.Contains(stderr, "not a loopback address, without authentication") || !strings.Contains(stderr, "--insecure") {
			t.Fatalf("serve --listen %s without auth: %d %q", listen, code, stderr)
		}
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("a refused serve touched the database: %v", err)
	}
	// TLS alone authenticates nobody.
	pki := t.TempDir()
	if code, _, stderr := cli("certs", "--out", pki); code != 0 {
		t.Fatal(stderr)
	}
	code, _, stderr := cli("serve", "--db", db, "--listen", "0.0.0.0:0",
		"--tls-cert", filepath.Join(pki, "server.pem"), "--tls-key", filepath.Join(pki, "server-key.pem"))
	if code != 2 || !strings.Contains(stderr, "without authentication") {
		t.Fatalf("serve with TLS only: %d %q", code, stderr)
	}

	// --insecure, a token or mTLS each let it start.
	for name, args := range map[string][]string{
		"insecure": {"--insecure"},
		"token":    {"--admin-token-file", writeToken(t, dir, "admin.token", "adm1n-token")},
		"mtls": {"--tls-cert", filepath.Join(pki, "server.pem"), "--tls-key", filepath.Join(pki, "server-key.pem"),
			"--client-ca", filepath.Join(pki, "ca.pem")},
	} {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"--db", filepath.Join(t.TempDir(), "s.db"), "--listen", "0.0.0.0:0", "--log-level", "warn"}, args...)
			addr, stop := startServeArgs(t, args...)
			if host, _, _ := net.SplitHostPort(addr); host != "0.0.0.0" && host != "::" {
				t.Errorf("listening on %s", addr)
			}
			if code := stop(); code != 0 {
				t.Errorf("serve exited %d", code)
			}
		})
	}
}

func TestServeBadCredentials(t *testing.T) {
	clearTokenEnv(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "sweeps.db")
	empty := filepath.Join(dir, "empty.token")
	os.WriteFile(empty, []byte("\n"), 0o600)
	admin := writeToken(t, dir, "admin.token", "same-token")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"empty token file", []string{"--admin-token-file", empty}, "empty token"},
		{"missing token file", []string{"--admin-token-file", filepath.Join(dir, "nosuch")}, "no such file"},
		{"worker token only", []string{"--worker-token-file", admin}, "needs an admin token"},
		{"equal tokens", []string{"--admin-token-file", admin, "--worker-token-file", admin}, "are equal"},
		{"key without cert", []string{"--tls-key", admin}, "go together"},
		{"client CA without cert", []string{"--client-ca", admin}, "need a server certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := cli(append([]string{"serve", "--db", db}, tt.args...)...)
			if code != 2 || !strings.Contains(stderr, tt.want) || strings.Contains(stderr, "same-token") {
				t.Fatalf("%d %q, want exit 2 and %q", code, stderr, tt.want)
			}
		})
	}
	t.Setenv(auth.EnvAdminToken, "")
	if code, _, stderr := cli("serve", "--db", db); code != 2 || !strings.Contains(stderr, auth.EnvAdminToken) {
		t.Fatalf("empty %s: %d %q", auth.EnvAdminToken, code, stderr)
	}
}

// TestClientCommandsWithCredentials drives submit, status, cancel and
// export against a coordinator that takes an admin token from the
// environment and a worker token from a file, and serves TLS.
func TestClientCommandsWithCredentials(t *testing.T) {
	clearTokenEnv(t)
	dir := t.TempDir()
	pki := filepath.Join(dir, "pki")
	if code, _, stderr := cli("certs", "--out", pki); code != 0 {
		t.Fatal(stderr)
	}
	spec := filepath.Join(dir, "cluster.yaml")
	os.WriteFile(spec, []byte(clusterSpec), 0o644)
	t.Setenv(auth.EnvAdminToken, "adm1n-secret")
	workerTok := writeToken(t, dir, "worker.token", "w0rker-secret")
	adminTok := writeToken(t, dir, "admin.token", "adm1n-secret")
	addr, _ := startServeArgs(t, "--db", filepath.Join(dir, "s.db"), "--listen", "127.0.0.1:0", "--log-level", "warn",
		"--worker-token-file", workerTok,
		"--tls-cert", filepath.Join(pki, "server.pem"), "--tls-key", filepath.Join(pki, "server-key.pem"))
	os.Unsetenv(auth.EnvAdminToken)
	ca := filepath.Join(pki, "ca.pem")

	tests := []struct {
		name string
		args []string
		env  string // PINNSWEEP_TOKEN
		code int
		want string // in stdout for 0, in stderr otherwise
	}{
		{"submit without token", []string{"submit", spec, "--ca", ca}, "", 1, "no token"},
		{"submit wrong token", []string{"submit", spec, "--ca", ca}, "wrong-secret", 1, "invalid token"},
		{"submit worker token", []string{"submit", spec, "--ca", ca, "--token-file", workerTok}, "", 1, "needs the admin role"},
		{"submit plaintext", []string{"submit", spec, "--token-file", adminTok}, "", 1, "unavailable"},
		{"submit untrusted server", []string{"submit", spec, "--token-file", adminTok, "--server-name", "localhost"}, "", 1, "certificate"},
		{"submit admin token file", []string{"submit", spec, "--ca", ca, "--token-file", adminTok}, "", 0, "sweep cluster: 4 trials"},
		{"status admin token env", []string{"status", "--ca", ca}, "adm1n-secret", 0, "cluster"},
		{"status worker token", []string{"status", "--ca", ca}, "w0rker-secret", 1, "refused the call"},
		{"export worker token", []string{"export", "cluster", "--ca", ca, "--token-file", workerTok}, "", 1, "needs the admin role"},
		{"export admin", []string{"export", "cluster", "--ca", ca, "--token-file", adminTok}, "", 0, "key,"},
		{"cancel worker token", []string{"cancel", "cluster", "--ca", ca, "--token-file", workerTok}, "", 1, "CancelSweep needs the admin role"},
		{"cancel admin", []string{"cancel", "cluster", "--ca", ca, "--token-file", adminTok}, "", 0, "cancelled 4 trials"},
		{"empty token env", []string{"status", "--ca", ca}, "\x00empty", 2, "empty token"},
		// A worker whose credentials are refused stops at once instead of retrying.
		{"work wrong token", []string{"work", "--ca", ca, "--log-level", "off"}, "wrong-secret", 1, "refused the worker's credentials"},
		{"work no token", []string{"work", "--ca", ca, "--log-level", "off"}, "", 1, "refused the worker's credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			switch tt.env {
			case "":
				os.Unsetenv(auth.EnvToken)
			case "\x00empty":
				t.Setenv(auth.EnvToken, "")
			default:
				t.Setenv(auth.EnvToken, tt.env)
			}
			code, stdout, stderr := cli(append(tt.args, "--coordinator", addr)...)
			out := stdout
			if tt.code != 0 {
				out = stderr
			}
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, stdout, stderr, tt.code, tt.want)
			}
			if strings.Contains(stdout+stderr, "secret") {
				t.Fatalf("output reveals a token: %q %q", stdout, stderr)
			}
		})
	}
}

func TestCertsCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	code, stdout, stderr := cli("certs", "--out", dir, "--hosts", "coord.example,10.0.0.7", "--days", "10")
	if code != 0 || strings.Count(stdout, "wrote ") != 8 {
		t.Fatalf("certs: %d %q %q", code, stdout, stderr)
	}
	for _, name := range []string{"ca", "server", "admin", "worker"} {
		key, err := os.Stat(filepath.Join(dir, name+"-key.pem"))
		if err != nil || key.Mode().Perm() != 0o600 {
			t.Errorf("%s-key.pem: %v %v", name, key.Mode(), err)
		}
		if _, err := os.Stat(filepath.Join(dir, name+".pem")); err != nil {
			t.Error(err)
		}
	}
	if code, _, stderr := cli("certs", "--out", dir); code != 1 || !strings.Contains(stderr, "--force") {
		t.Fatalf("second certs: %d %q", code, stderr)
	}
	if code, _, stderr := cli("certs", "--out", dir, "--force"); code != 0 {
		t.Fatalf("certs --force: %d %q", code, stderr)
	}
	for _, args := range [][]string{{"certs"}, {"certs", "--out", dir, "--days", "0"}, {"certs", "--out", dir, "--days", "200000"}, {"certs", "--out", dir, "extra"}} {
		if code, _, _ := cli(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func TestWorkBadCredentials(t *testing.T) {
	clearTokenEnv(t)
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o600)
	for _, args := range [][]string{
		{"--token-file", empty},
		{"--cert", filepath.Join(dir, "c.pem")},
		{"--ca", filepath.Join(dir, "nosuch.pem")},
	} {
		code, _, stderr := cli(append([]string{"work", "--coordinator", "127.0.0.1:1"}, args...)...)
		if code != 2 || !strings.HasPrefix(stderr, "pinnsweep work: ") {
			t.Errorf("work %v: %d %q", args, code, stderr)
		}
	}
}
