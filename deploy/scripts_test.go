package deploy

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// scripts are the batch scripts.
var scripts = []string{"slurm/pinnsweep.sbatch", "slurm/workers-array.sbatch"}

func TestScriptsParse(t *testing.T) {
	for _, s := range scripts {
		t.Run(s, func(t *testing.T) {
			if out, err := exec.Command("bash", "-n", s).CombinedOutput(); err != nil {
				t.Errorf("bash -n %s: %v\n%s", s, err, out)
			}
			fi, err := os.Stat(s)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode()&0o111 == 0 {
				t.Errorf("%s is not executable", s)
			}
		})
	}
}

// TestShellcheck runs shellcheck on the scripts; .ci/run installs it.
func TestShellcheck(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Skip("shellcheck is not installed (apt-get install shellcheck; .ci/run does)")
	}
	if out, err := exec.Command(sc, append([]string{"--shell=bash"}, scripts...)...).CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}

// TestDockerfile checks what can be checked without a Docker daemon: a
// Go build stage that makes a static SIMD binary, and a final stage that
// runs it as a non-root user.
func TestDockerfile(t *testing.T) {
	raw, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	from := regexp.MustCompile(`(?m)^FROM\s+(\S+)(?:\s+AS\s+(\S+))?`).FindAllStringSubmatch(text, -1)
	if len(from) < 2 {
		t.Fatalf("want a multi-stage build, found %d FROM lines", len(from))
	}
	if !strings.HasPrefix(from[0][1], "golang:1.26") || from[0][2] == "" {
		t.Errorf("first stage %q AS %q: want a named golang:1.26 build stage", from[0][1], from[0][2])
	}
	// The probe version whose flags k8s_test.go checks (healthProbeFlags).
	for _, want := range []string{"GOEXPERIMENT=simd", "CGO_ENABLED=0", "./cmd/pinnsweep", "--from=" + from[0][2],
		"grpc-health-probe@v0.4.62", "/usr/local/bin/grpc_health_probe"} {
		if !strings.Contains(text, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	final := text[strings.LastIndex(text, "\nFROM "):]
	user := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindStringSubmatch(final)
	if user == nil {
		t.Fatal("the final stage sets no USER")
	}
	if uid, _, _ := strings.Cut(user[1], ":"); uid == "0" || uid == "root" || strings.Trim(uid, "0123456789") != "" {
		t.Errorf("USER %s: want a numeric non-root user (Kubernetes' runAsNonRoot checks it)", user[1])
	}
	if !regexp.MustCompile(`(?m)^ENTRYPOINT \["/usr/local/bin/pinnsweep"\]`).MatchString(final) {
		t.Error(`the final stage's ENTRYPOINT must be ["/usr/local/bin/pinnsweep"]: the manifests pass the subcommand as args`)
	}
}
