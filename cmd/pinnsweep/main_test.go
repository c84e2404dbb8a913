package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pinnsweep/pinnsweep/internal/auth"
	"github.com/pinnsweep/pinnsweep/internal/cliconfig"
	"github.com/pinnsweep/pinnsweep/worker"
)

// TestMain keeps the tests away from the user's own settings: the config
// file is a file that does not exist until a test writes it, and no
// connection variable of the environment applies.
func TestMain(m *testing.M) {
	worker.ShimMain() // `run`'s command trials re-execute this binary as their shim
	dir, err := os.MkdirTemp("", "pinnsweep-cmd-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv(cliconfig.EnvConfig, filepath.Join(dir, "config.yaml"))
	for _, f := range cliconfig.Fields {
		os.Unsetenv(f.Env)
	}
	for _, v := range []string{cliconfig.EnvContext, auth.EnvToken, auth.EnvAdminToken, auth.EnvWorkerToken} {
		os.Unsetenv(v)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
