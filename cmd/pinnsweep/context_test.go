package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pinnsweep/pinnsweep/internal/auth"
	"github.com/pinnsweep/pinnsweep/internal/cliconfig"
)

// useConfig points the commands at a fresh config file for the test.
func useConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cfg", "config.yaml")
	t.Setenv(cliconfig.EnvConfig, path)
	return path
}

func TestContextCommands(t *testing.T) {
	path := useConfig(t)
	dir := t.TempDir()
	t.Chdir(dir)
	if code, _, stderr := cli("context", "current"); code != 1 || !strings.Contains(stderr, "no current context") {
		t.Fatalf("current without a file: %d %q", code, stderr)
	}
	code, stdout, stderr := cli("context", "set", "prod", "--coordinator", "coord:7433", "--ca", "pki/ca.pem", "--token-file", "admin.token")
	if code != 0 || stdout != "context prod created in "+path+"\n" {
		t.Fatalf("set: %d %q %q", code, stdout, stderr)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config file: %v %v", fi.Mode(), err)
	}
	cli("context", "set", "dev", "--coordinator", "localhost:7433")
	// Change one setting, clear another.
	if code, stdout, _ := cli("context", "set", "prod", "--server-name", "coord.example", "--ca", ""); code != 0 || !strings.Contains(stdout, "context prod changed") {
		t.Fatalf("set again: %d %q", code, stdout)
	}
	cfg, err := cliconfig.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	prod, _ := cfg.Get("prod")
	if cfg.Current != "prod" || prod.Coordinator != "coord:7433" || prod.CA != "" || prod.ServerName != "coord.example" ||
		prod.TokenFile != filepath.Join(dir, "admin.token") {
		t.Fatalf("config after set: %+v %+v", cfg, prod)
	}
	if code, stdout, _ := cli("context", "current"); code != 0 || stdout != "prod\n" {
		t.Fatalf("current: %d %q", code, stdout)
	}
	if code, stdout, _ := cli("context", "use", "dev"); code != 0 || stdout != "current context: dev\n" {
		t.Fatalf("use: %d %q", code, stdout)
	}
	code, stdout, _ = cli("context", "list")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != 0 || len(lines) != 3 || strings.Join(strings.Fields(lines[1]), " ") != "* dev localhost:7433 - -" ||
		strings.Join(strings.Fields(lines[2]), " ") != "prod coord:7433 tls "+filepath.Join(dir, "admin.token") {
		t.Fatalf("list:\n%s", stdout)
	}
	code, stdout, _ = cli("context", "list", "--json")
	var list []map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &list) != nil || len(list) != 2 || list[0]["current"] != true || list[1]["server_name"] != "coord.example" {
		t.Fatalf("list --json: %s", stdout)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"context", "use", "nope"}, 1, `no such context "nope"`},
		{[]string{"context", "delete", "nope"}, 1, `no such context "nope"`},
		{[]string{"context", "set", "a b"}, 2, `context name "a b"`},
		{[]string{"context", "set"}, 2, "missing context NAME"},
		{[]string{"context", "set", "x", "--bogus", "1"}, 2, "unknown flag: --bogus"},
	} {
		if code, _, stderr := cli(tc.args...); code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: %d %q, want %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
	if code, _, _ := cli("context", "delete", "dev"); code != 0 {
		t.Fatal("delete")
	}
	if code, _, stderr := cli("context", "current"); code != 1 || !strings.Contains(stderr, "no current context") {
		t.Fatalf("current after deleting it: %d %q", code, stderr)
	}

	// A file others may write is refused, by every command that reads it.
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"context", "list"}, {"status"}} {
		if code, _, stderr := cli(args...); code == 0 || !strings.Contains(stderr, "writable by its group or by others") {
			t.Errorf("%v with a world-writable config: %d %q", args, code, stderr)
		}
	}
}

// TestContextPrecedence drives status against a coordinator that needs a
// token, with the address and the token file coming from the command
// line, the environment or the context, each source in turn wrong when a
// higher one should win.
func TestContextPrecedence(t *testing.T) {
	clearTokenEnv(t)
	useConfig(t)
	dir := t.TempDir()
	good := writeToken(t, dir, "admin.token", "adm1n-token")
	bad := writeToken(t, dir, "wrong.token", "wr0ng-token")
	addr, _ := startServeArgs(t, "--db", filepath.Join(dir, "s.db"), "--listen", "127.0.0.1:0", "--log-level", "warn", "--admin-token-file", good)
	const nowhere = "127.0.0.1:1" // nothing listens there
	for _, tc := range []struct {
		name     string
		ctxCoord string
		ctxToken string
		envCoord string
		envToken string
		flags    []string
		code     int
		want     string
	}{
		{name: "context only", ctxCoord: addr, ctxToken: good, code: 0},
		{name: "env beats context", ctxCoord: nowhere, ctxToken: bad, envCoord: addr, envToken: good, code: 0},
		{name: "flag beats env and context", ctxCoord: nowhere, ctxToken: bad, envCoord: nowhere, envToken: bad,
			flags: []string{"--coordinator", addr, "--token-file", good}, code: 0},
		{name: "the context's wrong token shows", ctxCoord: addr, ctxToken: bad, code: 1, want: "invalid token"},
		{name: "the env's wrong address shows", ctxCoord: addr, ctxToken: good, envCoord: nowhere, code: 1,
			want: "coordinator " + nowhere + " (from $PINNSWEEP_COORDINATOR) unavailable"},
		{name: "the context's address is named", ctxCoord: nowhere, ctxToken: good, code: 1,
			want: "coordinator " + nowhere + " (from context c) unavailable"},
		{name: "--context picks another", ctxCoord: nowhere, ctxToken: bad, flags: []string{"--context", "other"}, code: 0},
		{name: "no coordinator anywhere", code: 2, want: "--coordinator is required (or $PINNSWEEP_COORDINATOR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			useConfig(t)
			if tc.ctxCoord != "" {
				if code, _, stderr := cli("context", "set", "c", "--coordinator", tc.ctxCoord, "--token-file", tc.ctxToken); code != 0 {
					t.Fatal(stderr)
				}
				cli("context", "set", "other", "--coordinator", addr, "--token-file", good)
				cli("context", "use", "c")
			}
			t.Setenv(cliconfig.EnvCoordinator, tc.envCoord)
			t.Setenv(cliconfig.EnvTokenFile, tc.envToken)
			code, stdout, stderr := cli(append([]string{"status"}, tc.flags...)...)
			if code != tc.code || (tc.code != 0 && !strings.Contains(stderr, tc.want)) || (tc.code == 0 && !strings.HasPrefix(stdout, "SWEEP")) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %d and %q", code, stdout, stderr, tc.code, tc.want)
			}
		})
	}
	// The token itself in the environment, with a token file too: refused.
	t.Setenv(auth.EnvToken, "adm1n-token")
	t.Setenv(cliconfig.EnvTokenFile, good)
	if code, _, stderr := cli("status", "--coordinator", addr); code != 2 || !strings.Contains(stderr, "both $PINNSWEEP_TOKEN and $PINNSWEEP_TOKEN_FILE") {
		t.Fatalf("both token variables: %d %q", code, stderr)
	}
	t.Setenv(cliconfig.EnvTokenFile, "")
	if code, _, stderr := cli("status", "--coordinator", addr); code != 0 {
		t.Fatalf("$PINNSWEEP_TOKEN: %d %q", code, stderr)
	}
}
