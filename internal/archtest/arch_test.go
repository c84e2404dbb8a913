package archtest

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const module = "github.com/pinnsweep/pinnsweep"

// goList runs `go list` with args and returns its output lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goCmd, append([]string{"list"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v\n%s", args, err, stderr.Bytes())
	}
	return strings.Fields(string(out))
}

// forbidden are the transport and storage packages that readers of trials
// must not pull in.
var forbidden = []string{"google.golang.org/grpc", "go.etcd.io/bbolt", "google.golang.org/protobuf",
	module + "/gen/", module + "/coordinator/boltstore", module + "/coordinator/service"}

// TestReadersImportNoTransport: the report and the dashboard depend on the
// coordinator's record types (coordinator/state) and the verdict rule,
// never on gRPC, protobuf, bbolt or the layers that use them.
func TestReadersImportNoTransport(t *testing.T) {
	for _, pkg := range []string{"report", "dashboard", "verdict"} {
		deps := goList(t, "-deps", module+"/"+pkg)
		for _, d := range deps {
			for _, f := range forbidden {
				if strings.HasPrefix(d, f) {
					t.Errorf("%s depends on %s", pkg, d)
				}
			}
			if pkg == "verdict" && strings.HasPrefix(d, "github.com/prometheus/") {
				t.Errorf("verdict depends on %s", d)
			}
		}
		if !contains(deps, module+"/coordinator/state") {
			t.Errorf("%s does not depend on coordinator/state: the test would pass for the wrong reason", pkg)
		}
	}
}

// TestSchedulerImports: the scheduler is the deterministic core; it
// imports the standard library, sweeps and the leaf package only.
func TestSchedulerImports(t *testing.T) {
	for _, imp := range goList(t, "-f", `{{join .Imports " "}}`, module+"/coordinator/scheduler") {
		std := !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".")
		if !std && imp != module+"/sweeps" && imp != module+"/coordinator/state" {
			t.Errorf("the scheduler imports %s", imp)
		}
	}
}

// TestStateIsLeaf: the leaf package imports the standard library only.
func TestStateIsLeaf(t *testing.T) {
	for _, imp := range goList(t, "-f", `{{join .Imports " "}}`, module+"/coordinator/state") {
		if strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
			t.Errorf("coordinator/state imports %s", imp)
		}
	}
}

// maxLines bounds the length of every file of the coordinator's packages.
const maxLines = 500

// TestCoordinatorFileSizes: no file of the coordinator's packages is over
// maxLines lines.
func TestCoordinatorFileSizes(t *testing.T) {
	root := filepath.Join("..", "..", "coordinator")
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		n := 0
		for sc := bufio.NewScanner(f); sc.Scan(); {
			n++
		}
		if n > maxLines {
			t.Errorf("%s has %d lines; the limit is %d", path, n, maxLines)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
