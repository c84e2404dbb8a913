package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// credentials are the client flags of one role in TestSecureCluster.
type credentials []string

// securePKI writes a development PKI with `pinnsweep certs` and token
// files into dir and returns the client flags of each role.
func securePKI(t *testing.T, dir string) (pki string, admin, worker credentials) {
	t.Helper()
	pki = filepath.Join(dir, "pki")
	mustCLI(t, dir, "certs", "--out", pki)
	for name, tok := range map[string]string{"admin.token": "e2e-admin-secret", "worker.token": "e2e-worker-secret"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(tok+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	role := func(r string) credentials {
		return credentials{"--ca", filepath.Join(pki, "ca.pem"), "--cert", filepath.Join(pki, r+".pem"),
			"--key", filepath.Join(pki, r+"-key.pem"), "--token-file", filepath.Join(dir, r+".token")}
	}
	return pki, role("admin"), role("worker")
}

// TestSecureCluster runs sweeps/examples/quick.yaml on `pinnsweep serve`
// with mutual TLS and tokens, one `pinnsweep work` holding worker
// credentials, and `submit`, `status --watch` and `export` holding admin
// credentials. The worker's credentials cannot submit; the sweep
// completes, every trial once, attributed to the worker identity its
// certificate gives; no token appears in any output.
func TestSecureCluster(t *testing.T) {
	dir := t.TempDir()
	pki, admin, workerCreds := securePKI(t, dir)
	coord, addr := serve(t, dir, filepath.Join(dir, "sweeps.db"), "127.0.0.1:0",
		"--admin-token-file", filepath.Join(dir, "admin.token"),
		"--worker-token-file", filepath.Join(dir, "worker.token"),
		"--tls-cert", filepath.Join(pki, "server.pem"), "--tls-key", filepath.Join(pki, "server-key.pem"),
		"--client-ca", filepath.Join(pki, "ca.pem"))
	spec := testdata(t, "../../../sweeps/examples/quick.yaml")

	code, _, stderr := runCLI(t, dir, append([]string{"submit", spec, "--coordinator", addr}, workerCreds...)...)
	if code != 1 || !strings.Contains(stderr, "SubmitSweep needs the admin role") {
		t.Fatalf("submit with worker credentials: exit %d: %s", code, stderr)
	}
	code, _, stderr = runCLI(t, dir, "submit", spec, "--coordinator", addr, "--token-file", filepath.Join(dir, "admin.token"))
	if code != 1 || !strings.Contains(stderr, "unavailable") { // preface EOF, reset or broken pipe, as the timing falls
		t.Fatalf("plaintext submit: exit %d: %s", code, stderr)
	}
	mustCLI(t, dir, append([]string{"submit", spec, "--coordinator", addr}, admin...)...)

	w := start(t, dir, "worker", append([]string{"work", "--coordinator", addr, "--slots", "2", "--id", "secure-worker", "--log-json"}, workerCreds...)...)
	watch := start(t, dir, "watch", append([]string{"status", "quick", "--watch", "--coordinator", addr}, admin...)...)
	if code := watch.wait(120 * time.Second); code != 0 {
		t.Fatalf("status --watch exited %d: %s", code, watch.stderr.String())
	}
	trials := export(t, dir, "quick", append([]string{"--coordinator", addr}, admin...)...)
	checkAllDone(t, trials, 4)
	for _, tr := range trials { // the identity is the certificate's Common Name, qualified by --id
		if tr.Worker != "pinnsweep worker/secure-worker" {
			t.Errorf("trial %s was completed by %q, want \"pinnsweep worker/secure-worker\"", tr.Key, tr.Worker)
		}
	}
	if leased := count([]*proc{w}, "trial leased", "trial", nil); len(leased) != 4 {
		t.Errorf("the worker leased %d distinct trials, want 4", len(leased))
	}
	w.stop()
	coord.stop()
	for _, p := range []*proc{coord, w, watch} {
		if out := p.stdout.String() + p.stderr.String(); strings.Contains(out, "secret") {
			t.Errorf("%s's output reveals a token", p.name)
		}
	}
}

// TestServeExposure: serve on a non-loopback address without
// authentication exits non-zero with a message saying why; with
// --insecure it serves.
func TestServeExposure(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "sweeps.db")
	code, _, stderr := runCLI(t, dir, "serve", "--listen", "0.0.0.0:0", "--db", db)
	if code == 0 || !strings.Contains(stderr, "without authentication") {
		t.Fatalf("serve on 0.0.0.0 without auth: exit %d: %s", code, stderr)
	}
	coord, _ := serve(t, dir, db, "0.0.0.0:0", "--insecure")
	coord.stop()
	if !strings.Contains(coord.stderr.String(), "serving without authentication") {
		t.Errorf("--insecure did not warn:\n%s", coord.stderr.String())
	}
}
