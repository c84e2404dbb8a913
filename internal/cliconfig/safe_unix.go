//go:build !windows

package cliconfig

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkSafe refuses a config file that is not a regular file, is writable
// by its group or by others, or is owned by another user (root excepted).
func checkSafe(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is not a regular file", ErrUnsafeFile, path)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("%w: %s is writable by its group or by others (mode %04o), so anyone who can write it could "+
			"send your credentials to their coordinator: run chmod 600 %s", ErrUnsafeFile, path, perm, path)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if uid := uint32(os.Getuid()); st.Uid != uid && st.Uid != 0 {
			return fmt.Errorf("%w: %s is owned by user %d, not by you (user %d)", ErrUnsafeFile, path, st.Uid, uid)
		}
	}
	return nil
}
