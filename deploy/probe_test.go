package deploy

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// probeModule is the module that pins grpc_health_probe (the Dockerfile's
// version) for TestHealthProbe.
const probeModule = "../tools/healthprobe"

// buildHealthProbe builds grpc_health_probe from probeModule into dir.
func buildHealthProbe(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(dir, "grpc_health_probe")
	cmd := exec.Command("go", "build", "-o", out, "github.com/grpc-ecosystem/grpc-health-probe")
	cmd.Dir = probeModule
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building grpc_health_probe in %s (its module must be downloadable: .ci/run downloads it): %v\n%s", probeModule, err, b)
	}
	return out
}

// TestHealthProbeVersion: the probe the test builds is the one the image
// ships.
func TestHealthProbeVersion(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join(probeModule, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	docker, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`grpc-ecosystem/grpc-health-probe@(v[0-9.]+)`).FindSubmatch(docker)
	got := regexp.MustCompile(`github.com/grpc-ecosystem/grpc-health-probe (v[0-9.]+)`).FindSubmatch(mod)
	if want == nil || got == nil || string(want[1]) != string(got[1]) {
		t.Fatalf("grpc_health_probe: the Dockerfile installs %q, %s/go.mod pins %q; they must agree", want, probeModule, got)
	}
}

// TestHealthProbe runs the coordinator's probe commands, read from the
// manifests, against `pinnsweep serve` started with the manifests'
// arguments: tokens and TLS on, with the files the Secrets mount made as
// k8s/README.md says (tokens, `pinnsweep certs` with the README's
// --hosts). The files are moved into a temporary directory and every
// container port to a free one. Every probe must report SERVING: kubelets send no
// credentials, and a coordinator whose probes fail never becomes Ready.
func TestHealthProbe(t *testing.T) {
	if testing.Short() {
		t.Skip("builds grpc_health_probe and starts the coordinator")
	}
	c, err := loadCluster(k8sDir)
	if err != nil {
		t.Fatal(err)
	}
	var ct *container
	for _, o := range c.objects {
		for i, x := range o.Spec.Template.Spec.Containers {
			if len(x.Args) > 0 && x.Args[0] == "serve" {
				ct = &o.Spec.Template.Spec.Containers[i]
			}
		}
	}
	if ct == nil {
		t.Fatal("no container of the manifests runs pinnsweep serve")
	}
	probes := map[string]*probe{"startupProbe": ct.StartupProbe, "readinessProbe": ct.ReadinessProbe, "livenessProbe": ct.LivenessProbe}
	dir := t.TempDir()
	probeBin := buildHealthProbe(t, dir)
	root := filepath.Join(dir, "root") // stands for the container's file system
	ports := map[string]string{}       // container port → a free port here
	for _, p := range ct.Ports {
		ports[":"+strconv.Itoa(p.ContainerPort)] = ":" + strconv.Itoa(freePort(t))
	}
	// localize maps a container path to the test's directory, and an
	// address with a container port to the free port.
	localize := func(s string) string {
		if strings.HasPrefix(s, "/") {
			return filepath.Join(root, s)
		}
		for from, to := range ports {
			if strings.HasSuffix(s, from) {
				return strings.TrimSuffix(s, from) + to
			}
		}
		return s
	}

	// The Secrets' files, made as the README says.
	args := make([]string, 0, len(ct.Args))
	for i, a := range ct.Args {
		args = append(args, localize(a))
		if i == 0 || !strings.HasPrefix(a, "/") {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(localize(a)), 0o700); err != nil {
			t.Fatal(err)
		}
		switch ct.Args[i-1] {
		case "--admin-token-file", "--worker-token-file":
			tok := make([]byte, 32)
			if _, err := rand.Read(tok); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(localize(a), []byte(hex.EncodeToString(tok)), 0o600); err != nil {
				t.Fatal(err)
			}
		case "--tls-cert":
			certs := exec.Command(bin, "certs", "--out", filepath.Dir(localize(a)), "--hosts", readmeCertHosts(t))
			if out, err := certs.CombinedOutput(); err != nil {
				t.Fatalf("pinnsweep certs: %v\n%s", err, out)
			}
		}
	}
	if !strings.Contains(strings.Join(ct.Args, " "), "token-file") || !strings.Contains(strings.Join(ct.Args, " "), "--tls-cert") {
		t.Fatalf("serve's arguments %v: the test expects tokens and TLS, as the manifests had when it was written", ct.Args)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	serve := exec.CommandContext(ctx, bin, args...)
	stdout, err := serve.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	serve.Stderr = &stderr
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = serve.Process.Kill()
		_ = serve.Wait()
	}()
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "listening on") {
		_ = serve.Process.Kill()
		_ = serve.Wait()
		t.Fatalf("pinnsweep %s did not start: %q\n%s", strings.Join(args, " "), sc.Text(), stderr.String())
	}

	for name, p := range probes {
		if p == nil || p.Exec == nil {
			t.Errorf("%s: not an exec probe (%+v); the test runs exec probes", name, p)
			continue
		}
		cmd := append([]string{probeBin}, p.Exec.Command[1:]...)
		for i := 1; i < len(cmd); i++ {
			if k, v, ok := strings.Cut(cmd[i], "="); ok {
				cmd[i] = k + "=" + localize(v)
			}
		}
		timeout := time.Duration(max(p.TimeoutSeconds, 1)) * time.Second
		pctx, pcancel := context.WithTimeout(ctx, timeout)
		out, err := exec.CommandContext(pctx, cmd[0], cmd[1:]...).CombinedOutput()
		pcancel()
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			t.Errorf("%s %v: exit status %d (grpc_health_probe: 2 connection failed, 3 RPC failed, 4 unhealthy): %s",
				name, p.Exec.Command, exit.ExitCode(), out)
		case err != nil:
			t.Errorf("%s %v: %v: %s", name, p.Exec.Command, err, out)
		case !strings.Contains(string(out), "SERVING"):
			t.Errorf("%s %v: %q, want status SERVING", name, p.Exec.Command, out)
		}
	}
	if t.Failed() {
		t.Logf("serve's log:\n%s", stderr.String())
	}
}

// readmeCertHosts returns the --hosts of the `pinnsweep certs` command in
// k8s/README.md, which makes the server certificate the probes verify.
func readmeCertHosts(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(k8sDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`pinnsweep certs [^\n]*--hosts[ =](\S+)`).FindSubmatch(raw)
	if m == nil {
		t.Fatal(fmt.Errorf("k8s/README.md has no `pinnsweep certs ... --hosts H` command"))
	}
	return string(m[1])
}
