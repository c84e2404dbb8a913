package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
	"github.com/pinnsweep/pinnsweep/internal/cliconfig"
)

func TestDashboardListenAddr(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{":8080", "127.0.0.1:8080"},
		{"8080", "127.0.0.1:8080"},
		{"0", "127.0.0.1:0"},
		{"0.0.0.0:8080", "0.0.0.0:8080"},
		{"localhost:80", "localhost:80"},
		{"[::1]:80", "[::1]:80"},
		{"", ""},
		{"localhost", ""},
		{"70000", ""},
		{"a:b:c", ""},
	} {
		got, err := dashboardListenAddr(tc.in)
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("dashboardListenAddr(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// dashboardURL returns the URL a command printed in out ("dashboard on
// http://.../"), or "".
func dashboardURL(out string) string {
	m := regexp.MustCompile(`(?m)^dashboard on (http://\S+/)$`).FindStringSubmatch(out)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestServeDashboard runs `pinnsweep serve --http` with token
// authentication: the dashboard (which reads the coordinator in process,
// needing no credentials) lists a sweep submitted with the admin token, and
// stops with the command.
func TestServeDashboard(t *testing.T) {
	dir := t.TempDir()
	token := writeToken(t, dir, "admin.token", "dashboard-admin-token")
	addr, stdout, stop := startServeCmd(t, "--listen", "127.0.0.1:0", "--db", filepath.Join(dir, "sweeps.db"), "--lease-ttl", "30s", "--log-level", "warn",
		"--admin-token-file", token, "--http", "127.0.0.1:0")
	// serve prints the dashboard's URL right after its gRPC address.
	url := ""
	for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		url = dashboardURL(stdout.String())
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("serve --http printed %q, want the dashboard's URL on the loopback", stdout.String())
	}
	client, err := dialCoordinator(conn{cliconfig.Resolved{Settings: cliconfig.Settings{Coordinator: addr, TokenFile: token}}})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := client.sweeps.SubmitSweep(ctx, &pb.SubmitSweepRequest{Spec: &pb.Spec{Source: clusterSpec, Filename: "cluster.yaml"}}); err != nil {
		t.Fatal(err)
	}

	resp, err := http.Get(url + "api/sweeps")
	if err != nil {
		t.Fatal(err)
	}
	var list []struct {
		Sweep   string `json:"sweep"`
		Total   int    `json:"total"`
		Pending int    `json:"pending"`
	}
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil || len(list) != 1 || list[0].Sweep != "cluster" || list[0].Total != 4 || list[0].Pending != 4 {
		t.Fatalf("GET /api/sweeps: %v %+v, want the cluster sweep with 4 pending trials", err, list)
	}
	// DNS rebinding: a page of another site whose name resolves here.
	req, err := http.NewRequest(http.MethodGet, url+"api/sweeps", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "rebind.evil.example"
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("GET /api/sweeps for Host rebind.evil.example: %v %v, want 403", resp, err)
	} else {
		resp.Body.Close()
	}

	if code := stop(); code != 0 {
		t.Fatalf("serve exited with %d", code)
	}
	if conn, err := net.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/")); err == nil {
		conn.Close()
		t.Fatal("the dashboard still accepts connections after serve stopped")
	}
}

// TestRunDashboard runs `pinnsweep run --http`: it prints the dashboard's
// URL, and the dashboard stops with the command.
func TestRunDashboard(t *testing.T) {
	spec := writeSpec(t, tinySpec)
	code, out, errOut := runCmd("run", spec, "--db", filepath.Join(t.TempDir(), "db"), "--out", t.TempDir(), "--slots", "1", "--http", "127.0.0.1:0", "--no-report")
	if code != 0 {
		t.Fatalf("run: %d %s", code, errOut)
	}
	// The URL is a message, not data: on stderr.
	url := dashboardURL(errOut)
	if !strings.HasPrefix(url, "http://127.0.0.1:") || dashboardURL(out) != "" {
		t.Fatalf("run --http printed %q on stderr and %q on stdout, want the dashboard's URL on stderr", errOut, out)
	}
	if conn, err := net.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/")); err == nil {
		conn.Close()
		t.Fatal("the dashboard still accepts connections after run ended")
	}
}
