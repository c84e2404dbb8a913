// Package gencheck keeps generated files from going stale: a package's
// test runs the package's generator into a temporary directory and
// compares what it writes with the checked-in files, byte for byte, so
// that an edit to a generator or its templates without go generate (or an
// edit to the output by hand) fails the tests.
//
// A generator is a //go:build ignore program in the package's directory,
// run by go generate as `go run gen.go`, that writes its files into the
// directory its -o flag names (default ".").
package gencheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Fresh fails t unless every file that generator (a file name in the
// current directory, which go test makes the package's) writes is checked
// in with the same bytes. It is skipped with -short, since it builds and
// runs the generator.
func Fresh(t *testing.T, generator string) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the generator with go run")
	}
	if err := check(t.Context(), ".", generator, t.TempDir()); err != nil {
		t.Error(err)
	}
}

// check runs generator in pkgDir with -o out and compares each file it
// writes with the file of that name in pkgDir. The error names every file
// that differs or is missing, so that one failure lists all of them.
func check(ctx context.Context, pkgDir, generator, out string) error {
	cmd := exec.CommandContext(ctx, "go", "run", generator, "-o", out)
	cmd.Dir = pkgDir
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go run %s: %w\n%s", generator, err, msg)
	}
	written, err := os.ReadDir(out)
	if err != nil {
		return fmt.Errorf("reading what %s wrote: %w", generator, err)
	}
	if len(written) == 0 {
		return fmt.Errorf("go run %s -o %s wrote no files", generator, out)
	}
	var stale []string
	for _, f := range written {
		want, err := os.ReadFile(filepath.Join(out, f.Name()))
		if err != nil {
			return fmt.Errorf("reading what %s wrote: %w", generator, err)
		}
		got, err := os.ReadFile(filepath.Join(pkgDir, f.Name()))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			stale = append(stale, f.Name()+" (missing)")
		case err != nil:
			return err
		case !bytes.Equal(got, want):
			stale = append(stale, f.Name())
		}
	}
	if len(stale) > 0 {
		return fmt.Errorf("stale, not what %s writes: %s: run go generate", generator, strings.Join(stale, ", "))
	}
	return nil
}
