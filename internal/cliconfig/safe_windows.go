//go:build windows

package cliconfig

import (
	"fmt"
	"io/fs"
)

// checkSafe refuses a config file that is not a regular file. Windows
// keeps permissions in ACLs, which are not checked.
func checkSafe(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is not a regular file", ErrUnsafeFile, path)
	}
	return nil
}
