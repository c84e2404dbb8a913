package simdblas

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedAsm fails when the checked-in assembly kernels or their
// declarations differ from what gen_asm.go writes: edit the generator and
// run go generate, never the output.
func TestGeneratedAsm(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator with go run")
	}
	dir := t.TempDir()
	cmd := exec.Command("go", "run", "gen_asm.go", "-o", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run gen_asm.go: %v\n%s", err, out)
	}
	for _, name := range []string{"gemm_avx512_amd64.s", "gemm_avx512_decl_amd64.go"} {
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate ./internal/simdblas/", name)
		}
	}
}
